"""Initial schema: the counter table.

Revision ID: bee544d04a2c
Revises: nothing (the first revision)
Created: 2026-11-24 00:13:09.948995
"""

import sqlalchemy as sa
from alembic import op

revision = "bee544d04a2c"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counter",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counter")),
    )


def downgrade() -> None:
    op.drop_table("counter")
