"""The OpenAI adapter: the only module that imports `openai`.

One retry layer: the client is built with max_retries=0 and tenacity retries only connection
errors, 429 (honouring Retry-After) and 5xx, at most `max_attempts` times, each attempt bounded
by a per-attempt timeout and all of them by an overall deadline. Everything else fails fast.
Works with OpenAI, Azure OpenAI and OpenAI-compatible servers (vLLM, Ollama, llama.cpp).
"""

from __future__ import annotations

import logging
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

log = logging.getLogger(__name__)

MAX_RETRY_AFTER = 10.0


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.RateLimitError):
        return True
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
        return time.monotonic() >= self._deadline - 0.5


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
    ) -> None:
        self.name = model
        self._attempt_timeout = attempt_timeout
        self._max_attempts = max_attempts
        self._format = response_format  # "auto" tries json_schema, then json_object
        self._max_tokens = max_tokens
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
        """One reply as JSON text; raises LLMUnavailable, ContextTooLong or BadOutput."""
        attempts = 0

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            delay = _retry_after(exc)
            if delay is None:
                delay = wait_random_exponential(multiplier=0.5, max=4)(state)
            return min(delay, MAX_RETRY_AFTER, max(0.0, deadline - time.monotonic() - 0.5))

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
                    response = self._create(messages, schema, deadline)
        except openai.APIError as exc:
            if _context_too_long(exc):
                raise ContextTooLong(str(exc.__class__.__name__)) from exc
            log.warning(
                "llm call failed", extra={"error": exc.__class__.__name__, "attempts": attempts}
            )
            raise LLMUnavailable(exc.__class__.__name__) from exc

        choice = response.choices[0]
        finish = choice.finish_reason or "unknown"
        text = choice.message.content or ""
        if finish in ("length", "content_filter"):
            raise BadOutput(f"finish_reason={finish}")
        if not text.strip():
            raise BadOutput("empty content")
        return Reply(
            text=text, finish_reason=finish, model=response.model or self.name, attempts=attempts
        )

    def _create(self, messages: list[Message], schema: dict[str, Any], deadline: float) -> Any:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LLMUnavailable("deadline passed before the attempt")
        timeout = min(self._attempt_timeout, remaining)
        kwargs: dict[str, Any] = {
            "model": self.name,
            "messages": [m.as_dict() for m in messages],
            "temperature": 0.2,
            "max_tokens": self._max_tokens,
            "timeout": timeout,
        }
        create: Any = self._client.chat.completions.create  # the SDK's overloads don't fit dicts
        if self._format in ("auto", "json_schema"):
            try:
                return create(
                    **kwargs,
                    response_format={
                        "type": "json_schema",
                        "json_schema": {
                            "name": "pathfinder_answer",
                            "schema": schema,
                            "strict": False,
                        },
                    },
                )
            except openai.APIStatusError as exc:
                if self._format == "json_schema" or not _format_refused(exc):
                    raise
                log.info("server refused json_schema; using json_object from now on")
                self._format = "json_object"
        return create(**kwargs, response_format={"type": "json_object", "schema": schema})
