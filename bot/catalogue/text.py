"""Text keys shared by the stored catalogue and the question-time scanners."""

from __future__ import annotations

import re

TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*|&")


def normalise(text: str) -> str:
    """The lookup key for a name: lowercase words, no apostrophes or punctuation."""
    return " ".join(norm_token(t) for t in TOKEN.findall(text))


def norm_token(token: str) -> str:
    """One token as a lookup key ("&" reads as "and")."""
    return "and" if token == "&" else token.lower().replace("'", "").replace("’", "")


def with_article(text: str) -> str:
    """ "a nurse", "an FY1", "an ST4", "a CT2": 'an' before a vowel sound, including letters said with one."""
    first = text.split()[0]
    vowel = first[:1] in "AEFHILMNORSX" if first[:2].isupper() else first[:1].lower() in "aeiou"
    return f"{'an' if vowel else 'a'} {text}"
