"""Exactly one reply per message: before any work an event is claimed by its `event_id` (Slack's
retries) and by `(channel, ts)` (the message / app_mention twin, and replicas sharing one
database). Threads Pathfinder has answered in are remembered, so follow-ups need no mention."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.memory.store import claim, in_thread, joined_thread, left_thread

__all__ = ["first_delivery", "in_thread", "joined_thread", "left_thread"]


def first_delivery(engine: Engine, *, event_id: str | None, channel: str, ts: str) -> bool:
    """True for exactly one delivery of one message, across retries, twins and replicas."""
    if event_id and not claim(engine, f"event:{event_id}"):
        return False  # a retry of a delivery already being answered
    return claim(engine, f"msg:{channel}:{ts}")
