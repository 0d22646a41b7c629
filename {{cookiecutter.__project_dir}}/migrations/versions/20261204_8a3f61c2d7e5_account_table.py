"""The account table: names in lower case, unique, and Argon2id password hashes.

Revision ID: 8a3f61c2d7e5
Revises: 5d0c1e7a9b42
Created: 2026-12-04 06:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "8a3f61c2d7e5"
down_revision = "5d0c1e7a9b42"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("username", name=op.f("uq_account_username")),
    )


def downgrade() -> None:
    op.drop_table("account")
