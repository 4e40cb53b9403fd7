"""The loaded catalogue as an immutable in-memory snapshot, read from the database.

The advisor reads programmes on every question, so the snapshot is cached per catalogue version:
each question costs one primary-key read of the version row, and a reload by
`pathfinder catalogue load` is picked up on the next question.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.catalogue.places import PlaceRow, row_from
from bot.catalogue.schema import FaqsFile, NetworkDoc, ProgrammeDoc
from bot.catalogue.tables import CatalogueMeta, KnowledgeDoc, Network, Place, Programme
from bot.catalogue.vocabulary import (
    IntentsFile,
    LearnedScreenFile,
    ProfessionsFile,
    ReadingFile,
    RefusalsFile,
)


class CatalogueNotLoaded(RuntimeError):
    """The database holds no catalogue: run `pathfinder catalogue load`."""


@dataclass(frozen=True)
class Catalogue:
    version: str
    programmes: tuple[ProgrammeDoc, ...]
    networks: tuple[NetworkDoc, ...]
    places: tuple[PlaceRow, ...]
    professions: ProfessionsFile
    intents: IntentsFile
    reading: ReadingFile
    refusals: RefusalsFile
    faqs: FaqsFile
    by_id: dict[str, ProgrammeDoc] = field(default_factory=dict)
    learned: LearnedScreenFile | None = None

    @classmethod
    def build(
        cls,
        version: str,
        programmes: tuple[ProgrammeDoc, ...],
        networks: tuple[NetworkDoc, ...],
        places: tuple[PlaceRow, ...],
        documents: dict[str, dict[str, object]],
    ) -> Catalogue:
        return cls(
            version=version,
            programmes=programmes,
            networks=networks,
            places=places,
            professions=ProfessionsFile.model_validate(documents["professions"]),
            intents=IntentsFile.model_validate(documents["intents"]),
            reading=ReadingFile.model_validate(documents["reading"]),
            refusals=RefusalsFile.model_validate(documents["refusals"]),
            faqs=FaqsFile.model_validate(documents["faqs"]),
            by_id={p.id: p for p in programmes},
            learned=LearnedScreenFile.model_validate(documents["learned_screen"]) if "learned_screen" in documents else None,
        )

    def network_for(self, region: str | None) -> NetworkDoc | None:
        """The ISDN serving an NHS England region, if one is on record."""
        if region is None:
            return None
        return next((n for n in self.networks if n.region == region), None)


def read_snapshot(session: Session) -> Catalogue:
    """Build a snapshot from the database."""
    meta = session.get(CatalogueMeta, "version")
    if meta is None:
        raise CatalogueNotLoaded("no catalogue in the database: run `pathfinder catalogue load`")
    rows = session.exec(select(Programme).order_by(Programme.id)).all()
    programmes = tuple(ProgrammeDoc.model_validate(r.document) for r in rows)
    networks = tuple(
        NetworkDoc.model_validate(n.document)
        for n in session.exec(select(Network).order_by(Network.id)).all()
    )
    places = tuple(row_from(p) for p in session.exec(select(Place)).all())
    documents = {d.name: d.document for d in session.exec(select(KnowledgeDoc)).all()}
    return Catalogue.build(meta.value, programmes, networks, places, documents)


# Snapshots by catalogue version, shared by every cache in the process. The version is a hash of
# everything loaded (knowledge/ and the code that derives place rows), so two databases holding
# the same version hold the same catalogue: a second engine (or a second service on the same one)
# reuses the snapshot, and with it the indexes built for it (lexicon.py), instead of spending a
# second or two reading and indexing it again.
_SHARED: dict[str, Catalogue] = {}
_SHARED_LOCK = threading.Lock()
_SHARED_MAX = 4


def _shared(version: str, read: Callable[[], Catalogue]) -> Catalogue:
    with _SHARED_LOCK:
        found = _SHARED.get(version)
        if found is None:
            found = read()
            if len(_SHARED) >= _SHARED_MAX:
                _SHARED.pop(next(iter(_SHARED)))
            _SHARED[version] = found
        return found


class CatalogueCache:
    """Holds the current snapshot for one engine; rebuilds it when the version changes."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._snapshot: Catalogue | None = None

    def latest(self) -> Catalogue:
        """The snapshot last read, without asking the database whether it is still current (for a
        reply due within Slack's three seconds); the first call reads it."""
        return self._snapshot if self._snapshot is not None else self.get()

    def get(self) -> Catalogue:
        with Session(self._engine) as session:
            meta = session.get(CatalogueMeta, "version")
            if meta is None:
                raise CatalogueNotLoaded(
                    "no catalogue in the database: run `pathfinder catalogue load`"
                )
            current = self._snapshot
            if current is not None and current.version == meta.value:
                return current
            with self._lock:
                if self._snapshot is None or self._snapshot.version != meta.value:
                    self._snapshot = _shared(meta.value, lambda: read_snapshot(session))
                return self._snapshot
