"""What Pathfinder will not answer, decided before any advice is composed.

Checked in order of harm: attempts to subvert the assistant, requests about other people or the
interest log, help with a dishonest application, clinical advice, then anything off-topic.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Literal

Reason = Literal["prompt_injection", "other_people", "dishonest", "clinical_advice", "off_topic"]


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


INJECTION = _rx(
    r"\b(?:ignore|disregard|forget|override|bypass)\b[\w\s,]{0,40}\b(?:instructions?|rules?|prompts?|guidelines?|guardrails?|system|above|previous|prior)\b|"
    r"\b(?:system|initial|hidden|original|developer)\s+(?:prompt|instructions?|message)\b|"
    r"\b(?:reveal|print|show|repeat|output|leak|tell me)\b[\w\s]{0,30}\b(?:your|the)\s+(?:prompt|instructions|rules|configuration|secrets?|api key|tokens?)\b|"
    r"\byou are (?:now|no longer)\b|\bact as (?:an? )?(?:admin|administrator|root|developer|dan|unrestricted)\b|"
    r"\b(?:developer|god|admin|jailbreak|dan) mode\b|\bjailbreak\w*|\bpretend (?:you are|you're|to be) (?:an? |the )?(?:admin|administrator|coordinator|different|unrestricted|developer)\b|"
    r"\bnew instructions?\b|\bprompt injection\b|</?(?:system|instructions?)>|\[\s*system\s*\]|\bsudo\b|"
    r"\bgrant me (?:admin|coordinator)\b|\bmake me (?:an? )?(?:admin|coordinator)\b"
)
OTHER_PEOPLE = _rx(
    r"\b(?:which|what|who|whom)\b[\w\s'’,]{0,40}\b(?:colleagues?|others?|people|staff|users?|someone|anyone|everyone|nurses|doctors)\b[\w\s'’]{0,40}\b(?:asked|asking|said|registered|applied|interested|signed up|leaving|enquired|queried)\b|"
    r"\binterest (?:log|list|register|data)\b|\b(?:list|show|give|export|send|dump)\b[\w\s]{0,25}\b(?:everyone|everybody|all (?:the )?(?:users|people|staff|clinicians|registrations)|who (?:has|have))\b|"
    r"\bwho (?:else )?(?:has|have) (?:asked|registered|applied|signed up|expressed)\b|"
    r"\b(?:list|show|export|dump|give me|send me)\b[\w\s]{0,25}\b(?:registered |logged )?(?:interests|registrations|enquiries|sign-?ups)\b|"
    r"\b(?:my|a) (?:colleague|manager|co-?worker|boss|friend)'?s?\b[\w\s]{0,25}\b(?:questions?|messages?|data|interests?|registrations?|history|conversations?)\b|"
    r"\bwhat (?:did|has|have) [A-Z][a-z]+ (?:ask|asked|said|registered)\b|\b(?:other|another) (?:user|person)'?s\b|"
    r"\b(?:list|names?|details|emails?|contacts?)\b[\w\s]{0,20}\b(?:people|users|staff|colleagues|clinicians|everyone|those|nurses|doctors)\b[\w\s]{0,10}\b(?:who|that)\b[\w\s]{0,25}\b(?:registered|asked|applied|signed up|interested|expressed|enquired)\b|"
    r"\bemail (?:addresses|address) of\b|\bcontact details (?:of|for) (?:everyone|the people|users|applicants)\b"
)
DISHONEST = _rx(
    r"\b(?:claim\w*|pretend\w*|say(?:ing)?|stat(?:e|ing)|put(?:ting)?|writ(?:e|ing)|mak(?:e|ing) (?:it|out)|imply\w*)\b[^.?!]{0,40}\bi\b[^.?!]{0,60}\b(?:didn'?t|did not|haven'?t|have not|hadn'?t|wasn'?t|was not|am not|i'?m not|never did|never have|never was)\b|"
    r"\b(?:saying|say|claim\w*|pretend\w*|put(?:ting)? (?:down )?that|state|write|make it look like|imply|suggest)\b[\w\s'’,]{0,30}\b(?:i'?m|i am|i have|i've|i was)\b[^.?!]{0,80}\b(?:actually|really|but i'?m|though i'?m|when i'?m|even though|in fact|not yet|isn'?t true|haven'?t)\b|"
    r"\b(?:lie|lying|fake|faking|falsif\w*|forge\w*|fabricat\w*|exaggerat\w*|inflat\w*|backdat\w*|fudge|embellish\w*|misrepresent\w*|cheat\w*)\b[\w\s]{0,40}\b(?:application|eligib\w*|band|grade|experience|cv|reference|form|years|qualification)\b|"
    r"\b(?:application|form|cv)\b[\w\s]{0,40}\b(?:lie|fake|falsif\w*|pretend|exaggerat\w*|inflat\w*)\b|"
    r"\b(?:get around|get round|dodge|trick|game) (?:the )?(?:eligibility|rules|criteria|requirements|system)\b|"
    r"\bwithout (?:my )?(?:manager|supervisor|tpd|employer) (?:knowing|finding out)\b|\bnot (?:tell|telling) (?:my )?(?:manager|employer|tpd)\b"
)
CLINICAL = _rx(
    r"\b(?:what|which|correct|right|maximum|max|starting|usual)\s+(?:dose|dosage)\b|\bdos(?:e|age|ing) (?:of|for)\b|\b\d+\s?(?:mg|mcg|ml|units)\b|"
    r"\bhow (?:much|many)\s+\w+\s+(?:should|can|do) (?:i|we) (?:give|prescribe|administer)\b|"
    r"\b(?:should|can|do) (?:i|we) (?:prescribe|give|start|stop|administer|increase|reduce)\b[\w\s]{0,30}\b(?:patient|him|her|them|drug|medication|antibiotic|insulin|dose)\b|"
    r"\bmy patient\b|\bpatient (?:has|with|presents|presenting|is)\b|\bdiagnos(?:e|is|ing) (?:this|my|a|the)\b|\bdifferential diagnosis\b|"
    r"\b(?:interpret|read|look at) (?:this|my|an?) (?:ecg|x-?ray|scan|ct|mri|blood test|result|rash)\b|"
    r"\btreat(?:ment)? (?:for|of) (?:my|his|her|a|this)\b|\bdrug interactions?\b|\bside effects? of\b|\bcontraindicat\w+|"
    r"\bi have (?:a )?(?:chest pain|fever|headache|rash|symptoms?)\b|\bis it safe to (?:take|give|prescribe|mix)\b|\bwhat antibiotic\b"
)
OFF_TOPIC_MARKERS = _rx(
    r"\bweather\b|\bforecast\b|\bfootball\b|\bcricket\b|\brecipes?\b|\bcook\w*\b|\bjokes?\b|\bpoems?\b|\blimerick\b|\bhoroscope\b|"
    r"\blottery\b|\bstock(?:s| market| price)\b|\bcrypto\w*|\bbitcoin\b|\bholiday\b|\bflights?\b|\bhotel\b|\bmovies?\b|\bfilms?\b|\bsongs?\b|"
    r"\bsports?\b|\bscores?\b|\bcapital of\b|\bwho won\b|\bpremier league\b|\btraffic\b|\btrain times\b|\bbus\b|\brestaurant\b|"
    r"\bwrite (?:me )?(?:an? )?(?:essay|story|song|poem|code|script|email to my)\b|\bhomework\b|\btranslate\b|\bdating\b|\bmortgage\b|\bpizza\b"
)
# Words that show a question is about careers, training or digital work in health.
ON_TOPIC = _rx(
    r"\b(?:career|careers|job|jobs|role|roles|fellowships?|fellows?|training|trainee|programmes?|programs?|courses?|schemes?|apply|application|"
    r"eligib\w*|qualification|registration|accredit\w*|network\w*|informatic\w*|digital|data|analyst|analytics|AI|artificial intelligence|"
    r"machine learning|scientist|NHS|band|registrar|consultant|nurse|doctor|dentist|pharmacist|midwife|physio\w*|AHP|clinician|clinical|"
    r"leadership|CCIO|CNIO|CIO|protected time|CPD|learn\w*|upskill\w*|ISDN|STP|HSST|FPT|Topol|BCS|FEDIP|AphA|CHIME|placement|"
    r"mentor\w*|portfolio|development|skills?|profession\w*|competenc\w*|start-?ups?|industry|technology|tech|(?-i:IT)|EPR|ST\d|FY\d|CT\d|"
    r"student|graduate|degree|msc|bioinformatic\w*|funding|bursary|deadline|interest|join|membership|framework|pathway|"
    r"personal statement|statement|cv|interview|referee|reference)s?\b"
)
BASE64_BLOB = re.compile(r"\b[A-Za-z0-9+/]{24,}={0,2}")


@dataclass(frozen=True)
class Refusal:
    reason: Reason
    message: str
    # True when the only evidence was the absence of on-topic words: the advisor may overrule it
    # if it recognises a programme, a profession or a need in the question.
    soft: bool = False


MESSAGES: dict[Reason, str] = {
    "prompt_injection": (
        "I can't change how I work or share my instructions. I answer questions about NHS "
        "digital, data and AI career routes from a reviewed catalogue."
    ),
    "other_people": (
        "I can't share anything about other people: not their questions, not who has registered "
        "interest, not anyone's details. What each person asks me stays private to them. "
        "If you're an ISDN coordinator, your region's interest log is available to you through "
        "the coordinator tools, not through questions to me."
    ),
    "dishonest": (
        "I can't help present your eligibility as something it isn't: applications are checked, "
        "and a misstatement can cost you the place and more. I can help you find what you're "
        "eligible for now, and what opens up for you later."
    ),
    "clinical_advice": (
        "I can't give clinical advice. Please use your local clinical guidance, senior colleagues "
        "or a pharmacist. I'm here for questions about digital, data and AI career routes in the NHS."
    ),
    "off_topic": (
        "That's outside what I can help with. I answer questions about routes into NHS digital, "
        "data and AI work: fellowships, training programmes, professional registration and "
        "regional networks."
    ),
}
OFFER = (
    "Tell me your profession, grade or band, and where you work, and what you'd like to do "
    "(for example: hands-on AI projects, protected time for a digital project, a leadership "
    "qualification, or professional registration), and I'll suggest the routes that fit."
)


def screen(question: str) -> Refusal | None:
    """A refusal if the question is one Pathfinder must not answer, else None."""
    text = " ".join(question.split())
    if INJECTION.search(text) or _encoded_injection(text):
        return _refuse("prompt_injection")
    if OTHER_PEOPLE.search(text):
        return _refuse("other_people")
    if DISHONEST.search(text):
        return _refuse("dishonest")
    if CLINICAL.search(text):
        return _refuse("clinical_advice")
    if OFF_TOPIC_MARKERS.search(text) and len(ON_TOPIC.findall(text)) < 2:
        return _refuse("off_topic")
    if not ON_TOPIC.search(text) and not _names_a_programme_like_word(text):
        return Refusal("off_topic", MESSAGES["off_topic"], soft=True)
    return None


def _refuse(reason: Reason) -> Refusal:
    return Refusal(reason, MESSAGES[reason])


def _encoded_injection(text: str) -> bool:
    for blob in BASE64_BLOB.findall(text):
        try:
            decoded = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=False).decode(
                "utf-8", "ignore"
            )
        except (binascii.Error, ValueError):
            continue
        if INJECTION.search(decoded) or OTHER_PEOPLE.search(decoded):
            return True
    return False


def _names_a_programme_like_word(text: str) -> bool:
    return bool(
        re.search(r"\b(?:fellowship|programme|pgcert|pgdip|diploma|register)\b", text, re.I)
    )
