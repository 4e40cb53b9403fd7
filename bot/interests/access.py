"""Who may see and change the interest log: one authorisation function for every path.

Roles live in the `role` table, keyed by (Slack team or enterprise id, Slack user id), and
identity comes only from a verified Slack payload (or the operator at the command line): never
from message text, action values, modal metadata or names. Default deny; an error while deciding
is a denial; every denial is audited, and so is every permitted view, export, status change and
role change.

A `Grant` carries the regions the caller may touch, and every query filters by them at the data
layer, so a forged region or interest id finds nothing it may not see.

Functions take the caller's `session`. A refusal ends the caller's transaction: whatever it did is
rolled back, the refusal is committed on its own, and `Denied` is raised. The older shape, an
engine as first argument, still works: it runs the call in a write session of its own.
"""

from __future__ import annotations

import getpass
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NoReturn

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.catalogue.vocabulary import REGIONS
from bot.db import write_session
from bot.interests import audit
from bot.interests.tables import Role, RoleName, utcnow

log = logging.getLogger(__name__)

NEUTRAL = "Sorry, that isn't available to you."


class Action(StrEnum):
    VIEW = "view"
    EXPORT = "export"
    STATUS = "status_change"
    ROLE_CHANGE = "role_change"
    ROLE_LIST = "role_list"
    AUDIT_READ = "audit_read"
    # Recorded, never authorised: a person's own acts, and the system's.
    REGISTER = "register"
    WITHDRAW = "withdraw"
    SUBJECT_ACCESS = "subject_access"
    ERASURE = "erasure"
    RETENTION = "retention"


# Which role grants which action. Admins manage roles but see no interest data; governance
# reads the audit log only; coordinators work their own regions' interests.
ROLE_FOR: dict[Action, RoleName] = {
    Action.VIEW: RoleName.COORDINATOR,
    Action.EXPORT: RoleName.COORDINATOR,
    Action.STATUS: RoleName.COORDINATOR,
    Action.ROLE_CHANGE: RoleName.ADMIN,
    Action.ROLE_LIST: RoleName.ADMIN,
    Action.AUDIT_READ: RoleName.GOVERNANCE,
}
SLACK_ID = re.compile(r"^[A-Z0-9]{2,32}$")


class Denied(Exception):
    """Refused. The message is neutral: it does not say whether the thing asked for exists."""

    def __init__(self) -> None:
        super().__init__(NEUTRAL)


@dataclass(frozen=True)
class Actor:
    """Who is acting: a Slack identity from a verified payload, or the operator at the CLI.
    For Slack, `team_id` is `bot.memory.personal.person_key(team, enterprise)`."""

    ref: str
    team_id: str = ""
    user_id: str = ""

    @classmethod
    def slack(cls, team_id: str, user_id: str) -> Actor:
        return cls(ref=f"slack:{team_id}:{user_id}", team_id=team_id, user_id=user_id)

    @classmethod
    def operator(cls) -> Actor:
        try:
            name = getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name in some containers
            name = "unknown"
        return cls(ref=f"cli:{name}")

    @property
    def is_operator(self) -> bool:
        return self.ref.startswith("cli:")


@dataclass(frozen=True)
class Grant:
    actor: Actor
    action: Action
    regions: frozenset[str]  # for ROLE_*/AUDIT_READ grants: every region
    correlation: str


def canonical_region(text: str | None) -> str | None:
    """'north-west', 'North West', 'NORTH_WEST' -> 'North West'; None if not an NHS England region."""
    if not text:
        return None
    key = re.sub(r"[\s_-]+", " ", text).strip().lower()
    return next((r for r in REGIONS if r.lower() == key), None)


@contextmanager
def session_for(engine: Engine | None, session: Session | None) -> Iterator[Session]:
    """The caller's session, or (older call shape) a write session of our own on `engine`."""
    if session is not None:
        yield session
        return
    if engine is None:
        raise TypeError("pass session= (or an engine)")
    with write_session(engine) as own:
        yield own


def roles_of(engine: Engine | None = None, actor: Actor | None = None, *, session: Session | None = None) -> list[Role]:  # fmt: skip
    """The roles `actor` holds (none for the operator, who holds every grant)."""
    if actor is None or actor.is_operator:
        return []
    query = select(Role).where(Role.team_id == actor.team_id, Role.user_id == actor.user_id)
    if session is not None:
        return list(session.exec(query).all())
    assert engine is not None
    with Session(engine) as own:
        return list(own.exec(query).all())


def authorise(
    *,
    session: Session,
    actor: Actor,
    action: Action,
    region: str | None = None,
    correlation: str | None = None,
) -> Grant:
    """The one decision. Returns the grant (with the regions it covers) or raises Denied, audited.

    `region` narrows the request to one region (a coordinator asking for another region is
    refused, not silently narrowed). The operator at the command line holds every grant; what
    they do is audited like anyone else.
    """
    correlation = correlation or audit.correlation_id()
    try:
        allowed = _allowed_regions(session, actor, action)
        if region is not None:
            wanted = canonical_region(region)
            allowed = frozenset({wanted}) & allowed if wanted else frozenset()
    except Exception as exc:  # noqa: BLE001 - fail closed: an error deciding is a refusal
        log.error("authorisation failed (%s); denying", type(exc).__name__)
        allowed = frozenset()
    if not allowed:
        refuse(session, actor, action, correlation, region=region)
    return Grant(actor=actor, action=action, regions=allowed, correlation=correlation)


def _allowed_regions(session: Session, actor: Actor, action: Action) -> frozenset[str]:
    if actor.is_operator:
        return frozenset(REGIONS)
    if not (SLACK_ID.match(actor.team_id) and SLACK_ID.match(actor.user_id)):
        return frozenset()
    needed = ROLE_FOR[action]
    held = [r for r in roles_of(actor=actor, session=session) if r.role == needed.value]
    if needed is RoleName.COORDINATOR:
        return frozenset(r.region for r in held if r.region in REGIONS)
    return frozenset(REGIONS) if held else frozenset()


def refuse(
    session: Session,
    actor: Actor,
    action: Action,
    correlation: str,
    *,
    region: str | None = None,
    interest_id: int | None = None,
) -> NoReturn:
    """Roll back the caller's work, commit the refusal on its own (counted), raise Denied. The
    region is kept only if it is a real region: text a person typed never reaches the log."""
    session.rollback()
    try:
        audit.refusal(session, actor=actor.ref, action=action.value, correlation=correlation,
                      region=canonical_region(region), interest_id=interest_id)  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - the refusal stands even if the audit write fails
        session.rollback()
        log.error("could not audit a refusal (%s)", type(exc).__name__)
    raise Denied()


def audited(session: Session, grant: Grant, *, region: str | None, row_count: int, **change: Any) -> None:  # fmt: skip
    """Append the entry for a permitted action to the caller's transaction."""
    audit.append(session, actor=grant.actor.ref, action=grant.action.value, region=region,
                 row_count=row_count, outcome="ok", correlation=grant.correlation, **change)  # fmt: skip


def read_audit(
    engine: Engine | None = None,
    *,
    session: Session | None = None,
    actor: Actor,
    since: datetime | None = None,
    action: str | None = None,
    limit: int | None = None,
    before: int | None = None,
) -> audit.Page:
    """The audit log, newest first, for the governance role (or the operator). `limit=None`: every
    entry asked for (an export); else one page, whose `truncated` says whether more exist and
    `next_before` how to ask for them. Reading it is itself audited."""
    with session_for(engine, session) as s:
        grant = authorise(session=s, actor=actor, action=Action.AUDIT_READ)
        filters: dict[str, Any] = {"since": since, "action": action}
        if limit is None:
            found = audit.Page(audit.everything(s, **filters), truncated=False, next_before=None)
        else:
            found = audit.page(s, before=before, limit=limit, **filters)
        for row in found.entries:
            s.expunge(row)
        audited(s, grant, region=None, row_count=len(found))
        s.commit()
    return found


# -- Role management (admins in Slack, the operator at the command line) ------------------------


def grant_role(
    engine: Engine | None = None,
    *,
    session: Session | None = None,
    actor: Actor,
    team_id: str,
    user_id: str,
    role: RoleName,
    region: str | None,
) -> bool:
    """Give (team, user) a role; coordinators need a region. True if it was new. Audited."""
    wanted = canonical_region(region) if role is RoleName.COORDINATOR else None
    with session_for(engine, session) as s:
        grant = authorise(session=s, actor=actor, action=Action.ROLE_CHANGE)
        if role is RoleName.COORDINATOR and wanted is None:
            raise ValueError(f"a coordinator needs one of these regions: {', '.join(REGIONS)}")
        if not (SLACK_ID.match(team_id) and SLACK_ID.match(user_id)):
            raise ValueError("team and user must be Slack ids, such as T0123ABCD and U0123ABCD")
        created = s.get(Role, (team_id, user_id, role.value, wanted or "")) is None
        if created:
            s.add(Role(team_id=team_id, user_id=user_id, role=role.value, region=wanted or "",
                       granted_by=actor.ref[:80], granted_at=utcnow()))  # fmt: skip
        audited(s, grant, region=wanted, row_count=int(created),
                subject=Actor.slack(team_id, user_id).ref, to_value=role.value)  # fmt: skip
        s.commit()
    return created


def revoke_role(
    engine: Engine | None = None,
    *,
    session: Session | None = None,
    actor: Actor,
    team_id: str,
    user_id: str,
    role: RoleName | None = None,
    region: str | None = None,
) -> int:
    """Remove a person's roles (all, or one role, or one coordinator region). Audited."""
    wanted = canonical_region(region) if region else None
    with session_for(engine, session) as s:
        grant = authorise(session=s, actor=actor, action=Action.ROLE_CHANGE)
        query = select(Role).where(Role.team_id == team_id, Role.user_id == user_id)
        if role is not None:
            query = query.where(Role.role == role.value)
        if wanted is not None:
            query = query.where(Role.region == wanted)
        rows = s.exec(query).all()
        for row in rows:
            s.delete(row)
        audited(s, grant, region=wanted, row_count=len(rows),
                subject=Actor.slack(team_id, user_id).ref, from_value=role.value if role else None)  # fmt: skip
        s.commit()
    return len(rows)


def list_roles(engine: Engine | None = None, *, session: Session | None = None, actor: Actor) -> list[Role]:  # fmt: skip
    """Everyone's roles, for admins and the operator. Audited."""
    with session_for(engine, session) as s:
        grant = authorise(session=s, actor=actor, action=Action.ROLE_LIST)
        order = (col(Role.team_id), col(Role.user_id), col(Role.role))
        rows = list(s.exec(select(Role).order_by(*order)).all())
        for row in rows:
            s.expunge(row)
        audited(s, grant, region=None, row_count=len(rows))
        s.commit()
    return rows
