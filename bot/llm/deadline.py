"""A blocking call that the caller can abandon at a wall-clock deadline, closing what it opened.

Per-read timeouts can't bound a whole HTTP call: each byte of a trickling body restarts them (one
answer took 302 s). So the call runs on a worker thread and the caller waits for it with a hard
timeout. On expiry the caller shuts the call's socket down, which wakes the worker at once, and
the worker closes the response it opened. Only the worker touches the HTTP client and response;
the caller touches only the operating system's socket (shutdown is safe from any thread), so
nothing in httpx is shared unsafely. Workers are capped by a semaphore the caller passes in, so a
stuck server can't pile up threads or sockets.

Known limit: until the response headers arrive there is no socket in hand. A server that
trickles its headers keeps its abandoned worker until it stops (or the client's read timeout,
set to the attempt's share of the deadline, expires between bytes); the caller still returns on
time, and the cap bounds how many such workers exist.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from bot.llm.base import LLMUnavailable


class AttemptTimedOut(Exception):
    """An attempt used up its share of the deadline and was abandoned."""


class Attempt:
    """One call (an HTTP request) on a worker thread, which the caller abandons at its time limit."""

    def __init__(self, work: Callable[[Attempt], bytes], slots: threading.Semaphore) -> None:
        self._work = work
        self._slots = slots
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._abandoned = False
        self._body = b""
        self._error: BaseException | None = None

    def run(self, until: float) -> bytes:
        """The response body, or the attempt's error; AttemptTimedOut at `until`."""
        if not self._slots.acquire(timeout=max(0.0, until - time.monotonic())):
            raise LLMUnavailable("too many model calls still in flight")
        try:
            threading.Thread(target=self._main, name="pathfinder-llm-attempt", daemon=True).start()
        except BaseException:
            self._slots.release()
            raise
        if not self._done.wait(max(0.0, until - time.monotonic())):
            self.abandon()
            raise AttemptTimedOut()
        if self._error is not None:
            raise self._error
        return self._body

    def _main(self) -> None:
        try:
            self._body = self._work(self)
        except BaseException as exc:  # handed to the caller, or dropped if it has gone
            self._error = exc
        finally:
            self._slots.release()
            self._done.set()

    @property
    def abandoned(self) -> bool:
        return self._abandoned

    def hold(self, http_response: Any) -> None:
        """Keep the response's socket so abandon() can cut it; cut at once if already abandoned."""
        stream = getattr(http_response, "extensions", {}).get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return  # another transport: the clock checks between chunks still apply
        with self._lock:
            self._sock = sock
            late = self._abandoned
        if late:
            _shutdown(sock)

    def abandon(self) -> None:
        with self._lock:
            self._abandoned = True
            sock = self._sock
        if sock is not None:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    """Wake any thread blocked reading this socket; the worker then closes it."""
    try:
        # The plain socket's method, also for TLS sockets: SSLSocket.shutdown would unset its
        # SSL object under the worker's feet.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed or never connected
