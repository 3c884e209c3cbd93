"""Import log: one row per file a batch import looked at (imported, skipped or failed, and why).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch", sa.String(36), nullable=False),
        sa.Column("file", sa.String(1000), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_code", sa.String(8), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("transcript_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('imported', 'skipped', 'failed')", name="ck_import_log_status"),
        sa.ForeignKeyConstraint(
            ["transcript_id"],
            ["transcripts.id"],
            name="fk_import_log_transcript_id_transcripts",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_import_log"),
    )
    op.create_index("ix_import_log_batch", "import_log", ["batch"])


def downgrade() -> None:
    op.drop_index("ix_import_log_batch", table_name="import_log")
    op.drop_table("import_log")
