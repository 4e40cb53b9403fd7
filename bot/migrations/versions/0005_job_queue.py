"""the durable answer queue (PostgreSQL only): procrastinate's schema

On PostgreSQL this applies the schema procrastinate 3.10.0 ships (`procrastinate/sql/schema.sql`),
copied byte for byte into bot/migrations/procrastinate/schema-3.10.0.sql so that this revision does
the same thing forever, whatever procrastinate version is installed later. On SQLite answers are
answered in process and there is no queue: a no-op.

Upgrading procrastinate: its release notes list SQL migrations (procrastinate/sql/migrations/,
named by version, e.g. 03.11.00_01_pre_*.sql). Add an Alembic revision that copies the new files
next to this one and runs them in name order, `pre_` before the new code is deployed and `post_`
after (procrastinate's documented order); `procrastinate schema --check` style drift is caught by
tests/test_queue.py, which compares this schema with the installed package's.

Revision ID: 0005_job_queue
Revises: 0004
Create Date: 2026-11-28 08:20:00
"""

from __future__ import annotations

import re
from pathlib import Path

from alembic import op

revision = "0005_job_queue"
down_revision = "0004"
branch_labels = None
depends_on = None

SCHEMA = Path(__file__).resolve().parent.parent / "procrastinate" / "schema-3.10.0.sql"
TABLES = ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs", "procrastinate_workers")  # fmt: skip


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # The raw driver cursor: the file is many statements (psycopg runs them as one simple
    # query only without parameters) and uses % in plpgsql format strings.
    cursor = op.get_bind().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(SCHEMA.read_text(encoding="utf-8"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    sql = SCHEMA.read_text(encoding="utf-8")
    for table in TABLES:  # their triggers go with them
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    for function in dict.fromkeys(re.findall(r"CREATE FUNCTION (\w+)\(", sql)):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    for kind in re.findall(r"CREATE TYPE (\w+)", sql):
        op.execute(f"DROP TYPE IF EXISTS {kind}")
