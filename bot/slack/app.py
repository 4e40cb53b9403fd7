"""The Slack app: `create_app(services)` registers every listener on a Bolt app; nothing is
built at import time. `bot.app` is the only importer of this package."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.jobs.answers import Handler
from bot.observability import metrics
from bot.observability.health import database_ready
from bot.observability.logs import ContextThreadPool, Trace, traced
from bot.services import Services
from bot.settings import Settings
from bot.slack.listeners import register
from bot.slack.listeners.messages import abandoned, answer_request, question_of
from bot.slack.listeners.post import Poster
from bot.slack.once import answer_once

log = logging.getLogger(__name__)


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
    listeners: ContextThreadPool
    socket: Any = None  # the Socket Mode handler, once connected
    draining: threading.Event = field(default_factory=threading.Event)

    def readiness(self) -> dict[str, bool]:
        """Ready to take Slack's requests: database and catalogue, the socket, not draining."""
        checks = database_ready(self.services.engine)
        if self.socket is not None:
            checks["socket"] = bool(self.socket.client.is_connected())
        checks["accepting"] = not self.draining.is_set()
        return checks

    def drain(self, deadline: float) -> int:
        """Stop taking work and finish what was taken by `deadline` (monotonic); questions not
        answered by then get an apology in their thread. Returns how many were apologised for."""
        self.draining.set()
        if self.socket is not None:
            self.socket.close()  # Slack sends new envelopes to the other connections
        # Listeners still running were acked: let them claim and queue their question.
        _join(lambda: self.listeners.shutdown(wait=True), deadline - time.monotonic())
        leftovers = self.services.workers.drain(deadline - time.monotonic())
        for abandon in leftovers:
            try:
                abandon()
            except Exception as exc:  # noqa: BLE001 - one failed apology must not stop the rest
                log.warning("shutdown apology failed", extra={"error": exc.__class__.__name__})
        metrics.DRAIN_LEFTOVERS.inc(len(leftovers))
        log.info("drained", extra={"apologised": len(leftovers)})
        return len(leftovers)

    def close(self) -> None:
        self.listeners.shutdown(wait=False)
        self.services.close()


def exit_drained() -> NoReturn:
    """End the process now that the drain is over. A normal exit would wait for answers still
    running (Python joins pool threads at exit) and post them after their apology."""
    logging.shutdown()
    os._exit(0)


def _join(work: Callable[[], None], timeout: float) -> None:
    """Run `work` on a daemon thread and wait for it at most `timeout` seconds."""
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(max(0.0, timeout))


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
    services: Services, *, slack_client: WebClient | None = None, socket_mode: bool = False
) -> SlackApp:
    """The Bolt app with every listener registered, answering on the services' worker pool."""
    settings = services.settings
    settings.require_slack(socket_mode=socket_mode)
    quiet_bolt_logs()
    client = slack_client or web_client(settings)
    signing = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    # Listeners only claim, set a status and enqueue; Bolt's default five threads would make
    # them queue behind slow Slack calls in a burst. They run in the request's trace.
    listeners = ContextThreadPool(max_workers=settings.workers, thread_name_prefix="bolt-listener")
    bolt = App(
        client=client,
        signing_secret=signing,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        listener_executor=listeners,
    )
    bot_user_id = str(client.auth_test().get("user_id") or "")
    register(bolt, services, bot_user_id=bot_user_id)
    poster = Poster(client)
    services.answers.bind(
        answer_handler(services, client),
        lambda request: abandoned(question_of(request), poster, request.placeholder),
    )
    metrics.watch_queue(services.answers.waiting)
    return SlackApp(bolt=bolt, services=services, client=client, listeners=listeners)


def answer_handler(services: Services, client: WebClient, *, once: bool = False) -> Handler:
    """What answers a handed-over question: on the queue's workers `once` (at most one reply,
    however often the job runs: bot/slack/once.py), in process as it comes."""
    poster = Poster(client)
    if once:
        return lambda request: answer_once(request, poster, services)
    return lambda request: answer_request(request, poster, services)


def socket_handler(app: SlackApp, app_token: str) -> Any:
    """Socket Mode: the same listeners over Slack's WebSocket, using our configured WebClient.
    Each envelope is served under its own trace, and its ack time measured."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    class Traced(SocketModeHandler):
        def handle(self, client: Any, req: Any) -> None:
            with traced(Trace()) as trace:
                super().handle(client, req)
                elapsed = time.monotonic() - trace.started
                trace.ack_ms = round(elapsed * 1000, 1)
                metrics.ACK_SECONDS.labels("socket").observe(elapsed)

    handler = Traced(app.bolt, app_token, web_client=app.client, concurrency=8)
    app.socket = handler
    return handler
