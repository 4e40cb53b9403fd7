"""The Agenda for Change band the asker holds ("band 6", "B7", "8a", "AfC 6", "band 5, sorry 6"),
and two helpers the grade readers share: a correction said of the asker, and a grade-like token
that is a postcode ("ST4 7LN").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TypeVar

from bot.advice import whose
from bot.advice.matching import Match
from bot.advice.scope import ASKER, Reader, token_at

T = TypeVar("T")

WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "eighteen": 18, "twenty": 20,
}  # fmt: skip
BAND = re.compile(
    r"(?<![A-Za-z0-9])(?:(?:agenda\s+for\s+change|afc)\s*(?:band\s*)?|band[\"']?\s*[:=]\s*|band\s*-?\s*|(?-i:bd)\.?\s?|B\s?|(?:i['’]?m|i am)\s+an?\s+(?=[2-9][a-d]?\s+(?:on|in|at|nurse|physio|ot|sister|on the)\b))"
    r"([2-9]|two|three|four|five|six|seven|eight|nine)\s?([a-d])?(?![0-9A-Za-z])"
    r"|(?<![A-Za-z0-9£$])([89])\s?([a-d])(?![0-9A-Za-z])"
    r"|(?:^|[,;(]\s*|\bsubstantive(?:ly)?\s+)an?\s+([2-9])([a-d])?(?=\s*(?:[.,;)]|$))",
    re.IGNORECASE,
)
POSTCODE_AFTER = frozenset({"postcode", "post", "area"})


def corrected(r: Reader, said: list[tuple[str, int, T]]) -> T | None:
    """Of the things said of the asker (who, token, thing), the last one said as a correction
    ("sorry, meant band 7"; "F1 - sorry, F2 now"), if any."""
    fixed = [(i, thing) for who, i, thing in said if who in ASKER and r.cue_before("correction", i, 3) and not _ahead(r, i)]
    return max(fixed, key=lambda f: f[0])[1] if fixed else None


AHEAD = frozenset({"from", "next", "soon", "when", "once", "after", "hopefully", "pending"})


def _ahead(r: Reader, i: int) -> bool:
    """ "band 6 (well, band 7 from April)": a band or grade still to come is not a correction."""
    return any(t.key in AHEAD for t in r.tokens[i + 1 : i + 4])


def is_postcode(r: Reader, i: int, hit: re.Match[str]) -> bool:
    """'ST4 7LN' or 'my ST4 postcode' is Stoke, not a grade."""
    after = r.text[hit.end() : hit.end() + 5]
    nxt = r.tokens[i + 1].key if i + 1 < len(r.tokens) else ""
    return bool(re.match(r"\s?\d[A-Za-z]{2}\b", after)) or nxt in POSTCODE_AFTER


def _bands(r: Reader) -> Iterator[tuple[re.Match[str], int, int]]:
    """Every band said, about anyone: (match, token index, band)."""
    for hit in BAND.finditer(r.text):
        group = next(g for g in (1, 3, 5) if hit.group(g))
        raw = hit.group(group).lower()
        value = int(raw) if raw.isdigit() else WORD_NUMBERS.get(raw)
        i = token_at(r.tokens, hit.start(group))
        if value is None or i is None:
            continue
        if hit.group(3) and not _band_context(r, i):
            continue  # a bare "8a" only where a band makes sense
        if hit.group(1) and hit.group(0)[:1] in "Bb" and not hit.group(0)[:4].lower() == "band" and _named_unit(r, hit.start()):
            continue  # "Ward B3", "bay B4": a place on site, not a band
        if hit.group(0)[:2] == "bd" and is_postcode(r, i, hit):
            continue  # "bd9 postcode": Bradford
        if hit.group(0) == "b4" and _before_something(r, i):
            continue  # "what can I do b4 IMT": "before", not band 4
        yield hit, i, value


BEFORE_WHAT = frozenset({"i", "we", "you", "they", "the", "my", "our", "it", "that", "this", "then", "next", "starting", "applying",
                         "going", "leaving", "christmas", "xmas", "mat", "core", "specialty", "foundation", "uni", "graduating"})


def _before_something(r: Reader, i: int) -> bool:
    """ "b4" followed by a time, a grade or a clause is the texting spelling of "before"."""
    if i + 1 >= len(r.tokens):
        return False
    nxt = r.tokens[i + 1]
    grade = any(m.first == i + 1 for m in r.grade_matches) or any(rx.match(r.text, nxt.start) for _, rx in r.vocab.stage_numbers)
    return nxt.key in BEFORE_WHAT or grade


def band(r: Reader) -> int | None:
    candidates: list[tuple[str, int, int]] = []
    for hit, i, value in _bands(r):
        if whose.THRESHOLD.match(r.text[hit.end() :]):
            continue  # "is it all band 6+?": a threshold, not anyone's band
        said_by = r.who(Match("band", i, i + 1, False, hit.group(0)), possessive_is_other=False)
        said_by = whose.band(r, i) or said_by
        candidates.append((said_by, i, value))
    for who in ASKER:
        mine = sorted((c for c in candidates if c[0] == who), key=lambda c: c[1])
        if mine:  # "b6 radiographer - sorry, meant band 7": a correction is the band held
            return _bare_correction(r, mine[0][1]) or corrected(r, [(c[0], c[1], c[2]) for c in candidates]) or mine[0][2]
    return None


COUNTED = frozenset({"more", "quick", "q", "qs", "other", "things", "questions", "mins", "secs", "min", "sec", "of"})


def _bare_correction(r: Reader, after: int) -> int | None:
    """ "band 5, sorry 6", "Band 6 sorry 7 physio": a bare number said as a correction of a band."""
    for c in r.all_cues:
        if c.value != "correction" or c.first <= after or c.first - after > 4 or c.last >= len(r.tokens) or _ahead(r, c.last):
            continue
        hit = re.fullmatch(r"([2-9])[a-d]?", r.tokens[c.last].key)
        nxt = r.tokens[c.last + 1].key if c.last + 1 < len(r.tokens) else ""
        if hit and not (nxt in COUNTED or len(nxt) > 3 and nxt.endswith("s")):  # not "sorry, 2 questions"
            return int(hit.group(1))
    return None


def band_between(r: Reader, first: int, last: int) -> int | None:
    """A band said within tokens [first, last), about anyone ("my band 5s")."""
    return next((value for _, i, value in _bands(r) if first <= i < last), None)


UNITS = frozenset({"ward", "bay", "room", "bed", "unit", "floor", "level", "block", "wing", "theatre", "clinic", "corridor", "zone"})


def _named_unit(r: Reader, offset: int) -> bool:
    j = token_at(r.tokens, offset)
    return j is not None and j > 0 and r.tokens[j - 1].key in UNITS


def _band_context(r: Reader, i: int) -> bool:
    """'8a' means a band next to a profession or NHS words; not a postcode or a room number."""
    window = " ".join(t.key for t in r.tokens[max(0, i - 4) : i + 5])
    return not re.search(r"\broom\b|\bward\b \d|\bbus\b|\bflat\b", window)


