"""A bounded in-process worker pool for answers (the embedded default, and on SQLite).

Bolt acks first; answering happens here, on more workers than Bolt's default five and behind a
bounded queue, so a burst is answered in parallel, the person is told when they are queued, and
nobody waits behind a stuck request for longer than the LLM deadline.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)


class WorkerPool:
    def __init__(self, *, workers: int, max_queue: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pathfinder-answer")
        self._workers = workers
        self._max_queue = max_queue
        self._pending = 0
        self._lock = threading.Lock()

    def waiting(self) -> int:
        """How many jobs would start after this one (0: it starts at once)."""
        with self._lock:
            return max(0, self._pending - self._workers)

    def submit(self, job: Callable[[], None]) -> int | None:
        """Queue a job; its position in the queue (0 = starts now), or None if the queue is full."""
        with self._lock:
            if self._pending - self._workers >= self._max_queue:
                return None
            position = (
                max(0, self._pending - self._workers + 1) if self._pending >= self._workers else 0
            )
            self._pending += 1

        def run() -> None:
            try:
                job()
            except Exception:  # noqa: BLE001 - a job's failure must not kill the worker
                log.exception("answer job failed")
            finally:
                with self._lock:
                    self._pending -= 1

        try:
            self._pool.submit(run)
        except RuntimeError:  # shutting down: refuse, as if full
            with self._lock:
                self._pending -= 1
            return None
        return position

    def shutdown(self, *, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)
