"""What the Slack listeners share: built once by `create_app`, passed to each `register`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from bot.answering.service import Pathfinder
from bot.slack.worker import RateLimiter, WorkerPool


@dataclass
class Services:
    service: Pathfinder
    engine: Engine
    workers: WorkerPool
    limiter: RateLimiter
    bot_user_id: str
    shared: dict[str, tuple[str, list[dict[str, Any]]]]
    interest_retention_days: int = 365
    coordinator_channels: dict[str, str] = field(default_factory=dict)
