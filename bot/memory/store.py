"""What Pathfinder keeps: claims that make replies exactly-once, the answers it gave (so feedback,
Details and Share work on any replica and after a restart), threads it takes part in, profiles
people saved, and conversation turns (so a follow-up keeps its context on any replica). Turns and
answer records are personal data: exported by `/pathfinder my-data`, erased by `forget-me`, and
deleted by the retention job after their period. Every write goes through `db.write_session`.

A conversation belongs to one person: in a shared thread each person has their own key, so
nothing one person said reaches another's profile, history or records.

A claim is an INSERT that succeeds once: `claim()` returns True to exactly one caller across
threads, retries, the message/app_mention twin and replicas sharing the database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Text, UniqueConstraint, delete
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from bot import db
from bot.advice.reading import Profile
from bot.answering.contract import Answer
from bot.answering.conversation import MAX_TURNS, Conversation, Turn
from bot.memory.erasure import erased_since

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
    """One answer as given: what produced it, and the Answer itself for Details and Share."""

    id: str = Field(primary_key=True, max_length=32)
    team_id: str = Field(max_length=32)
    user_id: str = Field(default="", max_length=32, index=True)  # who asked ("" before 0004)
    channel: str = Field(max_length=32)
    responder: str = Field(max_length=32)
    catalogue_version: str = Field(max_length=64)
    prompt_version: str | None = Field(default=None, max_length=64)
    suggestions: str = Field(default="", max_length=400)  # programme ids, comma-separated
    # The Answer (bot.answering.contract), without the question's text.
    document: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts_column(index=True))


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
    shown: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts_column(index=True))


def claim(engine: Engine, key: str) -> bool:
    """Atomically claim `key`; True for exactly one caller, ever (within the TTL)."""
    table = SlackClaim.__table__  # type: ignore[attr-defined]
    stmt = db.insert_ignore(engine, table, {"key": key[:200], "created_at": utcnow()}, ["key"])
    # RETURNING, not rowcount: with SQLAlchemy 2.1 and psycopg 3.3 an INSERT's rowcount is -1
    # on PostgreSQL, which made every claim look taken and every message a duplicate.
    with db.write_session(engine) as session:
        return session.execute(stmt.returning(table.c.key)).first() is not None


def claimed(engine: Engine, key: str) -> bool:
    """Whether `key` has been claimed (within the TTL)."""
    with Session(engine) as session:
        return session.get(SlackClaim, key[:200]) is not None


def purge_claims(engine: Engine, *, now: datetime | None = None) -> int:
    """Forget claims older than the Slack retry horizon."""
    cutoff = (now or utcnow()) - CLAIM_TTL
    with db.write_session(engine) as session:
        result = session.exec(delete(SlackClaim).where(SlackClaim.created_at < cutoff))  # type: ignore[arg-type]
        return int(result.rowcount or 0)


def joined_thread(engine: Engine, channel: str, thread_ts: str) -> bool:
    """Join a thread; True if this call joined it, False if it was ours already (RETURNING, as in
    claim: rowcount is not reliable on PostgreSQL)."""
    table = SlackThread.__table__  # type: ignore[attr-defined]
    values = {"channel": channel[:32], "thread_ts": thread_ts[:32], "created_at": utcnow()}
    stmt = db.insert_ignore(engine, table, values, ["channel", "thread_ts"]).returning(table.c.channel)
    with db.write_session(engine) as session:
        return session.execute(stmt).first() is not None


def left_thread(engine: Engine, channel: str, thread_ts: str) -> None:
    """Forget a thread joined for an answer that could not be posted."""
    with db.write_session(engine) as session:
        found = session.get(SlackThread, (channel[:32], thread_ts[:32]))
        if found is not None:
            session.delete(found)


def in_thread(engine: Engine, channel: str, thread_ts: str) -> bool:
    with Session(engine) as session:
        return session.get(SlackThread, (channel, thread_ts)) is not None


def remember_answer(
    engine: Engine,
    answer: Answer,
    *,
    answer_id: str,
    team_id: str,
    user_id: str,
    channel: str,
    started: datetime | None = None,
) -> bool:
    """Keep the answer given (without the question's words) for feedback, Details and Share;
    False (nothing kept) if the person was erased after `started`, while it was being composed."""
    document = answer.model_dump(mode="json", exclude={"question", "answer"})
    with db.write_session(engine) as session:
        if started is not None and erased_since(session, team_id=team_id, user_id=user_id, since=started):  # fmt: skip
            return False
        session.add(
            AnswerRecord(
                id=answer_id,
                team_id=team_id[:32],
                user_id=user_id[:32],
                channel=channel[:32],
                responder=answer.responder[:32],
                catalogue_version=answer.catalogue_version[:64],
                prompt_version=answer.prompt_version,
                suggestions=",".join(s.id for s in answer.suggestions)[:400],
                document=document,
            )
        )
    return True


def answer_record(engine: Engine, answer_id: str) -> tuple[AnswerRecord, Answer] | None:
    """A stored answer and its Answer, or None if unknown, erased or from before 0004."""
    if not answer_id or len(answer_id) > 32:
        return None
    with Session(engine) as session:
        row = session.get(AnswerRecord, answer_id)
    if row is None or not row.document:
        return None
    return row, Answer.model_validate({"question": "", "answer": "", **row.document})


def record_feedback(
    engine: Engine, *, answer_id: str, team_id: str, user_id: str, helpful: bool
) -> bool:
    """Store (or change) one person's feedback on one answer; False if the answer is unknown."""
    with db.write_session(engine) as session:
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
        return True


def load_conversation(engine: Engine, key: str) -> Conversation:
    """One person's newest turns in a thread or command session, oldest first, with the latest
    profile they gave there."""
    with Session(engine) as session:
        rows = session.exec(
            select(ConversationTurn)
            .where(ConversationTurn.key == key[:120])
            .order_by(col(ConversationTurn.id).desc())
            .limit(MAX_TURNS)
        ).all()
    conversation = Conversation()
    for row in reversed(rows):
        conversation.turns.append(Turn(row.question, row.answer, tuple(row.shown or ())))
    latest = next((r.profile for r in rows if r.profile), None)
    if latest:
        conversation.profile = Profile.model_validate(latest)
    return conversation


def save_turn(
    engine: Engine,
    *,
    key: str,
    team_id: str,
    user_id: str,
    conversation: Conversation,
    started: datetime | None = None,
) -> bool:
    """Persist the conversation's newest turn, said by (team_id, user_id); False (nothing kept)
    if there is none, or the person was erased after `started`, while it was being answered."""
    if not conversation.turns:
        return False
    turn = conversation.turns[-1]
    profile = conversation.profile.model_dump(mode="json") if conversation.profile else None
    with db.write_session(engine) as session:
        if started is not None and erased_since(session, team_id=team_id, user_id=user_id, since=started):  # fmt: skip
            return False
        session.add(
            ConversationTurn(
                key=key[:120],
                team_id=team_id[:32],
                user_id=user_id[:32],
                question=turn.question,
                answer=turn.answer,
                profile=profile,
                shown=list(turn.shown),
            )
        )
    return True


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


def save_profile(engine: Engine, *, team_id: str, user_id: str, values: dict[str, Any]) -> None:
    """Create or replace the person's saved profile with `values` (SavedProfile fields)."""
    with db.write_session(engine) as session:
        row = session.get(SavedProfile, (team_id[:32], user_id[:32])) or SavedProfile(
            team_id=team_id[:32], user_id=user_id[:32]
        )
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        session.add(row)


def profile_of(saved: SavedProfile | None) -> Profile | None:
    """A saved profile as the reader's Profile (None if nothing is saved)."""
    if saved is None:
        return None
    return Profile(
        profession=saved.profession,
        stage=saved.stage,
        stage_year=saved.stage_year,
        band=saved.band,
        region=saved.region,
        nation=saved.nation or ("England" if saved.region else None),
    )


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
