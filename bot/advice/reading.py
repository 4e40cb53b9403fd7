"""Read who is asking, and what they want, from the words of a question.

Each phrase is attributed to the asker or to someone else (bot/advice/scope.py), and each field
is read on its own (bot/advice/fields.py). Here they are combined into one Profile, and where they
disagree the rules below decide: a grade means a doctor, a band does not. Only what holds of the
asker now becomes the profile; what the text does not say stays None, and eligibility then says
"to check" instead of guessing.
"""

from __future__ import annotations

import re

from pydantic import ConfigDict

from bot.advice import bands, fields, whose
from bot.advice.lexicon import lexicon
from bot.advice.scope import (
    ASKER,
    Mention,
    Reader,
    heads,
    names_a_post,
    pattern_mentions,
    the_asker,
)
from bot.advice.spoken import unspoken
from bot.advice.subject import Person, Subject, subject
from bot.catalogue.snapshot import Catalogue

DEGREE = re.compile(r"\bdegree\b|\bBSc\b|\bMSc\b|\bPhD\b|\bmaster'?s\b|\bgraduat\w*|\bBEng\b|\bMEng\b|\bBA\b|\bMPhys\b|\bMChem\b", re.I)
NO_DEGREE = re.compile(
    r"\b(?:without|no|not got|haven'?t got|don'?t have|do not have|never did|never got|never finished|lack)"
    r" (?:a |any |an )?(?:university |uni |undergrad(?:uate)? )?(?:degree|BSc|graduate qualification)\b"
    r"|\bnon[- ]?graduate\b|\bnot (?:a )?graduate\b|\bno uni(?:versity)?\b",
    re.IGNORECASE,
)
NOT_HELD = re.compile(r"\bdegree[- ]apprenticeships?\b|\b(?:do|get|study for|start|doing|getting) (?:a|an|my) (?:\w+ )?degree\b", re.I)
REGISTERED = re.compile(
    r"\bHCPC[- ]?(?:registered|reg(?:['’]?d)?)\b|\bregistered (?:clinical |biomedical )?scientist\b|"
    r"\bregistered with (?:the )?HCPC\b|\bon the HCPC register\b|\bI(?:['’]m| am) (?:HCPC )?registered\b|\bIBMS registered\b|"
    r"\bI(?:['’]ve| have) been (?:HCPC[- ])?registered (?:for|since)\b|\bregistered for (?:\w+ )?(?:years|a year)\b|"
    r"\b(?:senior|principal|consultant|lead|chief) clinical scientists?\b",  # posts open only once registered
    re.IGNORECASE,
)
NOT_REGISTERED = re.compile(
    r"\bnot (?:yet )?(?:HCPC )?registered\b|\bunregistered\b|\btrainee (?:clinical|biomedical) scientist\b|"
    r"\bSTP trainee\b|\bwithout (?:HCPC )?registration\b",
    re.IGNORECASE,
)


class Profile(Person):
    """Who is asking. Every field is optional: unknown stays None."""

    model_config = ConfigDict(extra="forbid")

    role: str | None = None
    career_stage: str | None = None
    place: str | None = None
    nation: str | None = None
    region: str | None = None
    local_office: str | None = None  # NHS England local office (a former deanery), where known
    place_note: str | None = None
    registered_scientist: bool | None = None
    in_training: bool = False  # training for a registered profession, not on its register yet (a TNA, an RNDA)
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
    next_stage: str | None = None  # the grade they are applying for, beside the one they hold
    on_notice: bool = False  # has handed in their notice
    temporary_post: bool = False  # a locum, agency, bank-only or fixed-term post, said of the asker
    on_programme: list[str] = []  # programmes the asker is on now ("STP trainee"): never suggested back
    subject: Subject | None = None  # asked for someone else ("my GPST2 wants..."): advice is for them
    follow_up: bool = False  # a short message that leans on what the conversation was about
    same_person: bool = False  # a follow-up still about whom the conversation was for (not "and for me?")
    faqs: list[str] = []

    def merged_with(self, earlier: Profile | None) -> Profile:
        """This turn's profile, with anything it leaves unknown taken from an earlier turn."""
        if earlier is None:
            return self
        data = self.model_dump()
        turn_only = ("intents", "named", "named_negated", "asked_topics", "timeframe", "follow_up", "same_person", "faqs", "upcoming", "subject")
        for key, value in earlier.model_dump().items():
            if key in turn_only:
                continue
            if data.get(key) is None and value is not None:
                data[key] = value
        if not self.intents and not self.named:
            data["intents"] = list(earlier.intents)
        if self.follow_up and not self.named:
            data["named"] = list(earlier.named)  # "can I do it part time?": it is what we discussed
        if self.same_person and self.subject is None and self.is_empty:
            # "what about funding?" after "my GPST2 wants protected time": still about the GPST2
            data["subject"] = earlier.model_dump()["subject"]
        return Profile.model_validate(data)

    def for_advice(self, senior_roles: frozenset[str]) -> Profile:
        """Whom the advice is worked out for: the person asked for, where there is one (their
        profession, grade and band; the place and the need are the asker's words), else the asker."""
        s = self.subject
        if s is None or (s.profession is None and s.stage is None and s.band is None):
            return self
        theirs = {name: getattr(s, name) for name in Person.model_fields}
        if self.nation is None and s.nation is not None:  # the asker named nowhere of their own
            theirs.update(place=s.place, nation=s.nation, region=s.region)
        if s.profession == self.profession and s.specialty is None:
            # A clinical director's trainees are in the director's specialty unless the asker says otherwise.
            theirs.update(specialty=self.specialty, specialty_group=self.specialty_group)
        return self.model_copy(update={
            **theirs, "role": None, "career_stage": career_stage(s.profession, s.stage, s.band, None, senior_roles),
            "next_stage": None, "upcoming": False, "registered_scientist": None, "in_training": False,
        })  # fmt: skip

    @property
    def is_empty(self) -> bool:
        return self.profession is None and self.stage is None and self.band is None


# Words beside the asker's profession that say they are still training for its register:
# "trainee nursing associate", "nursing degree apprentice", "TNA", "student nurse".
TRAINING_FOR = frozenset({"trainee", "apprentice", "apprenticeship", "student", "tna", "tnas", "rnda", "pre-registration", "preregistration"})  # fmt: skip
# "qualified in the summer", "NQN", "in my preceptorship": early in a career, whatever the band.
NEWLY = re.compile(r"\b(?:newly[- ]qualified|just qualified|recently qualified|qualified (?:in|this|last) (?:the )?(?:summer|spring|autumn|winter|year|month|january|february|march|april|may|june|july|august|september|october|november|december)|preceptorship|preceptee|(?-i:NQ[NP]s?))\b", re.I)
QUALIFIED_NOW = frozenset({"qualified", "registered", "newly-qualified"})


def _in_training(r: Reader, asker: Mention | None, profession: str | None, professions: list[Mention], registers: list[str]) -> bool:  # fmt: skip
    """The asker's profession is one they are training for, not yet registered in ("TNA? no -
    qualified nursing associate now" is registered). `registers`: the professions entered that
    way (professions.yaml, group trained_into_register)."""
    if asker is None or profession not in registers or asker.value != profession:
        return False
    if any(m.value == profession and m.who in ASKER and {t.key for t in r.tokens[max(0, m.first - 2) : m.first]} & QUALIFIED_NOW
           for m in professions):  # fmt: skip
        return False
    return any(t.key in TRAINING_FOR for t in r.tokens[max(0, asker.first - 1) : asker.last + 2])


DIGITAL_DUTY = frozenset({"digital lead", "digital champion", "digital facilitator"})  # "the digital lead for our PCN": a duty a clinician may hold

OPENING_CCT = 6  # "CCT in August" said of the asker opens the message ("my reg's CCT" is someone else's)


# "in the BI team", "I lead the BI team": a team the asker is in or runs
TEAM_OF_MINE = frozenset({"in", "on", "within", "our", "my", "of", "lead", "run", "head", "manage", "leading", "running", "heading", "managing"})


def read_profile(question: str, *, catalogue: Catalogue) -> Profile:
    """Everything the question says about who is asking and what they want."""
    text = unspoken(" ".join(question.split()))
    words = lexicon(catalogue)
    r = Reader(text, words)
    vocab = r.vocab

    professions = r.mentions(vocab.professions.scanner.scan(r.tokens)) + pattern_mentions(r, vocab.professions)
    professions += r.mentions(r.spoken(vocab.professions.scanner, professions), possessive_is_other=False)
    professions = [m for m in professions if not fields.registration(r, m)]
    # "chief nursing information officer": a job word inside the name of a role that says the
    # profession ("information officer" in a CNIO's title) is not a second job
    implying = [(m.first, m.last) for m in r.role_matches if m.value in vocab.role_implies and m.last - m.first > 1]
    professions = [m for m in professions if not any(a <= m.first and m.last <= b and (m.first, m.last) != (a, b) for a, b in implying)]
    # "as a non-clinician", "open to non-medics?": not the asker's profession
    professions = [m for m in professions if not (m.first > 0 and r.tokens[m.first - 1].key == "non")]
    # "shadow the digital team": a team named with nothing to say the asker is in it is not them
    professions = [Mention(m.value, m.first, m.last, "group", m.text) if m.who == "plain" and m.text.lower().endswith(" team")
                   and not {t.key for t in r.tokens[max(0, m.first - 2) : m.first]} & TEAM_OF_MINE else m
                   for m in professions]  # fmt: skip
    # "my DFT year", "my SALT placement": the asker's own year or post, not another person
    professions = [Mention(m.value, m.first, m.last, "self", m.text) if m.who == "other" and m.first > 0 and r.tokens[m.first - 1].key == "my"
                   and m.last < len(r.tokens) and r.tokens[m.last].key in fields.NOT_A_PERSON else m
                   for m in professions]  # fmt: skip
    # "a nurse I support" is someone the asker looks after; "admin staff like me" includes the asker
    professions = [Mention(m.value, m.first, m.last, "other", m.text) if whose.looked_after(r, m.first, m.last)
                   else Mention(m.value, m.first, m.last, "self" if m.who == "plain" else "plain", m.text)
                   if m.who in ("group", "other", "plain") and whose.like_me(r, m.last)
                   else m for m in professions]  # fmt: skip
    asker = the_asker(heads(r, professions))
    if asker is not None:
        # "I qualified as a radiographer ... but I'm now a band 7 information analyst": now wins
        qualified = bool({t.key for t in r.tokens[max(0, asker.first - 4) : asker.first]} & QUALIFIED)
        now = [m for m in heads(r, professions) if m.who in ASKER and m.value != asker.value and m.first > asker.first
               and (_said_now(r, m.first) or r.cue_before("main_job", m.first, 6) or qualified and m.who == "self"
                    or _currently(r, m.first) and m.value not in STUDYING)]  # fmt: skip
        asker = now[0] if now else asker
    if asker is not None and asker.text.lower() in DIGITAL_DUTY and asker.first > 0 and r.tokens[asker.first - 1].key == "the":
        # "GP in Richmond - I'm the digital lead for our PCN": a clinician's digital duty is their role
        clinician = [m for m in heads(r, professions) if m.who in ASKER and m.value in catalogue.professions.expand(["clinical"])]
        asker = min(clinician, key=lambda m: m.first) if clinician else asker
    profession = asker.value if asker else None
    if profession == "other_clinical":
        # "ACP in urgent care, physio by background": the base profession is the one that counts.
        base = next((m for m in professions if m.value != "other_clinical" and m.who in (*ASKER, "group", "other", "past")
                     and (any(t.key in ("background", "training") for t in r.tokens[m.last : m.last + 3])
                          or any(t.key in BACKGROUND_BEFORE for t in r.tokens[max(0, m.first - 3) : m.first]))), None)  # fmt: skip
        profession = base.value if base else profession
    topics = vocab.topics.ids_in(r.tokens, text)
    grades = fields.grade_mentions(r)
    # "foundation trainee pharmacist": a grade inside another profession's name is not a doctor's grade
    others = [m for m in professions if m.value not in ("doctor", "dentist", "medical_student")]
    grades = [(g, y) for g, y in grades if not any(m.first <= g.first and g.last <= m.last for m in others)]
    asked_for = subject(r, professions, grades)
    if asker is None and "who_for" in topics and asked_for is None:
        # "Is FPT open to nurses?": the group asked about is, as far as we can tell, the asker's.
        asked = next((m for m in professions if m.who == "group"), None)
        profession = asked.value if asked else None
    stage, stage_year, upcoming = fields.stage(r, grades, besides=asked_for.span if asked_for else None)
    band = bands.band(r)
    if profession is None and stage is not None:
        profession = "medical_student" if stage == "medical_student" else "doctor"
    if profession == "student" and any(m.value == "medical_student" and m.who in (*ASKER, "group") for m in professions):
        profession = "medical_student"  # "4th year medic ... what can I do as a student?"
    if profession == "doctor" and stage is None and any(m.value == "medical_student" and m.who in ASKER for m in professions):
        profession = "medical_student"  # "medic at HYMS doing an intercalated year": a medic still studying
    if stage == "medical_student" and profession in (None, "doctor", "student"):
        profession = "medical_student"
    if profession == "medical_student" and stage != "medical_student":
        # "3rd year medic"; "intercalating ... a foot in this through FY": a grade still to come
        stage, stage_year = "medical_student", None
    if profession is None and stage is None and asked_for is None and any(
        c.value == "finishing_training" and "cct" in c.text.lower() and c.first < OPENING_CCT for c in r.all_cues
    ):  # "CCT in cardiology next August, at Barts": only a specialty registrar gets a CCT
        profession, stage = "doctor", "specialty"
    if band is not None and profession == "doctor" and (asker is None or asker.value != "doctor"):
        profession = None  # "band 6 trainee" is not a doctor: only grades said that
    term = catalogue.professions.term(profession)
    if term is None or not term.grades:
        stage, stage_year, upcoming = None, None, False
    coming = fields.next_stage(r, grades, stage) if stage is not None else None
    if stage == "specialty" and coming is None and r.has_cue("finishing_training"):
        coming = "gp" if fields.specialty(r, profession)[1] == "general_practice" else "consultant"  # "CCT in August"
    if stage == "medical_student" and stage_year is None:
        stage_year = fields.year_of_study(text)
    specialty, group = fields.specialty(r, profession if asker is not None else None)
    if profession == "doctor" and group is None:
        specialty, group = fields.specialty(r, None)
    if profession == "doctor" and group == "dental":
        profession = "dentist"  # "Orthodontic StR": a grade said by a dentist
    said = fields.role_mention(r)
    role = fields.role(r, said)
    if profession is None and role is not None:
        profession = r.vocab.role_implies.get(role)  # "I'm the CNIO" is a nurse
    if asker is not None and asker.who == "plain" and said is not None and said.who in ("self", "opening") and said.value in vocab.senior_roles:
        # "Head of BI at Salford Royal ... half of them are on admin profiles": the role said of
        # the asker outranks a job word found later with nothing to say whose it is
        profession = r.vocab.role_implies.get(said.value, profession)

    years, years_of = fields.experience(r)
    aspiration = fields.aspiration(r, professions)
    # Words that name someone's job are not a wish: "data analyst" does not ask for data skills.
    job_spans = [(r.tokens[m.first].start, r.tokens[m.last - 1].end) for m in professions if m.who in (*ASKER, "group") and not names_a_post(r, m)]
    intents = fields.intents(r, aspiration, job_spans)
    registered: bool | None = None
    if NOT_REGISTERED.search(text):
        registered = False
    elif REGISTERED.search(text) or profession == "biomedical_scientist" and "registered" in text.lower():
        registered = True
    if profession == "clinical_scientist" and registered:
        intents = [i for i in intents if i != "become_clinical_scientist"]  # "consultant clinical scientist" is a step up, not a way in
    named = words.aliases.find(text, read=r.tokens)
    # A place word inside a longer programme name is not where anyone works: "the NES DLP from
    # Berwick" (but "developer at DHCW" names the organisation itself).
    titled = [(m.first, m.last) for m in named]
    place = words.places.find(text, standing=lambda m: "ignore" if any(a <= m.first and m.last <= b and b - a > m.last - m.first for a, b in titled)
                              else whose.standing(r, m), read=(r.tokens, r.places))  # fmt: skip
    if asked_for is not None and place is None:
        # "asking on behalf of Priya: she's a CNS at the QEUH": where she works is hers (the
        # profile stays the asker's); the advice uses it when the asker names nowhere of their own
        theirs = words.places.find(text, standing=lambda m: whose.standing(r, m, theirs=True), read=(r.tokens, r.places))
        if theirs is not None and not theirs.uncertain:
            asked_for = asked_for.model_copy(update={"place": theirs.label, "nation": theirs.nation, "region": theirs.region})

    nhs = fields.nhs(r, profession, catalogue, place)
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
        career_stage=career_stage(profession, stage, band, role, vocab.senior_roles) or ("early career" if NEWLY.search(text) and profession else None),
        place=place.label if place else None,
        nation=(place.nation or None) if place else None,  # "" = several nations: not known
        region=place.region if place else None,
        local_office=place.office if place else None,
        place_note=place.note if place else None,
        registered_scientist=registered,
        in_training=_in_training(r, asker, profession, professions, catalogue.professions.expand(["trained_into_register"])),
        has_degree=_degree(text),
        nhs_employee=nhs,
        on_notice=fields.on_notice(r),
        temporary_post=fields.temporary_post(r),
        experience_years=years,
        experience_of=years_of,
        aspiration=aspiration,
        intents=intents,
        named=[m.programme_id for m in named if not m.negated],
        named_negated=[m.programme_id for m in named if m.negated],
        on_programme=[m.programme_id for m in named if m.held],
        asked_topics=topics,
        timeframe=timeframe,
        upcoming=upcoming,
        next_stage=coming,
        subject=asked_for,
        follow_up=fields.follow_up(r, profession, named),
        same_person=fields.same_person(r, profession),
        faqs=words.faqs(text),
    )


# "came through physio", "originally a nurse", "from a nursing background": an ACP's base profession
BACKGROUND_BEFORE = frozenset({"background", "through", "originally", "from"})
NOW_THEN = frozenset({"a", "an", "as", "working", "i'm", "im", "i", "band"})


QUALIFIED = frozenset({"qualified", "trained", "graduated"})  # "I qualified as a doctor in Pakistan ... I'm working as an HCA"


STUDYING = frozenset({"student", "medical_student", "graduate"})  # "ST5 oncology, currently OOPR doing a PhD": still an ST5


def _currently(r: Reader, i: int) -> bool:
    """ "a CS graduate but currently IT support": the job held now, said just before token i."""
    return "currently" in {t.key for t in r.tokens[max(0, i - 2) : i]}


def _said_now(r: Reader, i: int) -> bool:
    """ "now a", "now working as", "now I'm a" in the few words before token i."""
    keys = [t.key for t in r.tokens[max(0, i - 4) : i]]
    return any(k == "now" and nxt in NOW_THEN for k, nxt in zip(keys, keys[1:], strict=False))


def _degree(text: str) -> bool | None:
    """Whether the asker has a degree: said not to ("without a degree"), said so, or unknown.
    A degree apprenticeship or a degree they want to do is not one they hold."""
    if NO_DEGREE.search(text):
        return False
    return True if DEGREE.search(NOT_HELD.sub(" ", text)) else None


def career_stage(
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
