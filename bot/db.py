"""Engines and the schema. One engine per process, built by the caller and passed down.

The schema is managed by Alembic (`bot/migrations/`): `migrate()` brings any database to the
newest revision, on start-up and from `pathfinder db upgrade`. Several processes may start at
once, so it runs inside one transaction that first takes a lock (PostgreSQL: an advisory lock;
SQLite: BEGIN IMMEDIATE, the database's write lock); a process that waits finds the work done.

SQLite runs in WAL mode with a busy timeout, and SQLAlchemy (not the sqlite3 module) issues
BEGIN, so DDL is transactional and `write_session()` can take the write lock up front
(BEGIN IMMEDIATE) for read-then-write work: two writers then queue instead of deadlocking.

The writer discipline. Every write goes through `write_session()`. On SQLite, in WAL mode, a
transaction that holds the write lock from its BEGIN IMMEDIATE cannot meet "database is locked"
later, so that BEGIN is the one place a writer can find the database busy: it waits there on the
busy timeout, and when another process (a CLI command, a second server) holds the lock longer,
it tries again a bounded number of times, logging the error's class and the attempt, and then
raises `DatabaseBusy`. Nothing is written half-way and nothing is swallowed.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine, ExceptionContext
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

import bot.catalogue.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
import bot.interests.tables  # noqa: F401
import bot.memory.limits  # noqa: F401
import bot.memory.store  # noqa: F401

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
MIGRATION_LOCK = 7_466_921  # any fixed number: the PostgreSQL advisory lock for migrations
IMMEDIATE = "pathfinder_immediate"
BUSY_TIMEOUT = 10.0  # seconds SQLite's busy handler waits for the write lock, per attempt
WRITE_ATTEMPTS = 4  # attempts at the write lock before DatabaseBusy: about 40 s in all
POOL_MARGIN = 4  # connections beyond the threads counted: health checks, the retention run


class DatabaseBusy(RuntimeError):
    """Another writer held SQLite's write lock through every attempt; nothing was written."""


@dataclass(frozen=True)
class WritePolicy:
    busy_timeout: float = BUSY_TIMEOUT
    attempts: int = WRITE_ATTEMPTS


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgres URLs (the driver we depend on)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(
    url: str,
    *,
    pool_size: int | None = None,
    busy_timeout: float = BUSY_TIMEOUT,
    write_attempts: int = WRITE_ATTEMPTS,
    **kwargs: Any,
) -> Engine:
    """Build an engine; SQLite gets WAL, a busy timeout and BEGINs issued by SQLAlchemy.

    `pool_size` caps the connections this process opens (no overflow), so the sum over processes
    can be checked against PostgreSQL's max_connections; see `pool_size_for`.
    Statement parameters are people's ids, names and questions: SQLAlchemy never puts them in a
    log line or an exception's text (hide_parameters), whatever logs or formats the error.
    """
    url = normalise_url(url)
    kwargs["hide_parameters"] = True
    if pool_size is not None and ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
        kwargs.update(pool_size=pool_size, max_overflow=0)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy_timeout}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            _wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get(IMMEDIATE)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    else:
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine, "handle_error", _values_out_of_errors)
    _POLICIES[engine] = WritePolicy(busy_timeout=busy_timeout, attempts=max(1, write_attempts))
    return engine


def checkpoint(engine: Engine) -> None:
    """SQLite: copy the WAL into the database file now (after a big load), so the first writer
    of a burst does not do it while holding the write lock. Nothing on PostgreSQL."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def pool_size_for(*, workers: int, override: int | None = None) -> int:
    """Connections one serving process needs: a thread answering (`workers`), a Bolt listener
    thread (also `workers`, bot/slack/app.py) and a margin; `override` (PATHFINDER_DB_POOL_SIZE)
    wins. Every such process times its replicas must fit max_connections (deploy/README.md)."""
    return override or 2 * workers + POOL_MARGIN


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
_POLICIES: weakref.WeakKeyDictionary[Engine, WritePolicy] = weakref.WeakKeyDictionary()


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
    """A session whose transaction holds the write lock from its start (SQLite: BEGIN IMMEDIATE,
    retried within bounds while another process holds it; PostgreSQL takes row locks as it goes).
    Commits on success; raises DatabaseBusy if the lock never came."""
    writer = _writer_lock(engine)
    with writer or nullcontext():
        conn, session = _locked_session(engine)
        with conn, session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise


def _locked_session(engine: Engine) -> tuple[Connection, Session]:
    """A session on a connection of its own whose transaction has begun (holding SQLite's write
    lock): BEGIN IMMEDIATE is tried `attempts` times, each waiting up to the busy timeout."""
    policy = _POLICIES.get(engine) or WritePolicy()
    try:
        for attempt in _retrying(engine):
            with attempt:
                conn = engine.connect().execution_options(**{IMMEDIATE: True})
                session = Session(bind=conn)
                try:
                    session.connection()  # BEGIN (IMMEDIATE): the write lock, or "locked"
                except BaseException:
                    session.close()
                    conn.close()
                    raise
                return conn, session
    except OperationalError as exc:
        if not is_busy(exc):
            raise
        log.error("database write lock not obtained: %s after %d attempts",
                  exc.__class__.__name__, policy.attempts)  # fmt: skip
        raise DatabaseBusy(
            f"the database stayed locked by another writer through {policy.attempts} attempts "
            f"of {policy.busy_timeout:g} s; nothing was written"
        ) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _retrying(engine: Engine) -> Retrying:
    """The one retry policy for SQLite's write lock: bounded attempts, jittered backoff, logged."""
    policy = _POLICIES.get(engine) or WritePolicy()
    return Retrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait_random_exponential(multiplier=0.05, max=1.0),
        retry=retry_if_exception(is_busy),
        before_sleep=_log_busy,
        reraise=True,
    )


def is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" / "database is busy" (SQLITE_BUSY, SQLITE_LOCKED)."""
    if not isinstance(exc, OperationalError):
        return False
    code = getattr(exc.orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (5, 6)
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text


def _log_busy(state: RetryCallState) -> None:
    """The error's class and the attempt, never a statement or its values."""
    exc = state.outcome.exception() if state.outcome else None
    log.warning("database write lock busy: %s on attempt %d; trying again",
                exc.__class__.__name__, state.attempt_number)  # fmt: skip


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


def upsert_add(
    engine: Engine,
    table: Any,
    values: dict[str, Any],
    *,
    keys: list[str],
    column: str,
    limit: int | None = None,
) -> Any:
    """INSERT values, or on conflict add values[column] to the stored one: only while the sum
    stays within `limit` (then a RETURNING clause returns no row). One atomic statement."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(table)
    elif engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table)
    else:  # pragma: no cover
        raise RuntimeError(f"unsupported database {engine.dialect.name}")
    stmt = stmt.values(**values)
    total = table.c[column] + stmt.excluded[column]
    return stmt.on_conflict_do_update(
        index_elements=keys,
        set_={column: total},
        where=(total <= limit) if limit is not None else None,
    )


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> str | None:
    """Bring the schema to `revision` (idempotent, safe to race); return the revision now in force.

    A database made before migrations existed (tables, no alembic_version) is stamped at the
    baseline first, so its data is kept and only later revisions run. A database already at head
    is left alone without taking the write lock: a CLI command starting while the server is busy
    does not stall its writers while alembic reads its scripts.
    """
    if revision == "head":
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        if current_revision(engine) == head:
            return head
    for attempt in _retrying(engine):
        with attempt:
            return _migrate(engine, revision)
    raise AssertionError("unreachable")  # pragma: no cover


def _migrate(engine: Engine, revision: str) -> str | None:
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
