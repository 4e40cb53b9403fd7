"""limits shared by every replica: per-person question counts and the LLM budget, as counters per
key and window (bot/memory/limits.py)

Revision ID: 0006_shared_limits
Revises: 0005_job_queue
Create Date: 2026-11-28 08:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006_shared_limits"
down_revision = "0005_job_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usagecounter",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start"),
    )
    with op.batch_alter_table("usagecounter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usagecounter_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("usagecounter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usagecounter_expires_at"))
    op.drop_table("usagecounter")
