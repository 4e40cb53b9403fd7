"""The loaded catalogue as an immutable in-memory snapshot, read from the database.

The advisor reads programmes on every question, so the snapshot is cached per catalogue version:
each question costs one primary-key read of the version row, and a reload by
`pathfinder catalogue load` is picked up on the next question.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.catalogue.schema import NetworkDoc, ProgrammeDoc
from bot.catalogue.tables import CatalogueMeta, Network, Place, Programme
from bot.places import TOKEN, PlaceIndex, _norm_token, normalise, row_from

# Aliases that are also ordinary words: matched only as written (capitalised).
_WORD_ALIASES = frozenset({"hip", "chime", "imagine", "digital readiness"})
_NEGATIONS = frozenset(
    {"without", "instead", "other", "rather", "not", "except", "besides", "apart"}
)


class CatalogueNotLoaded(RuntimeError):
    """The database holds no catalogue: run `pathfinder catalogue load`."""


@dataclass(frozen=True)
class NamedMention:
    programme_id: str
    negated: bool


@dataclass
class AliasIndex:
    """Finds programme names and aliases in a question."""

    by_key: dict[str, tuple[str, bool]]
    max_words: int

    @classmethod
    def build(cls, programmes: tuple[ProgrammeDoc, ...]) -> AliasIndex:
        by_key: dict[str, tuple[str, bool]] = {}
        for p in programmes:
            for alias in [p.name, *p.aliases]:
                key = normalise(alias)
                if key:
                    by_key[key] = (p.id, key in _WORD_ALIASES)
        longest = max((len(k.split()) for k in by_key), default=1)
        return cls(by_key, longest)

    def find(self, text: str) -> list[NamedMention]:
        originals = [m.group(0) for m in TOKEN.finditer(text)]
        tokens = [_norm_token(t) for t in originals]
        found: dict[str, NamedMention] = {}
        i = 0
        while i < len(tokens):
            for n in range(min(self.max_words, len(tokens) - i), 0, -1):
                hit = self.by_key.get(" ".join(tokens[i : i + n]))
                if hit is None:
                    continue
                pid, word_like = hit
                if word_like and not originals[i][:1].isupper():
                    continue
                negated = bool(_NEGATIONS.intersection(tokens[max(0, i - 6) : i]))
                if pid not in found or (found[pid].negated and not negated):
                    found[pid] = NamedMention(pid, negated)
                i += n - 1
                break
            i += 1
        return list(found.values())


@dataclass(frozen=True)
class Catalogue:
    version: str
    programmes: tuple[ProgrammeDoc, ...]
    networks: tuple[NetworkDoc, ...]
    places: PlaceIndex
    aliases: AliasIndex
    by_id: dict[str, ProgrammeDoc] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        version: str,
        programmes: tuple[ProgrammeDoc, ...],
        networks: tuple[NetworkDoc, ...],
        places: PlaceIndex,
    ) -> Catalogue:
        return cls(
            version=version,
            programmes=programmes,
            networks=networks,
            places=places,
            aliases=AliasIndex.build(programmes),
            by_id={p.id: p for p in programmes},
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
    places = PlaceIndex.from_rows(row_from(p) for p in session.exec(select(Place)).all())
    return Catalogue.build(meta.value, programmes, networks, places)


class CatalogueCache:
    """Holds the current snapshot for one engine; rebuilds it when the version changes."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._snapshot: Catalogue | None = None

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
                    self._snapshot = read_snapshot(session)
                return self._snapshot
