"""knowledge/vocabulary/*.yaml compiled for reading questions: one phrase scanner per kind of thing
people name, plus the few patterns a word list can't express. Built once per catalogue version
(bot/advice/lexicon.py); nothing here knows any particular word."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.advice.matching import PhraseScanner, Token
from bot.catalogue.vocabulary import (
    IntentsFile,
    ProfessionsFile,
    ReadingFile,
    Term,
)


@dataclass(frozen=True)
class Patterned:
    """A scanner for a list of terms, and the regular expressions some of them add."""

    scanner: PhraseScanner[str]
    patterns: tuple[tuple[str, re.Pattern[str]], ...]

    def ids_in(self, tokens: list[Token], text: str, *, skip: Sequence[tuple[int, int]] = ()) -> list[str]:
        """Term ids found in the text, in order of first appearance, without repeats; a hit lying
        wholly inside a `skip` span (character offsets) does not count ("data" in "data analyst")."""

        def skipped(start: int, end: int) -> bool:
            return any(a <= start and end <= b for a, b in skip)

        found: dict[str, int] = {}
        for m in reversed(self.scanner.scan(tokens, overlapping=True)):
            if not skipped(tokens[m.first].start, tokens[m.last - 1].end):
                found[m.value] = m.first
        for term_id, rx in self.patterns:
            hit = next((h for h in rx.finditer(text) if not skipped(h.start(), h.end())), None)
            if hit and term_id not in found:
                found[term_id] = len(tokens) + hit.start()  # after the phrase hits: order is stable
        return [k for k, _ in sorted(found.items(), key=lambda kv: kv[1])]


def _terms(terms: Sequence[Term], *, plurals: bool = True, blocked: Sequence[str] = ()) -> Patterned:
    scanner: PhraseScanner[str] = PhraseScanner()
    scanner.block(blocked)
    patterns: list[tuple[str, re.Pattern[str]]] = []
    for term in terms:
        scanner.add_all(term.phrases, term.id, plurals=plurals)
        scanner.add_all(term.acronyms, term.id, case_sensitive=True, plurals=plurals)
        patterns.extend((term.id, re.compile(p, re.IGNORECASE)) for p in term.patterns)
    return Patterned(scanner, tuple(patterns))


@dataclass(frozen=True)
class Vocabulary:
    professions: Patterned
    stages: Patterned
    stage_numbers: tuple[tuple[str, re.Pattern[str]], ...]
    specialties: Patterned
    specialty_groups: dict[str, str]
    roles: Patterned
    senior_roles: frozenset[str]
    role_implies: dict[str, str]
    topics: Patterned
    intents: Patterned
    cues: PhraseScanner[str]
    on_behalf: PhraseScanner[str]
    cue_words: dict[str, frozenset[str]] = field(default_factory=dict)


def compile_vocabulary(
    professions: ProfessionsFile, intents: IntentsFile, reading: ReadingFile
) -> Vocabulary:
    """Scanners for every vocabulary file."""
    cues: PhraseScanner[str] = PhraseScanner()
    for kind, phrases in reading.cues.items():
        cues.add_all(phrases, kind, plurals=False)
    on_behalf: PhraseScanner[str] = PhraseScanner()
    for kind in ("wants", "asks", "asks_ahead", "own"):
        on_behalf.add_all(getattr(reading.on_behalf, kind), kind, plurals=False)
    numbers = []
    for stage in reading.stages:
        for prefix in stage.numbered:
            core = re.escape(prefix.rstrip("-"))
            numbers.append((stage.id, re.compile(rf"(?<![A-Za-z0-9]){core}\s?-?\s?([1-9])(?:s|s'|'s)?(?![0-9A-Za-z])", re.IGNORECASE)))  # "ST4s"
    return Vocabulary(
        professions=_terms(professions.professions, blocked=professions.not_people),
        stages=_terms(reading.stages, plurals=True, blocked=professions.not_people),
        stage_numbers=tuple(numbers),
        specialties=_terms(reading.specialties, plurals=False),
        specialty_groups={s.id: s.group for s in reading.specialties},
        roles=_terms(reading.roles),
        senior_roles=frozenset(r.id for r in reading.roles if r.senior),
        role_implies={r.id: r.implies for r in reading.roles if r.implies},
        topics=_terms(reading.topics, plurals=False),
        intents=_terms(intents.intents, plurals=False),
        cues=cues,
        on_behalf=on_behalf,
        cue_words={k: frozenset(v) for k, v in reading.cues.items()},
    )
