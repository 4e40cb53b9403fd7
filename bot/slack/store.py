"""What the Slack app keeps: claims that make replies exactly-once, answers for feedback,
threads it takes part in, and profiles people saved. No message text is ever stored here.

A claim is an INSERT that succeeds once: `claim()` returns True to exactly one caller across
threads, retries, the message/app_mention twin and replicas sharing the database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Column, DateTime, UniqueConstraint, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, select

CLAIM_TTL = timedelta(hours=26)  # Slack retries for 2 h (25 h with Delayed Events)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts_column() -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=False, default=utcnow)


class SlackClaim(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts_column())


class AnswerRecord(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    team_id: str = Field(max_length=32)
    channel: str = Field(max_length=32)
    responder: str = Field(max_length=32)
    catalogue_version: str = Field(max_length=64)
    prompt_version: str | None = Field(default=None, max_length=64)
    suggestions: str = Field(default="", max_length=400)  # programme ids, comma-separated
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts_column())


class Feedback(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("answer_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    answer_id: str = Field(index=True, max_length=32)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    helpful: bool
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts_column())


class SlackThread(SQLModel, table=True):
    """A thread Pathfinder has answered in: follow-ups there need no new mention."""

    channel: str = Field(primary_key=True, max_length=32)
    thread_ts: str = Field(primary_key=True, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts_column())


class SavedProfile(SQLModel, table=True):
    """What a person told Pathfinder about themselves in App Home; used for later answers."""

    team_id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(primary_key=True, max_length=32)
    profession: str | None = Field(default=None, max_length=40)
    stage: str | None = Field(default=None, max_length=40)
    stage_year: int | None = None
    band: int | None = None
    region: str | None = Field(default=None, max_length=40)
    nation: str | None = Field(default=None, max_length=40)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts_column())


def claim(engine: Engine, key: str) -> bool:
    """Atomically claim `key`; True for exactly one caller, ever (within the TTL)."""
    table = SlackClaim.__table__  # type: ignore[attr-defined]
    values = {"key": key, "created_at": utcnow()}
    dialect = engine.dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = pg_insert(table).values(**values).on_conflict_do_nothing(index_elements=["key"])
    elif dialect == "sqlite":
        stmt = sqlite_insert(table).values(**values).on_conflict_do_nothing(index_elements=["key"])
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"unsupported database {dialect}")
    with engine.begin() as conn:
        return bool(conn.execute(stmt).rowcount == 1)


def purge_claims(engine: Engine, *, now: datetime | None = None) -> int:
    """Forget claims older than the Slack retry horizon."""
    cutoff = (now or utcnow()) - CLAIM_TTL
    with Session(engine) as session:
        result = session.exec(delete(SlackClaim).where(SlackClaim.created_at < cutoff))  # type: ignore[arg-type]
        session.commit()
        return int(result.rowcount or 0)


def joined_thread(engine: Engine, channel: str, thread_ts: str) -> None:
    with Session(engine) as session:
        if session.get(SlackThread, (channel, thread_ts)) is None:
            session.add(SlackThread(channel=channel, thread_ts=thread_ts))
            try:
                session.commit()
            except Exception:  # noqa: BLE001 - another worker recorded it first
                session.rollback()


def in_thread(engine: Engine, channel: str, thread_ts: str) -> bool:
    with Session(engine) as session:
        return session.get(SlackThread, (channel, thread_ts)) is not None


def record_feedback(
    engine: Engine, *, answer_id: str, team_id: str, user_id: str, helpful: bool
) -> bool:
    """Store (or change) one person's feedback on one answer; False if the answer is unknown."""
    with Session(engine) as session:
        if session.get(AnswerRecord, answer_id) is None:
            return False
        row = session.exec(
            select(Feedback).where(Feedback.answer_id == answer_id, Feedback.user_id == user_id)
        ).first()
        if row is None:
            row = Feedback(answer_id=answer_id, team_id=team_id, user_id=user_id, helpful=helpful)
        row.helpful = helpful
        row.created_at = utcnow()
        session.add(row)
        session.commit()
        return True
