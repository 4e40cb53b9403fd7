"""The durable answer queue on PostgreSQL: serve defers, workers answer, at most one reply per
question across duplicates, reruns, a worker killed -9 and a drain; the job tables are personal
data like any other. Real PostgreSQL, the fake Slack Web API over HTTP, `pathfinder worker` as a
real subprocess where a process has to die."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from procrastinate.schema import SchemaManager
from sqlalchemy import create_engine, delete, inspect, select, text, update
from sqlalchemy.engine import Engine

from bot import app as composition
from bot.cli import main
from bot.db import alembic_config, make_engine, migrate
from bot.interests.rights import Periods, erase, retention_run, subject_data
from bot.jobs.answers import AnswerRequest, InProcess
from bot.jobs.queue import Queued, queue_depth, worker_ready
from bot.memory.queued import EVENTS, JOBS
from bot.memory.store import SlackClaim

from .conftest import ROOT, _postgres_copy
from .fakes.openai_server import FakeOpenAI
from .fakes.slack_server import BOT_USER, TEAM, FakeSlack
from .served import free_port
from .slack_harness import (
    QUESTION,
    QueueWorker,
    Running,
    answers,
    deliver_concurrently,
    event,
    is_answer,
    settings_for,
    settle,
    start,
    until,
)

MIGRATION = ROOT / "bot" / "migrations" / "procrastinate" / "schema-3.10.0.sql"
STALLED = "3"  # seconds: a killed worker's jobs go to another after this


@pytest.fixture()
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from _postgres_copy(request.getfixturevalue("postgres_template"))


@pytest.fixture()
def serve_only(fake_slack: FakeSlack, pg_url: str) -> Iterator[Running]:
    """`pathfinder serve` on PostgreSQL with no worker running: it only queues."""
    running = start(fake_slack, pg_url, worker=False, PATHFINDER_WORKER_STALLED_SECONDS=STALLED)
    yield running
    running.stop()


def jobs(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(JOBS.c.id, JOBS.c.status, JOBS.c.args).order_by(JOBS.c.id)))


def replies(fake: FakeSlack) -> list[Any]:
    return [c for c in fake.replies() if is_answer(c)]


def worker(running: Running, fake: FakeSlack) -> QueueWorker:
    """A second `pathfinder worker` (offline responder), in a thread."""
    settings = settings_for(fake, PATHFINDER_WORKER_STALLED_SECONDS=STALLED)
    return QueueWorker(settings, make_engine(running.engine.url.render_as_string(hide_password=False)))


def worker_process(db_url: str, fake: FakeSlack, llm: FakeOpenAI, **env: str) -> subprocess.Popen[bytes]:
    """`pathfinder worker` as its own OS process, phrasing with the (slow) fake LLM."""
    env = {**os.environ, "DATABASE_URL": db_url, "SLACK_BOT_TOKEN": "xoxb-test-token",
           "SLACK_API_BASE_URL": fake.base_url, "PATHFINDER_USE_GEONAMES": "false",
           "PATHFINDER_LLM": "openai", "OPENAI_BASE_URL": llm.url, "OPENAI_API_KEY": "test",
           "OPENAI_TIMEOUT": "60", "PATHFINDER_LLM_DEADLINE": "60",
           "PATHFINDER_WORKER_STALLED_SECONDS": STALLED, "PATHFINDER_HEALTH_PORT": str(free_port()), **env}  # fmt: skip
    return subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip


def job_running(engine: Engine, timeout: float = 30) -> bool:
    return bool(until(lambda: any(j.status == "doing" for j in jobs(engine)), timeout))


# -- the schema ---------------------------------------------------------------------------------


def test_the_migration_applies_exactly_the_schema_the_installed_procrastinate_ships() -> None:
    # A failure here means procrastinate was upgraded: add a migration with its new SQL files
    # (see bot/migrations/versions/0005_job_queue.py), then copy the new schema alongside.
    assert MIGRATION.read_text(encoding="utf-8") == SchemaManager.get_schema()


def test_the_queue_schema_exists_on_postgresql_only_and_downgrades_cleanly(
    empty_postgres: Engine, tmp_path: Path
) -> None:
    sqlite = make_engine(f"sqlite:///{tmp_path / 'q.db'}")
    migrate(sqlite)
    assert not [t for t in inspect(sqlite).get_table_names() if t.startswith("procrastinate")]
    migrate(empty_postgres)
    assert {"procrastinate_jobs", "procrastinate_events", "procrastinate_workers"} <= set(inspect(empty_postgres).get_table_names())  # fmt: skip
    from alembic import command

    with empty_postgres.connect() as conn, conn.begin():
        command.downgrade(alembic_config(conn), "0004")
    with empty_postgres.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%'")).scalar()  # fmt: skip
    assert left == 0
    assert not [t for t in inspect(empty_postgres).get_table_names() if t.startswith("procrastinate")]
    migrate(empty_postgres)
    assert "procrastinate_jobs" in inspect(empty_postgres).get_table_names()


# -- serve queues, a worker answers, once --------------------------------------------------------


def test_serve_queues_one_job_per_question_holding_only_the_question_and_ids(
    serve_only: Running, fake_slack: FakeSlack
) -> None:
    body = event(text=f"<@{BOT_USER}> {QUESTION}")
    twin = event("message", event_id="Ev002", channel_type="channel")
    deliver_concurrently(body, [(serve_only.url, None), (serve_only.url, 1), (serve_only.url, 2)])
    deliver_concurrently(twin, [(serve_only.url, None)])
    settle(1.0)
    assert replies(fake_slack) == []  # serve answered nothing itself
    [job] = jobs(serve_only.engine)
    assert job.status == "todo" and queue_depth(serve_only.engine) == 1
    asked_at = job.args.pop("asked_at")  # when it arrived (forget-me after it keeps nothing), no more
    assert datetime.fromisoformat(asked_at).tzinfo is not None
    assert job.args == {"text": QUESTION, "team_id": TEAM, "user_id": "U0NURSE", "channel": "C0CLIN",
                        "ts": "1700000001.000100", "thread_ts": None, "dm": False, "placeholder": None}  # fmt: skip

    second = worker(serve_only, fake_slack)
    try:
        assert second.services.answers.ready() and worker_ready()  # type: ignore[attr-defined]
        assert len(answers(fake_slack)) == 1
        assert until(lambda: not jobs(serve_only.engine))  # an answered question leaves the queue
        settle()
        assert len(replies(fake_slack)) == 1
        reply = replies(fake_slack)[0].body
        assert reply["metadata"] == {"event_type": "pathfinder_answer", "event_payload": {"question": "C0CLIN:1700000001.000100"}}  # fmt: skip
    finally:
        second.stop()
    assert not second.services.answers.ready() and not worker_ready()  # type: ignore[attr-defined]


@pytest.mark.parametrize("where", ["thread", "dm"])
def test_a_rerun_after_the_reply_was_posted_posts_nothing(
    serve_only: Running, fake_slack: FakeSlack, where: str
) -> None:
    fields: dict[str, Any] = {"channel": "D0NURSE", "channel_type": "im"} if where == "dm" else {}
    text_ = QUESTION if where == "dm" else f"<@{BOT_USER}> {QUESTION}"
    serve_only_post(serve_only, event("message" if where == "dm" else "app_mention", text=text_, **fields))
    until(lambda: jobs(serve_only.engine))
    request = AnswerRequest.model_validate(jobs(serve_only.engine)[0].args)
    second = worker(serve_only, fake_slack)
    try:
        assert len(answers(fake_slack)) == 1
        until(lambda: not jobs(serve_only.engine))
        # A rerun of a job whose reply is recorded: nothing posted, Slack not even asked.
        assert serve_only.app.services.answers.submit(request) == 0
        until(lambda: not jobs(serve_only.engine))
        settle(0.5)
        assert len(replies(fake_slack)) == 1
        assert not fake_slack.of("conversations.replies") + fake_slack.of("conversations.history")
        # Killed after Slack took the reply, before recording it: the rerun finds the reply's
        # metadata in the conversation and posts nothing.
        with serve_only.engine.begin() as conn:
            conn.execute(delete(SlackClaim).where(SlackClaim.key == f"answered:{request.question_id}"))  # type: ignore[arg-type]
        serve_only.app.services.answers.submit(request)
        read = "conversations.history" if where == "dm" else "conversations.replies"
        assert fake_slack.wait_for(read, 1)
        until(lambda: not jobs(serve_only.engine))
        settle(0.5)
        assert len(replies(fake_slack)) == 1
        with serve_only.engine.connect() as conn:
            keys = set(conn.execute(select(SlackClaim.key)).scalars())  # type: ignore[call-overload]
        assert f"answered:{request.question_id}" in keys
    finally:
        second.stop()


def serve_only_post(running: Running, body: str) -> None:
    deliver_concurrently(body, [(running.url, None)])


# -- a worker dies, or is stopped -----------------------------------------------------------------


def test_a_worker_outlives_the_database_refusing_connections_and_answers_after(
    serve_only: Running, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """procrastinate stops a worker whose LISTEN connection drops; `pathfinder worker` must not
    end with it (a database restart would leave no one answering)."""
    second = worker(serve_only, fake_slack)
    name = serve_only.engine.url.database
    admin = create_engine(serve_only.engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with caplog.at_level(logging.WARNING, logger="bot.jobs.queue"):
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})  # fmt: skip
            assert until(lambda: not second.services.answers.ready(), 20)  # type: ignore[attr-defined]
            settle(2.5)  # at least one start fails while the database still refuses
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            assert until(second.services.answers.ready, 90), "the worker did not start again"  # type: ignore[attr-defined]
        assert second.thread.is_alive()
        restarts = [r.getMessage() for r in caplog.records if "starting again" in r.getMessage()]
        assert restarts and all(QUESTION not in r.getMessage() for r in caplog.records)
        serve_only_post(serve_only, event(text=f"<@{BOT_USER}> {QUESTION}"))
        assert len(answers(fake_slack, timeout=20)) == 1
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
        second.stop()
    assert not second.thread.is_alive()  # and stop() still ends it


def test_a_worker_killed_mid_answer_leaves_a_job_another_worker_finishes(
    serve_only: Running, fake_slack: FakeSlack, pg_url: str
) -> None:
    llm = FakeOpenAI(default="hang", hang_seconds=120).start()
    doomed = worker_process(pg_url, fake_slack, llm)
    try:
        serve_only_post(serve_only, event())
        assert job_running(serve_only.engine), "the worker never took the job"
        assert until(lambda: llm.requests, 30)  # it is waiting on the model, mid-answer
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        rescuer = worker(serve_only, fake_slack)
        try:
            assert len(answers(fake_slack, timeout=30)) == 1
            assert until(lambda: not jobs(serve_only.engine), 10)
            settle()
            assert len(replies(fake_slack)) == 1
        finally:
            rescuer.stop()
    finally:
        if doomed.poll() is None:
            doomed.kill()
        llm.stop()


def test_sigterm_lets_an_answer_in_flight_finish_within_the_drain(
    serve_only: Running, fake_slack: FakeSlack, pg_url: str
) -> None:
    llm = FakeOpenAI(default="hang", hang_seconds=3).start()
    proc = worker_process(pg_url, fake_slack, llm, PATHFINDER_DRAIN_SECONDS="25")
    try:
        serve_only_post(serve_only, event())
        assert job_running(serve_only.engine)
        assert until(lambda: llm.requests, 30)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        assert len(replies(fake_slack)) == 1
        assert jobs(serve_only.engine) == []
    finally:
        if proc.poll() is None:
            proc.kill()
        llm.stop()


def test_an_answer_unfinished_when_the_drain_ends_goes_back_to_the_queue(
    serve_only: Running, fake_slack: FakeSlack, pg_url: str
) -> None:
    llm = FakeOpenAI(default="hang", hang_seconds=60).start()
    proc = worker_process(pg_url, fake_slack, llm, PATHFINDER_DRAIN_SECONDS="1")
    try:
        serve_only_post(serve_only, event())
        assert job_running(serve_only.engine)
        assert until(lambda: llm.requests, 30)
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        assert time.monotonic() - began < 10
        assert [j.status for j in jobs(serve_only.engine)] == ["todo"]
        assert b"went back on the queue" in (proc.stderr.read() if proc.stderr else b"")
        other = worker(serve_only, fake_slack)
        try:
            assert len(answers(fake_slack, timeout=20)) == 1
            settle()
            assert len(replies(fake_slack)) == 1
        finally:
            other.stop()
    finally:
        if proc.poll() is None:
            proc.kill()
        llm.stop()


# -- personal data: forget-me, my-data, retention, logs ------------------------------------------


def _request(user: str, ts: str) -> AnswerRequest:
    return AnswerRequest(text=f"question from {user}", team_id=TEAM, user_id=user, channel="C0CLIN", ts=ts)


def test_forget_me_my_data_and_retention_cover_the_job_tables(pg_url: str, fake_slack: FakeSlack) -> None:
    engine = make_engine(pg_url)
    services = composition.build(settings_for(fake_slack), engine=engine)
    try:
        queue = services.answers
        assert isinstance(queue, Queued)
        for user, ts in (("U0NURSE", "1.1"), ("U0NURSE", "1.2"), ("U0OTHER", "1.3")):
            assert queue.submit(_request(user, ts)) == 0
        held = subject_data(engine, team_id=TEAM, user_id="U0NURSE")
        assert sorted(r["args"]["ts"] for r in held["procrastinate_jobs"]) == ["1.1", "1.2"]
        erased = erase(engine, team_id=TEAM, user_id="U0NURSE")
        assert erased.rows["procrastinate_jobs"] == 2
        [left] = jobs(engine)
        assert left.args["user_id"] == "U0OTHER"

        periods = Periods(interests=timedelta(days=365), conversations=timedelta(days=30), audit=timedelta(days=400))  # fmt: skip
        assert retention_run(engine, periods=periods)["procrastinate_jobs"] == 0  # queued: kept
        with engine.begin() as conn:
            conn.execute(update(JOBS).where(JOBS.c.id == left.id).values(status="failed"))
            conn.execute(update(EVENTS).where(EVENTS.c.job_id == left.id).values(at=datetime.now(UTC) - timedelta(days=31)))  # fmt: skip
        assert retention_run(engine, periods=periods)["procrastinate_jobs"] == 1
        assert jobs(engine) == []
    finally:
        services.close()


def test_job_logs_name_the_job_never_its_question(
    fake_slack: FakeSlack, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="procrastinate")
    running = start(fake_slack, pg_url)
    try:
        post_text = f"<@{BOT_USER}> canary question about informatics 8812, band 6 nurse in Leeds"
        serve_only_post(running, event(text=post_text))
        assert answers(fake_slack)
        until(lambda: not jobs(running.engine))
    finally:
        running.stop()
    logged = "\n".join(r.getMessage() + json.dumps(r.__dict__, default=str) for r in caplog.records)
    assert "pathfinder.answer[" in logged
    assert "canary question" not in logged and "U0NURSE" not in logged


# -- SQLite: as before ---------------------------------------------------------------------------


def test_on_sqlite_answers_stay_in_process_and_the_worker_says_it_needs_postgresql(
    tmp_path: Path, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    services = composition.build(settings_for(fake_slack, DATABASE_URL=url))
    assert isinstance(services.answers, InProcess)
    services.close()
    for key, value in {"DATABASE_URL": url, "SLACK_BOT_TOKEN": "xoxb-test-token", "PATHFINDER_USE_GEONAMES": "false"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    assert main(["worker"]) == 2
    assert "needs PostgreSQL" in capsys.readouterr().err


def test_retention_runs_as_a_daily_periodic_job_on_the_workers(serve_only: Running, fake_slack: FakeSlack) -> None:
    queue = serve_only.app.services.answers
    assert isinstance(queue, Queued)
    [periodic] = [p for p in queue.app.periodic_registry.periodic_tasks.values() if p.task.name == "pathfinder.retention"]  # fmt: skip
    assert periodic.cron == "17 3 * * *"
    queue._open_for_defer()
    queue.app.tasks["pathfinder.retention"].defer(timestamp=0)
    second = worker(serve_only, fake_slack)
    try:
        def ran() -> bool:
            with serve_only.engine.connect() as conn:
                return bool(conn.execute(text("SELECT count(*) FROM auditentry WHERE actor = 'system:retention'")).scalar())  # fmt: skip

        assert until(ran, 20)
    finally:
        second.stop()


def test_a_rerun_that_cannot_ask_slack_posts_nothing_and_tries_again_later(
    serve_only: Running, fake_slack: FakeSlack
) -> None:
    serve_only_post(serve_only, event())
    until(lambda: jobs(serve_only.engine))
    request = AnswerRequest.model_validate(jobs(serve_only.engine)[0].args)
    second = worker(serve_only, fake_slack)
    try:
        assert len(answers(fake_slack)) == 1
        until(lambda: not jobs(serve_only.engine))
        with serve_only.engine.begin() as conn:
            conn.execute(delete(SlackClaim).where(SlackClaim.key == f"answered:{request.question_id}"))  # type: ignore[arg-type]
        fake_slack.fault("conversations.replies", "error:missing_scope")
        serve_only.app.services.answers.submit(request)
        assert fake_slack.wait_for("conversations.replies", 1)
        assert until(lambda: [j.status for j in jobs(serve_only.engine)] == ["todo"], 10)  # retried later
        assert len(fake_slack.wait_for("conversations.replies", 2, timeout=15)) == 2  # ... and then it can
        assert until(lambda: not jobs(serve_only.engine), 10)
        settle(0.5)
        assert len(replies(fake_slack)) == 1
    finally:
        second.stop()
