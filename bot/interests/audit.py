"""The audit trail: who did what to the interest log, when, in which region, to how many rows,
and whether it was allowed. Entries are written in their own transaction (a refusal is kept even
when the work it refused is rolled back) and never hold interest data."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.interests.tables import AuditEntry, utcnow


def correlation_id() -> str:
    return secrets.token_hex(8)


def record(
    engine: Engine,
    *,
    actor: str,
    action: str,
    outcome: str,
    region: str | None = None,
    row_count: int = 0,
    correlation: str | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry (committed at once)."""
    entry = AuditEntry(
        at=at or utcnow(),
        actor=actor[:80],
        action=action[:32],
        region=region[:40] if region else None,
        row_count=row_count,
        outcome=outcome[:16],
        correlation_id=(correlation or correlation_id())[:32],
    )
    with Session(engine) as session:
        session.add(entry)
        session.commit()
        session.refresh(entry)
    return entry


def entries(
    engine: Engine,
    *,
    since: datetime | None = None,
    action: str | None = None,
    actor: str | None = None,
    limit: int = 500,
) -> Sequence[AuditEntry]:
    """The newest entries first, filtered; callers authorise (governance) before calling."""
    query = select(AuditEntry)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    query = query.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc()).limit(limit)
    with Session(engine) as session:
        return session.exec(query).all()
