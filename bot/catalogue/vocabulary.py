"""The vocabularies shared by the catalogue files, the profile reader and the advisor: closed
ones (nations, regions, stages) as Literals, open ones as the models of knowledge/vocabulary/."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Professions, their groups and the intents are open vocabularies: they live in
# knowledge/vocabulary/*.yaml (a maintainer adds one without Python) and programmes are checked
# against them when the catalogue is read. Ids are slugs.
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Profession = Slug
Intent = Slug

Stage = Literal["medical_student", "foundation", "core", "specialty", "consultant", "sas", "gp"]
STAGES: tuple[str, ...] = get_args(Stage)

Nation = Literal["England", "Wales", "Scotland", "Northern Ireland", "Outside the UK"]
NATIONS: tuple[str, ...] = get_args(Nation)

Region = Literal[
    "London",
    "South East",
    "South West",
    "East of England",
    "Midlands",
    "North East and Yorkshire",
    "North West",
]
REGIONS: tuple[str, ...] = get_args(Region)

Role = Literal[
    "cio",
    "ccio",
    "cnio",
    "cdio",
    "deputy_digital_lead",
    "deputy_ccio",
    "deputy_cnio",
    "head_of_digital",
    "head_of_data",
    "director",
    "executive",
    "manager",
    "team_leader",
    "clinical_lead",
]
ROLES: tuple[str, ...] = get_args(Role)

SpecialtyGroup = Literal[
    "physician",
    "surgery",
    "radiology",
    "psychiatry",
    "general_practice",
    "paediatrics",
    "pathology",
    "anaesthesia",
    "emergency",
    "obstetrics",
    "ophthalmology",
    "public_health",
    "oncology",
    "dental",
]



ProgrammeKind = Literal[
    "training_programme",
    "fellowship",
    "flexible_training",
    "accreditation",
    "leadership",
    "placement",
    "network",
    "professional_body",
    "framework",
    "forum",
    "signpost",
    "role",
    "apprenticeship",
    "academy",
]

STAGE_LABELS: dict[str, str] = {
    "medical_student": "medical student",
    "foundation": "foundation doctor",
    "core": "core trainee",
    "specialty": "specialty trainee (registrar)",
    "consultant": "consultant",
    "sas": "specialty / SAS doctor",
    "gp": "GP",
}


# -- The vocabulary files (knowledge/vocabulary/*.yaml) ------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Term(_Strict):
    """One thing people name, and the words they use for it.

    phrases   matched whatever the case, as whole words (plurals too)
    acronyms  matched only as written
    patterns  regular expressions, for what a word list can't say (checked when loaded)
    examples  sentences that must read as this term (tests/test_vocabulary.py)
    """

    id: Slug
    label: str = Field(min_length=1)
    phrases: list[str] = []
    acronyms: list[str] = []
    patterns: list[str] = []
    examples: list[str] = []

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from exc
        return value


class ProfessionTerm(Term):
    plural: str = Field(min_length=1)
    afc: bool = False
    grades: bool = False
    nhs_staff: bool = True


class Group(_Strict):
    label: str = Field(min_length=1)
    members: list[Slug] = Field(min_length=1)


class ProfessionsFile(_Strict):
    last_reviewed: date
    review_due: date
    groups: dict[Slug, Group] = {}
    professions: list[ProfessionTerm] = Field(min_length=1)
    # Phrases that hold a job word but name a place or a thing ("GP practice", "nursing home").
    not_people: list[str] = []

    @model_validator(mode="after")
    def _ids_and_members_known(self) -> ProfessionsFile:
        ids = [p.id for p in self.professions]
        if len(ids) != len(set(ids)):
            raise ValueError("profession ids must be unique")
        for name, group in self.groups.items():
            if name in ids:
                raise ValueError(f"group {name!r} has the same id as a profession")
            unknown = sorted(set(group.members) - set(ids))
            if unknown:
                raise ValueError(f"group {name!r} names unknown professions: {unknown}")
        return self

    def expand(self, names: list[str]) -> list[str]:
        """Profession ids, with any group id replaced by its members (order kept, no repeats)."""
        out: dict[str, None] = {}
        for name in names:
            group = self.groups.get(name)
            out.update(dict.fromkeys(group.members if group else [name]))
        return list(out)

    def term(self, profession: str | None) -> ProfessionTerm | None:
        return next((p for p in self.professions if p.id == profession), None)

    def known(self, name: str) -> bool:
        return name in self.groups or any(p.id == name for p in self.professions)


class IntentTerm(Term):
    offers: str = Field(min_length=1, description='How an entry serving it reads: "it offers X".')


class IntentsFile(_Strict):
    intents: list[IntentTerm] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> IntentsFile:
        ids = [i.id for i in self.intents]
        if len(ids) != len(set(ids)):
            raise ValueError("intent ids must be unique")
        return self


class StageTerm(Term):
    numbered: list[str] = Field(default=[], description="Grade prefixes that take a year: FY, CT, ST...")


class SpecialtyTerm(Term):
    label: str = ""
    group: SpecialtyGroup


class RoleTerm(Term):
    senior: bool = False
    implies: Slug | None = Field(default=None, description="The profession it implies when none is said.")


class TopicTerm(Term):
    pass


class OnBehalf(_Strict):
    """Words that mark a question asked for someone else (bot/advice/subject.py)."""

    wants: list[str] = Field(min_length=1, description='Said straight after the person: "my GPST2 wants".')
    asks: list[str] = Field(min_length=1, description='The question asks for them: "what could they apply for?".')
    asks_ahead: list[str] = Field(min_length=1, description='It asks for the person named next: "could my band 5s".')
    own: list[str] = Field(min_length=1, description='The asker asks for themselves too: "can I", "for me".')


class ReadingFile(_Strict):
    """How questions are read: grades, specialties, roles, topics, and the cue words that say who
    a phrase is about (the asker, someone else), whether it is negated, past, wished for or a
    claim, and where someone works rather than lives."""

    last_reviewed: date
    review_due: date
    stages: list[StageTerm]
    specialties: list[SpecialtyTerm]
    roles: list[RoleTerm]
    topics: list[TopicTerm]
    cues: dict[Slug, list[str]]
    on_behalf: OnBehalf

    @model_validator(mode="after")
    def _cues_complete(self) -> ReadingFile:
        missing = sorted(set(CUE_KINDS) - set(self.cues))
        if missing:
            raise ValueError(f"cues missing: {missing}")
        unknown = sorted(set(self.cues) - set(CUE_KINDS))
        if unknown:
            raise ValueError(f"unknown cue kinds: {unknown} (known: {sorted(CUE_KINDS)})")
        return self


CUE_KINDS = (
    "self",
    "main_job",
    "temporary_post",
    "third_party",
    "negation",
    "past",
    "aspiration",
    "hedge",
    "scope_end",
    "work",
    "home",
    "elsewhere",
    "not_nhs",
    "nhs",
    "nhs_commissioned",
    "upcoming",
    "later",
    "now",
    "no_experience",
    "follow_up",
    "on_notice",
    "finishing_training",
    "correction",
)


class RefusalCategory(_Strict):
    message: str = Field(min_length=1)
    # Where this category's patterns are matched unless a pattern says otherwise (see RefusalPattern).
    scope: Literal["sentence", "message"] = "sentence"
    # False: a message with one of these is refused whole, its career part unanswered too
    # (an injection, a dishonest request). True: the harmful part is refused, the rest answered.
    answer_the_rest: bool = True


class RefusalPattern(_Strict):
    """One small named way of asking for something Pathfinder must refuse, with an example that
    must be refused and a neighbour that must not (both checked by tests/test_guard.py)."""

    id: Slug
    category: Slug
    pattern: str
    must_refuse: str = Field(min_length=1)
    must_answer: str = Field(min_length=1)
    # sentence: matched in each sentence; message: also matched on the whole message, for patterns
    # that combine signs spread over several sentences ("ECG: ST elevation ... cath lab or not?").
    # Unset: the category's scope.
    scope: Literal["sentence", "message"] | None = None
    # An off-topic pattern is skipped in a sentence with career words ("I love cricket analytics:
    # which data courses?"), unless it names the other task outright ("for my upskilling, build me
    # a macro for my fantasy football league").
    despite_career: bool = False
    # Skipped in a sentence that asks about the asker's own data in the log (an own_data pattern
    # with names_the_log): "can I see my own entry in the interest log?" is not fishing in it.
    not_own_data: bool = False

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        return _regex(value)


class OwnDataPattern(_Strict):
    """One small named way of asking what happens to your own data ("who sees my interest?"):
    answered from how the interest log works, never refused. Its example must get that answer and
    its neighbour must not (both checked by tests/test_guard.py)."""

    id: Slug
    pattern: str
    example: str = Field(min_length=1)
    neighbour: str = Field(min_length=1)
    # It names the interest log or the asker's own entry in it ("how does the interest log work?"),
    # so the refusal patterns marked not_own_data (fishing in the log) are skipped in its sentence.
    # A broad one ("who sees it?") does not: "who's in the log, and who sees it?" is still fishing.
    names_the_log: bool = False

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        return _regex(value)


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from exc
    return value


# Signals the screen itself reads (bot/advice/guard.py), beyond those the patterns name.
REQUIRED_SIGNALS = frozenset({"career", "career_core", "career_ask", "asker"})
# Signals the screen derives from those, which patterns may name too: career_subject is what a
# question is about (career words bar the job titles and grades in asker, plus career_ask).
DERIVED_SIGNALS = frozenset({"career_subject"})


class AnswerableTemplates(_Strict):
    """Plain questions about a subject by name ("explain {subject} please") that must never be
    refused: the learned screen is trained on every question with every subject as answerable."""

    subjects: list[str] = Field(min_length=1)
    questions: list[str] = Field(min_length=1)

    @field_validator("questions")
    @classmethod
    def _has_subject(cls, value: list[str]) -> list[str]:
        missing = [q for q in value if "{subject}" not in q]
        if missing:
            raise ValueError(f"each question needs {{subject}}: {missing[0]!r}")
        return value

    def expanded(self) -> list[str]:
        return [q.replace("{subject}", s) for q in self.questions for s in self.subjects]


class RefusalsFile(_Strict):
    last_reviewed: date
    review_due: date
    categories: dict[Slug, RefusalCategory]
    signals: dict[Slug, list[str]] = {}
    patterns: list[RefusalPattern]
    own_data: list[OwnDataPattern] = []
    offer: str = Field(min_length=1)
    answerable: AnswerableTemplates | None = None  # for the learned screen (bot/learned_training.py)
    # Function words by language (bot/advice/language.py): "english" and the others it tells apart.
    languages: dict[Slug, list[str]] = {}

    @model_validator(mode="after")
    def _categories_known(self) -> RefusalsFile:
        for p in self.patterns:
            if p.category not in self.categories:
                raise ValueError(f"pattern {p.id!r}: unknown category {p.category!r}")
        ids = [p.id for p in self.patterns] + [p.id for p in self.own_data]
        if len(ids) != len(set(ids)):
            raise ValueError("pattern ids must be unique (refusal and own-data patterns together)")
        problems = [f"signals: the screen needs {name}" for name in sorted(REQUIRED_SIGNALS - set(self.signals))]
        if self.languages:
            english = {w.lower() for w in self.languages.get("english", [])}
            problems += ["languages: english is needed to tell the others from it"] if not english else []
            problems += [
                f"languages: {name}: {word!r} is also an English word"
                for name, ws in self.languages.items() if name != "english" for word in ws if word.lower() in english
            ]  # fmt: skip
            problems += ["languages: a language category is needed for its reply"] if "language" not in self.categories else []
        for p in self.patterns:
            unknown = sorted(set(re.findall(r"\{([a-z_]+)\}", p.pattern)) - set(self.signals) - DERIVED_SIGNALS)
            problems += [f"pattern {p.id!r}: unknown signal {{{name}}}" for name in unknown]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def scope_of(self, pattern: RefusalPattern) -> str:
        return pattern.scope or self.categories[pattern.category].scope


LEARNED_CATEGORY = "learned_screen"  # the refusal category whose message is the learned screen's reply


class LearnedScreenFile(_Strict):
    """The learned screen (bot/advice/learned.py) as `pathfinder screen train` wrote it: which
    corpora it learnt from (file -> SHA-256 of its bytes), its threshold and its weights."""

    trained: date
    corpus: dict[str, str] = Field(min_length=1)
    examples: int = Field(gt=0)
    threshold: float = Field(gt=0.0, lt=1.0)
    bias: float
    weights: dict[str, float] = Field(min_length=1)

