"""The closed vocabularies shared by the catalogue files, the profile reader and the advisor."""

from typing import Literal, get_args

Profession = Literal[
    "doctor",
    "dentist",
    "nurse",
    "midwife",
    "ahp",
    "pharmacist",
    "clinical_scientist",
    "healthcare_science_practitioner",
    "other_clinical",
    "data_professional",
    "digital_professional",
    "manager",
    "medical_student",
    "student",
    "graduate",
    "external_scientist",
]
PROFESSIONS: tuple[str, ...] = get_args(Profession)

CLINICAL_PROFESSIONS = frozenset(
    {
        "doctor",
        "dentist",
        "nurse",
        "midwife",
        "ahp",
        "pharmacist",
        "clinical_scientist",
        "healthcare_science_practitioner",
        "other_clinical",
    }
)
# People who are not (yet) employed by the NHS.
NOT_NHS_STAFF = frozenset({"medical_student", "student", "graduate", "external_scientist"})
# Professions paid on Agenda for Change bands (doctors and dentists are not).
AFC_PROFESSIONS = frozenset(
    {
        "nurse",
        "midwife",
        "ahp",
        "pharmacist",
        "clinical_scientist",
        "healthcare_science_practitioner",
        "other_clinical",
        "data_professional",
        "digital_professional",
        "manager",
    }
)

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
    "head_of_digital",
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

Intent = Literal[
    "hands_on_ai",
    "ai_interest",
    "protected_time",
    "digital_project",
    "leadership",
    "qualification",
    "accreditation",
    "registration",
    "networking",
    "learning",
    "informatics_career",
    "become_clinical_scientist",
    "senior_scientist",
    "job_description",
    "ccio",
    "industry",
    "cross_sector",
    "data_skills",
    "competency_framework",
    "cio_certification",
    "plan_ahead",
    "fellowship",
]
INTENTS: tuple[str, ...] = get_args(Intent)

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
]

PROFESSION_LABELS: dict[str, str] = {
    "doctor": "doctor",
    "dentist": "dentist",
    "nurse": "nurse",
    "midwife": "midwife",
    "ahp": "allied health professional",
    "pharmacist": "pharmacist",
    "clinical_scientist": "clinical scientist",
    "healthcare_science_practitioner": "healthcare science practitioner",
    "other_clinical": "clinician",
    "data_professional": "data professional",
    "digital_professional": "digital / IT professional",
    "manager": "NHS manager",
    "medical_student": "medical student",
    "student": "student",
    "graduate": "graduate",
    "external_scientist": "scientist outside the NHS",
}

STAGE_LABELS: dict[str, str] = {
    "medical_student": "medical student",
    "foundation": "foundation doctor",
    "core": "core trainee",
    "specialty": "specialty trainee (registrar)",
    "consultant": "consultant",
    "sas": "specialty / SAS doctor",
    "gp": "GP",
}
