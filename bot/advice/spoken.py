"""Grades and bands as dictation or a hurried thumb writes them, put back the way they are read.

"F Y one", "G P S T two", "S T seven", "band sex" (band 6 misheard), "band ate c" (8c), "a and e":
voice dictation spells out letters and numbers, and the reader would otherwise see loose letters.
Only grade prefixes that exist are joined, so ordinary single letters ("plan A", "vitamin D") stay.
"""

from __future__ import annotations

import re

NUMBERS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
PREFIXES = frozenset({"fy", "st", "ct", "gpst", "imt", "dct", "dft", "cst", "acf", "spr", "str", "accs"})
_NUMBER = r"(?:one|two|three|four|five|six|seven|eight|nine|\d)"
# Two to four single letters, then a number: "F Y one", "G P S T 2", "S T seven"
SPELT_GRADE = re.compile(r"\b((?:[A-Za-z]\s+){1,3}[A-Za-z])\s+(" + _NUMBER + r")\b")
# A grade prefix written whole with the number in words: "ST three", "FY one", "CT two"
WORDED_GRADE = re.compile(r"\b(FY|ST|CT|GPST|IMT|DCT|CST|fy|st|ct|gpst|imt|dct|cst)\s+(one|two|three|four|five|six|seven|eight|nine)\b")
# Dictation's homophones of a band number: "band sex" (6), "band ate" / "band ate c" (8, 8c)
BAND_HOMOPHONE = re.compile(r"\b(band)\s+(sex|ate)(?:\s+([abcd]))?\b", re.IGNORECASE)
A_AND_E = re.compile(r"\ba\s+and\s+e\b", re.IGNORECASE)


def _digit(word: str) -> str:
    return NUMBERS.get(word.lower(), word)


def _spelt(m: re.Match[str]) -> str:
    letters = "".join(m.group(1).split())
    if letters.lower() not in PREFIXES:
        return m.group(0)
    return f"{letters.upper()}{_digit(m.group(2))}"


def unspoken(text: str) -> str:
    """The text with spelt-out grades and misheard bands written as people read them."""
    if not re.search(r"\b[A-Za-z]\s+[A-Za-z]\b|\ba\s+and\s+e\b|\bband\s+(?:sex|ate)\b|\b(?:FY|ST|CT|GPST|IMT|DCT|CST)\s+[a-z]", text, re.IGNORECASE):
        return text
    text = SPELT_GRADE.sub(_spelt, text)
    text = WORDED_GRADE.sub(lambda m: f"{m.group(1).upper()}{_digit(m.group(2))}", text)
    text = BAND_HOMOPHONE.sub(lambda m: f"{m.group(1)} {'6' if m.group(2).lower() == 'sex' else '8'}{(m.group(3) or '').lower()}", text)
    return A_AND_E.sub("A&E", text)
