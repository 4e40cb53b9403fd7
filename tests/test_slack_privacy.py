"""Privacy through Slack as Slack drives it (signed requests to the real app, the fake Web API):
Enterprise Grid payloads name the same person on every path, so my-data and forget-me cover the
same rows for them as for a plain workspace's people, answers and claims in their DM included;
an answer still being composed at forget-me keeps nothing; a saved profile shapes answers only
while it is in use; registering again reopens or moves an interest and says so; the audit
export carries every column. SQLite and PostgreSQL alike."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.interests.access import Actor, grant_role
from bot.interests.display import AUDIT_COLUMNS
from bot.interests.rights import retention_periods, retention_run
from bot.interests.tables import AuditEntry, Interest, RoleName, utcnow
from bot.memory.store import AnswerRecord, ConversationTurn, SavedProfile
from bot.slack.inbound import identity

from .fakes.openai_server import FakeOpenAI
from .fakes.slack_server import BOT_USER, TEAM, Call, FakeSlack
from .slack_harness import (
    FORM,
    Running,
    answers,
    event,
    grant_coordinators,
    post,
    settings_for,
    start,
    until,
)
from .test_interests import _cells_naming

ENTERPRISE, INSTALLED, HOME = "E0GRID", "T0WSA", "T0WSB"  # the org; the app's workspace; theirs
NW_CHANNEL, LONDON_CHANNEL = "C0NWCOORD", "C0LONCOORD"
NAME = "Rereg Person-6120"


@dataclass(frozen=True)
class Who:
    """A person, and whether their payloads come from Enterprise Grid."""

    user: str
    grid: bool = False

    @property
    def dm(self) -> str:
        return "D" + self.user[1:]

    @property
    def key(self) -> str:
        return ENTERPRISE if self.grid else TEAM

    def envelope(self) -> dict[str, Any]:
        """An event's envelope: Grid names the enterprise at the top and in authorizations."""
        if not self.grid:
            return {"team_id": TEAM}
        return {"team_id": INSTALLED, "enterprise_id": ENTERPRISE, "authorizations": [
            {"enterprise_id": ENTERPRISE, "team_id": INSTALLED, "user_id": BOT_USER, "is_bot": True}]}  # fmt: skip

    def command_ids(self) -> dict[str, str]:
        grid = {"team_id": INSTALLED, "enterprise_id": ENTERPRISE, "enterprise_name": "NHS"}
        return grid if self.grid else {"team_id": TEAM}

    def interaction(self, shape: str) -> dict[str, Any]:
        """Who, as an interaction payload says it. On Grid the user's own workspace differs from
        the app's; an org-wide install sends no team but an enterprise, a workspace install a team
        that carries the enterprise id and no enterprise object."""
        if not self.grid:
            return {"team": {"id": TEAM}, "user": {"id": self.user, "team_id": TEAM}}
        user = {"id": self.user, "team_id": HOME}
        if shape == "org":
            return {"team": None, "enterprise": {"id": ENTERPRISE, "name": "NHS"}, "user": user,
                    "is_enterprise_install": True}  # fmt: skip
        return {"team": {"id": INSTALLED, "enterprise_id": ENTERPRISE}, "enterprise": None,
                "user": user, "is_enterprise_install": False}  # fmt: skip


PLAIN, GRID = Who("U0PLAIN"), Who("W0GRID", grid=True)


@pytest.fixture()
def app(fake_slack: FakeSlack, db_url: str) -> Iterator[Running]:
    channels = {"North West": NW_CHANNEL, "London": LONDON_CHANNEL}
    running = start(fake_slack, db_url, PATHFINDER_COORDINATOR_CHANNELS=channels)
    grant_coordinators(running.engine, {"U0NWCOORD": "North West", "U0LONCOORD": "London"})
    yield running
    running.stop()


def interact(app: Running, payload: dict[str, Any]) -> tuple[int, str]:
    return post(app.url, urlencode({"payload": json.dumps(payload)}), content_type=FORM)


def command(app: Running, fake: FakeSlack, who: Who, text: str, channel: str = "C0CLIN") -> tuple[int, str]:  # fmt: skip
    form = {**who.command_ids(), "channel_id": channel, "user_id": who.user, "command": "/pathfinder",
            "text": text, "response_url": fake.response_url, "trigger_id": "1.2.3"}  # fmt: skip
    return post(app.url, urlencode(form), content_type=FORM)


def click(app: Running, fake: FakeSlack, who: Who, action_id: str, value: str, *, shape: str = "team",
          kind: str = "button", channel: str | None = None) -> tuple[int, str]:  # fmt: skip
    payload = {"type": "block_actions", **who.interaction(shape), "trigger_id": "1.2.3",
               "response_url": fake.response_url,
               "actions": [{"action_id": action_id, "value": value, "type": kind, "block_id": "b"}]}  # fmt: skip
    payload.update({"channel": {"id": channel}} if channel else {"view": {"type": "home"}})
    return interact(app, payload)


def select_state(**values: str) -> dict[str, Any]:
    return {k: {"value": {"type": "static_select", "selected_option": {"value": v}}} for k, v in values.items()}  # fmt: skip


def register(app: Running, who: Who, region: str = "North West", programme: str = "topol") -> tuple[int, str]:  # fmt: skip
    values = {**select_state(profession="nurse", band="6"),
              "region": {"interest_region": {"type": "static_select", "selected_option": {"value": region}}},
              "consent": {"value": {"type": "checkboxes", "selected_options": [{"value": "consent"}]}}}  # fmt: skip
    return interact(app, {"type": "view_submission", **who.interaction("team"),
                          "view": {"id": "V1", "type": "modal", "callback_id": "interest_modal",
                                   "private_metadata": json.dumps({"programme": programme}),
                                   "state": {"values": values}}})  # fmt: skip


def feedback_value(call: Call) -> str:
    for block in call.body.get("blocks") or []:
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("action_id") == "answer_feedback":
                return str(element["positive_button"]["value"])
    raise AssertionError("the answer has no feedback buttons")


def said_to(fake: FakeSlack, channel: str, phrase: str = "") -> list[str]:
    return [json.dumps(c.body) for c in fake.of("chat.postMessage")
            if c.body.get("channel") == channel and phrase in json.dumps(c.body)]  # fmt: skip


def responses(fake: FakeSlack, phrase: str) -> list[str]:
    return [json.dumps(c.body) for c in fake.of("response_url") if phrase in json.dumps(c.body)]


def rows_of(engine: Engine, table: Any, **where: Any) -> list[Any]:
    with Session(engine) as session:
        query = select(table)
        for key, value in where.items():
            query = query.where(col(getattr(table, key)) == value)
        return list(session.exec(query).all())


def my_data(app: Running, fake: FakeSlack, who: Who) -> dict[str, Any]:
    before = len(fake.files_to(who.dm))
    command(app, fake, who, "my-data")
    until(lambda: len(fake.files_to(who.dm)) > before)
    return json.loads(fake.files_to(who.dm)[-1][1])  # type: ignore[no-any-return]


def counts(data: dict[str, Any]) -> dict[str, int]:
    return {k: len(v) for k, v in data.items() if isinstance(v, list)}


def leave_everything(app: Running, fake: FakeSlack, who: Who, n: int) -> None:
    """A question in their DM and one by slash command, feedback, a saved profile and an
    interest: every payload kind, each in its Grid shape for a Grid person."""
    post(app.url, event("message", text="Band 6 nurse in Leeds, where do I start in informatics?",
                        user=who.user, channel=who.dm, channel_type="im", event_id=f"EvLeave{n}",
                        ts=f"170000000{n}.000100", envelope=who.envelope(),
                        **({"user_team": HOME, "team": HOME} if who.grid else {})))  # fmt: skip
    reply = answers(fake, n + 1, timeout=20)[-1]
    click(app, fake, who, "answer_feedback", feedback_value(reply), shape="org", kind="feedback_buttons", channel=who.dm)  # fmt: skip
    command(app, fake, who, "I'm a band 6 nurse: what about the Topol fellowship?")
    until(lambda: len(rows_of(app.engine, AnswerRecord, user_id=who.user)) == 2, timeout=20)
    profile = {"type": "view_submission", **who.interaction("org"),
               "view": {"callback_id": "profile_modal", "id": "V2", "type": "modal",
                        "state": {"values": select_state(profession="nurse", band="6", where="North West")}}}  # fmt: skip
    assert interact(app, profile)[0] == 200
    assert register(app, who) == (200, "")
    until(lambda: rows_of(app.engine, Interest, user_id=who.user))
    until(lambda: rows_of(app.engine, AuditEntry, action="register"))


def test_every_payload_kind_names_a_grid_person_by_their_enterprise() -> None:
    shapes = [
        json.loads(event("message", user=GRID.user, envelope=GRID.envelope(), user_team=HOME)),
        {**GRID.command_ids(), "user_id": GRID.user},
        GRID.interaction("org"),
        GRID.interaction("team"),
        {"type": "view_submission", "team": {"id": HOME}, "enterprise": ENTERPRISE, "user": {"id": GRID.user}},  # fmt: skip
        {"team": {"id": INSTALLED}, "context_enterprise_id": ENTERPRISE, "user": {"id": GRID.user}},
    ]
    people = {identity(body, user_id=GRID.user if "event" in body else None) for body in shapes}
    assert {(p.team_id, p.user_id, p.enterprise_id) for p in people if p} == {(ENTERPRISE, GRID.user, ENTERPRISE)}  # fmt: skip
    assert None not in people
    plain = identity(PLAIN.interaction("team"))
    assert plain is not None and (plain.team_id, plain.enterprise_id) == (TEAM, None)


def test_grid_my_data_and_forget_me_cover_the_same_rows_as_plain_ones(app: Running, fake_slack: FakeSlack) -> None:  # fmt: skip
    for n, who in enumerate((PLAIN, GRID)):
        leave_everything(app, fake_slack, who, n)
    held = {who.user: my_data(app, fake_slack, who) for who in (PLAIN, GRID)}
    plain, grid = counts(held[PLAIN.user]), counts(held[GRID.user])
    assert plain == grid
    assert (plain["interest"], plain["savedprofile"], plain["feedback"]) == (1, 1, 1)
    # The DM message's claim; on PostgreSQL also the queue worker's "answering" and "answered" ones.
    claims = 3 if app.engine.dialect.name == "postgresql" else 1
    assert (plain["conversationturn"], plain["answerrecord"], plain["slackclaim"]) == (2, 2, claims)
    assert plain["usagecounter"] >= 1  # the shared per-person rate limit's window
    assert {r["channel"] for r in held[GRID.user]["answerrecord"]} == {GRID.dm, "command"}
    assert {r["team_id"] for r in held[GRID.user]["interest"] + held[GRID.user]["savedprofile"]} == {ENTERPRISE}  # fmt: skip

    erased: list[int] = []
    for who in (PLAIN, GRID):
        command(app, fake_slack, who, "forget-me", channel=who.dm)
        click(app, fake_slack, who, "forget_me_confirm", "erase", channel=who.dm)
        done = until(lambda: len(responses(fake_slack, "erased")) > len(erased) and responses(fake_slack, "erased"))  # fmt: skip
        erased.append(int(re.findall(r"erased (\d+) record", done[-1])[0]))
    assert erased == [sum(plain.values()) - plain["auditentry"]] * 2
    assert erased[0] >= 8 + (claims - 1)  # interest, profile, feedback, 2 turns, 2 answers, claims, counter
    for needle in (PLAIN.user, PLAIN.dm, GRID.user, GRID.dm):
        assert _cells_naming(app.engine, needle) == {}
    kept = rows_of(app.engine, AuditEntry, action="register")
    assert len(kept) == 2 and all(e.actor.startswith("erased:") for e in kept)


@pytest.mark.parametrize("when", ["composing", "queued"])
def test_a_question_answered_across_forget_me_keeps_nothing(fake_slack: FakeSlack, db_url: str, when: str) -> None:  # fmt: skip
    """Forget-me while the model composes the answer, or while the question waits behind
    another person's on the one worker: the answer still arrives, and nothing of it is kept."""
    from bot.answering.phrasing import ModelResponder
    from bot.llm.openai_model import OpenAIChatModel

    llm = FakeOpenAI(default="hang", hang_seconds=2).start()
    model = OpenAIChatModel(model="fake", api_key="test", base_url=llm.url, attempt_timeout=10)
    app = start(fake_slack, db_url, responder=ModelResponder(model), PATHFINDER_WORKERS=1)
    ahead = Who("U0AHEAD")
    try:
        for n, who in enumerate([ahead, PLAIN] if when == "queued" else [PLAIN]):
            post(app.url, event("message", text="Band 6 nurse in Leeds, where do I start in informatics?",
                                user=who.user, channel=who.dm, channel_type="im", event_id=f"EvQ{n}",
                                ts=f"170000001{n}.000100"))  # fmt: skip
        assert until(lambda: llm.requests)  # the model is composing the first answer
        command(app, fake_slack, PLAIN, "forget-me", channel=PLAIN.dm)
        click(app, fake_slack, PLAIN, "forget_me_confirm", "erase", channel=PLAIN.dm)
        [done] = until(lambda: responses(fake_slack, "erased"))
        # Nothing of the answer was kept yet: only the DM message's claim, the rate-limit window
        # and, on PostgreSQL, the queue's claim and job for the question.
        assert 2 <= int(re.findall(r"erased (\d+) record", done)[0]) <= 4
        assert len(answers(fake_slack, 2 if when == "queued" else 1, timeout=30)) >= 1
        assert [r for r in rows_of(app.engine, AnswerRecord) if r.user_id == PLAIN.user] == []
        assert [r for r in rows_of(app.engine, ConversationTurn) if r.user_id == PLAIN.user] == []
        post(app.url, event("message", text="And what about the Topol fellowship?", user=PLAIN.user,
                            channel=PLAIN.dm, channel_type="im", event_id="EvAfter", ts="1700000099.000100"))  # fmt: skip
        assert until(lambda: rows_of(app.engine, AnswerRecord, user_id=PLAIN.user), timeout=30)  # asked after: kept  # fmt: skip
        assert len(rows_of(app.engine, ConversationTurn, user_id=PLAIN.user)) == 1
        if when == "queued":
            assert len(rows_of(app.engine, AnswerRecord, user_id=ahead.user)) == 1  # someone else's: kept
    finally:
        app.stop()
        llm.stop()


def test_a_saved_profile_shapes_answers_only_within_the_max_idle_period(fake_slack: FakeSlack, db_url: str) -> None:  # fmt: skip
    app = start(fake_slack, db_url, PATHFINDER_PROFILE_MAX_IDLE_DAYS=30)
    try:
        now = utcnow()
        with Session(app.engine) as session:
            for user, days in (("U0STALE", 40), ("U0FRESH", 25)):
                session.add(SavedProfile(team_id=TEAM, user_id=user, profession="ahp", band=7,
                                         region="South West", updated_at=now - timedelta(days=days)))  # fmt: skip
            session.commit()
        for user in ("U0STALE", "U0FRESH"):
            command(app, fake_slack, Who(user), "I want protected time for a digital project")
        until(lambda: len(rows_of(app.engine, AnswerRecord)) == 2, timeout=20)
        shaped = {r.user_id: (r.document or {})["profile"].get("band") for r in rows_of(app.engine, AnswerRecord)}  # fmt: skip
        assert shaped == {"U0STALE": None, "U0FRESH": 7}
        used = {p.user_id: p.used_at for p in rows_of(app.engine, SavedProfile)}
        assert used["U0STALE"] is None and used["U0FRESH"] is not None
        settings = settings_for(fake_slack, PATHFINDER_PROFILE_MAX_IDLE_DAYS=30)
        assert retention_run(app.engine, periods=retention_periods(settings))["savedprofile"] == 1
        assert [p.user_id for p in rows_of(app.engine, SavedProfile)] == ["U0FRESH"]
    finally:
        app.stop()


def test_a_registration_form_is_answered_while_the_database_refuses_connections(
    app: Running, fake_slack: FakeSlack
) -> None:
    """The form must be answered within Slack's three seconds whatever the database is doing: it
    is checked against the catalogue in memory, and the person is told nothing was recorded."""
    if app.engine.dialect.name != "postgresql":
        pytest.skip("needs a PostgreSQL server that can be told to refuse connections")
    first, second = Who("U0DBUP"), Who("U0DBDOWN")
    assert register(app, first) == (200, "")  # the catalogue is in memory from here on
    until(lambda: rows_of(app.engine, Interest))
    name = app.engine.url.database
    admin = create_engine(app.engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})  # fmt: skip
        assert register(app, second) == (200, "")  # answered (the modal closes), not Slack's error
        assert until(lambda: said_to(fake_slack, second.dm, "Nothing was changed"))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    assert len(rows_of(app.engine, Interest)) == 1  # nothing half-recorded for the second person


def test_registering_again_reopens_or_moves_and_says_so(
    app: Running, fake_slack: FakeSlack
) -> None:
    nurse, nw = Who("U0REREG"), Who("U0NWCOORD")
    fake_slack.names[nurse.user] = NAME
    assert register(app, nurse) == (200, "")
    [row] = until(lambda: rows_of(app.engine, Interest))
    click(app, fake_slack, nw, "interest_status", json.dumps({"id": row.id, "status": "closed", "from": "new"}))  # fmt: skip
    until(lambda: rows_of(app.engine, Interest, status="closed"))

    register(app, nurse)
    assert until(lambda: said_to(fake_slack, nurse.dm, "is reopened"))
    assert rows_of(app.engine, Interest, status="new")
    assert until(lambda: said_to(fake_slack, NW_CHANNEL, "registered again after being closed"))

    register(app, nurse, region="London")
    [moved] = until(lambda: said_to(fake_slack, nurse.dm, "has moved"))
    assert "from North West to London" in moved
    [notice] = until(lambda: said_to(fake_slack, LONDON_CHANNEL))
    assert "New interest in London" in notice and nurse.user not in notice
    [now] = rows_of(app.engine, Interest)
    assert (now.id, now.region, now.status, now.network_id) == (
        row.id,
        "London",
        "new",
        "isdn-london",
    )
    trail = [(e.field, e.from_value, e.to_value) for e in rows_of(app.engine, AuditEntry, interest_id=row.id)]  # fmt: skip
    assert trail == [("status", None, "new"), ("status", "new", "closed"), ("status", "closed", "new"),
                     ("region", "North West", "London")]  # fmt: skip
    for coordinator, sees in (("U0NWCOORD", False), ("U0LONCOORD", True)):
        home = json.dumps({"team_id": TEAM, "event": {"type": "app_home_opened", "user": coordinator, "tab": "home"},
                           "type": "event_callback", "event_id": f"Ev{coordinator}", "event_time": 1})  # fmt: skip
        seen = len(homes_of(fake_slack, coordinator))
        post(app.url, home)
        views = until(lambda c=coordinator, n=seen: len(homes_of(fake_slack, c)) > n and homes_of(fake_slack, c))  # type: ignore[misc]  # fmt: skip
        assert (NAME in json.dumps(views[-1])) is sees


def homes_of(fake: FakeSlack, user: str) -> list[dict[str, Any]]:
    return [c.body for c in fake.of("views.publish") if c.body.get("user_id") == user]


def test_the_audit_export_has_every_column_and_says_it_is_complete(app: Running, fake_slack: FakeSlack) -> None:  # fmt: skip
    reader = Who("U0GOVERN")
    grant_role(app.engine, actor=Actor.operator(), team_id=TEAM, user_id=reader.user, role=RoleName.GOVERNANCE, region=None)  # fmt: skip
    register(app, Who("U0REREG"))
    until(lambda: rows_of(app.engine, AuditEntry, action="register"))
    command(app, fake_slack, reader, "audit")
    [(upload, content)] = until(lambda: fake_slack.files_to(reader.dm))
    table = list(csv.DictReader(io.StringIO(content)))
    assert list(table[0]) == AUDIT_COLUMNS
    role = next(r for r in table if r["action"] == "role_change")
    assert (role["subject"], role["to_value"]) == (f"slack:{TEAM}:{reader.user}", "governance")
    registered = next(r for r in table if r["action"] == "register")
    assert (registered["field"], registered["to_value"], registered["outcome"], registered["occurrences"]) == ("status", "new", "ok", "1")  # fmt: skip
    assert registered["interest_id"] == str(rows_of(app.engine, Interest)[0].id)
    comment = json.dumps(fake_slack.of("files.completeUploadExternal")[-1].body)
    assert f"All {len(table)} audit entries" in comment
