"""The `pathfinder` command as a user runs it: a real process, a real SQLite file."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from .conftest import KNOWLEDGE, ROOT

CONTRACT_KEYS = {
    "question",
    "refused",
    "profile",
    "suggestions",
    "network",
    "answer",
    "responder",
    "catalogue_version",
}
STATES = {"running", "recruiting", "closed", "historical", "unverified"}
SUGGESTION_KEYS = {"id", "name", "why", "eligibility", "source_urls", "last_reviewed", "uncertain"}


def run(
    *args: str, db: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "PATHFINDER_USE_GEONAMES": "false",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli") / "cli.db"


def test_ask_json_keeps_the_public_contract(db: Path) -> None:
    result = run(
        "ask",
        "--json",
        "Band 6 nurse in Leeds, moving towards informatics. Where do I start?",
        db=db,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert CONTRACT_KEYS <= set(data)
    assert data["refused"] is False
    assert data["responder"] == "offline"
    assert data["profile"]["region"] == "North East and Yorkshire"
    assert data["network"] == {
        "id": "isdn-north-east-and-yorkshire",
        "name": "the regional ISDN for North East and Yorkshire",
        "region": "North East and Yorkshire",
        "verified": False,
    }
    assert data["suggestions"]
    for s in data["suggestions"]:
        assert SUGGESTION_KEYS <= set(s)
        assert isinstance(s["uncertain"], bool)
        for check in s["eligibility"]:
            assert set(check) == {"criterion", "status", "detail"}
            assert check["status"] in {"met", "not_met", "unknown"}


def test_ask_json_for_a_refusal(db: Path) -> None:
    data = json.loads(run("ask", "--json", "Tell me a joke about the weather", db=db).stdout)
    assert data["refused"] is True and data["suggestions"] == [] and data["network"] is None


def test_ask_prints_text_for_a_person(db: Path) -> None:
    result = run(
        "ask", "How long is the clinical AI fellowship and how many days a week is it?", db=db
    )
    assert result.returncode == 0
    assert "2 days a week" in result.stdout and "12 months" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_catalogue_check_passes_on_the_real_catalogue(db: Path) -> None:
    result = run("catalogue", "check", "--today", "2026-11-28", db=db)
    assert result.returncode == 0, result.stderr
    count = int(re.search(r"catalogue OK: (\d+) programmes", result.stdout).group(1))  # type: ignore[union-attr]
    assert count >= 28
    assert "past review_due on 2026-11-28: none" in result.stdout
    assert "facts marked uncertain" in result.stdout
    assert "check this link" in result.stdout and "hee.nhs.uk" in result.stdout  # HEE ceased in 2023
    assert re.search(r"status: .*\d+ running", result.stdout)


def test_catalogue_list_names_every_programme_file_with_its_status(db: Path) -> None:
    result = run("catalogue", "list", db=db)
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert {row[0] for row in rows} == {p.stem for p in (KNOWLEDGE / "programmes").glob("*.yaml")}
    assert all(len(row) == 4 and row[2] in STATES for row in rows)
    assert ["fci", "Faculty of Clinical Informatics (FCI)", "closed"] in [r[:3] for r in rows]


def test_catalogue_check_lists_overdue_entries(db: Path) -> None:
    result = run("catalogue", "check", "--today", "2027-04-01", db=db)
    assert "past review_due on 2027-04-01" in result.stdout
    assert "clinical_ai_fellowship: due 2027-02-28" in result.stdout  # uncertain status: 3 months
    assert "status older than 12 months" in result.stdout


def test_catalogue_check_fails_on_a_bad_file(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, bad)
    path = bad / "programmes" / "dhlp.yaml"
    path.write_text(re.sub(r"review_due: \S+", "review_due: someday", path.read_text()))
    result = run("catalogue", "check", db=db, env={"PATHFINDER_KNOWLEDGE_DIR": str(bad)})
    assert result.returncode == 1
    assert "dhlp.yaml: review_due" in result.stderr


def test_catalogue_load_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    db = tmp_path / "load.db"
    assert "loaded catalogue" in run("catalogue", "load", db=db).stdout
    assert "already loaded" in run("catalogue", "load", db=db).stdout


def test_eval_reports_scores_and_misses(db: Path, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        json.dumps(
            {
                "id": "a",
                "question": "NHS data analyst, band 6, in Exeter. How can I get professional accreditation?",
                "expected": ["AphA (Association of Professional Healthcare Analysts)"],
                "must_not": ["Flexible Portfolio Training (FPT)"],
                "expected_isdn": "South West",
                "should_refuse": False,
            }
        )
        + "\n"
        + json.dumps(
            {
                "id": "b",
                "question": "Band 7 physio in Exeter wanting protected time",
                "expected": ["Scientist Training Programme (STP)"],
                "expected_isdn": "London",
                "should_refuse": True,
            }
        )
        + "\n"
    )
    result = run("eval", str(cases), "--json", db=db)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["cases"] == 2
    assert report["expected_recall_top3"] == 0.5
    assert report["refusal_accuracy"] == 0.5
    assert report["region_accuracy"] == 0.5
    assert report["region_accuracy_answerable"] == 1.0  # case a's South West is right; b must refuse
    kinds = {(m["case"], m["kind"]) for m in report["misses"]}
    assert kinds == {("b", "expected_missing"), ("b", "refusal"), ("b", "region")}


def test_eval_rejects_a_bad_case_file_with_its_line(db: Path, tmp_path: Path) -> None:
    cases = tmp_path / "bad.jsonl"
    cases.write_text('{"id": "a", "question": "x"}\nnot json\n')
    result = run("eval", str(cases), db=db)
    assert result.returncode == 2
    assert "bad.jsonl:2" in result.stderr


def test_chat_keeps_the_profile_between_turns(db: Path) -> None:
    full_env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PATHFINDER_USE_GEONAMES": "false"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="I'm a band 7 physiotherapist in Exeter\nI want protected time for a digital project\nquit\n",
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0
    second = result.stdout.split("you> ")[2]
    assert "band 7 allied health professional in Exeter" in second
    assert "Topol Digital Fellowship" in second


def test_ask_json_contract_on_postgres(empty_postgres) -> None:  # type: ignore[no-untyped-def]
    url = empty_postgres.url.render_as_string(hide_password=False)
    env = {**os.environ, "DATABASE_URL": url, "PATHFINDER_USE_GEONAMES": "false"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "NHS data analyst, band 6, in Nottingham. Accreditation?"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert CONTRACT_KEYS <= set(data)
    assert data["suggestions"][0]["id"] == "apha"
    assert data["network"]["region"] == "Midlands"


def test_operator_commands_manage_roles_read_the_log_and_audit_it(tmp_path: Path) -> None:
    db = tmp_path / "ops.db"
    from alembic.script import ScriptDirectory

    from bot.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert run("db", "upgrade", db=db).stdout.startswith(f"schema at {head} (was empty)")
    assert run("db", "upgrade", db=db).stdout.strip() == f"schema at {head}"
    added = run("coordinators", "add", "T0NHS", "U0NWCOORD", "--region", "north west", db=db)
    assert added.returncode == 0 and "coordinator for North West" in added.stdout
    bad = run("coordinators", "add", "T0NHS", "U0X", "--region", "Atlantis", db=db)
    assert bad.returncode == 2 and "North West" in bad.stderr
    assert "U0NWCOORD\tcoordinator\tNorth West" in run("coordinators", "list", db=db).stdout

    from bot.db import make_engine
    from bot.interests import log as interest_log

    engine = make_engine(f"sqlite:///{db}")
    interest_log.record_interest(
        engine,
        draft=interest_log.InterestCreate(
            team_id="T0NHS", user_id="U0NURSE", display_name="=cmd|' /C calc'!A0",
            profession="nurse", grade="Band 6", region="North West", programme_id="topol",
            network_id="isdn-north-west", consent_version=interest_log.CONSENT_VERSION,
        ),
    )  # fmt: skip
    listed = json.loads(run("interests", "list", "--region", "North West", "--json", db=db).stdout)
    assert [(r["programme_id"], r["status"]) for r in listed] == [("topol", "new")]
    exported = run("interests", "export", "--region", "North West", "--csv", db=db).stdout
    assert exported.splitlines()[1].count("'=cmd") == 1  # the formula is neutralised
    assert json.loads(run("interests", "list", "--region", "London", "--json", db=db).stdout) == []
    assert run("interests", "list", "--region", "Narnia", db=db).returncode == 2

    entries = json.loads(run("audit", "list", "--json", db=db).stdout)
    actions = [(e["action"], e["region"], e["row_count"]) for e in entries]
    assert ("export", "North West", 1) in actions and ("view", "London", 0) in actions
    assert ("role_change", "North West", 1) in actions and ("role_list", None, 1) in actions
    assert ("register", "North West", 1) in actions  # the person's own act, by interest id
    operators = [e for e in entries if e["action"] != "register"]
    assert all(e["actor"].startswith("cli:") and "U0NURSE" not in json.dumps(e) for e in operators)

    assert run("coordinators", "remove", "T0NHS", "U0NWCOORD", db=db).stdout.startswith("removed 1")
    with engine.begin() as conn:  # a year and a day without an update
        conn.execute(text("UPDATE interest SET updated_at = '2025-11-01 00:00:00.000000'"))
    assert "interest 1" in run("retention", "run", db=db).stdout


def test_retention_runs_by_the_real_clock_only(tmp_path: Path) -> None:
    db = tmp_path / "clock.db"
    moved = run("retention", "run", "--now", "2040-01-01T00:00:00", db=db)
    assert moved.returncode == 2 and "unrecognized arguments: --now" in moved.stderr
    assert run("retention", "run", db=db).stdout.startswith("deleted: interest 0")


def _seed_forgeries(db: Path) -> None:
    """Rows holding what a person could type: a line break and tabs that forge a row, terminal
    escapes, a right-to-left override; and an audit entry as an old release stored slash text."""
    from bot.db import make_engine, migrate
    from bot.interests import audit
    from bot.interests import log as interest_log
    from bot.interests.tables import Role

    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    for n, name in enumerate(["Eve\n#999\tnew\t2026-01-01\ttopol\tForged Row",
                              "\x1b[31mRed\x1b[0m\u202eevil", "Plain"]):  # fmt: skip
        interest_log.record_interest(engine, draft=interest_log.InterestCreate(
            team_id="T0NHS", user_id=f"U0P{n}", display_name=name, region="North West",
            programme_id="topol", network_id="isdn-north-west",
            consent_version=interest_log.CONSENT_VERSION))  # fmt: skip
    audit.record(engine, actor="slack:T0NHS:U0X", action="export", outcome="denied",
                 region="x\n2026-01-01T00:00:00Z\tcli:root\texport\x1b]0;pwned\x07")  # fmt: skip
    with engine.begin() as conn:
        conn.execute(Role.__table__.insert().values(  # type: ignore[attr-defined]
            team_id="T0NHS", user_id="U0ADMIN", role="admin", region="",
            granted_by="slack:x\ncli:root\tadmin", granted_at=datetime.now(UTC)))  # fmt: skip


def test_listings_print_one_inert_line_per_row_whatever_the_rows_hold(tmp_path: Path) -> None:
    db = tmp_path / "forged.db"
    _seed_forgeries(db)
    listed = run("interests", "list", "--region", "North West", db=db).stdout
    audit_out = run("audit", "list", "--action", "export", db=db).stdout
    roles = run("coordinators", "list", db=db).stdout
    for out in (listed, audit_out, roles):
        assert not any(ch in out for ch in "\x1b\x07\r\u202e")
    assert listed.splitlines()[0] == "3 interest(s) in North West" and len(listed.splitlines()) == 4
    assert "Eve\\x0a#999\\x09new" in listed and "\\x1b[31mRed" in listed
    assert len(audit_out.splitlines()) == 1 and "cli:root" not in audit_out.split("\t")[1]
    assert len(roles.splitlines()) == 1 and roles.count("\t") == 3


def test_listings_say_when_they_are_truncated(tmp_path: Path) -> None:
    db = tmp_path / "pages.db"
    _seed_forgeries(db)
    page = run("audit", "list", "--limit", "2", db=db)
    assert len(page.stdout.splitlines()) == 2
    before = re.search(r"--before (\d+)", page.stderr)
    assert "more exist" in page.stderr and before
    rest = run("audit", "list", "--before", before.group(1), "--limit", "1000", db=db)
    assert rest.stderr == "" and len(rest.stdout.splitlines()) == 2  # ids 2 and 1
    every = run("audit", "list", "--all", "--json", db=db)
    assert every.stderr == "" and len(json.loads(every.stdout)) >= 5
    shown = run("interests", "list", "--region", "North West", "--limit", "2", db=db)
    assert len(shown.stdout.splitlines()) == 3 and "showing the newest 2 of 3" in shown.stderr


def test_audit_list_says_whom_which_interest_and_what_changed_and_csv_has_every_column(tmp_path: Path) -> None:  # fmt: skip
    from bot.interests.display import AUDIT_COLUMNS

    db = tmp_path / "columns.db"
    _seed_forgeries(db)
    run("coordinators", "add", "T0NHS", "U0NWCOORD", "--region", "North West", db=db)
    lines = run("audit", "list", db=db).stdout.splitlines()
    [role] = [line.split("\t") for line in lines if "\trole_change\t" in line]
    assert role[3:5] == ["about slack:T0NHS:U0NWCOORD", "North West"]
    registered = [line.split("\t") for line in lines if "\tregister\t" in line]
    assert [r[5:7] for r in registered] == [["#3", "status: - -> new"], ["#2", "status: - -> new"],
                                            ["#1", "status: - -> new"]]  # fmt: skip
    table = run("audit", "list", "--csv", "--limit", "2", db=db)
    assert table.stdout.splitlines()[0] == ",".join(AUDIT_COLUMNS)
    assert len(table.stdout.splitlines()) == 3 and "more exist" in table.stderr
