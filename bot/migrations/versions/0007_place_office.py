"""the NHS England local office of a place, where the gazetteer names it (FPT's rules differ
between local offices: KSS leaves psychiatry out)

Revision ID: 0007_place_office
Revises: 0006_shared_limits
Create Date: 2026-11-28 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007_place_office"
down_revision = "0006_shared_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("place", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("place", schema=None) as batch_op:
        batch_op.drop_column("office")
