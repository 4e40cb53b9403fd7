"""Checks on model prose before anyone sees it.

The model's words are untrusted. Slack control sequences and disguised links are neutralised;
any sentence carrying a link, date, amount, contact or programme-like name that the catalogue
does not hold is dropped, and so is any sentence about people or processes (bot/llm/people.py);
an answer that repeats the system prompt is rejected whole.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator

from bot.llm.people import claims_process, speaks_of_others, unknown_people

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
# Words any programme's name may end with: a tail made only of these names nothing in particular.
GENERIC_NAME_WORDS = frozenset({
    "programme", "program", "scheme", "academy", "network", "fellowship", "fellowships", "placement",
    "certificate", "diploma", "pgcert", "pgdip", "framework", "bootcamp", "course", "award", "pathway",
    "the", "nhs", "of", "in", "for", "and", "national", "training",
})  # fmt: skip
# A sentence ends at . ! ? or a line break, but not after a title ("Dr. Patel" is one name).
SENTENCE = re.compile(
    r"(?<=[.!?])(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)(?<!\bProf\.)(?<!\bSt\.)\s+|\n+"
)
WORD = re.compile(r"[A-Za-z][\w'’-]*")
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


def sentences(text: str) -> Iterator[str]:
    """The non-empty sentences of the text, stripped."""
    return (s.strip() for s in SENTENCE.split(text) if s.strip())


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w£%/]+", " ", text.lower()).split())


class Grounding:
    """What the model may mention: the catalogue's URLs, facts and names, and the asker's words."""

    def __init__(
        self, *, urls: Iterable[str], facts_text: Iterable[str], names: Iterable[str]
    ) -> None:
        self.urls = {u.rstrip("/.").lower() for u in urls}
        joined = " ".join(facts_text)
        names = list(names)
        self.text = _norm(joined)
        self.numbers = {n.replace(",", "") for n in NUMBER.findall(joined)}
        self.number_words = {w.lower() for w in NUMBER_WORDS.findall(joined)}
        self.names = {_norm(n) for n in names}
        words = WORD.findall(joined)
        # Words the data spells with a capital (proper nouns, programme names): never a stranger.
        self.proper = {_word(w) for w in words if w[0].isupper()} | {
            _word(w) for n in names for w in WORD.findall(n)
        }
        self.plain = {w for w in words if w.islower()}  # ordinary words, even opening a sentence

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
        # generic words such as "academy programme" prove nothing (an alias may end that way).
        return any(
            " ".join(words[i:]) in name
            for i in range(len(words) - 1)
            if set(words[i:]) - GENERIC_NAME_WORDS
            for name in self.names
        )

    def _name_starts_in(self, sentence: str, match: re.Match[str]) -> bool:
        """A real name that begins inside the match and runs on: "The Fellowship in Clinical AI"."""
        words = _norm(sentence[match.start(1) :]).split()
        for i in range(len(_norm(match.group(1)).split())):
            rest = " ".join(words[i:]) + " "
            if any(rest.startswith(n + " ") for n in self.names if len(n.split()) >= 2):
                return True
        return False

    def why_dropped(self, sentence: str) -> str | None:
        """The rule a sentence breaks (contact, link, date, amount, number, programme, process,
        others, person), or None if it may be shown."""
        if EMAIL.search(sentence) or PHONE.search(sentence):
            return "contact"  # never pass on a contact: the catalogue holds none
        if any(not self._known_url(u) for u in URL.findall(sentence)):
            return "link"
        for rule, rx in (("date", DATE), ("amount", MONEY), ("amount", PERCENT)):
            if any(not self._known(m) for m in rx.findall(sentence)):
                return rule
        # Any other number (a duration, a count, "20 days from now") must come from the data too.
        bare = URL.sub(" ", sentence)
        if any(n.replace(",", "") not in self.numbers for n in NUMBER.findall(bare)):
            return "number"
        if any(w.lower() not in self.number_words for w in NUMBER_WORDS.findall(bare)):
            return "number"
        for m in PROGRAMME_LIKE.finditer(sentence):
            if not (self._known_name(m.group(1)) or self._name_starts_in(sentence, m)):
                return "programme"
        if claims_process(sentence):
            return "process"
        if speaks_of_others(sentence):
            return "others"
        if any(not self._known(name) for name in self.people(sentence)):
            return "person"
        return None

    def people(self, sentence: str) -> list[str]:
        """Names of people in the sentence that neither the catalogue nor the asker wrote."""
        return unknown_people(sentence, known=self.proper, plain=self.plain)

    def sentence_ok(self, sentence: str) -> bool:
        return self.why_dropped(sentence) is None

    def screen(self, text: str, dropped: Counter[str]) -> list[str]:
        """The neutralised sentences that may be shown; the rest counted in `dropped` by rule."""
        kept = list(sentences(neutralise(text)))
        if kept and not kept[-1].endswith((".", "!", "?", "…")):
            kept.pop()  # a sentence cut off mid-way (the model ran out of tokens)
            dropped["cut-off"] += 1
        out = []
        for sentence in kept:
            why = self.why_dropped(sentence)
            if why is None:
                out.append(sentence)
            else:
                dropped[why] += 1
        return out

    def clean(self, text: str, *, limit: int) -> str:
        """Neutralised text keeping only sentences that are grounded in the catalogue."""
        out = " ".join(self.screen(text, Counter()))
        if len(out) > limit:
            out = out[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
        return out


def _word(word: str) -> str:
    return re.sub(r"['’]s?$", "", word).lower()


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
