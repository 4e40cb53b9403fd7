"""Services: what every front door (CLI, Slack, the job worker, the eval) is handed.

Built once by `bot.app.build`; nothing here builds anything, so listeners and jobs can import it
without a circle back to the composition root.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.answering.service import Pathfinder
from bot.jobs.answers import Answers
from bot.jobs.local import WorkerPool
from bot.memory.limits import RateLimiter
from bot.settings import Settings


@dataclass
class Services:
    settings: Settings
    engine: Engine
    pathfinder: Pathfinder
    workers: WorkerPool  # in-process work: slash-command answers, and messages on SQLite
    limiter: RateLimiter
    answers: Answers  # where message answers run: this process (SQLite) or the queue (PostgreSQL)

    def close(self) -> None:
        self.answers.close()
        self.workers.shutdown(wait=False)
