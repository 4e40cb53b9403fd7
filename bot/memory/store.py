"""What the Slack app keeps: claims that make replies exactly-once, answers for feedback,
threads it takes part in, profiles people saved, and conversation turns (so a follow-up in a
thread keeps its context on any replica). Turns are the only message text held; they are
personal data: exported by `/pathfinder my-data`, erased by `forget-me`, and deleted by the
retention job after their period.

A claim is an INSERT that succeeds once: `claim()` returns True to exactly one caller across
threads, retries, the message/app_mention twin and replicas sharing the database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Text, UniqueConstraint, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from bot import db
from bot.advice.reading import Profile
from bot.answering.conversation import MAX_TURNS, Conversation, Turn

CLAIM_TTL = timedelta(hours=26)  # Slack retries for 2 h (25 h with Delayed Events)
PROFILE_MAX_IDLE = timedelta(
    days=180
)  # a saved profile unused (not saved, not used) this long expires


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts_column(*, index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=False, default=utcnow, index=index)


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
    used_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )

    def last_use(self) -> datetime:
        """When the person last saved it or an answer last used it."""
        return max(_aware(self.updated_at), _aware(self.used_at or self.updated_at))


def _aware(value: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; ours are all UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class ConversationTurn(SQLModel, table=True):
    """One question and a summary of its answer, in a thread or a person's command session."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, index=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32, index=True)
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    profile: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts_column(index=True))


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
    # RETURNING, not rowcount: with SQLAlchemy 2.1 and psycopg 3.3 an INSERT's rowcount is -1
    # on PostgreSQL, which made every claim look taken and every message a duplicate.
    stmt = stmt.returning(table.c.key)
    with db.write_session(engine) as session:
        return session.execute(stmt).first() is not None


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


def load_conversation(engine: Engine, key: str) -> Conversation:
    """The newest turns of a thread or command session, oldest first, with the latest profile."""
    with Session(engine) as session:
        rows = session.exec(
            select(ConversationTurn)
            .where(ConversationTurn.key == key[:120])
            .order_by(col(ConversationTurn.id).desc())
            .limit(MAX_TURNS)
        ).all()
    conversation = Conversation()
    for row in reversed(rows):
        conversation.turns.append(Turn(row.question, row.answer))
    latest = next((r.profile for r in rows if r.profile), None)
    if latest:
        conversation.profile = Profile.model_validate(latest)
    return conversation


def save_turn(
    engine: Engine, *, key: str, team_id: str, user_id: str, conversation: Conversation
) -> None:
    """Persist the conversation's newest turn, said by (team_id, user_id)."""
    if not conversation.turns:
        return
    turn = conversation.turns[-1]
    profile = conversation.profile.model_dump(mode="json") if conversation.profile else None
    with Session(engine) as session:
        session.add(
            ConversationTurn(
                key=key[:120],
                team_id=team_id[:32],
                user_id=user_id[:32],
                question=turn.question,
                answer=turn.answer,
                profile=profile,
            )
        )
        session.commit()


def saved_profile(
    engine: Engine,
    *,
    team_id: str,
    user_id: str,
    max_idle: timedelta = PROFILE_MAX_IDLE,
    now: datetime | None = None,
) -> SavedProfile | None:
    """The profile the person saved on App Home, if any and used within `max_idle`."""
    with Session(engine) as session:
        row = session.get(SavedProfile, (team_id[:32], user_id[:32]))
    if row is None or row.last_use() < (now or utcnow()) - max_idle:
        return None  # expired: the retention run deletes it
    return row


def mark_profile_used(
    engine: Engine, *, team_id: str, user_id: str, now: datetime | None = None
) -> bool:
    """Note that an answer used the saved profile (keeps it from expiring); False if none."""
    with db.write_session(engine) as session:
        row = session.get(SavedProfile, (team_id[:32], user_id[:32]))
        if row is None:
            return False
        row.used_at = now or utcnow()
        session.add(row)
        return True


def latest_profile(engine: Engine, *, team_id: str, user_id: str) -> Profile | None:
    """What the person's most recent question told us about them, if anything."""
    with Session(engine) as session:
        row = session.exec(
            select(ConversationTurn)
            .where(
                ConversationTurn.team_id == team_id,
                ConversationTurn.user_id == user_id,
                col(ConversationTurn.profile).is_not(None),
            )
            .order_by(col(ConversationTurn.id).desc())
            .limit(1)
        ).first()
    return Profile.model_validate(row.profile) if row and row.profile else None
