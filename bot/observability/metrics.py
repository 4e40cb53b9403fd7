"""Prometheus metrics for one Pathfinder process, exposed at /metrics.

The metrics are module-level objects on one registry, as prometheus-client expects: they hold no
settings and do no I/O, so defining them at import is not "building" anything. Labels are closed
sets (responder, reason, category, method, error code), never a person, a channel or any text a
person wrote; free-form values pass through `bounded()` first.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Slack wants an ack within 3 s; answers wait on the LLM (up to PATHFINDER_LLM_DEADLINE).
_FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
_SLOW = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0)

QUESTIONS = Counter(
    "pathfinder_questions", "Questions taken from Slack (after dedup).", registry=REGISTRY
)
ANSWERS = Counter(
    "pathfinder_answers", "Answers composed, by responder.", ["responder"], registry=REGISTRY
)
FALLBACKS = Counter(
    "pathfinder_fallbacks",
    "Model answers replaced by the offline answer, by reason.",
    ["reason"],
    registry=REGISTRY,
)
REFUSALS = Counter(
    "pathfinder_refusals", "Questions refused, by category.", ["category"], registry=REGISTRY
)
ACK_SECONDS = Histogram(
    "pathfinder_ack_seconds",
    "From a Slack request arriving to its acknowledgement.",
    ["mode"],
    buckets=_FAST,
    registry=REGISTRY,
)
FIRST_RESPONSE_SECONDS = Histogram(
    "pathfinder_first_response_seconds",
    "From a question arriving to the first thing the person sees (status or placeholder).",
    buckets=_FAST,
    registry=REGISTRY,
)
ANSWER_SECONDS = Histogram(
    "pathfinder_answer_seconds",
    "From a question arriving to its answer being delivered.",
    buckets=_SLOW,
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "pathfinder_queue_depth", "Questions waiting for an answer worker.", registry=REGISTRY
)
LLM_ATTEMPTS = Counter(
    "pathfinder_llm_attempts", "Calls to the LLM endpoint, by outcome.", ["outcome"], registry=REGISTRY
)
LLM_TOKENS = Counter(
    "pathfinder_llm_tokens", "Tokens the LLM endpoint reported, by kind.", ["kind"], registry=REGISTRY
)
SECOND_READINGS = Counter(
    "pathfinder_second_readings",
    "Questions offered to the LLM second reader, by outcome: used, or why the rules read alone.",
    ["outcome"],
    registry=REGISTRY,
)
SECOND_READING_FIELDS = Counter(
    "pathfinder_second_reading_fields",
    "Profile fields (and refusal) the second reader filled, disagreed on, or gave outside the vocabularies.",
    ["field", "kind"],
    registry=REGISTRY,
)
SLACK_API_ERRORS = Counter(
    "pathfinder_slack_api_errors",
    "Slack Web API calls that failed, by method and error code.",
    ["method", "error"],
    registry=REGISTRY,
)
DRAIN_LEFTOVERS = Counter(
    "pathfinder_drain_leftovers",
    "Questions a shutdown could not answer within its grace (apologised for).",
    registry=REGISTRY,
)

_LABEL = re.compile(r"[A-Za-z0-9_.=:-]{1,48}")


def bounded(value: str | None) -> str:
    """A label value from a closed-looking set: short identifier-like text, else "other"."""
    if not value:
        return "none"
    value = value.strip().replace(" ", "_")
    return value if _LABEL.fullmatch(value) else "other"


def watch_queue(depth: Callable[[], float]) -> None:
    """Report `depth()` as the queue depth at every scrape (the in-process pool, or a job queue).
    A depth that cannot be read (the database is down) is NaN: /metrics itself must still answer."""

    def safely() -> float:
        try:
            return float(depth())
        except Exception as exc:  # noqa: BLE001 - a scrape never fails for one gauge
            log.warning("queue depth unreadable", extra={"error": exc.__class__.__name__})
            return math.nan

    QUEUE_DEPTH.set_function(safely)


def exposition() -> bytes:
    """The registry in Prometheus text format."""
    return generate_latest(REGISTRY)
