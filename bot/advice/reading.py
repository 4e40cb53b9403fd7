"""Read who is asking, and what they want, from the words of a question.

Everything here is a deterministic reading of the text: profession, grade or band, specialty,
role, experience, place, intents and the programmes it names. What the text does not say stays
None, and the eligibility checks then say "to check" instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from bot.advice.lexicon import lexicon
from bot.catalogue.snapshot import Catalogue

WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "final": 5,
}  # fmt: skip


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

    def merged_with(self, earlier: Profile | None) -> Profile:
        """This turn's profile, with anything it leaves unknown taken from an earlier turn."""
        if earlier is None:
            return self
        data = self.model_dump()
        for key, value in earlier.model_dump().items():
            if key in ("intents", "named", "named_negated", "asked_topics", "timeframe"):
                continue
            if data.get(key) is None and value is not None:
                data[key] = value
        if not self.intents and not self.named:
            data["intents"] = list(earlier.intents)
        return Profile.model_validate(data)

    @property
    def is_empty(self) -> bool:
        return self.profession is None and self.stage is None and self.band is None


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Aspirations: "want to become a clinical scientist" names a goal, not the asker's job.
ASPIRATION = _rx(
    r"\b(?:become|becoming|train(?:ing)? (?:up )?as|qualify(?:ing)? as|retrain(?:ing)? as|"
    r"career as|route (?:in)?to (?:becoming )?|move (?:in)?to [\w\s]{0,40}? as|"
    r"get into [\w\s]{0,30}? as|work(?:ing)? as|job as|be|registration as|registered as|register as)\s+(?:an?\s+|the\s+)?"
    r"((?:registered |consultant |nhs )?(?:clinical scientist|clinical bioinformatician|"
    r"bioinformatician|healthcare scientist|data scientist|clinical informatician|scientist|"
    r"ccio|cnio|cio|consultant)s?)"
)

# (profession, priority, pattern). The highest priority match outside an aspiration wins.
PROFESSION_PATTERNS: list[tuple[str, int, re.Pattern[str]]] = [
    ("medical_student", 95, _rx(
        r"\b(?:med(?:ical)?|medic|vet)\s*(?:school\s+)?students?\b|\bmedical school\b|"
        r"\b(?:studying|study) medicine\b|\bmed school\b|\bintercalat")),
    ("student", 92, _rx(
        r"\b(?:student nurse|nursing student|student midwife|pharmacy student|"
        r"(?:under)?graduate student|phd student|msc student|undergrad(?:uate)?)\b|"
        r"\bstudents?\b|\bfinishing (?:my |an? )?(?:\w+ )?(?:msc|bsc|degree|masters?|phd|ma)\b|"
        r"\b(?:doing|studying) (?:an? |my )?(?:\w+ )?(?:msc|bsc|degree|masters?|phd)\b")),
    ("dentist", 90, _rx(
        r"\bdentists?\b|\bdental\b|\borthodont\w*|\bendodont\w*|\bperiodont\w*|"
        r"\boral surg\w*|\bmaxillofacial\b|\bomfs\b|\bdct ?[123]\b")),
    ("midwife", 88, _rx(r"\bmidwi(?:fe|ves|fery)\b")),
    ("pharmacist", 86, _rx(r"\bpharmacists?\b|\bpharmacy\b(?! technician)|\bprescribing advisers?\b")),
    ("ahp", 85, _rx(
        r"\bphysio(?:therapist)?s?\b|\boccupational therapists?\b|(?-i:\bOTs?\b)|"
        r"\bradiographers?\b|\bsonographers?\b|\bparamedics?\b|\bspeech (?:and|&) language\b|"
        r"(?-i:\bSA?LTs?\b)|\bdieti[ct]ians?\b|\bpodiatrists?\b|\borthoptists?\b|\bprosthetists?\b|"
        r"\borthotists?\b|\boperating department practitioners?\b|(?-i:\bODPs?\b)|"
        r"\b(?:art|music|drama) therapists?\b|\bosteopaths?\b|\ballied health\b|(?-i:\bAHPs?\b)|"
        r"\bchiropod\w+|\btherapy radiographer\b")),
    ("nurse", 84, _rx(
        r"\bnurs(?:e|es|ing)\b|\bRGN\b|\bRMN\b|\bward sister\b|\bmatron\b|"
        r"\bhealth visitors?\b|(?-i:\bANPs?\b|\bCNS\b|\bRNs?\b)|\bCNIO\b")),
    ("clinical_scientist", 83, _rx(
        r"\bclinical scientists?\b|\bclinical bioinformaticians?\b|\bmedical physicists?\b|"
        r"\bclinical engineers?\b|\bHCPC[- ]registered scientist\b|"
        r"\bbioinformaticians?\b|\bclinical embryologists?\b|\bgenetic scientists?\b|\bstp trainee\b")),
    ("healthcare_science_practitioner", 82, _rx(
        r"\bphysiologists?\b|\bhealthcare science practitioners?\b|\bbiomedical scientists?\b|"
        r"\bclinical technologists?\b|\baudiologists?\b|\bperfusionists?\b|"
        r"\bhealthcare scientists?\b|\blab(?:oratory)? technician\b|\bgenetic technologists?\b")),
    ("other_clinical", 81, _rx(r"\bphysician associates?\b|\bphysicians?'? assistants?\b|\badvanced clinical practitioners?\b|(?-i:\bACPs?\b)")),
    ("doctor", 80, _rx(
        r"\bdoctors?\b|\bdr\b|\bphysicians?\b|\bsurgeons?\b|\banaesth?etists?\b|\banesthesiologists?\b|"
        r"\bradiologists?\b|\bpsychiatrists?\b|\bpa?ediatricians?\b|\bcardiologists?\b|"
        r"\boncologists?\b|\b(?:histo)?pathologists?\b|\bdermatologists?\b|\bneurologists?\b|"
        r"\bgastroenterologists?\b|\bhae?matologists?\b|\bgeriatricians?\b|\bintensivists?\b|"
        r"\bobstetricians?\b|\bgyn(?:a)?ecologists?\b|\bophthalmologists?\b|\burologists?\b|"
        r"\brheumatologists?\b|\bnephrologists?\b|\bendocrinologists?\b|\brespiratory physician\b|"
        r"\bmedics?\b|\bjunior doctor\b|\bresident doctors?\b|\bhouse officer\b|\bSHOs?\b|"
        r"\bF\s?Y\s?-?[12]\b|\bF[12]\b|\bfoundation (?:year|doctor|trainee|programme)\b|"
        r"\bC\s?T\s?-?[123]\b|\bcore (?:medical |surgical |psychiatry )?train(?:ee|ing)\b|"
        r"\bIMT\s?-?[123]?\b|\bCMT\b|\bACCS\b|\bCST\b|\bS\s?T\s?-?[1-9]\b|\bSpRs?\b|\bStRs?\b|"
        r"\bGP\s?ST\s?-?[123]?\b|\bGPs?\b|\bgeneral practitioners?\b|\bGP trainees?\b|"
        r"\bspecialty doctor\b|\bSAS doctor\b|\bstaff grade\b|\bassociate specialist\b|"
        r"\b(?:med|medical|surgical|cardio|gastro|resp|renal|neuro|psych|paeds?|ortho)\s+regs?\b|"
        r"\bconsultant (?:in |an? )?(?:anaesth|radiolog|surgeon|physician|cardiolog|psychiatr|"
        r"paediatric|pathol|histopath|oncolog|neurolog|haematolog|dermatolog|geriatric|intensiv|"
        r"emergency|acute|respiratory|gastro|renal|rheumat|endocrin|urolog|ophthalm|obstet|"
        r"microbio|virolog|anaesthetist)\w*")),
    ("other_clinical", 70, _rx(
        r"\bpsychologists?\b|\bpharmacy technicians?\b|\bnursing associates?\b|\badvanced clinical practitioners?\b|(?-i:\bACPs?\b)|"
        r"\bhealthcare assistants?\b|(?-i:\bHCAs?\b)|\bphysician associates?\b|"
        r"\bclinical (?:coders?|support workers?)\b|\bcounsellors?\b|\bpsychotherapists?\b")),
    ("data_professional", 60, _rx(
        r"\b(?:data|information|bi|business intelligence|performance|health|nhs|informatics|"
        r"insight|senior|junior|healthcare|clinical|population health)\s+analysts?\b|"
        r"\banalysts?\b|\bdata scientists?\b|\bdata engineers?\b|\bstatisticians?\b|"
        r"\bBI developers?\b|\banalytics\b|\bdata managers?\b|\bdata science team\b")),
    ("external_scientist", 58, _rx(
        r"\b(?:university|academic|research)\s+(?:\w+\s+){0,2}(?:lab|laboratory|group|institute)\b|"
        r"\bpostdoc\w*\b|\bresearch (?:scientist|fellow|associate)\b|\bin academia\b|"
        r"\bin industry\b|\bpharma(?:ceutical)? (?:company|industry)\b")),
    ("digital_professional", 55, _rx(
        r"(?-i:\bIT\b)|\bservice desk\b|\bhelp ?desk\b|\bsoftware (?:developer|engineer)s?\b|"
        r"\bdevelopers?\b|\bprogrammers?\b|\binformatics (?:staff|team|officer|lead|manager)\b|"
        r"\binformaticians?\b|\bclinical systems?\b|\bEPR (?:team|analyst|trainer|lead)\b|"
        r"\bcyber\b|\binfrastructure\b|\bdigital (?:team|staff|project manager|lead|officer)\b|"
        r"\bsystems? (?:analyst|administrator|engineer|trainer)s?\b|\brecords manager\b|"
        r"\blibrarians?\b|\bknowledge (?:manager|specialist)\b|\btechnical support\b|\bdevops\b|"
        r"\bCIO\b|\bchief information officer\b|\bhead of (?:IT|digital|informatics)\b")),
    ("manager", 40, _rx(
        r"(?<!my )(?<!our )(?<!the )(?<!line )\bmanagers?\b|\bdirector(?: of [\w\s]{1,30})?\b|\bchief executive\b|\bCEO\b|\bCOO\b|"
        r"\bexecutives?\b|\bhead of (?:service|operations|strategy|transformation)\b|\badministrator\b|"
        r"\bNHS manager\b|\bgeneral manager\b|\bprogramme lead\b")),
    ("graduate", 38, _rx(
        r"\b(?:have|got|hold|with|completed|finished) (?:an? |my )?(?:\w+ ){0,3}"
        r"(?:degree|bsc|msc|masters?|phd|ba)\b|\bgraduates?\b|\bjust graduated\b|\bgraduated\b")),
    ("doctor", 35, _rx(r"\bconsultants?\b|\bregistrars?\b|\bregs?\b|\btrainees?\b|\bresidents?\b")),
]  # fmt: skip

STAGE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("medical_student", _rx(r"\bmed(?:ical)? students?\b|\bmedical school\b|\bmed school\b")),
    ("foundation", _rx(r"\bF\s?Y\s?-?([12])\b|\bF([12])\b|\bfoundation\s+(?:year\s+)?(one|two|1|2)\b|"
                       r"\bfoundation (?:doctor|trainee|programme|training)\b|\bhouse officer\b|\bjunior doctor\b")),
    ("core", _rx(r"\bC\s?T\s?-?([123])\b|\bIMT\s?-?([123])\b|\bDCT\s?-?([123])\b|\bcore (?:medical |surgical |psychiatry |anaesthetic )?train(?:ee|ing)\b|"
                 r"\bIMT\b|\bCMT\b|\bACCS\b|\bCST\b|\bSHOs?\b")),
    ("specialty", _rx(r"\bS\s?T\s?-?([1-9])\b|\bGP\s?ST\s?-?([123])\b|\bST\s?([1-9])\b|\bSpRs?\b|\bStRs?\b|"
                      r"\bspecialty (?:registrar|trainee)\b|\bspecialist registrar\b|\bregistrars?\b|\bregs?\b|"
                      r"\bhigher (?:specialty|specialist) train(?:ee|ing)\b|\bGP trainees?\b|\bGP registrar\b|\bGPVTS\b")),
    ("sas", _rx(r"\bspecialty doctor\b|(?-i:\bSAS\b)|\bstaff grade\b|\bassociate specialist\b|\bspecialist doctor\b")),
    ("consultant", _rx(r"\bconsultants?\b(?! (?:nurse|pharmacist|clinical scientist|physio|midwife|radiographer|paramedic|psychologist))")),
    ("gp", _rx(r"\bGPs?\b|\bgeneral practitioners?\b|\bGP partner\b|\bsalaried GP\b|\blocum GP\b")),
]  # fmt: skip

# A grade with its year ("ST6") says more than a bare "SpR" earlier in the sentence.
STAGE_YEARS = {
    "foundation": _rx(r"\bF\s?Y\s?-?([12])\b"),
    "core": _rx(r"\b(?:C\s?T|IMT|DCT)\s?-?([123])\b"),
    "specialty": _rx(r"\b(?:GP\s?)?S\s?T\s?-?([1-9])\b"),
}
BAND = _rx(
    r"\b(?:AfC\s+)?(?:band|b)\s?-?\s?([2-9]|one|two|three|four|five|six|seven|eight|nine)\s?([a-d])?\b"
)
BAND_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
YEAR_OF_STUDY = _rx(
    r"\b(first|second|third|fourth|fifth|final|[1-6](?:st|nd|rd|th)?)[- ]year\b|\byear ([1-6])\b"
)

SPECIALTIES: list[tuple[str, str, re.Pattern[str]]] = [
    ("general_practice", "general_practice", _rx(r"\bGPs?\b|\bgeneral practi\w+|\bprimary care\b|\bGP\s?ST")),
    ("radiology", "radiology", _rx(r"\bradiolog\w*|\binterventional radiolog\w*")),
    ("histopathology", "pathology", _rx(r"\bhistopath\w*|\bpatholog\w*|\bmicrobiolog\w*|\bvirolog\w*|\bchemical path\w*")),
    ("psychiatry", "psychiatry", _rx(r"\bpsychiatr\w*|\bCAMHS\b|\bold age psych\w*|\bforensic psych\w*")),
    ("paediatrics", "paediatrics", _rx(r"\bpa?ediatric\w*|\bpaeds\b|\bneonat\w*")),
    ("anaesthesia", "anaesthesia", _rx(r"\banaesth\w*|\banesth\w*|\bintensive care\b|(?-i:\bICM\b|\bICU\b|\bITU\b)|\bcritical care\b")),
    ("emergency_medicine", "emergency", _rx(r"\bemergency medicine\b|\bA ?& ?E\b|(?-i:\bED\b)|\bemergency department\b")),
    ("obstetrics_gynaecology", "obstetrics", _rx(r"\bobstet\w*|\bgyn(?:a)?ecolog\w*|\bO ?& ?G\b")),
    ("ophthalmology", "ophthalmology", _rx(r"\bophthalm\w*")),
    ("public_health", "public_health", _rx(r"\bpublic health\b")),
    ("clinical_oncology", "oncology", _rx(r"\bclinical oncolog\w*")),
    ("surgery", "surgery", _rx(r"\bsurg(?:ery|eon|eons|ical)\b|\borthopa?edic\w*|\bT ?& ?O\b|\burolog\w*|(?-i:\bENT\b)|"
                                r"\bplastics?\b|\bvascular\b|\bneurosurg\w*|\bcardiothoracic\b|\bbreast surg\w*|\bcolorectal\b")),
    ("dental", "dental", _rx(r"\bdental\b|\borthodont\w*|\boral surg\w*|\bendodont\w*")),
    ("cardiology", "physician", _rx(r"\bcardiolog\w*|\bcardio\b")),
    ("respiratory", "physician", _rx(r"\brespiratory\b|\bresp(?: med| reg)?\b|\bthoracic medicine\b")),
    ("gastroenterology", "physician", _rx(r"\bgastro\w*|\bhepatolog\w*")),
    ("geriatrics", "physician", _rx(r"\bgeriatric\w*|\bcare of (?:the )?elderly\b|\belderly care\b|(?-i:\bCOTE\b)")),
    ("endocrinology", "physician", _rx(r"\bendocrin\w*|\bdiabet\w+")),
    ("renal", "physician", _rx(r"\brenal\b|\bnephrolog\w*")),
    ("acute_medicine", "physician", _rx(r"\bacute (?:internal )?medicine\b|(?-i:\bAIM\b)")),
    ("infectious_diseases", "physician", _rx(r"\binfectious diseases?\b|\bID physician\b")),
    ("neurology", "physician", _rx(r"\bneurolog\w*")),
    ("rheumatology", "physician", _rx(r"\brheumat\w*")),
    ("dermatology", "physician", _rx(r"\bdermatolog\w*|\bderm\b")),
    ("medical_oncology", "physician", _rx(r"\bmedical oncolog\w*|\boncolog\w*")),
    ("haematology", "physician", _rx(r"\bhae?matolog\w*")),
    ("palliative_medicine", "physician", _rx(r"\bpalliative\b")),
    ("clinical_pharmacology", "physician", _rx(r"\bclinical pharmacolog\w*")),
    ("genitourinary_medicine", "physician", _rx(r"\bgenitourinary\b|(?-i:\bGUM\b)|\bsexual health\b")),
    ("clinical_genetics", "physician", _rx(r"\bclinical genetic\w*")),
    ("stroke_medicine", "physician", _rx(r"\bstroke medicine\b")),
    ("internal_medicine", "physician", _rx(r"\binternal medicine\b|\bgeneral (?:internal )?medicine\b|\bGIM\b|\bIMT\s?-?[123]?\b|\bCMT\b|"
                                           r"\bcore medical\b|\bmedical registrar\b|\bmed regs?\b|\bphysician\b")),
]  # fmt: skip

ROLES: list[tuple[str, re.Pattern[str]]] = [
    ("deputy_digital_lead", _rx(r"\b(?:deputy|associate|assistant) (?:CCIO|CNIO|CIO|CMIO|CDIO|chief (?:clinical |nursing )?information officer)\b")),
    ("ccio", _rx(r"\bCCIO\b|\bCMIO\b|\bchief clinical information officer\b|\bchief medical information officer\b")),
    ("cnio", _rx(r"\bCNIO\b|\bchief nursing information officer\b")),
    ("cdio", _rx(r"\bCDIO\b|\bchief digital (?:and information )?officer\b|\bCDO\b")),
    ("cio", _rx(r"\bCIO\b|\bchief information officer\b")),
    ("head_of_digital", _rx(r"\bhead of (?:digital|IT|informatics|BI|business intelligence|data|analytics)\b")),
    ("executive", _rx(r"\bchief executive\b|\bCEO\b|\bCOO\b|\bexecutive director\b|\bboard member\b")),
    ("director", _rx(r"\bdirector\b")),
    ("clinical_lead", _rx(r"\b(?:clinical|digital|informatics|safety) lead\b|\bclinical safety officer\b")),
    ("team_leader", _rx(r"\bteam lead(?:er)?\b|\bsupervisor\b")),
    ("manager", _rx(r"(?<!my )(?<!our )(?<!the )(?<!line )\bmanagers?\b")),
]  # fmt: skip

INTENTS: dict[str, re.Pattern[str]] = {
    "hands_on_ai": _rx(r"\bhands[- ]on\b|\bdeploy\w*|\bbuild(?:ing)? (?:and \w+ )?(?:ai|ml|models?|tools?|algorithms?)\b|"
                       r"\bbuilding and evaluating\b|\bevaluat\w* (?:ai|ml|tools?|algorithms?)\b|\bai (?:tools?|projects?|models?|deployment|implementation)\b|"
                       r"\blive (?:hospital |clinical )?workflows?\b|\breal (?:hospital |clinical )?(?:workflows?|projects?)\b|\bimplement\w* ai\b|"
                       r"\bmachine learning projects?\b|\b(?:involved|work(?:ing)?) (?:in|on|with) (?:\w+ )?(?:ai|ml)\b|\bclinical ai\b|\bai research\b"),
    "ai_interest": _rx(r"\bAI\b|\bA\.I\.|\bartificial intelligence\b|\bmachine learning\b|\bML\b|\bdeep learning\b|\bLLMs?\b|\bgenerative\b|\bchatgpt\b|\balgorithms?\b"),
    "protected_time": _rx(r"\bprotected\b|\bdedicated time\b|\btime out\b|\bring-?fenced time\b|\bsessions?\b|(?-i:\bPAs\b)|\bdays? a week\b|"
                          r"\btime to (?:do|work|run)\b|\bless than full[- ]time\b|\bLTFT\b|\btime for\b|\bbacked time\b|\bfunded time\b"),
    "digital_project": _rx(r"\b(?:digital|change|improvement|QI|transformation|innovation|data) projects?\b|\b(?:run|lead|start|do) (?:a|my|our) (?:\w+ ){0,2}projects?\b|"
                           r"\bdigital change\b|\bgoing digital\b|\bdigital transformation\b|\blead(?:ing)? (?:the |our |a )?(?:digital|transformation|change|innovation)\b|\bdigital innovation\b|\bin our (?:PCN|practice|service|team|department|unit|ward|trust)\b|\bdigiti[sz]\w*|\bimprove (?:\w+ ){0,3}(?:safety|service|care|pathway)\b|\bmy (?:\w+ )?service\b"),
    "leadership": _rx(r"\bleadership\b|(?<!team )\bleaders?\b|\bleading (?:our|the|a|digital)\b|\bCCIO\b|\bCNIO\b|\bCIO\b|\bCDIO\b|\bexecutive\b|\bstrateg\w+|\bsenior (?:digital )?roles?\b"),
    "qualification": _rx(r"\bleadership (?:course|programme|training|qualification)s?\b|\b(?:course|programme|training) in (?:digital )?leadership\b|\bqualifications?\b|\bpg ?cert\w*\b|\bpg ?dip\w*\b|\bpostgraduate\b|\bdiploma\b|\b(?:a|formal) (?:master'?s|msc)\b|\bcertificate\b|\bcredential\b|\bformal\b"),
    "accreditation": _rx(r"\baccredit\w*|\brecogni[sz]\w*|\bcertif\w*|\bchartered\b|\bprofessional standing\b|\bcredentials?\b"),
    "registration": _rx(r"\bregistration\b|\bregister(?:ed)? (?:as|with)\b|\bHCPC\b|\bprofessional regist\w+|\bget registered\b|\bregistered\b"),
    "networking": _rx(r"\bnetwork(?:s|ing)?\b|\bcommunit(?:y|ies)\b|\bmeet (?:other|people|like-minded)\b|\bpeers?\b|\bevents?\b|\bconferences?\b|\bSIGs?\b|\bspecial interest groups?\b|\bpeople to\b"),
    "learning": _rx(r"\blearn\w*|\bcourses?\b|\bCPD\b|\bupskill\w*|\bfree\b|\bcheap\b|\bbudget\b|\bskills\b|\beducation\w*|\bwebinars?\b|\bwhere (?:do|should|can) i start\b|\bget started\b|\bstarting point\b"),
    "informatics_career": _rx(r"\binformatic\w*|\bcareer\w*|\bmov(?:e|ing) (?:in)?to(?:wards)?\b|\btransition\w*|\bget into\b|\broute (?:in)?to\b|\bpathways?\b|\bprogress\w*|\bchange direction\b"),
    "become_clinical_scientist": _rx(r"\bclinical scientists?\b|\bclinical bioinformatician\b|\bbioinformatic\w*|\bscientist training\b|\bclinical scientific computing\b|\bmedical physics\b|\bclinical informatics scientist\b"),
    "senior_scientist": _rx(r"\bconsultant clinical scientist\b|\bconsultant[- ]level\b|\bconsultant scientist\b|\bhigher specialist\b|\bdoctoral\b|\bDClinSci\b"),
    "job_description": _rx(r"\bjob descriptions?\b|\bJDs?\b|\bjob plans?\b|\bmore sessions\b|\brole descriptions?\b|\bjob spec\w*"),
    "ccio": _rx(r"\bCCIO\b|\bCNIO\b|\bCMIO\b|\bchief clinical information officer\b"),
    "industry": _rx(r"\bindustry\b|\bstart-?ups?\b|\bSMEs?\b|\bhealth[- ]?tech\b|\bcompan(?:y|ies)\b|\bcommercial\b|\bprivate sector\b|\bjointly\b|\bpartners(?:hip)? with\b"),
    "cross_sector": _rx(r"\bacross (?:sectors|organisations)\b|\bcross[- ]sector\b|\bsecondment\b|\bwork (?:in|with) industry\b"),
    "data_skills": _rx(r"\bdata science\b|\bdata skills\b|\bdata\b|\banalytics\b|\bstatistic\w*|\bpython\b|\bcoding\b|\bprogramming\b|\bSQL\b"),
    "competency_framework": _rx(r"\bcompetenc\w+|\bframeworks?\b|\bcareer structure\b|\bprofessional standing\b|\badmin(?:istrative)?(?:/| and )clerical\b|\bpay\b"),
    "cio_certification": _rx(r"\bCHCIO\b|\bCIO (?:certification|qualification)\b|\bcertified (?:healthcare )?CIO\b|\bCHIME\b"),
    "plan_ahead": _rx(r"\bonce i(?:'m| am)\b|\bwhen i(?:'m| am| become| get| start)\b|\bnext (?:august|year|rotation)\b|\bplan\w*|\bin (?:the )?future\b|\blater\b|\bnext year\b|\bin a few years\b|"
                      r"\bafter (?:my )?(?:foundation|FY2|F2|core|CT|IMT)\b|\bprepare\b|\bahead\b|\beventually\b|\blong[- ]term\b"),
    "fellowship": _rx(r"\bfellowships?\b|\bfellows?\b"),
}  # fmt: skip

NOW = _rx(
    r"\bthis year\b|\bright now\b|\bnow\b|\bcurrently\b|\bat the moment\b|\bimmediately\b|\bthis (?:autumn|spring|summer|winter)\b"
)

TOPICS: dict[str, re.Pattern[str]] = {
    "time_commitment": _rx(r"\bhow much (?:protected )?time\b|\bdays? a week\b|\bhours?\b|\bpart[- ]time\b|\btime commitment\b|\bprotected time\b|\bhow many days\b|\bWTE\b"),
    "duration": _rx(r"\bhow long\b|\bduration\b|\blast\b|\bmonths?\b|\bhow many years\b"),
    "training_length": _rx(r"\b(?:make|makes|extend|lengthen|prolong)\w* (?:my |your )?training (?:any )?longer\b|\blength of training\b|\btraining longer\b|\bCCT\b|\bdelay\w* (?:my )?CCT\b"),
    "qualification": _rx(r"\bqualification\b|\bwhat do (?:you|i) get\b|\bdegree\b|\bcertificate\b|\bpg ?cert\b|\bdiploma\b"),
    "funding": _rx(r"\bfund\w*|\bpaid\b|\bpay\b|\bsalary\b|\bbursary\b|\bmoney\b|\bstipend\b|\bsalary cover\b"),
    "cost": _rx(r"\bcost\w*|\bfees?\b|\bprice\b|\bhow much (?:does it|is it) cost\b"),
    "how_to_apply": _rx(r"\bhow (?:do|can|would) (?:i|you) (?:apply|join|sign up|get on|enrol)\b|\bjoin\b|\bapply\b|\bdeadlines?\b|\bclos(?:e|ing) date\b|\bwhen (?:does|do|is|are)\b|\bintake\b|\bnext cohort\b"),
    "dates": _rx(r"\bdeadlines?\b|\bdates?\b|\bwhen (?:does|do|is|are|will)\b|\bopen(?:s|ing)? for applications\b|\bnext cohort\b|\bstart date\b"),
    "success_rate": _rx(r"\bsuccess rates?\b|\bcompetition ratios?\b|\bhow competitive\b|\bchances?\b|\bacceptance rate\b|\bhow many (?:people )?(?:get in|are accepted|apply)\b"),
    "specialisms": _rx(r"\bspecialisms?\b|\bspecialities\b|\bspecialties\b|\bthemes\b"),
    "places": _rx(r"\bhow many (?:training )?(?:posts|places|spots|fellows)\b|\bnumber of (?:posts|places)\b|\bposts\b"),
    "summary": _rx(r"\bwhat (?:is|are|does|do) (?:the |an? )?\b|\bactually do\b|\btell me about\b|\bexplain\b|\bwhat's\b"),
    "professional_bodies": _rx(r"\bprofessional bodies\b|\bwhich (?:professional )?bodies\b|\bwork with\b"),
    "who_for": _rx(r"\bwho (?:is it|can|should)\b|\beligib\w*|\bopen to\b|\bcan (?:i|nurses|doctors|dentists|pharmacists|ahps) apply\b|\bam i\b"),
    "region": _rx(r"\bwhere\b|\bwhich regions?\b|\bavailable in\b|\blocations?\b"),
}  # fmt: skip

EXPERIENCE = _rx(
    r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)\+?\s*"
    r"(?:or more\s+)?(?:years?|yrs?)\b"
)
LEADERSHIP_CONTEXT = _rx(
    r"\blead\w*|\bled\b|\brollout\b|\broll-out\b|\btransformation\b|\bimplement\w*|\bEPR\b|\bdigital\b|\bCCIO\b|\bCNIO\b|\bCIO\b|\bprogramme\b|\bchange\b"
)
SCIENCE_CONTEXT = _rx(
    r"\bscientist\b|\bbioinformatic\w*|\blab\b|\blaboratory\b|\bresearch\b|\bgenomic\w*|\bphysics\b|\bscientific\b|\bclinical scientist level\b"
)
DEGREE = _rx(
    r"\bdegree\b|\bBSc\b|\bMSc\b|\bPhD\b|\bmaster'?s\b|\bgraduat\w*|\bBEng\b|\bMEng\b|\bBA\b|\bMPhys\b|\bMChem\b"
)
REGISTERED = _rx(
    r"\bHCPC[- ]registered\b|\bregistered (?:clinical )?scientist\b|\bregistered with (?:the )?HCPC\b|\bI(?:'m| am) registered\b"
)
NOT_REGISTERED = _rx(
    r"\bnot (?:yet )?registered\b|\bunregistered\b|\btrainee clinical scientist\b|\bSTP trainee\b|\bwithout (?:HCPC )?registration\b"
)
NHS_EMPLOYEE = _rx(
    r"\bNHS\b|\btrusts?\b|\bhospitals?\b|\bward\b|\bICB\b|\bICS\b|\bGP practice\b|\bhealth board\b|\bour (?:department|service|team|unit)\b"
)


@dataclass(frozen=True)
class _Hit:
    label: str
    priority: int
    start: int


def read_profile(question: str, *, catalogue: Catalogue) -> Profile:
    """Everything the question says about who is asking and what they want."""
    text = " ".join(question.split())
    aspiration_spans = [m.span(1) for m in ASPIRATION.finditer(text)]
    aspiration = ASPIRATION.search(text)

    profession = _profession(text, aspiration_spans)
    stage, stage_year = _stage(text, profession)
    band = _band(text)
    if band is not None and profession == "doctor" and not _strong_doctor(text, aspiration_spans):
        profession = None  # "band 6 trainee" is not a doctor
    if profession is None and stage in (
        "foundation",
        "core",
        "specialty",
        "consultant",
        "sas",
        "gp",
    ):
        profession = "doctor"
    if stage == "medical_student":
        profession = "medical_student"
    if profession not in ("doctor", "dentist", "medical_student"):
        stage, stage_year = (None, None)
    specialty, group = _specialty(text, profession)
    role = next((name for name, rx in ROLES if rx.search(text)), None)
    years, years_of = _experience(text)
    intents = _intents(text, aspiration)
    words = lexicon(catalogue)
    named = words.aliases.find(text)
    place = words.places.find(text)

    has_degree = True if DEGREE.search(text) else None
    registered: bool | None = None
    if NOT_REGISTERED.search(text):
        registered = False
    elif REGISTERED.search(text):
        registered = True
    nhs: bool | None = None
    term = catalogue.professions.term(profession)
    if term is not None and not term.nhs_staff:
        nhs = False
    elif NHS_EMPLOYEE.search(text) or profession is not None:
        nhs = True

    timeframe = None
    if "plan_ahead" in intents:
        timeframe = "later"
    elif NOW.search(text):
        timeframe = "now"

    return Profile(
        profession=profession,
        stage=stage,
        stage_year=stage_year,
        band=band,
        specialty=specialty,
        specialty_group=group,
        role=role,
        career_stage=_career_stage(profession, stage, band, role),
        place=place.label if place else None,
        nation=place.nation if place else None,
        region=place.region if place else None,
        place_note=place.note if place else None,
        registered_scientist=registered,
        has_degree=has_degree,
        nhs_employee=nhs,
        experience_years=years,
        experience_of=years_of,
        aspiration=aspiration.group(1).lower() if aspiration else None,
        intents=intents,
        named=[m.programme_id for m in named if not m.negated],
        named_negated=[m.programme_id for m in named if m.negated],
        asked_topics=[topic for topic, rx in TOPICS.items() if rx.search(text)],
        timeframe=timeframe,
    )


def _outside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return not any(s <= start and end <= e for s, e in spans)


def _profession(text: str, aspiration_spans: list[tuple[int, int]]) -> str | None:
    hits: list[_Hit] = []
    for label, priority, rx in PROFESSION_PATTERNS:
        for m in rx.finditer(text):
            if _outside(aspiration_spans, m.start(), m.end()):
                hits.append(_Hit(label, priority, m.start()))
                break
    if not hits:
        return None
    best = max(hits, key=lambda h: (h.priority, -h.start))
    labels = {h.label for h in hits}
    # "clinical scientist" is often what people want to become; a practitioner or a student who
    # names it keeps their own profession.
    if best.label == "student" and "medical_student" in labels:
        return "medical_student"
    if best.label == "student" and labels & {"nurse", "midwife", "pharmacist", "ahp"}:
        return "student"
    if (
        "external_scientist" in labels
        and best.label in ("clinical_scientist", "healthcare_science_practitioner")
        and not _rx(r"\bNHS\b|\bclinical (?:scientist|bioinformatician)").search(
            "".join(c if _outside(aspiration_spans, i, i + 1) else " " for i, c in enumerate(text))
        )
    ):
        return "external_scientist"
    return best.label


def _strong_doctor(text: str, aspiration_spans: list[tuple[int, int]]) -> bool:
    return any(
        label == "doctor" and priority == 80 and _outside(aspiration_spans, m.start(), m.end())
        for label, priority, rx in PROFESSION_PATTERNS
        for m in [rx.search(text)]
        if m
    )


def _stage(text: str, profession: str | None) -> tuple[str | None, int | None]:
    for stage, rx in STAGE_PATTERNS:
        m = rx.search(text)
        if not m:
            continue
        if stage == "consultant" and profession not in (None, "doctor", "dentist"):
            continue
        if stage == "gp" and _rx(r"\bGP\s?ST|\bGP trainee|\bGP registrar").search(text):
            continue
        year = next((g for g in m.groups() if g), None) if m.groups() else None
        if year is None and stage in STAGE_YEARS:
            numbered = STAGE_YEARS[stage].search(text)
            year = numbered.group(1) if numbered else None
        number = None
        if year:
            number = int(year) if year.isdigit() else WORD_NUMBERS.get(year.lower())
        if stage == "medical_student":
            y = YEAR_OF_STUDY.search(text)
            if y:
                raw = next(g for g in y.groups() if g)
                digits = re.match(r"\d", raw)
                number = int(digits.group(0)) if digits else WORD_NUMBERS.get(raw.lower())
        return stage, number
    return None, None


def _band(text: str) -> int | None:
    m = BAND.search(text)
    if not m:
        return None
    raw = m.group(1).lower()
    return int(raw) if raw.isdigit() else BAND_WORDS.get(raw)


def _specialty(text: str, profession: str | None) -> tuple[str | None, str | None]:
    if profession not in ("doctor", "dentist", None):
        return None, None
    for name, group, rx in SPECIALTIES:
        if rx.search(text):
            if group == "dental" and profession == "doctor":
                continue
            return name, group
    return None, None


def _experience(text: str) -> tuple[int | None, str | None]:
    best: tuple[int | None, str | None] = (None, None)
    for m in EXPERIENCE.finditer(text):
        raw = m.group(1).lower()
        years = int(raw) if raw.isdigit() else WORD_NUMBERS.get(raw)
        if years is None or years > 45:
            continue
        window = text[max(0, m.start() - 60) : m.end() + 60]
        if re.search(
            r"\b(?:year|yr)s?\s+(?:old|ago|long|course|programme|fellowship)\b", window[60:], re.I
        ):
            continue
        if re.search(
            r"\b(?:[1-6](?:st|nd|rd|th)?|first|second|third|fourth|fifth|final)[- ]year\b",
            m.group(0),
            re.I,
        ):
            continue
        kind = "any"
        if LEADERSHIP_CONTEXT.search(window):
            kind = "digital_leadership"
        elif SCIENCE_CONTEXT.search(window):
            kind = "scientific"
        if best[0] is None or years > best[0]:
            best = (years, kind)
    return best


def _intents(text: str, aspiration: re.Match[str] | None) -> list[str]:
    found = [name for name, rx in INTENTS.items() if rx.search(text)]
    if aspiration and re.search(r"scientist|bioinformatician", aspiration.group(1), re.I):
        if "consultant" in aspiration.group(1).lower():
            found.append("senior_scientist")
        elif "become_clinical_scientist" not in found:
            found.append("become_clinical_scientist")
    if "senior_scientist" in found and not re.search(
        r"\b(?:become|becoming|reach|get to|progress\w*|move up|step up|aim\w*|towards|route to|train\w*)\b",
        text,
        re.I,
    ):
        found.remove("senior_scientist")  # already a consultant scientist, not heading there
    scientist_goal = aspiration is not None and re.search(
        r"scientist|bioinformatician", aspiration.group(1), re.I
    )
    if (
        "become_clinical_scientist" in found
        and not scientist_goal
        and not re.search(
            r"\b(?:become|becoming|train|qualify|route|move|get into|career|without|want\w* to work|work in)\b",
            text,
            re.I,
        )
    ):
        found.remove("become_clinical_scientist")
    return list(dict.fromkeys(found))


def _career_stage(
    profession: str | None, stage: str | None, band: int | None, role: str | None
) -> str | None:
    if profession in ("medical_student", "student"):
        return "student"
    if profession == "graduate":
        return "graduate"
    if role in (
        "cio",
        "ccio",
        "cnio",
        "cdio",
        "executive",
        "director",
        "deputy_digital_lead",
        "head_of_digital",
    ):
        return "senior"
    if stage in ("foundation", "core", "specialty"):
        return "in training"
    if stage in ("consultant", "sas", "gp"):
        return "senior" if stage == "consultant" else "established"
    if band is not None:
        return "early career" if band <= 5 else ("mid career" if band <= 7 else "senior")
    return None
