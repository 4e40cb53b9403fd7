"""The Slack app: `create_app(services)` registers every listener on a Bolt app; nothing is
built at import time. `bot.app` is the only importer of this package."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.jobs.answers import Handler
from bot.services import Services
from bot.settings import Settings
from bot.slack.listeners import register
from bot.slack.listeners.messages import answer_request
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

    def close(self) -> None:
        self.services.close()


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
    bolt = App(
        client=client,
        signing_secret=signing,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        # Listeners only claim, set a status and enqueue; Bolt's default five threads would make
        # them queue behind slow Slack calls in a burst.
        listener_executor=ThreadPoolExecutor(
            max_workers=settings.workers, thread_name_prefix="bolt-listener"
        ),
    )
    bot_user_id = str(client.auth_test().get("user_id") or "")
    register(bolt, services, bot_user_id=bot_user_id)
    services.answers.bind(answer_handler(services, client))
    return SlackApp(bolt=bolt, services=services, client=client)


def answer_handler(services: Services, client: WebClient, *, once: bool = False) -> Handler:
    """What answers a handed-over question: on the queue's workers `once` (at most one reply,
    however often the job runs: bot/slack/once.py), in process as it comes."""
    poster = Poster(client)
    if once:
        return lambda request: answer_once(request, poster, services)
    return lambda request: answer_request(request, poster, services)


def socket_handler(app: SlackApp, app_token: str) -> Any:
    """Socket Mode: the same listeners over Slack's WebSocket, using our configured WebClient."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app.bolt, app_token, web_client=app.client, concurrency=8)
