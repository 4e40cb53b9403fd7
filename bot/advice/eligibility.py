"""Check a person against a programme's eligibility, one criterion at a time.

Each criterion comes out met, not met, or unknown with what to check. "Not met" can carry
`later=True`: not yet, but a door that opens (after foundation training, at ST3, at band 6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.advice.reading import Profile
from bot.catalogue.schema import (
    ApprovalCriterion,
    BandCriterion,
    Criterion,
    DegreeCriterion,
    EmploymentCriterion,
    EntryPointCriterion,
    ExperienceCriterion,
    LocalCriterion,
    NationCriterion,
    ProfessionCriterion,
    ProgrammeDoc,
    RegistrationCriterion,
    RoleCriterion,
    SpecialtyCriterion,
    StageCriterion,
)
from bot.catalogue.text import with_article
from bot.catalogue.vocabulary import STAGE_LABELS, ProfessionsFile

Status = Literal["met", "not_met", "unknown"]
Verdict = Literal["eligible", "possible", "later", "not_eligible", "information"]

TRAINING_STAGES = ("foundation", "core", "specialty")
EXPERIENCE_LABELS = {
    "digital_leadership": "leading digital change",
    "scientific": "working at clinical-scientist level",
    "any": "relevant experience",
}


NOT_YET = "Not yet: "  # how a later door's check starts


@dataclass(frozen=True)
class Check:
    criterion: str
    status: Status
    detail: str
    kind: str
    later: bool = False

    @property
    def when(self) -> str:
        """When a later door opens, without the "Not yet:" that says it is later."""
        return self.detail.removeprefix(NOT_YET) if self.later else self.detail

    def as_dict(self) -> dict[str, str]:
        return {"criterion": self.criterion, "status": self.status, "detail": self.detail}


def check_programme(
    programme: ProgrammeDoc, profile: Profile, professions: ProfessionsFile
) -> list[Check]:
    """Every applicable criterion of `programme`, evaluated for `profile`."""
    checks = []
    for criterion in programme.eligibility:
        check = _check(criterion, profile, professions)
        if check is not None:
            checks.append(check)
    return checks


def verdict(programme: ProgrammeDoc, checks: list[Check]) -> Verdict:
    """Summarise the checks: eligible, possible (things to check), later, or not eligible."""
    if not programme.open_to_individuals:
        return "information"
    failed = [c for c in checks if c.status == "not_met"]
    if failed:
        return "later" if all(c.later for c in failed) else "not_eligible"
    if any(c.status == "unknown" and c.kind != "approval" for c in checks):
        return "possible"
    return "eligible"


def _check(c: Criterion, p: Profile, v: ProfessionsFile) -> Check | None:  # noqa: C901 - one branch per kind
    if isinstance(c, ProfessionCriterion):
        return _profession(c, p, v)
    if isinstance(c, StageCriterion):
        # A senior person of unstated profession is past any training stage too.
        past_training = p.profession is None and p.career_stage == "senior"
        return _stage(c, p) if p.profession in v.expand(c.professions) or past_training else None
    if isinstance(c, BandCriterion):
        return _band(c, p, v)
    if isinstance(c, SpecialtyCriterion):
        return _specialty(c, p) if p.profession in v.expand(c.professions) else None
    if isinstance(c, EntryPointCriterion):
        return _entry_point(c, p)
    if isinstance(c, NationCriterion):
        return _nation(c, p)
    if isinstance(c, ExperienceCriterion):
        return _experience(c, p)
    if isinstance(c, RegistrationCriterion):
        return _registration(c, p, v)
    if isinstance(c, DegreeCriterion):
        return _degree(c, p)
    if isinstance(c, RoleCriterion):
        return _role(c, p)
    if isinstance(c, EmploymentCriterion):
        return _employment(c, p)
    if isinstance(c, ApprovalCriterion):
        return Check(c.label, "unknown", c.check, "approval")
    if isinstance(c, LocalCriterion):
        return _local(c, p)
    raise TypeError(f"unhandled criterion {c!r}")  # pragma: no cover


def _local(c: LocalCriterion, p: Profile) -> Check:
    for ex in c.exclusions:
        if p.local_office == ex.office and p.specialty_group in ex.specialty_groups:
            return Check(c.label, "not_met", ex.detail, c.kind)
    return Check(c.label, "unknown", c.check, c.kind)


def _profession(c: ProfessionCriterion, p: Profile, v: ProfessionsFile) -> Check:
    allowed, unknown = v.expand(c.allowed), v.expand(c.unknown)
    doctors_only = set(allowed) | set(unknown) <= {"doctor", "dentist", "medical_student"}
    if p.profession is None and p.band is not None and doctors_only:
        return Check(
            c.label,
            "not_met",
            "It is for doctors; you gave an Agenda for Change band, which doctors don't have.",
            c.kind,
        )
    if p.profession is None:
        return Check(
            c.label,
            "unknown",
            f"Tell me your profession: this is for {_lower_first(c.label)}.",
            c.kind,
        )
    term = v.term(p.profession)
    who, plural = (term.label, term.plural) if term else (p.profession, p.profession)
    if c.registered and p.in_training and p.profession in (*allowed, *unknown):
        return Check(c.label, "not_met", f"Not yet: it needs registration, and you're still training to be {with_article(who)}.", c.kind)  # fmt: skip
    if p.profession in allowed:
        return Check(c.label, "met", f"Open to {plural}.", c.kind)
    if p.profession in unknown:
        detail = c.check or f"Not confirmed whether {plural} are eligible."
        return Check(c.label, "unknown", detail, c.kind)
    return Check(c.label, "not_met", f"Not open to {plural} (you said you're {with_article(who)}).", c.kind)



def _lower_first(label: str) -> str:
    """"A nurse" -> "a nurse", but "NHS staff" stays "NHS staff"."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def _stage(c: StageCriterion, p: Profile) -> Check | None:
    training_only = set(c.allowed) | set(c.unknown) <= {"foundation", "core", "specialty", "medical_student"}
    if p.stage is None and p.career_stage == "senior" and training_only:
        return Check(c.label, "not_met", "It is for doctors in training; your senior role is past that.", c.kind)
    if p.stage is None:
        return Check(
            c.label,
            "unknown",
            "Tell me your grade (for example FY2, CT1, ST4 or consultant).",
            c.kind,
        )
    label = STAGE_LABELS.get(p.stage, p.stage)
    if p.stage in c.allowed and p.next_stage in ("consultant", "gp", "sas") and training_only:
        return Check(c.label, "not_met", "It runs inside training, and you're about to finish yours.", c.kind)
    if p.stage in c.allowed:
        return Check(c.label, "met", f"As a {label} you meet this.", c.kind)
    if p.next_stage in c.allowed:
        coming = STAGE_LABELS.get(p.next_stage, p.next_stage)
        return Check(c.label, "met", f"You're applying to be a {coming}, and that is the point to ask about it.", c.kind)
    if p.stage in c.unknown:
        return Check(c.label, "unknown", c.check or f"Not confirmed for a {label}.", c.kind)
    if p.next_stage in c.unknown:  # "FY2, starting CT1 in August": the grade they will hold
        coming = STAGE_LABELS.get(p.next_stage, p.next_stage)
        return Check(c.label, "unknown", c.check or f"Not confirmed for a {coming}, which you're about to be.", c.kind)
    if p.stage in c.later:
        return Check(
            c.label,
            "not_met",
            f"{NOT_YET}as a {label} you can apply once you're past this stage.",
            c.kind,
            later=True,
        )
    return Check(c.label, "not_met", f"Not open to a {label}.", c.kind)


TRAINEE_BANDS = 4  # the highest band a trainee or apprentice is paid on while training for a register


def _band(c: BandCriterion, p: Profile, v: ProfessionsFile) -> Check | None:
    if p.profession not in v.expand(c.professions) and not (
        p.profession is None and p.band is not None
    ):
        return None  # a band said without a profession still counts: only AfC staff have one
    if p.band is None and p.in_training and c.min > TRAINEE_BANDS:
        # a trainee nursing associate or degree apprentice is paid below band 5 while training
        return Check(c.label, "not_met", f"It needs band {c.min} or above, a registered post after your training.", c.kind, later=True)  # fmt: skip
    if p.band is None:
        return Check(
            c.label, "unknown", f"Check you're on Agenda for Change band {c.min} or above.", c.kind
        )
    if p.band >= c.min:
        return Check(
            c.label, "met", f"You're band {p.band}; band {c.min} or above is needed.", c.kind
        )
    return Check(
        c.label,
        "not_met",
        f"You're band {p.band}; it needs band {c.min} or above.",
        c.kind,
        later=True,
    )


def _specialty(c: SpecialtyCriterion, p: Profile) -> Check | None:
    groups = " or ".join(g.replace("_", " ") for g in c.groups)
    if p.specialty_group is None:
        return Check(c.label, "unknown", f"Check your specialty is a {groups} specialty.", c.kind)
    name = (p.specialty or p.specialty_group).replace("_", " ")
    if p.specialty_group in c.groups:
        return Check(c.label, "met", f"{name.capitalize()} is a {groups} specialty.", c.kind)
    return Check(c.label, "not_met", f"{name.capitalize()} is not a {groups} specialty.", c.kind)


def _entry_point(c: EntryPointCriterion, p: Profile) -> Check | None:
    if p.profession not in ("doctor", None):
        return None
    point = f"appointment to ST{c.year}"
    if p.stage is None and p.career_stage == "senior":
        return Check(
            c.label,
            "not_met",
            f"It is chosen at {point}, within training; your senior role is past that point.",
            c.kind,
        )
    if p.stage is None:
        return Check(
            c.label, "unknown", f"It is chosen at {point}; check where you are in training.", c.kind
        )
    if p.stage in ("foundation", "core"):
        return Check(c.label, "not_met", f"{NOT_YET}you choose it at {point}.", c.kind, later=True)
    if p.stage == c.stage:
        if p.stage_year is None:
            return Check(
                c.label,
                "unknown",
                f"It is chosen at {point}; if you're already past ST{c.year} it is closed to you.",
                c.kind,
            )
        if p.stage_year == c.year:
            return Check(c.label, "met", f"You're at ST{c.year}, the entry point.", c.kind)
        if p.stage_year < c.year:
            return Check(
                c.label, "not_met", f"{NOT_YET}you choose it at {point}.", c.kind, later=True
            )
        return Check(
            c.label,
            "not_met",
            f"It is chosen at {point}; at ST{p.stage_year} you're past that entry point.",
            c.kind,
        )
    return Check(
        c.label, "not_met", f"It is chosen at {point}, within higher specialty training.", c.kind
    )


def _nation(c: NationCriterion, p: Profile) -> Check:
    if {"England", "Wales", "Scotland", "Northern Ireland"} <= set(c.allowed):
        where = "the UK"
    else:
        where = " or ".join(c.allowed) if c.allowed else "the nations named by the programme"
    if p.nation is None:
        detail = c.check if not c.allowed and c.check else f"Check you work in {where}."
        return Check(c.label, "unknown", detail, c.kind)
    if p.nation in c.allowed:
        return Check(c.label, "met", f"You work in {p.nation}.", c.kind)
    if p.nation in c.unknown:
        return Check(c.label, "unknown", c.check or f"Not confirmed for {p.nation}.", c.kind)
    detail = f"Only for {where}; you're in {p.nation}."
    if p.nation in c.elsewhere:
        detail = f"{detail} {c.elsewhere[p.nation]}"
    return Check(c.label, "not_met", detail, c.kind)


def _experience(c: ExperienceCriterion, p: Profile) -> Check:
    what = EXPERIENCE_LABELS[c.of]
    needs = f"at least {c.min_years} years {what}" if c.min_years else f"you to be {what} now"
    said = p.experience_years is not None and (c.of == "any" or p.experience_of in (c.of, "any"))
    early = _too_early(p) if not said and c.of == "digital_leadership" else None
    if early:
        # a student, a foundation doctor or a band 5 has not yet led digital change for years
        return Check(c.label, "not_met", f"It typically needs {needs}; {early}.", c.kind, later=True)
    if not said:
        return Check(c.label, "unknown", f"Typically needs {needs}; check yours.", c.kind)
    years = p.experience_years or 0
    if c.min_years is None:
        if years >= 1 and p.experience_of == c.of:
            return Check(c.label, "met", f"You have {years} years {what}.", c.kind)
        if years >= 1:
            return Check(c.label, "unknown", f"You have {years} years in all; check that you are {what} now.", c.kind)
        return Check(c.label, "not_met", f"It is for people already {what}; you said you are new to it.", c.kind, later=True)
    if years >= c.min_years and c.of != "any" and p.experience_of == "any":
        return Check(  # "5 yrs qualified" is not 5 years leading digital change
            c.label,
            "unknown",
            f"You have {years} years in all; check that about {c.min_years} of them were {what}.",
            c.kind,
        )
    if years >= c.min_years:
        return Check(
            c.label,
            "met",
            f"You have {years} years; {c.min_years} are typically needed.",
            c.kind,
        )
    return Check(
        c.label,
        "not_met",
        f"You have {years} years; about {c.min_years} are needed.",
        c.kind,
        later=True,
    )


def _too_early(p: Profile) -> str | None:
    """When leading digital change is still to come, and why; None when it may be now."""
    if p.stage in ("foundation", "medical_student") or p.profession in ("medical_student", "student"):
        return "that comes after foundation training" if p.stage == "foundation" else "that comes after qualifying"
    if p.band is not None and p.band <= 5 and p.role is None:
        return f"that usually comes later than band {p.band}"
    return None


def _registration(c: RegistrationCriterion, p: Profile, v: ProfessionsFile) -> Check:
    registers = v.expand(c.professions)
    names = " or ".join(t.label if (t := v.term(x)) else x for x in registers)
    if p.profession is None and p.registered_scientist is None:
        what = "registered" if c.required else "not yet registered"
        return Check(c.label, "unknown", f"Check you're {what} as a {names}.", c.kind)
    is_scientist = p.profession in registers
    if c.required:
        if p.registered_scientist and is_scientist:
            return Check(c.label, "met", f"You're registered as a {names}.", c.kind)
        if p.registered_scientist is False or not is_scientist:
            return Check(
                c.label,
                "not_met",
                f"Needs HCPC registration as a {names} first (for clinical scientists, the STP or AHCS equivalence get you there).",
                c.kind,
                later=is_scientist or p.profession in ("healthcare_science_practitioner", "graduate", "student"),
            )
        return Check(c.label, "unknown", f"Check you're HCPC-registered as a {names}.", c.kind)
    if p.registered_scientist and is_scientist:
        return Check(c.label, "not_met", "You're already registered; HSST is the next step.", c.kind)
    if p.registered_scientist is None and is_scientist:
        return Check(
            c.label,
            "unknown",
            "If you're already a registered clinical scientist, look at HSST instead.",
            c.kind,
        )
    return Check(c.label, "met", f"You're not yet a registered {names}.", c.kind)


def _degree(c: DegreeCriterion, p: Profile) -> Check:
    if p.has_degree or p.profession == "graduate":
        return Check(c.label, "met", "You have (or are finishing) a degree.", c.kind)
    if p.has_degree is False:
        return Check(c.label, "not_met", "It needs a degree, and you said you don't have one yet.", c.kind)
    return Check(c.label, "unknown", c.check or "Check the degree requirements.", c.kind)


def _role(c: RoleCriterion, p: Profile) -> Check:
    if p.stage in TRAINING_STAGES or p.profession in ("medical_student", "student", "graduate"):
        return Check(
            c.label,
            "not_met",
            "It is for people already in senior or leadership roles.",
            c.kind,
            later=True,
        )
    if p.role is None:
        return Check(c.label, "unknown", c.check or "Check your role fits.", c.kind)
    role = p.role.replace("_", " ")
    if p.role in c.allowed:
        return Check(c.label, "met", f"Your role ({role}) fits.", c.kind)
    return Check(
        c.label, "not_met", f"Your role ({role}) is not one it is aimed at.", c.kind, later=True
    )


def _employment(c: EmploymentCriterion, p: Profile) -> Check:
    if c.permanent_or_training and p.temporary_post and p.career_stage != "in training":
        return Check(c.label, "not_met", "It was for people in training or in a permanent post; you said yours is a locum, agency or fixed-term one.", c.kind)
    if c.not_on_notice and p.on_notice:
        return Check(c.label, "not_met", "It is for people employed by an NHS organisation and not on notice; you've handed in your notice.", c.kind)
    if p.nhs_employee is False:
        return Check(
            c.label,
            "not_met",
            "It is for people employed by an NHS organisation.",
            c.kind,
            later=True,
        )
    if p.nhs_employee:
        return Check(c.label, "met", "You work in the NHS.", c.kind)
    return Check(c.label, "unknown", "Check you're employed by an NHS organisation.", c.kind)
