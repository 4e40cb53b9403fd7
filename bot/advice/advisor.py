"""The grounded advisor: question -> profile -> eligibility-checked, ranked, region-aware advice.

Code decides everything here; an LLM (later) may only phrase it. The same `advise` serves the
CLI, the eval harness and Slack. This module puts one answer together; what to suggest and in
what order is bot/advice/ranking.py, what the person's nation and region change is
bot/advice/reach.py, and the sentences code writes itself are bot/advice/wording.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.advice.guard import Refusal
from bot.advice.lexicon import Lexicon, lexicon
from bot.advice.matching import tokenise
from bot.advice.ranking import (
    MIN_RELEVANCE,
    Assessor,
    Suggestion,
    implied_intents,
    later_doors,
    rank,
)
from bot.advice.reach import by_reach, network
from bot.advice.reading import Profile, read_profile
from bot.advice.second import Merged, SecondReading, merge_profile, merge_refusal
from bot.advice.subject import Subject
from bot.advice.wording import cautions, checks_about_them, describe_person, reasons, window_note
from bot.catalogue.schema import Fact, Faq, NetworkDoc, ProgrammeDoc
from bot.catalogue.snapshot import Catalogue

__all__ = ["TOPIC_FACTS", "TOPIC_LABELS", "Advice", "FactAnswer", "Suggestion", "advise"]

ELSEWHERE_NOTE = (
    "Wales, Scotland and Northern Ireland have routes of their own: if you work there, tell me "
    "where and I'll include them."
)
GENERIC_INTENTS = frozenset(
    {"ai_interest", "learning", "informatics_career", "plan_ahead", "data_skills", "fellowship", "self_assessment", "alternatives"}
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
    second: Merged | None = None  # what a second reading filled or disagreed on (names only)
    pleasantry: str | None = None  # "greeting", "thanks" or "about" ("what can you do?"): the whole message was one
    for_someone: str | None = None  # asked for someone else: how the asker named them ("GPST2")
    own_data: bool = False  # asks what happens to their own data ("who sees my interest?")

    @property
    def refused(self) -> bool:
        return self.refusal is not None


def advise(
    question: str,
    *,
    catalogue: Catalogue,
    today: date,
    earlier: Profile | None = None,
    second: SecondReading | None = None,
) -> Advice:
    """The advice for one question (with the profile of earlier turns, if any, and a second
    reader's reading, merged conservatively: bot/advice/second.py)."""
    words = lexicon(catalogue)
    offers = {i.id: i.offers for i in catalogue.intents.intents}
    kind = words.guard.pleasantry(question)
    if kind is not None:  # "hi", "thanks!": a friendly word back, not a refusal or a list
        advice = Advice(question, Profile().merged_with(earlier), catalogue.version, today, pleasantry=kind)
        advice.offer = words.guard.offer
        return advice
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
    if refusal is not None and refusal.lifted_by and _on_topic_after_all(profile, earlier, who=refusal.lifted_by == "who_or_need"):
        refusal = None
    merged = None
    if second is not None:  # after the rules decided: it can neither lift a refusal nor change a field
        refusal, by_refusal = merge_refusal(refusal, second, catalogue)
        profile, by_fields = merge_profile(profile, second, catalogue)
        merged = Merged(by_fields.filled + by_refusal.filled, by_fields.disagreed + by_refusal.disagreed)
    advice = Advice(question, profile, catalogue.version, today, refusal=refusal, second=merged)
    advice.offer = words.guard.offer
    advice.own_data = refusal is None and words.guard.about_own_data(question) is not None
    # Asked for someone else ("my GPST2 wants protected time"): worked out for them.
    profile = profile.for_advice(words.vocabulary.senior_roles)
    advice.person = describe_person(profile, catalogue.professions)
    advice.for_someone = _named_as(profile.subject, words, catalogue) if profile is not advice.profile and profile.subject else None
    if refusal is not None and not refusal.partial:
        return advice

    assess = Assessor(catalogue, profile, today)
    implied = implied_intents(profile, assess)
    routing = words.routing
    scores = routing.scores(profile, implied, catalogue.by_id)
    heirs: dict[str, str] = {}  # a closed body's work goes on where its members went
    for p in routing.with_heirs:
        squarely = sum(w * p.routing.intent(i) for i, w in implied.items() if p.routing.intent(i) >= 3)
        for pid in p.succeeded_by if squarely else []:
            scores[pid], heirs[pid] = max(scores.get(pid, 0.0), squarely), p.name
    assess.scores = scores
    advice.clarify = (
        profile.is_empty
        and not profile.named
        and profile.role is None
        and set(profile.intents) <= GENERIC_INTENTS
        # "secondary maths teacher, 12 years, do I need another degree for NHS data?": someone
        # who tells us their background (in words we have no profession for) gets routes, not a question
        and profile.aspiration is None and profile.has_degree is None and profile.experience_years is None
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
        advice.suggestions = rank(assess, scores, profile, routing)
        if sum(s.active for s in advice.suggestions) < (2 if not implied else 1) and not profile.named and "plan_ahead" not in implied:
            # On topic (the screen let it through), no need named and little that runs stood out
            # for who they are: "where do I even start?", "GP in Leeds, what digital training is
            # there?" ask for a route in; and so does a need nothing that runs now meets ("med
            # student intercalating in data science, what's next?"), unless it asks about later
            # (then the doors that open later are the answer)
            implied = {**implied, "informatics_career": max(implied.get("informatics_career", 0.0), 1.0)}
            scores = routing.scores(profile, implied, catalogue.by_id)
            assess.scores = scores
            advice.suggestions = rank(assess, scores, profile, routing)
    asked = {s.programme.id: s for s in advice.asked_about}
    # "Can I do FPT yet?" from an FY1: answered directly (not yet, and when), not listed again
    # among what could fit instead.
    advice.suggestions = [s for s in advice.suggestions if s.programme.id not in asked]
    doors = later_doors(assess, scores, profile, advice.suggestions, routing)
    for door in doors:
        if door.programme.id in asked:
            asked[door.programme.id].when = door.when  # said in the direct answer instead
    advice.later = [d for d in doors if d.programme.id not in asked]
    advice.network, advice.network_note = network(catalogue, profile, lambda pid: assess(pid).verdict)
    if profile.nation is None and advice.suggestions and any(
        scores.get(pid, 0.0) >= MIN_RELEVANCE and catalogue.by_id[pid].status.active
        and pid not in {s.programme.id for s in advice.suggestions}
        for pid in routing.devolved_only
    ):  # fmt: skip
        advice.network_note = ELSEWHERE_NOTE
    if profile.nation in ("Wales", "Scotland", "Northern Ireland"):
        shown = {s.programme.id for s in [*advice.suggestions, *advice.asked_about]}
        advice.uk_wide, advice.england_only = by_reach(catalogue, profile.nation, shown)
    advice.facts = _facts(catalogue, profile)
    if advice.facts and profile.is_empty:
        # A factual question about a named programme: answer about that programme only.
        advice.suggestions = [s for s in advice.suggestions if s.programme.id in profile.named]
    for s in [*advice.suggestions, *advice.asked_about, *advice.later, *advice.inactive]:
        if advice.for_someone:
            checks_about_them(s)
        s.reasons = reasons(s, profile, implied, offers, heirs.get(s.programme.id), them=bool(advice.for_someone))
        s.cautions = cautions(s.programme, today)
        s.window = window_note(s.programme, today, profile.nation)
    return advice


def _named_as(subject: Subject, words: Lexicon, catalogue: Catalogue) -> str:
    """How the asker named the person asked for ("GPST2", "devs"); one a pattern described ("got
    a 2:1 in physics") is named by their profession's label instead."""
    tokens = tokenise(subject.text)
    vocab = words.vocabulary
    named = any(m.first == 0 and m.last == len(tokens) for s in (vocab.professions.scanner, vocab.stages.scanner) for m in s.scan(tokens))
    named = named or any(rx.fullmatch(subject.text) for _, rx in vocab.stage_numbers)
    term = catalogue.professions.term(subject.profession)
    return subject.text if named or term is None else term.label


def _on_topic_after_all(profile: Profile, earlier: Profile | None, *, who: bool = True) -> bool:
    """No career words, but it names a programme, a profession (where `who` counts), a need, a
    known question, or it follows up a conversation that had a subject ("can I do it part time?")
    or names whom it now asks for ("and what about for her? she's a trainee nursing associate")."""
    specific = set(profile.intents) - {"plan_ahead", "learning", "networking", "alternatives"} - (set() if who else GENERIC_INTENTS)
    if profile.named or (who and profile.profession) or specific or profile.faqs:
        return True
    if not profile.follow_up:
        return False
    # "and if I'm only band 5?", "what about Scotland?" with no thread to go on: answered for
    # what it says (a band, a nation), not refused as off-topic
    return earlier is not None or profile.band is not None or profile.nation is not None or (
        profile.subject is not None and profile.subject.profession is not None
    )


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
