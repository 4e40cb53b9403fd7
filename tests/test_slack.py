"""The Slack app as Slack really drives it: signed HTTP requests to a real server on loopback,
replies through the real slack_sdk client to a fake Slack Web API that records every call."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.app import SlackApp, create_app, http_server, serve_in_thread, web_client
from bot.catalogue.loader import load_catalogue, read_catalogue
from bot.db import make_engine, migrate
from bot.memory.store import Feedback, SavedProfile, SlackClaim
from bot.settings import Settings

from .conftest import KNOWLEDGE
from .fakes.slack_server import BOT_USER, TEAM, FakeSlack

SECRET = "test-signing-secret-0123456789abcdef"
QUESTION = (
    "Band 6 nurse in Leeds, really interested in moving towards informatics. Where do I start?"
)


def settings_for(fake: FakeSlack, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_BASE_URL=fake.base_url,
        **extra,
    )


class Running:
    def __init__(self, app: SlackApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self.server = http_server(app, engine, host="127.0.0.1", port=0)
        serve_in_thread(self.server)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.app.close()


def start(fake: FakeSlack, db_url: str, **extra: Any) -> Running:
    settings = settings_for(fake, **extra)
    engine = make_engine(db_url)
    return Running(create_app(settings, engine=engine, slack_client=web_client(settings)), engine)


@pytest.fixture()
def app(fake_slack: FakeSlack, db_url: str) -> Iterator[Running]:
    running = start(fake_slack, db_url)
    yield running
    running.stop()


def post(url: str, body: str, *, content_type: str = "application/json", retry: int | None = None,
         signed: bool = True, timestamp: int | None = None, secret: str = SECRET) -> tuple[int, str]:  # fmt: skip
    ts = str(timestamp if timestamp is not None else int(time.time()))
    headers = {"content-type": content_type}
    if signed:
        headers["x-slack-request-timestamp"] = ts
        headers["x-slack-signature"] = SignatureVerifier(secret).generate_signature(
            timestamp=ts, body=body
        )
    if retry is not None:
        headers["x-slack-retry-num"] = str(retry)
        headers["x-slack-retry-reason"] = "http_timeout"
    request = urllib.request.Request(
        f"{url}/slack/events", data=body.encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def event(kind: str = "app_mention", *, text: str = f"<@{BOT_USER}> {QUESTION}", event_id: str = "Ev001",
          ts: str = "1700000001.000100", channel: str = "C0CLIN", **fields: Any) -> str:  # fmt: skip
    ev = {
        "type": kind,
        "user": "U0NURSE",
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        **fields,
    }
    return json.dumps({"token": "legacy", "team_id": TEAM, "api_app_id": "A0PATH", "event": ev,
                       "type": "event_callback", "event_id": event_id, "event_time": 1700000001})  # fmt: skip


def settle(fake: FakeSlack, seconds: float = 1.5) -> None:
    time.sleep(seconds)


def answered(fake: FakeSlack, count: int = 1) -> list[Any]:
    return fake.wait_for("chat.update", count)


def deliver_concurrently(body: str, targets: list[tuple[str, int | None]]) -> None:
    """Send one signed body to each (app url, retry number) at the same time."""
    threads = [
        threading.Thread(target=post, args=(url, body), kwargs={"retry": retry})
        for url, retry in targets
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def assert_one_reply(fake: FakeSlack) -> None:
    answered(fake)
    settle(fake)
    assert len(fake.of("chat.postMessage")) == 1
    assert len(fake.of("chat.update")) == 1


def test_mention_gets_a_placeholder_then_the_answer_in_the_thread(
    app: Running, fake_slack: FakeSlack
) -> None:
    status, _ = post(app.url, event())
    assert status == 200
    placeholder = fake_slack.wait_for("chat.postMessage", 1)[0].body
    assert placeholder["thread_ts"] == "1700000001.000100"
    assert "Checking the catalogue" in placeholder["text"]
    update = answered(fake_slack)[0].body
    assert update["ts"] == "1700000001.000100" or update["channel"] == "C0CLIN"
    rendered = json.dumps(update["blocks"])
    assert (
        "Topol Digital Fellowship" in rendered
        and "Register interest" in rendered
        and "Helpful" in rendered
    )


def test_a_question_delivered_four_times_gets_one_reply(
    app: Running, fake_slack: FakeSlack
) -> None:
    deliver_concurrently(event(), [(app.url, r) for r in (None, 1, 2, 3)])
    assert_one_reply(fake_slack)


def test_a_retry_whose_original_never_arrived_is_answered(
    app: Running, fake_slack: FakeSlack
) -> None:
    assert post(app.url, event(), retry=2)[0] == 200
    assert len(answered(fake_slack)) == 1


def test_the_message_and_app_mention_twin_get_one_reply(
    app: Running, fake_slack: FakeSlack
) -> None:
    twin = event("message", event_id="Ev002", channel_type="channel")
    for body in (twin, event()):
        post(app.url, body)
    answered(fake_slack)
    settle(fake_slack)
    assert len(fake_slack.of("chat.postMessage")) == 1


def test_two_app_processes_sharing_one_database_reply_once(
    fake_slack: FakeSlack, db_url: str
) -> None:
    first, second = start(fake_slack, db_url), start(fake_slack, db_url)
    try:
        deliver_concurrently(
            event(), [(first.url, None), (second.url, 1), (first.url, 2), (second.url, None)]
        )
        assert_one_reply(fake_slack)
    finally:
        first.stop()
        second.stop()


def count_claims(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(SlackClaim)).one())


@pytest.mark.parametrize("variant", ["unsigned", "tampered", "wrong_secret", "stale", "future"])
def test_bad_signatures_are_rejected_with_no_side_effects(
    app: Running, fake_slack: FakeSlack, variant: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = event()
    before = len(fake_slack.calls)
    if variant == "unsigned":
        status, _ = post(app.url, body, signed=False)
    elif variant == "tampered":
        ts = str(int(time.time()))
        sig = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
        request = urllib.request.Request(f"{app.url}/slack/events", data=body.replace("Leeds", "Luton").encode(), method="POST",
                                         headers={"content-type": "application/json", "x-slack-request-timestamp": ts, "x-slack-signature": sig})  # fmt: skip
        try:
            status = urllib.request.urlopen(request, timeout=10).status
        except urllib.error.HTTPError as exc:
            status = exc.code
    elif variant == "wrong_secret":
        status, _ = post(app.url, body, secret="another-secret-0123456789abcdef")
    elif variant == "stale":
        status, _ = post(app.url, body, timestamp=int(time.time()) - 301)
    else:
        status, _ = post(app.url, body, timestamp=int(time.time()) + 301)
    settle(fake_slack, 0.5)
    assert status == 401
    assert len(fake_slack.calls) == before
    assert count_claims(app.engine) == 0
    assert "Leeds" not in caplog.text and "nurse" not in caplog.text


@pytest.mark.parametrize(
    "fields",
    [
        {"bot_id": "B0OTHER"},
        {"subtype": "message_changed"},
        {"subtype": "channel_join"},
        {"subtype": "bot_message"},
        {"user": BOT_USER},
        {"user": "USLACKBOT"},
    ],
)
def test_bots_itself_and_subtypes_get_nothing(
    app: Running, fake_slack: FakeSlack, fields: dict[str, Any]
) -> None:
    post(app.url, event("message", channel_type="im", **fields))
    settle(fake_slack, 1.0)
    assert fake_slack.replies() == []


def test_a_direct_message_is_answered_without_a_thread(app: Running, fake_slack: FakeSlack) -> None:
    post(app.url, event("message", text=QUESTION, channel="D0NURSE", channel_type="im"))
    placeholder = fake_slack.wait_for("chat.postMessage", 1)[0].body
    assert placeholder.get("thread_ts") in (None, "")
    assert answered(fake_slack)


def test_a_follow_up_in_a_thread_it_answered_needs_no_mention(
    app: Running, fake_slack: FakeSlack
) -> None:
    post(app.url, event())
    answered(fake_slack)
    follow = event("message", text="What about protected time for a digital project?", event_id="Ev010",
                   ts="1700000002.000100", thread_ts="1700000001.000100", channel_type="channel")  # fmt: skip
    post(app.url, follow)
    second = answered(fake_slack, 2)
    assert len(second) == 2
    assert "Topol Digital Fellowship" in json.dumps(second[1].body["blocks"])
    # but a thread it never joined gets nothing
    post(
        app.url,
        event(
            "message",
            text="hello",
            event_id="Ev011",
            ts="1700000003.000100",
            thread_ts="1600000000.000100",
            channel_type="channel",
        ),
    )
    settle(fake_slack, 1.0)
    assert len(fake_slack.of("chat.postMessage")) == 2


def test_an_empty_mention_gets_help(app: Running, fake_slack: FakeSlack) -> None:
    post(app.url, event(text=f"<@{BOT_USER}>"))
    reply = fake_slack.wait_for("chat.postMessage", 1)[0].body
    assert "I'm Pathfinder" in reply["text"]
    settle(fake_slack, 0.5)
    assert fake_slack.of("chat.update") == []


def test_mass_mentions_in_a_question_are_escaped(app: Running, fake_slack: FakeSlack) -> None:
    post(
        app.url,
        event(
            text=f"<@{BOT_USER}> <!channel> band 6 nurse in Leeds <https://evil.example|NHS> informatics"
        ),
    )
    update = answered(fake_slack)[0].body
    rendered = json.dumps(update)
    assert "<!channel>" not in rendered and "evil.example|NHS>" not in rendered


def test_a_ten_thousand_character_question_gets_a_valid_answer(
    app: Running, fake_slack: FakeSlack
) -> None:
    post(app.url, event(text=f"<@{BOT_USER}> " + QUESTION + " " + "really " * 1400))
    update = answered(fake_slack)[0]
    assert update.body["blocks"]
    assert all(c.body.get("ok", True) for c in fake_slack.calls)


def test_a_slack_429_is_waited_out_and_posted_once(app: Running, fake_slack: FakeSlack) -> None:
    fake_slack.fault("chat.postMessage", "429")
    post(app.url, event())
    answered(fake_slack)
    posts = fake_slack.of("chat.postMessage")
    assert len(posts) == 2  # the 429, then the one real post
    assert posts[1].at - posts[0].at >= 0.9


def test_other_slack_errors_are_not_retried_blindly(app: Running, fake_slack: FakeSlack) -> None:
    fake_slack.fault("chat.postMessage", "error:channel_not_found")
    post(app.url, event())
    settle(fake_slack, 1.5)
    assert len(fake_slack.of("chat.postMessage")) == 1


def command(text: str, fake: FakeSlack) -> str:
    return urlencode({"token": "legacy", "team_id": TEAM, "channel_id": "C0CLIN", "user_id": "U0NURSE",
                      "command": "/pathfinder", "text": text, "response_url": fake.response_url, "trigger_id": "1.2.3"})  # fmt: skip


def test_slash_command_answers_privately_with_a_share_button(
    app: Running, fake_slack: FakeSlack
) -> None:
    status, body = post(
        app.url, command(QUESTION, fake_slack), content_type="application/x-www-form-urlencoded"
    )
    assert status == 200 and json.loads(body)["response_type"] == "ephemeral"
    reply = fake_slack.wait_for("response_url", 1)[0].body
    assert reply["response_type"] == "ephemeral"
    assert "Share in channel" in json.dumps(reply["blocks"])


def test_slash_command_help_and_profile(app: Running, fake_slack: FakeSlack) -> None:
    _, body = post(
        app.url, command("help", fake_slack), content_type="application/x-www-form-urlencoded"
    )
    assert "I'm Pathfinder" in json.loads(body)["text"]
    _, body = post(
        app.url, command("profile", fake_slack), content_type="application/x-www-form-urlencoded"
    )
    assert "don't hold a profile" in json.loads(body)["text"]


def action(action_id: str, value: str, fake: FakeSlack) -> str:
    payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": "U0NURSE", "team_id": TEAM},
               "channel": {"id": "C0CLIN"}, "trigger_id": "1.2.3", "response_url": fake.response_url,
               "actions": [{"action_id": action_id, "value": value, "type": "button", "block_id": "b"}]}  # fmt: skip
    return urlencode({"payload": json.dumps(payload)})


def test_feedback_is_recorded_against_the_answer(app: Running, fake_slack: FakeSlack) -> None:
    post(app.url, event())
    update = answered(fake_slack)[0].body
    answer_id = next(b for b in update["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    assert (
        post(
            app.url,
            action("feedback_helpful", answer_id, fake_slack),
            content_type="application/x-www-form-urlencoded",
        )[0]
        == 200
    )
    fake_slack.wait_for("response_url", 1)  # a person's second click comes after the first
    post(
        app.url,
        action("feedback_unhelpful", answer_id, fake_slack),
        content_type="application/x-www-form-urlencoded",
    )
    fake_slack.wait_for("response_url", 2)
    with Session(app.engine) as session:
        rows = session.exec(select(Feedback)).all()
    assert [(r.answer_id, r.helpful) for r in rows] == [(answer_id, False)]  # one row, changed


def test_app_home_shows_and_saves_the_profile_used_in_answers(
    app: Running, fake_slack: FakeSlack
) -> None:
    home = json.dumps({"team_id": TEAM, "event": {"type": "app_home_opened", "user": "U0PHYSIO", "tab": "home"},
                       "type": "event_callback", "event_id": "Ev100", "event_time": 1})  # fmt: skip
    post(app.url, home)
    view = fake_slack.wait_for("views.publish", 1)[0].body["view"]
    assert "don't hold a profile" in json.dumps(view)
    values = {"profession": "ahp", "band": "7", "where": "South West"}
    state = {
        k: {"value": {"type": "static_select", "selected_option": {"value": v}}}
        for k, v in values.items()
    }
    submission = {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": "U0PHYSIO", "team_id": TEAM},
                  "view": {"callback_id": "profile_modal", "state": {"values": state}, "id": "V1", "type": "modal"}}  # fmt: skip
    assert (
        post(
            app.url,
            urlencode({"payload": json.dumps(submission)}),
            content_type="application/x-www-form-urlencoded",
        )[0]
        == 200
    )
    with Session(app.engine) as session:
        saved = session.get(SavedProfile, (TEAM, "U0PHYSIO"))
    assert saved is not None and (saved.profession, saved.band, saved.region) == (
        "ahp",
        7,
        "South West",
    )
    ask = event(
        "message",
        text="I want protected time for a digital project",
        user="U0PHYSIO",
        channel="D0PHYSIO",
        channel_type="im",
        event_id="Ev101",
    )
    post(app.url, ask)
    update = answered(fake_slack)[0].body
    assert "band 7 allied health professional" in json.dumps(update["blocks"])


def test_malformed_payloads_never_crash_the_app(app: Running, fake_slack: FakeSlack) -> None:
    for body in ["", "not json", "{}", json.dumps({"type": "event_callback", "event": {"type": "message"}}),
                 json.dumps({"type": "event_callback", "event_id": "Ev9", "event": {"type": "app_mention", "channel": "C1"}})]:  # fmt: skip
        status, text = post(app.url, body)
        assert status in (200, 400, 401, 404)
        assert "Traceback" not in text
    settle(fake_slack, 0.5)
    assert fake_slack.replies() == []
    with urllib.request.urlopen(f"{app.url}/healthz", timeout=5) as response:
        assert json.loads(response.read())["ok"] is True


def test_missing_or_placeholder_secrets_fail_fast_without_echoing(
    fake_slack: FakeSlack, db_url: str
) -> None:
    from bot.settings import SettingsError

    settings = Settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-xxx", SLACK_SIGNING_SECRET="changeme")  # type: ignore[call-arg]
    with pytest.raises(SettingsError) as info:
        create_app(settings, engine=make_engine(db_url))
    assert "SLACK_BOT_TOKEN" in str(info.value) and "SLACK_SIGNING_SECRET" in str(info.value)
    assert "changeme" not in str(info.value) and "xoxb-xxx" not in str(info.value)


@pytest.mark.parametrize("name", ["slack-manifest-http.yaml", "slack-manifest-socket.yaml"])
def test_manifests_ask_only_for_the_scopes_the_events_need(name: str) -> None:
    import yaml

    manifest = yaml.safe_load((KNOWLEDGE.parent / "deploy" / name).read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    needs = {
        "app_mention": "app_mentions:read",
        "message.im": "im:history",
        "message.channels": "channels:history",
    }
    # DMs for confirmations and files, file upload for exports, users:read for the display name
    # stored with a consented interest: each used by a listener, none by anything else.
    interest_log = {"im:write", "files:write", "users:read"}
    assert (
        scopes
        == {needs[e] for e in events if e in needs} | {"chat:write", "commands"} | interest_log
    )
    assert manifest["settings"]["socket_mode_enabled"] is name.endswith("socket.yaml")


def test_a_second_os_process_sharing_the_database_does_not_reply_twice(
    app: Running, fake_slack: FakeSlack, db_url: str
) -> None:
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": db_url, "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_BASE_URL": fake_slack.base_url, "PATHFINDER_USE_GEONAMES": "false"}  # fmt: skip
    env.pop("SLACK_APP_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--http", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, cwd=KNOWLEDGE.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    other = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{other}/healthz", timeout=1).read()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (
                    "second process did not start"
                )
                time.sleep(0.2)
        deliver_concurrently(event(), [(app.url, None), (other, 1), (other, None), (app.url, 2)])
        assert_one_reply(fake_slack)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_mass_mentions_planted_in_catalogue_text_are_escaped(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    import shutil

    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    path = knowledge / "programmes" / "topol.yaml"
    path.write_text(
        path.read_text().replace(
            "label: Agenda for Change band 6 or above",
            "label: Band 6+ <!channel> <https://evil.example|apply here>",
        )
    )
    url = f"sqlite:///{tmp_path / 'planted.db'}"
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:
        load_catalogue(read_catalogue(knowledge), session=session, use_geonames=False)
    running = Running(
        create_app(
            settings_for(fake_slack),
            engine=engine,
            slack_client=web_client(settings_for(fake_slack)),
        ),
        engine,
    )
    try:
        post(running.url, event())
        rendered = json.dumps(answered(fake_slack)[0].body)
        assert "Band 6+ &lt;!channel&gt;" in rendered
        assert "<!channel>" not in rendered and "<https://evil.example" not in rendered
    finally:
        running.stop()


def test_logs_hold_no_message_text_or_user_ids(
    app: Running, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    post(
        app.url,
        event(
            text=f"<@{BOT_USER}> Canary-Zebra-7731 band 6 nurse in Leeds moving into informatics"
        ),
    )
    answered(fake_slack)
    post(app.url, event(text="Canary-Zebra-7731 tampered"), secret="wrong-secret-0123456789abcdef")
    post(
        app.url,
        command("Canary-Zebra-7731 nurse", fake_slack),
        content_type="application/x-www-form-urlencoded",
    )
    fake_slack.wait_for("response_url", 1)
    assert "Canary-Zebra-7731" not in caplog.text
    assert "U0NURSE" not in caplog.text


def test_a_long_queue_is_announced_and_nobody_is_lost(fake_slack: FakeSlack, db_url: str) -> None:
    from bot.answering.phrasing import ModelResponder
    from bot.llm.openai_model import OpenAIChatModel

    from .fakes.openai_server import FakeOpenAI

    llm = FakeOpenAI(default="hang", hang_seconds=1.5).start()
    settings = settings_for(fake_slack, PATHFINDER_WORKERS=1)
    engine = make_engine(db_url)
    model = OpenAIChatModel(model="fake", api_key="test", base_url=llm.url, attempt_timeout=5)
    running = Running(
        create_app(
            settings,
            engine=engine,
            slack_client=web_client(settings),
            responder=ModelResponder(model),
        ),
        engine,
    )
    try:
        for i in range(3):
            post(running.url, event(event_id=f"EvQ{i}", ts=f"17000000{i}0.000100"))
            time.sleep(0.2)
        placeholders = [c.body["text"] for c in fake_slack.wait_for("chat.postMessage", 3)]
        assert any("You're in a queue" in t for t in placeholders)
        assert len(fake_slack.wait_for("chat.update", 3, timeout=20)) == 3
    finally:
        running.stop()
        llm.stop()


def test_too_many_questions_get_a_polite_limit(fake_slack: FakeSlack, db_url: str) -> None:
    running = start(fake_slack, db_url, PATHFINDER_QUESTIONS_PER_MINUTE=2)
    try:
        for i in range(3):
            post(running.url, event(event_id=f"EvR{i}", ts=f"17000001{i}0.000100"))
        posts = [c.body["text"] for c in fake_slack.wait_for("chat.postMessage", 3)]
        assert sum("a lot of questions" in t for t in posts) == 1
        assert len(fake_slack.wait_for("chat.update", 2)) == 2
    finally:
        running.stop()


def test_socket_mode_acks_envelopes_and_replies_once_to_retries(
    fake_slack: FakeSlack, db_url: str
) -> None:
    from bot.app import socket_handler

    from .fakes.socket_server import FakeSocketMode

    socket_server = FakeSocketMode()
    fake_slack.socket_url = socket_server.url
    settings = settings_for(fake_slack, SLACK_APP_TOKEN="xapp-1-test")
    engine = make_engine(db_url)
    app = create_app(settings, engine=engine, slack_client=web_client(settings), socket_mode=True)
    handler = socket_handler(app, "xapp-1-test")
    handler.connect()
    try:
        assert socket_server.wait_connected()
        payload = json.loads(event())
        for attempt in (0, 1, 2):
            socket_server.push({"envelope_id": f"env-{attempt}", "type": "events_api", "accepts_response_payload": False,
                                "retry_attempt": attempt, "retry_reason": "timeout" if attempt else "", "payload": payload})  # fmt: skip
        assert set(socket_server.wait_acks(3)) == {"env-0", "env-1", "env-2"}
        answered(fake_slack)
        settle(fake_slack)
        assert len(fake_slack.of("chat.postMessage")) == 1
        assert len(fake_slack.of("chat.update")) == 1
    finally:
        handler.close()
        socket_server.close()
        app.close()


def test_share_in_channel_posts_the_private_answer_publicly(
    app: Running, fake_slack: FakeSlack
) -> None:
    post(app.url, command(QUESTION, fake_slack), content_type="application/x-www-form-urlencoded")
    reply = fake_slack.wait_for("response_url", 1)[0].body
    share = next(
        e
        for b in reply["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "share_answer"
    )
    post(
        app.url,
        action("share_answer", share["value"], fake_slack),
        content_type="application/x-www-form-urlencoded",
    )
    shared = fake_slack.wait_for("chat.postMessage", 1)[0].body
    assert shared["channel"] == "C0CLIN"
    assert "Shared by <@U0NURSE>" in json.dumps(shared["blocks"])
    assert "Topol Digital Fellowship" in json.dumps(shared["blocks"])
    assert not any(b["type"] == "actions" for b in shared["blocks"])
