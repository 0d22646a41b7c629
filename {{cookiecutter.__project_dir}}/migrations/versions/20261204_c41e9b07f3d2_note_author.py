"""A note's author: notes are their author's alone, paged per author.

Notes written before accounts existed get no author, and nobody sees them; give them one
with an UPDATE if they should be kept visible.

Revision ID: c41e9b07f3d2
Revises: 8a3f61c2d7e5
Created: 2026-12-04 06:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "c41e9b07f3d2"
down_revision = "8a3f61c2d7e5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite adds a foreign key only by copying the table, PostgreSQL alters it.
    with op.batch_alter_table("note") as batch:
        batch.add_column(sa.Column("author", sa.String(length=64), nullable=True))
        batch.create_foreign_key(
            op.f("fk_note_author_account"),
            "account",
            ["author"],
            ["username"],
            ondelete="CASCADE",
        )
        batch.drop_index("ix_note_created_at_id")
        batch.create_index("ix_note_author_created_at_id", ["author", "created_at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("note") as batch:
        batch.drop_index("ix_note_author_created_at_id")
        batch.create_index("ix_note_created_at_id", ["created_at", "id"])
        batch.drop_constraint(op.f("fk_note_author_account"), type_="foreignkey")
        batch.drop_column("author")
