"""the durable answer queue (PostgreSQL only): placeholder, filled in by the job-queue work

Revision ID: 0005_job_queue
Revises: 0004
Create Date: 2026-11-28 08:20:00
"""

from __future__ import annotations

revision = "0005_job_queue"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
