"""The interest log's tables: interests, the roles that may see them, and the audit trail.

An interest row holds only what the consent text lists: Slack ids, display name, profession,
grade, region, programme, network, the consent text's version, timestamps and status. No free
text and nothing from the conversation. One row per person and programme: registering again
updates it, so double clicks and replays cannot make a second.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(*, nullable: bool = False, index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


class Status(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    CLOSED = "closed"


class RoleName(StrEnum):
    COORDINATOR = "coordinator"  # reviews, works and exports the interests of their regions
    ADMIN = "admin"  # grants and removes roles; sees no interest data
    GOVERNANCE = "governance"  # information governance: reads the audit log; no interest data


class InterestBase(SQLModel):
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    display_name: str = Field(max_length=80)
    profession: str | None = Field(default=None, max_length=40)
    grade: str | None = Field(default=None, max_length=40)
    region: str = Field(max_length=40, index=True)
    programme_id: str = Field(max_length=64)
    network_id: str = Field(max_length=64)
    consent_version: str = Field(max_length=16)


class Interest(InterestBase, table=True):
    __table_args__ = (
        UniqueConstraint("team_id", "user_id", "programme_id", name="uq_interest_person_programme"),
    )

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default=Status.NEW.value, max_length=16)
    status_by: str | None = Field(default=None, max_length=80)  # a user id, or a pseudonym
    status_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))


class Role(SQLModel, table=True):
    """Who may do what: (team, user) -> a role, and for coordinators one row per region."""

    team_id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(primary_key=True, max_length=32)
    role: str = Field(primary_key=True, max_length=16)
    region: str = Field(primary_key=True, max_length=40, default="")  # "" for admin, governance
    granted_by: str = Field(max_length=80)
    granted_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class AuditEntry(SQLModel, table=True):
    """Append-only: the database refuses every UPDATE but two (migration 0004): replacing a Slack
    identity in `actor` or `subject` by a pseudonym (erasure), and raising a counted entry's
    `occurrences`. It refuses DELETE of entries younger than a year. No interest data: who, when,
    what, which interest (by id), the change from -> to, the region, how many rows, the outcome."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))
    actor: str = Field(max_length=80, index=True)  # "slack:T…:U…", "cli:<os user>", "erased:<hash>"
    action: str = Field(max_length=32)
    region: str | None = Field(default=None, max_length=40)
    row_count: int = 0
    outcome: str = Field(max_length=16)  # "ok", "denied", "stale" or "gone"
    correlation_id: str = Field(max_length=32)
    subject: str | None = Field(default=None, max_length=80, index=True)  # whom it was about
    interest_id: int | None = Field(default=None, index=True)
    field: str | None = Field(default=None, max_length=16)  # what changed: "status", "region"
    from_value: str | None = Field(default=None, max_length=40)
    to_value: str | None = Field(default=None, max_length=40)
    occurrences: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    bucket: datetime | None = Field(default=None, sa_column=_ts(nullable=True))  # counted entries
    last_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
