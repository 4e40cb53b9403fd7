"""The WSGI application HTTP mode serves: Bolt's WSGI adapter behind a small middleware.

POST /slack/events goes to Bolt (events, commands, interactivity); GET /livez, /readyz (and
/healthz, its old name) and /metrics answer health and metrics; anything else is 404. The body
limit is enforced before a byte is read: an invalid Content-Length is 400, a larger one 413, and
a chunked body is read only to the limit plus one byte. An unread body is the server's to
discard (gunicorn drains a little and closes the connection past that), so keep-alive stays
correct after a 404 or 413. bot/slack/server.py runs this under gunicorn; the tests drive the
very same callable.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.observability import metrics
from bot.observability.health import HEALTH_PATHS, Readiness, health, respond
from bot.observability.logs import Trace, traced
from bot.slack.app import SlackApp

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS = "/slack/events"
MAX_BODY = 1_000_000  # bytes; Slack's largest payloads (views with many blocks) are far smaller


class SlackWSGI:
    """One Slack app as a WSGI application."""

    def __init__(self, app: SlackApp) -> None:
        self.app = app
        self._bolt = SlackRequestHandler(app.bolt, path=EVENTS)
        self._ready: Readiness = app.readiness

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD") or "GET"
        if path == EVENTS:
            if method != "POST":
                return _not_allowed(start_response, "POST")
            return self._events(environ, start_response)
        if path in HEALTH_PATHS:
            if method != "GET":
                return _not_allowed(start_response, "GET")
            return health(path, start_response, self._ready)
        return respond(start_response, 404, b'{"error": "not found"}')

    def _events(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.app.draining.is_set():  # Slack retries a 503, and reaches another replica
            return respond(start_response, 503, b'{"error": "shutting down"}')
        with traced(Trace()) as trace:
            body = _bounded_body(environ)
            if isinstance(body, int):
                message = b'{"error": "too large"}' if body == 413 else b'{"error": "bad request"}'
                return respond(start_response, body, message)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            try:
                return self._bolt(environ, start_response)
            except Exception as exc:  # noqa: BLE001 - malformed input never crashes the server
                log.warning("request could not be dispatched", extra={"error": exc.__class__.__name__})
                return respond(start_response, 400, b'{"error": "bad request"}')
            finally:
                elapsed = time.monotonic() - trace.started
                trace.ack_ms = round(elapsed * 1000, 1)
                metrics.ACK_SECONDS.labels("http").observe(elapsed)


def _bounded_body(environ: WSGIEnvironment) -> bytes | int:
    """The request body, or the status refusing it, never reading more than MAX_BODY + 1 bytes."""
    stream = environ["wsgi.input"]
    declared = environ.get("CONTENT_LENGTH")
    if declared not in (None, ""):
        if not str(declared).isdigit():  # negative, signed, spaced or not a number
            return 400
        length = int(declared)
        if length > MAX_BODY:
            return 413
        body: bytes = stream.read(length)
        return body if len(body) == length else 400
    if "chunked" in (environ.get("HTTP_TRANSFER_ENCODING") or "").lower():
        body = stream.read(MAX_BODY + 1)
        return 413 if len(body) > MAX_BODY else body
    return b""


def _not_allowed(start_response: StartResponse, allow: str) -> list[bytes]:
    return respond(
        start_response, 405, b'{"error": "method not allowed"}', headers=[("Allow", allow)]
    )
