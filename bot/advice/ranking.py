"""Which programmes to suggest, in what order, and which doors open later.

Relevance comes from the routing weights; eligibility checks then add to it or rule an entry
out. Checking is what grows with the catalogue, so the Assessor checks each programme at most once
and ranking stops as soon as the top suggestions cannot change (tests/test_advisor.py holds it to
the same order as checking everything).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.advice.eligibility import Check, Verdict, check_programme, verdict
from bot.advice.reading import Profile
from bot.advice.relevance import RoutingIndex, devolved_only, own_nation_route
from bot.catalogue.schema import ExperienceCriterion, ProgrammeDoc
from bot.catalogue.snapshot import Catalogue

MAX_SUGGESTIONS = 5
MIN_RELEVANCE = 2.0
MAX_BONUS = 3.5  # eligible (1.5) plus a role match (2): the most a check can add to relevance
INACTIVE_PENALTY = 100.0
ROLE_BONUS = 2.0
BEGINNER_PENALTY = 2.0  # a programme for people in a role, for someone with no digital experience at all
MAX_DOOR_CANDIDATES = 60


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


class Assessor:
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


# Intents that describe the work someone does rather than what they ask for.
CONTEXT_INTENTS = frozenset({"systems_work"})


def implied_intents(profile: Profile, assess: Assessor) -> dict[str, float]:
    """The person's intents, plus (at half weight) what a named programme offers that they can't
    do, or asked for alternatives to."""
    weights = dict.fromkeys(profile.intents, 1.0)
    for pid in profile.named:
        named = assess(pid)
        # "is DHLP still going, or anything else?": what it offers, from other programmes too
        # (and for one that may have stopped: "is Topol still running? can't find a page")
        if named.verdict in ("not_eligible", "later") or "alternatives" in weights or named.programme.status.state == "unverified":
            for intent, w in named.programme.routing.intents.items():
                if intent != "plan_ahead":
                    weights[intent] = max(weights.get(intent, 0.0), 0.5 * min(w, 4) / 2)
        if named.programme.status.ended and named.programme.routing.intents:
            # "Health Innovation Placement - how do I apply?": it has ended, so what it was
            # mainly for is what they want, from what runs now
            offered = named.programme.routing.intents
            top = max(offered.values())
            for intent, w in offered.items():
                if w == top and intent != "plan_ahead":
                    weights[intent] = max(weights.get(intent, 0.0), 1.0)
    if profile.timeframe != "later":
        weights.pop("plan_ahead", None)
    if weights and set(weights) <= CONTEXT_INTENTS:
        # "pharmacy tech doing EPMA build, what's next?": the work they describe, and a route on
        weights["informatics_career"] = 1.0
    return weights


def rank(assess: Assessor, scores: dict[str, float], profile: Profile, index: RoutingIndex) -> list[Suggestion]:
    """The top suggestions, checked in order of relevance until nothing further can beat them."""
    named = set(profile.named)
    candidates = sorted(
        (pid for pid, score in scores.items() if score >= MIN_RELEVANCE or pid in named),
        key=lambda pid: (-scores[pid], pid),
    )
    elsewhere = profile.role in index.targeted_roles  # their role has entries of its own
    chosen: list[tuple[float, Suggestion]] = []
    for pid in candidates:
        routing = assess.programme(pid).routing
        if elsewhere and routing.roles and not routing.role(profile.role) and pid not in named:
            continue  # a CCIO has the CCIO network, not the CIO or CNIO one
        if len(chosen) >= MAX_SUGGESTIONS and scores[pid] + MAX_BONUS <= chosen[-1][0]:
            break  # nothing further down can beat the current top suggestions
        s = assess(pid)
        final = _final_score(s, profile)
        if final is None:
            continue
        if s.verdict == "later" and not _open_next_year(assess, s, profile):
            continue  # "F1s ... next year": FPT opens after foundation, still a year beyond that (a later door)
        chosen.append((final, s))
        chosen.sort(key=lambda pair: (-pair[0], -pair[1].score, pair[1].programme.id))  # ties: the more relevant
        del chosen[MAX_SUGGESTIONS:]
    # Hard rules, whatever the scores: outside England the person's own nation's routes come
    # first; a programme that may no longer run never comes ahead of one that runs.
    chosen.sort(
        key=lambda pair: (
            not pair[1].active,
            not own_nation_route(pair[1].programme, profile.nation),
        )
    )
    found = [s for _, s in chosen]
    if profile.nation is None:
        # Most people asking work in England: a devolved nation's own routes wait until the person
        # says where they work (Advice.network_note asks), unless nothing else fits.
        here = [s for s in found if s.programme.id in named or not devolved_only(s.programme)]
        found = here if len(here) >= 3 else here + [s for s in found if s not in here]
    return found


def _final_score(s: Suggestion, profile: Profile) -> float | None:
    """The ranking score of an assessed programme, or None if it is not to be suggested."""
    p = s.programme
    named = p.id in profile.named
    if not s.active and (named or p.status.state != "unverified"):
        return None  # closed or historical, or asked about by name: said back (Advice.inactive)
    if p.id in profile.on_programme:
        return None  # "STP trainee, year 2": not a route for them, they are on it
    if not named and _experience_unsaid(p, profile):
        return None  # years of experience it needs, and not a word about having any
    if not named and _doubtful_here(s, profile):
        return None  # Topol in Glasgow: places outside England were few, and it may no longer run at all
    unasked = not named and p.routing.main_intent() not in profile.intents
    if unasked and (profile.profession in p.routing.not_suggested_to or p.routing.not_for_senior and profile.career_stage == "senior"):
        return None  # an apprenticeship for a consultant who asked about clinical safety, or a head of BI
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
    elif p.routing.roles and not named and profile.experience_years == 0:
        bonus -= BEGINNER_PENALTY  # a network of CNIOs is not where "a total beginner" starts
    if not named and _early(profile) and any(isinstance(c, ExperienceCriterion) and c.of == "digital_leadership" for c in p.eligibility):
        bonus -= BEGINNER_PENALTY  # a master's for those leading transformation now, for someone just qualified
    if s.verdict in ("eligible", "possible") and (s.score >= MIN_RELEVANCE or named):
        return s.score + bonus
    if s.verdict == "later" and profile.timeframe == "later" and s.score >= 3:
        s.timing = "later"
        s.when = _when(s.checks)
        return s.score + bonus
    if s.verdict == "information" and (named or s.score >= 3):
        return s.score + bonus
    return None


SCIENTISTS = frozenset({"clinical_scientist", "biomedical_scientist", "healthcare_science_practitioner", "external_scientist"})


def _doubtful_here(s: Suggestion, profile: Profile) -> bool:
    """A programme that may no longer run, for someone in Wales, Scotland or Northern Ireland
    where its sources leave open whether it was ever offered."""
    return (
        profile.nation not in (None, "England")
        and s.programme.status.state == "unverified"
        and any(c.kind == "nation" and c.status == "unknown" for c in s.checks)
    )


def _early(profile: Profile) -> bool:
    """Band 5 or below, or just qualified: leading digital change for years is unlikely."""
    return profile.band is not None and profile.band <= 5 or profile.career_stage == "early career"


def _experience_unsaid(p: ProgrammeDoc, profile: Profile) -> bool:
    """A programme that asks for years of some experience (DHLP: leading digital change; AHCS
    equivalence: working at clinical-scientist level), for someone who gives no sign of it: no
    years of it, no role or wish that implies it. Suggesting it would be a guess."""
    for c in p.eligibility:
        if not isinstance(c, ExperienceCriterion) or c.min_years is None or profile.experience_of == c.of:
            continue  # doing it now (no years asked): the check itself says "check", or "later" for the new to it
        if profile.experience_years is not None and profile.experience_of in (c.of, "any"):
            continue
        if c.of == "digital_leadership" and not _early(profile) and (profile.role is not None or "leadership" in profile.intents):
            continue
        if c.of == "scientific" and (profile.profession in SCIENTISTS or "equivalence" in profile.intents):
            continue  # ..."without redoing everything", "HCPC won't accept my Australian training": years they have
        return True
    return False


def later_doors(
    assess: Assessor, scores: dict[str, float], profile: Profile, suggestions: list[Suggestion], index: RoutingIndex
) -> list[Suggestion]:
    """Up to three relevant programmes that are not open to the person yet, with when they open."""
    shown = {s.programme.id for s in suggestions}
    future = _future(profile)
    # Relevant now, or aimed at the profession they are heading for (a medical student's doctors' routes)
    aimed = index.by_audience.get(_future_profession(profile), {})
    relevant = [pid for pid, score in scores.items() if score >= MIN_RELEVANCE]
    candidates = sorted(
        (pid for pid in dict.fromkeys([*relevant, *aimed]) if pid not in shown),
        key=lambda pid: (-scores.get(pid, 0.0), pid),
    )
    doors: list[Suggestion] = []
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
    return "; ".join(c.when for c in checks if c.status == "not_met")


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


def _open_next_year(assess: Assessor, s: Suggestion, profile: Profile) -> bool:
    """Whether a programme not open yet will be a year on, for someone planning ahead: an F2's
    core-training door is, an F1's is not, and a band 5's is not known (bands do not move yearly)."""
    then = _next_year(profile)
    return then is not None and _assess(assess.catalogue, s.programme, then).verdict in ("eligible", "possible")


def _next_year(profile: Profile) -> Profile | None:
    """The same person a training year on, where training years say it."""
    year = profile.stage_year
    if profile.profession == "medical_student":
        return _future(profile) if year is not None and year >= 5 else None  # final year: F1 next
    if profile.stage == "foundation":
        return profile.model_copy(update={"stage_year": 2}) if year == 1 else _future(profile)
    if profile.stage == "core":
        return profile.model_copy(update={"stage_year": year + 1}) if year == 1 else _future(profile)
    if profile.stage == "specialty":
        return profile.model_copy(update={"stage_year": year + 1}) if year is not None else profile
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
