"""The composition root: `build(settings)` makes the Services every front door uses (the CLI,
Slack, the job worker and the eval). The one place that chooses offline or a model, and the one
place the database is made ready."""

from __future__ import annotations

import logging
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
from bot.answering.reader import ModelReader
from bot.answering.service import Pathfinder
from bot.catalogue.loader import load_catalogue, read_catalogue
from bot.catalogue.tables import CatalogueMeta
from bot.db import checkpoint, make_engine, migrate, pool_size_for, write_session
from bot.jobs.answers import Answers, InProcess
from bot.jobs.local import WorkerPool
from bot.llm.base import ChatModel
from bot.llm.budget import Budget
from bot.memory.limits import LLMBudget, RateLimiter
from bot.prompts import load_prompt
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)


def engine_for(settings: Settings) -> Engine:
    """The configured database, its pool sized for this process's threads."""
    pool = pool_size_for(workers=settings.workers, override=settings.db_pool_size)
    return make_engine(settings.database_url, pool_size=pool)


def ready_engine(settings: Settings) -> Engine:
    """The configured database, migrated to the newest schema, the catalogue loaded if absent."""
    engine = engine_for(settings)
    migrate(engine)
    if not _catalogue_loaded(engine):
        bundle = read_catalogue(settings.knowledge_dir)
        with write_session(engine) as session:
            if session.get(CatalogueMeta, "version") is None:  # another process may have won
                load_catalogue(bundle, session=session, use_geonames=settings.use_geonames)
        checkpoint(engine)
    return engine


def _catalogue_loaded(engine: Engine) -> bool:
    with Session(engine) as session:
        return session.get(CatalogueMeta, "version") is not None


def build_responder(
    settings: Settings, budget: Budget | None = None, *, model: ChatModel | None = None
) -> Responder:
    """The offline responder by default; an OpenAI-compatible model when configured (`model`, or
    one built here), spending from `budget` (the deployment's shared LLM budget) when given."""
    chat = model or build_model(settings, budget)
    if chat is None:
        return OfflineResponder()
    return ModelResponder(
        chat, deadline_s=settings.llm_deadline, prompt=load_prompt("answer", settings.prompts_dir)
    )


def build_reader(settings: Settings, model: ChatModel | None) -> ModelReader | None:
    """The optional second reader (PATHFINDER_LLM_READER), on the same model and budget as the
    phrasing; None offline or when not asked for."""
    if model is None or not settings.llm_reader:
        return None
    return ModelReader(
        model, deadline_s=settings.llm_deadline, prompt=load_prompt("reader", settings.prompts_dir)
    )


def build_model(settings: Settings, budget: Budget | None = None) -> ChatModel | None:
    """The configured OpenAI-compatible model, spending from `budget` when given; None offline."""
    if settings.llm == "offline":
        return None
    # Imported here: the openai package takes a second to import and offline runs never need it.
    from bot.llm.budget import BudgetedModel
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
    return BudgetedModel(model, budget) if budget is not None else model


def build(
    settings: Settings,
    *,
    engine: Engine | None = None,
    responder: Responder | None = None,
    today: Callable[[], date] | None = None,
) -> Services:
    """Everything a front door needs, on the configured (or given) database and responder."""
    engine = engine or ready_engine(settings)
    workers = WorkerPool(workers=settings.workers, max_queue=settings.max_queue)
    budget = LLMBudget(engine, calls_per_minute=settings.llm_calls_per_minute,
                       tokens_per_day=settings.llm_tokens_per_day)  # fmt: skip
    model = build_model(settings, budget)  # one client, one budget: the phrasing and the reader
    return Services(
        settings=settings,
        engine=engine,
        pathfinder=Pathfinder(
            engine,
            responder=responder or build_responder(settings, model=model),
            reader=build_reader(settings, model),
            today=today or date.today,
        ),
        workers=workers,
        limiter=RateLimiter(engine, limit=settings.questions_per_minute),
        answers=build_answers(settings, engine, workers),
    )


def build_answers(settings: Settings, engine: Engine, workers: WorkerPool) -> Answers:
    """The one choice of where answers run: on PostgreSQL a durable queue that `pathfinder
    worker` processes answer; on SQLite (the embedded default) this process's worker pool."""
    if engine.dialect.name == "postgresql":
        from bot.jobs.queue import Queued  # procrastinate comes with the postgres extra

        return Queued(settings, engine)
    return InProcess(workers)


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
        services = build(settings, engine=engine_for(settings))
        services.pathfinder.warm()  # before the first request, not during it
        return SlackWSGI(slack(services))

    say(f"listening on http://{host}:{port}/slack/events (GET /livez, /readyz, /metrics)")
    PathfinderServer(settings, make_app, host=host, port=port).run()
    return 0


def worker(services: Services, *, say: Callable[[str], None], signals: bool = True, health_port: bool = True) -> int:  # fmt: skip
    """Answer questions from the queue until SIGTERM (or `services.answers.stop()`); how many
    answers were still running when the drain ended (already back on the queue)."""
    from bot.jobs.queue import Queued, worker_ready
    from bot.observability import metrics
    from bot.observability.health import database_ready, start_health_server
    from bot.slack.app import answer_handler, web_client

    queue = services.answers
    if not isinstance(queue, Queued):
        services.close()
        raise ValueError("pathfinder worker needs PostgreSQL (DATABASE_URL); on SQLite `serve` answers in process")  # fmt: skip
    settings = services.settings
    handler = answer_handler(services, web_client(settings), once=True)
    services.pathfinder.warm()  # before taking jobs: the first answers would wait seconds for it
    if settings.worker_stalled_seconds <= settings.drain_seconds:
        # A draining worker sends no heartbeats: others would take its answers mid-drain (no
        # duplicate reply, the question lock and claims see to that, but wasted work).
        log.warning("PATHFINDER_WORKER_STALLED_SECONDS should exceed PATHFINDER_DRAIN_SECONDS")
    metrics.watch_queue(queue.waiting)
    health = start_health_server(
        lambda: {**database_ready(services.engine), "worker": worker_ready()}, port=settings.health_port
    ) if health_port else None
    say(f"answering from the queue with {settings.workers} threads (health on port {settings.health_port}); SIGTERM to stop")  # fmt: skip
    try:
        return queue.run_worker(
            handler,
            stalled_seconds=settings.worker_stalled_seconds,
            drain_seconds=settings.drain_seconds,
            signals=signals,
        )
    finally:
        if health is not None:
            health.stop()
        services.close()


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
