"""Is a message written in English? Pathfinder reads English: it cannot screen a message written in
another language for what it must refuse, nor read who is asking, so such a message gets a reply
that says so (in English and Welsh) instead of a guess. The function words are data
(`languages` in knowledge/vocabulary/refusals.yaml)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

WORD = re.compile(r"(?<!\w)[^\W\d_]+(?!\w)")  # "FY2" is not the Welsh "fy"
APOSTROPHE = re.compile(r"['’]")
MIN_WORDS = 3  # this many function words of one other language, at least...
OVER_ENGLISH = 1.5  # ...and this many times the English ones: "Shwmae! Nyrs ydw i (I'm a nurse)..." is English
MIN_LETTERS = 12
OTHER_SCRIPT = 0.4  # the share of letters outside the Latin script that makes a message not English


@dataclass(frozen=True)
class Languages:
    english: frozenset[str]
    others: tuple[tuple[str, frozenset[str]], ...]

    @classmethod
    def build(cls, words: dict[str, list[str]]) -> Languages:
        english = frozenset(w.lower() for w in words.get("english", []))
        others = tuple((name, frozenset(w.lower() for w in ws)) for name, ws in words.items() if name != "english")
        return cls(english, others)

    def other_than_english(self, text: str) -> str | None:
        """The language a message is mostly written in, where that is not English ("script" for
        one written mostly outside the Latin alphabet), else None."""
        letters = [c for c in text if c.isalpha()]
        if len(letters) >= MIN_LETTERS and sum(not _latin(c) for c in letters) / len(letters) >= OTHER_SCRIPT:
            return "script"
        words = [w for w in WORD.findall(APOSTROPHE.sub("", text.lower())) if len(w) > 1 or w == "i"]
        english = sum(w in self.english for w in words)
        found = max(((sum(w in ws for w in words), name) for name, ws in self.others), default=(0, ""))
        if found[0] >= MIN_WORDS and found[0] >= OVER_ENGLISH * english:
            return found[1]
        return None


def _latin(c: str) -> bool:
    return unicodedata.name(c, "").startswith("LATIN")
