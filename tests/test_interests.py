"""The interest log on real SQLite and PostgreSQL: one row per person and programme, changes and
their audit entries in one transaction, the access matrix, the audit that only grows (counted
refusals, pages that say they are truncated, pseudonymising erasure), the register of personal
data behind my-data, forget-me and retention, Grid identities, logs without personal data when
writes fail, and the migrations."""

from __future__ import annotations

import csv
import io
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Column,
    MetaData,
    String,
    Table,
    Text,
    cast,
    create_engine,
    delete,
    inspect,
    text,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, col, func, select

from bot.answering.conversation import Conversation, Turn
from bot.catalogue.loader import CatalogueBundle, load_catalogue
from bot.db import (
    alembic_config,
    current_revision,
    make_engine,
    migrate,
    normalise_url,
    ours,
    write_session,
)
from bot.interests import audit, registry
from bot.interests import log as interest_log
from bot.interests.access import (
    Action,
    Actor,
    Denied,
    grant_role,
    list_roles,
    read_audit,
    revoke_role,
)
from bot.interests.display import printable
from bot.interests.registry import Change
from bot.interests.rights import Periods, erase, retention_run, subject_data, subject_ref
from bot.interests.tables import AuditEntry, Interest, Role, RoleName
from bot.memory import erasure
from bot.memory.personal import HOLDINGS, person_key, unregistered
from bot.memory.queued import QUEUE
from bot.memory.store import (
    AnswerRecord,
    ConversationTurn,
    Feedback,
    SavedProfile,
    SlackClaim,
    SlackThread,
    mark_profile_used,
    save_turn,
    saved_profile,
)

from .conftest import PG_ENV, fresh_postgres, leaks, rendered

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


@pytest.fixture(params=["sqlite", "postgres"])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database on each backend, not yet migrated."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'blank.db'}")
        yield engine
        engine.dispose()
    else:
        yield from fresh_postgres()


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


def call(db: Engine, function: Callable[..., Any], **kwargs: Any) -> Any:
    """Run one registry function in a write session, as a caller does."""
    with write_session(db) as session:
        return function(session=session, **kwargs)


def coordinator(db: Engine, user: str, region: str) -> Actor:
    grant_role(db, actor=OPERATOR, team_id=TEAM, user_id=user, role=RoleName.COORDINATOR, region=region)  # fmt: skip
    return Actor.slack(TEAM, user)


def rows(engine: Engine) -> list[Interest]:
    with Session(engine) as session:
        return list(session.exec(select(Interest)).all())


def audits(engine: Engine, **where: Any) -> list[AuditEntry]:
    with Session(engine) as session:
        query = select(AuditEntry).order_by(col(AuditEntry.id))
        for key, value in where.items():
            column = col(getattr(AuditEntry, key))
            query = query.where(column.is_(None) if value is None else column == value)
        return list(session.exec(query).all())


def trail(engine: Engine, interest_id: int | None) -> list[tuple[Any, ...]]:
    """What the audit says happened to one interest: (action, field, from, to, outcome)."""
    return [(e.action, e.field, e.from_value, e.to_value, e.outcome)
            for e in audits(engine, interest_id=interest_id)]  # fmt: skip


# -- capture, and status that means what it says ----------------------------------------------


def test_registering_twice_leaves_one_row_and_another_region_is_a_move(db: Engine) -> None:
    first = interest_log.record_interest(db, draft=draft())
    again = interest_log.record_interest(db, draft=draft())
    moved = interest_log.record_interest(db, draft=draft(region="London"))
    assert (first.outcome, again.outcome, moved.outcome) == ("created", "unchanged", "moved")
    assert moved.moved_from == "North West"
    [row] = rows(db)
    assert (row.region, row.network_id, row.status) == ("London", "isdn-london", "new")
    assert row.updated_at >= row.created_at
    assert trail(db, row.id) == [("register", "status", None, "new", "ok"),
                                 ("register", "region", "North West", "London", "ok")]  # fmt: skip


def test_concurrent_registrations_by_one_person_make_one_row(db: Engine) -> None:
    outcomes, errors = at_once(16, lambda: interest_log.record_interest(db, draft=draft()).outcome)
    assert errors == []
    assert sorted(outcomes) == ["created"] + ["unchanged"] * 15
    assert len(rows(db)) == 1


def test_withdrawing_deletes_only_the_persons_own_interest_and_is_audited(db: Engine) -> None:
    mine = interest_log.record_interest(db, draft=draft("U0NURSE")).interest
    interest_log.record_interest(db, draft=draft("U0OTHER"))
    assert interest_log.withdraw(db, team_id=TEAM, user_id="U0NURSE", programme_id="topol")
    assert not interest_log.withdraw(db, team_id=TEAM, user_id="U0NURSE", programme_id="topol")
    assert [r.user_id for r in rows(db)] == ["U0OTHER"]
    assert trail(db, mine.id)[-1] == ("withdraw", "status", "new", "withdrawn", "ok")


def test_re_registering_a_closed_interest_reopens_it_and_the_audit_shows_each_change(db: Engine) -> None:  # fmt: skip
    nw = coordinator(db, "UNWCOORD", "North West")
    row = interest_log.record_interest(db, draft=draft()).interest
    for was, status in (("new", "contacted"), ("contacted", "closed")):
        done = call(db, registry.set_status, actor=nw, interest_id=row.id, status=status, expected=was)  # fmt: skip
        assert done.outcome is Change.CHANGED and done.interest.status == status
    again = interest_log.record_interest(db, draft=draft())
    assert again.outcome == "reopened"
    assert (again.interest.status, again.interest.status_by, again.interest.status_at) == ("new", None, None)  # fmt: skip
    assert trail(db, row.id) == [
        ("register", "status", None, "new", "ok"),
        ("status_change", "status", "new", "contacted", "ok"),
        ("status_change", "status", "contacted", "closed", "ok"),
        ("register", "status", "closed", "new", "ok"),
    ]


def test_a_new_region_is_a_new_routing_the_new_coordinator_sees_it_as_new(db: Engine) -> None:
    nw, london = coordinator(db, "UNWCOORD", "North West"), coordinator(db, "ULONCOORD", "London")
    row = interest_log.record_interest(db, draft=draft()).interest
    call(db, registry.set_status, actor=nw, interest_id=row.id, status="contacted", expected="new")
    moved = interest_log.record_interest(db, draft=draft(region="London"))
    assert (moved.outcome, moved.moved_from, moved.interest.status) == ("moved", "North West", "new")  # fmt: skip
    seen = call(db, registry.queue, actor=london, status="new")
    assert [(r.id, r.status) for r in seen.rows] == [(row.id, "new")]
    assert call(db, registry.queue, actor=nw).rows == []
    assert trail(db, row.id)[-2:] == [("register", "region", "North West", "London", "ok"),
                                      ("register", "status", "contacted", "new", "ok")]  # fmt: skip


def test_a_stale_click_after_close_changes_nothing_and_says_so(db: Engine) -> None:
    one, two = coordinator(db, "UNWCOORD", "North West"), coordinator(db, "UNWOTHER", "North West")
    row = interest_log.record_interest(db, draft=draft()).interest
    closed = call(db, registry.set_status, actor=one, interest_id=row.id, status="closed", expected="new")  # fmt: skip
    stale = call(db, registry.set_status, actor=two, interest_id=row.id, status="contacted", expected="new")  # fmt: skip
    assert (closed.outcome, stale.outcome, stale.interest.status) == (Change.CHANGED, Change.STALE, "closed")  # fmt: skip
    [now] = rows(db)
    assert (now.status, now.status_by) == ("closed", "UNWCOORD")
    assert trail(db, row.id)[-1] == ("status_change", "status", "closed", "contacted", "stale")
    again = call(db, registry.set_status, actor=one, interest_id=row.id, status="closed", expected="closed")  # fmt: skip
    assert again.outcome is Change.UNCHANGED


def test_an_interest_withdrawn_or_erased_meanwhile_is_gone_not_a_denial(db: Engine) -> None:
    nw, london = coordinator(db, "UNWCOORD", "North West"), coordinator(db, "ULONCOORD", "London")
    withdrawn = interest_log.record_interest(db, draft=draft("U0NURSE")).interest
    erased = interest_log.record_interest(db, draft=draft("U0GONE")).interest
    interest_log.withdraw(db, team_id=TEAM, user_id="U0NURSE", programme_id="topol")
    erase(db, team_id=TEAM, user_id="U0GONE")
    for row in (withdrawn, erased):
        clicked = call(db, registry.set_status, actor=nw, interest_id=row.id, status="contacted", expected="new")  # fmt: skip
        assert clicked.outcome is Change.GONE
        forged = call(db, registry.set_status, actor=london, interest_id=row.id, status="closed")
        assert forged.outcome is Change.DENIED  # not theirs when it left: no hint it existed
    assert [e.outcome for e in audits(db, actor=nw.ref, action="status_change")] == ["gone", "gone"]
    assert [e.outcome for e in audits(db, actor=london.ref, action="status_change")] == ["denied", "denied"]  # fmt: skip


def _fail_audit_inserts(db: Engine) -> None:
    with db.begin() as conn:
        if db.dialect.name == "postgresql":
            conn.execute(text("CREATE FUNCTION no_audit() RETURNS trigger AS $$ BEGIN "
                              "RAISE EXCEPTION 'audit unavailable'; END; $$ LANGUAGE plpgsql"))  # fmt: skip
            conn.execute(text("CREATE TRIGGER no_audit BEFORE INSERT ON auditentry "
                              "FOR EACH ROW EXECUTE FUNCTION no_audit()"))  # fmt: skip
        else:
            conn.execute(text("CREATE TRIGGER no_audit BEFORE INSERT ON auditentry "
                              "BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END"))  # fmt: skip


def test_a_status_change_and_its_audit_entry_commit_together_or_not_at_all(db: Engine) -> None:
    nw = coordinator(db, "UNWCOORD", "North West")
    row = interest_log.record_interest(db, draft=draft()).interest
    _fail_audit_inserts(db)
    with pytest.raises(Exception, match="audit unavailable"):
        call(db, registry.set_status, actor=nw, interest_id=row.id, status="closed", expected="new")
    assert [(r.status, r.status_by) for r in rows(db)] == [("new", None)]
    with pytest.raises(Exception, match="audit unavailable"):
        interest_log.record_interest(db, draft=draft("U0SECOND"))
    assert len(rows(db)) == 1


def test_a_refusal_is_kept_when_the_work_around_it_is_rolled_back(db: Engine) -> None:
    row = interest_log.record_interest(db, draft=draft()).interest
    nobody = Actor.slack(TEAM, "UNOBODY")
    with pytest.raises(RuntimeError), write_session(db) as session:
        session.add(SavedProfile(team_id=TEAM, user_id="UNOBODY", band=5))
        session.flush()
        refused = registry.set_status(session=session, actor=nobody, interest_id=row.id, status="closed")  # fmt: skip
        assert refused.outcome is Change.DENIED
        raise RuntimeError("the caller gives up")
    with Session(db) as session:
        assert session.get(SavedProfile, (TEAM, "UNOBODY")) is None
    assert [(e.action, e.outcome, e.interest_id) for e in audits(db, actor=nobody.ref)] == [
        ("status_change", "denied", None)  # refused before any row was read: no id to name
    ]


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
    assert len(audits(db)) - before == attempts == 72
    assert len(audits(db, outcome="denied")) == denied == 60


def test_a_forged_interest_id_from_another_region_is_refused_and_audited(db: Engine) -> None:
    actor = coordinator(db, "UNWCOORD", "North West")
    london = interest_log.record_interest(db, draft=draft(region="London")).interest
    for forged in (int(london.id or 0), 999_999):
        with pytest.raises(Denied):
            interest_log.set_status(db, actor=actor, interest_id=forged, status="closed")
    assert [r.status for r in rows(db)] == ["new"]
    refused = audits(db, actor=actor.ref, outcome="denied")
    assert [e.interest_id for e in refused] == [london.id, 999_999]


def test_identity_that_is_not_a_slack_id_or_a_missing_role_table_is_denied(db: Engine) -> None:
    interest_log.record_interest(db, draft=draft())
    for actor in (Actor.slack("", ""), Actor.slack(TEAM, "U0NURSE<script>"), Actor(ref="slack:x")):
        with pytest.raises(Denied):
            interest_log.export(db, actor=actor)
    coordinator(db, "UNWCOORD", "North West")
    with db.begin() as conn:
        conn.execute(text("DROP TABLE role"))
    with pytest.raises(Denied):  # fail closed: an error deciding is a refusal, and audited
        interest_log.export(db, actor=Actor.slack(TEAM, "UNWCOORD"))
    assert audits(db, actor=f"slack:{TEAM}:UNWCOORD")[-1].outcome == "denied"


def test_role_changes_and_listings_are_audited_with_whom_they_were_about(db: Engine) -> None:
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
    actions = [(e.actor.split(":")[0], e.action, e.outcome, e.subject) for e in audits(db)]
    assert actions == [("cli", "role_change", "ok", f"slack:{TEAM}:UADMIN"),
                       ("slack", "role_change", "ok", f"slack:{TEAM}:UNEW"),
                       ("slack", "role_change", "ok", f"slack:{TEAM}:UNEW"),
                       ("slack", "role_list", "ok", None)]  # fmt: skip


def test_text_a_person_typed_as_a_region_never_reaches_the_audit_log(db: Engine) -> None:
    forged = "North West\n2026-01-01T00:00:00Z\tcli:root\texport\x1b[2K"
    with pytest.raises(Denied):
        interest_log.export(db, actor=Actor.slack(TEAM, "UNOBODY"), region=forged)
    [entry] = audits(db)
    assert (entry.action, entry.outcome, entry.region) == ("export", "denied", None)


# -- the audit that only grows ------------------------------------------------------------------

PSEUDONYM = subject_ref(TEAM, "U0X")
CHANGES: dict[str, Any] = {  # a value for every column, none of them a sanctioned change
    "id": 999_999, "at": datetime(2020, 1, 1, tzinfo=UTC), "actor": "slack:T0NHS:U0OTHER",
    "action": "view", "region": "Midlands", "row_count": 9, "outcome": "denied",
    "correlation_id": "forged", "subject": "cli:root", "interest_id": 8, "field": "region",
    "from_value": "x", "to_value": "y", "occurrences": 5, "bucket": datetime(2020, 1, 1, tzinfo=UTC),
    "last_at": datetime(2020, 1, 1, tzinfo=UTC),
}  # fmt: skip


def _update(db: Engine, entry_id: int | None, **values: Any) -> None:
    with db.begin() as conn:
        conn.execute(update(AuditEntry).where(col(AuditEntry.id) == entry_id).values(**values))


def test_the_audit_log_refuses_every_update_but_pseudonymising_and_counting(db: Engine) -> None:
    assert set(CHANGES) == {c.name for c in AuditEntry.__table__.columns}  # type: ignore[attr-defined]
    plain = audit.record(db, actor="slack:T0NHS:U0X", action="export", outcome="ok", region="London",
                         subject="slack:T0NHS:U0Y", interest_id=7, field="status",
                         from_value="new", to_value="closed")  # fmt: skip
    operator = audit.record(db, actor="cli:alice", action="export", outcome="ok")
    for _ in range(audit.REFUSALS_IN_FULL + 1):
        call(db, lambda session: audit.refusal(session, actor="slack:T0NHS:U0Z", action="view", correlation="c"))  # fmt: skip
    [counted] = [e for e in audits(db, actor="slack:T0NHS:U0Z") if e.bucket is not None]
    refused = [(plain.id, {k: v}) for k, v in CHANGES.items()] + [
        (plain.id, {"actor": "erased:not-a-hash"}),
        (plain.id, {"actor": PSEUDONYM, "region": "Midlands"}),  # pseudonymising and more
        (operator.id, {"actor": PSEUDONYM}),  # only Slack identities are ever erased
        (counted.id, {"occurrences": counted.occurrences - 1}),
        (counted.id, {"occurrences": counted.occurrences + 1, "region": "London"}),
        (counted.id, {"occurrences": counted.occurrences + 1, "last_at": datetime(2020, 1, 1, tzinfo=UTC)}),  # fmt: skip
    ]
    for entry_id, values in refused:
        with pytest.raises(Exception, match="append-only"):
            _update(db, entry_id, **values)
    _update(db, plain.id, actor=PSEUDONYM)
    _update(db, plain.id, subject=subject_ref(TEAM, "U0Y"))
    _update(db, counted.id, occurrences=counted.occurrences + 1, last_at=datetime.now(UTC))
    kept = audits(db, id=plain.id)[0]
    assert (kept.actor, kept.subject, kept.region, kept.outcome) == (PSEUDONYM, subject_ref(TEAM, "U0Y"), "London", "ok")  # fmt: skip


def test_the_audit_log_refuses_to_delete_entries_younger_than_a_year(db: Engine) -> None:
    young = audit.record(db, actor="cli:x", action="export", outcome="ok", at=datetime.now(UTC) - timedelta(days=364))  # fmt: skip
    old = audit.record(db, actor="cli:x", action="export", outcome="ok", at=datetime.now(UTC) - timedelta(days=366))  # fmt: skip
    with pytest.raises(Exception, match="at least 365 days"), db.begin() as conn:
        conn.execute(delete(AuditEntry).where(col(AuditEntry.id) == young.id))
    with db.begin() as conn:
        conn.execute(delete(AuditEntry).where(col(AuditEntry.id) == old.id))
    assert [e.id for e in audits(db)] == [young.id]
    with pytest.raises(ValueError, match="at least 365 days"):
        Periods(interests=timedelta(days=1), conversations=timedelta(days=1), audit=timedelta(days=30))  # fmt: skip


def test_a_flood_of_refused_requests_is_counted_and_leaves_the_real_entries_readable(db: Engine) -> None:  # fmt: skip
    # 2,000 refusals from eight threads: a hundred times what is kept in full per hour. The same
    # flood at 10,000 and its timing is in bench/interest_writes.py (the volume is not the property).
    nw = coordinator(db, "UNWCOORD", "North West")
    interest_log.record_interest(db, draft=draft())
    interest_log.export(db, actor=nw)
    real = [e.id for e in audits(db)]
    flooder = Actor.slack(TEAM, "UFLOOD")

    def refused_many() -> None:
        for _ in range(250):
            with pytest.raises(Denied), write_session(db) as session:
                registry.export(session=session, actor=flooder)

    assert at_once(8, refused_many)[1] == []
    flood = audits(db, actor=flooder.ref)
    hours = len({e.bucket or e.at.replace(minute=0, second=0, microsecond=0) for e in flood})
    assert sum(e.occurrences for e in flood) == 2_000
    assert len(flood) <= (audit.REFUSALS_IN_FULL + 1) * hours  # 21, unless an hour turned
    page = read_audit(db, actor=OPERATOR, limit=25 * hours + len(real))
    assert not page.truncated and set(real) <= {e.id for e in page}
    first = read_audit(db, actor=OPERATOR, limit=10)
    assert first.truncated and len(first) == 10 and first.next_before == first.entries[-1].id
    rest = read_audit(db, actor=OPERATOR, before=first.next_before, limit=1_000)
    everything = read_audit(db, actor=OPERATOR)  # limit=None: the whole log, as exports need
    assert not rest.truncated and not everything.truncated
    # Newest first: the entries the last two reads left, then the first page, then the rest.
    assert [e.id for e in everything][2:] == [e.id for e in first] + [e.id for e in rest]


def test_audit_entries_hold_no_interest_data_and_others_name_nobody_they_are_about(db: Engine) -> None:  # fmt: skip
    nw = coordinator(db, "UNWCOORD", "North West")
    row = interest_log.record_interest(db, draft=draft(display_name="Canary Person-4471")).interest
    interest_log.export(db, actor=nw)
    interest_log.queue(db, actor=nw, programme="topol")
    interest_log.set_status(db, actor=nw, interest_id=int(row.id or 0), status="contacted")
    entries = audits(db)
    dumped = str([e.model_dump() for e in entries])
    for secret in ("Canary Person-4471", "topol", "nurse", "Band 6"):
        assert secret not in dumped
    # The person appears only as the actor of their own registration.
    assert {e.action for e in entries if "U0NURSE" in str(e.model_dump())} == {"register"}


# -- export ---------------------------------------------------------------------------------


def test_csv_cells_that_a_spreadsheet_would_run_or_a_terminal_obey_are_neutralised(db: Engine) -> None:  # fmt: skip
    nasty = ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "Plain Name",
             "Eve\n#99\tnew", "\x1b[31mRed\u202e"]  # fmt: skip
    for n, name in enumerate(nasty):
        interest_log.record_interest(db, draft=draft(f"UC{n}", display_name=name))
    out = interest_log.export(db, actor=OPERATOR, region="North West").csv()
    cells = [row["display_name"] for row in csv.DictReader(io.StringIO(out))]
    assert cells == ['\'=HYPERLINK("http://x")', "'+1+1", "'-2", "'@SUM(A1)", "'\\x09Tab",
                     "'\\x0dCR", "Plain Name", "Eve\\x0a#99\\x09new", "\\x1b[31mRed\\u202e"]  # fmt: skip
    assert len(out.splitlines()) == 1 + len(nasty)
    assert printable("Zoë O'Brien – Ward 7") == "Zoë O'Brien – Ward 7"


# -- the register of personal data; my-data, forget-me, Grid ids ----------------------------


def test_the_scan_reads_every_text_column_of_every_table() -> None:
    scanned = [f"{t.name}.{c.name}" for t in SQLModel.metadata.sorted_tables for c in t.columns if _texty(c)]  # fmt: skip
    assert {"role.user_id", "interest.display_name", "interest.status_by", "auditentry.actor",
            "auditentry.subject", "slackclaim.key", "conversationturn.profile"} <= set(scanned)  # fmt: skip
    assert len(scanned) >= 60


def test_every_table_with_a_person_like_column_is_in_the_register() -> None:
    assert unregistered(SQLModel.metadata) == []
    assert {h.name for h in HOLDINGS if h.only_on is None} <= set(SQLModel.metadata.tables)
    assert {h.name for h in HOLDINGS if h.only_on} == {"procrastinate_jobs"} <= set(QUEUE.tables)  # the job queue's
    assert unregistered(QUEUE) == []
    later = MetaData()
    Table("job", later, Column("id", String, primary_key=True), Column("user_id", String))
    Table("cache", later, Column("key", String, primary_key=True), Column("value", Text))
    assert unregistered(later) == ["job"]


def _seed_person(db: Engine, user: str, *, key: str = TEAM, dm: str | None = None,
                 other_key: str | None = None) -> None:  # fmt: skip
    """Everything a person can leave: interests, a saved profile, a turn, feedback, an answer
    record, a thread and a claim in their DM, a refused request and a subject access request.
    Grid: rows under the enterprise `key`; the turn and the refusal came by a path that gave
    the workspace team (`other_key`)."""
    dm = dm or "D" + user[1:]
    interest_log.record_interest(db, draft=draft(user, team_id=key))
    interest_log.record_interest(db, draft=draft(user, programme="fpt", team_id=key))
    with Session(db) as session:
        session.add(SavedProfile(team_id=key, user_id=user, profession="nurse", band=6))
        session.add(AnswerRecord(id=f"A{user}", team_id=key, user_id=user, channel=dm, responder="offline", catalogue_version="v"))  # fmt: skip
        session.add(Feedback(answer_id=f"A{user}", team_id=key, user_id=user, helpful=True))
        session.add(ConversationTurn(key=f"command:{other_key or key}:{user}", team_id=other_key or key,
                                     user_id=user, question=f"question from {user}", answer="Suggested: Topol.",
                                     profile={"profession": "nurse"}))  # fmt: skip
        session.add(SlackThread(channel=dm, thread_ts="1700000000.000100"))
        session.add(SlackClaim(key=f"msg:{dm}:1700000000.000100"))
        session.commit()
    with pytest.raises(Denied):
        interest_log.export(db, actor=Actor.slack(other_key or key, user))
    subject_data(db, team_id=other_key or key, enterprise_id=key if other_key else None,
                 user_id=user, dm_channels=[dm])  # fmt: skip


def _texty(column: Column[Any]) -> bool:
    """Text or JSON, however declared (sqlmodel's AutoString is a TypeDecorator over String)."""
    return isinstance(getattr(column.type, "impl", column.type), String | Text | JSON)


def _cells_naming(db: Engine, needle: str) -> dict[str, int]:
    """Every text or JSON cell, in every table, that contains `needle`."""
    found: dict[str, int] = {}
    with db.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                if not _texty(column):
                    continue
                cell = cast(column, Text) if isinstance(column.type, JSON) else column
                hits = conn.execute(
                    select(func.count()).select_from(table).where(cell.contains(needle))
                ).scalar_one()
                if hits:
                    found[f"{table.name}.{column.name}"] = int(hits)
    return found


def _without_own_requests(data: dict[str, Any]) -> dict[str, Any]:
    """My-data without the moment it ran and the subject access entries it leaves itself."""
    kept = {k: v for k, v in data.items() if k != "generated_at"}
    kept["auditentry"] = [e for e in data["auditentry"] if e["action"] != "subject_access"]
    return kept


def test_subject_access_returns_everything_held(db: Engine) -> None:
    _seed_person(db, "U0NURSE")
    data = subject_data(db, team_id=TEAM, user_id="U0NURSE", dm_channels=["D0NURSE"])
    assert sorted(i["programme_id"] for i in data["interest"]) == ["fpt", "topol"]
    assert data["savedprofile"][0]["band"] == 6
    assert data["conversationturn"][0]["question"] == "question from U0NURSE"
    assert data["feedback"][0]["helpful"] is True
    assert [len(data[t]) for t in ("answerrecord", "slackthread", "slackclaim")] == [1, 1, 1]
    assert [(e["action"], e["outcome"]) for e in data["auditentry"]] == [
        ("register", "ok"), ("register", "ok"), ("export", "denied"), ("subject_access", "ok")]  # fmt: skip


def test_forget_me_keeps_every_audit_entry_pseudonymised_and_nothing_names_the_person(db: Engine) -> None:  # fmt: skip
    # A former admin and coordinator: granted a role, worked and exported others' interests.
    for role, region in ((RoleName.ADMIN, None), (RoleName.COORDINATOR, "North West")):
        grant_role(db, actor=OPERATOR, team_id=TEAM, user_id="U0NURSE", role=role, region=region)
    former = Actor.slack(TEAM, "U0NURSE")
    grant_role(db, actor=former, team_id=TEAM, user_id="U0HELPER", role=RoleName.COORDINATOR, region="London")  # fmt: skip
    _seed_person(db, "U0OTHER")
    theirs = next(r for r in rows(db) if r.user_id == "U0OTHER" and r.programme_id == "topol")
    interest_log.set_status(db, actor=former, interest_id=int(theirs.id or 0), status="contacted")
    interest_log.export(db, actor=former)
    revoke_role(db, actor=OPERATOR, team_id=TEAM, user_id="U0NURSE")
    _seed_person(db, "U0NURSE")
    caused = {e.id for e in audits(db) if former.ref in (e.actor, e.subject)}
    other_before = _without_own_requests(subject_data(db, team_id=TEAM, user_id="U0OTHER", dm_channels=["D0OTHER"]))  # fmt: skip

    erased = erase(db, team_id=TEAM, user_id="U0NURSE", dm_channels=["D0NURSE"])

    pseudonym = subject_ref(TEAM, "U0NURSE")
    kept = {e.id: e for e in audits(db) if e.id in caused}
    assert set(kept) == caused and len(caused) >= 10
    assert all(pseudonym in (e.actor, e.subject) for e in kept.values())
    assert _cells_naming(db, "U0NURSE") == {} and _cells_naming(db, "D0NURSE") == {}
    assert not erased.kept_role and erased.rows["interest"] == 2
    assert erased.pseudonymised == {"interest.status_by": 1, "role.granted_by": 1,
                                    "auditentry.actor": len(caused) - 3, "auditentry.subject": 3}  # fmt: skip
    [entry] = audits(db, action="erasure", interest_id=None)
    assert (entry.actor, entry.row_count) == (pseudonym, erased.total)
    other_after = _without_own_requests(subject_data(db, team_id=TEAM, user_id="U0OTHER", dm_channels=["D0OTHER"]))  # fmt: skip
    assert other_after == other_before
    assert _cells_naming(db, "U0OTHER") and len(rows(db)) == 2


def test_forget_me_for_a_current_role_holder_keeps_the_role_and_pseudonymises_the_trail(db: Engine) -> None:  # fmt: skip
    nw = coordinator(db, "U0NURSE", "North West")
    interest_log.export(db, actor=nw)
    erased = erase(db, team_id=TEAM, user_id="U0NURSE")
    assert erased.kept_role
    assert _cells_naming(db, "U0NURSE") == {"role.user_id": 1}
    assert [e.action for e in audits(db, actor=subject_ref(TEAM, "U0NURSE"))] == ["export", "erasure"]  # fmt: skip


def test_grid_ids_my_data_and_forget_me_cover_the_same_rows_as_plain_ones(db: Engine) -> None:
    assert person_key("T0WORKSPACE", "E0GRID") == "E0GRID" and person_key(TEAM, None) == TEAM
    _seed_person(db, "U0PLAIN")
    _seed_person(db, "W0GRID", key=person_key("T0WORKSPACE", "E0GRID"), other_key="T0WORKSPACE")
    plain = subject_data(db, team_id=TEAM, user_id="U0PLAIN", dm_channels=["D0PLAIN"])
    grid = subject_data(db, team_id="T0WORKSPACE", enterprise_id="E0GRID", user_id="W0GRID",
                        dm_channels=["D0GRID"])  # fmt: skip
    counts = {k: len(v) for k, v in plain.items() if isinstance(v, list)}
    assert counts == {k: len(v) for k, v in grid.items() if isinstance(v, list)}
    assert counts["interest"] == 2 and counts["conversationturn"] == 1 and counts["auditentry"] == 4
    by_plain = erase(db, team_id=TEAM, user_id="U0PLAIN", dm_channels=["D0PLAIN"])
    by_grid = erase(db, team_id="T0WORKSPACE", enterprise_id="E0GRID", user_id="W0GRID",
                    dm_channels=["D0GRID"])  # fmt: skip
    assert (by_plain.rows, by_plain.pseudonymised) == (by_grid.rows, by_grid.pseudonymised)
    assert by_grid.total == 8
    for needle in ("U0PLAIN", "W0GRID", "D0PLAIN", "D0GRID"):
        assert _cells_naming(db, needle) == {}


def test_a_save_that_began_before_an_erasure_keeps_nothing_even_when_they_overlap(db: Engine) -> None:  # fmt: skip
    person = {"team_id": TEAM, "user_id": "U0NURSE"}
    pseudonym = subject_ref(TEAM, "U0NURSE")
    before = datetime.now(UTC)
    erase(db, **person)
    assert not save_turn(db, key="k", conversation=_said("asked before"), started=before, **person)
    assert save_turn(db, key="k", conversation=_said("asked after"), started=datetime.now(UTC), **person)  # fmt: skip
    assert erasure.ERASURE == Action.ERASURE.value

    # An erasure holding the person's lock when the save starts: the save waits, then sees it.
    started, holding = datetime.now(UTC), threading.Event()

    def erasing() -> None:
        with write_session(db) as session:
            erasure.lock(session, pseudonym)
            holding.set()
            time.sleep(0.5)
            audit.append(session, actor=pseudonym, action=Action.ERASURE, outcome="ok")

    eraser = threading.Thread(target=erasing)
    eraser.start()
    holding.wait(5)
    assert not save_turn(db, key="k", conversation=_said("asked during"), started=started, **person)
    eraser.join()
    with Session(db) as session:
        kept = session.exec(select(ConversationTurn.question)).all()
    assert kept == ["asked after"]


# -- retention ------------------------------------------------------------------------------


def _age(db: Engine, table: Any, where: Any, **stamps: datetime) -> None:
    with db.begin() as conn:
        conn.execute(update(table).where(where).values(**stamps))


def test_retention_deletes_exactly_the_expired_rows(db: Engine) -> None:
    now = datetime.now(UTC)
    periods = Periods(interests=timedelta(days=365), conversations=timedelta(days=30),
                      audit=timedelta(days=2190), profiles=timedelta(days=180))  # fmt: skip
    ages = {"UOLD": 366, "UEDGE": 365, "UNEW": 10}
    turn_age = {"UOLD": 31, "UEDGE": 29, "UNEW": 1}
    for user, days in ages.items():
        at = now - timedelta(days=days, seconds=1 if user == "UOLD" else -60)
        interest_log.record_interest(db, draft=draft(user))
        _age(db, Interest, col(Interest.user_id) == user, updated_at=at, created_at=at)
        with Session(db) as session:
            session.add(ConversationTurn(key=user, team_id=TEAM, user_id=user, question="q", answer="a", created_at=now - timedelta(days=turn_age[user])))  # fmt: skip
            session.add(SlackClaim(key=f"event:{user}", created_at=now - timedelta(hours=days)))
            session.add(SavedProfile(team_id=TEAM, user_id=user, updated_at=now - timedelta(days=days / 2)))  # fmt: skip
            session.commit()
    mark_profile_used(db, team_id=TEAM, user_id="UEDGE", now=now - timedelta(days=3))
    audit.record(db, actor="cli:x", action="export", outcome="ok", at=now - timedelta(days=2191))
    audit.record(db, actor="cli:x", action="export", outcome="ok", at=now - timedelta(days=2189))
    gone = next(r.id for r in rows(db) if r.user_id == "UOLD")
    counts = retention_run(db, periods=periods, now=now)
    queue = {"procrastinate_jobs": 0} if db.dialect.name == "postgresql" else {}  # the job queue: PostgreSQL only
    assert counts == {"interest": 1, "savedprofile": 1, "conversationturn": 1, "feedback": 0,
                      "answerrecord": 0, "slackthread": 0, "slackclaim": 2, "usagecounter": 0,
                      "auditentry": 1, **queue}  # fmt: skip
    assert sorted(r.user_id for r in rows(db)) == ["UEDGE", "UNEW"]
    assert trail(db, gone) == [("register", "status", None, "new", "ok"),
                               ("retention", "status", "new", "expired", "ok")]  # fmt: skip
    assert retention_run(db, periods=periods, now=now)["interest"] == 0  # idempotent
    assert [e.action for e in audits(db, actor="system:retention", interest_id=None)] == ["retention", "retention"]  # fmt: skip
    with pytest.raises(ValueError, match="ahead of the real one"):
        retention_run(db, periods=periods, now=now + timedelta(days=30))


def test_a_saved_profile_expires_after_a_time_without_use(db: Engine) -> None:
    now = datetime.now(UTC)
    with Session(db) as session:
        session.add(SavedProfile(team_id=TEAM, user_id="U0NURSE", band=6, updated_at=now - timedelta(days=200)))  # fmt: skip
        session.commit()
    assert saved_profile(db, team_id=TEAM, user_id="U0NURSE") is None  # the 180-day default
    assert saved_profile(db, team_id=TEAM, user_id="U0NURSE", max_idle=timedelta(days=365))
    assert mark_profile_used(db, team_id=TEAM, user_id="U0NURSE")
    assert saved_profile(db, team_id=TEAM, user_id="U0NURSE") is not None


# -- logs, with writes failing --------------------------------------------------------------

NAME, USER, DM, QUESTION = "Canary Reader-3390", "U0CANARY", "D0CANARY", "canary question about informatics 8812"  # fmt: skip


@pytest.fixture(params=["sqlite", "postgres"])
def read_only(request: pytest.FixtureRequest, tmp_path: Path, bundle: CatalogueBundle) -> Iterator[Engine]:  # fmt: skip
    """A database holding a person's data, through an engine whose every write fails: a SQLite
    file opened read-only, or a PostgreSQL role with SELECT and no other right."""
    if request.param == "sqlite":
        path = tmp_path / "ro.db"
        engine = _loaded(make_engine(f"sqlite:///{path}"), bundle)
        _seed_reader(engine)
        engine.dispose()
        yield make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
        return
    role = f"pf_reader_{uuid.uuid4().hex[:8]}"
    for engine in fresh_postgres():
        _seed_reader(_loaded(engine, bundle))
        with engine.begin() as conn:
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
            conn.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
        reader = make_engine(engine.url.set(username=role).render_as_string(hide_password=False))
        yield reader
        reader.dispose()
    admin = create_engine(make_url(normalise_url(os.environ[PG_ENV])), isolation_level="AUTOCOMMIT")  # fmt: skip
    with admin.connect() as conn:  # after its database is dropped, the role owns nothing
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    admin.dispose()


def _seed_reader(engine: Engine) -> None:
    coordinator(engine, "UNWCOORD", "North West")
    interest_log.record_interest(engine, draft=draft(USER, display_name=NAME))


def test_with_writes_failing_the_error_logs_hold_no_question_name_or_id(read_only: Engine, caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    handler = logging.getLogger("pathfinder.test.handler")  # stands in for any caller's handler
    person = {"team_id": TEAM, "user_id": USER}
    row = rows(read_only)[0]
    attempts: list[Callable[[], Any]] = [
        lambda: interest_log.record_interest(read_only, draft=draft(USER, display_name=NAME, grade="Band 7")),  # fmt: skip
        lambda: interest_log.set_status(read_only, actor=Actor.slack(TEAM, "UNWCOORD"), interest_id=int(row.id or 0), status="closed"),  # fmt: skip
        lambda: _refused(read_only, Actor.slack(TEAM, USER)),  # and the refusal can't be audited
        lambda: interest_log.withdraw(read_only, programme_id="topol", **person),
        lambda: subject_data(read_only, dm_channels=[DM], **person),
        lambda: erase(read_only, dm_channels=[DM], **person),
        lambda: save_turn(read_only, key=f"command:{TEAM}:{USER}", conversation=_said(QUESTION), **person),  # fmt: skip
    ]
    failures = 0
    with caplog.at_level(logging.DEBUG):
        for attempt in attempts:
            try:
                attempt()
            except Exception:  # noqa: BLE001 - what every handler does: log it, with traceback
                failures += 1
                handler.exception("the database refused a write")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == len(attempts)
    assert len(errors) == len(attempts) + 1  # each traceback, and the refusal nobody could audit
    assert any(r.name == "bot.interests.access" for r in errors)
    assert any("hidden due to hide_parameters" in rendered(r) for r in errors)
    assert [leak for r in caplog.records for leak in leaks(rendered(r))] == []


def _refused(engine: Engine, actor: Actor) -> None:
    with Session(engine) as session:  # reads work; only the refusal's write fails
        registry.export(session=session, actor=actor)


def _said(question: str) -> Conversation:
    conversation = Conversation()
    conversation.turns.append(Turn(question, "Suggested: Topol."))
    return conversation


# -- migrations -----------------------------------------------------------------------------


def test_migrations_build_exactly_the_models_schema(db: Engine) -> None:
    assert current_revision(db) == migrate(db) == HEAD == "0007_place_office"
    with db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_name": ours}), SQLModel.metadata)  # fmt: skip
    assert diff == []


def test_migration_0004_keeps_the_log_and_goes_back_cleanly(blank: Engine) -> None:
    migrate(blank, "0003")
    with blank.begin() as conn:
        conn.execute(text("INSERT INTO auditentry (at, actor, action, row_count, outcome, correlation_id) "
                          "VALUES (:at, 'slack:T0NHS:U0OLD', 'export', 3, 'ok', 'c0')"),
                     {"at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")})  # fmt: skip
    assert migrate(blank) == HEAD
    [old] = audits(blank)
    assert (old.actor, old.row_count, old.occurrences, old.bucket, old.interest_id) == ("slack:T0NHS:U0OLD", 3, 1, None, None)  # fmt: skip
    with pytest.raises(Exception, match="append-only"):
        _update(blank, old.id, outcome="denied")
    _update(blank, old.id, actor=subject_ref(TEAM, "U0OLD"))
    with blank.connect() as conn, conn.begin():
        command.downgrade(alembic_config(conn), "0003")
    assert current_revision(blank) == "0003"
    with pytest.raises(Exception, match="append-only"), blank.begin() as conn:
        conn.execute(text("UPDATE auditentry SET actor = 'slack:T0NHS:U0OLD'"))
    assert migrate(blank) == HEAD
    assert [e.actor for e in audits(blank)] == [subject_ref(TEAM, "U0OLD")]


def test_a_database_made_before_migrations_is_stamped_and_keeps_its_data(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'legacy.db'}")
    migrate(engine, "0001")  # the baseline's tables, as create_all made them before Alembic
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("INSERT INTO savedprofile (team_id, user_id, band, updated_at) "
                          "VALUES ('T0NHS', 'U0KEPT', 7, '2026-01-01 00:00:00.000000')"))  # fmt: skip
    assert migrate(engine) == HEAD
    assert {"interest", "auditentry"} <= set(inspect(engine).get_table_names())
    with Session(engine) as session:
        assert session.get(SavedProfile, (TEAM, "U0KEPT")) is not None


def test_processes_starting_at_once_migrate_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    results, errors = at_once(4, lambda: migrate(make_engine(url)))
    assert errors == [] and results == [HEAD] * 4


def test_roles_a_person_holds_are_listed_in_the_register_as_kept() -> None:
    [roles] = [h for h in HOLDINGS if h.table is Role]
    assert roles.on_erase.value == "keep" and roles.expires is None
