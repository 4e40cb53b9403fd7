"""Wiring: `create_app(settings, ...)` builds everything; nothing is built at import time."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from sqlalchemy.engine import Engine

from bot.answering.phrasing import Responder
from bot.answering.service import Pathfinder
from bot.catalogue.snapshot import CatalogueCache
from bot.settings import Settings
from bot.slack import interests as interest_listeners
from bot.slack.listeners import register
from bot.slack.services import Services
from bot.slack.worker import RateLimiter, WorkerPool
from bot.wiring import build_responder

log = logging.getLogger(__name__)
MAX_BODY = 1_000_000


class _NoRequestBodies(logging.Filter):
    """Bolt logs a rejected request's whole body at INFO; bodies hold people's messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR and "body" not in record.getMessage()


def quiet_bolt_logs() -> None:
    verification = logging.getLogger("slack_bolt.RequestVerification")
    verification.setLevel(logging.ERROR)
    if not any(isinstance(f, _NoRequestBodies) for f in verification.filters):
        verification.addFilter(_NoRequestBodies())


@dataclass
class SlackApp:
    bolt: App
    services: Services
    client: WebClient

    def close(self) -> None:
        self.services.workers.shutdown(wait=False)


def web_client(settings: Settings) -> WebClient:
    """A WebClient that waits out 429s (Retry-After) and retries dropped connections, boundedly."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    kwargs: dict[str, Any] = {"token": token, "timeout": 10}
    if settings.slack_api_base_url:
        kwargs["base_url"] = settings.slack_api_base_url.rstrip("/") + "/"
    client = WebClient(**kwargs)
    client.retry_handlers = [
        ConnectionErrorRetryHandler(max_retry_count=1),
        RateLimitErrorRetryHandler(max_retry_count=3),
    ]
    return client


def create_app(
    settings: Settings,
    *,
    engine: Engine,
    slack_client: WebClient | None = None,
    responder: Responder | None = None,
    socket_mode: bool = False,
) -> SlackApp:
    """The Bolt app with every listener registered, on a bounded worker pool."""
    settings.require_slack(socket_mode=socket_mode)
    quiet_bolt_logs()
    client = slack_client or web_client(settings)
    signing = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    bolt = App(
        client=client,
        signing_secret=signing,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        # Listeners only claim, post a placeholder and enqueue; Bolt's default five threads
        # would make placeholders queue behind slow Slack calls in a burst.
        listener_executor=ThreadPoolExecutor(
            max_workers=settings.workers, thread_name_prefix="bolt-listener"
        ),
    )
    bot_user_id = str(client.auth_test().get("user_id") or "")
    services = Services(
        service=Pathfinder(engine, responder=responder or build_responder(settings)),
        engine=engine,
        workers=WorkerPool(workers=settings.workers, max_queue=settings.max_queue),
        limiter=RateLimiter(limit=settings.questions_per_minute),
        bot_user_id=bot_user_id,
        shared={},
        interest_retention_days=settings.interest_retention_days,
        coordinator_channels=dict(settings.coordinator_channels),
    )
    register(bolt, services)
    interest_listeners.register(bolt, services)
    return SlackApp(bolt=bolt, services=services, client=client)


def http_server(app: SlackApp, engine: Engine, *, host: str, port: int) -> ThreadingHTTPServer:
    """POST /slack/events (events, commands, interactivity) and GET /healthz, on many threads."""
    catalogue = CatalogueCache(engine)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # the default logs paths and addresses only
            pass

        def do_GET(self) -> None:
            if urlsplit(self.path).path != "/healthz":
                return self._send(404, b'{"error": "not found"}')
            try:
                body = json.dumps(
                    {"ok": True, "catalogue_version": catalogue.get().version}
                ).encode()
                self._send(200, body)
            except Exception:  # noqa: BLE001 - unhealthy, not a crash
                self._send(503, b'{"ok": false}')

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != "/slack/events":
                return self._send(404, b'{"error": "not found"}')
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                return self._send(413, b'{"error": "too large"}')
            raw = self.rfile.read(length).decode("utf-8", "replace")
            headers: dict[str, str | Sequence[str]] = {
                k.lower(): v for k, v in self.headers.items()
            }
            try:
                response = app.bolt.dispatch(
                    BoltRequest(body=raw, query=parts.query, headers=headers)
                )
            except Exception:  # noqa: BLE001 - malformed input never crashes the server
                log.warning("request could not be dispatched")
                return self._send(400, b'{"error": "bad request"}')
            body = (response.body or "").encode()
            extra = {
                k: v[0]
                for k, v in response.headers.items()
                if k.lower() not in ("content-length",) and v
            }
            self._send(response.status, body, extra)

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            headers = headers or {"content-type": "application/json"}
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = _Server((host, port), Handler)
    server.daemon_threads = True
    return server


class _Server(ThreadingHTTPServer):
    # The default listen backlog of 5 drops connections in a burst of Slack deliveries, and the
    # dropped ones come back a second later: past the 3 s budget under load.
    request_queue_size = 256


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


def socket_handler(app: SlackApp, app_token: str) -> Any:
    """Socket Mode: the same listeners over Slack's WebSocket, using our configured WebClient."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app.bolt, app_token, web_client=app.client, concurrency=8)
