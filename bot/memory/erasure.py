"""An answer in flight when its person runs forget-me is discarded, not saved.

Erasure leaves audit entries naming the person only by their pseudonym (`subject_ref`). A write
that keeps something about a person (a conversation turn, an answer record) asks, inside its own
transaction, whether such an entry is newer than the moment its work began, and keeps nothing if
so. Both sides take the same per-person lock first (PostgreSQL: a transaction advisory lock;
SQLite: BEGIN IMMEDIATE, the database's one write lock), so either the erasure runs after the
save and deletes what it saved, or the save runs after the erasure and sees it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session, col, select

from bot.interests.tables import AuditEntry

ERASURE = "erasure"  # bot.interests.access.Action.ERASURE (that module imports this package)


def subject_ref(team_id: str, user_id: str) -> str:
    """The pseudonym that replaces a person's id on erasure: a hash anyone holding the ids can
    recompute (so an erasure can be shown to have happened), naming nobody by itself."""
    return "erased:" + hashlib.sha256(f"{team_id}:{user_id}".encode()).hexdigest()[:32]


def lock(session: Session, pseudonym: str) -> None:
    """Take the person's lock for the rest of the caller's transaction (PostgreSQL; SQLite's
    write sessions already hold the database's write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"person|{pseudonym}"})  # fmt: skip


def erased_since(session: Session, *, team_id: str, user_id: str, since: datetime) -> bool:
    """True if (team_id, user_id) was erased at or after `since`. Call it in the write
    transaction that would save something about them, before saving."""
    pseudonym = subject_ref(team_id, user_id)
    lock(session, pseudonym)
    found = session.exec(
        select(AuditEntry.id)
        .where(col(AuditEntry.actor) == pseudonym, col(AuditEntry.action) == ERASURE)
        .where(col(AuditEntry.at) >= since)
        .limit(1)
    ).first()
    return found is not None
