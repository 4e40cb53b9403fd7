"""The interest log through Slack as Slack drives it: signed requests to the real app on
loopback, the real slack_sdk client, a fake Slack Web API that records every call and file."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.interests.tables import AuditEntry, Interest

from .fakes.slack_server import TEAM, FakeSlack
from .slack_harness import Running, answers, event, grant_coordinators, post, start

FORM = "application/x-www-form-urlencoded"
NW_CHANNEL = "C0NWCOORD"
NAME = "Canary Nurse-5521"


@pytest.fixture()
def app(fake_slack: FakeSlack, db_url: str) -> Iterator[Running]:  # noqa: F811
    fake_slack.names["U0NURSE"] = NAME
    running = start(fake_slack, db_url, PATHFINDER_COORDINATOR_CHANNELS={"North West": NW_CHANNEL})
    grant_coordinators(running.engine, {"U0NWCOORD": "North West", "U0LONCOORD": "London"})
    yield running
    running.stop()


def interact(app: Running, payload: dict[str, Any]) -> tuple[int, str]:
    return post(app.url, urlencode({"payload": json.dumps(payload)}), content_type=FORM)


def click(app: Running, fake: FakeSlack, action_id: str, value: str, user: str = "U0NURSE") -> tuple[int, str]:  # fmt: skip
    return interact(app, {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM},
                          "trigger_id": "1.2.3", "response_url": fake.response_url, "view": {"type": "home"},
                          "actions": [{"action_id": action_id, "value": value, "type": "button", "block_id": "b"}]})  # fmt: skip


def submit(app: Running, *, consent: bool, region: str = "North West", programme: str = "topol",
           user: str = "U0NURSE") -> tuple[int, str]:  # fmt: skip
    values: dict[str, Any] = {
        "region": {"interest_region": {"type": "static_select", "selected_option": {"value": region}}},
        "profession": {"value": {"type": "static_select", "selected_option": {"value": "nurse"}}},
        "band": {"value": {"type": "static_select", "selected_option": {"value": "6"}}},
        "consent": {"value": {"type": "checkboxes", "selected_options": [{"value": "consent"}] if consent else []}},
    }  # fmt: skip
    return interact(app, {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM},
                          "view": {"id": "V1", "type": "modal", "callback_id": "interest_modal",
                                   "private_metadata": json.dumps({"programme": programme}),
                                   "state": {"values": values}}})  # fmt: skip


def command(app: Running, fake: FakeSlack, text: str, user: str = "U0NURSE") -> tuple[int, str]:
    body = urlencode({"team_id": TEAM, "channel_id": "C0CLIN", "user_id": user, "command": "/pathfinder",
                      "text": text, "response_url": fake.response_url, "trigger_id": "1.2.3"})  # fmt: skip
    return post(app.url, body, content_type=FORM)


def interests(engine: Engine) -> list[Interest]:
    with Session(engine) as session:
        return list(session.exec(select(Interest)).all())


def audit_of(engine: Engine, user: str) -> list[tuple[str, str | None, int, str]]:
    with Session(engine) as session:
        rows = session.exec(
            select(AuditEntry).where(AuditEntry.actor == f"slack:{TEAM}:{user}")
        ).all()
    return [(e.action, e.region, e.row_count, e.outcome) for e in rows]


def posts_to(fake: FakeSlack, channel: str) -> list[str]:
    return [
        json.dumps(c.body) for c in fake.of("chat.postMessage") if c.body.get("channel") == channel
    ]


def until(probe: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until `probe()` is truthy (listeners run after Bolt acks); return its last value."""
    deadline = time.monotonic() + timeout
    while not (found := probe()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


def home_of(fake: FakeSlack, user: str) -> dict[str, Any] | None:
    """The newest App Home published for `user`."""
    views = [c.body["view"] for c in fake.of("views.publish") if c.body.get("user_id") == user]
    return views[-1] if views else None


def said(fake: FakeSlack, channel: str, phrase: str) -> list[str]:
    return [p for p in posts_to(fake, channel) if phrase in p]


def test_button_modal_consent_one_row_one_confirmation_one_notice(
    app: Running, fake_slack: FakeSlack
) -> None:
    post(app.url, event("message", text="Band 6 nurse in Leeds moving into informatics", channel="D0NURSE",
                        channel_type="im", event_id="Ev1"))  # fmt: skip
    answers(fake_slack)
    assert click(app, fake_slack, "register_interest", '{"programme": "topol"}')[0] == 200
    modal = fake_slack.wait_for("views.open", 1)[0].body["view"]
    shown = json.dumps(modal)
    for needed in ("Topol Digital Fellowship", "What is stored", "365 days", "withdraw", "Consent"):
        assert needed in shown
    region = next(b for b in modal["blocks"] if b.get("block_id") == "region")
    assert (
        region["element"]["initial_option"]["value"] == "North East and Yorkshire"
    )  # from the question

    status, body = submit(app, consent=False)
    assert status == 200 and "consent" in json.loads(body)["errors"]
    assert interests(app.engine) == []

    assert submit(app, consent=True) == (200, "")
    confirmations = fake_slack.wait_for("chat.postMessage", 2)
    [row] = interests(app.engine)
    assert (
        row.user_id,
        row.display_name,
        row.region,
        row.network_id,
        row.programme_id,
        row.grade,
    ) == ("U0NURSE", NAME, "North West", "isdn-north-west", "topol", "Band 6")
    assert len(said(fake_slack, "D0NURSE", "is registered")) == 1
    [notice] = until(lambda: posts_to(fake_slack, NW_CHANNEL))
    assert "Topol" in notice and NAME not in notice and "U0NURSE" not in notice

    for _ in range(3):  # a replayed submission, and a double click
        assert submit(app, consent=True)[0] == 200
    post(app.url, event("message", text="thanks", channel="D0NURSE", channel_type="im", event_id="Ev2", ts="1700000009.000100"))  # fmt: skip
    answers(fake_slack, 2)
    assert len(interests(app.engine)) == 1
    assert len(said(fake_slack, "D0NURSE", "is registered")) == 1
    assert len(said(fake_slack, "D0NURSE", "is updated")) == 0
    assert len(posts_to(fake_slack, NW_CHANNEL)) == 1
    assert len(confirmations) >= 2


def test_typing_register_my_interest_records_nothing_and_offers_the_consent_step(
    app: Running, fake_slack: FakeSlack
) -> None:
    post(app.url, event("message", text="Please register my interest in FPT, I'm an ST4 in Manchester",
                        channel="D0NURSE", channel_type="im"))  # fmt: skip
    reply = json.dumps(answers(fake_slack)[0].body["blocks"])
    assert "Nothing has been recorded" in reply and "register_interest" in reply
    assert interests(app.engine) == []


def _registered(app: Running, fake: FakeSlack, region: str = "North West") -> Interest:
    assert submit(app, consent=True, region=region) == (200, "")
    return until(lambda: interests(app.engine))[0]  # type: ignore[no-any-return]


def test_coordinator_home_queue_status_and_export_are_audited(
    app: Running, fake_slack: FakeSlack
) -> None:
    row = _registered(app, fake_slack)
    home = json.dumps({"team_id": TEAM, "event": {"type": "app_home_opened", "user": "U0NWCOORD", "tab": "home"},
                       "type": "event_callback", "event_id": "EvHome", "event_time": 1})  # fmt: skip
    post(app.url, home)
    view = json.dumps(until(lambda: home_of(fake_slack, "U0NWCOORD")))
    assert "Interest log: North West" in view and NAME in view and "Export CSV" in view
    assert audit_of(app.engine, "U0NWCOORD") == [("view", "North West", 1, "ok")]

    click(app, fake_slack, "interest_status", json.dumps({"id": row.id, "status": "contacted"}), user="U0NWCOORD")  # fmt: skip
    [changed] = until(lambda: [r for r in interests(app.engine) if r.status == "contacted"])
    assert (changed.status, changed.status_by) == ("contacted", "U0NWCOORD")

    click(app, fake_slack, "export_interests", "export", user="U0NWCOORD")
    fake_slack.wait_for("files.completeUploadExternal", 1)
    [(upload, content)] = fake_slack.files_to("D0NWCOORD")
    exported = list(csv.DictReader(io.StringIO(content)))
    assert [(r["display_name"], r["status"], r["region"]) for r in exported] == [
        (NAME, "contacted", "North West")
    ]
    # The export is audited once Slack has the file, so the entry lands just after the upload.
    actions = until(lambda: [a[0] for a in audit_of(app.engine, "U0NWCOORD") if a[0] == "export"] and
                    [a[0] for a in audit_of(app.engine, "U0NWCOORD")])  # fmt: skip
    assert actions.count("status_change") == 1 and actions.count("export") == 1


def test_other_regions_and_people_without_a_role_are_refused_neutrally_and_audited(
    app: Running, fake_slack: FakeSlack
) -> None:
    row = _registered(app, fake_slack)
    # A London coordinator forges a North West interest id, and asks for North West by name.
    click(app, fake_slack, "interest_status", json.dumps({"id": row.id, "status": "closed"}), user="U0LONCOORD")  # fmt: skip
    command(app, fake_slack, "interests North West", user="U0LONCOORD")
    command(app, fake_slack, "interests", user="U0NURSE")  # a clinician with no role
    refusals = until(
        lambda: (
            len(
                said(fake_slack, "D0LONCOORD", "available")
                + said(fake_slack, "D0NURSE", "available")
            )
            == 3
            and said(fake_slack, "D0LONCOORD", "available")
            + said(fake_slack, "D0NURSE", "available")
        )
    )
    assert len(refusals) == 3 and all("isn't available to you" in r for r in refusals)
    assert interests(app.engine)[0].status == "new"
    assert fake_slack.of("files.completeUploadExternal") == []
    london = audit_of(app.engine, "U0LONCOORD")
    # The click and the command run on separate Bolt threads: either may be audited first.
    assert sorted((a[0], a[3]) for a in london if a[3] == "denied") == [
        ("export", "denied"),
        ("status_change", "denied"),
    ]
    assert {a[:2] for a in london if a[3] == "ok"} <= {("view", "London")}  # its own (empty) queue
    # The nurse's own registration is audited too (ok); the export they tried is denied.
    assert [a[3] for a in audit_of(app.engine, "U0NURSE") if a[0] == "export"] == ["denied"]


def test_a_clinician_sees_withdraws_exports_and_erases_their_own_data(
    app: Running, fake_slack: FakeSlack
) -> None:
    _registered(app, fake_slack)
    home = json.dumps(until(lambda: home_of(fake_slack, "U0NURSE")))
    assert "Your registered interests" in home and "withdraw_interest" in home

    command(app, fake_slack, "my-data")
    fake_slack.wait_for("files.completeUploadExternal", 1)
    [(_, content)] = fake_slack.files_to("D0NURSE")
    assert json.loads(content)["interest"][0]["display_name"] == NAME

    click(app, fake_slack, "withdraw_interest", "topol")
    fake_slack.wait_for("views.publish", 2)
    assert interests(app.engine) == []

    _registered(app, fake_slack)
    status, body = command(app, fake_slack, "forget-me")
    assert "forget_me_confirm" in body and len(interests(app.engine)) == 1  # asks first
    click(app, fake_slack, "forget_me_confirm", "erase")
    erased = [c for c in fake_slack.wait_for("response_url", 1) if "erased" in json.dumps(c.body)]
    assert erased and interests(app.engine) == [] and audit_of(app.engine, "U0NURSE") == []


def test_the_consent_notice_follows_the_region_chosen_in_the_form(
    app: Running, fake_slack: FakeSlack
) -> None:
    click(app, fake_slack, "register_interest", '{"programme": "topol"}')
    modal = fake_slack.wait_for("views.open", 1)[0].body["view"]
    [checkbox] = next(b for b in modal["blocks"] if b.get("block_id") == "consent")["element"]["options"]
    assert len(checkbox["text"]["text"]) <= 75  # Slack refuses longer option text
    region = next(b for b in modal["blocks"] if b.get("block_id") == "region")
    assert region["dispatch_action"] is True
    changed = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": "U0NURSE", "team_id": TEAM},
               "trigger_id": "1.2.4", "view": {**modal, "id": "V0MODAL", "hash": "h1", "state": {"values": {
                   "region": {"interest_region": {"type": "static_select", "selected_option": {"value": "London"}}}}}},
               "actions": [{"action_id": "interest_region", "block_id": "region", "type": "static_select",
                            "selected_option": {"value": "London"}}]}  # fmt: skip
    assert interact(app, changed)[0] == 200
    update = fake_slack.wait_for("views.update", 1)[0].body
    assert update["view_id"] == "V0MODAL" and update["hash"] == "h1"
    notice = next(b for b in update["view"]["blocks"] if b.get("block_id") == "notice")["text"]["text"]
    assert "(London)" in notice and "North West" not in notice
    chosen = next(b for b in update["view"]["blocks"] if b.get("block_id") == "region")
    assert chosen["element"]["initial_option"]["value"] == "London"


def test_an_export_slack_refuses_is_apologised_for_and_not_audited_as_done(
    app: Running, fake_slack: FakeSlack
) -> None:
    _registered(app, fake_slack)
    fake_slack.fault("files.completeUploadExternal", "error:upload_failed")
    click(app, fake_slack, "export_interests", "export", user="U0NWCOORD")
    sorry = until(lambda: said(fake_slack, "D0NWCOORD", "nothing was exported"))
    assert sorry
    assert [a for a in audit_of(app.engine, "U0NWCOORD") if a[0] == "export"] == []


def test_a_stale_status_button_changes_nothing_and_says_why(app: Running, fake_slack: FakeSlack) -> None:
    row = _registered(app, fake_slack)
    click(app, fake_slack, "interest_status", json.dumps({"id": row.id, "status": "contacted", "from": "new"}), user="U0NWCOORD")  # fmt: skip
    until(lambda: [r for r in interests(app.engine) if r.status == "contacted"])
    # A second coordinator's page still showed "new": their "Mark contacted" is stale.
    click(app, fake_slack, "interest_status", json.dumps({"id": row.id, "status": "closed", "from": "new"}), user="U0NWCOORD")  # fmt: skip
    assert until(lambda: said(fake_slack, "D0NWCOORD", "changed that interest before you"))
    assert interests(app.engine)[0].status == "contacted"
