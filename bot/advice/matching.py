"""The one phrase scanner: finds the longest known phrase at each point of a text.

Reading (professions, grades, roles, cues), places and programme names all use it, so a phrase
means the same thing wherever it is matched. Phrases are compared as lowercase word keys
(bot.catalogue.text); a phrase marked case-sensitive (an acronym such as "OT" or "HCA") matches
only as written. A phrase's simple plurals match too, flagged, because "nurses" names a group of
people rather than the person asking.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.catalogue.text import TOKEN, norm_token

T = TypeVar("T")


@dataclass(frozen=True)
class Token:
    text: str  # as written
    key: str  # normalised
    start: int  # character offsets in the scanned text
    end: int


def tokenise(text: str) -> list[Token]:
    """Words (and "&") with their offsets; hyphens and punctuation separate words."""
    return [Token(m.group(0), norm_token(m.group(0)), m.start(), m.end()) for m in TOKEN.finditer(text)]


@dataclass(frozen=True)
class Match(Generic[T]):
    value: T
    first: int  # token index of the first word
    last: int  # token index after the last word
    plural: bool
    text: str  # the matched words as written
    blocked: bool = False  # a phrase that holds a name but is not one (dropped by scan)


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    words: tuple[str, ...]  # as written, for case-sensitive phrases
    case_sensitive: bool
    plural: bool


def _plurals(words: list[str]) -> list[str]:
    last = words[-1]
    if not last.isalpha() or len(last) < 3:
        return []
    if last.endswith("y") and last[-2:-1] not in "aeiou":
        forms = [last[:-1] + "ies"]
    elif last.endswith(("s", "x", "ch", "sh")):
        forms = [last + "es"]
    elif last.endswith("man"):
        forms = [last[:-3] + "men"]
    elif last.endswith("fe"):
        forms = [last[:-2] + "ves", last + "s"]
    else:
        forms = [last + "s"]
    return [" ".join([*words[:-1], f]) for f in forms]


class PhraseScanner(Generic[T]):
    """Longest-match lookup of many phrases at once."""

    def __init__(self, *, possessives: bool = False) -> None:
        self._entries: dict[str, list[_Entry[T]]] = {}
        # Phrases that hold a name but are not one ("GP practice" is a place, not a GP): they win
        # the longest match where they are said, and are then dropped, so the shorter name inside
        # them is never found there.
        self._blocked: set[str] = set()
        self.max_words = 1
        # Names read through a possessive ("NHS England's team"); never cue words ("who's").
        self.possessives = possessives

    def add(self, phrase: str, value: T, *, case_sensitive: bool = False, plurals: bool = True) -> None:
        tokens = tokenise(phrase)
        if not tokens:
            return
        key = " ".join(t.key for t in tokens)
        written = tuple(t.text for t in tokens)
        self._put(key, _Entry(value, written, case_sensitive, False))
        if plurals and case_sensitive:  # "OTs", "HCAs": the acronym as written plus a small s
            self._put(key + "s", _Entry(value, (*written[:-1], written[-1] + "s"), True, True))
        elif plurals:
            for form in _plurals([t.key for t in tokens]):
                self._put(form, _Entry(value, written, False, True))

    def add_all(self, phrases: Iterable[str], value: T, *, case_sensitive: bool = False, plurals: bool = True) -> None:
        for phrase in phrases:
            self.add(phrase, value, case_sensitive=case_sensitive, plurals=plurals)

    def block(self, phrases: Iterable[str]) -> None:
        """Phrases that are not names, though a name lies inside them (plurals too)."""
        for phrase in phrases:
            keys = [t.key for t in tokenise(phrase)]
            if keys:
                for key in {" ".join(keys), *_plurals(keys)}:
                    self._blocked.add(key)
                    self.max_words = max(self.max_words, key.count(" ") + 1)

    def _put(self, key: str, entry: _Entry[T]) -> None:
        bucket = self._entries.setdefault(key, [])
        if any(e.value == entry.value and e.case_sensitive == entry.case_sensitive for e in bucket):
            return
        bucket.append(entry)
        self.max_words = max(self.max_words, key.count(" ") + 1)

    def scan(self, tokens: list[Token], *, overlapping: bool = False) -> list[Match[T]]:
        """The longest match at each position. Without `overlapping`, matches never share a word:
        the longer one wins wherever it starts ("at the South West Acute" is the hospital, not
        "the South West"), ties going to the one with more letters, then the earlier one."""
        candidates = [hit for i in range(len(tokens)) for hit in [self._longest_at(tokens, i)] if hit]
        if overlapping:
            return [m for hit in candidates if not hit[0].blocked for m in hit]
        chosen: list[list[Match[T]]] = []
        taken: set[int] = set()
        for hit in sorted(candidates, key=lambda h: (-(h[0].last - h[0].first), -_letters(h[0].text), h[0].first)):
            span = set(range(hit[0].first, hit[0].last))
            if span & taken:
                continue
            taken |= span
            chosen.append(hit)
        return [m for hit in sorted(chosen, key=lambda h: h[0].first) if not hit[0].blocked for m in hit]

    def _longest_at(self, tokens: list[Token], i: int) -> list[Match[T]]:
        for n in range(min(self.max_words, len(tokens) - i), 0, -1):
            window = tokens[i : i + n]
            key = " ".join(t.key for t in window)
            if key in self._blocked:
                return [Match(None, i, i + n, False, " ".join(t.text for t in window), blocked=True)]  # type: ignore[arg-type]
            entries = self._entries.get(key)
            last = window[-1].text
            if not entries and self.possessives and last[-2:] in ("'s", "’s"):  # "NHS England's team"
                entries = self._entries.get(key[:-1])
            if not entries:
                continue
            written = tuple(t.text for t in window)
            hits = [
                Match(e.value, i, i + n, e.plural, " ".join(written))
                for e in entries
                if not e.case_sensitive or _same_case(e.words, written)
            ]
            if hits:
                return hits
        return []


def _letters(text: str) -> int:
    """Letters that carry meaning: a leading article says nothing about which place it is."""
    words = text.split()
    if words and words[0].lower() in ("the", "a", "an"):
        words = words[1:]
    return sum(len(w) for w in words)


def _same_case(expected: tuple[str, ...], written: tuple[str, ...]) -> bool:
    """An acronym matches only as written (apostrophes aside: "OT's" is "OTs")."""
    return all(
        want == got.replace("'", "").replace("’", "") for want, got in zip(expected, written, strict=True)
    )
