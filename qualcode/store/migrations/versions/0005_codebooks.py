"""The codebooks a project was coded with (content and hash), and other tools' REFI-QDA GUIDs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "codebooks",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("version", sa.String(100), nullable=True),
        sa.Column("path", sa.String(1000), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_codebooks"),
    )
    op.create_table(
        "refi_guids",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("natural", sa.String(1000), nullable=False),
        sa.Column("guid", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("kind", "natural", name="pk_refi_guids"),
    )


def downgrade() -> None:
    op.drop_table("refi_guids")
    op.drop_table("codebooks")
