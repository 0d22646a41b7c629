"""The note table: the sample resource, versioned for conditional changes.

Revision ID: 5d0c1e7a9b42
Revises: bee544d04a2c
Created: 2026-12-02 19:08:35.015062
"""

import sqlalchemy as sa
from alembic import op

revision = "5d0c1e7a9b42"
down_revision = "bee544d04a2c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "note",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note")),
    )
    op.create_index("ix_note_created_at_id", "note", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_note_created_at_id", table_name="note")
    op.drop_table("note")
