"""The composition root: `build(settings)` makes the Services every front door uses (the CLI,
Slack, the job worker and the eval). The one place that chooses offline or a model, and the one
place the database is made ready."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.answering.phrasing import ModelResponder, OfflineResponder, Responder
from bot.answering.service import Pathfinder
from bot.catalogue.loader import load_catalogue, read_catalogue
from bot.catalogue.tables import CatalogueMeta
from bot.db import make_engine, migrate
from bot.jobs.local import WorkerPool
from bot.memory.limits import RateLimiter
from bot.prompts import load_prompt
from bot.services import Services
from bot.settings import Settings


def ready_engine(settings: Settings) -> Engine:
    """The configured database, migrated to the newest schema, the catalogue loaded if absent."""
    engine = make_engine(settings.database_url)
    migrate(engine)
    with Session(engine) as session:
        if session.get(CatalogueMeta, "version") is None:
            bundle = read_catalogue(settings.knowledge_dir)
            load_catalogue(bundle, session=session, use_geonames=settings.use_geonames)
    return engine


def build_responder(settings: Settings) -> Responder:
    """The offline responder by default; an OpenAI-compatible model when configured."""
    if settings.llm == "offline":
        return OfflineResponder()
    # Imported here: the openai package takes a second to import and offline runs never need it.
    from bot.llm.openai_model import OpenAIChatModel

    assert settings.openai_api_key is not None  # guaranteed by Settings validation
    model = OpenAIChatModel(
        model=settings.openai_model,
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        azure_endpoint=settings.azure_openai_endpoint,
        api_version=settings.openai_api_version,
        attempt_timeout=settings.openai_timeout,
        max_attempts=settings.llm_max_attempts,
        response_format=settings.openai_response_format,
    )
    return ModelResponder(
        model, deadline_s=settings.llm_deadline, prompt=load_prompt("answer", settings.prompts_dir)
    )


def build(
    settings: Settings,
    *,
    engine: Engine | None = None,
    responder: Responder | None = None,
    today: Callable[[], date] | None = None,
) -> Services:
    """Everything a front door needs, on the configured (or given) database and responder."""
    engine = engine or ready_engine(settings)
    return Services(
        settings=settings,
        engine=engine,
        pathfinder=Pathfinder(
            engine, responder=responder or build_responder(settings), today=today or date.today
        ),
        workers=WorkerPool(workers=settings.workers, max_queue=settings.max_queue),
        limiter=RateLimiter(limit=settings.questions_per_minute),
    )


def slack(services: Services, *, slack_client: Any = None, socket_mode: bool = False) -> Any:
    """The Slack app on `services` (bot.slack is imported here and nowhere else)."""
    from bot.slack.app import create_app

    return create_app(services, slack_client=slack_client, socket_mode=socket_mode)


def serve(
    settings: Settings, *, socket_mode: bool, host: str, port: int, say: Callable[[str], None]
) -> int:
    """Run the Slack app until SIGTERM, then drain: Socket Mode, or HTTP on host:port."""
    if socket_mode:
        return _serve_socket(settings, say)
    from bot.slack.http import SlackWSGI
    from bot.slack.server import PathfinderServer

    settings.require_slack(socket_mode=False)
    ready_engine(settings).dispose()  # migrate once, before the worker forks

    def make_app() -> SlackWSGI:  # in the worker process
        services = build(settings, engine=make_engine(settings.database_url))
        services.pathfinder.warm()  # before the first request, not during it
        return SlackWSGI(slack(services))

    say(f"listening on http://{host}:{port}/slack/events (GET /livez, /readyz, /metrics)")
    PathfinderServer(settings, make_app, host=host, port=port).run()
    return 0


def _serve_socket(settings: Settings, say: Callable[[str], None]) -> int:
    """Socket Mode, with /livez, /readyz and /metrics on the health port."""
    from bot.observability.health import start_health_server
    from bot.slack.app import exit_drained, socket_handler

    assert settings.slack_app_token is not None
    app = slack(build(settings), socket_mode=True)
    app.services.pathfinder.warm()
    stop = threading.Event()

    def on_signal(*_: Any) -> None:
        if stop.is_set():
            os._exit(1)  # a second Ctrl-C: stop now, without the drain
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    socket_handler(app, settings.slack_app_token.get_secret_value()).connect()
    health = start_health_server(app.readiness, port=settings.health_port)
    say(f"connected to Slack in Socket Mode (health on port {settings.health_port}); Ctrl-C to stop")
    while not stop.wait(1.0):
        pass
    app.drain(time.monotonic() + settings.drain_seconds)
    health.stop()
    exit_drained()
