"""The interest log's consent text and catalogue look-ups, and the engine-shaped entry points the
Slack layer calls today. Each of those runs one function of bot/interests/registry.py (which
takes an explicit session) in a write session of its own; new code should call the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.catalogue.tables import Network, Programme
from bot.db import write_session
from bot.interests import registry
from bot.interests.access import Actor, Denied
from bot.interests.display import (
    CSV_COLUMNS,
    FORMULA_START,
    export_row,
    safe_cell,
    to_csv,
)
from bot.interests.registry import (
    Change,
    Export,
    InterestCreate,
    Queue,
    Recorded,
    StatusResult,
)
from bot.interests.tables import Interest

# The CSV helpers' and the registry's result types' old home, for callers of this module.
__all__ = [
    "CONSENT_VERSION", "CSV_COLUMNS", "FORMULA_START", "Change", "Export", "InterestCreate",
    "Queue", "Recorded", "StatusResult", "consent_text", "export", "export_row", "network_for",
    "own_interests", "programme_name", "queue", "record_interest", "safe_cell", "set_status",
    "to_csv", "withdraw",
]  # fmt: skip
CONSENT_VERSION = "2026-11-v1"


def network_for(engine: Engine, region: str) -> Network | None:
    """The regional ISDN interests in `region` go to (never the unidentified eighth network)."""
    with Session(engine) as session:
        return session.exec(
            select(Network).where(Network.region == region).order_by(col(Network.id))
        ).first()


def programme_name(engine: Engine, programme_id: str) -> str | None:
    with Session(engine) as session:
        row = session.get(Programme, programme_id)
        return row.name if row else None


def consent_text(*, network: str, region: str, retention_days: int) -> str:
    """The notice shown before consent; its wording is versioned by CONSENT_VERSION."""
    return (
        f"*Why:* so that the coordinator of {network} ({region}) can contact you about this "
        "programme and about support in your region. It is used for nothing else.\n"
        "*What is stored:* your Slack name and id, the profession, grade and region you confirm "
        "below, the programme, the network, the time you registered and the follow-up status. "
        "Nothing you wrote to me and nothing from our conversation.\n"
        f"*Who sees it:* only that region's coordinators. *How long:* {retention_days} days after "
        "your last update, then deleted automatically.\n"
        "*Changing your mind:* withdraw it on my Home tab at any time; `/pathfinder my-data` "
        "sends you everything I hold about you and `/pathfinder forget-me` erases it."
    )


def record_interest(engine: Engine, *, draft: InterestCreate) -> Recorded:
    """registry.record in a write session of its own."""
    with write_session(engine) as session:
        return registry.record(session=session, draft=draft)


def own_interests(engine: Engine, *, team_id: str, user_id: str) -> Sequence[Interest]:
    """registry.own_interests in a session of its own."""
    with Session(engine) as session:
        rows = registry.own_interests(session=session, team_id=team_id, user_id=user_id)
        for row in rows:
            session.expunge(row)
        return rows


def withdraw(engine: Engine, *, team_id: str, user_id: str, programme_id: str) -> bool:
    """registry.withdraw in a write session of its own."""
    with write_session(engine) as session:
        return registry.withdraw(session=session, team_id=team_id, user_id=user_id,
                                 programme_id=programme_id)  # fmt: skip


def queue(
    engine: Engine,
    *,
    actor: Actor,
    region: str | None = None,
    programme: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> Queue:
    """registry.queue in a write session of its own (raises Denied)."""
    with write_session(engine) as session:
        return registry.queue(session=session, actor=actor, region=region, programme=programme,
                              status=status, limit=limit)  # fmt: skip


def set_status(
    engine: Engine, *, actor: Actor, interest_id: int, status: str, expected: str | None = None
) -> Interest:
    """registry.set_status in a write session of its own, in the old shape: the row, or Denied
    for anything but a change made or already in place (call the registry for the reason)."""
    with write_session(engine) as session:
        result = registry.set_status(session=session, actor=actor, interest_id=interest_id,
                                     status=status, expected=expected)  # fmt: skip
    if result.outcome not in (Change.CHANGED, Change.UNCHANGED) or result.interest is None:
        raise Denied()
    return result.interest


def export(
    engine: Engine,
    *,
    actor: Actor,
    region: str | None = None,
    deliver: Callable[[Export], bool] | None = None,
) -> Export:
    """registry.export in a write session of its own (raises Denied, or registry.Undelivered
    when `deliver` fails: then nothing is audited as exported)."""
    with write_session(engine) as session:
        return registry.export(session=session, actor=actor, region=region, deliver=deliver)
