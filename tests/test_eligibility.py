"""Each eligibility rule, criterion by criterion: met, not met (now or later), unknown."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from bot.advice.eligibility import check_programme, verdict
from bot.advice.reading import Profile
from bot.catalogue.loader import read_catalogue
from bot.catalogue.schema import Criterion, ProgrammeDoc

from .conftest import KNOWLEDGE

FACT = {"text": "x", "sources": ["seed"]}
PROFESSIONS = read_catalogue(KNOWLEDGE).professions


def programme(*criteria: dict[str, Any], open_to_individuals: bool = True) -> ProgrammeDoc:
    return ProgrammeDoc.model_validate(
        {
            "id": "demo",
            "name": "Demo",
            "kind": "fellowship",
            "open_to_individuals": open_to_individuals,
            **dict.fromkeys(
                (
                    "provider",
                    "summary",
                    "who_for",
                    "time_commitment",
                    "duration",
                    "qualification",
                    "how_to_apply",
                ),
                FACT,
            ),
            "status": {"state": "running", "as_of": "2026-01-01", **FACT},
            "eligibility": list(criteria),
            "routing": {},
            "source_urls": [],
            "last_reviewed": "2026-01-01",
            "review_due": "2027-01-01",
        }
    )


def status(criterion: dict[str, Any], **profile: Any) -> tuple[str, bool] | None:
    checks = check_programme(programme(criterion), Profile(**profile), PROFESSIONS)
    return (checks[0].status, checks[0].later) if checks else None


PROFESSION = {
    "kind": "profession",
    "label": "clinician",
    "allowed": ["nurse", "doctor"],
    "unknown": ["ahp"],
}
STAGE = {
    "kind": "stage",
    "label": "past foundation",
    "allowed": ["core", "specialty"],
    "unknown": ["consultant"],
    "later": ["foundation"],
}
BAND = {"kind": "band", "label": "band 6+", "min": 6, "professions": ["nurse"]}
SPECIALTY = {"kind": "specialty", "label": "physician", "groups": ["physician"]}
ENTRY = {"kind": "entry_point", "label": "ST3", "stage": "specialty", "year": 3}
NATION = {"kind": "nation", "label": "England", "allowed": ["England"], "unknown": ["Wales"]}
EXPERIENCE = {
    "kind": "experience",
    "label": "3 years leading",
    "min_years": 3,
    "of": "digital_leadership",
}
REGISTERED = {"kind": "registration", "label": "registered", "required": True}
NOT_REGISTERED = {"kind": "registration", "label": "not yet registered", "required": False}
DEGREE = {"kind": "degree", "label": "a degree"}
ROLE = {"kind": "role", "label": "leader", "allowed": ["cio", "ccio"]}
EMPLOYMENT = {"kind": "employment", "label": "NHS"}
PERMANENT = {"kind": "employment", "label": "NHS, in training or a permanent post", "permanent_or_training": True}
APPROVAL = {"kind": "approval", "label": "sign-off", "check": "Get sign-off."}
LOCAL = {"kind": "local", "label": "offered locally", "check": "Ask your local office."}
LOCAL_EXCEPT = {**LOCAL, "exclusions": [{"office": "Kent, Surrey and Sussex", "specialty_groups": ["psychiatry"],
                                         "detail": "Not psychiatry in KSS."}]}  # fmt: skip
KSS = {"local_office": "Kent, Surrey and Sussex"}
GROUPED = {"kind": "profession", "label": "nurses, midwives, AHPs", "allowed": ["nursing_midwifery_ahp"]}

RULES = [
    (PROFESSION, {"profession": "nurse"}, ("met", False)),
    (PROFESSION, {"profession": "ahp"}, ("unknown", False)),
    (PROFESSION, {"profession": "data_professional"}, ("not_met", False)),
    (PROFESSION, {}, ("unknown", False)),
    (STAGE, {"profession": "doctor", "stage": "specialty"}, ("met", False)),
    (STAGE, {"profession": "doctor", "stage": "consultant"}, ("unknown", False)),
    (STAGE, {"profession": "doctor", "stage": "foundation"}, ("not_met", True)),
    (STAGE, {"profession": "doctor", "stage": "gp"}, ("not_met", False)),
    (STAGE, {"profession": "doctor"}, ("unknown", False)),
    (STAGE, {"profession": "nurse"}, None),  # stages apply to doctors and dentists only
    (BAND, {"profession": "nurse", "band": 6}, ("met", False)),
    (BAND, {"profession": "nurse", "band": 5}, ("not_met", True)),
    (BAND, {"profession": "nurse"}, ("unknown", False)),
    (BAND, {"profession": "doctor"}, None),
    (SPECIALTY, {"profession": "doctor", "specialty_group": "physician"}, ("met", False)),
    (SPECIALTY, {"profession": "doctor", "specialty_group": "radiology"}, ("not_met", False)),
    (SPECIALTY, {"profession": "doctor"}, ("unknown", False)),
    (ENTRY, {"profession": "doctor", "stage": "core", "stage_year": 2}, ("not_met", True)),
    (ENTRY, {"profession": "doctor", "stage": "specialty", "stage_year": 3}, ("met", False)),
    (ENTRY, {"profession": "doctor", "stage": "specialty", "stage_year": 5}, ("not_met", False)),
    (ENTRY, {"profession": "doctor", "stage": "specialty"}, ("unknown", False)),
    (ENTRY, {"profession": "doctor", "stage": "consultant"}, ("not_met", False)),
    (NATION, {"nation": "England"}, ("met", False)),
    (NATION, {"nation": "Wales"}, ("unknown", False)),
    (NATION, {"nation": "Scotland"}, ("not_met", False)),
    (NATION, {}, ("unknown", False)),
    (EXPERIENCE, {"experience_years": 4, "experience_of": "digital_leadership"}, ("met", False)),
    (EXPERIENCE, {"experience_years": 2, "experience_of": "digital_leadership"}, ("not_met", True)),
    (EXPERIENCE, {"experience_years": 4, "experience_of": "scientific"}, ("unknown", False)),
    (EXPERIENCE, {"experience_years": 5, "experience_of": "any"}, ("unknown", False)),  # "5 yrs qualified"
    (EXPERIENCE, {}, ("unknown", False)),
    (
        REGISTERED,
        {"profession": "clinical_scientist", "registered_scientist": True},
        ("met", False),
    ),
    (REGISTERED, {"profession": "clinical_scientist"}, ("unknown", False)),
    (REGISTERED, {"profession": "graduate"}, ("not_met", True)),  # the STP gets them there
    (NOT_REGISTERED, {"profession": "graduate"}, ("met", False)),
    (
        NOT_REGISTERED,
        {"profession": "clinical_scientist", "registered_scientist": True},
        ("not_met", False),
    ),
    (DEGREE, {"has_degree": True}, ("met", False)),
    (DEGREE, {"profession": "graduate"}, ("met", False)),
    (DEGREE, {}, ("unknown", False)),
    (ROLE, {"role": "ccio"}, ("met", False)),
    (ROLE, {"role": "team_leader"}, ("not_met", True)),
    (ROLE, {"profession": "doctor", "stage": "specialty"}, ("not_met", True)),
    (ROLE, {}, ("unknown", False)),
    (EMPLOYMENT, {"nhs_employee": True}, ("met", False)),
    (PERMANENT, {"nhs_employee": True, "temporary_post": True, "career_stage": "established"}, ("not_met", False)),
    (PERMANENT, {"nhs_employee": True, "temporary_post": True, "career_stage": "in training"}, ("met", False)),  # a trainee's locum shifts
    (PERMANENT, {"nhs_employee": True}, ("met", False)),
    (EMPLOYMENT, {"profession": "medical_student", "nhs_employee": False}, ("not_met", True)),
    (APPROVAL, {"profession": "nurse"}, ("unknown", False)),
    (LOCAL, {"profession": "doctor"}, ("unknown", False)),
    (LOCAL_EXCEPT, {"profession": "doctor", "specialty_group": "psychiatry", **KSS}, ("not_met", False)),
    (LOCAL_EXCEPT, {"profession": "doctor", "specialty_group": "physician", **KSS}, ("unknown", False)),
    (LOCAL_EXCEPT, {"profession": "doctor", "specialty_group": "psychiatry", "local_office": "Thames Valley"}, ("unknown", False)),
    (LOCAL_EXCEPT, {"profession": "doctor", "specialty_group": "psychiatry", "region": "South East"}, ("unknown", False)),
    (GROUPED, {"profession": "midwife"}, ("met", False)),  # a group names its members
    (GROUPED, {"profession": "pharmacist"}, ("not_met", False)),
]


@pytest.mark.parametrize(("criterion", "profile", "expected"), RULES)
def test_each_rule_gives_the_right_status(
    criterion: dict[str, Any], profile: dict[str, Any], expected: tuple[str, bool] | None
) -> None:
    assert status(criterion, **profile) == expected


def test_every_criterion_kind_has_a_rule_test() -> None:
    kinds = {c["kind"] for c, _, _ in RULES}
    declared = {TypeAdapter(Criterion).validate_python(c).kind for c, _, _ in RULES}
    assert kinds == declared
    all_kinds = {
        "profession",
        "stage",
        "band",
        "specialty",
        "entry_point",
        "nation",
        "experience",
        "registration",
        "degree",
        "role",
        "employment",
        "approval",
        "local",
    }
    assert kinds == all_kinds


def test_approval_alone_does_not_make_a_fit_uncertain() -> None:
    p = programme(PROFESSION, APPROVAL)
    assert verdict(p, check_programme(p, Profile(profession="nurse"), PROFESSIONS)) == "eligible"


def test_a_local_offer_makes_a_possible_fit_not_a_sure_one() -> None:
    p = programme(PROFESSION, LOCAL)
    assert verdict(p, check_programme(p, Profile(profession="nurse"), PROFESSIONS)) == "possible"


def test_unknowns_make_a_possible_fit() -> None:
    p = programme(PROFESSION, BAND)
    assert verdict(p, check_programme(p, Profile(profession="nurse"), PROFESSIONS)) == "possible"


def test_only_later_failures_make_a_later_door() -> None:
    p = programme(PROFESSION, BAND)
    assert verdict(p, check_programme(p, Profile(profession="nurse", band=5), PROFESSIONS)) == "later"
    q = programme(PROFESSION, BAND, NATION)
    assert (
        verdict(q, check_programme(q, Profile(profession="nurse", band=5, nation="Scotland"), PROFESSIONS))
        == "not_eligible"
    )


def test_forums_are_information_not_applications() -> None:
    p = programme(open_to_individuals=False)
    assert verdict(p, check_programme(p, Profile(), PROFESSIONS)) == "information"
