"""The grounded advisor: question -> profile -> eligibility-checked, ranked, region-aware advice.

Code decides everything here; an LLM (later) may only phrase it. The same `advise` serves the
CLI, the eval harness and Slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.advice.eligibility import Check, Verdict, check_programme, verdict
from bot.advice.guard import Refusal
from bot.advice.lexicon import lexicon
from bot.advice.reading import Profile, read_profile
from bot.catalogue.schema import (
    Fact,
    Faq,
    NationCriterion,
    NetworkDoc,
    ProgrammeDoc,
    describe,
    first_day,
)
from bot.catalogue.snapshot import Catalogue
from bot.catalogue.vocabulary import STAGE_LABELS, ProfessionsFile

MAX_SUGGESTIONS = 5
MIN_RELEVANCE = 2.0
UK_NATIONS = ("England", "Wales", "Scotland", "Northern Ireland")
GENERIC_INTENTS = frozenset(
    {"ai_interest", "learning", "informatics_career", "plan_ahead", "data_skills", "fellowship", "self_assessment"}
)

# Question topics -> the fact topics that answer them.
TOPIC_FACTS = {
    "time_commitment": ("time_commitment",),
    "duration": ("duration",),
    "training_length": ("training_length",),
    "qualification": ("qualification",),
    "funding": ("funding", "cost"),
    "cost": ("cost", "funding"),
    "how_to_apply": ("how_to_apply", "dates"),
    "dates": ("dates", "how_to_apply"),
    "success_rate": ("success_rate",),
    "specialisms": ("specialisms",),
    "places": ("places",),
    "summary": ("summary",),
    "professional_bodies": ("professional_bodies",),
    "who_for": ("who_for", "eligibility"),
    "region": ("region",),
}
TOPIC_LABELS = {
    "success_rate": "the application success rate",
    "funding": "funding or pay",
    "cost": "the cost",
    "dates": "current dates",
    "places": "the number of places",
    "training_length": "the effect on training length",
}


@dataclass
class Suggestion:
    programme: ProgrammeDoc
    verdict: Verdict
    checks: list[Check]
    score: float
    reasons: list[str]
    timing: str = "now"
    when: str | None = None
    cautions: list[str] = field(default_factory=list)
    model_reason: str | None = None  # an LLM's phrasing of why, after checks; never a fact
    window: str | None = None  # what the sources say about application rounds, dated

    @property
    def uncertain(self) -> bool:
        return any(f.uncertain for _, f in self.programme.named_facts())

    @property
    def active(self) -> bool:
        """Running or recruiting: closed, historical and unverified entries are never a fit."""
        return self.programme.status.active


@dataclass(frozen=True)
class FactAnswer:
    programme_id: str
    topic: str
    fact: Fact | None


@dataclass
class Advice:
    question: str
    profile: Profile
    catalogue_version: str
    today: date
    refusal: Refusal | None = None
    suggestions: list[Suggestion] = field(default_factory=list)
    asked_about: list[Suggestion] = field(default_factory=list)
    later: list[Suggestion] = field(default_factory=list)
    network: NetworkDoc | None = None
    network_note: str | None = None
    uk_wide: list[ProgrammeDoc] = field(default_factory=list)
    england_only: list[ProgrammeDoc] = field(default_factory=list)
    facts: list[FactAnswer] = field(default_factory=list)
    faqs: list[Faq] = field(default_factory=list)
    inactive: list[Suggestion] = field(default_factory=list)  # asked about by name; may not run
    clarify: bool = False
    person: str = ""
    offer: str = ""

    @property
    def refused(self) -> bool:
        return self.refusal is not None


def advise(
    question: str, *, catalogue: Catalogue, today: date, earlier: Profile | None = None
) -> Advice:
    """The advice for one question (with the profile of earlier turns, if any)."""
    words = lexicon(catalogue)
    offers = {i.id: i.offers for i in catalogue.intents.intents}
    refusal = words.guard.screen(question)
    # A partly refused question is read, and answered, from its career part alone.
    readable = refusal.career_text if refusal is not None and refusal.partial else question
    profile = read_profile(readable, catalogue=catalogue).merged_with(earlier)
    successors = [
        pid
        for named in profile.named
        if named in catalogue.by_id and not catalogue.by_id[named].status.active
        for pid in catalogue.by_id[named].succeeded_by
        if pid not in profile.named
    ]
    if successors:  # "did the FCI close? where do I go now?": where its members went
        profile = profile.model_copy(update={"named": [*profile.named, *successors]})
    if refusal is not None and refusal.soft and _on_topic_after_all(profile, earlier):
        refusal = None
    advice = Advice(question, profile, catalogue.version, today, refusal=refusal)
    advice.person = describe_person(profile, catalogue.professions)
    advice.offer = words.guard.offer
    if refusal is not None and not refusal.partial:
        return advice

    assess = _Assessor(catalogue, profile, today)
    implied = _implied_intents(profile, assess)
    scores = {p.id: _relevance(p, profile, implied) for p in catalogue.programmes}
    heirs: dict[str, str] = {}  # a closed body's work goes on where its members went
    for p in catalogue.programmes:
        squarely = sum(w * p.routing.intent(i) for i, w in implied.items() if p.routing.intent(i) >= 3)
        for pid in p.succeeded_by if squarely and not p.status.active else []:
            scores[pid], heirs[pid] = max(scores.get(pid, 0.0), squarely), p.name
    assess.scores = scores
    advice.clarify = (
        profile.is_empty
        and not profile.named
        and profile.role is None
        and set(profile.intents) <= GENERIC_INTENTS
    )
    advice.inactive = [assess(pid) for pid in profile.named if not assess(pid).active]
    advice.asked_about = [
        assess(pid)
        for pid in profile.named
        if assess(pid).active and assess(pid).verdict in ("not_eligible", "later")
    ]
    by_id = {f.id: f for f in catalogue.faqs.faqs}
    advice.faqs = [by_id[f] for f in profile.faqs if f in by_id]
    if not advice.clarify:
        advice.suggestions = _rank(assess, scores, profile)
    doors = _later_doors(assess, scores, profile, advice.suggestions)
    asked = {s.programme.id: s for s in advice.asked_about}
    for door in doors:
        if door.programme.id in asked:
            asked[door.programme.id].when = door.when  # said in the direct answer instead
    advice.later = [d for d in doors if d.programme.id not in asked]
    advice.network, advice.network_note = _network(catalogue, profile, assess)
    if profile.nation in ("Wales", "Scotland", "Northern Ireland"):
        shown = {s.programme.id for s in [*advice.suggestions, *advice.asked_about]}
        advice.uk_wide, advice.england_only = _by_reach(catalogue, profile.nation, shown)
    advice.facts = _facts(catalogue, profile)
    if advice.facts and profile.is_empty:
        # A factual question about a named programme: answer about that programme only.
        advice.suggestions = [s for s in advice.suggestions if s.programme.id in profile.named]
    for s in [*advice.suggestions, *advice.asked_about, *advice.later, *advice.inactive]:
        s.reasons = _reasons(s, profile, implied, offers, heirs.get(s.programme.id))
        s.cautions = _cautions(s.programme, today)
        s.window = window_note(s.programme, today)
    return advice


def _on_topic_after_all(profile: Profile, earlier: Profile | None) -> bool:
    """No career words, but it names a programme, a profession, a need, a known question, or it
    follows up a conversation that had a subject ("can I do it part time?")."""
    specific = set(profile.intents) - {"plan_ahead", "learning", "networking"}
    if profile.named or profile.profession or specific or profile.faqs:
        return True
    return profile.follow_up and earlier is not None


class _Assessor:
    """Eligibility checks on demand, each programme at most once per question.

    Checking every entry is what grows with the catalogue, so ranking asks for checks in
    descending order of relevance and stops as soon as the top suggestions cannot change.
    """

    def __init__(self, catalogue: Catalogue, profile: Profile, today: date) -> None:
        self._catalogue = catalogue
        self.catalogue = catalogue
        self._profile = profile
        self._today = today
        self._done: dict[str, Suggestion] = {}
        self.scores: dict[str, float] = {}

    def programme(self, pid: str) -> ProgrammeDoc:
        return self._catalogue.by_id[pid]

    def __call__(self, pid: str) -> Suggestion:
        found = self._done.get(pid)
        if found is None:
            found = _assess(self._catalogue, self._catalogue.by_id[pid], self._profile)
            self._done[pid] = found
        found.score = self.scores.get(pid, 0.0)  # scores arrive after the named programmes
        return found


def _assess(catalogue: Catalogue, programme: ProgrammeDoc, profile: Profile) -> Suggestion:
    checks = check_programme(programme, profile, catalogue.professions)
    return Suggestion(programme, verdict(programme, checks), checks, score=0.0, reasons=[])


def _implied_intents(profile: Profile, assess: _Assessor) -> dict[str, float]:
    """The person's intents, plus (at half weight) what a named programme they can't do offers."""
    weights = dict.fromkeys(profile.intents, 1.0)
    for pid in profile.named:
        named = assess(pid)
        if named.verdict in ("not_eligible", "later"):
            for intent, w in named.programme.routing.intents.items():
                if intent != "plan_ahead":
                    weights[intent] = max(weights.get(intent, 0.0), 0.5 * min(w, 4) / 2)
    if profile.timeframe != "later":
        weights.pop("plan_ahead", None)
    return weights


def _relevance(programme: ProgrammeDoc, profile: Profile, intents: dict[str, float]) -> float:
    routing = programme.routing
    score = sum(routing.intent(i) * w for i, w in intents.items())
    if profile.profession is not None:
        score += routing.audience(profile.profession)
    if "fellowship" in intents and programme.kind == "fellowship":
        score += 3
    if programme.id in profile.named:
        score += 8
    if profile.nation in DEVOLVED and _only_for(programme) == {profile.nation}:
        score += NATION_BONUS  # someone in Wales sees Wales's own routes first
    return score


DEVOLVED = ("Wales", "Scotland", "Northern Ireland")
NATION_BONUS = 4.0


def _only_for(programme: ProgrammeDoc) -> set[str]:
    rule = next((c for c in programme.eligibility if isinstance(c, NationCriterion)), None)
    return set(rule.allowed) if rule is not None else set()


MAX_BONUS = 3.5  # eligible (1.5) plus a role match (2): the most a check can add to relevance
INACTIVE_PENALTY = 100.0
ROLE_BONUS = 2.0


def _rank(assess: _Assessor, scores: dict[str, float], profile: Profile) -> list[Suggestion]:
    named = set(profile.named)
    candidates = sorted(
        (pid for pid, score in scores.items() if score >= MIN_RELEVANCE or pid in named),
        key=lambda pid: (-scores[pid], pid),
    )
    chosen: list[tuple[float, Suggestion]] = []
    for pid in candidates:
        if len(chosen) >= MAX_SUGGESTIONS and scores[pid] + MAX_BONUS <= chosen[-1][0]:
            break  # nothing further down can beat the current top suggestions
        s = assess(pid)
        final = _final_score(s, profile)
        if final is None:
            continue
        chosen.append((final, s))
        chosen.sort(key=lambda pair: (-pair[0], pair[1].programme.id))
        del chosen[MAX_SUGGESTIONS:]
    # Hard rules, whatever the scores: outside England the person's own nation's routes come
    # first; a programme that may no longer run never comes ahead of one that runs.
    chosen.sort(key=lambda pair: (not pair[1].active, not _own_nation(pair[1], profile)))
    return [s for _, s in chosen]


def _own_nation(s: Suggestion, profile: Profile) -> bool:
    if profile.nation not in DEVOLVED:
        return False
    rule = next((c for c in s.programme.eligibility if isinstance(c, NationCriterion)), None)
    return rule is not None and set(rule.allowed) == {profile.nation}


def _final_score(s: Suggestion, profile: Profile) -> float | None:
    """The ranking score of an assessed programme, or None if it is not to be suggested."""
    p = s.programme
    named = p.id in profile.named
    if not s.active and (named or p.status.state != "unverified"):
        return None  # closed or historical, or asked about by name: said back (Advice.inactive)
    bonus = {"eligible": 1.5, "possible": 0.0, "information": 0.0}.get(s.verdict, 0.0)
    if not s.active:
        s.timing = "check"  # may no longer run: never "fits you now", never ahead of one that runs
        bonus -= INACTIVE_PENALTY
    if s.verdict == "later":
        bonus = 1.0 if profile.timeframe == "later" else -1.0
    if p.status.uncertain:
        bonus -= 2.0
    if p.id in profile.named_negated:
        bonus -= 4.0
    if any(c.kind == "role" and c.status == "met" for c in s.checks):
        bonus += ROLE_BONUS  # aimed squarely at the role the person holds
    if s.verdict in ("eligible", "possible") and (s.score >= MIN_RELEVANCE or named):
        return s.score + bonus
    if s.verdict == "later" and profile.timeframe == "later" and s.score >= 3:
        s.timing = "later"
        s.when = _when(s.checks)
        return s.score + bonus
    if s.verdict == "information" and (named or s.score >= 3):
        return s.score + bonus
    return None


MAX_DOOR_CANDIDATES = 60


def _later_doors(
    assess: _Assessor, scores: dict[str, float], profile: Profile, suggestions: list[Suggestion]
) -> list[Suggestion]:
    shown = {s.programme.id for s in suggestions}
    future = _future(profile)
    future_profession = _future_profession(profile)
    doors: list[Suggestion] = []
    candidates = sorted(
        (
            pid
            for pid, score in scores.items()
            if pid not in shown
            and (
                score >= MIN_RELEVANCE or assess.programme(pid).routing.audience(future_profession)
            )
        ),
        key=lambda pid: -scores[pid],
    )
    for pid in candidates[:MAX_DOOR_CANDIDATES]:
        s = assess(pid)
        if not s.active or s.verdict in ("eligible", "possible", "information"):
            continue
        if s.verdict == "later":
            doors.append(_door(s, _when(s.checks)))
        elif future is not None:
            then = _assess(assess.catalogue, s.programme, future)
            if then.verdict in ("eligible", "possible", "later"):
                doors.append(_door(s, _step_label(profile)))
        if len(doors) == 3:
            break
    return doors


def _door(s: Suggestion, when: str) -> Suggestion:
    return Suggestion(s.programme, "later", s.checks, s.score, [], "later", when)


def _when(checks: list[Check]) -> str:
    return "; ".join(c.detail for c in checks if c.status == "not_met")


def _future(profile: Profile) -> Profile | None:
    """The same person one career step on, to find doors that open later."""
    if profile.profession == "medical_student":
        return profile.model_copy(
            update={
                "profession": "doctor",
                "stage": "foundation",
                "stage_year": 1,
                "nhs_employee": True,
            }
        )
    if profile.stage == "foundation":
        return profile.model_copy(update={"stage": "core", "stage_year": 1})
    if profile.stage == "core":
        return profile.model_copy(update={"stage": "specialty", "stage_year": 3})
    if profile.band is not None and profile.band < 6:
        return profile.model_copy(update={"band": 6})
    return None


def _future_profession(profile: Profile) -> str:
    return "doctor" if profile.profession == "medical_student" else (profile.profession or "")


def _step_label(profile: Profile) -> str:
    if profile.profession == "medical_student":
        return "once you qualify and start as a doctor"
    if profile.stage == "foundation":
        return "once you've finished foundation training"
    if profile.stage == "core":
        return "at appointment to ST3"
    return "once you reach band 6"


def _network(
    catalogue: Catalogue, profile: Profile, assess: _Assessor
) -> tuple[NetworkDoc | None, str | None]:
    if profile.nation in DEVOLVED or profile.nation == "Outside the UK":
        return (
            None,
            f"England's regional informatics skills networks don't cover {profile.nation}.",
        )
    if profile.nation != "England" or profile.region is None:
        return None, None
    if "isdn" in catalogue.by_id and assess("isdn").verdict == "not_eligible":
        return None, None
    network = catalogue.network_for(profile.region)
    if network is not None and not network.verified:
        # Routing to the region's coordinator is Pathfinder's own; the network itself is not
        # confirmed, so it is never called "your regional ISDN".
        return network, UNVERIFIED_NETWORK
    return network, None


UNVERIFIED_NETWORK = (
    "Health Education England supported regional informatics skills networks; only the North "
    "West's is confirmed now. Your organisation's digital or workforce team will know what runs "
    "locally, and the national communities (the CCIO, CNIO and Health CIO networks, the Shuri "
    "Network, BCS Health and Care) are open wherever you work."
)


def _by_reach(
    catalogue: Catalogue, nation: str, shown: set[str]
) -> tuple[list[ProgrammeDoc], list[ProgrammeDoc]]:
    """For someone outside England: what is open UK-wide (running, and not already shown) and
    what is England only (anything not closed or historical)."""
    uk_wide, england_only = [], []
    for p in catalogue.programmes:
        if p.status.state in ("closed", "historical"):
            continue
        if p.id in shown and p.status.state == "running":
            continue
        rule = next((c for c in p.eligibility if isinstance(c, NationCriterion)), None)
        if rule is None or set(UK_NATIONS) <= set(rule.allowed):
            if p.status.state == "running" and (
                p.open_to_individuals
                and rule is not None
                or p.kind in ("professional_body", "accreditation")
            ):
                uk_wide.append(p)
        elif rule.allowed == ["England"] and nation not in rule.unknown:
            england_only.append(p)
    return uk_wide, england_only


def _facts(catalogue: Catalogue, profile: Profile) -> list[FactAnswer]:
    topics = [t for t in profile.asked_topics if t in TOPIC_FACTS]
    if not profile.named or not topics:
        return []
    if len(topics) > 1:
        topics = [t for t in topics if t not in ("summary", "region", "who_for")] or topics
    answers: list[FactAnswer] = []
    for pid in profile.named:
        programme = catalogue.by_id[pid]
        facts = programme.named_facts()
        for topic in topics:
            wanted = TOPIC_FACTS[topic]
            found = [f for name, f in facts if name in wanted]
            if found:
                answers.extend(FactAnswer(pid, topic, f) for f in found[:3])
            else:
                answers.append(FactAnswer(pid, topic, None))
    return answers


def _reasons(
    s: Suggestion,
    profile: Profile,
    intents: dict[str, float],
    offers: dict[str, str],
    heir_of: str | None = None,
) -> list[str]:
    routing = s.programme.routing
    # Only what the entry squarely serves (weight 3+): a "why" must be true of that entry.
    wanted = [
        offers[i] for i in intents if routing.intent(i) >= 3 and i in offers and i != "plan_ahead"
    ]
    reasons = []
    if s.programme.id in profile.named:
        reasons.append("you asked about it")
    elif not wanted and heir_of is not None:
        reasons.append(f"the {heir_of} closed and its members moved here")
    if wanted:
        reasons.append("it offers " + _join(wanted[:3]))
    if profile.profession and profile.profession in routing.audiences:
        reasons.append("it is aimed at people in your profession")
    met = [
        c.detail.rstrip(".")
        for c in s.checks
        if c.status == "met" and c.kind in ("stage", "band", "nation")
    ]
    if met:
        reasons.append(_join([m[0].lower() + m[1:] for m in met[:2]]))
    return reasons


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def window_note(programme: ProgrammeDoc, today: date) -> str | None:
    """What the sources say about application rounds, with dates, never a guess at the next one."""
    dated = [w for w in programme.windows if w.opens or w.closes]
    pattern = next((w for w in programme.windows if w.pattern), None)
    usual = f" {pattern.pattern}" if pattern is not None and pattern.pattern else ""
    if not dated:
        return f"{pattern.pattern} (as of {pattern.as_of:%B %Y})" if pattern and pattern.pattern else None
    w = max(dated, key=lambda w: first_day(w.closes or w.opens or "1900-01"))
    round_ = f"{w.cohort} round" if w.cohort else "round"
    opens = first_day(w.opens) if w.opens else None
    closes = first_day(w.closes) if w.closes else None
    if closes is not None and w.closes and closes >= today:
        if opens is not None and w.opens and opens > today:
            text = f"The {round_} opens {describe(w.opens)} and closes {describe(w.closes)}"
        else:
            text = f"The {round_} is open until {describe(w.closes)}"
    else:
        parts = [f"opened {describe(w.opens)}" if w.opens else "", f"closed {describe(w.closes)}" if w.closes else ""]
        text = f"The last {round_} " + " and ".join(x for x in parts if x) + "; the next round's dates are not confirmed"
    if w.starts:
        text += f" (that cohort starts {describe(w.starts)})"
    return f"{text}. As of {w.as_of:%-d %B %Y}.{usual}"


def _cautions(programme: ProgrammeDoc, today: date) -> list[str]:
    cautions = []
    if programme.review_due < today:
        cautions.append(
            f"This entry was due for review on {programme.review_due:%-d %B %Y}; details may have changed."
        )
    if programme.status.uncertain:
        cautions.append(f"Unconfirmed status: {programme.status.text}")
    for topic, fact in programme.named_facts():
        if topic == "status":
            continue
        if fact.time_sensitive and fact.as_of is not None and fact.as_of < today:
            cautions.append(f"Dated information (as of {fact.as_of:%B %Y}): {fact.text}")
    return cautions


def describe_person(p: Profile, professions: ProfessionsFile) -> str:
    """'a band 6 nurse in Leeds' from what the question said, or '' when it said nothing."""
    words: list[str] = []
    if p.stage == "specialty" and p.specialty_group == "general_practice":
        words.append(f"GPST{p.stage_year} GP trainee" if p.stage_year else "GP trainee")
    elif p.stage and p.profession in ("doctor", "dentist"):
        grade = f"ST{p.stage_year}" if p.stage == "specialty" and p.stage_year else None
        if p.stage == "foundation" and p.stage_year:
            grade = f"FY{p.stage_year}"
        if p.stage == "core" and p.stage_year:
            grade = f"CT{p.stage_year}"
        label = STAGE_LABELS[p.stage]
        if p.profession == "dentist":
            label = (
                label.replace("doctor", "dentist") if "doctor" in label else f"{label} (dentist)"
            )
        words.append(f"{grade} {label}" if grade else label)
    elif p.profession:
        if p.band:
            words.append(f"band {p.band}")
        term = professions.term(p.profession)
        words.append(term.label if term else p.profession.replace("_", " "))
    elif p.role:
        words.append(
            p.role.replace("_", " ").upper() if len(p.role) <= 4 else p.role.replace("_", " ")
        )
    if not words:
        return ""
    text = " ".join(words)
    if p.place:
        text += f" in {p.place}"
    return f"{_article(text)} {text}"


def _article(text: str) -> str:
    """'an' before a vowel sound, including letters said with one (an FY1, an ST4, a CT2)."""
    first = text.split()[0]
    if first[:2].isupper() and first[:1] in "AEFHILMNORSX":
        return "an"
    return "an" if first[:1].lower() in "aeiou" else "a"
