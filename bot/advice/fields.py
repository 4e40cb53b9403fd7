"""One reader per profile field: a grade, years of experience, a specialty, a role (the band is
read in bot/advice/bands.py).

Each reads the question through a scope.Reader (bot/advice/scope.py) and keeps only what is said
of the asker now, never of someone else, a past job or a wish; bot/advice/reading.py decides
between the fields when they disagree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from bot.advice.bands import WORD_NUMBERS, corrected, is_postcode
from bot.advice.matching import Match
from bot.advice.places import PlaceMatch
from bot.advice.scope import (
    ASKER,
    Mention,
    Reader,
    names_a_post,
    pattern_mentions,
    the_asker,
    token_at,
)
from bot.catalogue.snapshot import Catalogue

T = TypeVar("T")

EXPERIENCE = re.compile(
    r"(?<![\w.])(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|eighteen|twenty)"
    r"\+?\s*(?:or more\s+)?(?:years?|yrs?|(months?))\b",
    re.IGNORECASE,
)
FUTURE_SPAN = re.compile(r"\b(?:in|within|next|another|for the next)\s+$", re.IGNORECASE)
# "10 years old", "8 years out caring for my mum", "two years off": not experience
NOT_EXPERIENCE = re.compile(r"^\W*(?:old|ago|long|course|programme|fellowship|degree|out|off|away|career break|break)\b", re.IGNORECASE)
YEAR_OF_STUDY = re.compile(r"\b(first|second|third|fourth|fifth|final|[1-6](?:st|nd|rd|th)?)[- ](?:year|yr)\b", re.I)
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "final": 5}
LEADERSHIP = re.compile(
    r"\blead\w*|\bled\b|\broll-?out\b|\btransformation\b|\bimplement\w*|\bEPR\b|\bdigital\b|\bCCIO\b|\bCNIO\b|\bCIO\b|\bchange\b|\binformatics\b",
    re.IGNORECASE,
)
SCIENCE = re.compile(r"\bscientist\b|\bbioinformatic\w*|\blab\b|\blaboratory\b|\bgenomic\w*|\bphysics\b|\bscientific\b", re.I)
SCIENTIST_GOAL = frozenset({"clinical_scientist", "biomedical_scientist", "healthcare_science_practitioner"})


# Words before "reg" that make it a professional registration, not a registrar.
REGISTERING = frozenset({"hcpc", "nmc", "gmc", "gphc", "gdc", "sci", "scientist", "professional", "state", "full", "ahcs", "ibms", "pre"})  # "pre-reg": pre-registration



def registration(r: Reader, m: Mention) -> bool:
    """ "HCPC reg", "clin sci reg": a registration, not a registrar."""
    return m.text.lower() == "reg" and m.first > 0 and r.tokens[m.first - 1].key in REGISTERING


Grades = list[tuple[Mention, int | None]]  # every grade said (grade_mentions), read once per question


def stage(r: Reader, grades: Grades, *, besides: tuple[int, int] | None = None) -> tuple[str | None, int | None, bool]:
    """The asker's grade: numbered grades (FY1, CT2, ST4) first, then words (registrar); never
    one said of the person a question is asked for (`besides`: their tokens)."""
    usable = [(m, y) for m, y in _about_the_asker(grades) if besides is None or not besides[0] <= m.first < besides[1]]
    usable = [(m, y) for m, y in usable if not _in_future(r, m)]
    # "ST3 from August - currently F2", "post-CCT fellow, consultant job starts in October": the
    # grade that starts later is a door (next_stage), the other one is held
    later = [(m, y) for m, y in usable if _starts_later(r, m)]
    if later and any(m.value != g.value for m, _ in usable for g, _ in later):
        usable = [p for p in usable if p not in later]
    # "before specialty training": the training named as a time or a door, not a grade held
    # (unless said of the asker: "I'm in specialty training"); next_stage still reads it as a door.
    usable = [(m, y) for m, y in usable if not (m.who == "plain" and m.text.lower().endswith("training"))]
    if r.has_cue("finishing_training") and any(m.value == "specialty" and m.who in ASKER and y is not None for m, y in usable):
        # "ST7, CCT in 8 months - or do it as a new consultant?": a trainee until the CCT
        usable = [(m, y) for m, y in usable if m.value != "consultant"]
    for who in ASKER:
        mine = sorted((p for p in usable if p[0].who == who), key=lambda p: (p[1] is None, p[0].first))
        if mine:
            # "F1 at Shrewsbury - sorry, F2 now": a grade said again as a correction is the one held
            best, year = corrected(r, [(p[0].who, p[0].first, p) for p in usable]) or mine[0]
            if year is None:  # "I'm an StR in O&G, ST5": the same grade said with its year
                year = next((y for m, y in usable if m.value == best.value and y is not None), None)
            return best.value, year, r.cue_before("upcoming", best.first)
    wished = [p for p in usable if p[0].who == "wish" and r.cue_before("upcoming", p[0].first, 6)]
    if wished:  # "applying to be an ST3": the door they are at now
        best, year = wished[0]
        return best.value, year, True
    return None, None, False


def _in_future(r: Reader, m: Mention) -> bool:
    """A grade the asker will hold, not one they hold: "wait till I'm an F1", "once I'm an ST3"."""
    return any(
        c.value == "later" and m.first - 3 <= c.first and c.last <= m.first
        and c.text.lower().replace("’", "'").endswith(("i'm", "i am", "im"))
        for c in r.all_cues
    )  # fmt: skip


MONTHS = frozenset({"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"})
STARTS = frozenset({"starts", "starting", "begins", "beginning", "commences"})


def _starts_later(r: Reader, m: Mention) -> bool:
    """ "ST3 from August", "consultant job starts in October" (not "IMT3, ST3 from August")."""
    after = [t.key for t in r.tokens[m.last : m.last + 4]]
    for i, word in enumerate(after[:-1]):
        if not set(after[:i]) <= {"job", "post", "role", "contract", "rotation"}:
            return False
        if word == "from" and (after[i + 1] in MONTHS or after[i + 1] == "next"):
            return True
        if word in STARTS and (after[i + 1] in MONTHS or after[i + 1] in ("in", "on", "next")):
            return True
    return False


def next_stage(r: Reader, grades: Grades, current: str | None) -> str | None:
    """The grade the asker is applying for or about to start, beside the one they hold
    ("IMT3, applying for ST3 this round"): a door that opens with it is a current one."""
    for m, _ in _about_the_asker(grades):
        if m.value != current and m.who in (*ASKER, "wish") and (r.cue_before("upcoming", m.first, 6) or _starts_later(r, m)):
            return m.value
    return None


def _about_the_asker(grades: Grades) -> Grades:
    """The grades said about the asker or wished for."""
    return [(m, y) for m, y in grades if m.who in (*ASKER, "wish")]


def grade_mentions(r: Reader) -> Grades:
    """Every grade said, about anyone, with its year where one is given. "my FY2 year" is the
    asker's, but "our FY1s" and "my ST4s" are other people."""
    return [(_plural_of_mine(r, m), y) for m, y in _grade_mentions(r) if not _not_held(r, m)]


def _not_held(r: Reader, m: Mention) -> bool:
    """ "an FY2-equivalent clinical fellow", "a clinical fellow post-F2": a comparison or a time,
    not a grade held."""
    compared = m.last < len(r.tokens) and r.tokens[m.last].key in ("equivalent", "equiv") and r.text[r.tokens[m.last - 1].end : r.tokens[m.last].start] in ("-", " ")
    after = m.first > 0 and r.tokens[m.first - 1].key == "post" and r.text[r.tokens[m.first - 1].end : r.tokens[m.first].start] in ("-", " ")
    return compared or after


PERSON_VERBS = frozenset({"asked", "asks", "wants", "wanted", "said", "says", "told", "needs", "thinks", "reckons", "suggested", "keeps", "is", "was", "has"})
STARTED = frozenset({"started", "starting", "doing", "finishing", "finished", "completing", "completed", "during"})
NOT_A_PERSON = frozenset({"year", "years", "rotation", "rotations", "post", "job", "training", "placement", "rota", "time", "days", "block", "portfolio", "arcp", "contract"})


def _plural_of_mine(r: Reader, m: Mention) -> Mention:
    """ "our FY1s", "my ST4s", "my FY1 asked me", "my clinical director": other people; "my FY2
    year", "my core training" are the asker's."""
    before = r.tokens[m.first - 1].key if m.first > 0 else ""
    plural = m.text.rstrip("'").endswith("s") and not m.text.lower().endswith("ss")  # "GPs", not "SAS"
    if before not in ("my", "our"):
        if plural and m.who in ASKER and not any(ch.isdigit() for ch in m.text) and not {t.key for t in r.tokens[max(0, m.first - 3) : m.first]} & {"both", "we", "us", "were", "all"}:
            return Mention(m.value, m.first, m.last, "group", m.text)  # "open to newly qualified GPs?"
        return m
    after = r.tokens[m.last].key if m.last < len(r.tokens) else ""
    if m.first > 1 and r.tokens[m.first - 2].key in STARTED:
        return m  # "just started my DFT in Plymouth": the asker's own training year
    worded = not any(ch.isdigit() for ch in m.text)  # "my registrar" is a person; "my ST4 year" a time
    if plural or after in PERSON_VERBS or (worded and after not in NOT_A_PERSON):
        return Mention(m.value, m.first, m.last, "other", m.text)
    return m


def _grade_mentions(r: Reader) -> Grades:
    found: Grades = []
    for stage_id, rx in r.vocab.stage_numbers:
        for hit in rx.finditer(r.text):
            i = token_at(r.tokens, hit.start())
            if i is None or is_postcode(r, i, hit):
                continue
            year_or_none: int | None = int(hit.group(1))
            if stage_id == "foundation" and (year_or_none or 0) > 2:  # "an F3 year": a non-training post after foundation
                stage_id, year_or_none = "sas", None
            hit_match = Match(stage_id, i, token_at(r.tokens, hit.end() - 1, end=True) or i + 1, False, hit.group(0))
            found.append((r.mentions([hit_match], possessive_is_other=False)[0], year_or_none))
    for said in r.mentions(r.grade_matches, possessive_is_other=False):
        if registration(r, said):
            continue
        if not any(f.first <= said.first < f.last for f, _ in found):
            last = said.text.split()[-1].lower()  # "foundation year one"
            year = int(last) if last.isdigit() else WORD_NUMBERS.get(last)
            found.append((said, year if year is not None else _year_beside(r, said)))
    return found


NOT_A_YEAR = frozenset({"days", "day", "weeks", "week", "months", "month", "years", "yrs", "sessions", "pas", "hours", "hrs", "x", "wte", "nights", "shifts", "of", "and", "or", "to"})
JOINERS = frozenset({"and", "or", "but", "for", "to", "from", "next", "this", "last", "a", "the", "each", "per"})
YEAR_AFTER = re.compile(r"(?:yr|year)(\d)")
ORDINAL_YEARS = {**ORDINALS, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6}


def _year_beside(r: Reader, said: Mention) -> int | None:
    """The year of a grade said in words: "StR year 6", "core surgical trainee yr1", "second
    year GP trainee"."""
    after = [t.key for t in r.tokens[said.last : said.last + 3]]
    if after and (m := YEAR_AFTER.fullmatch(after[0])):
        return int(m.group(1))
    if len(after) >= 2 and after[0] in ("year", "yr"):
        return int(after[1]) if after[1].isdigit() else WORD_NUMBERS.get(after[1])
    if len(after) == 3 and after[0].isalpha() and after[0] not in JOINERS and after[1] in ("year", "yr") and after[2].isdigit():
        return int(after[2])  # "StR renal yr 6": the specialty between the grade and its year
    if after and after[0].isdigit() and len(after[0]) == 1 and (len(after) < 2 or after[1] not in NOT_A_YEAR):
        return int(after[0])  # "dental core trainee 2", but not "registrar 2 days a week"
    before = [t.key for t in r.tokens[max(0, said.first - 2) : said.first]]
    if len(before) == 2 and before[1] in ("year", "yr") and before[0] in ORDINAL_YEARS and before[0] != "final":
        return ORDINAL_YEARS[before[0]]
    if len(before) == 2 and before[0] in ("year", "yr") and before[1].isdigit() and len(before[1]) == 1:
        return int(before[1])  # "year 3 GP trainee"
    return None


def year_of_study(text: str) -> int | None:
    hit = YEAR_OF_STUDY.search(text)
    if not hit:
        return None
    raw = hit.group(1).lower()
    return int(raw[0]) if raw[0].isdigit() else ORDINALS.get(raw)


def specialty(r: Reader, profession: str | None) -> tuple[str | None, str | None]:
    if profession not in ("doctor", "dentist", None):
        return None, None
    said = r.mentions(r.vocab.specialties.scanner.scan(r.tokens), possessive_is_other=False)
    for m in sorted(said + pattern_mentions(r, r.vocab.specialties), key=lambda m: m.first):
        if m.who not in (*ASKER, "group"):
            continue
        group = r.vocab.specialty_groups[m.value]
        if group == "dental" and profession == "doctor":
            continue
        return m.value, group
    return None, None


# A role named just before one of these names a body or an event, not a person: "the CNIO network".
NAMING_NEXT = frozenset({"network", "networks", "summer", "community", "forum", "conference", "webinar", "webinars",
                         "event", "events", "meetup", "newsletter", "council"})


def role_mention(r: Reader) -> Mention | None:
    """The asker's role as said ("Head of BI at Salford Royal", "I'm the deputy CNIO")."""
    said = r.mentions(r.role_matches) + pattern_mentions(r, r.vocab.roles)
    return the_asker([m for m in said if (m.last >= len(r.tokens) or r.tokens[m.last].key not in NAMING_NEXT)
                      and not _advertised(r, m)])  # fmt: skip


RECRUITING = frozenset({"advertising", "advertised", "recruiting", "hiring", "interviewing", "applying", "apply", "shortlisted"})  # fmt: skip


def _advertised(r: Reader, m: Mention) -> bool:
    """ "the trust is advertising for a CCIO", "there's a CCIO vacancy", "the difference between a
    CNIO and a CCIO": a post on offer or asked about, not the asker's role ("I've been in the CCIO
    role" is theirs)."""
    if names_a_post(r, m, frozenset({"a", "an"})):  # not "the CCIO role": that one is theirs
        return True
    before = [t.key for t in r.tokens[max(0, m.first - 2) : m.first]]
    earlier = {t.key for t in r.tokens[max(0, m.first - 5) : m.first]}
    return "for" in before and bool(RECRUITING & earlier) or bool(COMPARING & earlier)


COMPARING = frozenset({"between", "difference", "versus", "vs"})  # "the difference between a CNIO and a CCIO"


def specialty_between(r: Reader, first: int, last: int) -> tuple[str | None, str | None]:
    """A specialty said within tokens [first, last), about anyone ("my orthodontic StRs")."""
    said = r.mentions(r.vocab.specialties.scanner.scan(r.tokens)) + pattern_mentions(r, r.vocab.specialties)
    m = min((m for m in said if first <= m.first < last), key=lambda m: m.first, default=None)
    return (m.value, r.vocab.specialty_groups[m.value]) if m is not None else (None, None)


def role(r: Reader, found: Mention | None) -> str | None:
    """The asker's role: the one said of them (role_mention), or a manager by what they do."""
    if found is not None:
        return found.value
    if any(c.value == "third_party" and c.text.lower() in ("i manage", "i line manage", "manage a", "managing a") for c in r.cues):
        return "manager"  # "I manage a team of nurses": the asker manages; the nurses are others
    return None


NO_EXPERIENCE = re.compile(
    # "no clinical background" says nothing about digital experience
    r"\b(?:no|zero|nil|without any|don['’]?t have any|haven['’]?t (?:got )?any|not any)\s+(?!(?:clinical|medical|nursing|healthcare|health|patient[- ]facing)\b)(?:[\w-]+\s+){0,2}?(?:experience|background)\b",
    re.IGNORECASE,
)


def experience(r: Reader) -> tuple[int | None, str | None]:
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
        if hit.group(2) and years is not None:  # "18 months": a year and a half, counted as 1
            if years < 12 or FUTURE_SPAN.search(r.text[: hit.start()]):
                continue
            years //= 12
        i = token_at(r.tokens, hit.start())
        if years is None or years > 45 or i is None or NOT_EXPERIENCE.match(r.text[hit.end() :]):
            continue
        if re.search(r"[- ]year\b", hit.group(0)) and YEAR_OF_STUDY.match(hit.group(0)):
            continue
        if r.who(Match("years", i, i + 1, False, hit.group(0)), possessive_is_other=False) not in ASKER:
            continue  # someone else's years, a claim to be checked, or a wish: never counted as met
        window = _clause_around(r.text, hit.start(), hit.end())
        kind = "digital_leadership" if LEADERSHIP.search(window) else "scientific" if SCIENCE.search(window) else "any"
        if best[0] is None or years > best[0]:
            best = (years, kind)
    return best


CLAUSE_END = re.compile(r"[.?!;]|,\s*(?:what|which|how|any|is|are|can|could|where|who|but)\b", re.I)


def _clause_around(text: str, start: int, end: int) -> str:
    """Up to 60 characters either side of a span, within its clause: "10 years as a nurse in
    Leeds, what digital options are there?" says nothing of digital experience."""
    before = text[max(0, start - 60) : start]
    before = before[max((m.end() for m in CLAUSE_END.finditer(before)), default=0) :]
    after = text[end : end + 60]
    cut = CLAUSE_END.search(after)
    return before + text[start:end] + (after[: cut.start()] if cut else after)


def aspiration(r: Reader, professions: list[Mention]) -> str | None:
    wished = [m for m in professions if m.who == "wish"]
    wished += [m for m in r.mentions(r.role_matches) if m.who == "wish"]
    return min(wished, key=lambda m: m.first).value if wished else None


def intents(r: Reader, aspiration: str | None, job_spans: list[tuple[int, int]]) -> list[str]:
    found = r.vocab.intents.ids_in(r.tokens, r.text, skip=[*job_spans, *r.negated_spans()])
    if aspiration in SCIENTIST_GOAL and "become_clinical_scientist" not in found:
        found.append("become_clinical_scientist")
    if aspiration in ("ccio", "cnio", "deputy_ccio", "deputy_cnio"):
        found += [i for i in ("ccio", "leadership") if i not in found]
    if aspiration in ("cio", "cdio", "deputy_digital_lead", "head_of_digital", "head_of_data"):
        found += [i for i in ("cio", "leadership") if i not in found]
    if r.has_cue("later") and "plan_ahead" not in found:
        found.append("plan_ahead")
    if "senior_scientist" in found and not re.search(
        r"\b(?:become|becoming|reach\w*|get(?:ting)? to|progress\w*|move up|step up|aim\w*|towards|route to|route up|way up|next step|train\w*|want\w* to be|wanna be|hop\w* to be|long[- ]term|eventually|one day|apply for|applying for|(?:open|come) up|likely to open)\b", r.text, re.I
    ):
        found.remove("senior_scientist")  # already a consultant scientist, not heading there
    if "become_clinical_scientist" in found and aspiration not in SCIENTIST_GOAL and not re.search(
        r"\b(?:become|becoming|train|qualify|route|move|get into|career|without|want\w* to work|work in)\b", r.text, re.I
    ):
        found.remove("become_clinical_scientist")
    return found


ORGANISATIONS = frozenset({"hospital", "trust", "shared", "icb", "csu", "health_board", "hsc_trust"})


def nhs(r: Reader, profession: str | None, catalogue: Catalogue, place: PlaceMatch | None) -> bool | None:
    if r.has_cue("nhs_commissioned"):
        return True  # "a hospice, a charity, but NHS-commissioned on a long-term contract": an NHS service
    if any(c.value == "not_nhs" and _works_there(r, c) for c in r.all_cues) or place is not None and place.nation == "Outside the UK":
        return False
    if place is not None and place.kind in ORGANISATIONS:
        return True  # they work at an NHS hospital, trust or board
    term = catalogue.professions.term(profession)
    if term is not None and not term.nhs_staff:
        return False
    if r.has_cue("nhs") or profession is not None:
        return True
    return None


ELSEWHERE_TO = frozenset({"to", "into", "towards", "join", "joining", "leave", "leaving", "than", "vs", "versus"})
ELSEWHERE_DOES = frozenset({"keeps", "keep", "is", "are", "pays", "pay", "offers", "offer", "seems", "recruiters"})


def _works_there(r: Reader, cue: Match[str]) -> bool:
    """ "I work in the private sector", not "the private sector keeps emailing me" or "jump ship
    to the private sector": a sector someone is drawn to or courted by is not where they work."""
    before = {t.key for t in r.tokens[max(0, cue.first - 3) : cue.first]}
    after = r.tokens[cue.last].key if cue.last < len(r.tokens) else ""
    return not (before & ELSEWHERE_TO or after in ELSEWHERE_DOES)


def _said(r: Reader, kind: str) -> bool:
    """A cue of `kind` that is not negated ("I'm not on notice")."""
    return any(c.value == kind and not r.cue_before("negation", c.first, 2) for c in r.all_cues)


def temporary_post(r: Reader) -> bool:
    """ "agency locum", "rolling 3-month contracts", "12-month locum consultant"."""
    return _said(r, "temporary_post")


def on_notice(r: Reader) -> bool:
    """ "I've handed in my notice", said by the asker."""
    return _said(r, "on_notice")


FIRST_PERSON = frozenset({"i", "im", "ive", "id", "ill", "me", "my", "mine", "myself"})


def _leans(r: Reader, profession: str | None) -> bool:
    return len(r.tokens) <= 14 and profession is None and r.has_cue("follow_up")


def follow_up(r: Reader, profession: str | None, named: Sequence[object]) -> bool:
    """A short message with no subject of its own ("can I do it part time?", "what about funding?")."""
    return _leans(r, profession) and not named


def same_person(r: Reader, profession: str | None) -> bool:
    """A short follow-up that does not turn to the asker ("what about funding?", "and the Topol
    one?", not "and for me?"): still about the person an earlier turn asked for."""
    return _leans(r, profession) and not any(t.key in FIRST_PERSON for t in r.tokens)
