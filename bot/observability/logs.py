"""JSON log lines, and the trace that ties one Slack request to its answer.

Each line is one JSON object: ts (ISO 8601, UTC), level, event, logger, the correlation id of the
request or job being served, and the `extra` fields the call gave (counts, codes, timings). A
traceback is reduced to the exception's class and where it happened: exception messages can quote
a person's words, so they are never written.
"""

from __future__ import annotations

import contextvars
import json
import logging
import secrets
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, TypeVar

T = TypeVar("T")

_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


@dataclass
class Trace:
    """One Slack request or job: its correlation id and when it began (monotonic seconds).

    Shared by reference: the listener and answer threads see the ack time the request thread
    records later."""

    id: str = field(default_factory=lambda: secrets.token_hex(8))
    started: float = field(default_factory=time.monotonic)
    ack_ms: float | None = None
    first_response_ms: float | None = None

    def elapsed_ms(self) -> float:
        return round((time.monotonic() - self.started) * 1000, 1)


_TRACE: ContextVar[Trace | None] = ContextVar("pathfinder_trace", default=None)


def current() -> Trace | None:
    """The trace of the request or job this thread is serving, if any."""
    return _TRACE.get()


@contextmanager
def traced(trace: Trace | None = None) -> Iterator[Trace]:
    """Serve one request or job under `trace` (a new one by default)."""
    trace = trace or Trace()
    token = _TRACE.set(trace)
    try:
        yield trace
    finally:
        _TRACE.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
            "logger": record.name,
        }
        trace = current()
        if trace is not None:
            entry["correlation_id"] = trace.id
        entry.update(
            (k, v) for k, v in record.__dict__.items() if k not in _STANDARD and k not in entry
        )
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            frames = traceback.extract_tb(exc.__traceback__)[-4:]
            entry["error"] = exc.__class__.__name__
            entry["where"] = " <- ".join(f"{f.name}:{f.lineno}" for f in reversed(frames))
        return json.dumps(entry, default=str, ensure_ascii=False)


class _Ours(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler `configure` installed, so a second call replaces it."""


def configure(level: str, *, stream: IO[str] | None = None) -> None:
    """JSON lines on stderr at `level`; leaves handlers others installed (a test's capture) alone."""
    root = logging.getLogger()
    if any(not isinstance(h, _Ours) for h in root.handlers):
        return  # someone else (pytest) owns the output: as logging.basicConfig does
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = _Ours(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())


class ContextThreadPool(ThreadPoolExecutor):
    """A thread pool whose tasks run in a copy of the submitter's context (its trace)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)
