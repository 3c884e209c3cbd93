"""Rule auto-coding: matched words and review on codings, review decisions, run statistics, the NLP cache.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("codings") as batch:
        batch.add_column(sa.Column("match_start", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("match_end", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reviewer_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            "fk_codings_reviewer_id_coders", "coders", ["reviewer_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("stats", sa.Text(), nullable=True))
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('suggested', 'accepted', 'rejected')", name="ck_reviews_status"),
        sa.ForeignKeyConstraint(["transcript_id"], ["transcripts.id"], name="fk_reviews_transcript_id_transcripts",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["code_id"], ["codes.id"], name="fk_reviews_code_id_codes", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reviewer_id"], ["coders.id"], name="fk_reviews_reviewer_id_coders",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_reviews"),
        sa.UniqueConstraint("transcript_id", "code_id", "start_offset", "end_offset",
                            name="uq_reviews_transcript_id_code_id_start_offset_end_offset"),
    )
    op.create_table(
        "nlp_cache",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("pipeline_version", sa.String(100), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('analysis', 'lemmas', 'matches')", name="ck_nlp_cache_kind"),
        sa.PrimaryKeyConstraint("kind", "key", "pipeline_version", name="pk_nlp_cache"),
    )


def downgrade() -> None:
    op.drop_table("nlp_cache")
    op.drop_table("reviews")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("stats")
    with op.batch_alter_table("codings") as batch:
        batch.drop_constraint("fk_codings_reviewer_id_coders", type_="foreignkey")
        batch.drop_column("reviewed_at")
        batch.drop_column("reviewer_id")
        batch.drop_column("match_end")
        batch.drop_column("match_start")
