"""Who may see and change the interest log: one authorisation function for every path.

Roles live in the `role` table, keyed by (Slack team id, Slack user id), and identity comes only
from a verified Slack payload (or the operator at the command line): never from message text,
action values, modal metadata or names. Default deny; an error while deciding is a denial; every
denial is audited, and so is every permitted view, export, status change and role change.

A `Grant` carries the regions the caller may touch, and every query filters by them at the data
layer, so a forged region or interest id finds nothing it may not see.
"""

from __future__ import annotations

import getpass
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NoReturn

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.catalogue.vocabulary import REGIONS
from bot.interests import audit
from bot.interests.tables import AuditEntry, Role, RoleName, utcnow

log = logging.getLogger(__name__)

NEUTRAL = "Sorry, that isn't available to you."


class Action(StrEnum):
    VIEW = "view"
    EXPORT = "export"
    STATUS = "status_change"
    ROLE_CHANGE = "role_change"
    ROLE_LIST = "role_list"
    AUDIT_READ = "audit_read"


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
    """Who is acting: a Slack identity from a verified payload, or the operator at the CLI."""

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


def roles_of(engine: Engine, actor: Actor) -> list[Role]:
    if actor.is_operator:
        return []
    with Session(engine) as session:
        return list(
            session.exec(
                select(Role).where(Role.team_id == actor.team_id, Role.user_id == actor.user_id)
            ).all()
        )


def authorise(
    engine: Engine,
    *,
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
        allowed = _allowed_regions(engine, actor, action)
        if region is not None:
            wanted = canonical_region(region)
            allowed = frozenset({wanted}) & allowed if wanted else frozenset()
    except Exception:  # noqa: BLE001 - fail closed: an error deciding is a refusal
        log.exception("authorisation failed; denying")
        allowed = frozenset()
    if not allowed:
        _audit_denial(engine, actor, action, region, correlation)
        raise Denied()
    return Grant(actor=actor, action=action, regions=allowed, correlation=correlation)


def _allowed_regions(engine: Engine, actor: Actor, action: Action) -> frozenset[str]:
    if actor.is_operator:
        return frozenset(REGIONS)
    if not (SLACK_ID.match(actor.team_id) and SLACK_ID.match(actor.user_id)):
        return frozenset()
    needed = ROLE_FOR[action]
    held = [r for r in roles_of(engine, actor) if r.role == needed.value]
    if needed is RoleName.COORDINATOR:
        return frozenset(r.region for r in held if r.region in REGIONS)
    return frozenset(REGIONS) if held else frozenset()


def _audit_denial(
    engine: Engine, actor: Actor, action: Action, region: str | None, correlation: str
) -> None:
    try:
        audit.record(
            engine,
            actor=actor.ref,
            action=action.value,
            region=canonical_region(region) or (region[:40] if region else None),
            outcome="denied",
            correlation=correlation,
        )
    except Exception:  # noqa: BLE001 - the refusal stands even if the audit write fails
        log.exception("could not audit a denial")


def refuse(engine: Engine, actor: Actor, action: Action, correlation: str) -> NoReturn:
    """A request outside an otherwise valid grant (a forged id or region): audited, refused."""
    _audit_denial(engine, actor, action, None, correlation)
    raise Denied()


def audited(grant: Grant, engine: Engine, *, region: str | None, row_count: int) -> None:
    """Record a permitted action."""
    audit.record(
        engine,
        actor=grant.actor.ref,
        action=grant.action.value,
        region=region,
        row_count=row_count,
        outcome="ok",
        correlation=grant.correlation,
    )


def read_audit(
    engine: Engine,
    *,
    actor: Actor,
    since: datetime | None = None,
    action: str | None = None,
    limit: int = 10_000,
) -> list[AuditEntry]:
    """The audit log, newest first, for the governance role (or the operator). Reading it is
    itself audited."""
    grant = authorise(engine, actor=actor, action=Action.AUDIT_READ)
    found = list(audit.entries(engine, since=since, action=action, limit=limit))
    audited(grant, engine, region=None, row_count=len(found))
    return found


# -- Role management (admins in Slack, the operator at the command line) ------------------------


def grant_role(
    engine: Engine, *, actor: Actor, team_id: str, user_id: str, role: RoleName, region: str | None
) -> bool:
    """Give (team, user) a role; coordinators need a region. True if it was new. Audited."""
    wanted = canonical_region(region) if role is RoleName.COORDINATOR else None
    grant = authorise(engine, actor=actor, action=Action.ROLE_CHANGE)
    if role is RoleName.COORDINATOR and wanted is None:
        raise ValueError(f"a coordinator needs one of these regions: {', '.join(REGIONS)}")
    if not (SLACK_ID.match(team_id) and SLACK_ID.match(user_id)):
        raise ValueError("team and user must be Slack ids, such as T0123ABCD and U0123ABCD")
    key = (team_id, user_id, role.value, wanted or "")
    with Session(engine) as session:
        if session.get(Role, key) is not None:
            created = False
        else:
            session.add(
                Role(
                    team_id=team_id,
                    user_id=user_id,
                    role=role.value,
                    region=wanted or "",
                    granted_by=actor.ref[:80],
                    granted_at=utcnow(),
                )
            )
            session.commit()
            created = True
    audited(grant, engine, region=wanted, row_count=int(created))
    return created


def revoke_role(
    engine: Engine,
    *,
    actor: Actor,
    team_id: str,
    user_id: str,
    role: RoleName | None = None,
    region: str | None = None,
) -> int:
    """Remove a person's roles (all, or one role, or one coordinator region). Audited."""
    wanted = canonical_region(region) if region else None
    grant = authorise(engine, actor=actor, action=Action.ROLE_CHANGE)
    with Session(engine) as session:
        query = select(Role).where(Role.team_id == team_id, Role.user_id == user_id)
        if role is not None:
            query = query.where(Role.role == role.value)
        if wanted is not None:
            query = query.where(Role.region == wanted)
        rows = session.exec(query).all()
        for row in rows:
            session.delete(row)
        session.commit()
    audited(grant, engine, region=wanted, row_count=len(rows))
    return len(rows)


def list_roles(engine: Engine, *, actor: Actor) -> list[Role]:
    """Everyone's roles, for admins and the operator. Audited."""
    grant = authorise(engine, actor=actor, action=Action.ROLE_LIST)
    with Session(engine) as session:
        rows = list(
            session.exec(
                select(Role).order_by(col(Role.team_id), col(Role.user_id), col(Role.role))
            ).all()
        )
    audited(grant, engine, region=None, row_count=len(rows))
    return rows
