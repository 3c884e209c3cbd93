"""Team mode: project members with their role, and the audit log of who did what.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per person allowed into the project on a team server. `subject` is the signed-in
    # identity (the e-mail address the OpenID provider vouches for, lower-cased; the provider's
    # `sub` when it gives no e-mail), so the first owners can be named in the config file.
    op.create_table(
        "members",
        sa.Column("subject", sa.String(320), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(320), nullable=False),
        sa.CheckConstraint("role IN ('owner', 'coder', 'viewer')", name="ck_members_role"),
        sa.PrimaryKeyConstraint("subject", name="pk_members"),
    )
    # Append-only record of actions (membership changes, and what the audit module records).
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_kind", sa.String(32), nullable=True),
        sa.Column("target", sa.String(1000), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("members")
