"""Engines and the schema. One engine per process, built by the caller and passed down.

The schema is managed by Alembic (`bot/migrations/`): `migrate()` brings any database to the
newest revision, on start-up and from `pathfinder db upgrade`. Several processes may start at
once, so it runs inside one transaction that first takes a lock (PostgreSQL: an advisory lock;
SQLite: BEGIN IMMEDIATE, the database's write lock); a process that waits finds the work done.

SQLite runs in WAL mode with a busy timeout, and SQLAlchemy (not the sqlite3 module) issues
BEGIN, so DDL is transactional and `write_session()` can take the write lock up front
(BEGIN IMMEDIATE) for read-then-write work: two writers then queue instead of deadlocking.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine, ExceptionContext
from sqlmodel import Session, create_engine

import bot.catalogue.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
import bot.interests.tables  # noqa: F401
import bot.memory.store  # noqa: F401

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
MIGRATION_LOCK = 7_466_921  # any fixed number: the PostgreSQL advisory lock for migrations
IMMEDIATE = "pathfinder_immediate"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgres URLs (the driver we depend on)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Build an engine; SQLite gets WAL, a busy timeout and BEGINs issued by SQLAlchemy.

    Statement parameters are people's ids, names and questions: SQLAlchemy never puts them in a
    log line or an exception's text (hide_parameters), whatever logs or formats the error.
    """
    url = normalise_url(url)
    kwargs["hide_parameters"] = True
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=30000")
            _wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get(IMMEDIATE)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    else:
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine, "handle_error", _values_out_of_errors)
    return engine


def _wal(cursor: Any) -> None:
    """Put the file in WAL mode once. Asking to switch takes a lock that the busy handler does not
    wait for, so a process connecting while another migrates got "database is locked": switch only
    if the file is not in WAL yet (WAL persists), retrying briefly while someone else switches it."""
    for attempt in range(100):
        if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
            return
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == 99:
                raise
            time.sleep(0.05)


def _values_out_of_errors(context: ExceptionContext) -> None:
    """PostgreSQL's DETAIL line echoes key and row values ("Key (user_id)=(U0…) already
    exists"): drop it from the driver's error and from SQLAlchemy's, so tracebacks can't show it."""
    for exc in (context.original_exception, context.sqlalchemy_exception):
        if (
            exc is not None
            and exc.args
            and isinstance(exc.args[0], str)
            and "DETAIL:" in exc.args[0]
        ):
            exc.args = (_without_detail(exc.args[0]), *exc.args[1:])


def _without_detail(message: str) -> str:
    return "\n".join(line for line in message.split("\n") if not line.startswith("DETAIL:"))


_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_WRITERS_GUARD = threading.Lock()


def _writer_lock(engine: Engine) -> threading.Lock | None:
    """SQLite has one writer at a time. Within a process, writers queue on a lock instead of
    polling SQLite's busy handler, whose growing sleeps starve unlucky threads (bench/interest_writes.py,
    32 threads: write p99 2.5 s without the lock, 157 ms with it). Other processes still wait on the busy timeout."""
    if engine.dialect.name != "sqlite":
        return None
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(engine, threading.Lock())


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction holds the write lock from its first statement (SQLite:
    BEGIN IMMEDIATE; PostgreSQL takes row locks as it goes). Commits on success."""
    writer = _writer_lock(engine)
    with writer or nullcontext(), engine.connect().execution_options(**{IMMEDIATE: True}) as conn:
        with Session(bind=conn) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise


def insert_ignore(engine: Engine, table: Any, values: dict[str, Any], keys: list[str]) -> Any:
    """INSERT ... ON CONFLICT (keys) DO NOTHING, for SQLite and PostgreSQL (the one copy)."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)
    if engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)
    raise RuntimeError(f"unsupported database {engine.dialect.name}")  # pragma: no cover


def ours(name: str | None, type_: str, parent_names: Any) -> bool:
    """For Alembic's comparisons: our models' tables, not the job queue's (procrastinate owns
    those; migration 0005 applies its schema), so autogenerate never proposes dropping them."""
    return not (type_ == "table" and name is not None and name.startswith("procrastinate_"))


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> str | None:
    """Bring the schema to `revision` (idempotent, safe to race); return the revision now in force.

    A database made before migrations existed (tables, no alembic_version) is stamped at the
    baseline first, so its data is kept and only later revisions run.
    """
    with engine.connect().execution_options(**{IMMEDIATE: True}) as conn:
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            config = alembic_config(conn)
            tables = set(inspect(conn).get_table_names())
            if "alembic_version" not in tables and "programme" in tables:
                command.stamp(config, BASELINE)
            command.upgrade(config, revision)
            return MigrationContext.configure(conn).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
