"""HTTP in front of Bolt: POST /slack/events (events, commands, interactivity), GET /healthz."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import BoltRequest
from sqlalchemy.engine import Engine

from bot.catalogue.snapshot import CatalogueCache
from bot.slack.app import SlackApp

log = logging.getLogger(__name__)
MAX_BODY = 1_000_000


def http_server(app: SlackApp, engine: Engine, *, host: str, port: int) -> ThreadingHTTPServer:
    """POST /slack/events (events, commands, interactivity) and GET /healthz, on many threads."""
    catalogue = CatalogueCache(engine)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # the default logs paths and addresses only
            pass

        def do_GET(self) -> None:
            if urlsplit(self.path).path != "/healthz":
                return self._send(404, b'{"error": "not found"}')
            try:
                body = json.dumps(
                    {"ok": True, "catalogue_version": catalogue.get().version}
                ).encode()
                self._send(200, body)
            except Exception:  # noqa: BLE001 - unhealthy, not a crash
                self._send(503, b'{"ok": false}')

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != "/slack/events":
                return self._send(404, b'{"error": "not found"}')
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                return self._send(413, b'{"error": "too large"}')
            raw = self.rfile.read(length).decode("utf-8", "replace")
            headers: dict[str, str | Sequence[str]] = {
                k.lower(): v for k, v in self.headers.items()
            }
            try:
                response = app.bolt.dispatch(
                    BoltRequest(body=raw, query=parts.query, headers=headers)
                )
            except Exception:  # noqa: BLE001 - malformed input never crashes the server
                log.warning("request could not be dispatched")
                return self._send(400, b'{"error": "bad request"}')
            body = (response.body or "").encode()
            extra = {
                k: v[0]
                for k, v in response.headers.items()
                if k.lower() not in ("content-length",) and v
            }
            self._send(response.status, body, extra)

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            headers = headers or {"content-type": "application/json"}
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = _Server((host, port), Handler)
    server.daemon_threads = True
    return server


class _Server(ThreadingHTTPServer):
    # The default listen backlog of 5 drops connections in a burst of Slack deliveries, and the
    # dropped ones come back a second later: past the 3 s budget under load.
    request_queue_size = 256


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
