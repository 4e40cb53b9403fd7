"""The Answer: everything any view shows, built once from the advice and its phrasing.

The CLI text (bot/answering/text.py) and the Slack blocks (bot/slack/blocks/answer.py) both
render this object and nothing else, so a fact can't reach one view and not the other. It is also
the public JSON contract of `pathfinder ask --json`: fields may be added, never renamed or removed.
"""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel

from bot.advice.advisor import TOPIC_LABELS, Advice, FactAnswer, Suggestion
from bot.advice.reading import Profile
from bot.catalogue.schema import Fact
from bot.catalogue.snapshot import Catalogue

VERDICT_LABEL = {  # {you}: "them" when the question was asked for someone else
    "eligible": "fits {you} now",
    "possible": "worth a look: some things to check",
    "later": "a door that opens later",
    "not_eligible": "not open to {you}",
    "information": "for information: not something individuals apply to",
    "check": "may no longer run: check before you plan on it",
}
FACT_LABELS = {
    "summary": "What it is",
    "who_for": "Who it is for",
    "provider": "Who runs it",
    "status": "Status",
    "time_commitment": "Time",
    "duration": "Duration",
    "qualification": "Qualification",
    "funding": "Funding",
    "cost": "Cost",
    "how_to_apply": "How to apply",
}
# What a card shows when the person asked about nothing in particular: what it asks of them.
ESSENTIALS = ("time_commitment", "funding", "cost")
NOT_FOUND = ("not found", "not stated", "not applicable")


class EligibilityOut(BaseModel):
    criterion: str
    status: str
    detail: str


class FactOut(BaseModel):
    topic: str
    label: str
    text: str
    uncertain: bool = False
    note: str | None = None
    as_of: date | None = None
    time_sensitive: bool = False
    sources: list[str] = []


class StatusOut(BaseModel):
    state: str
    as_of: date
    text: str
    uncertain: bool


class SuggestionOut(BaseModel):
    id: str
    name: str
    kind: str
    verdict: str
    timing: str
    why: str
    eligibility: list[EligibilityOut]
    source_urls: list[str]
    last_reviewed: date
    review_due: date
    uncertain: bool
    cautions: list[str]
    when: str | None = None
    verdict_label: str = ""
    status: StatusOut | None = None
    window: str | None = None
    summary: str = ""
    key_facts: list[FactOut] = []  # what the person asked about (else what it asks of them)
    check: str | None = None  # the one thing to check before applying
    facts: list[FactOut] = []  # every fact of the entry, for Details


class NetworkOut(BaseModel):
    id: str
    name: str
    region: str | None
    verified: bool


class AskedFact(BaseModel):
    """A direct answer to a factual question about a named programme."""

    programme_id: str
    programme: str
    topic: str
    label: str
    fact: FactOut | None  # None: the catalogue has no figure for it, and Pathfinder won't guess


class FaqOut(BaseModel):
    id: str
    question: str
    answer: FactOut


class SecondReadingOut(BaseModel):
    """What the optional LLM second reader did for this question: field names, never values."""

    outcome: str  # "used", or why the rules read alone: skipped, timeout, unavailable, budget, bad_output...
    filled: list[str] = []  # fields the rules left unknown, filled from the second reading
    disagreed: list[str] = []  # fields both read differently (the rules' reading stands)
    dropped: list[str] = []  # fields the model gave outside the vocabularies


class Answer(BaseModel):
    question: str
    refused: bool
    register_requested: bool = False
    refusal_reason: str | None
    profile: Profile
    suggestions: list[SuggestionOut]
    asked_about: list[SuggestionOut]
    later: list[SuggestionOut]
    network: NetworkOut | None
    clarify: bool
    answer: str  # the text view, rendered from the fields below
    responder: str
    catalogue_version: str
    prompt_version: str | None = None
    model: str | None = None
    fallback_reason: str | None = None
    elapsed_ms: float
    # Added in catalogue v2 / the one-Answer views (never renamed or removed):
    headline: str = ""
    refusal_message: str | None = None
    refusal_partial: bool = False
    offer: str | None = None
    place_note: str | None = None
    asked_facts: list[AskedFact] = []
    faqs: list[FaqOut] = []
    inactive: list[SuggestionOut] = []
    network_note: str | None = None
    nation: str | None = None
    uk_wide: list[str] = []
    england_only: list[str] = []
    register_note: str | None = None
    seen: list[str] = []  # programmes shown earlier in this conversation: shown again in brief
    second_reading: SecondReadingOut | None = None  # None: no second reader configured


def fact_out(topic: str, fact: Fact) -> FactOut:
    return FactOut(
        topic=topic,
        label=FACT_LABELS.get(topic, topic.replace("_", " ").capitalize()),
        text=fact.text,
        uncertain=fact.uncertain,
        note=fact.note,
        as_of=fact.as_of,
        time_sensitive=fact.time_sensitive,
        sources=fact.urls,
    )


def suggestion_out(
    s: Suggestion, *, asked_topics: list[str], why: str | None = None, you: str = "you"
) -> SuggestionOut:
    """One programme as every view sees it: the short card and the details behind it."""
    p = s.programme
    facts = [fact_out(topic, f) for topic, f in p.named_facts() if not f.text.lower().startswith(NOT_FOUND)]
    wanted = [t for t in asked_topics if t not in ("summary", "who_for", "region")]
    # The facts asked about (else the time it takes), each in brief: the rest is behind Details.
    key = [f for f in facts if f.topic in _fact_topics(wanted)] if wanted else []
    key = [_brief(f) for f in (key or [f for f in facts if f.topic in ESSENTIALS][:1])]
    # One true why: the strongest reason (what it offers that was asked for, else the rule met).
    reason = why or s.model_reason or (s.reasons[0] if s.reasons else first_sentence(p.who_for.text))
    timing_label = VERDICT_LABEL.get(s.timing if s.timing == "check" else s.verdict, s.verdict).format(you=you)
    if s.timing == "later" and s.when:
        timing_label = f"{VERDICT_LABEL['later']}: {s.when}"
    return SuggestionOut(
        id=p.id,
        name=p.name,
        kind=p.kind,
        verdict=s.verdict,
        timing=s.timing,
        why=reason[:1].upper() + reason[1:],
        eligibility=[EligibilityOut(**c.as_dict()) for c in s.checks],
        source_urls=p.all_urls(),
        last_reviewed=p.last_reviewed,
        review_due=p.review_due,
        uncertain=s.uncertain,
        cautions=s.cautions,
        when=s.when,
        verdict_label=timing_label,
        status=StatusOut(
            state=p.status.state, as_of=p.status.as_of, text=p.status.text, uncertain=p.status.uncertain
        ),
        window=s.window,
        summary=p.summary.text,
        key_facts=key[:3],
        check=_one_check(s),
        facts=facts,
    )


def first_sentence(text: str) -> str:
    """The first sentence, or the first two where the first is only a lead-in ("Two routes.")."""
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text, maxsplit=2)
    if len(sentences) > 1 and len(sentences[0].split()) < 4:
        return f"{sentences[0]} {sentences[1]}"
    return sentences[0]


def _brief(f: FactOut) -> FactOut:
    """A fact's first sentence, for a card; the whole fact and its note stay in Details."""
    return f.model_copy(update={"text": first_sentence(f.text), "note": None})


def _fact_topics(topics: list[str]) -> set[str]:
    from bot.advice.advisor import TOPIC_FACTS

    return {f for t in topics for f in TOPIC_FACTS.get(t, (t,))}


def _one_check(s: Suggestion) -> str | None:
    """The single most useful thing to confirm: an unmet-but-later rule, else an unknown one.
    A later door's label already says when it opens, so that rule is not said again."""
    said = s.timing == "later" and bool(s.when)
    for status in ("not_met", "unknown"):
        for c in s.checks:
            if c.status == status and (status == "unknown" or (c.later and not said)):
                return c.detail
    return None


def asked_facts(advice: Advice, catalogue: Catalogue) -> list[AskedFact]:
    """The facts asked for. "Is it open to nurses?" is answered by the eligibility verdict shown
    for that programme, so its who-it-is-for text is left to Details rather than said twice."""
    names = {p.id: p.name for p in catalogue.programmes}
    judged = {s.programme.id for s in advice.asked_about if s.checks}
    return [_asked(a, names) for a in advice.facts if not (a.topic == "who_for" and a.programme_id in judged)]


def _asked(a: FactAnswer, names: dict[str, str]) -> AskedFact:
    label = TOPIC_LABELS.get(a.topic, FACT_LABELS.get(a.topic, a.topic.replace("_", " ")))
    return AskedFact(
        programme_id=a.programme_id,
        programme=names.get(a.programme_id, a.programme_id),
        topic=a.topic,
        label=label,
        fact=fact_out(a.topic, a.fact) if a.fact is not None else None,
    )
