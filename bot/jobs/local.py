"""A bounded in-process worker pool for answers (the embedded default, and on SQLite).

Bolt acks first; answering happens here, on more workers than Bolt's default five and behind a
bounded queue, so a burst is answered in parallel, the person is told when they are queued, and
nobody waits behind a stuck request for longer than the LLM deadline.

On shutdown `drain` stops taking jobs and lets queued and running ones finish within a grace;
jobs that will not finish hand back their `abandon` callback (the caller apologises in the thread).
Each job runs in a copy of its submitter's context, so logs keep the request's correlation id.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

log = logging.getLogger(__name__)

Abandon = Callable[[], None]


def _nothing() -> None:
    pass


class WorkerPool:
    def __init__(self, *, workers: int, max_queue: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pathfinder-answer")
        self._workers = workers
        self._max_queue = max_queue
        self._pending = 0
        self._lock = threading.Lock()
        self._jobs: dict[Future[None], Abandon] = {}
        self._closed = False

    def waiting(self) -> int:
        """How many jobs would start after this one (0: it starts at once)."""
        with self._lock:
            return max(0, self._pending - self._workers)

    def submit(self, job: Callable[[], None], *, abandon: Abandon | None = None) -> int | None:
        """Queue a job; its position in the queue (0 = starts now), or None if the queue is full
        or the pool is draining. `abandon` is what to do if a shutdown means it never starts."""
        with self._lock:
            if self._closed or self._pending - self._workers >= self._max_queue:
                return None
            position = (
                max(0, self._pending - self._workers + 1) if self._pending >= self._workers else 0
            )
            self._pending += 1
        context = contextvars.copy_context()

        def run() -> None:
            try:
                context.run(job)
            except Exception:  # noqa: BLE001 - a job's failure must not kill the worker
                log.exception("answer job failed")
            finally:
                with self._lock:
                    self._pending -= 1

        try:
            future = self._pool.submit(run)
        except RuntimeError:  # shut down: refuse, as if full
            with self._lock:
                self._pending -= 1
            return None
        with self._lock:
            self._jobs[future] = abandon or _nothing
        future.add_done_callback(self._forget)
        return position

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._jobs.pop(future, None)

    def drain(self, timeout: float) -> list[Abandon]:
        """Take no more jobs; let queued and running ones finish for up to `timeout` seconds;
        then cancel those not started. Returns the `abandon` callbacks of every job that will not
        finish: the ones cancelled, and the ones still running, which die with the process (their
        apology may race a late answer; two messages beat silence)."""
        with self._lock:
            self._closed = True
            jobs = dict(self._jobs)
        _, unfinished = wait(jobs, timeout=max(0.0, timeout))
        not_started = [f for f in unfinished if f.cancel()]
        running = [f for f in unfinished if not f.done()]
        if unfinished:
            log.warning(
                "drain ended with work left",
                extra={"not_started": len(not_started), "still_running": len(running)},
            )
        self._pool.shutdown(wait=False)
        return [jobs[f] for f in not_started + running]

    def shutdown(self, *, wait: bool = True) -> None:
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=wait)
