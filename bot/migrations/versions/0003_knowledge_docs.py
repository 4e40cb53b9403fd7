"""knowledge documents: the vocabularies and FAQs of the catalogue

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "knowledgedoc",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # A catalogue loaded before this revision has no documents: force the next load to run.
    op.execute("DELETE FROM cataloguemeta WHERE key = 'version'")


def downgrade() -> None:
    op.drop_table("knowledgedoc")
