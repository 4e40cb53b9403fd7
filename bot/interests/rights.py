"""People's rights over what Pathfinder holds about them, and retention, all driven by the one
register of personal data (bot/memory/personal.py).

`subject_data` gathers everything held about a person (a subject access request answered at
once). `erase` deletes their own rows and pseudonymises the records the organisation must keep
(the audit trail of what they did, who last changed an interest, who granted a role): their ids
become `subject_ref`, and every audit entry is still there. One transaction, then one "erasure"
entry naming them only by that pseudonym; an answer still being composed for them then keeps
nothing (bot/memory/erasure.py). Someone who holds a role keeps it: an admin removes
roles. `retention_run` deletes what has outlived its period, never with a clock ahead of the real
one, and never an audit entry younger than the audit period (the database refuses under a year).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, delete, func, not_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.interests import audit
from bot.interests.access import Action, session_for
from bot.interests.tables import Interest, Role, utcnow
from bot.memory import erasure
from bot.memory.personal import (
    Holding,
    OnErase,
    Periods,
    Person,
    held_on,
    holding_of,
    person,
    subject_ref,
)
from bot.settings import Settings

__all__ = ["Erased", "Periods", "erase", "retention_periods", "retention_run", "subject_data", "subject_ref"]
CLOCK_SKEW = timedelta(minutes=5)
SOMEONE_ELSE = "(someone else)"


def _person(team_id: str, user_id: str, enterprise_id: str | None, dm_channels: Iterable[str]) -> Person:  # fmt: skip
    return person(team_id=team_id, user_id=user_id, enterprise_id=enterprise_id, dm_channels=dm_channels)  # fmt: skip


def subject_data(
    engine: Engine | None = None,
    *,
    session: Session | None = None,
    team_id: str,
    user_id: str,
    enterprise_id: str | None = None,
    dm_channels: Iterable[str] = (),
) -> dict[str, Any]:
    """Everything held about one person, as plain JSON-ready data: every table of the register,
    and a count of other people's records that name them. Audited (subject access)."""
    who = _person(team_id, user_id, enterprise_id, dm_channels)
    data: dict[str, Any] = {
        "generated_at": utcnow().isoformat(timespec="seconds"),
        "slack_team_id": team_id,
        "slack_enterprise_id": enterprise_id,
        "slack_user_id": user_id,
    }
    named: dict[str, int] = {}
    with session_for(engine, session) as s:
        for holding in held_on(_dialect(s)):
            data[holding.name] = [_own_view(_plain(r), holding, who) for r in _rows(s, holding, who)]
            for naming in holding.naming:
                where = and_(naming.names(who), not_(holding.finds(who)))
                count = s.exec(select(func.count()).select_from(holding.table).where(where)).one()
                if count:
                    named[f"{holding.name}.{naming.column}"] = int(count)
        data["named_in_other_records"] = named
        held = sum(len(v) for v in data.values() if isinstance(v, list))
        audit.append(s, actor=who.refs[0], action=Action.SUBJECT_ACCESS, outcome="ok",
                     row_count=held)  # fmt: skip
        s.commit()
    return data


def _own_view(row: dict[str, Any], holding: Holding, who: Person) -> dict[str, Any]:
    """A person's own row as my-data shows it: a column that names someone else (the coordinator
    who changed their interest, whom a role they granted went to) says so without naming them,
    so my-data discloses nobody, and does not change when that someone is erased."""
    for naming in holding.naming:
        value = row.get(naming.column)
        if value is not None and value != who.user_id and value not in who.refs:
            row[naming.column] = SOMEONE_ELSE
    return row


def _rows(session: Session, holding: Holding, who: Person) -> list[dict[str, Any]]:
    """The person's own rows in one table of the register, as dicts."""
    query = select(holding.table).where(holding.finds(who))  # type: ignore[arg-type]
    if isinstance(holding.table, Table):  # another library's table: plain rows
        return [dict(row._mapping) for row in session.execute(query)]
    return [row.model_dump() for row in session.exec(query).all()]


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v.isoformat(timespec="seconds") if isinstance(v, datetime) else v)
        for k, v in values.items()
    }


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


@dataclass(frozen=True)
class Erased:
    rows: dict[str, int]  # deleted, per table
    kept_role: bool
    pseudonymised: dict[str, int] = field(default_factory=dict)  # "table.column" -> rows

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def erase(
    engine: Engine | None = None,
    *,
    session: Session | None = None,
    team_id: str,
    user_id: str,
    enterprise_id: str | None = None,
    dm_channels: Iterable[str] = (),
) -> Erased:
    """Delete everything held about one person and pseudonymise what must be kept, in one
    transaction with its audit entries; committed."""
    who = _person(team_id, user_id, enterprise_id, dm_channels)
    deleted: dict[str, int] = {}
    renamed: dict[str, int] = {}
    with session_for(engine, session) as s:
        erasure.lock(s, who.pseudonym)  # an answer being saved meanwhile waits, then sees this
        _audit_interests_leaving(s, holding_of(Interest).finds(who), actor=who.pseudonym,
                                 action=Action.ERASURE, to_value="erased")  # fmt: skip
        for holding in held_on(_dialect(s)):
            for naming in holding.naming:
                renamed[f"{holding.name}.{naming.column}"] = _pseudonymise(s, holding, naming.column, naming.names(who), who.pseudonym)  # fmt: skip
            if holding.on_erase is OnErase.DELETE:
                deleted[holding.name] = _delete(s, holding, holding.finds(who))
        roles = select(func.count()).select_from(Role).where(holding_of(Role).finds(who))
        kept_role = bool(s.exec(roles).one())
        audit.append(s, actor=who.pseudonym, action=Action.ERASURE, outcome="ok",
                     row_count=sum(deleted.values()))  # fmt: skip
        s.commit()
    return Erased(rows=deleted, kept_role=kept_role, pseudonymised=renamed)


def _delete(session: Session, holding: Holding, where: Any) -> int:
    stmt = delete(holding.table).where(where).execution_options(synchronize_session=False)
    return int(session.exec(stmt).rowcount or 0)


def _pseudonymise(session: Session, holding: Holding, column: str, where: Any, pseudonym: str) -> int:  # fmt: skip
    stmt = update(holding.table).where(where).values({column: pseudonym})
    result = session.exec(stmt.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


def _audit_interests_leaving(session: Session, which: Any, *, actor: str, action: Action, to_value: str) -> int:  # fmt: skip
    """One entry per interest about to be deleted (so a coordinator's later click on it finds
    it gone, not refused); the interest's id, region and last status, nothing else."""
    rows = session.exec(select(Interest.id, Interest.region, Interest.status).where(which)).all()
    for interest_id, region, status in rows:
        audit.append(session, actor=actor, action=action, outcome="ok", row_count=1,
                     region=region, interest_id=interest_id, field="status",
                     from_value=status, to_value=to_value)  # fmt: skip
    return len(rows)


def retention_periods(settings: Settings) -> Periods:
    """The periods the settings give (the CLI's run and the queue's periodic job use this)."""
    return Periods(
        interests=timedelta(days=settings.interest_retention_days),
        conversations=timedelta(days=settings.conversation_retention_days),
        audit=timedelta(days=settings.audit_retention_days),
        profiles=settings.profile_max_idle,
    )


def retention_run(
    engine: Engine | None = None,
    *,
    session: Session | None = None,
    periods: Periods,
    now: datetime | None = None,
) -> dict[str, int]:
    """Delete what has outlived its period, per the register; committed and audited. `now` may be
    given (tests) but never ahead of the real clock: retention cannot be run in the future."""
    real = utcnow()
    if now is not None and now > real + CLOCK_SKEW:
        raise ValueError("retention cannot run with a clock ahead of the real one")
    now = now or real
    counts: dict[str, int] = {}
    with session_for(engine, session) as s:
        expiring = holding_of(Interest).expires
        assert expiring is not None
        _audit_interests_leaving(s, expiring(periods, now), actor="system:retention",
                                 action=Action.RETENTION, to_value="expired")  # fmt: skip
        for holding in held_on(_dialect(s)):
            if holding.expires is not None:
                counts[holding.name] = _delete(s, holding, holding.expires(periods, now))
        audit.append(s, actor="system:retention", action=Action.RETENTION, outcome="ok",
                     row_count=sum(counts.values()))  # fmt: skip
        s.commit()
    return counts
