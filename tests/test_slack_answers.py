"""What people do with an answer in Slack, and whose answer it is: native feedback, Details,
Share from the stored record (on any replica), each person's own context in a shared thread,
follow-ups like "can I do it part time?", and an apology (never silence, never a false record)
when work after the ack fails. SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from bot.memory.store import AnswerRecord, ConversationTurn, Feedback

from .fakes.openai_server import FakeOpenAI
from .fakes.slack_server import BOT_USER, Call, FakeSlack
from .slack_harness import (
    FORM,
    QUESTION,
    Running,
    answers,
    click,
    command,
    event,
    post,
    settle,
    start,
    until,
)


def buttons(call: Call) -> dict[str, dict[str, Any]]:
    """The answer's interactive elements by action id (the first of each)."""
    found: dict[str, dict[str, Any]] = {}
    for block in call.body.get("blocks") or []:
        for element in block.get("elements") or []:
            if isinstance(element, dict) and "action_id" in element:
                found.setdefault(element["action_id"], element)
    return found


def ephemerals(fake: FakeSlack, user: str = "U0NURSE") -> list[str]:
    return [c.body.get("text", "") for c in fake.of("chat.postEphemeral") if c.body.get("user") == user]


def asked_in_channel(running: Running, fake: FakeSlack, question: str = QUESTION) -> Call:
    post(running.url, event(text=f"<@{BOT_USER}> {question}"))
    return answers(fake)[0]


# -- Feedback ------------------------------------------------------------------------------------


def test_native_feedback_is_stored_once_per_person_and_can_change(app: Running, fake_slack: FakeSlack) -> None:
    reply = asked_in_channel(app, fake_slack)
    feedback = buttons(reply)["answer_feedback"]
    assert feedback["type"] == "feedback_buttons"
    up, down = feedback["positive_button"]["value"], feedback["negative_button"]["value"]
    click(app, fake_slack, "answer_feedback", up, kind="feedback_buttons")
    until(lambda: ephemerals(fake_slack))
    click(app, fake_slack, "answer_feedback", down, kind="feedback_buttons")
    until(lambda: len(ephemerals(fake_slack)) == 2)
    with Session(app.engine) as session:
        rows = session.exec(select(Feedback)).all()
    assert [(r.answer_id, r.user_id, r.helpful) for r in rows] == [(up.split(":")[1], "U0NURSE", False)]
    assert all("recorded" in t for t in ephemerals(fake_slack))


def test_feedback_on_an_unknown_answer_stores_nothing_and_says_so(app: Running, fake_slack: FakeSlack) -> None:
    click(app, fake_slack, "answer_feedback", "up:0123456789abcdef", kind="feedback_buttons")
    [said] = until(lambda: ephemerals(fake_slack))
    assert "no longer hold" in said
    with Session(app.engine) as session:
        assert session.exec(select(Feedback)).all() == []


# -- Details -------------------------------------------------------------------------------------


def test_details_opens_a_modal_from_the_stored_answer(app: Running, fake_slack: FakeSlack) -> None:
    reply = asked_in_channel(app, fake_slack)
    details = buttons(reply)["answer_details"]
    click(app, fake_slack, "answer_details", details["value"])
    view = fake_slack.wait_for("views.open", 1)[0].body["view"]
    shown = json.dumps(view)
    wanted = json.loads(details["value"])["p"]
    with Session(app.engine) as session:
        record = session.get(AnswerRecord, json.loads(details["value"])["a"])
    assert record is not None and record.user_id == "U0NURSE" and record.document is not None
    name = next(s["name"] for s in record.document["suggestions"] if s["id"] == wanted)
    assert name[:40] in shown and "Last reviewed" in shown or "last reviewed" in shown
    assert QUESTION not in json.dumps(record.document)  # the question's words are not kept there


def test_details_that_cannot_open_get_an_apology(app: Running, fake_slack: FakeSlack) -> None:
    reply = asked_in_channel(app, fake_slack)
    fake_slack.fault("views.open", "error:expired_trigger_id")
    click(app, fake_slack, "answer_details", buttons(reply)["answer_details"]["value"])
    [said] = until(lambda: ephemerals(fake_slack))
    assert "couldn't open the details" in said


def test_a_forged_details_button_says_so(app: Running, fake_slack: FakeSlack) -> None:
    reply = asked_in_channel(app, fake_slack)
    answer_id = json.loads(buttons(reply)["answer_details"]["value"])["a"]
    click(app, fake_slack, "answer_details", json.dumps({"a": answer_id, "p": "no-such-programme"}))
    click(app, fake_slack, "answer_details", "not json at all")
    said = until(lambda: len(ephemerals(fake_slack)) == 2 and ephemerals(fake_slack))
    # Two clicks are handled on two listener threads: their replies may arrive in either order.
    assert sorted("isn't part of this answer" in s for s in said) == [False, True]
    assert sorted("no longer hold" in s for s in said) == [False, True]
    assert fake_slack.of("views.open") == []


# -- Share ---------------------------------------------------------------------------------------


def private_answer(running: Running, fake: FakeSlack, user: str = "U0NURSE") -> Call:
    post(running.url, command(QUESTION, fake, user=user), content_type=FORM)
    return until(lambda: [c for c in fake.of("response_url") if "share_answer" in json.dumps(c.body)])[0]  # type: ignore[no-any-return]


def test_share_works_on_another_replica_from_the_stored_answer(
    app: Running, fake_slack: FakeSlack, db_url: str
) -> None:
    reply = private_answer(app, fake_slack)
    share = buttons(reply)["share_answer"]
    other = start(fake_slack, db_url)  # a second replica (or this one after a restart)
    try:
        click(other, fake_slack, "share_answer", share["value"])
        shared = fake_slack.wait_for("chat.postMessage", 1)[0].body
    finally:
        other.stop()
    assert shared["channel"] == "C0CLIN"
    blocks = json.dumps(shared["blocks"])
    assert "Shared by <@U0NURSE>" in blocks and "For a band 6 nurse in Leeds" in blocks
    assert "share_answer" not in blocks  # the public copy has no Share button of its own


def test_only_the_asker_can_share_and_an_erased_answer_cannot_be(app: Running, fake_slack: FakeSlack) -> None:
    share = buttons(private_answer(app, fake_slack))["share_answer"]
    click(app, fake_slack, "share_answer", share["value"], user="U0OTHER")
    [refused] = until(lambda: ephemerals(fake_slack, "U0OTHER"))
    assert "Only the person who asked" in refused
    click(app, fake_slack, "forget_me_confirm", "erase")
    until(lambda: any("erased" in json.dumps(c.body) for c in fake_slack.of("response_url")))
    click(app, fake_slack, "share_answer", share["value"])
    [gone] = until(lambda: ephemerals(fake_slack))
    assert "no longer hold" in gone
    settle(0.3)
    assert fake_slack.of("chat.postMessage") == []


# -- Each person's own context -------------------------------------------------------------------


def in_thread(running: Running, user: str, words: str, n: int, *, mention: bool = False) -> None:
    post(running.url, event("message" if not mention else "app_mention", user=user, event_id=f"EvT{n}",
                            text=(f"<@{BOT_USER}> " if mention else "") + words, ts=f"170000001{n}.000100",
                            thread_ts="1700000010.000100", channel_type="channel"))  # fmt: skip


def test_a_second_person_in_a_thread_is_answered_on_their_own_profile_and_history(
    fake_slack: FakeSlack, db_url: str
) -> None:
    from bot.answering.phrasing import ModelResponder
    from bot.llm.openai_model import OpenAIChatModel

    llm = FakeOpenAI().start()
    model = OpenAIChatModel(model="fake", api_key="test", base_url=llm.url, attempt_timeout=5)
    running = start(fake_slack, db_url, responder=ModelResponder(model))
    try:
        post(running.url, event(text=f"<@{BOT_USER}> Canary-Zebra-7731 here: I'm a band 6 nurse in Leeds, "
                                "tell me about the Topol Digital Fellowship", ts="1700000010.000100"))  # fmt: skip
        answers(fake_slack, 1, timeout=30)
        before = len(llm.requests)
        in_thread(running, "U0GPTRAIN", "I'm an ST3 GP trainee in Bristol. Tell me about Flexible Portfolio Training", 1)
        second = answers(fake_slack, 2, timeout=30)[1].body
        in_thread(running, "U0GPTRAIN", "can I do it part time?", 2)
        third = answers(fake_slack, 3, timeout=30)[2].body
        prompts_for_b = json.dumps([r.body for r in llm.requests[before:]])  # B's calls (and retries)
        in_thread(running, "U0NURSE", "can I do it part time?", 3)
        fourth = answers(fake_slack, 4, timeout=30)[3].body
    finally:
        running.stop()
        llm.stop()
    seen_by_b = json.dumps(second) + json.dumps(third)
    assert "nurse" not in seen_by_b.lower() and "Leeds" not in seen_by_b
    assert "Flexible Portfolio Training" in json.dumps(third) and "Topol" not in json.dumps(third)
    assert "Topol" in json.dumps(fourth)  # A's "it" is A's programme
    assert "Canary-Zebra-7731" not in prompts_for_b and "Leeds" not in prompts_for_b
    with Session(running.engine) as session:
        turns = session.exec(select(ConversationTurn).where(ConversationTurn.user_id == "U0GPTRAIN")).all()
        records = session.exec(select(AnswerRecord).where(AnswerRecord.user_id == "U0GPTRAIN")).all()
    assert turns and all("U0GPTRAIN" in t.key for t in turns)
    assert all((t.profile or {}).get("profession") != "nurse" for t in turns)
    assert "Canary-Zebra-7731" not in json.dumps([t.model_dump(mode="json") for t in turns])
    assert len(records) == 2 and "Leeds" not in json.dumps([r.document for r in records])


# -- Failures after the ack ----------------------------------------------------------------------


def test_a_failure_while_answering_gets_an_apology(app: Running, fake_slack: FakeSlack) -> None:
    with app.engine.begin() as conn:  # the database loses a table under the running app
        conn.execute(text("DROP TABLE conversationturn"))
    post(app.url, event())
    reply = until(lambda: [c for c in fake_slack.replies() if "went wrong" in c.body.get("text", "")])
    assert reply and reply[0].body["thread_ts"] == "1700000001.000100"
    assert "Traceback" not in json.dumps(reply[0].body)


def test_a_forged_register_button_says_the_programme_is_unknown(app: Running, fake_slack: FakeSlack) -> None:
    click(app, fake_slack, "register_interest", json.dumps({"programme": "made-up-fellowship"}))
    [said] = until(lambda: ephemerals(fake_slack))
    assert "can't find that programme" in said
    assert fake_slack.of("views.open") == []


def test_a_registration_form_that_cannot_open_gets_an_apology(app: Running, fake_slack: FakeSlack) -> None:
    fake_slack.fault("views.open", "error:expired_trigger_id")
    click(app, fake_slack, "register_interest", json.dumps({"programme": "fpt"}))
    [said] = until(lambda: ephemerals(fake_slack))
    assert "couldn't open the registration form" in said and "Nothing was recorded" in said


def test_a_private_answer_the_response_url_refuses_goes_to_the_dm_as_an_apology(
    app: Running, fake_slack: FakeSlack
) -> None:
    fake_slack.fault("response_url", "error:expired_url")
    post(app.url, command(QUESTION, fake_slack), content_type=FORM)
    dm = until(lambda: [c for c in fake_slack.of("chat.postMessage") if c.body.get("channel") == "D0NURSE"])
    assert dm and "went wrong" in dm[0].body["text"]
