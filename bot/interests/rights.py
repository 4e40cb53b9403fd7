"""People's rights over what Pathfinder holds about them, and retention.

Everything personal is keyed by Slack (team id, user id): interests, the saved profile,
feedback, conversation turns, and audit entries the person caused themselves. `subject_data`
gathers all of it (a subject access request answered at once); `erase` deletes all of it and
appends one "erasure performed" entry that names the person only by a one-way hash, so the
organisation can show the erasure happened without keeping who it was for.

Someone who holds a role keeps it, and the audit trail of what they did with it: that record
belongs to the organisation's accountability, and an admin removes roles.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.interests import audit
from bot.interests.access import Actor
from bot.interests.tables import AuditEntry, Interest, Role, utcnow
from bot.memory.store import (
    CLAIM_TTL,
    AnswerRecord,
    ConversationTurn,
    Feedback,
    SavedProfile,
    SlackClaim,
)

PERSONAL_TABLES: tuple[Any, ...] = (Interest, SavedProfile, Feedback, ConversationTurn, AnswerRecord)


def subject_ref(team_id: str, user_id: str) -> str:
    """How an erasure entry names its subject: a hash anyone holding the ids can recompute."""
    return "erased:" + hashlib.sha256(f"{team_id}:{user_id}".encode()).hexdigest()[:32]


def subject_data(engine: Engine, *, team_id: str, user_id: str) -> dict[str, Any]:
    """Everything held about one person, as plain JSON-ready data. Audited (subject access)."""
    actor = Actor.slack(team_id, user_id)
    data: dict[str, Any] = {
        "generated_at": utcnow().isoformat(timespec="seconds"),
        "slack_team_id": team_id,
        "slack_user_id": user_id,
    }
    with Session(engine) as session:
        for table in PERSONAL_TABLES:
            rows = session.exec(
                select(table).where(table.team_id == team_id, table.user_id == user_id)
            ).all()
            data[table.__tablename__] = [_plain(r) for r in rows]
        data["roles"] = [
            _plain(r)
            for r in session.exec(
                select(Role).where(Role.team_id == team_id, Role.user_id == user_id)
            ).all()
        ]
        data["audit_entries_you_caused"] = [
            _plain(r)
            for r in session.exec(select(AuditEntry).where(AuditEntry.actor == actor.ref)).all()
        ]
    held = sum(len(v) for v in data.values() if isinstance(v, list))
    audit.record(engine, actor=actor.ref, action="subject_access", outcome="ok", row_count=held)
    return data


def _plain(row: Any) -> dict[str, Any]:
    return {
        k: (v.isoformat(timespec="seconds") if isinstance(v, datetime) else v)
        for k, v in row.model_dump().items()
    }


@dataclass(frozen=True)
class Erased:
    rows: dict[str, int]
    kept_role: bool

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def erase(engine: Engine, *, team_id: str, user_id: str) -> Erased:
    """Delete everything held about one person, in one transaction; then audit it by hash."""
    actor = Actor.slack(team_id, user_id)
    counts: dict[str, int] = {}
    with Session(engine) as session:
        for table in PERSONAL_TABLES:
            result = session.exec(
                delete(table).where(table.team_id == team_id, table.user_id == user_id)
            )
            counts[table.__tablename__] = int(result.rowcount or 0)
        kept_role = (
            session.exec(
                select(Role).where(Role.team_id == team_id, Role.user_id == user_id)
            ).first()
            is not None
        )
        if not kept_role:
            result = session.exec(delete(AuditEntry).where(col(AuditEntry.actor) == actor.ref))
            counts["auditentry"] = int(result.rowcount or 0)
        session.commit()
    audit.record(
        engine,
        actor=subject_ref(team_id, user_id),
        action="erasure",
        outcome="ok",
        row_count=sum(counts.values()),
    )
    return Erased(rows=counts, kept_role=kept_role)


@dataclass(frozen=True)
class Periods:
    interests: timedelta
    conversations: timedelta
    audit: timedelta


def retention_run(
    engine: Engine, *, periods: Periods, now: datetime | None = None
) -> dict[str, int]:
    """Delete what has outlived its period: interests (since last update), conversation turns,
    answer records and feedback, old dedup claims, and audit entries past the audit period."""
    now = now or utcnow()
    plan: list[tuple[Any, Any]] = [
        (Interest, col(Interest.updated_at) < now - periods.interests),
        (ConversationTurn, col(ConversationTurn.created_at) < now - periods.conversations),
        (Feedback, col(Feedback.created_at) < now - periods.conversations),
        (AnswerRecord, col(AnswerRecord.created_at) < now - periods.conversations),
        (SlackClaim, col(SlackClaim.created_at) < now - CLAIM_TTL),
        (AuditEntry, col(AuditEntry.at) < now - periods.audit),
    ]
    counts: dict[str, int] = {}
    with Session(engine) as session:
        for table, expired in plan:
            result = session.exec(delete(table).where(expired))
            counts[table.__tablename__] = int(result.rowcount or 0)
        session.commit()
    audit.record(
        engine,
        actor="system:retention",
        action="retention",
        outcome="ok",
        row_count=sum(counts.values()),
        at=now,
    )
    return counts
