"""One road through the house: question in, grounded answer out, for every front door.

`Pathfinder.ask` is what the CLI, the eval harness and (later) Slack call. Its `Answer` is the
public JSON contract of `pathfinder ask --json`: fields may be added, never renamed or removed.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import date

from pydantic import BaseModel
from sqlalchemy.engine import Engine

from bot.advice.advisor import Suggestion, advise
from bot.advice.reading import Profile
from bot.catalogue.snapshot import CatalogueCache
from bot.conversation import Conversation
from bot.responders import Composed, OfflineResponder, Responder

log = logging.getLogger(__name__)

# Questions longer than this are read only up to it: enough for any real question, and it
# bounds the work one message can cause.
MAX_QUESTION_CHARS = 4000


class EligibilityOut(BaseModel):
    criterion: str
    status: str
    detail: str


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


class NetworkOut(BaseModel):
    id: str
    name: str
    region: str | None
    verified: bool


REGISTER_INTENT = re.compile(
    r"\b(?:register|record|log|note|add|put|submit|express)(?:ing)?\b[\w\s']{0,25}\binterest\b"
    r"|\bsign me up\b|\bput my name down\b|\bput me down for\b|\benrol+ me\b",
    re.IGNORECASE,
)
REGISTER_NOTE = (
    "Nothing has been recorded: I never register interest from a message. To have your regional "
    "ISDN coordinator contact you, press *Register interest* under the programme in Slack; you'll "
    "see exactly what is stored and who receives it, and you tick to consent first."
)


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
    answer: str
    responder: str
    catalogue_version: str
    prompt_version: str | None = None
    model: str | None = None
    fallback_reason: str | None = None
    elapsed_ms: float


def _suggestion_out(s: Suggestion) -> SuggestionOut:
    p = s.programme
    why = s.model_reason or ("; ".join(s.reasons) if s.reasons else p.who_for.text)
    return SuggestionOut(
        id=p.id,
        name=p.name,
        kind=p.kind,
        verdict=s.verdict,
        timing=s.timing,
        why=why[:1].upper() + why[1:],
        eligibility=[EligibilityOut(**c.as_dict()) for c in s.checks],
        source_urls=p.all_urls(),
        last_reviewed=p.last_reviewed,
        review_due=p.review_due,
        uncertain=s.uncertain,
        cautions=s.cautions,
        when=s.when,
    )


def to_answer(composed: Composed, *, elapsed_ms: float) -> Answer:
    """The public shape of an answer."""
    advice = composed.advice
    net = advice.network
    return Answer(
        question=advice.question,
        refused=advice.refused,
        refusal_reason=advice.refusal.reason if advice.refusal else None,
        profile=advice.profile,
        suggestions=[_suggestion_out(s) for s in advice.suggestions],
        asked_about=[_suggestion_out(s) for s in advice.asked_about],
        later=[_suggestion_out(s) for s in advice.later],
        network=NetworkOut(id=net.id, name=net.name, region=net.region, verified=net.verified)
        if net
        else None,
        clarify=advice.clarify,
        answer=composed.text,
        responder=composed.responder,
        catalogue_version=advice.catalogue_version,
        prompt_version=composed.prompt_version,
        model=composed.model,
        fallback_reason=composed.fallback,
        elapsed_ms=round(elapsed_ms, 2),
    )


class Pathfinder:
    """The advisor service: the catalogue cache for one database, and the configured responder."""

    def __init__(
        self,
        engine: Engine,
        *,
        today: Callable[[], date] = date.today,
        responder: Responder | None = None,
    ) -> None:
        self._catalogue = CatalogueCache(engine)
        self._today = today
        self.responder: Responder = responder or OfflineResponder()

    def ask(self, question: str, *, conversation: Conversation | None = None) -> Answer:
        """The answer for a person; follow-ups in a conversation keep its profile and turns."""
        started = time.perf_counter()
        earlier = conversation.profile if conversation else None
        catalogue = self._catalogue.get()
        advice = advise(
            question[:MAX_QUESTION_CHARS], catalogue=catalogue, today=self._today(), earlier=earlier
        )
        history = conversation.recent() if conversation else []
        composed = self.responder.respond(advice, catalogue=catalogue, history=history)
        if conversation is not None and not advice.refused:
            conversation.record(question[:MAX_QUESTION_CHARS], _summary(composed), advice.profile)
        elapsed = (time.perf_counter() - started) * 1000
        log.info(
            "answered",
            extra={
                "refused": advice.refused,
                "suggestions": len(advice.suggestions),
                "responder": composed.responder,
                "ms": round(elapsed, 1),
            },
        )
        answer = to_answer(composed, elapsed_ms=elapsed)
        if not advice.refused and REGISTER_INTENT.search(question[:MAX_QUESTION_CHARS]):
            answer.register_requested = True
            answer.answer = f"{REGISTER_NOTE}\n\n{answer.answer}"
        return answer


def _summary(composed: Composed) -> str:
    """What the next turn needs to know of this answer: which programmes were suggested."""
    names = ", ".join(s.programme.name for s in composed.advice.suggestions)
    return f"Suggested: {names}." if names else "No programme suggested."
