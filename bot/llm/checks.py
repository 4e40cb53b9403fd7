"""Checks on model prose before anyone sees it.

The model's words are untrusted. Slack control sequences and disguised links are neutralised;
any sentence carrying a link, date, amount, contact or programme-like name that the catalogue
does not hold is dropped; and an answer that repeats the system prompt is rejected whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ANGLE = re.compile(r"<([^<>\n]{0,300})>")
MD_LINK = re.compile(r"\[([^\]\n]{0,200})\]\(([^)\s]{0,500})\)")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\"']+", re.IGNORECASE)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PHONE = re.compile(r"(?:\+44\s?|\b0)(?:\d[\s-]?){9,10}\b")
MENTION = re.compile(r"@(channel|here|everyone)", re.IGNORECASE)  # anywhere, even mid-word
MONTHS = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
DATE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTHS}(?:\s+\d{{4}})?\b|\b{MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b|"
    rf"\b{MONTHS}\s+\d{{4}}\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b|\b(?:19|20)\d{{2}}\b",
    re.IGNORECASE,
)
MONEY = re.compile(
    r"[£$€]\s?\d[\d,]*(?:\.\d+)?(?:\s?[km]\b)?|\b\d[\d,]*\s?(?:pounds|GBP)\b", re.IGNORECASE
)
PERCENT = re.compile(r"\b\d{1,3}(?:\.\d+)?\s?%")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
NUMBER_WORDS = re.compile(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|thousand)\b",
    re.IGNORECASE,
)
PROGRAMME_LIKE = re.compile(
    r"\b((?:[A-Z][\w&'’-]*\s+){1,6}(?:Fellowship|Programme|Program|Scheme|Academy|Network|Placement|"
    r"Certificate|Diploma|PGCert|PGDip|Framework|Bootcamp|Course|Award|Pathway))\b"
)
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
# Control and format characters (zero-width spaces, bidi overrides, BOM...), but not \n or \t.
INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


def neutralise(text: str) -> str:
    """Slack-inert text: no <!channel>, <@U…>, disguised links, markdown links or bare @here."""
    text = INVISIBLE.sub("", text)

    def angle(match: re.Match[str]) -> str:
        inner = match.group(1)
        if "|" in inner:
            return inner.split("|", 1)[1]  # keep the visible label, drop the hidden target
        return inner.lstrip("!@#").split("^", 1)[0]

    text = ANGLE.sub(angle, text)
    text = MD_LINK.sub(lambda m: m.group(1), text)
    text = text.replace("<", "‹").replace(">", "›")
    return MENTION.sub(lambda m: m.group(1), text)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w£%/]+", " ", text.lower()).split())


class Grounding:
    """What the model may mention: the catalogue's URLs, facts and programme names."""

    def __init__(
        self, *, urls: Iterable[str], facts_text: Iterable[str], names: Iterable[str]
    ) -> None:
        self.urls = {u.rstrip("/.").lower() for u in urls}
        joined = " ".join(facts_text)
        self.text = _norm(joined)
        self.numbers = {n.replace(",", "") for n in NUMBER.findall(joined)}
        self.number_words = {w.lower() for w in NUMBER_WORDS.findall(joined)}
        self.names = {_norm(n) for n in names}

    def _known_url(self, url: str) -> bool:
        return url.rstrip("/.,;:").lower() in self.urls

    def _known(self, fragment: str) -> bool:
        return _norm(fragment) in self.text

    def _known_name(self, phrase: str) -> bool:
        norm = _norm(phrase)
        if any(name in norm for name in self.names if len(name.split()) >= 2):
            return True  # a real name inside the phrase ("the Topol Digital Fellowship")
        words = norm.split()
        # Otherwise a tail of at least two words must belong to a real name ("Digital Fellowship"):
        # one generic word such as "programme" proves nothing.
        return any(
            " ".join(words[i:]) in name for i in range(len(words) - 1) for name in self.names
        )

    def sentence_ok(self, sentence: str) -> bool:
        if EMAIL.search(sentence) or PHONE.search(sentence):
            return False  # never pass on a contact: the catalogue holds none
        if any(not self._known_url(u) for u in URL.findall(sentence)):
            return False
        for rx in (DATE, MONEY, PERCENT):
            if any(not self._known(m) for m in rx.findall(sentence)):
                return False
        # Any other number (a duration, a count, "20 days from now") must come from the data too.
        bare = URL.sub(" ", sentence)
        if any(n.replace(",", "") not in self.numbers for n in NUMBER.findall(bare)):
            return False
        if any(w.lower() not in self.number_words for w in NUMBER_WORDS.findall(bare)):
            return False
        return all(self._known_name(name) for name in PROGRAMME_LIKE.findall(sentence))

    def clean(self, text: str, *, limit: int) -> str:
        """Neutralised text keeping only sentences that are grounded in the catalogue."""
        kept = [s.strip() for s in SENTENCE.split(neutralise(text)) if s.strip()]
        if kept and not kept[-1].endswith((".", "!", "?", "…")):
            kept.pop()  # a sentence cut off mid-way (the model ran out of tokens)
        kept = [s for s in kept if self.sentence_ok(s)]
        out = " ".join(kept)
        if len(out) > limit:
            out = out[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
        return out


def leaks_prompt(text: str, *, system_prompt: str, canary: str) -> bool:
    """True if the text repeats the canary or any sentence of the system prompt."""
    flat = " ".join(text.split()).lower()
    if canary.lower() in flat:
        return True
    for sentence in re.split(r"(?<=[.:])\s+", " ".join(system_prompt.split())):
        piece = sentence.strip().lower()
        if len(piece) >= 40 and piece in flat:
            return True
    return False
