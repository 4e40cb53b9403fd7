"""Places at question time: find the place names in a question and resolve them to a nation and
NHS England region, preferring the reading the rest of the question supports and saying so when
it had to guess. The rows come from the catalogue (bot/catalogue/places.py builds them at load).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.catalogue.places import PlaceRow
from bot.catalogue.text import TOKEN, norm_token

# Prepositions and words that make a capitalised word read as a place rather than a noun.
LOCATIVE_BEFORE = frozenset({"in", "at", "near", "from", "around", "outside", "to", "nr"})
LOCATIVE_AFTER = frozenset({"based", "area", "hospital", "hospitals", "trust"})


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
        tokens = [norm_token(t) for t in originals]
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
