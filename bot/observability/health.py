"""Liveness, readiness and metrics over HTTP: the routes, and a small server for the health port.

HTTP mode serves these routes on its own port (bot/slack/http.py). Socket Mode and the job worker
have no HTTP front door, so `start_health_server` gives them one on PATHFINDER_HEALTH_PORT, with a
readiness callback of their own. That server is the standard library's threaded WSGI server: it
faces only the orchestrator's probes and Prometheus, inside the cluster, and each connection holds
its thread for at most `_Handler.timeout` seconds.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.catalogue.tables import CatalogueMeta
from bot.observability import metrics

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

Readiness = Callable[[], dict[str, bool]]  # named checks; ready when every one is True
HEALTH_PATHS = frozenset({"/livez", "/readyz", "/healthz", "/metrics"})


def database_ready(engine: Engine) -> dict[str, bool]:
    """The database answers, and holds a catalogue to answer from."""
    try:
        with Session(engine) as session:
            loaded = session.get(CatalogueMeta, "version") is not None
    except Exception as exc:  # noqa: BLE001 - not ready, not a crash
        log.warning("readiness: database unreachable", extra={"error": exc.__class__.__name__})
        return {"database": False, "catalogue": False}
    return {"database": True, "catalogue": loaded}


def respond(
    start_response: StartResponse,
    status: int,
    body: bytes,
    *,
    content_type: str = "application/json",
    headers: Iterable[tuple[str, str]] = (),
) -> list[bytes]:
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", content_type), ("Content-Length", str(len(body))), *headers],
    )
    return [body]


def health(path: str, start_response: StartResponse, ready: Readiness) -> list[bytes]:
    """GET /livez (the process answers), /readyz (and /healthz, its old name), /metrics."""
    if path == "/livez":
        return respond(start_response, 200, b'{"ok": true}')
    if path == "/metrics":
        return respond(start_response, 200, metrics.exposition(), content_type=metrics.CONTENT_TYPE)
    try:
        checks = ready()
    except Exception as exc:  # noqa: BLE001 - a failing check means not ready
        log.warning("readiness check failed", extra={"error": exc.__class__.__name__})
        checks = {"checks": False}
    ok = all(checks.values())
    body = json.dumps({"ok": ok, "checks": checks}).encode()
    return respond(start_response, 200 if ok else 503, body)


def health_app(ready: Readiness) -> WSGIApplication:
    """A WSGI app serving only the health routes (the health port)."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path not in HEALTH_PATHS:
            return respond(start_response, 404, b'{"error": "not found"}')
        if environ.get("REQUEST_METHOD") != "GET":
            return respond(
                start_response, 405, b'{"error": "method not allowed"}', headers=[("Allow", "GET")]
            )
        return health(path, start_response, ready)

    return app


class _Threaded(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 64

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("health connection dropped")  # timed out or reset: nothing to report


class _Handler(WSGIRequestHandler):
    timeout = 10  # seconds an idle or half-open connection may hold its thread

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass  # access lines would add nothing the metrics don't say


@dataclass
class RunningServer:
    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve_in_thread(app: WSGIApplication, *, host: str, port: int) -> RunningServer:
    """Serve `app` on host:port (0: any free port) from a daemon thread."""
    server = make_server(host, port, app, server_class=_Threaded, handler_class=_Handler)
    thread = threading.Thread(target=server.serve_forever, name="pathfinder-health", daemon=True)
    thread.start()
    return RunningServer(server, thread)


def start_health_server(ready: Readiness, *, port: int, host: str = "0.0.0.0") -> RunningServer:
    """/livez, /readyz and /metrics on host:port, for Socket Mode and the job worker."""
    return serve_in_thread(health_app(ready), host=host, port=port)
