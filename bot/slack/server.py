"""HTTP mode under gunicorn, embedded: `pathfinder serve --http` is the gunicorn master.

One worker process with a pool of threads (`gthread`). The answer pool, the per-person rate limit
on SQLite and the metrics registry live in the process, so more worker processes would split them
(and contend for SQLite's single writer); scale with replicas instead, each drained and probed on
its own. Everything is built inside the worker after the fork (threads and connections do not
survive a fork); the master only checks the settings and migrates the database first, so a bad
configuration fails before any worker boots.

On SIGTERM gunicorn stops accepting and finishes the requests in hand; then the worker drains the
answers for the rest of PATHFINDER_DRAIN_SECONDS (bot/slack/app.py `SlackApp.drain`). The master
waits a little longer than that before it kills anything.
"""

from __future__ import annotations

import math
import selectors
import socket
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from gunicorn.workers.gthread import TConn, ThreadWorker

from bot.settings import Settings
from bot.slack.app import exit_drained
from bot.slack.http import SlackWSGI

KEEPALIVE_SECONDS = 5  # an idle kept-alive or silent new connection is closed after this
MAX_CONNECTIONS = 1000  # per process; idle ones cost a poller entry, not a thread
SHUTDOWN_MARGIN = 5  # seconds the master waits beyond the drain, for the apologies
READ_TIMEOUT = 10.0  # seconds one read or write on a connection may block; Slack sends at once


def options(settings: Settings, *, host: str, port: int) -> dict[str, Any]:
    """gunicorn's settings for one Pathfinder process."""
    return {
        "bind": [f"{host}:{port}"],
        "workers": 1,
        "worker_class": f"{__name__}.Worker",
        "threads": settings.workers,
        "worker_connections": MAX_CONNECTIONS,
        "keepalive": KEEPALIVE_SECONDS,
        "timeout": 30,  # a worker whose main loop stalls this long is restarted
        "graceful_timeout": math.ceil(settings.drain_seconds) + SHUTDOWN_MARGIN,
        "limit_request_line": 4094,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
        "accesslog": None,  # paths and addresses only; the metrics say more
        "errorlog": "-",
        "loglevel": settings.log_level.lower(),
        "logger_class": f"{__name__}.JsonLogger",
        "proc_name": "pathfinder",
        "control_socket_disable": True,
    }


class PathfinderServer(BaseApplication):  # type: ignore[misc]
    """gunicorn with Pathfinder's settings and app; `make_app` runs in the worker."""

    def __init__(self, settings: Settings, make_app: Callable[[], SlackWSGI], *, host: str, port: int) -> None:
        self.settings = settings
        self._make_app = make_app
        self._options = options(settings, host=host, port=port)
        super().__init__(prog="pathfinder serve --http")

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> SlackWSGI:
        return self._make_app()


class JsonLogger(Logger):  # type: ignore[misc]
    """gunicorn's own messages go through the root logger, as JSON lines like ours."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
            log.propagate = True


class _TimedSocket(socket.socket):
    """A connection whose blocking reads and writes give up after READ_TIMEOUT seconds.

    gunicorn reads a request on a blocking socket with no timeout, so a client that stops halfway
    through one (half-open, or gone without a FIN) would hold a thread for ever."""

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(READ_TIMEOUT)
        else:
            super().setblocking(False)


class Worker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's threaded worker, with three changes.

    A new connection waits in the poller until it sends something, as a kept-alive one does,
    instead of holding a thread for up to five seconds: a few hundred silent connections would
    otherwise queue every real request (probes included) behind them. A connection that stops
    sending mid-request frees its thread after READ_TIMEOUT. And after gunicorn's own shutdown the
    worker drains the answers before it exits.
    """

    _stop_by: float | None = None

    def accept(self, listener: Any) -> None:
        try:
            sock, client = listener.accept()
        except (BlockingIOError, ConnectionAbortedError):
            return
        self.nr_conns += 1
        timed = _TimedSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
        conn = TConn(self.cfg, timed, client, listener.getsockname())  # non-blocking
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(
            conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn)
        )

    def handle_exit(self, sig: int, frame: Any) -> None:
        if self._stop_by is None:
            self._stop_by = time.monotonic() + self.app.settings.drain_seconds
            app = getattr(self.wsgi, "app", None)
            if app is not None:
                app.draining.set()  # /readyz answers 503; new Slack requests get 503 (retried)
            soon = time.monotonic() + 1.0
            for conn in self.pending_conns:  # silent connections: no reason to wait for them
                conn.timeout = min(conn.timeout, soon)
        super().handle_exit(sig, frame)

    def run(self) -> None:
        super().run()
        app = getattr(self.wsgi, "app", None)
        if app is not None:
            app.drain(self._stop_by or time.monotonic())
            exit_drained()
