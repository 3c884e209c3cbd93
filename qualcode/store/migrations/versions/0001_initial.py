"""The first released schema: transcripts, turns, cases, attributes, codes, codings, runs, coders, memos.

Frozen: never edit a released migration; add a new one.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "project_info",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_project_info"),
    )
    op.create_table(
        "coders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_coders"),
        sa.UniqueConstraint("name", name="uq_coders_name"),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.UniqueConstraint("name", name="uq_cases_name"),
    )
    op.create_table(
        "attributes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        _ts("created_at"),
        sa.CheckConstraint("type IN ('number', 'category', 'date', 'text')", name="ck_attributes_type"),
        sa.PrimaryKeyConstraint("id", name="pk_attributes"),
        sa.UniqueConstraint("name", name="uq_attributes_name"),
    )
    op.create_table(
        "case_attributes",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("attribute_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("value_number", sa.Float(), nullable=True),
        sa.Column("source", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_case_attributes_case_id_cases", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["attribute_id"],
            ["attributes.id"],
            name="fk_case_attributes_attribute_id_attributes",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "attribute_id", name="pk_case_attributes"),
    )
    op.create_table(
        "transcripts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("is_current", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source_format", sa.String(16), nullable=False),
        sa.Column("source_name", sa.String(500), nullable=False),
        sa.Column("encoding", sa.String(32), nullable=True),
        sa.Column("word_count", sa.Integer(), nullable=False),
        _ts("imported_at"),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["transcripts.id"],
            name="fk_transcripts_previous_id_transcripts",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_transcripts_case_id_cases", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_transcripts"),
        sa.UniqueConstraint("name", "version", name="uq_transcripts_name_version"),
    )
    op.create_index("ix_transcripts_sha256", "transcripts", ["sha256"])
    op.create_table(
        "turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(200), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.Float(), nullable=True),
        sa.Column("end_timestamp", sa.Float(), nullable=True),
        sa.CheckConstraint("role IN ('interviewer', 'respondent', 'other')", name="ck_turns_role"),
        sa.CheckConstraint("start_offset <= end_offset", name="ck_turns_span"),
        sa.ForeignKeyConstraint(
            ["transcript_id"],
            ["transcripts.id"],
            name="fk_turns_transcript_id_transcripts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_turns"),
        sa.UniqueConstraint("transcript_id", "idx", name="uq_turns_transcript_id_idx"),
    )
    op.create_table(
        "codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("color", sa.String(16), nullable=True),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["codes.id"], name="fk_codes_parent_id_codes", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_codes"),
        sa.UniqueConstraint("path", name="uq_codes_path"),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("codebook_name", sa.String(300), nullable=True),
        sa.Column("codebook_version", sa.String(100), nullable=True),
        sa.Column("codebook_sha256", sa.String(64), nullable=True),
        sa.Column("pipeline_version", sa.String(100), nullable=True),
        sa.Column("params", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), server_default="running", nullable=False),
        sa.Column("coder_id", sa.Integer(), nullable=True),
        _ts("started_at"),
        _ts("finished_at", nullable=True),
        sa.CheckConstraint("kind IN ('rule', 'model', 'import')", name="ck_runs_kind"),
        sa.CheckConstraint("status IN ('running', 'finished', 'failed')", name="ck_runs_status"),
        sa.ForeignKeyConstraint(
            ["coder_id"], ["coders.id"], name="fk_runs_coder_id_coders", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_table(
        "codings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("coder_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("rule_id", sa.String(300), nullable=True),
        sa.Column("model_id", sa.String(300), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("memo", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.CheckConstraint("origin IN ('manual', 'rule', 'model', 'import')", name="ck_codings_origin"),
        sa.CheckConstraint("status IN ('suggested', 'accepted', 'rejected')", name="ck_codings_status"),
        sa.CheckConstraint("start_offset <= end_offset", name="ck_codings_span"),
        sa.CheckConstraint(
            "confidence IS NULL OR (confidence >= 0 AND confidence <= 1)", name="ck_codings_confidence"
        ),
        sa.ForeignKeyConstraint(
            ["transcript_id"],
            ["transcripts.id"],
            name="fk_codings_transcript_id_transcripts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["code_id"], ["codes.id"], name="fk_codings_code_id_codes", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["coder_id"], ["coders.id"], name="fk_codings_coder_id_coders", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_codings_run_id_runs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_codings"),
    )
    op.create_index("ix_codings_transcript_id", "codings", ["transcript_id"])
    op.create_index("ix_codings_code_id", "codings", ["code_id"])
    op.create_index("ix_codings_run_id", "codings", ["run_id"])
    op.create_table(
        "memos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_type", sa.String(16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("coder_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(300), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.CheckConstraint(
            "target_type IN ('project', 'transcript', 'case', 'code', 'coding', 'turn')",
            name="ck_memos_target_type",
        ),
        sa.ForeignKeyConstraint(
            ["coder_id"], ["coders.id"], name="fk_memos_coder_id_coders", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_memos"),
    )
    op.create_index("ix_memos_target_type_target_id", "memos", ["target_type", "target_id"])


def downgrade() -> None:
    for table in (
        "memos", "codings", "runs", "codes", "turns", "transcripts",
        "case_attributes", "attributes", "cases", "coders", "project_info",
    ):
        op.drop_table(table)
