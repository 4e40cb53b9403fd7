"""SQLModel tables holding the loaded catalogue. Slug primary keys make reloads upserts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class ProgrammeBase(SQLModel):
    id: str = Field(primary_key=True, max_length=64)
    name: str
    kind: str
    last_reviewed: date
    review_due: date


class Programme(ProgrammeBase, table=True):
    """A catalogue entry; `document` is the validated ProgrammeDoc as JSON."""

    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class Network(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str
    region: str | None = Field(default=None, index=True)
    verified: bool
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class Place(SQLModel, table=True):
    """One reading of a place name: the name as people write it, and where it is."""

    __table_args__ = (UniqueConstraint("key", "label"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, max_length=128)
    name: str
    label: str
    kind: str
    nation: str
    region: str | None = None
    hints: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    case_sensitive: bool = False
    rank: int = 0
    source: str
    population: int = 0
    office: str | None = None  # NHS England local office, where known (bot/catalogue/places.py)


class KnowledgeDoc(SQLModel, table=True):
    """A whole validated knowledge file other than a programme: the vocabularies, the FAQs."""

    name: str = Field(primary_key=True, max_length=64)
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class CatalogueMeta(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=64)
    value: str
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
