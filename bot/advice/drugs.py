"""Drug names in free text, from the offline dictionary that ships with the
drug-named-entity-recognition package (MIT; loaded once, on first use, in about a second)."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from bot.advice.matching import Token

_LOCK = threading.Lock()
# Words the dictionary knows as drug names that, in questions about careers, are ordinary words.
NOT_DRUGS = frozenset(
    {"ai", "data", "fellowship", "topol", "nhs", "band", "digital", "lead", "support", "ease", "nurse",
     "care", "plan", "stp", "hsst", "fpt", "dhlp", "cso", "ccio", "cnio", "cio", "bcs", "it", "time",
     "sun", "salt", "iron", "oxygen", "water", "gold", "silver", "zinc", "copper", "sodium", "calcium",
     "potassium", "magnesium", "alcohol", "caffeine", "nicotine", "vitamin", "glucose", "air", "nitrogen",
     "helium", "carbon", "lithium", "protein", "coal", "tar", "honey", "milk", "balance", "aim", "amp",
     "flex", "focus", "boost", "move", "lean", "apex", "dart", "arc", "nest", "spark", "core", "rise"}
)  # fmt: skip


# A name that starts with one of these is a phrase, not a medicine, in a question ("at 10").
FUNCTION_WORDS = frozenset({"at", "in", "on", "to", "of", "by", "for", "as", "is", "no", "up", "an", "a", "the", "and", "or", "so", "if"})


@lru_cache(maxsize=1)
def _finder() -> Any:
    with _LOCK:
        from drug_named_entity_recognition import find_drugs

        return find_drugs


def drug_spans(tokens: list[Token]) -> list[tuple[int, int]]:
    """(first, last) token ranges that name a drug."""
    words = [t.text for t in tokens]
    if not words:
        return []
    spans = []
    for _drug, first, last in _finder()(words, is_ignore_case=True):
        written = " ".join(words[first:last])
        text = written.lower()
        if text in NOT_DRUGS or len(text) < 4 or text.split()[0] in FUNCTION_WORDS:
            continue  # "at 10" (a brand name too): "the fire alarm test at 10"
        if len(written) <= 6 and any(ch.isupper() for ch in written[1:]):
            continue  # "ePCR", "CAD": acronyms of systems and roles, not medicines
        spans.append((first, last))
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):  # the finder returns them in no particular order
        if merged and first < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return merged
