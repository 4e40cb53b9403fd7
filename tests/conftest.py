"""Shared fixtures: real SQLite files and a real PostgreSQL database, never mocks."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from bot.answering.phrasing import ModelResponder
from bot.answering.reader import ModelReader
from bot.answering.service import Pathfinder
from bot.catalogue.loader import CatalogueBundle, load_catalogue, read_catalogue
from bot.catalogue.snapshot import Catalogue, read_snapshot
from bot.db import make_engine, migrate, normalise_url
from bot.llm.budget import BudgetedModel
from bot.llm.openai_model import OpenAIChatModel
from bot.memory.limits import LLMBudget

from .fakes.openai_server import FakeOpenAI
from .fakes.slack_server import FakeSlack
from .slack_harness import Running, start

ROOT = Path(__file__).resolve().parent.parent
# The labelled reading corpora: our own, then every unseen set (each unseen until its first run).
READING_CORPORA = [ROOT / "tests" / "data" / "profiles.jsonl",
                   *sorted((ROOT / "tests" / "data").glob("unseen_reading*.jsonl"))]  # fmt: skip
KNOWLEDGE = ROOT / "knowledge"
TODAY = date(2026, 11, 26)
PG_ENV = "PATHFINDER_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def bundle() -> CatalogueBundle:
    return read_catalogue(KNOWLEDGE)


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory, bundle: CatalogueBundle) -> Engine:
    path = tmp_path_factory.mktemp("db") / "pathfinder.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with Session(engine) as session:
        load_catalogue(bundle, session=session, use_geonames=True)
    return engine


def fresh_postgres() -> Iterator[Engine]:
    """A new, empty PostgreSQL database for the duration of a fixture, dropped afterwards."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests skipped: set {PG_ENV} (see .ci/run)")
    admin_url = make_url(normalise_url(url))
    name = f"pathfinder_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - the server is absent or refuses us
        pytest.skip(
            f"PostgreSQL tests skipped: cannot create a database at {admin_url.host}: {exc.__class__.__name__}"
        )
    engine = make_engine(admin_url.set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_engine(bundle: CatalogueBundle) -> Iterator[Engine]:
    for engine in fresh_postgres():
        migrate(engine)
        with Session(engine) as session:
            load_catalogue(bundle, session=session, use_geonames=True)
        yield engine


@pytest.fixture()
def empty_postgres() -> Iterator[Engine]:
    yield from fresh_postgres()


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The loaded catalogue on each real database backend."""
    return request.getfixturevalue(f"{request.param}_engine")  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def catalogue(sqlite_engine: Engine) -> Catalogue:
    with Session(sqlite_engine) as session:
        return read_snapshot(session)


@pytest.fixture(scope="session")
def service(sqlite_engine: Engine) -> Pathfinder:
    return Pathfinder(sqlite_engine, today=lambda: TODAY)


@pytest.fixture()
def fake_slack() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


def _sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'slack.db'}"
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:
        load_catalogue(read_catalogue(KNOWLEDGE), session=session, use_geonames=False)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated PostgreSQL database with the catalogue loaded, copied for each test."""
    for engine in fresh_postgres():
        migrate(engine)
        with Session(engine) as session:
            load_catalogue(read_catalogue(KNOWLEDGE), session=session, use_geonames=False)
        url = engine.url.render_as_string(hide_password=False)
        engine.dispose()  # a template may have no open connections while it is copied
        yield url


def _postgres_copy(template_url: str) -> Iterator[str]:
    template = make_url(template_url)
    name = f"pathfinder_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(normalise_url(os.environ[PG_ENV])), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"'))
    try:
        yield template.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database with the catalogue loaded, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield _sqlite_url(tmp_path)
        return
    yield from _postgres_copy(request.getfixturevalue("postgres_template"))


# -- The log canary: nothing personal reaches the logs, across the whole suite ----------------

# Seeded by the tests: people's names, their Slack ids, DM channels and the text of their messages.
CANARIES = (
    "Canary Nurse-5521",
    "Canary Person-4471",
    "Canary-Zebra-7731",
    "U0NURSE",
    "D0NURSE",
    "moving into informatics",
    "register my interest in FPT",
    "Canary Reader-3390",
    "U0CANARY",
    "D0CANARY",
    "canary question about informatics 8812",
)


def leaks(text: str) -> list[str]:
    """The canaries in `text`."""
    return [canary for canary in CANARIES if canary in text]


def rendered(record: logging.LogRecord) -> str:
    """Everything a handler could print for `record`: message, arguments, every attribute, and
    the traceback with its chained causes (where a database error would show bound values)."""
    text = record.getMessage() + " " + " ".join(map(str, record.__dict__.values()))
    if record.exc_info:
        text += logging.Formatter().formatException(record.exc_info)
    return text + (record.exc_text or "") + (record.stack_info or "")


class _Canary(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.leaks: list[str] = []
        self.seen = 0
        self.errors = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.seen += 1
        self.errors += record.levelno >= logging.ERROR
        try:
            text = rendered(record)
        except Exception:  # noqa: BLE001 - a malformed record is not a leak
            return
        self.leaks += [f"{record.name}: {canary!r}" for canary in leaks(text)]


CANARY = _Canary()


def pytest_configure(config: pytest.Config) -> None:
    root = logging.getLogger()
    root.addHandler(CANARY)
    root.setLevel(min(root.level or logging.INFO, logging.INFO))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: the controller reports for all of them
        workeroutput["canary"] = {"leaks": CANARY.leaks, "seen": CANARY.seen, "errors": CANARY.errors}
        return
    if CANARY.leaks:
        print(f"\nlog canary: {len(CANARY.leaks)} personal-data leak(s) in logs at INFO or above:")
        for leak in sorted(set(CANARY.leaks))[:20]:
            print(f"  {leak}")
        session.exitstatus = 1
    else:
        print(
            f"\nlog canary: {CANARY.seen} log records at INFO or above ({CANARY.errors} at ERROR, "
            "tracebacks included), no seeded personal data"
        )


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist's controller: add up what each worker's canary saw (its logs are its own)."""
    seen = getattr(node, "workeroutput", {}).get("canary")
    if seen:
        CANARY.leaks += seen["leaks"]
        CANARY.seen += seen["seen"]
        CANARY.errors += seen["errors"]


@pytest.fixture()
def app(fake_slack: FakeSlack, db_url: str) -> Iterator[Running]:
    """The Slack app on loopback over the given database (files that need more override it)."""
    running = start(fake_slack, db_url)
    yield running
    running.stop()


@pytest.fixture()
def fake() -> Iterator[FakeOpenAI]:
    """An OpenAI-compatible server on loopback with a fault plan (tests/fakes/openai_server.py)."""
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture()
def offline(sqlite_engine: Engine) -> Pathfinder:
    return Pathfinder(sqlite_engine, today=lambda: TODAY)


def model_service(
    engine: Engine, fake: FakeOpenAI, *, reader: bool = False, timeout: float = 1.0, deadline: float = 30.0,
    attempts: int = 3, budget: LLMBudget | None = None,
) -> Pathfinder:  # fmt: skip
    """Pathfinder phrasing through the fake server (and reading through it too, with `reader`)."""
    model: OpenAIChatModel | BudgetedModel = OpenAIChatModel(
        model="fake-model", api_key="test", base_url=fake.url, attempt_timeout=timeout, max_attempts=attempts
    )
    if budget is not None:
        model = BudgetedModel(model, budget)
    return Pathfinder(
        engine,
        today=lambda: TODAY,
        responder=ModelResponder(model, deadline_s=deadline),
        reader=ModelReader(model, deadline_s=deadline) if reader else None,
    )
