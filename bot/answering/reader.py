"""The optional second reader: an LLM reads who is asking, and what must be refused, as data.

One structured-output call per question (PATHFINDER_LLM_READER with PATHFINDER_LLM=openai). The
schema's enums are the catalogue's vocabularies; the reply is validated field by field and any
value outside them is dropped, never trusted. Only the question goes to the model. Whatever goes
wrong (fault, timeout, budget spent, unusable reply) the rules read alone, and the reason is
logged and counted. The merge itself is pure and lives in bot/advice/second.py.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from bot.advice.guard import LEARNED
from bot.advice.second import Merged, SecondReading
from bot.answering.phrasing import first_json_object
from bot.catalogue.snapshot import Catalogue
from bot.catalogue.vocabulary import NATIONS, REGIONS
from bot.llm.base import BadOutput, ChatModel, LLMError, Message
from bot.observability import metrics
from bot.prompts import PromptFile, load_prompt

log = logging.getLogger(__name__)

BANDS = tuple(range(2, 10))
YEARS = tuple(range(1, 10))
TIMED_OUT = frozenset({"AttemptTimedOut", "APITimeoutError"})


@dataclass(frozen=True)
class ReaderResult:
    """A validated second reading, or None and why not ("skipped", "timeout", an LLMError kind)."""

    reading: SecondReading | None
    outcome: str
    dropped: tuple[str, ...] = ()  # fields whose value was outside the vocabularies


@dataclass(frozen=True)
class Vocabularies:
    """What each field may hold, for one catalogue version: the schema and the prompt's data."""

    allowed: dict[str, frozenset[Any]]
    schema: dict[str, Any]
    data: str

    @classmethod
    def of(cls, catalogue: Catalogue) -> Vocabularies:
        lists: dict[str, tuple[Any, ...]] = {
            "profession": tuple(p.id for p in catalogue.professions.professions),
            "stage": tuple(s.id for s in catalogue.reading.stages),
            "stage_year": YEARS,
            "band": BANDS,
            "nation": NATIONS,
            "region": REGIONS,
            "refuse_category": tuple(k for k in catalogue.refusals.categories if k != LEARNED),
        }
        properties = {
            name: {"type": [_json_type(values), "null"], "enum": [*values, None]}
            for name, values in lists.items()
        }
        schema = {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }
        data = {
            "profession": {p.id: p.label for p in catalogue.professions.professions},
            "stage": {s.id: s.label for s in catalogue.reading.stages},
            "nation": list(NATIONS),
            "region": list(REGIONS),
            "refuse_category": {
                k: _clip(" ".join(c.message.split()), 240)
                for k, c in catalogue.refusals.categories.items() if k != LEARNED  # the model's own, not a reader's
            },
        }
        return cls(
            allowed={k: frozenset(v) for k, v in lists.items()},
            schema=schema,
            data=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        )


class ReaderReply(BaseModel):
    """The model's reading, each field checked against `context["allowed"]` on its own: a value
    outside its vocabulary (or of the wrong type) becomes None and is named in `context["dropped"]`."""

    model_config = ConfigDict(extra="ignore")

    profession: str | None = None
    stage: str | None = None
    stage_year: int | None = Field(default=None, strict=True)
    band: int | None = Field(default=None, strict=True)
    nation: str | None = None
    region: str | None = None
    refuse_category: str | None = None

    @field_validator("*", mode="wrap")
    @classmethod
    def _known_or_dropped(cls, value: Any, handler: Any, info: ValidationInfo) -> Any:
        context = info.context or {}
        try:
            parsed = handler(value)
        except ValidationError:
            parsed = "\0"  # the wrong type: dropped like an unknown value
        if parsed is not None and parsed not in context.get("allowed", {}).get(info.field_name, ()):
            context.setdefault("dropped", []).append(info.field_name)
            return None
        return parsed


def parse_reading(text: str, vocabularies: Vocabularies) -> tuple[SecondReading, tuple[str, ...]]:
    """Lenient parse (code fences, prose around the JSON), then the vocabularies field by field."""
    data = first_json_object(text)
    if not isinstance(data, dict):
        raise BadOutput("not a JSON object")
    context: dict[str, Any] = {"allowed": vocabularies.allowed, "dropped": []}
    reply = ReaderReply.model_validate(data, context=context)
    return SecondReading(**reply.model_dump()), tuple(context["dropped"])


class ModelReader:
    """Asks the model for a second reading of a question, within part of the question's deadline."""

    name = "openai"

    def __init__(
        self,
        model: ChatModel,
        *,
        deadline_s: float = 30.0,
        share: float = 0.5,
        prompt: PromptFile | None = None,
    ) -> None:
        self.model = model
        self.deadline_s = deadline_s  # the whole question's: the answer's phrasing shares it
        self.share = share  # of what is left of it, so the phrasing still has time after us
        self.prompt = prompt or load_prompt("reader")
        self._vocabularies: tuple[str, Vocabularies] | None = None

    def read(self, question: str, *, catalogue: Catalogue, deadline: float) -> ReaderResult:
        """The validated reading, or the reason there is none; never raises an LLMError."""
        vocabularies = self.vocabularies(catalogue)
        messages = [
            Message("system", self.prompt.render_system(canary="")),
            Message("user", self.prompt.render_user(data=vocabularies.data, question=question)),
        ]
        now = time.monotonic()
        until = now + max(0.0, deadline - now) * self.share
        try:
            reply = self.model.complete(messages, schema=vocabularies.schema, deadline=until)
            reading, dropped = parse_reading(reply.text, vocabularies)
        except LLMError as exc:
            return ReaderResult(None, "timeout" if str(exc) in TIMED_OUT else exc.kind)
        return ReaderResult(reading, "used", dropped)

    def vocabularies(self, catalogue: Catalogue) -> Vocabularies:
        """The schema and data for `catalogue` (rebuilt when its version changes)."""
        cached = self._vocabularies
        if cached is None or cached[0] != catalogue.version:
            cached = (catalogue.version, Vocabularies.of(catalogue))
            self._vocabularies = cached
        return cached[1]


def recorded(result: ReaderResult, merged: Merged | None) -> None:
    """One log line per question and the counters: outcome, and field names only (never values)."""
    metrics.SECOND_READINGS.labels(metrics.bounded(result.outcome)).inc()
    filled = list(merged.filled) if merged else []
    disagreed = list(merged.disagreed) if merged else []
    for kind, names in (("filled", filled), ("disagreed", disagreed), ("dropped", result.dropped)):
        for name in names:
            metrics.SECOND_READING_FIELDS.labels(metrics.bounded(name), kind).inc()
    extra = {"outcome": result.outcome, "filled": filled, "disagreed": disagreed, "dropped": list(result.dropped)}
    if result.reading is None and result.outcome != "skipped":
        log.warning("second reading unavailable; the rules read alone", extra=extra)
    else:
        log.info("second reading", extra=extra)


def _json_type(values: tuple[Any, ...]) -> str:
    return "integer" if all(isinstance(v, int) for v in values) else "string"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"

