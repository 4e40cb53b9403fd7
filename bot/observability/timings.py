"""The moments of one Slack question, as metrics and one log line per answer.

Called from the listener and the answer job; the times are measured from the request's arrival
(its trace, bot/observability/logs.py). No text, no people: counts, milliseconds, the responder.
"""

from __future__ import annotations

import logging

from bot.observability import metrics
from bot.observability.logs import current

log = logging.getLogger("pathfinder.timings")


def question_taken() -> None:
    """A question passed dedup and will be answered."""
    metrics.QUESTIONS.inc()


def first_response() -> None:
    """The person can see we're on it (the status, or a placeholder message)."""
    trace = current()
    if trace is None or trace.first_response_ms is not None:
        return
    trace.first_response_ms = trace.elapsed_ms()
    metrics.FIRST_RESPONSE_SECONDS.observe(trace.first_response_ms / 1000)


def answered(*, responder: str | None, delivered: bool) -> None:
    """The answer (or the apology) reached Slack, or could not: the per-answer timings line."""
    trace = current()
    answer_ms = trace.elapsed_ms() if trace else None
    if answer_ms is not None and delivered:
        metrics.ANSWER_SECONDS.observe(answer_ms / 1000)
    log.info(
        "answer delivered" if delivered else "answer not delivered",
        extra={
            "responder": responder or "apology",
            "ack_ms": trace.ack_ms if trace else None,
            "first_response_ms": trace.first_response_ms if trace else None,
            "answer_ms": answer_ms,
        },
    )


def counted(*, responder: str, fallback: str | None, refusal: str | None) -> None:
    """One composed answer, whichever front door asked for it."""
    metrics.ANSWERS.labels(metrics.bounded(responder)).inc()
    if fallback:
        metrics.FALLBACKS.labels(metrics.bounded(fallback)).inc()
    if refusal:
        metrics.REFUSALS.labels(metrics.bounded(refusal)).inc()
