"""Pydantic models for the files in knowledge/: what a valid catalogue file looks like."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.catalogue.vocabulary import (
    NATIONS,
    REGIONS,
    ROLES,
    STAGES,
    Intent,
    Nation,
    Profession,
    ProgrammeKind,
    Region,
    Role,
    SpecialtyGroup,
    Stage,
)

SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
URL = re.compile(r"^https?://\S+$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_source(value: str) -> str:
    if value != "seed" and not URL.match(value):
        raise ValueError(f"a source must be a URL or 'seed', not {value!r}")
    return value


class Fact(Strict):
    """One statement with its provenance."""

    text: str = Field(min_length=1)
    sources: list[str] = Field(min_length=1)
    uncertain: bool = False
    note: str | None = None
    time_sensitive: bool = False
    as_of: date | None = None

    @field_validator("sources")
    @classmethod
    def _sources_are_urls_or_seed(cls, value: list[str]) -> list[str]:
        return [_check_source(v) for v in value]

    @model_validator(mode="after")
    def _uncertain_needs_a_note(self) -> Fact:
        if self.uncertain and not self.note:
            raise ValueError("an uncertain fact needs a 'note' saying why")
        return self

    @property
    def urls(self) -> list[str]:
        return [s for s in self.sources if s != "seed"]


class TopicFact(Fact):
    topic: str = Field(pattern=r"^[a-z_]+$")


State = Literal["running", "recruiting", "closed", "historical", "unverified"]
# Entries in these states are never "fits you now": they are shown only when asked about by
# name, or as "may no longer run: check", and never ahead of a running programme.
INACTIVE_STATES = frozenset({"closed", "historical", "unverified"})
ENDED_STATES = frozenset({"closed", "historical"})


class StatusFact(Fact):
    """Whether the programme runs, as of the date its source shows."""

    state: State
    as_of: date  # required here, optional on other facts

    @property
    def active(self) -> bool:
        return self.state not in INACTIVE_STATES

    @property
    def ended(self) -> bool:
        """Known to have stopped (closed or historical), as against not known to run (unverified)."""
        return self.state in ENDED_STATES


# "2026-08" (a month) or "2026-08-03" (a day): sources often give only the month.
PartialDate = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")]


def first_day(value: str) -> date:
    """The earliest date a partial date can mean."""
    parts = [int(x) for x in value.split("-")]
    return date(parts[0], parts[1], parts[2] if len(parts) == 3 else 1)


def describe(value: str) -> str:
    """'March 2026' or '3 March 2026'."""
    day = first_day(value)
    return f"{day:%B %Y}" if value.count("-") == 1 else f"{day.day} {day:%B %Y}"


class Window(Strict):
    """One application round, as a source gives it. Any part may be missing."""

    cohort: str | None = None
    opens: PartialDate | None = None
    closes: PartialDate | None = None
    interviews: PartialDate | None = None
    starts: PartialDate | None = None
    pattern: str | None = None  # a recurring pattern a source states ("usually open in January")
    nations: list[Nation] = []  # the round is for these nations only (STP posts in Wales); [] = all
    as_of: date
    sources: list[str] = Field(min_length=1)
    uncertain: bool = False
    note: str | None = None

    @field_validator("sources")
    @classmethod
    def _sources_are_urls_or_seed(cls, value: list[str]) -> list[str]:
        return [_check_source(v) for v in value]

    @model_validator(mode="after")
    def _says_something(self) -> Window:
        if not any((self.opens, self.closes, self.interviews, self.starts, self.pattern)):
            raise ValueError("a window needs at least one of opens, closes, interviews, starts, pattern")
        if self.uncertain and not self.note:
            raise ValueError("an uncertain window needs a 'note' saying why")
        if self.opens and self.closes and first_day(self.closes) < first_day(self.opens):
            raise ValueError("closes is before opens")
        return self


class _Criterion(Strict):
    label: str = Field(min_length=1)
    check: str | None = None


class ProfessionCriterion(_Criterion):
    kind: Literal["profession"]
    allowed: list[Profession]
    unknown: list[Profession] = []
    registered: bool = False  # on the profession's register: not someone still training for it


class StageCriterion(_Criterion):
    kind: Literal["stage"]
    professions: list[Profession] = ["doctor", "dentist"]
    allowed: list[Stage]
    unknown: list[Stage] = []
    later: list[Stage] = []


class BandCriterion(_Criterion):
    kind: Literal["band"]
    min: int = Field(ge=2, le=9)
    professions: list[Profession]


class SpecialtyCriterion(_Criterion):
    kind: Literal["specialty"]
    groups: list[SpecialtyGroup] = Field(min_length=1)
    professions: list[Profession] = ["doctor"]


class EntryPointCriterion(_Criterion):
    kind: Literal["entry_point"]
    stage: Stage
    year: int = Field(ge=1, le=9)


class NationCriterion(_Criterion):
    """`elsewhere` says, for a nation that is neither allowed nor unknown, what there is to know
    (a pilot there that has ended, whom to ask)."""

    kind: Literal["nation"]
    allowed: list[Nation]
    unknown: list[Nation] = []
    elsewhere: dict[Nation, str] = {}


class ExperienceCriterion(_Criterion):
    """Years of some experience (DHLP: about 3 leading digital change), or, with no `min_years`,
    doing it now (Scotland's LDT: operating at level 3 or above of NES's experience table)."""

    kind: Literal["experience"]
    min_years: int | None = Field(default=None, ge=1, le=40)
    of: Literal["digital_leadership", "scientific", "any"]


class RegistrationCriterion(_Criterion):
    """Statutory registration in one of `professions` (HCPC registers clinical and biomedical
    scientists); `required: false` means "not yet registered" (the STP is the way in)."""

    kind: Literal["registration"]
    required: bool
    professions: list[Profession] = ["clinical_scientist"]


class DegreeCriterion(_Criterion):
    kind: Literal["degree"]


class RoleCriterion(_Criterion):
    kind: Literal["role"]
    allowed: list[Role] = Field(min_length=1)


class EmploymentCriterion(_Criterion):
    kind: Literal["employment"]
    not_on_notice: bool = False  # and not serving notice (DHLP)
    permanent_or_training: bool = False  # in training or in a permanent post, not a locum or agency one (Topol cohort 2)


class ApprovalCriterion(_Criterion):
    kind: Literal["approval"]
    check: str = Field(min_length=1)


class LocalExclusion(Strict):
    """A local office that leaves some specialties out ("KSS: all specialties except psychiatry")."""

    office: str = Field(min_length=1)  # a key of local_offices in knowledge/places/gazetteer.yaml
    specialty_groups: list[SpecialtyGroup] = Field(min_length=1)
    detail: str = Field(min_length=1)


class LocalCriterion(_Criterion):
    """Offered and decided locally (a deanery, a local office, an employer): "check locally", and,
    unlike approval, it keeps the verdict at "possible"; not met where a local office is known to
    leave the person's specialty out."""

    kind: Literal["local"]
    check: str = Field(min_length=1)
    exclusions: list[LocalExclusion] = []


Criterion = Annotated[
    ProfessionCriterion
    | StageCriterion
    | BandCriterion
    | SpecialtyCriterion
    | EntryPointCriterion
    | NationCriterion
    | ExperienceCriterion
    | RegistrationCriterion
    | DegreeCriterion
    | RoleCriterion
    | EmploymentCriterion
    | ApprovalCriterion
    | LocalCriterion,
    Field(discriminator="kind"),
]


class Routing(Strict):
    """Which needs an entry serves and for whom: derived guidance, not source facts."""

    intents: dict[Intent, Annotated[int, Field(ge=1, le=5)]] = {}
    audiences: dict[Profession, Annotated[int, Field(ge=1, le=5)]] = {}
    # Roles an entry is for ("the CCIO network" for CCIOs). Someone holding a role that other
    # entries are for, but not this one, is not sent here: a CCIO has the CCIO network, not the CIO one.
    roles: dict[Role, Annotated[int, Field(ge=1, le=5)]] = {}
    # Training stages an entry is built around (FPT: chosen at specialty-training entry). Adds to
    # relevance for someone at, or about to start, that stage, whatever else they asked.
    stages: dict[Stage, Annotated[int, Field(ge=1, le=5)]] = {}
    # Professions it is not suggested to unless they ask for what it is mainly for (its strongest
    # intent) or name it: an apprenticeship is a way into a data job, not a doctor's next step.
    not_suggested_to: list[Profession] = []
    not_for_senior: bool = False  # an entry route: not offered to senior staff unless asked for

    def main_intent(self) -> str | None:
        """The need it serves most strongly."""
        return max(self.intents, key=lambda i: self.intents[i]) if self.intents else None

    def intent(self, name: str) -> int:
        """How strongly the entry serves an intent (0 when it does not)."""
        return self.intents.get(name, 0)

    def audience(self, profession: str | None) -> int:
        """How squarely the entry is aimed at a profession (0 when it is not)."""
        return self.audiences.get(profession or "", 0)

    def role(self, role: str | None) -> int:
        """How squarely the entry is aimed at a role (0 when it is not)."""
        return cast(dict[str, int], self.roles).get(role or "", 0)

    def stage(self, stage: str | None) -> int:
        """How squarely the entry is built around a training stage (0 when it is not)."""
        return cast(dict[str, int], self.stages).get(stage or "", 0)


class ProgrammeDoc(Strict):
    """One catalogue entry, as stored in knowledge/programmes/<id>.yaml."""

    id: str
    name: str = Field(min_length=1)
    aliases: list[str] = []
    kind: ProgrammeKind
    open_to_individuals: bool = True
    provider: Fact
    summary: Fact
    who_for: Fact
    status: StatusFact
    windows: list[Window] = []
    time_commitment: Fact
    duration: Fact
    qualification: Fact
    how_to_apply: Fact
    funding: Fact | None = None
    facts: list[TopicFact] = []
    succeeded_by: list[str] = Field(default=[], description="Where its people went when it closed (ids).")
    eligibility: list[Criterion]
    routing: Routing
    source_urls: list[str]
    last_reviewed: date
    review_due: date

    @field_validator("id")
    @classmethod
    def _id_is_a_slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("id must be a lowercase slug (letters, digits, underscores)")
        return value

    @field_validator("source_urls")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        for v in value:
            if not URL.match(v):
                raise ValueError(f"not a URL: {v!r}")
        return value

    @model_validator(mode="after")
    def _dates_in_order(self) -> ProgrammeDoc:
        if self.review_due <= self.last_reviewed:
            raise ValueError("review_due must be after last_reviewed")
        return self

    def named_facts(self) -> list[tuple[str, Fact]]:
        """Every fact of the entry with the topic it answers."""
        pairs: list[tuple[str, Fact]] = [
            ("provider", self.provider),
            ("summary", self.summary),
            ("who_for", self.who_for),
            ("time_commitment", self.time_commitment),
            ("duration", self.duration),
            ("qualification", self.qualification),
            ("how_to_apply", self.how_to_apply),
            ("status", self.status),
        ]
        if self.funding is not None:
            pairs.append(("funding", self.funding))
        pairs.extend((f.topic, f) for f in self.facts)
        return pairs

    def all_urls(self) -> list[str]:
        """Entry-level source URLs first, then any URL a fact cites, without repeats."""
        seen: dict[str, None] = dict.fromkeys(self.source_urls)
        for _, fact in self.named_facts():
            seen.update(dict.fromkeys(fact.urls))
        return list(seen)


class NetworkDoc(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    name: str = Field(min_length=1)
    region: Region | None
    verified: bool
    note: str | None = None
    sources: list[str] = Field(min_length=1)


class NetworksFile(Strict):
    last_reviewed: date
    review_due: date
    networks: list[NetworkDoc] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_network_per_region(self) -> NetworksFile:
        seen: set[str] = set()
        for n in self.networks:
            if n.region is None:
                continue
            if n.region in seen:
                raise ValueError(f"two networks serve region {n.region!r}")
            seen.add(n.region)
        ids = [n.id for n in self.networks]
        if len(ids) != len(set(ids)):
            raise ValueError("network ids must be unique")
        return self


class RegionPlaces(Strict):
    aliases: list[str] = []
    counties: list[str] = []
    cities: list[str] = []
    trusts: list[str] = []
    deaneries: list[str] = []
    ics: list[str] = []


class NationPlaces(Strict):
    aliases: list[str] = []
    places: list[str] = []
    bodies: list[str] = []


class Reading(Strict):
    label: str
    region: Region | None = None
    nation: Nation | None = None
    hints: list[str] = []

    @model_validator(mode="after")
    def _one_of_region_or_nation(self) -> Reading:
        if (self.region is None) == (self.nation is None):
            raise ValueError("a reading names exactly one of 'region' or 'nation'")
        return self


class AmbiguousPlace(Strict):
    name: str
    readings: list[Reading] = Field(min_length=1)
    # True where no reading is the usual one ("Cumbria": north and south are in different
    # regions): without a hint, Pathfinder asks instead of taking the first reading.
    ask: bool = False


class LocalOffice(Strict):
    """An NHS England workforce, training and education local office (a former deanery) inside a
    region, named where a programme's rules differ between local offices (FPT in KSS)."""

    region: Region
    places: list[str] = Field(min_length=1)  # names listed under that region, or organisations' towns


class GazetteerFile(Strict):
    last_reviewed: date
    review_due: date
    sources: list[str] = []
    capitalised_only: list[str] = []
    regions: dict[Region, RegionPlaces]
    nations: dict[Nation, NationPlaces]
    ambiguous: list[AmbiguousPlace] = []
    local_offices: dict[str, LocalOffice] = {}


class Organisation(Strict):
    """An NHS organisation or hospital, as staff name it (knowledge/places/organisations.yaml); or
    a university or research institute whose name holds no town ("a postdoc at UCL"): `research`."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["hospital", "trust", "icb", "csu", "health_board", "hsc_trust", "research"]
    name: str = Field(min_length=1)
    aliases: list[str] = []
    town: str | None = None
    nation: Nation
    region: Region | None = None
    source: str

    @field_validator("source")
    @classmethod
    def _source_is_a_url(cls, value: str) -> str:
        return _check_source(value)

    @model_validator(mode="after")
    def _region_in_england_only(self) -> Organisation:
        if (self.nation == "England") != (self.region is not None):
            raise ValueError("region is set for England and only for England")
        return self


class OrganisationsFile(Strict):
    last_reviewed: date
    review_due: date
    organisations: list[Organisation] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> OrganisationsFile:
        ids = [o.id for o in self.organisations]
        if len(ids) != len(set(ids)):
            raise ValueError("organisation ids must be unique")
        return self


class PostcodePlace(Strict):
    nation: Nation
    region: Region | None = None


class PostcodeArea(Strict):
    """A postcode area (LS, CF, BT...) with its majority nation and region, and the districts
    that differ from it (CH5 is in Wales, S40 in the Midlands)."""

    area: str = Field(pattern=r"^[A-Z]{1,2}$")
    name: str
    nation: Nation
    region: Region | None = None
    districts: dict[str, PostcodePlace] = {}
    source: str | None = None

    @field_validator("districts")
    @classmethod
    def _districts_look_right(cls, value: dict[str, PostcodePlace]) -> dict[str, PostcodePlace]:
        for key in value:
            if not re.fullmatch(r"[A-Z]{1,2}[0-9][0-9A-Z]?", key):
                raise ValueError(f"not a postcode district: {key!r}")
        return value


class PostcodesFile(Strict):
    last_reviewed: date
    review_due: date
    sources: list[str] = []
    areas: list[PostcodeArea] = Field(min_length=1)


class Faq(Strict):
    """A question people ask that no programme answers, with the answer the sources support
    (for example: is there a UK clinical informatics GMC credential?)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    question: str = Field(min_length=1)
    phrases: list[str] = Field(min_length=1, description="Words that, all present, ask it.")
    answer: Fact
    related: list[str] = []


class FaqsFile(Strict):
    last_reviewed: date
    review_due: date
    faqs: list[Faq] = []


class DefunctBody(Strict):
    domain: str = Field(pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$")
    body: str
    ceased: date
    successor: str | None = None
    source: str


class ReviewFile(Strict):
    """What `pathfinder catalogue check` flags for a maintainer (knowledge/review.yaml)."""

    last_reviewed: date
    review_due: date
    status_stale_after_months: int = Field(ge=1, le=60)
    defunct_bodies: list[DefunctBody] = []


class SourceNote(Strict):
    title: str
    note: str | None = None
    last_reviewed_by_publisher: date | None = None


__all__ = [
    "NATIONS",
    "REGIONS",
    "ROLES",
    "STAGES",
    "Criterion",
    "Fact",
    "GazetteerFile",
    "NetworksFile",
    "ProgrammeDoc",
    "SourceNote",
    "TopicFact",
]
