"""Read who is asking, and what they want, from the words of a question.

Every phrase the vocabulary knows is found first (bot/advice/matching.py). Then each one is
attributed: cue words in knowledge/vocabulary/reading.yaml say whether it is about the asker
("I'm a", "as a", the opening words of a message), about someone else ("my husband", "a team of",
a plural such as "doctors"), negated ("not", "no longer"), past ("used to", "ex-") or wished for
("want to become"). A cue covers the phrases after it in its clause, until a scope end ("but",
"now", a comma). Only what holds of the asker now becomes the profile; what the text does not say
stays None, and eligibility then says "to check" instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.advice.lexicon import Lexicon, lexicon
from bot.advice.matching import Match, Token, tokenise
from bot.advice.places import PlaceMatch, PlaceMention, Standing
from bot.advice.vocabulary import Patterned
from bot.catalogue.snapshot import Catalogue

Who = Literal["self", "opening", "plain", "other", "negated", "past", "wish", "hedged", "group"]
ASKER = ("self", "opening", "plain")  # attributions that describe the asker, strongest first
HARD_BREAK = re.compile(r"[.!?;:\n]|\s-\s|—|–|[\U0001F000-\U0001FAFF\u2600-\u27BF]")  # emoji end a thought
SOFT_BREAK = re.compile(r"[,()/\[\]\"]")
POSSESSIVES = frozenset({"my", "our", "his", "her", "their", "your"})
OPENING_WORDS = 6  # a role named in the first words of a message describes its author
WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
}  # fmt: skip
BAND = re.compile(
    r"(?<![A-Za-z0-9])(?:(?:agenda\s+for\s+change|afc)\s*(?:band\s*)?|band\s*-?\s*|B\s?|(?:i['’]?m|i am)\s+an?\s+(?=[2-9][a-d]?\s+(?:on|in|at|nurse|physio|ot|sister|on the)\b))"
    r"([2-9]|two|three|four|five|six|seven|eight|nine)\s?([a-d])?(?![0-9A-Za-z])"
    r"|(?<![A-Za-z0-9£$])([89])\s?([a-d])(?![0-9A-Za-z])"
    r"|(?:^|[,;(]\s*|\bsubstantive(?:ly)?\s+)an?\s+([2-9])([a-d])?(?=\s*(?:[.,;)]|$))",
    re.IGNORECASE,
)
EXPERIENCE = re.compile(
    r"(?<![\w.])(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)"
    r"\+?\s*(?:or more\s+)?(?:years?|yrs?)\b",
    re.IGNORECASE,
)
NOT_EXPERIENCE = re.compile(r"^\W*(?:old|ago|long|course|programme|fellowship|degree)\b", re.IGNORECASE)
YEAR_OF_STUDY = re.compile(r"\b(first|second|third|fourth|fifth|final|[1-6](?:st|nd|rd|th)?)[- ]year\b", re.I)
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "final": 5}
LEADERSHIP = re.compile(
    r"\blead\w*|\bled\b|\broll-?out\b|\btransformation\b|\bimplement\w*|\bEPR\b|\bdigital\b|\bCCIO\b|\bCNIO\b|\bCIO\b|\bchange\b|\binformatics\b",
    re.IGNORECASE,
)
SCIENCE = re.compile(r"\bscientist\b|\bbioinformatic\w*|\blab\b|\blaboratory\b|\bgenomic\w*|\bphysics\b|\bscientific\b", re.I)
DEGREE = re.compile(r"\bdegree\b|\bBSc\b|\bMSc\b|\bPhD\b|\bmaster'?s\b|\bgraduat\w*|\bBEng\b|\bMEng\b|\bBA\b|\bMPhys\b|\bMChem\b", re.I)
REGISTERED = re.compile(
    r"\bHCPC[- ]?(?:registered|reg(?:['’]?d)?)\b|\bregistered (?:clinical |biomedical )?scientist\b|"
    r"\bregistered with (?:the )?HCPC\b|\bon the HCPC register\b|\bI(?:['’]m| am) (?:HCPC )?registered\b|\bIBMS registered\b",
    re.IGNORECASE,
)
NOT_REGISTERED = re.compile(
    r"\bnot (?:yet )?(?:HCPC )?registered\b|\bunregistered\b|\btrainee (?:clinical|biomedical) scientist\b|"
    r"\bSTP trainee\b|\bwithout (?:HCPC )?registration\b",
    re.IGNORECASE,
)
POSTCODE_AFTER = frozenset({"postcode", "post", "area"})
SCIENTIST_GOAL = frozenset({"clinical_scientist", "biomedical_scientist", "healthcare_science_practitioner"})


class Profile(BaseModel):
    """Who is asking. Every field is optional: unknown stays None."""

    model_config = ConfigDict(extra="forbid")

    profession: str | None = None
    stage: str | None = None
    stage_year: int | None = None
    band: int | None = None
    specialty: str | None = None
    specialty_group: str | None = None
    role: str | None = None
    career_stage: str | None = None
    place: str | None = None
    nation: str | None = None
    region: str | None = None
    place_note: str | None = None
    registered_scientist: bool | None = None
    has_degree: bool | None = None
    nhs_employee: bool | None = None
    experience_years: int | None = None
    experience_of: str | None = None
    aspiration: str | None = None
    intents: list[str] = []
    named: list[str] = []
    named_negated: list[str] = []
    asked_topics: list[str] = []
    timeframe: str | None = None
    upcoming: bool = False  # the grade is the one they are applying for or about to start
    follow_up: bool = False  # a short message that leans on what the conversation was about
    faqs: list[str] = []

    def merged_with(self, earlier: Profile | None) -> Profile:
        """This turn's profile, with anything it leaves unknown taken from an earlier turn."""
        if earlier is None:
            return self
        data = self.model_dump()
        turn_only = ("intents", "named", "named_negated", "asked_topics", "timeframe", "follow_up", "faqs", "upcoming")
        for key, value in earlier.model_dump().items():
            if key in turn_only:
                continue
            if data.get(key) is None and value is not None:
                data[key] = value
        if not self.intents and not self.named:
            data["intents"] = list(earlier.intents)
        if self.follow_up and not self.named:
            data["named"] = list(earlier.named)  # "can I do it part time?": it is what we discussed
        return Profile.model_validate(data)

    @property
    def is_empty(self) -> bool:
        return self.profession is None and self.stage is None and self.band is None


@dataclass(frozen=True)
class Mention:
    value: str
    first: int
    last: int
    who: Who
    text: str


class _Reader:
    """One question, tokenised once, with its cues and clause breaks."""

    def __init__(self, text: str, words: Lexicon) -> None:
        self.text = text
        self.words = words
        self.vocab = words.vocabulary
        self.tokens = tokenise(text)
        # Who a phrase is about is decided by the longest cue before it; whether a cue is present
        # at all, by every cue, overlapping ones included ("my trust" is a workplace and NHS).
        self.cues = self.vocab.cues.scan(self.tokens)
        self.all_cues = self.vocab.cues.scan(self.tokens, overlapping=True)
        n = len(self.tokens)
        self.hard = [False] * (n + 1)  # a sentence break before token i
        self.soft = [False] * (n + 1)  # a comma or bracket before token i
        for i in range(1, n):
            gap = text[self.tokens[i - 1].end : self.tokens[i].start]
            self.hard[i] = bool(HARD_BREAK.search(gap))
            self.soft[i] = bool(SOFT_BREAK.search(gap))
        self.ends = {m.first for m in self.cues if m.value == "scope_end"}

    # -- who a phrase is about ---------------------------------------------------------------

    def who(self, m: Match[str], *, possessive_is_other: bool = True) -> Who:
        before = self.tokens[m.first - 1].key if m.first > 0 else ""
        if possessive_is_other and before in POSSESSIVES:
            return "other"
        cue = self._governing_cue(m.first)
        if cue is not None:
            return cue
        if m.plural:
            words = " ".join(t.text.lower().replace("’", "'") for t in self.tokens[max(0, m.first - 3) : m.first])
            return "self" if re.search(r"\bwe(?:'re| are| re)(?: all| both)?$", words) else "group"
        if self._clause_start(m.first) == 0 and m.first < OPENING_WORDS:
            return "opening"
        return "plain"

    def _clause_start(self, i: int) -> int:
        while i > 0 and not self.hard[i]:
            i -= 1
        return i

    def _governing_cue(self, i: int) -> Who | None:
        """The nearest cue before token i whose scope reaches it."""
        start = self._clause_start(i)
        kinds: dict[str, Who] = {
            "self": "self", "third_party": "other", "negation": "negated", "past": "past",
            "aspiration": "wish", "hedge": "hedged",
        }  # fmt: skip
        best: Match[str] | None = None
        for cue in self.cues:
            if cue.value not in kinds or cue.first >= i or cue.first < start:
                continue
            if self._scope_broken(cue, i):
                continue
            if best is None or cue.first > best.first:
                best = cue
        if best is not None and best.value == "self" and best.text.lower() in ("as a", "as an"):
            # "wanting to move into informatics as a clinical scientist": the wish governs
            earlier = [c for c in self.cues if c.value in ("aspiration", "third_party") and start <= c.first < best.first
                       and not self._scope_broken(c, i)]  # fmt: skip
            if earlier:
                best = max(earlier, key=lambda c: c.first)
        return kinds[best.value] if best is not None else None

    def _scope_broken(self, cue: Match[str], i: int) -> bool:
        """A comma, bracket or scope-ending word between a cue and token i. A comma straight after
        a person ("my daughter, a student nurse in Leeds") opens an apposition: it is still them."""
        after = cue.last
        skip = after if cue.value == "third_party" else -1
        return any(self.soft[j] for j in range(after, i + 1) if j != skip) or any(
            j in self.ends for j in range(after, i)
        )

    def mentions(self, matches: list[Match[str]], **kw: bool) -> list[Mention]:
        return [Mention(m.value, m.first, m.last, self.who(m, **kw), m.text) for m in matches]

    def has_cue(self, kind: str) -> bool:
        return any(c.value == kind for c in self.all_cues)

    def cue_before(self, kind: str, i: int, window: int = 4) -> bool:
        return any(c.value == kind and i - window <= c.first and c.last <= i for c in self.all_cues)


def _pattern_mentions(r: _Reader, terms: Patterned) -> list[Mention]:
    """Mentions found by a term's patterns ("I have a biology degree"), attributed like phrases."""
    out = []
    for term_id, rx in terms.patterns:
        for hit in rx.finditer(r.text):
            i = _token_at(r.tokens, hit.start())
            if i is not None:
                plural = hit.group(0).lower().endswith("s") and not hit.group(0).lower().endswith("ss")
                m = Match(term_id, i, _token_at(r.tokens, hit.end() - 1, end=True) or i + 1, plural, hit.group(0))
                out.extend(r.mentions([m], possessive_is_other=False))
    return out


def _asker(mentions: list[Mention]) -> Mention | None:
    """The mention that describes the asker: an explicit self cue first, then the opening words,
    then any unmarked one (earliest)."""
    for who in ASKER:
        found = [m for m in mentions if m.who == who]
        if found:
            return min(found, key=lambda m: m.first)
    return None


def read_profile(question: str, *, catalogue: Catalogue) -> Profile:
    """Everything the question says about who is asking and what they want."""
    text = " ".join(question.split())
    words = lexicon(catalogue)
    r = _Reader(text, words)
    vocab = r.vocab

    professions = r.mentions(vocab.professions.scanner.scan(r.tokens)) + _pattern_mentions(r, vocab.professions)
    asker = _asker(professions)
    profession = asker.value if asker else None
    if profession == "other_clinical":
        # "ACP in urgent care, physio by background": the base profession is the one that counts.
        base = next((m for m in professions if m.value != "other_clinical" and m.who in (*ASKER, "group")
                     and any(t.key == "background" or t.key == "training" for t in r.tokens[m.last : m.last + 3])), None)  # fmt: skip
        profession = base.value if base else profession
    topics = vocab.topics.ids_in(r.tokens, text)
    if asker is None and "who_for" in topics:
        # "Is FPT open to nurses?": the group asked about is, as far as we can tell, the asker's.
        asked = next((m for m in professions if m.who == "group"), None)
        profession = asked.value if asked else None
    stage, stage_year, upcoming = _stage(r)
    band = _band(r)
    if profession is None and stage is not None:
        profession = "medical_student" if stage == "medical_student" else "doctor"
    if stage == "medical_student" and profession in (None, "doctor", "student"):
        profession = "medical_student"
    if profession == "medical_student" and stage is None:
        stage = "medical_student"  # "3rd year medic"
    if band is not None and profession == "doctor" and (asker is None or asker.value != "doctor"):
        profession = None  # "band 6 trainee" is not a doctor: only grades said that
    term = catalogue.professions.term(profession)
    if term is None or not term.grades:
        stage, stage_year, upcoming = None, None, False
    if stage == "medical_student" and stage_year is None:
        stage_year = _year_of_study(text)
    specialty, group = _specialty(r, profession if asker is not None else None)
    if profession == "doctor" and group is None:
        specialty, group = _specialty(r, None)
    if profession == "doctor" and group == "dental":
        profession = "dentist"  # "Orthodontic StR": a grade said by a dentist
    role = _role(r)
    if profession is None and role is not None:
        profession = r.vocab.role_implies.get(role)  # "I'm the CNIO" is a nurse

    years, years_of = _experience(r)
    aspiration = _aspiration(r, professions)
    # Words that name someone's job are not a wish: "data analyst" does not ask for data skills.
    job_spans = [(r.tokens[m.first].start, r.tokens[m.last - 1].end) for m in professions if m.who in (*ASKER, "group")]
    intents = _intents(r, aspiration, job_spans)
    named = words.aliases.find(text)
    place = words.places.find(text, standing=lambda m: _standing(r, m))

    registered: bool | None = None
    if NOT_REGISTERED.search(text):
        registered = False
    elif REGISTERED.search(text) or profession == "biomedical_scientist" and "registered" in text.lower():
        registered = True
    nhs = _nhs(r, profession, catalogue, place)
    if nhs is False and profession in catalogue.professions.expand(["healthcare_science"]):
        profession = "external_scientist"  # a bioinformatician in a university lab
    timeframe = None
    if upcoming or r.has_cue("now"):
        timeframe = "now"
    if "plan_ahead" in intents and not upcoming:
        timeframe = "later"

    return Profile(
        profession=profession,
        stage=stage,
        stage_year=stage_year,
        band=band,
        specialty=specialty,
        specialty_group=group,
        role=role,
        career_stage=_career_stage(profession, stage, band, role, vocab.senior_roles),
        place=place.label if place else None,
        nation=place.nation if place else None,
        region=place.region if place else None,
        place_note=place.note if place else None,
        registered_scientist=registered,
        has_degree=True if DEGREE.search(text) else None,
        nhs_employee=nhs,
        experience_years=years,
        experience_of=years_of,
        aspiration=aspiration,
        intents=intents,
        named=[m.programme_id for m in named if not m.negated],
        named_negated=[m.programme_id for m in named if m.negated],
        asked_topics=topics,
        timeframe=timeframe,
        upcoming=upcoming,
        follow_up=_follow_up(r, profession, named),
        faqs=words.faqs(text),
    )


def _standing(r: _Reader, m: PlaceMention) -> Standing:
    """Whether a place is where the asker works, lives, or neither (someone else's, the past)."""
    who = r.who(Match("place", m.first, m.last, False, m.text), possessive_is_other=False)
    if who in ("other", "negated", "past"):
        return "ignore"
    if who == "wish":
        return "home"  # "I want a job in Scotland": where they hope to be, only if nothing better
    if r.cue_before("elsewhere", m.first, 5):
        return "ignore"
    if any(t.key == "originally" for t in r.tokens[m.last : m.last + 3]):
        return "ignore"  # "I'm from Glasgow originally"
    if r.cue_before("work", m.first, 5):
        return "work"
    if r.cue_before("home", m.first, 5):
        return "home"
    return "asker"


def _stage(r: _Reader) -> tuple[str | None, int | None, bool]:
    """The asker's grade: numbered grades (FY1, CT2, ST4) first, then words (registrar)."""
    found: list[tuple[Mention, int | None]] = []
    for stage_id, rx in r.vocab.stage_numbers:
        for hit in rx.finditer(r.text):
            i = _token_at(r.tokens, hit.start())
            if i is None or _is_postcode(r, i, hit):
                continue
            hit_match = Match(stage_id, i, _token_at(r.tokens, hit.end() - 1, end=True) or i + 1, False, hit.group(0))
            found.append((r.mentions([hit_match], possessive_is_other=False)[0], int(hit.group(1))))
    for said in r.mentions(r.vocab.stages.scanner.scan(r.tokens), possessive_is_other=False):
        if not any(f.first <= said.first < f.last for f, _ in found):
            last = said.text.split()[-1].lower()  # "foundation year one"
            year = int(last) if last.isdigit() else WORD_NUMBERS.get(last)
            after = [t.key for t in r.tokens[said.last : said.last + 2]]
            if year is None and len(after) == 2 and after[0] == "year":  # "StR year 6"
                year = int(after[1]) if after[1].isdigit() else WORD_NUMBERS.get(after[1])
            found.append((said, year))
    usable = [(m, y) for m, y in found if m.who in (*ASKER, "wish")]
    for who in ASKER:
        mine = sorted((p for p in usable if p[0].who == who), key=lambda p: (p[1] is None, p[0].first))
        if mine:
            best, year = mine[0]
            if year is None:  # "I'm an StR in O&G, ST5": the same grade said with its year
                year = next((y for m, y in usable if m.value == best.value and y is not None), None)
            return best.value, year, r.cue_before("upcoming", best.first)
    wished = [p for p in usable if p[0].who == "wish" and r.cue_before("upcoming", p[0].first, 6)]
    if wished:  # "applying to be an ST3": the door they are at now
        best, year = wished[0]
        return best.value, year, True
    return None, None, False


def _token_at(tokens: list[Token], offset: int, *, end: bool = False) -> int | None:
    for i, t in enumerate(tokens):
        if t.start <= offset < t.end:
            return i + 1 if end else i
    return None


def _is_postcode(r: _Reader, i: int, hit: re.Match[str]) -> bool:
    """'ST4 7LN' or 'my ST4 postcode' is Stoke, not a grade."""
    after = r.text[hit.end() : hit.end() + 5]
    nxt = r.tokens[i + 1].key if i + 1 < len(r.tokens) else ""
    return bool(re.match(r"\s?\d[A-Za-z]{2}\b", after)) or nxt in POSTCODE_AFTER


def _band(r: _Reader) -> int | None:
    candidates: list[tuple[str, int, int]] = []
    for hit in BAND.finditer(r.text):
        group = next(g for g in (1, 3, 5) if hit.group(g))
        raw = hit.group(group).lower()
        value = int(raw) if raw.isdigit() else WORD_NUMBERS.get(raw)
        i = _token_at(r.tokens, hit.start(group))
        if value is None or i is None:
            continue
        if hit.group(3) and not _band_context(r, i):
            continue  # a bare "8a" only where a band makes sense
        said_by = r.who(Match("band", i, i + 1, False, hit.group(0)), possessive_is_other=False)
        candidates.append((said_by, i, value))
    for who in ASKER:
        mine = sorted((c for c in candidates if c[0] == who), key=lambda c: c[1])
        if mine:
            return mine[0][2]
    return None


def _band_context(r: _Reader, i: int) -> bool:
    """'8a' means a band next to a profession or NHS words; not a postcode or a room number."""
    window = " ".join(t.key for t in r.tokens[max(0, i - 4) : i + 5])
    return not re.search(r"\broom\b|\bward\b \d|\bbus\b|\bflat\b", window)


def _year_of_study(text: str) -> int | None:
    hit = YEAR_OF_STUDY.search(text)
    if not hit:
        return None
    raw = hit.group(1).lower()
    return int(raw[0]) if raw[0].isdigit() else ORDINALS.get(raw)


def _specialty(r: _Reader, profession: str | None) -> tuple[str | None, str | None]:
    if profession not in ("doctor", "dentist", None):
        return None, None
    said = r.mentions(r.vocab.specialties.scanner.scan(r.tokens), possessive_is_other=False)
    for m in sorted(said + _pattern_mentions(r, r.vocab.specialties), key=lambda m: m.first):
        if m.who not in (*ASKER, "group"):
            continue
        group = r.vocab.specialty_groups[m.value]
        if group == "dental" and profession == "doctor":
            continue
        return m.value, group
    return None, None


def _role(r: _Reader) -> str | None:
    found = _asker(r.mentions(r.vocab.roles.scanner.scan(r.tokens)) + _pattern_mentions(r, r.vocab.roles))
    if found is not None:
        return found.value
    if any(c.value == "third_party" and c.text.lower() in ("i manage", "i line manage", "manage a", "managing a") for c in r.cues):
        return "manager"  # "I manage a team of nurses": the asker manages; the nurses are others
    return None


NO_EXPERIENCE = re.compile(
    r"\b(?:no|zero|nil|without any|don['’]?t have any|haven['’]?t (?:got )?any|not any)\s+(?:[\w-]+\s+){0,2}?(?:experience|background)\b",
    re.IGNORECASE,
)


def _experience(r: _Reader) -> tuple[int | None, str | None]:
    for cue in r.all_cues:
        if cue.value == "no_experience":
            kind = "digital_leadership" if LEADERSHIP.search(cue.text) else "any"
            return 0, kind
    none = NO_EXPERIENCE.search(r.text)
    if none:
        return 0, "digital_leadership" if LEADERSHIP.search(none.group(0)) else "any"
    best: tuple[int | None, str | None] = (None, None)
    for hit in EXPERIENCE.finditer(r.text):
        raw = hit.group(1).lower()
        years = int(raw) if raw.isdigit() else WORD_NUMBERS.get(raw)
        i = _token_at(r.tokens, hit.start())
        if years is None or years > 45 or i is None or NOT_EXPERIENCE.match(r.text[hit.end() :]):
            continue
        if re.search(r"[- ]year\b", hit.group(0)) and YEAR_OF_STUDY.match(hit.group(0)):
            continue
        if r.who(Match("years", i, i + 1, False, hit.group(0)), possessive_is_other=False) not in ASKER:
            continue  # someone else's years, a claim to be checked, or a wish: never counted as met
        window = r.text[max(0, hit.start() - 60) : hit.end() + 60]
        kind = "digital_leadership" if LEADERSHIP.search(window) else "scientific" if SCIENCE.search(window) else "any"
        if best[0] is None or years > best[0]:
            best = (years, kind)
    return best


def _aspiration(r: _Reader, professions: list[Mention]) -> str | None:
    wished = [m for m in professions if m.who == "wish"]
    wished += [m for m in r.mentions(r.vocab.roles.scanner.scan(r.tokens)) if m.who == "wish"]
    return min(wished, key=lambda m: m.first).value if wished else None


def _intents(r: _Reader, aspiration: str | None, job_spans: list[tuple[int, int]]) -> list[str]:
    found = r.vocab.intents.ids_in(r.tokens, r.text, skip=job_spans)
    if aspiration in SCIENTIST_GOAL and "become_clinical_scientist" not in found:
        found.append("become_clinical_scientist")
    if aspiration in ("ccio", "cnio", "cio", "cdio", "deputy_digital_lead", "deputy_ccio", "deputy_cnio"):
        found += [i for i in ("ccio", "leadership") if i not in found]
    if r.has_cue("later") and "plan_ahead" not in found:
        found.append("plan_ahead")
    if "senior_scientist" in found and not re.search(
        r"\b(?:become|becoming|reach|get to|progress\w*|move up|step up|aim\w*|towards|route to|train\w*|want\w* to be|wanna be|hop\w* to be|long[- ]term|eventually|one day)\b", r.text, re.I
    ):
        found.remove("senior_scientist")  # already a consultant scientist, not heading there
    if "become_clinical_scientist" in found and aspiration not in SCIENTIST_GOAL and not re.search(
        r"\b(?:become|becoming|train|qualify|route|move|get into|career|without|want\w* to work|work in)\b", r.text, re.I
    ):
        found.remove("become_clinical_scientist")
    return found


ORGANISATIONS = frozenset({"hospital", "trust", "shared", "icb", "health_board", "hsc_trust"})


def _nhs(r: _Reader, profession: str | None, catalogue: Catalogue, place: PlaceMatch | None) -> bool | None:
    if r.has_cue("not_nhs") or place is not None and place.nation == "Outside the UK":
        return False
    if place is not None and place.kind in ORGANISATIONS:
        return True  # they work at an NHS hospital, trust or board
    term = catalogue.professions.term(profession)
    if term is not None and not term.nhs_staff:
        return False
    if r.has_cue("nhs") or profession is not None:
        return True
    return None


def _follow_up(r: _Reader, profession: str | None, named: Sequence[object]) -> bool:
    """A short message with no subject of its own ("can I do it part time?", "what about funding?")."""
    return len(r.tokens) <= 14 and profession is None and not named and r.has_cue("follow_up")


def _career_stage(
    profession: str | None, stage: str | None, band: int | None, role: str | None, senior: frozenset[str]
) -> str | None:
    if profession in ("medical_student", "student"):
        return "student"
    if profession == "graduate":
        return "graduate"
    if role in senior:
        return "senior"
    if stage in ("foundation", "core", "specialty"):
        return "in training"
    if stage in ("consultant", "sas", "gp"):
        return "senior" if stage == "consultant" else "established"
    if band is not None:
        return "early career" if band <= 5 else ("mid career" if band <= 7 else "senior")
    return None
