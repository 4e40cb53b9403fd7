"""The interest log on real SQLite and PostgreSQL: one row per person and programme, the access
matrix, the append-only audit, CSV neutralising, erasure, retention and the migrations."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import String, Text, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, func, select

from bot.catalogue.loader import CatalogueBundle, load_catalogue
from bot.db import alembic_config, current_revision, make_engine, migrate
from bot.interests import audit
from bot.interests import log as interest_log
from bot.interests.access import Action, Actor, Denied, grant_role, list_roles, revoke_role
from bot.interests.rights import Periods, erase, retention_run, subject_data, subject_ref
from bot.interests.tables import AuditEntry, Interest, RoleName
from bot.memory.store import AnswerRecord, ConversationTurn, Feedback, SavedProfile, SlackClaim

from .conftest import fresh_postgres

TEAM = "T0NHS"
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
OPERATOR = Actor.operator()


def _loaded(engine: Engine, bundle: CatalogueBundle) -> Engine:
    migrate(engine)
    with Session(engine) as session:
        load_catalogue(bundle, session=session, use_geonames=False)
    return engine


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path, bundle: CatalogueBundle) -> Iterator[Engine]:
    """A fresh database per test, migrated and with the catalogue loaded."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
        yield _loaded(engine, bundle)
        engine.dispose()
    else:
        for engine in fresh_postgres():
            yield _loaded(engine, bundle)


def draft(user: str = "U0NURSE", programme: str = "topol", region: str = "North West", **extra: Any) -> interest_log.InterestCreate:  # fmt: skip
    network = {"North West": "isdn-north-west", "London": "isdn-london"}.get(
        region, "isdn-midlands"
    )
    values: dict[str, Any] = {
        "team_id": TEAM, "user_id": user, "display_name": f"Name of {user}", "profession": "nurse",
        "grade": "Band 6", "region": region, "programme_id": programme, "network_id": network,
        "consent_version": interest_log.CONSENT_VERSION,
    }  # fmt: skip
    values.update(extra)
    return interest_log.InterestCreate(**values)


def at_once(n: int, work: Callable[[], Any]) -> tuple[list[Any], list[Exception]]:
    """Run `work` on n threads released together; its results and the exceptions raised."""
    results: list[Any] = []
    errors: list[Exception] = []
    start_line = threading.Barrier(n)

    def one() -> None:
        start_line.wait()
        try:
            results.append(work())
        except Exception as exc:  # noqa: BLE001 - returned to the test, which asserts on it
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def rows(engine: Engine) -> list[Interest]:
    with Session(engine) as session:
        return list(session.exec(select(Interest)).all())


def audits(engine: Engine, **where: Any) -> list[AuditEntry]:
    with Session(engine) as session:
        query = select(AuditEntry)
        for key, value in where.items():
            query = query.where(getattr(AuditEntry, key) == value)
        return list(session.exec(query).all())


# -- capture --------------------------------------------------------------------------------


def test_registering_twice_leaves_one_row_and_a_repeat_updates_it(db: Engine) -> None:
    first = interest_log.record_interest(db, draft=draft())
    again = interest_log.record_interest(db, draft=draft())
    moved = interest_log.record_interest(db, draft=draft(region="London"))
    assert (first.outcome, again.outcome, moved.outcome) == ("created", "unchanged", "updated")
    [row] = rows(db)
    assert (row.region, row.network_id, row.status) == ("London", "isdn-london", "new")
    assert row.updated_at >= row.created_at


def test_concurrent_registrations_by_one_person_make_one_row(db: Engine) -> None:
    outcomes, errors = at_once(16, lambda: interest_log.record_interest(db, draft=draft()).outcome)
    assert errors == []
    assert sorted(outcomes) == ["created"] + ["unchanged"] * 15
    assert len(rows(db)) == 1


def test_withdrawing_deletes_only_the_persons_own_interest(db: Engine) -> None:
    interest_log.record_interest(db, draft=draft("U0NURSE"))
    interest_log.record_interest(db, draft=draft("U0OTHER"))
    assert interest_log.withdraw(db, team_id=TEAM, user_id="U0NURSE", programme_id="topol")
    assert not interest_log.withdraw(db, team_id=TEAM, user_id="U0NURSE", programme_id="topol")
    assert [r.user_id for r in rows(db)] == ["U0OTHER"]


# -- the access matrix ------------------------------------------------------------------------

PEOPLE = {
    "UNWCOORD": [(RoleName.COORDINATOR, "North West")],
    "UTWOREG": [(RoleName.COORDINATOR, "North West"), (RoleName.COORDINATOR, "London")],
    "UADMIN": [(RoleName.ADMIN, None)],
    "UGOVERN": [(RoleName.GOVERNANCE, None)],
    "UNOBODY": [],
    "UFORMER": [],  # was a North West coordinator; the role was removed
}
REGIONS_TRIED = ["North West", "London", "Midlands"]


def _allowed(user: str, action: Action, region: str) -> bool:
    held = PEOPLE[user]
    if action is Action.ROLE_CHANGE:
        return any(role is RoleName.ADMIN for role, _ in held)
    return any(role is RoleName.COORDINATOR and r == region for role, r in held)


def _attempt(db: Engine, actor: Actor, action: Action, region: str, ids: dict[str, int]) -> int:
    """Try one thing; return the rows it touched. Raises Denied."""
    if action is Action.VIEW:
        return len(interest_log.queue(db, actor=actor, region=region).rows)
    if action is Action.EXPORT:
        return len(interest_log.export(db, actor=actor, region=region).rows)
    if action is Action.STATUS:
        interest_log.set_status(db, actor=actor, interest_id=ids[region], status="contacted")
        return 1
    grant_role(db, actor=actor, team_id=TEAM, user_id="UNEWCOORD", role=RoleName.COORDINATOR, region=region)  # fmt: skip
    return 1


def test_access_matrix_every_refusal_and_every_view_or_export_is_audited(db: Engine) -> None:
    for user, held in PEOPLE.items():
        for role, region in held:
            grant_role(db, actor=OPERATOR, team_id=TEAM, user_id=user, role=role, region=region)
    grant_role(db, actor=OPERATOR, team_id=TEAM, user_id="UFORMER", role=RoleName.COORDINATOR, region="North West")  # fmt: skip
    assert revoke_role(db, actor=OPERATOR, team_id=TEAM, user_id="UFORMER") == 1
    ids = {}
    for n, region in enumerate(REGIONS_TRIED):
        for k in range(n + 1):  # 1, 2 and 3 interests: counts tell regions apart
            rec = interest_log.record_interest(db, draft=draft(f"UCLIN{n}{k}", region=region))
            ids[region] = int(rec.interest.id or 0)
    expected_rows = {"North West": 1, "London": 2, "Midlands": 3}
    before = len(audits(db))
    attempts = denied = 0
    for user in PEOPLE:
        actor = Actor.slack(TEAM, user)
        for action in (Action.VIEW, Action.EXPORT, Action.STATUS, Action.ROLE_CHANGE):
            for region in REGIONS_TRIED:
                attempts += 1
                mark = len(audits(db))
                try:
                    touched = _attempt(db, actor, action, region, ids)
                    outcome = "ok"
                except Denied as exc:
                    outcome = "denied"
                    assert str(exc) == "Sorry, that isn't available to you."
                assert outcome == ("ok" if _allowed(user, action, region) else "denied"), (user, action, region)  # fmt: skip
                new = audits(db)[mark:]
                assert [(e.actor, e.action, e.outcome) for e in new] == [(actor.ref, action.value, outcome)], (user, action, region)  # fmt: skip
                if outcome == "denied":
                    denied += 1
                    assert new[0].row_count == 0
                elif action in (Action.VIEW, Action.EXPORT):
                    assert (new[0].region, new[0].row_count) == (region, expected_rows[region])
                    assert touched == expected_rows[region]
    assert len(audits(db)) - before == attempts
    assert len(audits(db, outcome="denied")) == denied == 60


def test_a_forged_interest_id_from_another_region_is_refused_and_audited(db: Engine) -> None:
    grant_role(db, actor=OPERATOR, team_id=TEAM, user_id="UNWCOORD", role=RoleName.COORDINATOR, region="North West")  # fmt: skip
    london = interest_log.record_interest(db, draft=draft(region="London")).interest
    actor = Actor.slack(TEAM, "UNWCOORD")
    for forged in (int(london.id or 0), 999_999):
        with pytest.raises(Denied):
            interest_log.set_status(db, actor=actor, interest_id=forged, status="closed")
    assert [r.status for r in rows(db)] == ["new"]
    assert len(audits(db, actor=actor.ref, outcome="denied")) == 2


def test_identity_that_is_not_a_slack_id_or_a_missing_role_table_is_denied(db: Engine) -> None:
    interest_log.record_interest(db, draft=draft())
    for actor in (Actor.slack("", ""), Actor.slack(TEAM, "U0NURSE<script>"), Actor(ref="slack:x")):
        with pytest.raises(Denied):
            interest_log.export(db, actor=actor)
    grant_role(db, actor=OPERATOR, team_id=TEAM, user_id="UNWCOORD", role=RoleName.COORDINATOR, region="North West")  # fmt: skip
    with db.begin() as conn:
        conn.execute(text("DROP TABLE role"))
    with pytest.raises(Denied):  # fail closed: an error deciding is a refusal, and audited
        interest_log.export(db, actor=Actor.slack(TEAM, "UNWCOORD"))
    assert audits(db, actor=f"slack:{TEAM}:UNWCOORD")[-1].outcome == "denied"


def test_role_changes_and_listings_are_audited(db: Engine) -> None:
    assert grant_role(db, actor=OPERATOR, team_id=TEAM, user_id="UADMIN", role=RoleName.ADMIN, region=None)  # fmt: skip
    admin = Actor.slack(TEAM, "UADMIN")
    assert grant_role(db, actor=admin, team_id=TEAM, user_id="UNEW", role=RoleName.COORDINATOR, region="north-west")  # fmt: skip
    assert not grant_role(db, actor=admin, team_id=TEAM, user_id="UNEW", role=RoleName.COORDINATOR, region="North West")  # fmt: skip
    assert [(r.user_id, r.role, r.region) for r in list_roles(db, actor=admin)] == [
        ("UADMIN", "admin", ""),
        ("UNEW", "coordinator", "North West"),
    ]
    with pytest.raises(ValueError, match="region"):
        grant_role(db, actor=admin, team_id=TEAM, user_id="UNEW", role=RoleName.COORDINATOR, region="Atlantis")  # fmt: skip
    actions = [(e.actor.split(":")[0], e.action, e.outcome) for e in audits(db)]
    assert actions == [("cli", "role_change", "ok"), ("slack", "role_change", "ok"),
                       ("slack", "role_change", "ok"), ("slack", "role_list", "ok")]  # fmt: skip


def test_the_audit_log_refuses_updates(db: Engine) -> None:
    entry = audit.record(db, actor="cli:test", action="export", outcome="ok", region="London")
    with pytest.raises(Exception, match="append-only"):
        with db.begin() as conn:
            conn.execute(text("UPDATE auditentry SET outcome = 'denied' WHERE id = :id"), {"id": entry.id})  # fmt: skip
    assert audits(db)[0].outcome == "ok"


def test_audit_entries_hold_no_interest_data(db: Engine) -> None:
    grant_role(db, actor=OPERATOR, team_id=TEAM, user_id="UNWCOORD", role=RoleName.COORDINATOR, region="North West")  # fmt: skip
    interest_log.record_interest(db, draft=draft(display_name="Canary Person-4471"))
    interest_log.export(db, actor=Actor.slack(TEAM, "UNWCOORD"))
    interest_log.queue(db, actor=Actor.slack(TEAM, "UNWCOORD"), programme="topol")
    dumped = str([e.model_dump() for e in audits(db)])
    for secret in ("Canary Person-4471", "U0NURSE", "topol", "nurse", "Band 6"):
        assert secret not in dumped


# -- export ---------------------------------------------------------------------------------


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(db: Engine) -> None:
    nasty = ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "Plain Name"]
    for n, name in enumerate(nasty):
        interest_log.record_interest(db, draft=draft(f"UC{n}", display_name=name))
    out = interest_log.export(db, actor=OPERATOR, region="North West").csv()
    cells = [row["display_name"] for row in csv.DictReader(io.StringIO(out))]
    assert cells == ["'" + n for n in nasty[:-1]] + ["Plain Name"]
    assert all(not c.startswith(interest_log.FORMULA_START) for c in cells)


# -- rights ---------------------------------------------------------------------------------


def _seed_person(db: Engine, user: str) -> None:
    interest_log.record_interest(db, draft=draft(user))
    interest_log.record_interest(db, draft=draft(user, programme="fpt"))
    with Session(db) as session:
        session.add(SavedProfile(team_id=TEAM, user_id=user, profession="nurse", band=6))
        session.add(AnswerRecord(id=f"A{user}", team_id=TEAM, channel="D1", responder="offline", catalogue_version="v"))  # fmt: skip
        session.add(Feedback(answer_id=f"A{user}", team_id=TEAM, user_id=user, helpful=True))
        session.add(ConversationTurn(key=f"command:{TEAM}:{user}", team_id=TEAM, user_id=user,
                                     question=f"question from {user}", answer="Suggested: Topol.",
                                     profile={"profession": "nurse"}))  # fmt: skip
        session.commit()
    subject_data(db, team_id=TEAM, user_id=user)  # leaves an audit entry naming them


def _cells_naming(db: Engine, needle: str) -> dict[str, int]:
    """Every text cell, in every table, that contains `needle`."""
    found: dict[str, int] = {}
    with db.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            for column in columns:
                hits = conn.execute(
                    select(func.count()).select_from(table).where(column.contains(needle))
                ).scalar_one()
                if hits:
                    found[f"{table.name}.{column.name}"] = int(hits)
    return found


def test_subject_access_returns_everything_held(db: Engine) -> None:
    _seed_person(db, "U0NURSE")
    data = subject_data(db, team_id=TEAM, user_id="U0NURSE")
    assert sorted(i["programme_id"] for i in data["interest"]) == ["fpt", "topol"]
    assert data["savedprofile"][0]["band"] == 6
    assert data["conversationturn"][0]["question"] == "question from U0NURSE"
    assert data["feedback"][0]["helpful"] is True
    assert [e["action"] for e in data["audit_entries_you_caused"]] == ["subject_access"]


def test_erasure_leaves_no_row_naming_the_person_in_any_table(db: Engine) -> None:
    _seed_person(db, "U0NURSE")
    _seed_person(db, "U0OTHER")
    assert _cells_naming(db, "U0NURSE")
    erased = erase(db, team_id=TEAM, user_id="U0NURSE")
    assert erased.rows["interest"] == 2 and erased.total == 6 and not erased.kept_role
    assert _cells_naming(db, "U0NURSE") == {}
    [entry] = audits(db, action="erasure")
    assert entry.actor == subject_ref(TEAM, "U0NURSE") and entry.row_count == 6
    assert len(rows(db)) == 2 and _cells_naming(db, "U0OTHER")  # nobody else's data touched


def test_retention_deletes_exactly_the_expired_rows(db: Engine) -> None:
    now = datetime(2027, 6, 1, 12, tzinfo=UTC)
    periods = Periods(interests=timedelta(days=365), conversations=timedelta(days=30), audit=timedelta(days=2190))  # fmt: skip
    ages = {"UOLD": 366, "UEDGE": 365, "UNEW": 10}
    turn_age = {"UOLD": 31, "UEDGE": 29, "UNEW": 1}
    for user, days in ages.items():
        at = now - timedelta(days=days, seconds=1 if user == "UOLD" else -1)
        rec = interest_log.record_interest(db, draft=draft(user))
        with Session(db) as session:
            row = session.get(Interest, rec.interest.id)
            assert row is not None
            row.updated_at = row.created_at = at
            session.add(row)
            session.add(ConversationTurn(key=user, team_id=TEAM, user_id=user, question="q", answer="a", created_at=now - timedelta(days=turn_age[user])))  # fmt: skip
            session.add(SlackClaim(key=f"event:{user}", created_at=now - timedelta(hours=days)))
            session.commit()
    audit.record(db, actor="cli:x", action="export", outcome="ok", at=now - timedelta(days=2191))
    audit.record(db, actor="cli:x", action="export", outcome="ok", at=now - timedelta(days=2189))
    counts = retention_run(db, periods=periods, now=now)
    assert counts == {"interest": 1, "conversationturn": 1, "feedback": 0, "answerrecord": 0,
                      "slackclaim": 2, "auditentry": 1}  # fmt: skip
    assert sorted(r.user_id for r in rows(db)) == ["UEDGE", "UNEW"]
    assert retention_run(db, periods=periods, now=now)["interest"] == 0  # idempotent
    assert [e.action for e in audits(db, actor="system:retention")] == ["retention", "retention"]


# -- migrations -----------------------------------------------------------------------------


def test_migrations_build_exactly_the_models_schema(db: Engine) -> None:
    assert current_revision(db) == migrate(db)
    with db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_a_database_made_before_migrations_is_stamped_and_keeps_its_data(
    tmp_path: Path, bundle: CatalogueBundle
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'legacy.db'}")
    # The schema as it was before migrations existed (the baseline), without Alembic's table.
    migrate(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    with Session(engine) as session:
        session.add(SavedProfile(team_id=TEAM, user_id="U0KEPT", band=7))
        session.commit()
    assert migrate(engine) == HEAD
    assert {"interest", "auditentry"} <= set(inspect(engine).get_table_names())
    with Session(engine) as session:
        assert session.get(SavedProfile, (TEAM, "U0KEPT")) is not None


def test_processes_starting_at_once_migrate_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    results, errors = at_once(4, lambda: migrate(make_engine(url)))
    assert errors == [] and results == [HEAD] * 4
