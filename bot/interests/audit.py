"""The audit trail: who did what to the interest log, when, to which interest (by id), the change
from -> to, in which region, to how many rows, and whether it was allowed. Never interest data.

A permitted change appends its entry to the caller's session, so both commit together. A refusal
is kept in its own transaction (`refusal`), after the refused work is rolled back. Refusals are
counted, not stored without bound: each person gets REFUSALS_IN_FULL entries per action and hour,
then one counted entry for that hour whose `occurrences` grows, so a flood of refused requests
leaves the real entries readable. Reads come in pages that say whether more exist.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.db import IMMEDIATE, write_session
from bot.interests.tables import AuditEntry, utcnow

REFUSALS_IN_FULL = 20  # per person, action and hour; then counted in one entry
BUCKET = timedelta(hours=1)
PAGE = 500


def correlation_id() -> str:
    return secrets.token_hex(8)


def entry(
    *,
    actor: str,
    action: str,
    outcome: str,
    region: str | None = None,
    row_count: int = 0,
    correlation: str | None = None,
    at: datetime | None = None,
    subject: str | None = None,
    interest_id: int | None = None,
    field: str | None = None,
    from_value: str | None = None,
    to_value: str | None = None,
) -> AuditEntry:
    """A new entry, every text clipped to its column."""
    return AuditEntry(
        at=at or utcnow(),
        actor=actor[:80],
        action=action[:32],
        region=region[:40] if region else None,
        row_count=row_count,
        outcome=outcome[:16],
        correlation_id=(correlation or correlation_id())[:32],
        subject=subject[:80] if subject else None,
        interest_id=interest_id,
        field=field[:16] if field else None,
        from_value=from_value[:40] if from_value else None,
        to_value=to_value[:40] if to_value else None,
    )


def append(session: Session, **values: Any) -> AuditEntry:
    """Add an entry to the caller's transaction (it commits with the change it records)."""
    row = entry(**values)
    session.add(row)
    return row


def record(engine: Engine, **values: Any) -> AuditEntry:
    """Append one entry in its own transaction (committed at once)."""
    with write_session(engine) as session:
        row = append(session, **values)
        session.flush()
        session.refresh(row)
        session.expunge(row)
    return row


def refusal(
    session: Session,
    *,
    actor: str,
    action: str,
    correlation: str,
    region: str | None = None,
    interest_id: int | None = None,
    at: datetime | None = None,
) -> None:
    """Record a refusal in a transaction of its own on `session` (call it after rolling back):
    in full for the person's first REFUSALS_IN_FULL of this action this hour, then counted."""
    at = at or utcnow()
    bucket = at.replace(minute=0, second=0, microsecond=0)
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={IMMEDIATE: True})  # the write lock, before reading
    else:
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"{actor}|{action}"}
        )
    counted = session.execute(
        update(AuditEntry)
        .where(
            col(AuditEntry.actor) == actor[:80],
            col(AuditEntry.action) == action[:32],
            col(AuditEntry.outcome) == "denied",
            col(AuditEntry.bucket) == bucket,
        )
        .values(  # last_at only moves forward: writers take the lock in any order
            occurrences=col(AuditEntry.occurrences) + 1,
            last_at=case((col(AuditEntry.last_at) < at, at), else_=col(AuditEntry.last_at)),
        )
        .execution_options(synchronize_session=False)
    )
    if not getattr(counted, "rowcount", 0):
        in_full = session.exec(
            select(func.count()).where(
                col(AuditEntry.actor) == actor[:80],
                col(AuditEntry.action) == action[:32],
                col(AuditEntry.outcome) == "denied",
                col(AuditEntry.bucket).is_(None),
                col(AuditEntry.at) >= bucket,
            )
        ).one()
        row = entry(actor=actor, action=action, outcome="denied", correlation=correlation, at=at,
                    region=region, interest_id=interest_id)  # fmt: skip
        if in_full >= REFUSALS_IN_FULL:  # the first of the counted ones: no detail kept
            row.region, row.interest_id, row.bucket, row.last_at = None, None, bucket, at
        session.add(row)
    session.commit()


@dataclass(frozen=True)
class Page:
    """Entries newest first; `truncated` says more match, `next_before` asks for them."""

    entries: list[AuditEntry]
    truncated: bool
    next_before: int | None

    def __iter__(self) -> Iterator[AuditEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def page(
    session: Session,
    *,
    since: datetime | None = None,
    action: str | None = None,
    actor: str | None = None,
    before: int | None = None,
    limit: int = PAGE,
) -> Page:
    """One page of entries, newest (highest id) first, filtered; callers authorise first."""
    query = select(AuditEntry)
    if since is not None:
        query = query.where(col(AuditEntry.at) >= since)
    if action:
        query = query.where(col(AuditEntry.action) == action)
    if actor:
        query = query.where(col(AuditEntry.actor) == actor)
    if before is not None:
        query = query.where(col(AuditEntry.id) < before)
    found = list(session.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit + 1)).all())
    more = len(found) > limit
    rows = found[:limit]
    return Page(entries=rows, truncated=more, next_before=rows[-1].id if more and rows else None)


def everything(session: Session, **filters: Any) -> list[AuditEntry]:
    """Every matching entry, newest first, read page by page."""
    out: list[AuditEntry] = []
    before: int | None = None
    while True:
        found = page(session, before=before, limit=5_000, **filters)
        out += found.entries
        if not found.truncated:
            return out
        before = found.next_before


def entries(engine: Engine, **filters: Any) -> Sequence[AuditEntry]:
    """Every matching entry, newest first (no authorisation: for tests and the operator)."""
    with Session(engine) as session:
        return everything(session, **filters)
