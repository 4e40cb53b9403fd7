"""A fake Slack Web API on 127.0.0.1:0: records every call and rejects what real Slack would.

It checks every message and every view against Slack's documented Block Kit limits
(tests/fakes/blockkit.py: block counts, text lengths, 75-character labels and options, 24-character
modal titles, private_metadata...) and refuses what real Slack refuses, so a renderer bug fails
the test that posted it. It takes a per-method fault plan: "429" (with Retry-After),
"error:<code>" (ok: false) and "slow:<seconds>".

It keeps the messages the app posts (with their message metadata) so that conversations.replies
and conversations.history return them as Slack does: oldest first in a thread, newest first in
a channel's history, metadata only with include_all_metadata, pages by cursor and limit.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .blockkit import check_message, check_view
from .loopback import close, serve

BOT_USER = "UPATHBOT"
BOT_ID = "BPATHBOT"
TEAM = "T0NHS"


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    at: float
    ok: bool | None = None  # what the fake answered (None while in flight)


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    faults: dict[str, deque[str]] = field(default_factory=dict)
    retry_after: int = 1
    socket_url: str = ""
    names: dict[str, str] = field(default_factory=dict)  # user id -> display name (users.info)
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id -> uploaded content
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (channel, ts) -> message

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    @property
    def response_url(self) -> str:
        return self.base_url.replace("/api/", "/respond/") + "hook"

    def fault(self, method: str, *steps: str) -> None:
        with self._lock:
            self.faults[method] = deque(steps)

    def of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def replies(self) -> list[Call]:
        """Messages a person would see: posts, and updates of placeholders, that Slack accepted."""
        with self._lock:
            return [c for c in self.calls if c.method in ("chat.postMessage", "chat.update") and c.ok]

    def files_to(self, channel: str) -> list[tuple[dict[str, Any], str]]:
        """Files completed into `channel`: (the completion call's body, the uploaded text)."""
        out = []
        for call in self.of("files.completeUploadExternal"):
            if call.body.get("channel_id") != channel:
                continue
            files = call.body.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            for f in files:
                out.append((call.body, self.uploads.get(f.get("id"), b"").decode()))
        return out

    def wait_for(self, method: str, count: int, timeout: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(method)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        return self.of(method)

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # slack_sdk reads conversations.* with GET and a query
                parts = urlsplit(self.path)
                self._answer(parts.path.rsplit("/", 1)[-1], {k: v[0] for k, v in parse_qs(parts.query).items()})

            def do_POST(self) -> None:
                data_in = self.rfile.read(int(self.headers.get("content-length") or 0))
                path = urlsplit(self.path).path
                if path.startswith("/upload/"):  # step 2 of files_upload_v2: the bytes
                    with fake._lock:
                        fake.uploads[path.rsplit("/", 1)[-1]] = data_in
                    self.send_response(200)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"OK")
                    return
                raw = data_in.decode()
                method = path.rsplit("/", 1)[-1] if path.startswith("/api/") else "response_url"
                self._answer(method, _parse(raw, self.headers.get("content-type", "")))

            def _answer(self, method: str, body: dict[str, Any]) -> None:
                call = Call(method, body, time.monotonic())
                with fake._lock:
                    fake.calls.append(call)
                    plan = fake.faults.get(method)
                    step = plan.popleft() if plan else "ok"
                status, payload, headers = fake._respond(method, body, step)
                call.ok = status == 200 and payload.get("ok") is not False
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self._server = serve(Handler)
        return self

    def stop(self) -> None:
        close(self._server)

    def _respond(
        self, method: str, body: dict[str, Any], step: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if step == "429":
            return (
                429,
                {"ok": False, "error": "ratelimited"},
                {"retry-after": str(self.retry_after)},
            )
        if step.startswith("error:"):
            return 200, {"ok": False, "error": step.split(":", 1)[1]}, {}
        if step.startswith("slow:"):
            time.sleep(float(step.split(":", 1)[1]))
        if method == "auth.test":
            return (
                200,
                {
                    "ok": True,
                    "user_id": BOT_USER,
                    "bot_id": BOT_ID,
                    "team_id": TEAM,
                    "user": "pathfinder",
                },
                {},
            )
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
            problem = validate(body) or check_metadata(body)
            if problem:
                return 200, {"ok": False, "error": problem}, {}
            ts = body.get("ts") or f"{1700000000 + next(self._ts)}.000100"
            if method in ("chat.postMessage", "chat.update"):
                self._keep(method, body, ts)
            return 200, {"ok": True, "channel": body.get("channel"), "ts": ts, "message_ts": ts}, {}
        if method in ("conversations.replies", "conversations.history"):
            return self._read(method, body)
        if method == "apps.connections.open":
            return 200, {"ok": True, "url": self.socket_url}, {}
        if method == "conversations.open":
            return (
                200,
                {"ok": True, "channel": {"id": "D" + str(body.get("users", "PATH1"))[1:]}},
                {},
            )
        if method == "users.info":
            user = str(body.get("user", ""))
            name = self.names.get(user, "Test Person")
            return 200, {"ok": True, "user": {"id": user, "real_name": name, "profile": {"display_name": name}}}, {}  # fmt: skip
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            upload = self.base_url.replace("/api/", f"/upload/{file_id}")
            return 200, {"ok": True, "upload_url": upload, "file_id": file_id}, {}
        if method == "files.completeUploadExternal":
            files = body.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            return 200, {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}, {}  # fmt: skip
        if method in ("views.publish", "views.open", "views.update", "views.push"):
            problem = check_view(body.get("view"))
            if problem:
                code, _, why = problem.partition(": ")
                return 200, {"ok": False, "error": code, "response_metadata": {"messages": [why]}}, {}
            if method != "views.publish" and not (body.get("trigger_id") or body.get("view_id")):
                return 200, {"ok": False, "error": "invalid_arguments"}, {}
            return 200, {"ok": True, "view": {"id": f"V{next(self._ts):08d}"}}, {}
        if method.startswith("assistant.threads."):
            problem = check_assistant(method, body)
            if problem:
                return 200, {"ok": False, "error": problem}, {}
            return 200, {"ok": True}, {}
        return 200, {"ok": True}, {}


    def _keep(self, method: str, body: dict[str, Any], ts: str) -> None:
        """Store a posted message, or apply an update to one."""
        with self._lock:
            self._keep_locked(body, ts)

    def _keep_locked(self, body: dict[str, Any], ts: str) -> None:
        channel = str(body.get("channel") or "")
        message = self.messages.get((channel, ts)) or {
            "type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": ts,
            **({"thread_ts": body["thread_ts"]} if body.get("thread_ts") else {}),
        }  # fmt: skip
        message.update(text=body.get("text") or "", blocks=body.get("blocks") or [])
        metadata = body.get("metadata")
        if metadata:
            message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
        self.messages[(channel, ts)] = message

    def _read(self, method: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        """conversations.replies (channel, ts) / conversations.history (channel, oldest, inclusive),
        per docs.slack.dev/reference/methods/conversations.replies and .history."""
        channel = body.get("channel")
        if not channel or (method == "conversations.replies" and not body.get("ts")):
            return 200, {"ok": False, "error": "invalid_arguments"}, {}
        with self._lock:
            here = [dict(m) for (c, _), m in self.messages.items() if c == channel]
        if method == "conversations.replies":
            thread = str(body["ts"])
            found = sorted((m for m in here if thread in (m["ts"], m.get("thread_ts"))), key=lambda m: float(m["ts"]))  # fmt: skip
        else:
            oldest, inclusive = float(body.get("oldest") or 0), _truthy(body.get("inclusive"))
            found = sorted((m for m in here if not m.get("thread_ts") and (float(m["ts"]) > oldest or (inclusive and float(m["ts"]) == oldest))),
                           key=lambda m: -float(m["ts"]))  # fmt: skip
        if not _truthy(body.get("include_all_metadata")):
            found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
        start, limit = int(body.get("cursor") or 0), min(int(body.get("limit") or 100), 1000)
        page, more = found[start : start + limit], start + limit < len(found)
        cursor = str(start + limit) if more else ""
        return 200, {"ok": True, "messages": page, "has_more": more, "response_metadata": {"next_cursor": cursor}}, {}  # fmt: skip


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def check_metadata(body: dict[str, Any]) -> str | None:
    """Message metadata: a JSON object with a string event_type and an object event_payload
    (docs.slack.dev/messaging/message-metadata; chat.postMessage's invalid_metadata_format)."""
    metadata = body.get("metadata")
    if metadata is None:
        return None
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except json.JSONDecodeError:
            return "invalid_metadata_format"
    if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str):
        return "invalid_metadata_format"
    if not isinstance(metadata.get("event_payload"), dict):
        return "invalid_metadata_schema"
    return None


def check_assistant(method: str, body: dict[str, Any]) -> str | None:
    """assistant.threads.*: what Slack documents (docs.slack.dev/reference/methods/assistant.threads.*).

    setStatus: channel_id, thread_ts and status (an empty status clears it); at most 10
    loading_messages. setSuggestedPrompts: channel_id; 1-4 prompts, each with a title and a
    message; thread_ts only in the assistant view (agent apps omit it). setTitle: a title."""
    def listed(key: str) -> list[Any] | None:
        value = body.get(key)
        return json.loads(value) if isinstance(value, str) else value

    if not body.get("channel_id"):
        return "invalid_arguments"
    name = method.rsplit(".", 1)[-1]
    if name == "setStatus":
        if not body.get("thread_ts") or "status" not in body:
            return "invalid_arguments"
        loading = listed("loading_messages")
        if loading is not None and (len(loading) > 10 or not all(isinstance(m, str) and m for m in loading)):
            return "invalid_arguments"
        return None
    if name == "setSuggestedPrompts":
        prompts = listed("prompts")
        if not prompts or len(prompts) > 4:
            return "invalid_arguments"
        if not all(isinstance(p, dict) and p.get("title") and p.get("message") for p in prompts):
            return "invalid_arguments"
        return None
    if name == "setTitle":
        return None if body.get("thread_ts") and body.get("title") else "invalid_arguments"
    return "unknown_method"


def validate(body: dict[str, Any]) -> str | None:
    """What real Slack rejects in a message payload (None when it would accept it)."""
    blocks = body.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return check_message({**body, "blocks": blocks})


def _parse(raw: str, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        return json.loads(raw or "{}")
    form = {k: v[0] for k, v in parse_qs(raw).items()}
    for key in ("blocks", "view"):
        if isinstance(form.get(key), str):
            try:
                form[key] = json.loads(form[key])
            except json.JSONDecodeError:
                pass
    return form
