"""The register of personal data: every table holding anything keyed to a person, how to find that
person's rows, what erasure does to them and how long they are kept.

`/pathfinder my-data`, `forget-me` and the retention run all read this one list
(bot/interests/rights.py), and a test fails if a table with a user-, team- or channel-like column
is added without an entry here.

Identity. Slack names a person by (team, user); on Enterprise Grid the team arrives in different
fields on different paths, so rows are stored under `person_key(team_id, enterprise_id)`, the
enterprise id when there is one. A `Person` carries every key their rows may sit under (the
enterprise id and the team id), so rows stored under either are found. Their DM channel with
Pathfinder ("D…") finds the answer records, threads and dedup claims made there.

Erasure deletes a person's own rows and pseudonymises the places where their id appears in other
records (the audit log, who last changed an interest, who granted a role): the id becomes
`subject_ref`, a hash of (key, user) that the organisation can recompute from the ids if asked
whether an erasure happened, and that names nobody by itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import MetaData, Table, and_, false, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel, col

from bot.interests.tables import AuditEntry, Interest, Role
from bot.memory.erasure import subject_ref as subject_ref  # re-exported: the register names it
from bot.memory.limits import UsageCounter, person_counter
from bot.memory.queued import JOBS, finished_before, jobs_of
from bot.memory.store import (
    CLAIM_TTL,
    PROFILE_MAX_IDLE,
    AnswerRecord,
    ConversationTurn,
    Feedback,
    SavedProfile,
    SlackClaim,
    SlackThread,
)

AUDIT_MINIMUM = timedelta(days=365)  # the database refuses to delete younger audit entries
SLACK_ID = re.compile(r"^[A-Z0-9]{2,32}$")
DM_CHANNEL = re.compile(r"^D[A-Z0-9]{2,31}$")

Where = ColumnElement[bool]


def person_key(team_id: str, enterprise_id: str | None = None) -> str:
    """The key a person's rows are stored under: the Grid enterprise id, else the team id."""
    return enterprise_id or team_id


@dataclass(frozen=True)
class Person:
    """One person, with every key their rows may be stored under (enterprise id first)."""

    user_id: str
    keys: tuple[str, ...]
    dm_channels: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.keys[0]

    @property
    def refs(self) -> tuple[str, ...]:
        """How the audit log and role grants name them ("slack:<key>:<user>")."""
        return tuple(f"slack:{k}:{self.user_id}" for k in self.keys)

    @property
    def pseudonym(self) -> str:
        return subject_ref(self.key, self.user_id)


def person(
    *,
    team_id: str,
    user_id: str,
    enterprise_id: str | None = None,
    dm_channels: Iterable[str] = (),
) -> Person:
    """A Person from a verified payload's ids; ids that are not Slack ids are dropped."""
    keys = tuple(dict.fromkeys(k for k in (enterprise_id, team_id) if k and SLACK_ID.match(k)))
    if not keys or not SLACK_ID.match(user_id):
        raise ValueError("a person needs a Slack user id and a team or enterprise id")
    dms = tuple(dict.fromkeys(c for c in dm_channels if DM_CHANNEL.match(c)))
    return Person(user_id=user_id, keys=keys, dm_channels=dms)


@dataclass(frozen=True)
class Periods:
    """How long things are kept (settings give the first three; see bot/interests/rights.retention_periods)."""

    interests: timedelta
    conversations: timedelta
    audit: timedelta
    profiles: timedelta = PROFILE_MAX_IDLE

    def __post_init__(self) -> None:
        if self.audit < AUDIT_MINIMUM:
            raise ValueError(f"the audit period must be at least {AUDIT_MINIMUM.days} days")


class OnErase(StrEnum):
    DELETE = "delete"  # the person's own rows go
    PSEUDONYMISE = "pseudonymise"  # kept for the organisation's accountability, ids replaced
    KEEP = "keep"  # a role: the organisation's record; an admin removes it


@dataclass(frozen=True)
class Naming:
    """A column that may name the person in anyone's rows, and how to find those rows."""

    column: str
    names: Callable[[Person], Where]


@dataclass(frozen=True)
class Holding:
    table: type[SQLModel] | Table  # a Table: another library's (the job queue's), not ours
    finds: Callable[[Person], Where]  # the person's own rows (my-data shows them in full)
    on_erase: OnErase
    why: str
    naming: tuple[Naming, ...] = ()  # pseudonymised on erasure, wherever they appear
    expires: Callable[[Periods, datetime], Where] | None = None  # None: kept until removed
    only_on: str | None = None  # the one database dialect that has this table

    @property
    def name(self) -> str:
        return self.table.name if isinstance(self.table, Table) else str(self.table.__tablename__)


def _own(table: Any) -> Callable[[Person], Where]:
    return lambda p: and_(col(table.team_id).in_(p.keys), col(table.user_id) == p.user_id)


def _in_dm(column: Any) -> Callable[[Person], Where]:
    return lambda p: col(column).in_(p.dm_channels) if p.dm_channels else false()


CLAIMS_BY_MESSAGE = ("msg", "answering", "answered")  # claim keys "<kind>:<channel>:<ts>"


def _claims_in_dm(p: Person) -> Where:
    if not p.dm_channels:
        return false()
    return or_(*(col(SlackClaim.key).like(f"{kind}:{c}:%") for c in p.dm_channels for kind in CLAIMS_BY_MESSAGE))


def _counters(p: Person) -> Where:
    return col(UsageCounter.key).in_([person_counter(f"{k}:{p.user_id}") for k in p.keys])


def _older(column: Any, period: Callable[[Periods], timedelta]) -> Callable[[Periods, datetime], Where]:  # fmt: skip
    return lambda periods, now: col(column) < now - period(periods)


def _profile_unused(periods: Periods, now: datetime) -> Where:
    cutoff = now - periods.profiles
    used = col(SavedProfile.used_at)
    return and_(col(SavedProfile.updated_at) < cutoff, or_(used.is_(None), used < cutoff))


def _audit_names(p: Person) -> Where:
    return or_(col(AuditEntry.actor).in_(p.refs), col(AuditEntry.subject).in_(p.refs))


def _own_or_in_dm(table: Any) -> Callable[[Person], Where]:
    own, in_dm = _own(table), _in_dm(table.channel)
    return lambda p: or_(own(p), in_dm(p))


HOLDINGS: tuple[Holding, ...] = (
    Holding(
        Interest, _own(Interest), OnErase.DELETE, "interests they registered",
        naming=(Naming("status_by", lambda p: col(Interest.status_by) == p.user_id),),
        expires=_older(Interest.updated_at, lambda p: p.interests),
    ),
    Holding(
        SavedProfile, _own(SavedProfile), OnErase.DELETE, "the profile saved on App Home",
        expires=_profile_unused,
    ),
    Holding(
        ConversationTurn, _own(ConversationTurn), OnErase.DELETE, "their questions and the answers",
        expires=_older(ConversationTurn.created_at, lambda p: p.conversations),
    ),
    Holding(
        Feedback, _own(Feedback), OnErase.DELETE, "feedback they gave on answers",
        expires=_older(Feedback.created_at, lambda p: p.conversations),
    ),
    Holding(
        AnswerRecord, _own_or_in_dm(AnswerRecord), OnErase.DELETE, "answers given to them or in their DM",
        expires=_older(AnswerRecord.created_at, lambda p: p.conversations),
    ),
    Holding(
        SlackThread, _in_dm(SlackThread.channel), OnErase.DELETE, "threads in their DM",
        expires=_older(SlackThread.created_at, lambda p: p.conversations),
    ),
    Holding(
        SlackClaim, _claims_in_dm, OnErase.DELETE, "dedup claims for messages in their DM",
        expires=lambda periods, now: col(SlackClaim.created_at) < now - CLAIM_TTL,
    ),
    Holding(
        UsageCounter, _counters, OnErase.DELETE, "how many questions they asked this minute (the rate limit)",
        expires=lambda periods, now: col(UsageCounter.expires_at) < now,
    ),
    Holding(
        Role, _own(Role), OnErase.KEEP, "roles they hold (kept until an admin removes them)",
        naming=(Naming("granted_by", lambda p: col(Role.granted_by).in_(p.refs)),),
    ),
    Holding(
        AuditEntry, _audit_names, OnErase.PSEUDONYMISE, "what they did, or what was done about them",
        naming=(
            Naming("actor", lambda p: col(AuditEntry.actor).in_(p.refs)),
            Naming("subject", lambda p: col(AuditEntry.subject).in_(p.refs)),
        ),
        expires=_older(AuditEntry.at, lambda p: p.audit),
    ),
    Holding(
        JOBS, lambda p: jobs_of(p.keys, p.user_id), OnErase.DELETE,
        "questions queued for an answer, and finished answer jobs", only_on="postgresql",
        expires=finished_before(lambda p: p.conversations),
    ),
)  # fmt: skip


def held_on(dialect: str) -> tuple[Holding, ...]:
    """The register's entries whose tables exist on this kind of database."""
    return tuple(h for h in HOLDINGS if h.only_on in (None, dialect))


def holding_of(table: type[SQLModel]) -> Holding:
    """The register's entry for `table`."""
    return next(h for h in HOLDINGS if h.table is table)


# Tables with a person-like column that hold nothing about a person, each with the reason.
NOT_PERSONAL: dict[str, str] = {}
# Column names that say a row may be keyed to a person.
PERSON_LIKE = re.compile(r"(^|_)(user|users|team|enterprise|actor|subject|channel|person|member)(_|$)|_by$")  # fmt: skip


def unregistered(metadata: MetaData) -> list[str]:
    """Tables in `metadata` with a person-like column that the register does not list."""
    listed = {h.name for h in HOLDINGS} | set(NOT_PERSONAL)
    return sorted(
        table.name
        for table in metadata.sorted_tables
        if table.name not in listed and any(PERSON_LIKE.search(c.name) for c in table.columns)
    )
