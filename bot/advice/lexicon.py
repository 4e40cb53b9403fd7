"""The question-time indexes of one catalogue version: programme names, places and routing.

Built once per catalogue version (the snapshot is immutable) and shared by every question.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from bot.advice.guard import Guard
from bot.advice.matching import PhraseScanner, Token, tokenise
from bot.advice.places import PlaceIndex
from bot.advice.relevance import RoutingIndex
from bot.advice.vocabulary import Vocabulary, compile_vocabulary
from bot.catalogue.schema import ProgrammeDoc
from bot.catalogue.snapshot import Catalogue
from bot.catalogue.text import normalise

# Aliases that are also ordinary words: matched only as written (capitalised).
_WORD_ALIASES = frozenset({"hip", "chime", "imagine", "digital readiness"})
_NEGATIONS = frozenset(
    {"without", "instead", "other", "rather", "not", "except", "besides", "apart"}
)


_SENTENCE_END = re.compile(r"[.?!;]")
_SUPPOSING = frozenset({"if", "once", "suppose", "supposing", "hypothetically", "say"})
_HOLDERS = frozenset({"trainee", "fellow", "participant", "delegate",
                      "done", "completed", "finished", "graduate", "alumnus", "alumna", "alum"})  # on it, or done it: "HSST done 2019"
_NOT_HELD = frozenset({"application", "applications", "interview", "form", "statement", "portfolio", "deadline", "round", "cohort"})
_ON_IT = ("currently on", "i'm on", "i am on", "im on", "currently doing", "i'm doing", "i am doing",
          "halfway through", "in my", "on my", "i did", "i've done", "i have done", "i completed", "i finished",
          "completed", "finished", "graduated from", "been through")  # fmt: skip


@dataclass(frozen=True)
class NamedMention:
    programme_id: str
    negated: bool
    held: bool = False  # the asker is on it now: "STP trainee", "Topol fellow here", "I'm on the HSST"
    first: int = 0  # its token span [first, last) in the question
    last: int = 0


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

    def find(self, text: str, read: list[Token] | None = None) -> list[NamedMention]:
        """Programmes named in text; `read` is its tokens where the caller has them already."""
        said = read if read is not None else tokenise(text)
        originals = [t.text for t in said]
        tokens = [t.key for t in said]
        # a negation governs its own sentence only: "...without quitting. Is in-service STP a thing?"
        sentence = [0] * len(said)
        for k in range(1, len(said)):
            sentence[k] = sentence[k - 1] + (1 if _SENTENCE_END.search(text, said[k - 1].end, said[k].start) else 0)
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
                start = max(0, i - 6)
                while sentence[start] != sentence[i]:
                    start += 1
                negated = bool(_NEGATIONS.intersection(tokens[start:i]))
                before = " ".join(t for t in tokens[max(0, i - 3) : i] if t != "the")
                after = tokens[i + n] if i + n < len(tokens) else ""
                supposed = bool(_SUPPOSING.intersection(tokens[max(0, start, i - 5) : i]))  # "if I did the L4 apprenticeship"
                held = not negated and not supposed and after not in _NOT_HELD and (after in _HOLDERS or before.endswith(_ON_IT))
                if pid not in found or (found[pid].negated and not negated) or held:
                    found[pid] = NamedMention(pid, negated, held, i, i + n)
                i += n - 1
                break
            i += 1
        return list(found.values())



@dataclass(frozen=True)
class Lexicon:
    places: PlaceIndex
    aliases: AliasIndex
    vocabulary: Vocabulary
    faq_phrases: PhraseScanner[str]
    guard: Guard
    routing: RoutingIndex

    def faqs(self, text: str) -> list[str]:
        """The FAQs a question asks (by id)."""
        return list(dict.fromkeys(m.value for m in self.faq_phrases.scan(tokenise(text))))


_LOCK = threading.Lock()
_BUILT: dict[int, tuple[Catalogue, Lexicon]] = {}


def lexicon(catalogue: Catalogue) -> Lexicon:
    """The indexes for `catalogue`, built on first use and kept while the snapshot lives."""
    key = id(catalogue)
    found = _BUILT.get(key)
    if found is not None and found[0] is catalogue:
        return found[1]
    with _LOCK:
        found = _BUILT.get(key)
        if found is not None and found[0] is catalogue:
            return found[1]
        faq_phrases: PhraseScanner[str] = PhraseScanner()
        for faq in catalogue.faqs.faqs:
            faq_phrases.add_all(faq.phrases, faq.id)
        built = Lexicon(
            places=PlaceIndex.from_rows(catalogue.places),
            aliases=AliasIndex.build(catalogue.programmes),
            vocabulary=compile_vocabulary(catalogue.professions, catalogue.intents, catalogue.reading),
            faq_phrases=faq_phrases,
            guard=Guard.build(catalogue.refusals, catalogue.learned),
            routing=RoutingIndex.build(catalogue.programmes),
        )
        if len(_BUILT) >= 4:  # old snapshots: a reload replaced them
            _BUILT.clear()
        _BUILT[key] = (catalogue, built)
        return built
