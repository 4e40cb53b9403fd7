"""The job queue's tables as the register of personal data sees them (PostgreSQL only).

procrastinate owns the tables (migration 0005). Only the columns Pathfinder reads are declared,
on their own MetaData, so nothing creates or migrates them through SQLModel's. An answer job's
arguments hold the question's text and the asker's ids (`team_id`, `user_id`: bot/jobs/answers.py),
so the register finds a person's jobs by those two keys, and retention deletes finished jobs once
their last event is older than the conversation period.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table, and_, func, select
from sqlalchemy.dialects.postgresql import ENUM, JSONB
from sqlalchemy.sql.elements import ColumnElement

STATUSES = ("todo", "doing", "succeeded", "failed", "cancelled", "aborting", "aborted")
QUEUE = MetaData()
JOBS = Table(
    "procrastinate_jobs",
    QUEUE,
    Column("id", BigInteger, primary_key=True),
    Column("queue_name", String),
    Column("task_name", String),
    Column("status", ENUM(*STATUSES, name="procrastinate_job_status", create_type=False)),
    Column("args", JSONB),
    Column("attempts", BigInteger),
)
EVENTS = Table(
    "procrastinate_events",
    QUEUE,
    Column("id", BigInteger, primary_key=True),
    Column("job_id", BigInteger),
    Column("type", String),  # an enum; only selected, never compared
    Column("at", DateTime(timezone=True)),
)
FINISHED = ("succeeded", "failed", "cancelled", "aborted")


def jobs_of(keys: tuple[str, ...], user_id: str) -> ColumnElement[bool]:
    """Jobs whose arguments name this person (queued, running or finished)."""
    return and_(JOBS.c.args["team_id"].astext.in_(keys), JOBS.c.args["user_id"].astext == user_id)


def finished_before(period: Callable[[Any], timedelta]) -> Callable[[Any, datetime], ColumnElement[bool]]:  # fmt: skip
    """Finished jobs whose last event is older than `period(periods)`."""

    def expired(periods: Any, now: datetime) -> ColumnElement[bool]:
        last = select(EVENTS.c.job_id).group_by(EVENTS.c.job_id)
        last = last.having(func.max(EVENTS.c.at) < now - period(periods))
        return and_(JOBS.c.status.in_(FINISHED), JOBS.c.id.in_(last))

    return expired
