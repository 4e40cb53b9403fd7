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

from sqlalchemy.engine import Engine

from bot.advice.advisor import Advice, Suggestion, advise
from bot.advice.second import worth_reading
from bot.answering.contract import (
    Answer,
    FaqOut,
    NetworkOut,
    SecondReadingOut,
    SuggestionOut,
    asked_facts,
    fact_out,
    suggestion_out,
)
from bot.answering.conversation import Conversation
from bot.answering.phrasing import OfflineResponder, Phrasing, Responder
from bot.answering.reader import ModelReader, ReaderResult, recorded
from bot.answering.text import render
from bot.catalogue.snapshot import Catalogue, CatalogueCache
from bot.observability.timings import counted

log = logging.getLogger(__name__)

# Questions longer than this are read only up to it: enough for any real question, and it
# bounds the work one message can cause.
MAX_QUESTION_CHARS = 4000


REGISTER_INTENT = re.compile(
    r"\b(?:register|record|log|note|add|put|submit|express)(?:ing)?\b[\w\s']{0,25}\binterest\b"
    r"|\bsign me up\b|\bput my name down\b|\bput me down for\b|\benrol+ me\b",
    re.IGNORECASE,
)
OWN_DATA_NOTE = (
    "What happens to your details: I record interest only when you press *Register interest* under "
    "a programme and tick the consent box. That stores your Slack name and ids, the profession, grade "
    "and region you confirm in the form, the programme and its follow-up status (no free text, nothing "
    "from our conversation), for your regional network's coordinators only: not your manager, not "
    "other users, and each view or export is audited. Withdraw an interest from my Home tab; "
    "`/pathfinder my-data` sends you everything held about you and `/pathfinder forget-me` erases it. "
    "By default an interest is deleted a year after its last update, and our conversation after 30 days."
)

REGISTER_NOTE = (
    "Nothing has been recorded: I never register interest from a message. To have your regional "
    "coordinator contact you, press *Register interest* under the programme in Slack; you'll "
    "see exactly what is stored and who receives it, and you tick to consent first."
)


def build_answer(
    advice: Advice,
    phrasing: Phrasing,
    catalogue: Catalogue,
    *,
    elapsed_ms: float,
    seen: list[str] | None = None,
    second: ReaderResult | None = None,
) -> Answer:
    """The one Answer both views render."""
    asked = advice.profile.asked_topics

    def out(s: Suggestion) -> SuggestionOut:
        you = "them" if advice.for_someone else "you"
        return suggestion_out(s, asked_topics=asked, why=phrasing.reasons.get(s.programme.id), you=you)

    net = advice.network
    refusal = advice.refusal
    answer = Answer(
        question=advice.question,
        refused=advice.refused,
        refusal_reason=refusal.reason if refusal else None,
        refusal_message=refusal.message if refusal else None,
        refusal_partial=bool(refusal and refusal.partial),
        offer=advice.offer if refusal and not refusal.partial else None,
        profile=advice.profile,
        headline=phrasing.headline,
        place_note=advice.profile.place_note,
        asked_facts=asked_facts(advice, catalogue),
        faqs=[FaqOut(id=f.id, question=f.question, answer=fact_out("faq", f.answer)) for f in advice.faqs],
        suggestions=[out(s) for s in advice.suggestions],
        asked_about=[out(s) for s in advice.asked_about],
        inactive=[out(s) for s in advice.inactive],
        later=[out(s) for s in advice.later],
        network=NetworkOut(id=net.id, name=net.name, region=net.region, verified=net.verified) if net else None,
        network_note=advice.network_note,
        nation=advice.profile.nation,
        uk_wide=[p.name for p in advice.uk_wide],
        england_only=[p.name for p in advice.england_only],
        clarify=advice.clarify,
        answer="",
        responder=phrasing.responder,
        catalogue_version=advice.catalogue_version,
        prompt_version=phrasing.prompt_version,
        model=phrasing.model,
        fallback_reason=phrasing.fallback,
        elapsed_ms=round(elapsed_ms, 2),
        seen=[pid for pid in (seen or []) if pid in {s.programme.id for s in advice.suggestions}],
        second_reading=_second_out(second, advice),
    )
    if not advice.refused and REGISTER_INTENT.search(advice.question):
        answer.register_requested = True
        answer.register_note = REGISTER_NOTE
    if advice.own_data:
        answer.register_note = " ".join(n for n in (answer.register_note, OWN_DATA_NOTE) if n)
    answer.answer = render(answer)
    return answer


WARM_UP = "I'm a band 6 nurse in Leeds moving into informatics"


class Pathfinder:
    """The advisor service: the catalogue cache for one database, and the configured responder."""

    def __init__(
        self,
        engine: Engine,
        *,
        today: Callable[[], date] = date.today,
        responder: Responder | None = None,
        reader: ModelReader | None = None,
    ) -> None:
        self._catalogue = CatalogueCache(engine)
        self._today = today
        self.responder: Responder = responder or OfflineResponder()
        self.reader = reader  # the optional LLM second reader (PATHFINDER_LLM_READER)

    def catalogue(self) -> Catalogue:
        """The catalogue answers are given from now (for views that list its choices)."""
        return self._catalogue.get()

    def known_catalogue(self) -> Catalogue:
        """The catalogue last read, without a database round trip: for checks that must answer
        Slack within three seconds whatever the database is doing."""
        return self._catalogue.latest()

    def warm(self) -> None:
        """Load the catalogue and what the advisor loads on first use (several seconds), so the
        first person asking doesn't wait for it. No responder call: nothing leaves the process."""
        advise(WARM_UP, catalogue=self._catalogue.get(), today=self._today(), earlier=None)

    def ask(self, question: str, *, conversation: Conversation | None = None) -> Answer:
        """The answer for a person; follow-ups in a conversation keep its profile and turns."""
        started = time.perf_counter()
        earlier = conversation.profile if conversation else None
        catalogue = self._catalogue.get()
        text = question[:MAX_QUESTION_CHARS]
        # Both model calls (the second reading, the phrasing) share the question's one deadline.
        deadline = time.monotonic() + self.reader.deadline_s if self.reader else None
        second = self.second_reading(text, catalogue, deadline=deadline)
        advice = advise(
            text, catalogue=catalogue, today=self._today(), earlier=earlier,
            second=second.reading if second else None,
        )  # fmt: skip
        if second is not None:
            recorded(second, advice.second)
        history = conversation.recent() if conversation else []
        phrasing = self.responder.respond(advice, catalogue=catalogue, history=history, deadline=deadline)
        seen = conversation.shown() if conversation else []
        elapsed = (time.perf_counter() - started) * 1000
        answer = build_answer(advice, phrasing, catalogue, elapsed_ms=elapsed, seen=seen, second=second)
        if conversation is not None and not (advice.refused and not answer.refusal_partial):
            conversation.record(
                question[:MAX_QUESTION_CHARS], _summary(advice), advice.profile,
                shown=[s.programme.id for s in advice.suggestions[:3]],
            )  # fmt: skip
        counted(
            responder=phrasing.responder,
            fallback=phrasing.fallback,
            refusal=advice.refusal.reason if advice.refusal else None,
        )
        log.info(
            "answered",
            extra={
                "refused": advice.refused,
                "refusal": advice.refusal.reason if advice.refusal else None,
                "suggestions": len(advice.suggestions),
                "responder": phrasing.responder,
                "ms": round(elapsed, 1),
            },
        )
        return answer


    def second_reading(
        self, question: str, catalogue: Catalogue, *, deadline: float | None = None
    ) -> ReaderResult | None:
        """The model's reading of the question, if a reader is configured and it could matter
        (by `deadline`, else within the reader's own deadline from now)."""
        if self.reader is None:
            return None
        if not worth_reading(question, catalogue):
            return ReaderResult(None, "skipped")  # refused whole by the rules: nothing to add
        if deadline is None:
            deadline = time.monotonic() + self.reader.deadline_s
        return self.reader.read(question, catalogue=catalogue, deadline=deadline)


def _second_out(second: ReaderResult | None, advice: Advice) -> SecondReadingOut | None:
    if second is None:
        return None
    merged = advice.second
    return SecondReadingOut(
        outcome=second.outcome,
        filled=list(merged.filled) if merged else [],
        disagreed=list(merged.disagreed) if merged else [],
        dropped=list(second.dropped),
    )


def _summary(advice: Advice) -> str:
    """What the next turn needs to know of this answer: which programmes were suggested."""
    names = ", ".join(s.programme.name for s in advice.suggestions)
    return f"Suggested: {names}." if names else "No programme suggested."
