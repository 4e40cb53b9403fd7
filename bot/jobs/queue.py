"""The durable answer queue on PostgreSQL (procrastinate): `pathfinder serve` acks and defers,
`pathfinder worker` answers. It needs nothing but the PostgreSQL already there (migration 0005).

- One runner per question. A job runs under a PostgreSQL advisory lock on its question, held on a
  connection of its own: a second run of the same job (a false stall, a rescue racing a slow
  worker) waits for the first, and if the first runner's process dies the server drops its
  connection and the lock with it. What the runs do is made idempotent by the claims
  (bot/slack/once.py): at most one reply per question.
- Stalled jobs. Workers heartbeat every `stalled / 3` seconds. Every worker looks, as often, for
  jobs held by a worker silent for `stalled` seconds (killed -9, frozen) and puts them back.
- Shutdown. SIGTERM or SIGINT: stop taking jobs, let in-flight answers finish for the drain
  period, then put what is left back on the queue for other workers.
- The database going away. procrastinate stops a worker whose LISTEN connection drops; ours
  starts again after a pause (1 s, doubling to a minute), so a database restart does not end
  `pathfinder worker`.
- Retention runs daily as a periodic job (one run per day across every worker).
- Logs. procrastinate logs a job's arguments (the question's text) in messages and in `extra`:
  its records are rewritten to name jobs by task and id only.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any

import procrastinate
from procrastinate import exceptions as procrastinate_errors
from procrastinate.jobs import Job
from procrastinate.worker import Worker
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from bot.db import make_engine, normalise_url
from bot.interests.rights import retention_periods, retention_run
from bot.jobs.answers import AnswerRequest, Handler
from bot.memory.queued import JOBS
from bot.settings import Settings

log = logging.getLogger(__name__)

ANSWER = "pathfinder.answer"
RETENTION = "pathfinder.retention"
ANSWERS_QUEUE = "answers"
WORKER_NAME = "pathfinder"
QUESTION_LOCK = 7_466_922  # the advisory-lock namespace for questions (migrations use 7_466_921)
MAX_ATTEMPTS = 6  # an answer job that keeps failing (database or Slack down) gives up after ~1 min
# How long a caller waits for a pooled connection: past it, a database that is gone is an error
# (a worker then starts again with a new pool; serve tells the person it is busy), not 30 s.
POOL_WAIT = 10.0
RESTART_FIRST, RESTART_LONGEST = 1.0, 60.0  # seconds before a stopped worker starts again
STOPPING = (asyncio.CancelledError, procrastinate_errors.JobAborted)

_RUNNING: list[Queued] = []  # the queue whose worker runs in this process (for worker_ready)


def conninfo(database_url: str) -> str:
    """A libpq URL for psycopg from a SQLAlchemy URL (postgresql+psycopg://... -> postgresql://...)."""
    url = make_url(normalise_url(database_url)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class _Retry(procrastinate.BaseRetryStrategy):
    """Back on the queue at once when a worker stops; otherwise exponential backoff, bounded."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> procrastinate.RetryDecision | None:  # fmt: skip
        if isinstance(exception, STOPPING):
            return procrastinate.RetryDecision(retry_in={"seconds": 0})
        if job.attempts >= MAX_ATTEMPTS - 1:
            return None
        return procrastinate.RetryDecision(retry_in={"seconds": 2**job.attempts})


class _Worker(Worker):
    """procrastinate's worker, saying when it has begun to stop (its own listener failing stops
    it too, and it may then wait a pool timeout to unregister from a database that is gone)."""

    stopping = False

    def stop(self) -> None:
        self.stopping = True
        super().stop()  # type: ignore[no-untyped-call]


class Queued:
    """Answers deferred to PostgreSQL, answered by `pathfinder worker` processes."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        url = engine.url.render_as_string(hide_password=False)
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(
                conninfo=conninfo(url), min_size=1, max_size=max(2, settings.workers // 4),
                timeout=POOL_WAIT,
            )
        )
        self._locks = make_engine(url, poolclass=NullPool)  # one connection per running job
        self._handler: Handler | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._opened = threading.Lock()
        self._open = False
        self._worker: _Worker | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped = threading.Event()  # stop() was called; also wakes a worker waiting to start again
        self._inflight = 0  # answers running on our threads
        self._count = threading.Lock()
        self._answer = self.app.task(name=ANSWER, queue=ANSWERS_QUEUE, retry=_Retry())(self._answer_job)
        retention = self.app.task(name=RETENTION, queue="maintenance", queueing_lock=RETENTION)(self._retention_job)  # fmt: skip
        self.app.periodic(cron="17 3 * * *")(retention)
        quiet_job_logs()

    # -- serve: defer -------------------------------------------------------------------------

    def bind(self, handler: Handler, abandon: Handler | None = None) -> None:
        self._handler = handler  # a job not finished by a shutdown stays queued: no abandon

    def waiting(self) -> int:
        return queue_depth(self.engine)

    def submit(self, request: AnswerRequest) -> int | None:
        """Defer the answer; 0 once it is safely in the database, None if it could not be."""
        try:
            self._open_for_defer()
            self._answer.defer(**request.model_dump(mode="json"))
        except Exception as exc:  # noqa: BLE001 - the person is told we're busy; the class to the log
            log.error("deferring an answer failed: %s", exc.__class__.__name__)
            return None
        return 0

    def _open_for_defer(self) -> None:
        with self._opened:
            if not self._open:
                self.app.open()
                self._open = True

    def close(self) -> None:
        with self._opened:
            if self._open:
                self.app.close()
                self._open = False
        self._locks.dispose()

    # -- worker: answer -----------------------------------------------------------------------

    async def _answer_job(self, **args: Any) -> None:
        request = AnswerRequest.model_validate(args)
        assert self._threads is not None
        await asyncio.get_running_loop().run_in_executor(self._threads, self._run, request)

    def _run(self, request: AnswerRequest) -> None:
        if self._handler is None:
            raise RuntimeError("no answer handler bound")
        with self._count:
            self._inflight += 1
        try:
            with self._one_runner(request.question_id):
                self._handler(request)
        finally:
            with self._count:
                self._inflight -= 1

    @contextmanager
    def _one_runner(self, key: str) -> Iterator[None]:
        with self._locks.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:ns, hashtext(:key))"), {"ns": QUESTION_LOCK, "key": key})  # fmt: skip
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:ns, hashtext(:key))"), {"ns": QUESTION_LOCK, "key": key})  # fmt: skip

    def _retention_job(self, timestamp: int) -> None:
        counts = retention_run(self.engine, periods=retention_periods(self.settings))
        log.info("retention run: %d rows deleted", sum(counts.values()))

    def run_worker(self, handler: Handler, *, stalled_seconds: float, drain_seconds: float, signals: bool = True) -> int:  # fmt: skip
        """Answer jobs until SIGTERM/SIGINT (or `stop()`); the number of answers still running
        when the drain period ended (back on the queue; their threads die with the process).

        procrastinate stops a worker whose LISTEN connection fails (the database restarted or
        refused connections for a moment): that is not a reason for the process to end, so the
        worker starts again, after a pause that doubles while it keeps failing (up to a minute)."""
        self.bind(handler)
        concurrency = self.settings.workers
        self._threads = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="pathfinder-answer")  # fmt: skip
        _RUNNING.append(self)
        pause = RESTART_FIRST
        try:
            while not self._stopped.is_set():
                started = time.monotonic()
                self._worker = _Worker(
                    self.app,
                    queues=None,
                    name=WORKER_NAME,
                    concurrency=concurrency,
                    shutdown_graceful_timeout=drain_seconds,
                    delete_jobs="successful",  # an answered question's text leaves the queue at once
                    install_signal_handlers=False,  # ours, below: readiness must see the stop
                    update_heartbeat_interval=max(1.0, stalled_seconds / 3),
                    fetch_job_polling_interval=2.0,  # jobs put back (not inserted) raise no notification
                    stalled_worker_timeout=stalled_seconds,
                )
                try:
                    asyncio.run(self._work(self._worker, stalled_seconds, signals=signals))
                except (procrastinate_errors.ConnectorException, OSError) as exc:
                    log.warning("the queue worker could not reach the database: %s", exc.__class__.__name__)  # fmt: skip
                finally:
                    self._loop = None
                if self._stopped.is_set():
                    break
                if time.monotonic() - started > RESTART_LONGEST:
                    pause = RESTART_FIRST  # it ran for a while: this is a new failure, not the same one
                log.warning("the queue worker stopped without being asked to; starting again in %.0f s", pause)  # fmt: skip
                if self._stopped.wait(pause):
                    break
                pause = min(pause * 2, RESTART_LONGEST)
        finally:
            _RUNNING.remove(self)
        self._threads.shutdown(wait=False, cancel_futures=True)
        return self._inflight

    async def _work(self, worker: _Worker, stalled_seconds: float, *, signals: bool) -> None:
        self._loop = asyncio.get_running_loop()
        if self._stopped.is_set():  # stop() came before this loop existed: it could not reach the worker
            return
        if signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(sig, self.stop)
        async with self.app.open_async():
            done = asyncio.Event()
            rescue = asyncio.create_task(self._rescue_stalled(stalled_seconds, done))
            try:
                await worker.run()  # type: ignore[no-untyped-call]
            finally:
                done.set()
                rescue.cancel()
                with suppress(asyncio.CancelledError):
                    await rescue

    async def _rescue_stalled(self, stalled_seconds: float, done: asyncio.Event) -> None:
        """Put back the jobs of workers that stopped heartbeating (killed, frozen), until `done`.

        `done`, not only the task's cancellation, ends it: a cancellation that lands while the
        pool is connecting to a database that refuses can be swallowed on the way, and a loop that
        only stopped when cancelled would then run on and keep the worker from starting again."""
        interval = max(1.0, stalled_seconds / 3)
        while not await _set_within(done, interval):
            try:
                stalled = await self.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_seconds)  # fmt: skip
                for job in stalled:
                    with suppress(procrastinate_errors.ConnectorException):  # another worker got it first
                        await self.app.job_manager.retry_job(job)
                        log.warning("put back job %s of a stalled worker", job.id)
            except procrastinate_errors.ConnectorException as exc:
                log.warning("looking for stalled jobs failed: %s", exc.__class__.__name__)

    def stop(self) -> None:
        """Stop taking jobs; in-flight answers get the drain period (thread-safe)."""
        self._stopped.set()
        worker, loop = self._worker, self._loop
        if worker is not None and loop is not None:
            with suppress(RuntimeError):  # its loop has just closed: that worker is gone already
                loop.call_soon_threadsafe(worker.stop)

    def ready(self) -> bool:
        """Registered with the database and not stopping."""
        worker = self._worker
        return worker is not None and worker.worker_id is not None and not (worker.stopping or self._stopped.is_set())


async def _set_within(event: asyncio.Event, seconds: float) -> bool:
    """Whether `event` is set within `seconds`."""
    with suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)
    return event.is_set()


def worker_ready() -> bool:
    """For the health server: this process's worker is taking jobs."""
    return any(q.ready() for q in _RUNNING)


def queue_depth(engine: Engine) -> int:
    """Answers waiting to be started (0 where there is no queue: SQLite)."""
    if engine.dialect.name != "postgresql":
        return 0
    query = select(func.count()).select_from(JOBS).where(JOBS.c.status == "todo", JOBS.c.queue_name == ANSWERS_QUEUE)  # fmt: skip
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


# -- logs: jobs by task and id, never their arguments -----------------------------------------

CALL = re.compile(r"(pathfinder\.\w+\[\w*\])\((?!…\)).*")  # what is left of a call string: cut
JOB_FIELDS = ("id", "task_name", "queue", "attempts", "status", "scheduled_at", "priority")


def _safe_job(job: dict[str, Any]) -> dict[str, Any]:
    return {k: job.get(k) for k in JOB_FIELDS}


def _safe_call(job: dict[str, Any]) -> str:
    return f"{job.get('task_name')}[{job.get('id')}](…)"


class _NoJobArguments(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        jobs = [getattr(record, "job", None), *(getattr(record, "jobs", None) or [])]
        jobs = [j for j in jobs if isinstance(j, dict)]
        message = record.getMessage()
        if not jobs and not CALL.search(message):
            return True
        for job in jobs:
            if job.get("call_string"):
                message = message.replace(str(job["call_string"]), _safe_call(job))
        record.msg, record.args = CALL.sub(r"\1(…)", message), ()
        job, listed = getattr(record, "job", None), getattr(record, "jobs", None)
        if isinstance(job, dict):
            record.__dict__["job"] = _safe_job(job)
        if isinstance(listed, list):
            record.__dict__["jobs"] = [_safe_job(j) for j in listed if isinstance(j, dict)]
        return True


def quiet_job_logs() -> None:
    """Filter every procrastinate logger that can carry a job (filters don't inherit)."""
    for name in ("procrastinate.jobs", "procrastinate.worker", f"procrastinate.worker.{WORKER_NAME}", "procrastinate.periodic", "procrastinate.manager"):  # fmt: skip
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoJobArguments) for f in logger.filters):
            logger.addFilter(_NoJobArguments())
