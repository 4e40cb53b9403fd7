"""The OpenAI adapter: the only module that imports `openai`.

One retry layer and one clock. The client is built with max_retries=0; tenacity retries only
connection errors, 429 (honouring Retry-After) and 5xx, at most `max_attempts` times, with
exponential backoff and jitter, and never past the caller's deadline. Everything else fails fast.
Works with OpenAI, Azure OpenAI and OpenAI-compatible servers (vLLM, Ollama, llama.cpp).

The deadline is wall-clock time for the whole call, response body included: each attempt is an
abandonable `Attempt` (bot/llm/deadline.py) given its share of the deadline, and the body is read
here chunk by chunk with the clock checked between chunks.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import openai
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from bot.llm.base import BadOutput, ContextTooLong, LLMUnavailable, Message, Reply
from bot.llm.deadline import Attempt, AttemptTimedOut
from bot.observability import metrics

log = logging.getLogger(__name__)

MAX_RETRY_AFTER = 10.0
MAX_BODY = 1_000_000  # bytes; a chat completion of a few hundred tokens is a few kilobytes
MIN_ATTEMPT = 0.5  # seconds: no new attempt (or retry) with less of the deadline left


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, AttemptTimedOut | openai.APIConnectionError | openai.RateLimitError):
        return True  # APIConnectionError includes APITimeoutError
    return (
        isinstance(exc, openai.APIStatusError)
        and exc.status_code >= 500
        and not _format_refused(exc)
    )


def _format_refused(exc: BaseException) -> bool:
    """The server does not support the requested response_format (llama.cpp answers 500)."""
    if not isinstance(exc, openai.APIStatusError) or exc.status_code not in (400, 422, 500, 501):
        return False
    text = str(exc).lower()
    return "response_format" in text or "json_schema" in text or "schema" in text


def _context_too_long(exc: BaseException) -> bool:
    if not isinstance(exc, openai.BadRequestError):
        return False
    text = f"{getattr(exc, 'code', '')} {exc}".lower()
    return "context_length" in text or "maximum context" in text or "context window" in text


def _retry_after(exc: BaseException | None) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return max(0.0, float(raw) * scale)
        except ValueError:
            continue
    return None


class _StopAtDeadline(stop_base):
    """Stop retrying when too little time is left for another attempt."""

    def __init__(self, deadline: float) -> None:
        self._deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        return time.monotonic() >= self._deadline - MIN_ATTEMPT


def _tokens(body: bytes) -> int:
    """usage.total_tokens of a chat completion body; 0 if the server did not say."""
    try:
        total = json.loads(body)["usage"]["total_tokens"]
    except (ValueError, KeyError, TypeError):
        return 0
    return total if isinstance(total, int) and total > 0 else 0


def _reply(body: bytes, fallback_model: str) -> tuple[str, str, str]:
    """(text, finish_reason, model) from a chat completion body, read leniently."""
    try:
        data = json.loads(body)
        choice = data["choices"][0]
        text = choice["message"].get("content") or ""
        finish = choice.get("finish_reason") or "unknown"
        model = data.get("model") or fallback_model
        _count_tokens(data.get("usage"))
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise BadOutput("not a chat completion") from exc
    if not isinstance(text, str) or not isinstance(model, str):
        raise BadOutput("not a chat completion")
    return text, str(finish), model


def _count_tokens(usage: Any) -> None:
    """Tokens the server says it used (absent from some OpenAI-compatible servers)."""
    if not isinstance(usage, dict):
        return
    for kind in ("prompt_tokens", "completion_tokens"):
        value = usage.get(kind)
        if isinstance(value, int) and value >= 0:
            metrics.LLM_TOKENS.labels(kind.removesuffix("_tokens")).inc(value)


class OpenAIChatModel:
    """ChatModel over the openai client (any OpenAI-compatible endpoint)."""

    def __init__(
        self,
        *,
        model: str,
        api_key: str,
        base_url: str | None = None,
        azure_endpoint: str | None = None,
        api_version: str | None = None,
        attempt_timeout: float = 20.0,
        max_attempts: int = 3,
        response_format: str = "auto",
        max_tokens: int = 250,
        max_in_flight: int = 32,
    ) -> None:
        self.name = model
        self._attempt_timeout = attempt_timeout  # wall-clock cap on one attempt, body included
        self._max_attempts = max_attempts
        self._format = response_format  # "auto" tries json_schema, then json_object
        self._max_tokens = max_tokens
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._client: openai.OpenAI
        if azure_endpoint:
            self._client = openai.AzureOpenAI(
                api_key=api_key,
                azure_endpoint=azure_endpoint,
                api_version=api_version or "2024-10-21",
                max_retries=0,
            )
        else:
            self._client = openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=0)

    @property
    def response_format(self) -> str:
        """The structured-output mode in use: 'auto' until a server refuses json_schema."""
        return self._format

    def complete(
        self, messages: list[Message], *, schema: dict[str, Any], deadline: float
    ) -> Reply:
        """One reply as JSON text by `deadline`; raises LLMUnavailable, ContextTooLong or BadOutput."""
        attempts = 0

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            delay = _retry_after(exc)
            if delay is None:
                delay = wait_random_exponential(multiplier=0.5, max=4)(state)
            return min(delay, MAX_RETRY_AFTER, max(0.0, deadline - time.monotonic() - MIN_ATTEMPT))

        retrying = Retrying(
            stop=stop_after_attempt(self._max_attempts) | _StopAtDeadline(deadline),
            wait=wait,
            retry=retry_if_exception(_transient),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    attempts += 1
                    body = self._attempt(messages, schema, deadline)
        except (openai.APIError, AttemptTimedOut) as exc:
            if _context_too_long(exc):
                raise ContextTooLong(str(exc.__class__.__name__)) from exc
            log.warning(
                "llm call failed", extra={"error": exc.__class__.__name__, "attempts": attempts}
            )
            raise LLMUnavailable(exc.__class__.__name__) from exc

        tokens = _tokens(body)
        try:
            text, finish, model = _reply(body, self.name)
            if finish in ("length", "content_filter"):
                raise BadOutput(f"finish_reason={finish}")
            if not text.strip():
                raise BadOutput("empty content")
        except BadOutput as exc:
            exc.tokens = tokens  # spent all the same: the budget counts them
            raise
        return Reply(text=text, finish_reason=finish, model=model, attempts=attempts, tokens=tokens)

    def _attempt(self, messages: list[Message], schema: dict[str, Any], deadline: float) -> bytes:
        """One counted attempt: its outcome is "ok" or the exception's class."""
        try:
            body = self._create(messages, schema, deadline)
        except Exception as exc:
            metrics.LLM_ATTEMPTS.labels(metrics.bounded(exc.__class__.__name__)).inc()
            raise
        metrics.LLM_ATTEMPTS.labels("ok").inc()
        return body

    def _create(self, messages: list[Message], schema: dict[str, Any], deadline: float) -> bytes:
        """One attempt: json_schema, or json_object if the server refuses it; the raw body."""
        until = min(deadline, time.monotonic() + self._attempt_timeout)
        kwargs: dict[str, Any] = {
            "model": self.name,
            "messages": [m.as_dict() for m in messages],
            "temperature": 0.2,
            "max_tokens": self._max_tokens,
        }
        if self._format in ("auto", "json_schema"):
            try:
                return self._post(
                    kwargs
                    | {
                        "response_format": {
                            "type": "json_schema",
                            "json_schema": {
                                "name": "pathfinder_answer",
                                "schema": schema,
                                "strict": False,
                            },
                        }
                    },
                    until,
                )
            except openai.APIStatusError as exc:
                if self._format == "json_schema" or not _format_refused(exc):
                    raise
                log.info("server refused json_schema; using json_object from now on")
                self._format = "json_object"
        return self._post(
            kwargs | {"response_format": {"type": "json_object", "schema": schema}}, until
        )

    def _post(self, kwargs: dict[str, Any], until: float) -> bytes:
        """One HTTP request, finished by `until` (wall clock) or abandoned."""
        if until - time.monotonic() <= 0:
            raise AttemptTimedOut()

        def work(attempt: Attempt) -> bytes:
            # The SDK's own timeouts bound connecting and each read; the clock bounds the rest.
            timeout = max(0.01, until - time.monotonic())
            create: Any = self._client.chat.completions.with_streaming_response.create
            with create(**kwargs, timeout=timeout) as response:
                attempt.hold(response.http_response)
                return _read(response, until, attempt)

        return Attempt(work, self._slots).run(until)


def _read(response: Any, until: float, attempt: Attempt) -> bytes:
    """The body, chunk by chunk, checking the clock; transport errors become APIConnectionError."""
    body = bytearray()
    try:
        for chunk in response.iter_bytes():
            body += chunk
            if attempt.abandoned or time.monotonic() >= until:
                raise AttemptTimedOut()
            if len(body) > MAX_BODY:
                raise BadOutput("response body too large")
    except (AttemptTimedOut, BadOutput):
        raise
    except Exception as exc:  # reset, read timeout, or our own shutdown at the deadline
        raise openai.APIConnectionError(request=response.http_request) from exc
    return bytes(body)
