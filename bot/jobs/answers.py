"""Where a question is answered after Bolt has acked: in this process (SQLite, the embedded
default), or on the durable queue that `pathfinder worker` processes run (PostgreSQL: bot/jobs/queue.py).
bot/app.py chooses; listeners only see `Answers`.

An `AnswerRequest` is everything an answer needs and nothing more: the question's text, the
asker's ids, and where the message was and the reply goes. On PostgreSQL it is a job's arguments,
so the register of personal data (bot/memory/queued.py) finds it by `team_id` and `user_id`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from bot.jobs.local import WorkerPool


class AnswerRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str  # the question, mentions removed
    team_id: str  # the asker's organisation key (enterprise on Grid, else workspace)
    user_id: str
    channel: str
    ts: str  # the message asked in
    thread_ts: str | None = None  # the thread it was asked in, if any
    dm: bool = False
    placeholder: str | None = None  # the "Checking the catalogue…" message to replace, if posted
    # When it arrived: if the person runs forget-me after this, nothing of it is kept.
    asked_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @property
    def question_id(self) -> str:
        """The message's identity in Slack: one question, however often it is delivered or run."""
        return f"{self.channel}:{self.ts}"


Handler = Callable[[AnswerRequest], None]


class Answers(Protocol):
    def bind(self, handler: Handler, abandon: Handler | None = None) -> None:
        """What answers a request where this dispatcher runs it (set by the Slack app), and what
        tells the person when a shutdown means it will never be answered here."""

    def waiting(self) -> int:
        """How many questions are waiting to be started."""

    def submit(self, request: AnswerRequest) -> int | None:
        """Hand the request over; its place in the queue (0: starts now), None if refused."""

    def close(self) -> None: ...


class InProcess:
    """Answers on this process's bounded worker pool: fast, and lost if the process dies."""

    def __init__(self, pool: WorkerPool) -> None:
        self._pool = pool
        self._handler: Handler | None = None
        self._abandon: Handler | None = None

    def bind(self, handler: Handler, abandon: Handler | None = None) -> None:
        self._handler, self._abandon = handler, abandon

    def waiting(self) -> int:
        return self._pool.waiting()

    def submit(self, request: AnswerRequest) -> int | None:
        handler = self._handler
        if handler is None:
            raise RuntimeError("no answer handler bound")
        abandon = self._abandon
        return self._pool.submit(
            lambda: handler(request), abandon=(lambda: abandon(request)) if abandon else None
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False)
