"""limits shared by every replica: placeholder, filled in by the shared-limits work

Revision ID: 0006_shared_limits
Revises: 0005_job_queue
Create Date: 2026-11-28 08:20:00
"""

from __future__ import annotations

revision = "0006_shared_limits"
down_revision = "0005_job_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
