"""answer documents: who asked, and the Answer itself, for Details and Share on any replica;
the programmes each conversation turn showed

Revision ID: 0004_answers
Revises: 0003
Create Date: 2026-11-28 06:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004_answers"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answerrecord", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "user_id",
                sqlmodel.sql.sqltypes.AutoString(length=32),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("document", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_answerrecord_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_answerrecord_created_at"), ["created_at"], unique=False
        )
    with op.batch_alter_table("conversationturn", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shown", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversationturn", schema=None) as batch_op:
        batch_op.drop_column("shown")
    with op.batch_alter_table("answerrecord", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answerrecord_created_at"))
        batch_op.drop_index(batch_op.f("ix_answerrecord_user_id"))
        batch_op.drop_column("document")
        batch_op.drop_column("user_id")
