"""The OpenAI adapter: the only module that imports `openai`.

One retry layer and one clock. The client is built with max_retries=0; tenacity retries only
connection errors, 429 (honouring Retry-After) and 5xx, at most `max_attempts` times, with
exponential backoff and jitter, and never past the caller's deadline. Everything else fails fast.
Works with OpenAI, Azure OpenAI and OpenAI-compatible servers (vLLM, Ollama, llama.cpp).

The deadline is wall-clock time for the whole call, response body included. Per-read timeouts
cannot give that: each byte of a trickling body restarts them, and one answer took 302 s. So each
attempt runs on a worker thread and the caller waits for it with a hard timeout (the attempt's
share of the deadline). On expiry the caller shuts the attempt's socket down, which wakes the
worker at once, and the worker closes the response it opened. The worker also checks the clock
between chunks, and workers are capped per model, so a stuck server can't pile up threads or
sockets.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable
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
MAX_BODY = 1_000_000  # bytes; a chat completion of a few hundred tokens is a few kilobytes
MIN_ATTEMPT = 0.5  # seconds: no new attempt (or retry) with less of the deadline left


class AttemptTimedOut(Exception):
    """An attempt used up its share of the deadline and was abandoned."""


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


class _Attempt:
    """One HTTP request on a worker thread, which the caller abandons at its time limit.

    Only the worker touches the HTTP client and response; the caller touches only the operating
    system's socket (shutdown is safe from any thread), so nothing in httpx is shared unsafely.
    """

    def __init__(self, work: Callable[[_Attempt], bytes], slots: threading.Semaphore) -> None:
        self._work = work
        self._slots = slots
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._abandoned = False
        self._body = b""
        self._error: BaseException | None = None

    def run(self, until: float) -> bytes:
        """The response body, or the attempt's error; AttemptTimedOut at `until`."""
        if not self._slots.acquire(timeout=max(0.0, until - time.monotonic())):
            raise LLMUnavailable("too many model calls still in flight")
        try:
            threading.Thread(target=self._main, name="pathfinder-llm-attempt", daemon=True).start()
        except BaseException:
            self._slots.release()
            raise
        if not self._done.wait(max(0.0, until - time.monotonic())):
            self.abandon()
            raise AttemptTimedOut()
        if self._error is not None:
            raise self._error
        return self._body

    def _main(self) -> None:
        try:
            self._body = self._work(self)
        except BaseException as exc:  # handed to the caller, or dropped if it has gone
            self._error = exc
        finally:
            self._slots.release()
            self._done.set()

    @property
    def abandoned(self) -> bool:
        return self._abandoned

    def hold(self, http_response: Any) -> None:
        """Keep the response's socket so abandon() can cut it; cut at once if already abandoned."""
        stream = getattr(http_response, "extensions", {}).get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return  # another transport: the clock checks between chunks still apply
        with self._lock:
            self._sock = sock
            late = self._abandoned
        if late:
            _shutdown(sock)

    def abandon(self) -> None:
        with self._lock:
            self._abandoned = True
            sock = self._sock
        if sock is not None:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    """Wake any thread blocked reading this socket; the worker then closes it."""
    try:
        # The plain socket's method, also for TLS sockets: SSLSocket.shutdown would unset its
        # SSL object under the worker's feet.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed or never connected


def _reply(body: bytes, fallback_model: str) -> tuple[str, str, str]:
    """(text, finish_reason, model) from a chat completion body, read leniently."""
    try:
        data = json.loads(body)
        choice = data["choices"][0]
        text = choice["message"].get("content") or ""
        finish = choice.get("finish_reason") or "unknown"
        model = data.get("model") or fallback_model
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise BadOutput("not a chat completion") from exc
    if not isinstance(text, str) or not isinstance(model, str):
        raise BadOutput("not a chat completion")
    return text, str(finish), model


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
                    body = self._create(messages, schema, deadline)
        except (openai.APIError, AttemptTimedOut) as exc:
            if _context_too_long(exc):
                raise ContextTooLong(str(exc.__class__.__name__)) from exc
            log.warning(
                "llm call failed", extra={"error": exc.__class__.__name__, "attempts": attempts}
            )
            raise LLMUnavailable(exc.__class__.__name__) from exc

        text, finish, model = _reply(body, self.name)
        if finish in ("length", "content_filter"):
            raise BadOutput(f"finish_reason={finish}")
        if not text.strip():
            raise BadOutput("empty content")
        return Reply(text=text, finish_reason=finish, model=model, attempts=attempts)

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

        def work(attempt: _Attempt) -> bytes:
            # The SDK's own timeouts bound connecting and each read; the clock bounds the rest.
            timeout = max(0.01, until - time.monotonic())
            create: Any = self._client.chat.completions.with_streaming_response.create
            with create(**kwargs, timeout=timeout) as response:
                attempt.hold(response.http_response)
                return _read(response, until, attempt)

        return _Attempt(work, self._slots).run(until)


def _read(response: Any, until: float, attempt: _Attempt) -> bytes:
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
