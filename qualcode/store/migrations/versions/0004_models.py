"""Learned suggestions: trained models as plain data, and why each model suggestion was made.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("weights", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("training_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_models_run_id_runs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_models"),
    )
    op.create_index("ix_models_run_id", "models", ["run_id"])
    op.create_table(
        "suggestion_reasons",
        sa.Column("coding_id", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["coding_id"], ["codings.id"], name="fk_suggestion_reasons_coding_id_codings",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("coding_id", name="pk_suggestion_reasons"),
    )


def downgrade() -> None:
    op.drop_table("suggestion_reasons")
    op.drop_index("ix_models_run_id", table_name="models")
    op.drop_table("models")
