"""PostgreSQL: text columns without a length limit, as on SQLite.

SQLite never enforced the VARCHAR lengths of the schema, so projects hold longer values (a
pipeline version naming two languages has 133 characters, runs.pipeline_version says 100); on
PostgreSQL such a write failed. The schema maps every String column to TEXT on PostgreSQL
(qualcode.store.schema), and this turns the columns of existing PostgreSQL projects into TEXT.
Nothing changes on SQLite (its column types are only affinities: VARCHAR(n) already is TEXT).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    inspector = sa.inspect(bind)
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        for column in inspector.get_columns(table):
            if isinstance(column["type"], sa.VARCHAR) and column["type"].length is not None:
                op.alter_column(table, column["name"], type_=sa.Text(), existing_type=column["type"],
                                existing_nullable=column["nullable"])


def downgrade() -> None:
    # Lengths are not restored: values longer than the old limits may exist now.
    pass
