"""The interest log's data functions: record, withdraw, a person's own interests, the coordinators'
queue, status changes and export. Each takes the caller's `session` and commits its own unit of
work: a permitted change and its audit entry together, in one transaction. A refusal rolls the
caller's transaction back and is committed on its own (bot/interests/access.py).

Capture is only ever the result of a person ticking the consent box in the registration modal.
One row per person and programme: registering again updates it; re-registering a closed interest
reopens it; choosing another region is a new routing (status back to new, for the new region's
coordinators). Every change is audited with the interest's id and what changed, from -> to.

Status changes carry the status the caller saw (`expected`): a click made on a stale view changes
nothing and says so. An interest withdrawn or erased meanwhile is "gone", not a refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.catalogue.tables import Programme
from bot.interests import audit
from bot.interests.access import Action, Actor, Denied, Grant, audited, authorise, refuse
from bot.interests.display import export_row, to_csv
from bot.interests.tables import AuditEntry, Interest, InterestBase, Status, utcnow

STATUSES = frozenset(s.value for s in Status)
GONE_BY = (Action.WITHDRAW.value, Action.ERASURE.value, Action.RETENTION.value)
Outcome = Literal["created", "updated", "unchanged", "reopened", "moved"]


class InterestCreate(InterestBase):
    """What the registration modal submits, after validation; ids from the verified payload
    (team_id: `bot.memory.personal.person_key(team, enterprise)`)."""


@dataclass(frozen=True)
class Recorded:
    """`created`; `moved` (another region: status new again); `reopened` (was closed);
    `updated` (other details); `unchanged` (a replay or double click)."""

    outcome: Outcome
    interest: Interest
    moved_from: str | None = None


def record(*, session: Session, draft: InterestCreate) -> Recorded:
    """Insert, or update the one row for this person and programme; audited; committed. Safe to
    race: the unique key decides (give it a `bot.db.write_session` on SQLite)."""
    values = draft.model_dump()
    now = utcnow()
    table = Interest.__table__  # type: ignore[attr-defined]
    insert: Any = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(table)
        .values(**values, status=Status.NEW.value, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["team_id", "user_id", "programme_id"])
        .returning(table.c.id)  # a row back only if this insert made it (rowcount varies by driver)
    )
    created = session.connection().execute(stmt).first() is not None
    row = _locked(session, Interest.team_id == draft.team_id, Interest.user_id == draft.user_id,
                  Interest.programme_id == draft.programme_id)  # fmt: skip
    assert row is not None
    person = Actor.slack(draft.team_id, draft.user_id).ref
    if created:
        recorded = Recorded("created", row)
        audit.append(session, actor=person, action=Action.REGISTER, outcome="ok", row_count=1,
                     region=row.region, interest_id=row.id, field="status", to_value=row.status)  # fmt: skip
    else:
        recorded = _reregister(session, row, values, person)
        row.updated_at = now  # registering again renews the consent and its retention
        session.add(row)
    session.flush()
    session.refresh(row)
    session.expunge(row)
    session.commit()
    return recorded


def _reregister(session: Session, row: Interest, values: dict[str, Any], person: str) -> Recorded:
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    was_region, was_status = row.region, row.status
    for key, value in changed.items():
        setattr(row, key, value)
    moved = "region" in changed
    note: dict[str, Any] = {"actor": person, "action": Action.REGISTER, "outcome": "ok",
                            "row_count": 1, "region": row.region, "interest_id": row.id}  # fmt: skip
    if moved:
        audit.append(session, **note, field="region", from_value=was_region, to_value=row.region)
    elif changed:
        audit.append(session, **note, field="details")
    if (moved and was_status != Status.NEW) or was_status == Status.CLOSED:
        row.status, row.status_by, row.status_at = Status.NEW.value, None, None
        audit.append(session, **note, field="status", from_value=was_status, to_value=row.status)
    if moved:
        return Recorded("moved", row, moved_from=was_region)
    if was_status == Status.CLOSED:
        return Recorded("reopened", row)
    return Recorded("updated" if changed else "unchanged", row)


def _locked(session: Session, *where: Any) -> Interest | None:
    query = select(Interest).where(*where)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.exec(query).first()


def own_interests(*, session: Session, team_id: str, user_id: str) -> Sequence[Interest]:
    """A person's own interests (for their App Home and my-data): no grant needed, by identity."""
    return session.exec(
        select(Interest)
        .where(Interest.team_id == team_id, Interest.user_id == user_id)
        .order_by(col(Interest.created_at))
    ).all()


def withdraw(*, session: Session, team_id: str, user_id: str, programme_id: str) -> bool:
    """Delete a person's own interest in a programme; True if there was one. Audited; committed."""
    row = _locked(session, Interest.team_id == team_id, Interest.user_id == user_id,
                  Interest.programme_id == programme_id)  # fmt: skip
    if row is None:
        return False
    audit.append(session, actor=Actor.slack(team_id, user_id).ref, action=Action.WITHDRAW,
                 outcome="ok", row_count=1, region=row.region, interest_id=row.id,
                 field="status", from_value=row.status, to_value="withdrawn")  # fmt: skip
    session.delete(row)
    session.commit()
    return True


@dataclass(frozen=True)
class Queue:
    grant: Grant
    rows: list[Interest]
    total: int  # matching rows, of which `rows` is the first page
    programmes: list[str]  # programme ids with interests in the caller's regions (for filters)

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def queue(
    *,
    session: Session,
    actor: Actor,
    region: str | None = None,
    programme: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> Queue:
    """A coordinator's queue, newest first, filtered, one page (`truncated` says if there is more);
    audited per region with the count shown."""
    grant = authorise(session=session, actor=actor, action=Action.VIEW, region=region)
    scope = col(Interest.region).in_(sorted(grant.regions))
    query = select(Interest).where(scope)
    if programme:
        query = query.where(Interest.programme_id == programme)
    if status in STATUSES:
        query = query.where(Interest.status == status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    order = (col(Interest.created_at).desc(), col(Interest.id).desc())
    rows = list(session.exec(query.order_by(*order).limit(limit)).all())
    programmes = sorted(session.exec(select(Interest.programme_id).where(scope).distinct()).all())
    for row in rows:
        session.expunge(row)
    for each in sorted(grant.regions):
        audited(session, grant, region=each, row_count=sum(r.region == each for r in rows))
    session.commit()
    return Queue(grant=grant, rows=rows, total=int(total), programmes=programmes)


class Change(StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"  # it already had that status
    STALE = "stale"  # its status is no longer the one the caller saw; nothing changed
    GONE = "gone"  # withdrawn, erased or expired since the caller saw it
    DENIED = "denied"  # not theirs to change (audited as a refusal)


@dataclass(frozen=True)
class StatusResult:
    outcome: Change
    interest: Interest | None = None  # the row as it now is (CHANGED, UNCHANGED, STALE)


def set_status(
    *,
    session: Session,
    actor: Actor,
    interest_id: int,
    status: str,
    expected: str | None = None,
) -> StatusResult:
    """Move an interest along new -> contacted -> closed (or back), if it still has the status
    `expected` (the one the caller saw). The row's own region decides: an id from another region
    is refused exactly like a missing one, and audited."""
    if status not in STATUSES or (expected is not None and expected not in STATUSES):
        raise ValueError(f"status must be one of {', '.join(s.value for s in Status)}")
    try:
        grant = authorise(session=session, actor=actor, action=Action.STATUS)
        row = _locked(session, Interest.id == interest_id)
        if row is None or row.region not in grant.regions:
            if row is None and _gone(session, interest_id, grant):
                return StatusResult(Change.GONE)
            refuse(session, actor, Action.STATUS, grant.correlation, interest_id=interest_id)
    except Denied:
        return StatusResult(Change.DENIED)
    was = row.status
    note: dict[str, Any] = {"region": row.region, "interest_id": row.id, "field": "status",
            "from_value": was, "to_value": status}  # fmt: skip
    if expected is not None and was != expected:
        audit.append(session, actor=actor.ref, action=Action.STATUS, outcome="stale",
                     correlation=grant.correlation, **note)  # fmt: skip
        outcome = Change.STALE
    elif was == status:
        audited(session, grant, row_count=0, **note)
        outcome = Change.UNCHANGED
    else:
        row.status, row.status_by, row.status_at = (
            status,
            (actor.user_id or actor.ref)[:80],
            utcnow(),
        )
        session.add(row)
        audited(session, grant, row_count=1, **note)
        outcome = Change.CHANGED
    session.flush()
    session.refresh(row)
    session.expunge(row)
    session.commit()
    return StatusResult(outcome, row)


def _gone(session: Session, interest_id: int, grant: Grant) -> bool:
    """Was it in the caller's regions when it was withdrawn, erased or expired? Then say "gone"
    (audited as such) rather than refusing: it was theirs to see."""
    left = session.exec(
        select(AuditEntry.region).where(
            AuditEntry.interest_id == interest_id, col(AuditEntry.action).in_(GONE_BY)
        )
    ).first()
    if left is None or left not in grant.regions:
        return False
    audit.append(session, actor=grant.actor.ref, action=Action.STATUS, outcome="gone",
                 correlation=grant.correlation, region=left, interest_id=interest_id)  # fmt: skip
    session.commit()
    return True


@dataclass(frozen=True)
class Export:
    grant: Grant
    rows: list[dict[str, Any]]

    def csv(self) -> str:
        return to_csv(self.rows)


class Undelivered(Exception):
    """The export could not be handed over: nothing is audited as exported."""


def export(
    *,
    session: Session,
    actor: Actor,
    region: str | None = None,
    deliver: Callable[[Export], bool] | None = None,
) -> Export:
    """Every interest in the caller's regions (or one of them), oldest first, as plain rows;
    audited per region once `deliver` (if given) has handed it over; committed. If delivery
    fails, nothing is audited as exported and Undelivered is raised."""
    grant = authorise(session=session, actor=actor, action=Action.EXPORT, region=region)
    names = {p.id: p.name for p in session.exec(select(Programme)).all()}
    rows = session.exec(
        select(Interest)
        .where(col(Interest.region).in_(sorted(grant.regions)))
        .order_by(col(Interest.region), col(Interest.created_at), col(Interest.id))
    ).all()
    out = [export_row(r, names) for r in rows]
    if deliver is not None and not deliver(Export(grant=grant, rows=out)):
        session.rollback()
        raise Undelivered
    for each in sorted(grant.regions):
        audited(session, grant, region=each, row_count=sum(r["region"] == each for r in out))
    session.commit()
    return Export(grant=grant, rows=out)
