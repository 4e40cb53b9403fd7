"""Places at question time: find the place names in a question and resolve them to a nation and
NHS England region, preferring the reading the rest of the question supports and saying so when
it had to guess. The rows come from the catalogue (bot/catalogue/places.py builds them at load).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.advice.matching import PhraseScanner, Token, tokenise
from bot.catalogue.places import PlaceRow
from bot.catalogue.text import norm_token

# Prepositions and words that make a capitalised word read as a place rather than a noun.
LOCATIVE_BEFORE = frozenset({"in", "at", "near", "from", "around", "outside", "to", "nr", "covering", "cover", "covers", "across", "serving", "between",
                             "hmp", "hmyoi"})  # "HMP Wakefield": a prison is named after its place
LOCATIVE_AFTER = frozenset({"based", "area", "hospital", "hospitals", "trust"})
# Unpunctuated writing ("dental nurse in hull how do i ..."): a new clause after a lowercase name
# ends it as a break would.
CLAUSE_AFTER = frozenset({"how", "what", "whats", "where", "which", "who", "any", "anything", "is", "are", "can", "could",
                          "im", "i", "looking", "wanting", "keen", "interested", "and", "but", "so", "pls", "please"})


# Place names that end a list of hobbies as often as a list of facts ("I like coding, reading."):
# in lower case they are places only after "in"/"at".
EVERYDAY_WORDS = frozenset({"reading", "march", "sale", "deal", "hope", "street", "battle", "fleet", "stone", "clay",
                            "eye", "ware", "wells", "rugby", "sandwich", "looe", "rye", "bury"})


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
    office: str | None = None  # the NHS England local office, where known


@dataclass(frozen=True)
class PlaceMention:
    """A place name found in the text: its token span and every reading it can have."""

    first: int
    last: int
    readings: tuple[PlaceRow, ...]

    @property
    def text(self) -> str:
        return self.readings[0].name


# How a place mention stands to the asker (decided by the reader from its cue words): where they
# work decides; where they live counts only when nothing says where they work; where someone else
# is, or where they trained, grew up or are moving to, never counts.
Standing = str  # "work" | "asker" | "home" | "ignore"
STANDING_ORDER = ("work", "asker", "home")
POSTCODE = re.compile(r"^([A-Za-z]{1,2})([0-9][0-9A-Za-z]?)$")
INWARD = re.compile(r"^[0-9][A-Za-z]{2}$")
# Postcode districts that are also grades or bands (ST4, CT2, FY1, F2, B7): read as a postcode
# only with more evidence (a bracket, the inward code, the word postcode).
GRADE_LIKE = frozenset({"st", "ct", "fy", "f", "b", "gp", "dct", "imt", "cst"})
LEVEL_WORDS = frozenset({"apprenticeship", "apprenticeships", "apprentice", "level", "qualification", "course"})
LEVEL_BEFORE = frozenset({"level", "scientist", "analyst", "statistician", "engineer", "the", "a", "an"})
# "MFT (Oxford Rd)": a town name followed by one of these names a street, not the town
STREET_WORDS = frozenset({"road", "rd", "street", "lane", "avenue", "ave"})
FACILITY = frozenset({"hospital", "infirmary", "general", "clinic", "hospice", "centre", "center", "practice", "surgery"})
QUALIFIER_GAP = 3  # "Newcastle (Staffs)", "Sutton, Surrey", "Richmond in North Yorkshire"


# Welsh nasal mutation after "yng"/"ym" ("in"): "yng Nghaerdydd" is Caerdydd (Cardiff), "yng
# Ngwynedd" Gwynedd, "ym Mangor" Bangor. Longest first.
NASAL = (("ngh", "c"), ("mh", "p"), ("nh", "t"), ("ng", "g"), ("m", "b"), ("n", "d"))


def _in_wales(readings: list[PlaceRow]) -> tuple[PlaceRow, ...]:
    """A name written in Welsh mutation ("ym Mangor") is the Welsh place of that name."""
    return tuple(r for r in readings if r.nation == "Wales") or tuple(readings)


def _unmutated(tokens: list[Token]) -> tuple[list[Token], set[int]]:
    """The tokens with Welsh-mutated words after "yng"/"ym" restored, and which ones were."""
    out, changed = tokens, set[int]()
    for i in range(1, len(tokens)):
        if tokens[i - 1].key not in ("yng", "ym"):
            continue
        word = tokens[i].text
        mutated, base = next(((m, b) for m, b in NASAL if word.lower().startswith(m)), ("", ""))
        if mutated:
            plain = (base.upper() if word[:1].isupper() else base) + word[len(mutated):]
            out = out if changed else list(tokens)
            out[i] = Token(plain, norm_token(plain), tokens[i].start, tokens[i].end)
            changed.add(i)
    return out, changed


@dataclass
class PlaceIndex:
    """Finds and resolves place names in free text."""

    by_key: dict[str, list[PlaceRow]]
    scanner: PhraseScanner[str]

    @classmethod
    def from_rows(cls, rows: Iterable[PlaceRow]) -> PlaceIndex:
        by_key: dict[str, list[PlaceRow]] = {}
        for row in rows:
            by_key.setdefault(row.key, []).append(row)
        scanner: PhraseScanner[str] = PhraseScanner(possessives=True)
        for key, readings in by_key.items():
            readings.sort(key=lambda r: r.rank)
            if not key.startswith("postcode "):
                scanner.add(key, key, plurals=False)
        return cls(by_key=by_key, scanner=scanner)

    def mentions(self, tokens: list[Token], text: str) -> list[PlaceMention]:
        """Every place the text names, longest name first, in order."""
        welsh, mutated = _unmutated(tokens)
        found = [
            PlaceMention(m.first, m.last, _in_wales(self.by_key[m.value]) if m.first in mutated else tuple(self.by_key[m.value]))
            for m in self.scanner.scan(welsh)
            if self._plausible(self.by_key[m.value], welsh, text, m.first, m.last)
        ]  # fmt: skip
        taken = {i for f in found for i in range(f.first, f.last)}
        for i in range(len(tokens)):
            if i not in taken:
                post = self._postcode(tokens, text, i)
                if post is not None:
                    found.append(post)
        return sorted(found, key=lambda f: f.first)

    def _postcode(self, tokens: list[Token], text: str, i: int) -> PlaceMention | None:
        hit = POSTCODE.match(tokens[i].text)
        if hit is None:
            return None
        area, district = hit.group(1).lower(), tokens[i].key
        written_upper = tokens[i].text.upper() == tokens[i].text
        before = tokens[i - 1].key if i > 0 else ""
        after = tokens[i + 1].text if i + 1 < len(tokens) else ""
        bracketed = text[max(0, tokens[i].start - 1) : tokens[i].start] == "(" or text[tokens[i].end : tokens[i].end + 1] == ")"
        certain = INWARD.match(after) is not None or before == "postcode" or after.lower() == "postcode"
        if not written_upper and not (bracketed or certain):
            return None
        if area in GRADE_LIKE and len(hit.group(2)) == 1 and not certain:
            return None  # "(ST3)" is a grade; "ST3 7LN" or "my ST3 postcode" is Stoke
        if area == "l" and not certain and ({t.key for t in tokens[i + 1 : i + 4]} & LEVEL_WORDS or before in LEVEL_BEFORE):
            return None  # "the Data Scientist L6 apprenticeship": a level, not Liverpool
        readings = self.by_key.get(f"postcode {district}") or self.by_key.get(f"postcode {area}")
        if not readings:
            return None
        return PlaceMention(i, i + 1, tuple(readings))

    @staticmethod
    def _plausible(readings: list[PlaceRow], tokens: list[Token], text: str, i: int, j: int) -> bool:
        first = readings[0]
        words = [t.text for t in tokens[i:j]]
        before = tokens[i - 1].key if i > 0 else ""
        after = tokens[j].key if j < len(tokens) else ""
        gap_after = text[tokens[j - 1].end : tokens[j].start] if j < len(tokens) else "."
        gap_before = text[tokens[i - 1].end : tokens[i].start] if i > 0 else ""
        if before == "the" and i > 1:  # "imt2 in the west mids"
            before = tokens[i - 2].key
        # A lowercase name after "in"/"at" and before a break reads as a place ("gpst2 in hull,"),
        # and so does one that ends a terse list ("bms b6 blood sciences, hull", "consultant, ney.")
        located = before in LOCATIVE_BEFORE and (bool(re.search(r"[,.;:!?)]", gap_after)) or after in LOCATIVE_AFTER or after in CLAUSE_AFTER)
        listed = bool(re.search(r"[,;]", gap_before)) and (j == len(tokens) or bool(re.search(r"[.!?]", gap_after)))
        located = located or listed and " ".join(words).lower() not in EVERYDAY_WORDS
        # "deputy CNIO from next month (hull)": a name alone in brackets is said as a place
        located = located or text[tokens[i].start - 1 : tokens[i].start] == "(" and text[tokens[j - 1].end : tokens[j - 1].end + 1] == ")"
        if first.case_sensitive:
            if first.name.isupper():
                # "rn in kss, b6": an acronym of three letters or more, written in lower case, is the
                # place only where it stands as one ("in kss," "at the rvi")
                if " ".join(words) != first.name and not (located and len(first.name) >= 3 and " ".join(words) == first.name.lower()):
                    return False
            elif not all(w[:1].isupper() for w in words if len(w) > 3 or w == words[0]) and not located:
                return False
        if first.source == "geonames" and before not in LOCATIVE_BEFORE and after not in LOCATIVE_AFTER:
            return False
        if after in STREET_WORDS:  # "MFT (Oxford Rd)": a street named after a town is not the town
            return False
        return True

    def resolve(self, mention: PlaceMention, mentions: list[PlaceMention], tokens: list[Token]) -> PlaceMatch:
        """One reading for a mention: the only one; the one a qualifier next to it names
        ("Newcastle (Staffs)"); the one its hint words or the other places support; else the
        default with a note, or (for a nickname several hospitals share) a question."""
        readings = mention.readings
        text = " ".join(t.text for t in tokens[mention.first : mention.last])
        if len({(r.nation, r.region) for r in readings}) == 1:
            r = readings[0]
            return _reading(text, r)
        qualifier = next((m for m in mentions if 0 < m.first - mention.last < QUALIFIER_GAP + 1 or m.first == mention.last), None)
        # "so not the Welsh Newport": a place said with "not" is no evidence for the others
        others = [m.readings for m in mentions if m is not mention and "not" not in {t.key for t in tokens[max(0, m.first - 3) : m.first]}]
        if qualifier is not None:
            picked = _consistent(readings, [qualifier.readings]) or _only_fit(readings, qualifier.readings)
            if picked is not None:
                return _reading(text, picked)
        words = " " + " ".join(t.key for t in tokens) + " "
        for r in readings:  # "Richmond (North Yorks, not London)", "not the Welsh Newport": a hint said with "not" rules it out
            if any(f" {h} " in words and not any(f" {n} {h} " in words for n in ("not", "not the", "not in", "not a")) for h in r.hints):
                return _reading(text, r)
        picked = _consistent(readings, others) or (_only_fit(readings, others[0]) if len(set(others)) == 1 else None)
        if picked is not None:  # "Radiographer in Newport. St Mary's on the Island": one St Mary's is in a Newport
            return _reading(text, picked)
        if readings[0].kind in ("shared", "split"):  # no usual reading: ask, keep what they agree on
            nations = {r.nation for r in readings}
            options = " or ".join(sorted({r.label for r in readings})[:4])
            if readings[0].kind == "shared":
                note = f"Several hospitals are called {text} ({options}); tell me which, or the town, and I'll name your region."
            elif any(r.label.startswith(f"{text},") for r in readings):  # a town name several places share
                note = f"There's more than one {text} ({options}); tell me which and I'll name your region."
            else:
                note = f"{text} is split between NHS regions ({options}); tell me the town and I'll name yours."
            nation = readings[0].nation if len(nations) == 1 else None
            return PlaceMatch(text, text, nation or "", None, readings[0].kind, uncertain=True, note=note)
        r = readings[0]
        note = f"I've taken {text} to mean {r.label}; tell me if you meant somewhere else."
        return _reading(text, r, uncertain=True, note=note)

    def find(
        self,
        text: str,
        *,
        standing: Callable[[PlaceMention], Standing] | None = None,
        read: tuple[list[Token], list[PlaceMention]] | None = None,
    ) -> PlaceMatch | None:
        """The place where the asker works, or None when the text names none. `read`: the text's
        tokens and place mentions, where the caller has them already (bot/advice/scope.Reader)."""
        if read is None:
            words = tokenise(text)
            read = (words, self.mentions(words, text))
        tokens, mentions = read
        if not mentions:
            return None
        judged = [(m, standing(m) if standing else "asker") for m in mentions]
        usable = [(m, s) for m, s in judged if s != "ignore"]
        if not usable:
            return None
        # A qualifier ("(Staffs)", ", Surrey", "in North Yorkshire") describes the name before it,
        # not a second place.
        qualified = {id(m): q for m, _ in usable for q, _ in usable if _qualifies(q, m, tokens)}
        qualifiers = {id(q) for q in qualified.values()}
        primary = [(m, s) for m, s in usable if id(m) not in qualifiers] or usable
        best = min(STANDING_ORDER.index(s) for _, s in primary)
        tied = [(m, s) for m, s in primary if STANDING_ORDER.index(s) == best]
        chosen_mention, chosen_standing = _pick(tied, tokens)
        chosen = self.resolve(chosen_mention, mentions, tokens)
        qualifier = qualified.get(id(chosen_mention))
        if qualifier is not None and len({(r.nation, r.region) for r in qualifier.readings}) == 1:
            q = qualifier.readings[0]
            vaguer = q.region is None and q.nation == chosen.nation  # "Leeds ICB": still Leeds
            # A hospital or trust is surer than a small town from the place-name list (GeoNames) next
            # to it, which is more likely its namesake: "the Christie in Withington" is Manchester's
            # Withington, not Herefordshire's. A listed town still corrects: "New Cross (Wolves)".
            sure = chosen.kind in ("hospital", "trust") and q.source == "geonames"
            if (chosen.nation, chosen.region) != (q.nation, q.region) and q.kind in QUALIFIER_KINDS and not vaguer and not sure:
                # "Newcastle (Staffs)": the person has told us which one they mean.
                text_ = f"{chosen.text} ({q.name})"
                return PlaceMatch(text_, text_, q.nation, q.region, chosen.kind, office=q.office)
            if q.office and q.office != chosen.office and q.kind in QUALIFIER_KINDS and not sure:
                chosen = dataclasses.replace(chosen, office=q.office)  # "Hythe in Kent": which local office
        if not chosen.nation:
            return chosen
        resolved = [self.resolve(m, mentions, tokens) for m, _ in primary]
        places = {(r.nation, r.region) for r in resolved if r.nation}
        if len(places) > 1 and not chosen.uncertain:
            others = ", ".join(sorted({r.text for r in resolved if (r.nation, r.region) != (chosen.nation, chosen.region)}))
            verb = "work" if chosen_standing == "work" else "are based"
            note = f"You mentioned {others} as well; I've taken it that you {verb} in {chosen.text}."
            chosen = dataclasses.replace(chosen, uncertain=True, note=note)
        return chosen


QUALIFIER_KINDS = frozenset({"county", "region", "nation", "ics", "deanery", "town", "ambiguous", "split"})
# Most specific first: a hospital says more about where someone works than a region's name.
SPECIFICITY = {"hospital": 0, "trust": 0, "shared": 0, "research": 1, "hsc_trust": 1, "health_board": 1, "icb": 1, "csu": 1,
               "postcode": 1, "postcode_area": 2, "town": 2, "ambiguous": 2, "split": 3, "ics": 3, "deanery": 3,
               "county": 3, "region": 4, "nation": 5}  # fmt: skip
CONTRAST = frozenset({"but", "though", "although", "however", "whereas", "while", "whilst", "yet"})


def _qualifies(q: PlaceMention, m: PlaceMention, tokens: list[Token]) -> bool:
    """Whether q, right after m, says which m is meant: "Newcastle (Staffs)", "Sutton, Surrey"."""
    if not 0 <= q.first - m.last <= 2 or q is m:
        return False
    between = [t.key for t in tokens[m.last : q.first]]
    # "Kettering General, from Ghana" is where they come from, not which Kettering; "Holywell
    # Hospital in Antrim" says which Holywell
    facility = len(between) == 2 and between[0] in FACILITY and between[1] in ("in", "on")
    return (len(between) <= 1 and set(between) <= {"in", "on"} or facility) and q.readings[0].kind in QUALIFIER_KINDS


def _pick(tied: list[tuple[PlaceMention, Standing]], tokens: list[Token]) -> tuple[PlaceMention, Standing]:
    """Among equally placed mentions: the one after a contrast ("based in X but I work at Y"),
    else the most specific (a hospital over a region's name), else the first."""
    ordered = sorted(tied, key=lambda ms: ms[0].first)
    for i, (earlier, later) in enumerate(zip(ordered, ordered[1:], strict=False)):
        # "mostly Craigavon ... but everything I find is NHS England": a nation or region named
        # after a contrast does not overrule a town or hospital the asker named before it.
        broader = _specificity(later[0]) >= SPECIFICITY["region"] > min(_specificity(m) for m, _ in ordered[: i + 1])
        if CONTRAST & {t.key for t in tokens[earlier[0].last : later[0].first]} and not broader:
            return later
    return min(ordered, key=lambda ms: (_specificity(ms[0]), ms[0].first))


def _reading(text: str, r: PlaceRow, *, uncertain: bool = False, note: str | None = None) -> PlaceMatch:
    """The match for `text` read as place row `r`."""
    return PlaceMatch(text, r.label, r.nation, r.region, r.kind, uncertain, note, r.office)


def _specificity(m: PlaceMention) -> int:
    return SPECIFICITY.get(m.readings[0].kind, 2)


def _only_fit(readings: tuple[PlaceRow, ...], beside: tuple[PlaceRow, ...]) -> PlaceRow | None:
    """Two ambiguous names side by side that share one reading: "St Mary's in Newport" is the
    Isle of Wight's St Mary's, whichever Newport is meant, for no other St Mary's is in a Newport."""
    fits = [r for r in readings if any(_agree(o, r) for o in beside)]
    return fits[0] if fits and len({(r.nation, r.region) for r in fits}) == 1 else None


def _agree(o: PlaceRow, r: PlaceRow) -> bool:
    return o.nation == r.nation and (o.region == r.region or o.region is None and o.kind in ("nation", "region"))


def _consistent(readings: tuple[PlaceRow, ...], others: list[tuple[PlaceRow, ...]]) -> PlaceRow | None:
    """The reading that agrees with a place named beside it (an unambiguous one first)."""
    for group in sorted(others, key=len):
        for r in readings:
            if any(_agree(o, r) for o in group):
                if len(group) == 1 or len({(o.nation, o.region) for o in group}) == 1:
                    return r
    return None
