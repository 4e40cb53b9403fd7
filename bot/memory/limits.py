"""Limits every replica shares, kept in the database: each person's questions per minute, and the
LLM budget (calls per minute and tokens per day, for everyone together).

Each limit is a counter per key and window (a minute, a UTC day). Taking from it is one statement,
INSERT … ON CONFLICT DO UPDATE … WHERE used + n <= limit RETURNING, so two replicas (or threads)
taking the last unit at once cannot both get it, on SQLite and PostgreSQL alike. Windows are fixed
(calendar minutes, UTC days): someone may fit two minutes' allowance into the seconds either side
of a minute's turn, never more. Expired rows are deleted as windows turn (at most once a minute
per process) and by the retention run. A person's counter is keyed to them ("person:team:user"),
so it is in the register of personal data (bot/memory/personal.py): my-data shows it, forget-me
deletes it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, DateTime, delete
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col

from bot import db

MINUTE = 60
DAY = 86_400
PERSON = "person:"  # + "team:user"
LLM_CALLS = "llm:calls"
LLM_TOKENS = "llm:tokens"


class UsageCounter(SQLModel, table=True):
    """How much of one limit one key has used in one window."""

    key: str = Field(primary_key=True, max_length=120)
    window_start: int = Field(sa_column=Column(BigInteger, primary_key=True))  # unix seconds
    used: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    expires_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )


class Counters:
    """Fixed-window counters in the database, pruned as windows turn."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._clock = clock
        self._pruned_at = 0.0
        self._lock = threading.Lock()

    def take(self, key: str, *, window: int, limit: int, amount: int = 1) -> bool:
        """Add `amount` to `key`'s count in the current window if that keeps it within `limit`
        (0: no limit); True if taken. Atomic across threads and replicas."""
        if limit and amount > limit:
            return False
        now = self._clock()
        start = int(now // window * window)
        table = UsageCounter.__table__  # type: ignore[attr-defined]
        values = {"key": key[:120], "window_start": start, "used": amount,
                  "expires_at": datetime.fromtimestamp(start + window, UTC)}  # fmt: skip
        stmt = db.upsert_add(self._engine, table, values, keys=["key", "window_start"],
                             column="used", limit=limit or None)  # fmt: skip
        with db.write_session(self._engine) as session:
            taken = session.execute(stmt.returning(table.c.used)).first() is not None
            self._prune(session, now)
        return taken

    def used(self, key: str, *, window: int) -> int:
        """`key`'s count in the current window."""
        start = int(self._clock() // window * window)
        with Session(self._engine) as session:
            row = session.get(UsageCounter, (key[:120], start))
        return row.used if row else 0

    def _prune(self, session: Session, now: float) -> None:
        """Delete expired counters, at most once a minute per process."""
        with self._lock:
            if now - self._pruned_at < MINUTE:
                return
            self._pruned_at = now
        cutoff = datetime.fromtimestamp(now, UTC)
        session.execute(delete(UsageCounter).where(col(UsageCounter.expires_at) < cutoff))


def person_counter(key: str) -> str:
    """The counter of the person `key` ("team:user", the team being person_key's)."""
    return PERSON + key


class RateLimiter:
    """At most `limit` questions per person per minute, across every replica on the database."""

    def __init__(
        self, engine: Engine, *, limit: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._counters = Counters(engine, clock=clock)
        self._limit = limit

    def allow(self, key: str) -> bool:
        """Count a question from `key` ("team:user"); False if they are over the limit."""
        return self._counters.take(person_counter(key), window=MINUTE, limit=self._limit)


class LLMBudget:
    """Calls per minute and tokens per UTC day for the whole deployment (0: unlimited). A call
    is refused once the day's tokens reach the limit; calls already under way may pass it by
    their own tokens, which are only known when they return."""

    def __init__(
        self,
        engine: Engine,
        *,
        calls_per_minute: int,
        tokens_per_day: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._counters = Counters(engine, clock=clock)
        self.calls_per_minute = calls_per_minute
        self.tokens_per_day = tokens_per_day

    def take_call(self) -> bool:
        """Reserve one call now; False if today's tokens or this minute's calls are spent."""
        if self.tokens_per_day and self._counters.used(LLM_TOKENS, window=DAY) >= self.tokens_per_day:
            return False
        return self._counters.take(LLM_CALLS, window=MINUTE, limit=self.calls_per_minute)

    def spend(self, tokens: int) -> None:
        """Count the tokens a call used (its usage, as the server reported it)."""
        if tokens > 0:
            self._counters.take(LLM_TOKENS, window=DAY, limit=0, amount=tokens)
