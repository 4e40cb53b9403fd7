"""The Slack app as Slack really drives it: signed HTTP requests to a real server on loopback,
replies through the real slack_sdk client to a fake Slack Web API that records every call and
refuses what real Slack refuses. Every test runs on SQLite and on PostgreSQL (`db_url`)."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.catalogue.loader import load_catalogue, read_catalogue
from bot.db import make_engine, migrate
from bot.memory.store import SavedProfile, SlackClaim
from bot.settings import Settings

from .conftest import KNOWLEDGE
from .fakes.slack_server import BOT_USER, TEAM, FakeSlack
from .slack_harness import (
    FORM,
    QUESTION,
    SECRET,
    Running,
    action,
    answers,
    assert_one_reply,
    build_app,
    command,
    deliver_concurrently,
    event,
    post,
    settings_for,
    settle,
    start,
    worker_for,
)


def test_a_mention_shows_the_thinking_status_then_answers_in_the_thread(
    app: Running, fake_slack: FakeSlack
) -> None:
    status, _ = post(app.url, event())
    assert status == 200
    thinking = fake_slack.wait_for("assistant.threads.setStatus", 1)[0].body
    assert (thinking["channel_id"], thinking["thread_ts"]) == ("C0CLIN", "1700000001.000100")
    assert thinking["status"] == "is thinking…" and 1 <= len(thinking["loading_messages"]) <= 10
    reply = answers(fake_slack)[0]
    assert reply.method == "chat.postMessage" and reply.body["thread_ts"] == "1700000001.000100"
    assert reply.at > fake_slack.of("assistant.threads.setStatus")[0].at
    rendered = json.dumps(reply.body["blocks"])
    assert "Register interest" in rendered and "Details" in rendered
    feedback = [b for b in reply.body["blocks"] if b["type"] == "context_actions"]
    assert feedback and feedback[0]["elements"][0]["type"] == "feedback_buttons"
    assert fake_slack.of("chat.update") == []  # no placeholder where the status works


def test_a_placeholder_only_where_slack_refuses_the_status(app: Running, fake_slack: FakeSlack) -> None:
    fake_slack.fault("assistant.threads.setStatus", "error:missing_scope")
    post(app.url, event())
    placeholder = fake_slack.wait_for("chat.postMessage", 1)[0].body
    assert "Checking the catalogue" in placeholder["text"]
    assert placeholder["thread_ts"] == "1700000001.000100"
    [reply] = answers(fake_slack)
    assert reply.method == "chat.update" and reply.body["ts"] == fake_slack.of("chat.postMessage")[0].body.get("ts", reply.body["ts"])


def test_a_question_delivered_four_times_gets_one_reply(
    app: Running, fake_slack: FakeSlack
) -> None:
    deliver_concurrently(event(), [(app.url, r) for r in (None, 1, 2, 3)])
    assert_one_reply(fake_slack)


def test_a_retry_whose_original_never_arrived_is_answered(
    app: Running, fake_slack: FakeSlack
) -> None:
    assert post(app.url, event(), retry=2)[0] == 200
    assert len(answers(fake_slack)) == 1


def test_the_message_and_app_mention_twin_get_one_reply(
    app: Running, fake_slack: FakeSlack
) -> None:
    twin = event("message", event_id="Ev002", channel_type="channel")
    for body in (twin, event()):
        post(app.url, body)
    assert_one_reply(fake_slack)


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
    settle(0.5)
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
    settle(1.0)
    assert fake_slack.replies() == [] and fake_slack.of("assistant.threads.setStatus") == []


def test_a_direct_message_is_answered_without_a_thread_and_the_status_cleared(
    app: Running, fake_slack: FakeSlack
) -> None:
    post(app.url, event("message", text=QUESTION, channel="D0NURSE", channel_type="im"))
    [reply] = answers(fake_slack)
    assert reply.body.get("thread_ts") in (None, "")
    statuses = fake_slack.wait_for("assistant.threads.setStatus", 2)
    assert [c.body["status"] for c in statuses] == ["is thinking…", ""]  # our reply went top-level


def test_an_assistant_thread_gets_prompts_status_answer_and_a_title(
    app: Running, fake_slack: FakeSlack
) -> None:
    from .slack_harness import raw_event

    started = {"type": "assistant_thread_started", "assistant_thread": {"user_id": "U0NURSE", "channel_id": "D0NURSE",
               "thread_ts": "1700000100.000100", "context": {}}, "event_ts": "1700000100.000200"}  # fmt: skip
    assert post(app.url, raw_event(started, "EvStart"))[0] == 200
    prompts = fake_slack.wait_for("assistant.threads.setSuggestedPrompts", 1)[0].body
    assert prompts["thread_ts"] == "1700000100.000100" and 1 <= len(prompts["prompts"]) <= 4
    post(app.url, event("message", text=QUESTION, channel="D0NURSE", channel_type="im", event_id="EvQ",
                        ts="1700000101.000100", thread_ts="1700000100.000100"))  # fmt: skip
    [reply] = answers(fake_slack)
    assert reply.body["thread_ts"] == "1700000100.000100"
    title = fake_slack.wait_for("assistant.threads.setTitle", 1)[0].body
    assert title["thread_ts"] == "1700000100.000100" and 0 < len(title["title"]) <= 60
    assert [c.body["thread_ts"] for c in fake_slack.of("assistant.threads.setStatus")] == ["1700000100.000100"]


def test_the_agent_views_messages_tab_gets_suggested_prompts(app: Running, fake_slack: FakeSlack) -> None:
    from .slack_harness import raw_event

    opened = {"type": "app_home_opened", "user": "U0NURSE", "channel": "D0NURSE", "tab": "messages"}
    post(app.url, raw_event(opened, "EvTab"))
    prompts = fake_slack.wait_for("assistant.threads.setSuggestedPrompts", 1)[0].body
    assert "thread_ts" not in prompts or not prompts["thread_ts"]  # agent apps send none
    assert all(p["title"] and p["message"] for p in prompts["prompts"])
    assert fake_slack.of("views.publish") == []


def test_a_follow_up_in_a_thread_it_answered_needs_no_mention(
    app: Running, fake_slack: FakeSlack
) -> None:
    post(app.url, event())
    answers(fake_slack)
    follow = event("message", text="What about protected time for a digital project?", event_id="Ev010",
                   ts="1700000002.000100", thread_ts="1700000001.000100", channel_type="channel")  # fmt: skip
    post(app.url, follow)
    second = answers(fake_slack, 2)
    assert len(second) == 2
    assert second[1].body["thread_ts"] == "1700000001.000100"
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
    settle(1.0)
    assert len(fake_slack.of("chat.postMessage")) == 2


def test_an_empty_mention_gets_help(app: Running, fake_slack: FakeSlack) -> None:
    post(app.url, event(text=f"<@{BOT_USER}>"))
    reply = fake_slack.wait_for("chat.postMessage", 1)[0].body
    assert "I'm Pathfinder" in reply["text"]
    settle(0.5)
    assert fake_slack.of("chat.update") == [] and fake_slack.of("assistant.threads.setStatus") == []


def test_mass_mentions_in_a_question_are_escaped(app: Running, fake_slack: FakeSlack) -> None:
    post(
        app.url,
        event(
            text=f"<@{BOT_USER}> <!channel> band 6 nurse in Leeds <https://evil.example|NHS> informatics"
        ),
    )
    update = answers(fake_slack)[0].body
    rendered = json.dumps(update)
    assert "<!channel>" not in rendered and "evil.example|NHS>" not in rendered


def test_a_ten_thousand_character_question_gets_a_valid_answer(
    app: Running, fake_slack: FakeSlack
) -> None:
    post(app.url, event(text=f"<@{BOT_USER}> " + QUESTION + " " + "really " * 1400))
    update = answers(fake_slack)[0]
    assert update.body["blocks"]
    assert all(c.body.get("ok", True) for c in fake_slack.calls)


def test_a_slack_429_is_waited_out_and_posted_once(app: Running, fake_slack: FakeSlack) -> None:
    fake_slack.fault("chat.postMessage", "429")
    post(app.url, event())
    answers(fake_slack)
    posts = fake_slack.of("chat.postMessage")
    assert len(posts) == 2  # the 429, then the one real post
    assert posts[1].at - posts[0].at >= 0.9


def test_an_answer_slack_refuses_is_sent_as_plain_text_and_nothing_is_lost(
    app: Running, fake_slack: FakeSlack
) -> None:
    fake_slack.fault("chat.postMessage", "error:invalid_blocks")
    post(app.url, event())
    posts = fake_slack.wait_for("chat.postMessage", 2)
    assert "feedback_buttons" in json.dumps(posts[0].body["blocks"])
    assert posts[1].body["text"].startswith("For a band 6 nurse in Leeds")
    settle(0.5)
    assert len(fake_slack.of("chat.postMessage")) == 2


def test_when_slack_refuses_everything_the_person_is_not_answered_twice(
    app: Running, fake_slack: FakeSlack
) -> None:
    fake_slack.fault("chat.postMessage", *["error:channel_not_found"] * 3)
    post(app.url, event())
    fake_slack.wait_for("chat.postMessage", 3)
    settle(1.0)
    assert len(fake_slack.of("chat.postMessage")) == 3  # answer, text, apology: each tried once
    assert fake_slack.of("assistant.threads.setStatus")[-1].body["status"] == ""  # not left spinning


def test_slash_command_answers_privately_with_a_share_button(
    app: Running, fake_slack: FakeSlack
) -> None:
    status, body = post(
        app.url, command(QUESTION, fake_slack), content_type=FORM
    )
    assert status == 200 and json.loads(body)["response_type"] == "ephemeral"
    reply = fake_slack.wait_for("response_url", 1)[0].body
    assert reply["response_type"] == "ephemeral"
    assert "Share in channel" in json.dumps(reply["blocks"])


def test_slash_command_help_and_profile(app: Running, fake_slack: FakeSlack) -> None:
    _, body = post(
        app.url, command("help", fake_slack), content_type=FORM
    )
    assert "I'm Pathfinder" in json.loads(body)["text"]
    _, body = post(
        app.url, command("profile", fake_slack), content_type=FORM
    )
    assert "don't hold a profile" in json.loads(body)["text"]


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
            content_type=FORM,
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
    update = answers(fake_slack)[0].body
    assert "band 7 allied health professional" in json.dumps(update["blocks"]).lower()


def test_malformed_payloads_never_crash_the_app(app: Running, fake_slack: FakeSlack) -> None:
    for body in ["", "not json", "{}", json.dumps({"type": "event_callback", "event": {"type": "message"}}),
                 json.dumps({"type": "event_callback", "event_id": "Ev9", "event": {"type": "app_mention", "channel": "C1"}})]:  # fmt: skip
        status, text = post(app.url, body)
        assert status in (200, 400, 401, 404)
        assert "Traceback" not in text
    settle(0.5)
    assert fake_slack.replies() == []
    with urllib.request.urlopen(f"{app.url}/healthz", timeout=5) as response:
        assert json.loads(response.read())["ok"] is True


def test_missing_or_placeholder_secrets_fail_fast_without_echoing(
    fake_slack: FakeSlack, db_url: str
) -> None:
    from bot.settings import SettingsError

    settings = Settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-xxx", SLACK_SIGNING_SECRET="changeme")  # type: ignore[call-arg]
    with pytest.raises(SettingsError) as info:
        build_app(settings, make_engine(db_url))
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
    # chat:write posts and sets the thinking status; assistant:write sets suggested prompts and
    # thread titles in the agent view.
    assert (
        scopes
        == {needs[e] for e in events if e in needs}
        | {"chat:write", "commands", "assistant:write"}
        | interest_log
    )
    assert "app_home_opened" in events  # App Home, and the agent view's Messages tab
    assert manifest["features"]["agent_view"]["agent_description"]
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
    running = Running(build_app(settings_for(fake_slack), engine), engine)
    try:
        post(running.url, event(text=f"<@{BOT_USER}> Band 6 nurse in Leeds: tell me about the Topol Digital Fellowship"))
        reply = answers(fake_slack)[0].body
        details = next(e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]
                       if e["action_id"] == "answer_details" and '"topol"' in e["value"])  # fmt: skip
        post(running.url, action("answer_details", details["value"], fake_slack), content_type=FORM)
        modal = fake_slack.wait_for("views.open", 1)[0].body["view"]
        rendered = json.dumps(reply) + json.dumps(modal)
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
    answers(fake_slack)
    post(app.url, event(text="Canary-Zebra-7731 tampered"), secret="wrong-secret-0123456789abcdef")
    post(
        app.url,
        command("Canary-Zebra-7731 nurse", fake_slack),
        content_type=FORM,
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
    running = Running(build_app(settings, engine, responder=ModelResponder(model)), engine)
    try:
        for i in range(3):
            post(running.url, event(event_id=f"EvQ{i}", ts=f"17000000{i}0.000100"))
            time.sleep(0.2)
        statuses = [c.body["status"] for c in fake_slack.wait_for("assistant.threads.setStatus", 3)]
        assert any("question(s) ahead of yours" in t for t in statuses)
        assert len(answers(fake_slack, 3, timeout=20)) == 3
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
        assert len(answers(fake_slack, 2)) == 2
    finally:
        running.stop()


def test_socket_mode_acks_envelopes_and_replies_once_to_retries(
    fake_slack: FakeSlack, db_url: str
) -> None:
    from bot.slack.app import socket_handler

    from .fakes.socket_server import FakeSocketMode

    socket_server = FakeSocketMode()
    fake_slack.socket_url = socket_server.url
    settings = settings_for(fake_slack, SLACK_APP_TOKEN="xapp-1-test")
    engine = make_engine(db_url)
    app = build_app(settings, engine, socket_mode=True)
    worker = worker_for(app)
    handler = socket_handler(app, "xapp-1-test")
    handler.connect()
    try:
        assert socket_server.wait_connected()
        payload = json.loads(event())
        for attempt in (0, 1, 2):
            socket_server.push({"envelope_id": f"env-{attempt}", "type": "events_api", "accepts_response_payload": False,
                                "retry_attempt": attempt, "retry_reason": "timeout" if attempt else "", "payload": payload})  # fmt: skip
        assert set(socket_server.wait_acks(3)) == {"env-0", "env-1", "env-2"}
        assert_one_reply(fake_slack)
    finally:
        handler.close()
        socket_server.close()
        if worker is not None:
            worker.stop()
        app.close()


def test_a_thread_whose_answer_could_not_be_posted_is_not_joined(app: Running, fake_slack: FakeSlack) -> None:
    # Slack refuses the answer, its plain-text retry and the apology: nothing of ours is in the
    # thread, so a later reply there is not ours to answer.
    fake_slack.fault("chat.postMessage", "error:not_in_channel", "error:not_in_channel", "error:not_in_channel")
    post(app.url, event())
    fake_slack.wait_for("chat.postMessage", 3)
    follow = event("message", text="What about protected time for a digital project?", event_id="Ev012",
                   ts="1700000002.000100", thread_ts="1700000001.000100", channel_type="channel")  # fmt: skip
    post(app.url, follow)
    settle(1.0)
    assert len(fake_slack.of("chat.postMessage")) == 3
    assert fake_slack.replies() == []
