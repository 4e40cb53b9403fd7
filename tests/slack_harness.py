"""Driving the Slack app as Slack does: signed HTTP requests to the real app on loopback, replies
through the real slack_sdk client to the fake Web API (tests/fakes/slack_server.py).

`Running` serves the production WSGI callable (bot/slack/http.py `SlackWSGI`, what gunicorn runs
in `pathfinder serve --http`) from a threaded server inside the test process, so scenario tests
can read the app's database and swap its responder. What only gunicorn does (body limits on the
wire, keep-alive, idle connections, SIGTERM) is tested against a real `pathfinder serve --http`
subprocess in tests/test_server.py."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier
from sqlalchemy.engine import Engine

from bot import app as composition
from bot.answering.phrasing import Responder
from bot.db import make_engine
from bot.observability.health import serve_in_thread
from bot.settings import Settings
from bot.slack.app import SlackApp, web_client
from bot.slack.http import SlackWSGI

from .fakes.slack_server import BOT_USER, TEAM, Call, FakeSlack

SECRET = "test-signing-secret-0123456789abcdef"
FORM = "application/x-www-form-urlencoded"
QUESTION = "Band 6 nurse in Leeds, really interested in moving towards informatics. Where do I start?"


def settings_for(fake: FakeSlack, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_BASE_URL=fake.base_url,
        **extra,
    )


class QueueWorker:
    """`pathfinder worker` (bot.app.worker) in a thread: answers what apps on this PostgreSQL
    database queue, with its own Services, as a separate process would."""

    def __init__(self, settings: Settings, engine: Engine, responder: Responder | None = None) -> None:
        self.services = composition.build(settings, engine=engine, responder=responder)
        self.thread = threading.Thread(target=composition.worker, args=(self.services,),
                                       kwargs={"say": lambda _line: None, "signals": False, "health_port": False}, daemon=True)  # fmt: skip
        self.thread.start()
        assert until(self.services.answers.ready, 20), "the queue worker did not start"  # type: ignore[attr-defined]

    def stop(self) -> None:
        self.services.answers.stop()  # type: ignore[attr-defined]
        self.thread.join(60)


def worker_for(app: SlackApp) -> QueueWorker | None:
    """A queue worker for an app on PostgreSQL (its answers are jobs); None on SQLite."""
    services = app.services
    if services.engine.dialect.name != "postgresql":
        return None
    return QueueWorker(services.settings, services.engine, services.pathfinder.responder)


class Running:
    """One app process: the Bolt app behind its HTTP server, on its own database engine; on
    PostgreSQL with a queue worker beside it."""

    def __init__(self, app: SlackApp, engine: Engine, *, worker: bool = True) -> None:
        self.app = app
        self.engine = engine
        self.server = serve_in_thread(SlackWSGI(app), host="127.0.0.1", port=0)
        self.url = f"http://127.0.0.1:{self.server.port}"
        self.worker = worker_for(app) if worker else None

    def stop(self) -> None:
        self.server.stop()
        if self.worker is not None:
            self.worker.stop()
        self.app.close()


def build_app(settings: Settings, engine: Engine, *, responder: Responder | None = None,
              socket_mode: bool = False) -> SlackApp:  # fmt: skip
    services = composition.build(settings, engine=engine, responder=responder)
    return composition.slack(services, slack_client=web_client(settings), socket_mode=socket_mode)  # type: ignore[no-any-return]


def start(fake: FakeSlack, db_url: str, *, responder: Responder | None = None, worker: bool = True,
          **extra: Any) -> Running:  # fmt: skip
    settings = settings_for(fake, **extra)
    engine = make_engine(db_url)
    return Running(build_app(settings, engine, responder=responder), engine, worker=worker)


def post(url: str, body: str, *, content_type: str = "application/json", retry: int | None = None,
         signed: bool = True, timestamp: int | None = None, secret: str = SECRET) -> tuple[int, str]:  # fmt: skip
    ts = str(timestamp if timestamp is not None else int(time.time()))
    headers = {"content-type": content_type}
    if signed:
        headers["x-slack-request-timestamp"] = ts
        headers["x-slack-signature"] = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    if retry is not None:
        headers["x-slack-retry-num"] = str(retry)
        headers["x-slack-retry-reason"] = "http_timeout"
    request = urllib.request.Request(f"{url}/slack/events", data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def event(kind: str = "app_mention", *, text: str = f"<@{BOT_USER}> {QUESTION}", event_id: str = "Ev001",
          ts: str = "1700000001.000100", channel: str = "C0CLIN", user: str = "U0NURSE",
          envelope: dict[str, Any] | None = None, **fields: Any) -> str:  # fmt: skip
    ev = {"type": kind, "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts, **fields}
    return json.dumps({"token": "legacy", "team_id": TEAM, "api_app_id": "A0PATH", "event": ev,
                       "type": "event_callback", "event_id": event_id, "event_time": 1700000001,
                       **(envelope or {})})  # fmt: skip


def raw_event(ev: dict[str, Any], event_id: str = "EvRaw") -> str:
    return json.dumps({"team_id": TEAM, "api_app_id": "A0PATH", "event": ev, "type": "event_callback",
                       "event_id": event_id, "event_time": 1700000001})  # fmt: skip


def command(text: str, fake: FakeSlack, *, user: str = "U0NURSE", channel: str = "C0CLIN") -> str:
    return urlencode({"token": "legacy", "team_id": TEAM, "channel_id": channel, "user_id": user,
                      "command": "/pathfinder", "text": text, "response_url": fake.response_url, "trigger_id": "1.2.3"})  # fmt: skip


def action(action_id: str, value: str, fake: FakeSlack, *, user: str = "U0NURSE", kind: str = "button",
           channel: str | None = "C0CLIN", trigger: str | None = "1.2.3") -> str:  # fmt: skip
    payload: dict[str, Any] = {
        "type": "block_actions", "team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM},
        "response_url": fake.response_url,
        "actions": [{"action_id": action_id, "value": value, "type": kind, "block_id": "b"}],
    }  # fmt: skip
    if channel:
        payload["channel"] = {"id": channel}
    if trigger:
        payload["trigger_id"] = trigger
    return urlencode({"payload": json.dumps(payload)})


def click(running: Running, fake: FakeSlack, action_id: str, value: str, **kwargs: Any) -> tuple[int, str]:
    return post(running.url, action(action_id, value, fake, **kwargs), content_type=FORM)


def settle(seconds: float = 1.5) -> None:
    time.sleep(seconds)


def until(probe: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until `probe()` is truthy (listeners run after Bolt acks); return its last value."""
    deadline = time.monotonic() + timeout
    while not (found := probe()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


def is_answer(call: Call) -> bool:
    return "feedback_buttons" in json.dumps(call.body.get("blocks") or [])


def answers(fake: FakeSlack, count: int = 1, timeout: float = 10.0) -> list[Call]:
    """The answers a person saw (posted, or updated into place), once `count` have arrived."""

    def found() -> list[Call]:
        return [c for c in fake.replies() if is_answer(c)]

    until(lambda: len(found()) >= count, timeout)
    return found()


def deliver_concurrently(body: str, targets: list[tuple[str, int | None]]) -> None:
    """Send one signed body to each (app url, retry number) at the same time."""
    threads = [threading.Thread(target=post, args=(url, body), kwargs={"retry": retry}) for url, retry in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def assert_one_reply(fake: FakeSlack) -> None:
    assert answers(fake)
    settle()
    assert len([c for c in fake.replies() if is_answer(c)]) == 1
    assert len(fake.of("assistant.threads.setStatus")) <= 1


def grant_coordinators(engine: Engine, regions: dict[str, str]) -> None:
    """Coordinator roles, granted by the operator as `pathfinder coordinators add` would."""
    from bot.interests.access import Actor, grant_role
    from bot.interests.tables import RoleName

    for user, region in regions.items():
        grant_role(engine, actor=Actor.operator(), team_id=TEAM, user_id=user, role=RoleName.COORDINATOR, region=region)  # fmt: skip
