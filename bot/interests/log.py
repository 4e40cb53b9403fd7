"""The interest log: consented capture, the coordinators' queue, status changes and export.

Capture is only ever the result of a person ticking the consent box in the registration modal:
nothing here is reachable from message text or from what a model says. Registering again
updates the one row for that person and programme.

Review is by region: every read and write takes a `Grant` from `access.authorise` and filters
by its regions in the query itself.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.catalogue.tables import Network, Programme
from bot.db import write_session
from bot.interests.access import Action, Actor, Grant, audited, authorise, refuse
from bot.interests.tables import Interest, InterestBase, Status, utcnow

CONSENT_VERSION = "2026-11-v1"
Outcome = Literal["created", "updated", "unchanged"]
CSV_COLUMNS = [
    "id", "registered_at", "updated_at", "region", "network", "programme_id", "programme",
    "display_name", "slack_user_id", "profession", "grade", "status", "status_by", "status_at",
    "consent_version",
]  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class InterestCreate(InterestBase):
    """What the registration modal submits, after validation; ids from the verified payload."""


@dataclass(frozen=True)
class Recorded:
    outcome: Outcome
    interest: Interest


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
    """Insert, or update the existing row for this person and programme. Safe to race: the
    unique key decides, and read-then-write runs under the write lock."""
    values = draft.model_dump()
    now = utcnow()
    table = Interest.__table__  # type: ignore[attr-defined]
    insert: Any = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(table)
        .values(**values, status=Status.NEW.value, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["team_id", "user_id", "programme_id"])
        .returning(table.c.id)  # a row back only if this insert made it (rowcount varies by driver)
    )
    with write_session(engine) as session:
        created = session.connection().execute(stmt).first() is not None
        query = select(Interest).where(
            Interest.team_id == draft.team_id,
            Interest.user_id == draft.user_id,
            Interest.programme_id == draft.programme_id,
        )
        if engine.dialect.name == "postgresql":
            query = query.with_for_update()
        row = session.exec(query).one()
        outcome: Outcome = "created"
        if not created:
            changed = {k: v for k, v in values.items() if getattr(row, k) != v}
            for key, value in changed.items():
                setattr(row, key, value)
            row.updated_at = now  # registering again renews the consent and its retention
            session.add(row)
            outcome = "updated" if changed else "unchanged"
        session.flush()
        session.refresh(row)
        session.expunge(row)
    return Recorded(outcome=outcome, interest=row)


def own_interests(engine: Engine, *, team_id: str, user_id: str) -> Sequence[Interest]:
    """A person's own interests (for their App Home and my-data): no grant needed, by identity."""
    with Session(engine) as session:
        return session.exec(
            select(Interest)
            .where(Interest.team_id == team_id, Interest.user_id == user_id)
            .order_by(col(Interest.created_at))
        ).all()


def withdraw(engine: Engine, *, team_id: str, user_id: str, programme_id: str) -> bool:
    """Delete a person's own interest in a programme; True if there was one."""
    with write_session(engine) as session:
        row = session.exec(
            select(Interest).where(
                Interest.team_id == team_id,
                Interest.user_id == user_id,
                Interest.programme_id == programme_id,
            )
        ).first()
        if row is None:
            return False
        session.delete(row)
        return True


@dataclass(frozen=True)
class Queue:
    grant: Grant
    rows: list[Interest]
    total: int  # matching rows, of which `rows` is the first page
    programmes: list[str]  # programme ids with interests in the caller's regions (for filters)


def queue(
    engine: Engine,
    *,
    actor: Actor,
    region: str | None = None,
    programme: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> Queue:
    """A coordinator's queue, newest first, filtered; audited per region with the count shown."""
    grant = authorise(engine, actor=actor, action=Action.VIEW, region=region)
    scope = col(Interest.region).in_(sorted(grant.regions))
    query = select(Interest).where(scope)
    if programme:
        query = query.where(Interest.programme_id == programme)
    if status in {s.value for s in Status}:
        query = query.where(Interest.status == status)
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = list(
            session.exec(
                query.order_by(col(Interest.created_at).desc(), col(Interest.id).desc()).limit(
                    limit
                )
            ).all()
        )
        programmes = sorted(
            session.exec(select(Interest.programme_id).where(scope).distinct()).all()
        )
    for each in sorted(grant.regions):
        audited(grant, engine, region=each, row_count=sum(r.region == each for r in rows))
    return Queue(grant=grant, rows=rows, total=int(total), programmes=programmes)


def set_status(engine: Engine, *, actor: Actor, interest_id: int, status: str) -> Interest:
    """Move an interest along new -> contacted -> closed (or back). The row's own region decides:
    an id from another region is refused exactly like a missing one, and audited."""
    if status not in {s.value for s in Status}:
        raise ValueError(f"status must be one of {', '.join(s.value for s in Status)}")
    grant = authorise(engine, actor=actor, action=Action.STATUS)
    with write_session(engine) as session:
        row = session.exec(
            select(Interest).where(
                Interest.id == interest_id, col(Interest.region).in_(sorted(grant.regions))
            )
        ).first()
        if row is not None:
            row.status = status
            row.status_by = (actor.user_id or actor.ref)[:32]
            row.status_at = utcnow()
            session.add(row)
            session.flush()
            session.refresh(row)
            session.expunge(row)
    if row is None:
        refuse(engine, actor, Action.STATUS, grant.correlation)
    audited(grant, engine, region=row.region, row_count=1)
    return row


@dataclass(frozen=True)
class Export:
    grant: Grant
    rows: list[dict[str, Any]]

    def csv(self) -> str:
        return to_csv(self.rows)


def export(engine: Engine, *, actor: Actor, region: str | None = None) -> Export:
    """Every interest in the caller's regions (or one of them), oldest first; audited per region."""
    grant = authorise(engine, actor=actor, action=Action.EXPORT, region=region)
    with Session(engine) as session:
        names = {p.id: p.name for p in session.exec(select(Programme)).all()}
        rows = session.exec(
            select(Interest)
            .where(col(Interest.region).in_(sorted(grant.regions)))
            .order_by(col(Interest.region), col(Interest.created_at), col(Interest.id))
        ).all()
        out = [export_row(r, names) for r in rows]
    for each in sorted(grant.regions):
        audited(grant, engine, region=each, row_count=sum(r["region"] == each for r in out))
    return Export(grant=grant, rows=out)


def export_row(row: Interest, names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "registered_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "region": row.region,
        "network": row.network_id,
        "programme_id": row.programme_id,
        "programme": names.get(row.programme_id, row.programme_id),
        "display_name": row.display_name,
        "slack_user_id": row.user_id,
        "profession": row.profession or "",
        "grade": row.grade or "",
        "status": row.status,
        "status_by": row.status_by or "",
        "status_at": _iso(row.status_at),
        "consent_version": row.consent_version,
    }


def _iso(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: text starting = + - @ tab or CR gets a leading '."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] = CSV_COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return buffer.getvalue()
