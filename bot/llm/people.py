"""What the model may never say: that something happened to someone, who someone is, or who else.

Code decides everything in an answer, and nothing in it has happened yet: nobody has approved,
accepted, registered, contacted or nominated anyone, and Pathfinder knows nothing of coordinators,
the interest log or other people's questions. A model can't know any of that, and an instruction
planted in a conversation can make it say so. So any sentence that

- claims a process step or someone's action or decision ("has already approved your place",
  "your application has been accepted", "Jane also registered", "the coordinator will contact
  you", "your manager has signed"),
- names a person who is not in the catalogue or the asker's own words ("Alice Brown",
  "Dr Patel"), or
- speaks of coordinators, the interest log, registrations, other users or other people

is dropped whole. The rules lean towards dropping: a dropped sentence costs only the model's
phrasing, since code's own words stand in for it.
"""

from __future__ import annotations

import re
from collections.abc import Set

# -- claims about processes and other people's actions -------------------------------------------

# Past forms of the acts only a person or a process performs.
_DONE = (
    r"(?:approved|accepted|registered|applied|contacted|shared|confirmed|nominated|selected|"
    r"signed|shortlisted|enrol(?:l)?ed|endorsed|submitted|forwarded|notified|reserved|secured|"
    r"processed|logged|sent|put\s+(?:\w+\s+){0,2}?forward|passed\s+(?:\w+\s+){0,2}?on)"
)
_BASE = (
    r"(?:approve|accept|register|apply|contact|share|confirm|nominate|select|sign|shortlist|"
    r"enrol(?:l)?|endorse|submit|forward|notify|reserve|secure|process|log|send|put\s+\w+\s+forward|"
    r"pass\s+\w+\s+on|email|e-mail|call|ring|phone|text|message|reach\s+out|get\s+in\s+touch|"
    r"be\s+in\s+touch|follow\s+up|let\s+you\s+know|review|sort|arrange|add)"
)
_ADV = r"(?:(?:already|just|now|also|successfully|formally|officially|provisionally|recently|all|both|not|never|since|been|being)\s+)*"
_AUX = r"(?:has|have|had|is|are|was|were|be|been|being|get|gets|got|getting|['’](?:s|ve|d|re))"
_PERFECT = re.compile(rf"(?:\b|(?<=\w)){_AUX}\s*{_ADV}(?P<done>{_DONE})\b", re.I)
_FUTURE = re.compile(
    rf"(?P<who>\b\w+\s*)?(?:\bwill|['’]ll|\bshall|\b(?:is|are|am|['’]re|['’]m)\s+(?:going|about)\s+to)"
    rf"\s+{_ADV}(?P<be>be\s+)?(?P<act>{_BASE}|{_DONE})\b",
    re.I,
)
_DONE_WORD = re.compile(rf"\b(?P<done>{_DONE})\b", re.I)
_YOUR_THING = re.compile(
    r"\byour\s+(?:place|nomination|enrol(?:l)?ment|offer|spot|seat|submission|details|form|"
    r"registration\s+of\s+interest)\s+(?:has|have|is|are|was|were|will|['’]s)\b",
    re.I,
)
# Not claims: the catalogue's own word for uncertainty, and requirements or possibilities
# ("you need to be registered with the HCPC", "you can be nominated by your employer").
_EXEMPT = re.compile(
    r"\b(?:not|never)\s+(?:yet\s+)?(?:been\s+)?confirmed\b|\bto\s+be\s+confirmed\b|"
    rf"\b(?:to|must|should|can|could|may|might)\s+(?:also\s+)?be\s+{_DONE}\b",
    re.I,
)
# "registered nurses", "applied data science", "shared care record": the past form as an adjective.
_ATTRIBUTIVE_NEXT = frozenset(
    """nurse nurses nursing clinician clinicians clinical professional professionals profession
    professions practitioner practitioners scientist scientists science sciences midwife midwives
    doctor doctors dentist dentists pharmacist pharmacists ahp ahps allied health healthcare
    biomedical analyst analysts paramedic paramedics therapist therapists radiographer radiographers
    physiotherapist physiotherapists psychologist psychologists dietitian dietitians optometrist
    optometrists associate associates data ai research mathematics statistics informatics learning
    decision decisions care record records services service""".split()
)
# Words after which a past form is an adjective, not a finite verb: "a registered", "to registered".
_ATTRIBUTIVE_AFTER = frozenset(
    """a an the to for of in on at by with from into onto any all some each every other non no
    and or but nor as than are is be were was being been fully professionally currently newly
    only also""".split()
)
_CONDITIONAL_YOU = re.compile(
    r"\b(?:if|once|when|after|before|unless|until|whether)\s+you\s+(?:\w+ly\s+)?$", re.I
)
_WORD = re.compile(r"[A-Za-z][\w'’-]*")


def claims_process(sentence: str) -> bool:
    """True if the sentence says someone approved, accepted, registered... or will."""
    text = _EXEMPT.sub(" ", sentence)
    if _YOUR_THING.search(text):
        return True
    for m in _PERFECT.finditer(text):
        if not _attributive_next(text, m.end()):
            return True
    for m in _FUTURE.finditer(text):
        # "you'll apply through Oriel" is a step the asker takes; "you will be contacted" is not.
        who = (m.group("who") or "").strip().lower()
        if not (who in ("you", "you'll", "you’ll") and not m.group("be")):
            return True
    for m in _DONE_WORD.finditer(text):
        if _finite(text, m.start(), m.end()):
            return True
    return False


def _attributive_next(text: str, end: int) -> bool:
    nxt = _WORD.match(text, _skip_space(text, end))
    return nxt is not None and nxt.group(0).lower() in _ATTRIBUTIVE_NEXT


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] == " ":
        i += 1
    return i


def _finite(text: str, start: int, end: int) -> bool:
    """A bare past form with a subject before it: "Jane registered", "your manager signed"."""
    if _attributive_next(text, end):
        return False
    before = [w.lower() for w in _WORD.findall(text[:start])]
    while before and (before[-1].endswith("ly") or before[-1] in ("already", "also", "just")):
        before.pop()  # "Jane also registered", "professionally registered"
    if not before or before[-1] in _ATTRIBUTIVE_AFTER:
        return False  # "Registered clinicians can...", "open to registered nurses"
    return not _CONDITIONAL_YOU.search(text[:start])  # "if you applied before" is the asker's


# -- other people, the interest log, registrations -----------------------------------------------

_OTHERS = re.compile(
    r"\bco-?ordinators?\b|\bco‑ordinators?\b|"
    r"\binterest\s+(?:log|list|register|records?|form)s?\b|"
    r"\b(?:log|list|register|record)s?\s+of\s+interests?\b|"
    r"\bregist\w*\s+(?:(?:your|their|his|her|an?|the)\s+)?interests?\b|"
    r"\binterests?\s+(?:registered|logged|recorded)\b|"
    r"\bregistrations\b|\bsign-?ups\b|"
    r"\bother\s+(?:users?|people|persons|applicants|askers|enquirers|members\s+of\s+staff)\b|"
    r"\bothers\s+(?:from|in|at|have|has|who|like\s+you)\b|"
    r"\b(?:some|any|every|no)\s?(?:one|body)\s+else\b|\bwho\s+else\b|"
    r"\bpeople\s+(?:from|at|in)\s+your\s+(?:trust|team|region|area|organisation|department|"
    r"hospital|practice|board|ward|unit)\b|"
    r"\bcolleagues?\b|\bthe\s+(?:log|queue|waiting\s+list|wait\s+list)\b",
    re.I,
)


def speaks_of_others(sentence: str) -> bool:
    """True if the sentence is about coordinators, the interest log, registrations or others."""
    return _OTHERS.search(sentence) is not None


# -- people's names ------------------------------------------------------------------------------

TITLES = frozenset(
    "dr doctor prof professor mr mrs ms miss mx sir dame lord lady rev revd cllr councillor".split()
)
# Words of institutions, places, roles, programmes and the calendar: a capitalised run made of
# these is an organisation or a place ("Royal College of Physicians", "North West", "NHS England"),
# not a person. A surname that is also such a word ("Sarah Hall") slips through: accepted.
INSTITUTION_WORDS = frozenset(
    """nhs england english scotland scottish wales welsh ireland irish northern britain british
    uk united kingdom european europe national royal college colleges university universities
    school schools faculty institute institution academy trust trusts foundation hospital
    hospitals infirmary health healthcare care board boards council service services network
    networks society association agency authority commission department ministry office
    directorate centre center unit group partnership alliance federation consortium digital data
    ai informatics clinical medical medicine nursing nurse nurses midwifery midwives pharmacy
    dental allied professions professional professionals leadership leaders leader innovation
    transformation technology technologies science sciences scientist scientists research
    education training learning skills development workforce improvement quality safety
    management executive chief officer officers information analytics analysis analyst
    analysts programme program programmes fellowship fellowships fellow fellows scheme schemes
    course courses award awards certificate diploma degree masters master apprenticeship
    apprenticeships pathway pathways framework frameworks bootcamp placement placements cohort
    level band grade registrar consultant practitioner practitioners specialist specialty trainee
    trainees core higher advanced senior junior director manager lead head team teams portfolio
    flexible entrepreneur entrepreneurs integrated system systems region regional north south east
    west central midlands london yorkshire humber street road square park house hall st saint
    great greater city county borough metropolitan teaching general district community primary
    secondary acute mental public population global international open online virtual applied
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()
)
# Ordinary words that open a sentence with a capital: "Ask Alice Brown" is still two names.
SENTENCE_STARTERS = frozenset(
    """a an the this that these those it its it's you your yours we our they their there here
    he she his her i my me as for if in on at to from with by of and but or so then since
    because while when where which who what how why after before also both each either every
    all any some many most more no not yes hi hello thanks thank dear good great sure ask try
    contact email speak talk see check consider explore look start apply join visit read think
    use take find get make keep build develop pursue learn follow review compare discuss plan
    gain focus begin note remember given based overall however unfortunately currently next last
    new one two three first second third alternatively meanwhile otherwise finally besides
    instead perhaps maybe please""".split()
)
_TOKEN = re.compile(r"[A-Za-z][\w'’-]*|[^\sA-Za-z]")
_NAME_LIKE = re.compile(r"^[A-Z][A-Za-z'’-]*[a-z][A-Za-z'’-]*$")  # "Alice", "McDonald", not "NHS"


def _bare(token: str) -> str:
    return re.sub(r"['’]s?$", "", token).rstrip(".").lower()


def unknown_people(sentence: str, *, known: Set[str], plain: Set[str]) -> list[str]:
    """Names of people in the sentence that the grounding data does not hold.

    A person's name is a title and a capitalised word ("Dr Patel"), or two or more capitalised
    words in a row that are neither institution or place words nor words the grounding data
    spells with a capital (`known`: programme names, and proper nouns in the catalogue text and
    the question). A sentence's first word counts only if it is not an ordinary word (`plain`:
    words the data writes in lower case, and common sentence openers).
    """
    tokens = _TOKEN.findall(sentence)
    found: list[str] = []
    run: list[str] = []
    unexplained = 0

    def close() -> None:
        nonlocal unexplained
        if unexplained >= 2:
            found.append(" ".join(run))
        run.clear()
        unexplained = 0

    first = next((i for i, t in enumerate(tokens) if t[0].isalpha()), -1)
    for i, token in enumerate(tokens):
        bare = _bare(token)
        if bare in TITLES:
            j = i + 2 if tokens[i + 1 : i + 2] == ["."] else i + 1  # "Dr. Patel"
            if j < len(tokens) and _NAME_LIKE.match(tokens[j]):
                close()
                name = _bare(tokens[j])
                if name not in known and name not in INSTITUTION_WORDS:
                    found.append(f"{token} {tokens[j]}")
                continue
        if not _NAME_LIKE.match(token):
            close()
            continue
        run.append(token)
        ordinary = i == first and (bare in plain or bare in SENTENCE_STARTERS)
        if not (ordinary or bare in known or bare in INSTITUTION_WORDS):
            unexplained += 1
    close()
    return found
