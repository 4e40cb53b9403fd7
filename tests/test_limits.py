"""Limits that hold across replicas, and SQLite writes that are never dropped.

"Two replicas" are two Services built on two engines over one database, as two processes would
be: they share nothing but the database. The LLM is the fake OpenAI-compatible server; the locked
database is a real second connection holding SQLite's write lock.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from bot import app as composition
from bot.answering.service import Pathfinder
from bot.answering.text import BUDGET_NOTE
from bot.db import DatabaseBusy, make_engine, migrate
from bot.interests.rights import erase, retention_run, subject_data
from bot.interests.tables import Role
from bot.memory.limits import LLM_CALLS, LLM_TOKENS, MINUTE, Counters, RateLimiter, UsageCounter
from bot.memory.personal import Periods
from bot.memory.store import (
    Feedback,
    SavedProfile,
    SlackThread,
    claim,
    joined_thread,
    record_feedback,
    remember_answer,
    save_profile,
)
from bot.services import Services
from bot.settings import Settings
from bot.slack.blocks.answer import answer_message

from .conftest import ROOT, TODAY
from .fakes.openai_server import FakeOpenAI

NURSE = "Band 6 nurse in Leeds, really interested in moving towards informatics. Where do I start?"
TEAM = "T0LIMITS"


def settings(**extra: Any) -> Settings:
    return Settings(_env_file=None, **extra)  # type: ignore[call-arg]


@pytest.fixture()
def replicas(db_url: str) -> Iterator[Callable[..., Services]]:
    """Build a "replica": Services on an engine of its own over the shared test database."""
    built: list[Services] = []

    def replica(**extra: Any) -> Services:
        services = composition.build(
            settings(**extra), engine=make_engine(db_url), today=lambda: TODAY
        )
        built.append(services)
        return services

    yield replica
    for services in built:
        services.close()
        services.engine.dispose()


def test_two_replicas_share_one_persons_question_limit(replicas: Callable[..., Services]) -> None:
    a, b = replicas(PATHFINDER_QUESTIONS_PER_MINUTE=3), replicas(PATHFINDER_QUESTIONS_PER_MINUTE=3)
    taken = [s.limiter.allow(f"{TEAM}:U0ASKER") for s in (a, b, a, b, a)]
    assert taken == [True, True, True, False, False]
    assert a.limiter.allow(f"{TEAM}:U0OTHER") and b.limiter.allow(f"{TEAM}:U0OTHER")  # per person


def test_the_last_unit_goes_to_exactly_one_of_many_racing_takers(
    replicas: Callable[..., Services],
) -> None:
    limiters = [replicas(PATHFINDER_QUESTIONS_PER_MINUTE=5).limiter for _ in range(2)]
    start = threading.Barrier(16)

    def ask(n: int) -> bool:
        start.wait()
        return limiters[n % 2].allow(f"{TEAM}:U0RACER")

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(ask, range(16)))
    assert results.count(True) == 5


def test_a_new_minute_allows_again_and_expired_counters_are_pruned(db_url: str) -> None:
    engine = make_engine(db_url)
    now = [datetime(2026, 11, 28, 9, 0, 30, tzinfo=UTC).timestamp()]
    limiter = RateLimiter(engine, limit=1, clock=lambda: now[0])
    assert limiter.allow(f"{TEAM}:U0A") and not limiter.allow(f"{TEAM}:U0A")
    now[0] += MINUTE
    assert limiter.allow(f"{TEAM}:U0A")  # a new window, and the old one's row is gone
    with Session(engine) as session:
        windows = session.exec(select(UsageCounter.window_start)).all()
    assert windows == [int(now[0] // MINUTE * MINUTE)]
    engine.dispose()


def test_budget_spent_gives_the_offline_answer_labelled_on_every_replica(
    replicas: Callable[..., Services], fake: FakeOpenAI
) -> None:
    llm = {"PATHFINDER_LLM": "openai", "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake.url,
           "PATHFINDER_LLM_CALLS_PER_MINUTE": 2}  # fmt: skip
    a, b = replicas(**llm), replicas(**llm)
    fake.script(default="ok")
    first, second, third = a.pathfinder.ask(NURSE), b.pathfinder.ask(NURSE), a.pathfinder.ask(NURSE)
    assert [x.responder for x in (first, second)] == ["openai", "openai"]
    assert (third.responder, third.fallback_reason) == ("offline-fallback", "budget")
    assert fake.attempts == 2  # the third question never reached the model
    assert BUDGET_NOTE.strip() in third.answer
    assert BUDGET_NOTE.strip() not in first.answer
    assert [s.id for s in third.suggestions] == [s.id for s in first.suggestions]  # worded offline
    _, blocks = answer_message(third, answer_id="0123456789abcdef")  # Slack shows the same line
    assert BUDGET_NOTE.strip() in json.dumps(blocks, ensure_ascii=False)


def test_tokens_per_day_are_counted_from_the_servers_usage(
    replicas: Callable[..., Services], fake: FakeOpenAI
) -> None:
    # The fake reports 2 tokens a call: 3 a day allows two calls (0 and 2 spent before them).
    llm = {"PATHFINDER_LLM": "openai", "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake.url,
           "PATHFINDER_LLM_TOKENS_PER_DAY": 3, "PATHFINDER_LLM_CALLS_PER_MINUTE": 0}  # fmt: skip
    a, b = replicas(**llm), replicas(**llm)
    fake.script(default="ok")
    if time.time() % MINUTE > MINUTE - 15:  # the per-minute count is pruned as the minute turns
        time.sleep(MINUTE - time.time() % MINUTE + 0.1)
    answers = [a.pathfinder.ask(NURSE), b.pathfinder.ask(NURSE), b.pathfinder.ask(NURSE)]
    assert [x.fallback_reason for x in answers] == [None, None, "budget"]
    assert fake.attempts == 2
    counters = Counters(a.engine)
    assert counters.used(LLM_TOKENS, window=86_400) == 4
    assert counters.used(LLM_CALLS, window=MINUTE) == 2


def test_rate_counters_are_in_my_data_erased_by_forget_me_and_expire(db_url: str) -> None:
    engine = make_engine(db_url)
    an_hour_ago = datetime.now(UTC).timestamp() - 3600
    RateLimiter(engine, limit=5).allow(f"{TEAM}:U0ASKER")
    RateLimiter(engine, limit=5).allow(f"{TEAM}:U0KEEPS")
    RateLimiter(engine, limit=5, clock=lambda: an_hour_ago).allow(f"{TEAM}:U0EARLY")
    data = subject_data(engine, team_id=TEAM, user_id="U0ASKER")
    assert [r["key"] for r in data["usagecounter"]] == [f"person:{TEAM}:U0ASKER"]
    assert erase(engine, team_id=TEAM, user_id="U0ASKER").rows["usagecounter"] == 1
    periods = Periods(
        interests=timedelta(days=1), conversations=timedelta(days=1), audit=timedelta(days=365)
    )
    assert retention_run(engine, periods=periods)["usagecounter"] == 1  # U0EARLY's, long expired
    with Session(engine) as session:
        assert session.exec(select(col(UsageCounter.key))).all() == [f"person:{TEAM}:U0KEEPS"]
    engine.dispose()


def test_the_pool_is_sized_from_the_threads_unless_overridden(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pool.db'}"
    sized = composition.ready_engine(
        settings(DATABASE_URL=url, PATHFINDER_WORKERS=4, PATHFINDER_USE_GEONAMES=False)
    )
    chosen = composition.ready_engine(settings(DATABASE_URL=url, PATHFINDER_DB_POOL_SIZE=7))
    assert (sized.pool.size(), chosen.pool.size()) == (2 * 4 + 4, 7)  # type: ignore[attr-defined]
    assert sized.pool._max_overflow == 0  # type: ignore[attr-defined]  # the sum stays the sum
    sized.dispose()
    chosen.dispose()


# -- SQLite: one writer discipline, nothing dropped, nothing swallowed --------------------------


def test_a_burst_of_writes_from_two_processes_loses_nothing(
    tmp_path: Path, service: Pathfinder
) -> None:
    url = f"sqlite:///{tmp_path / 'burst.db'}"
    engines = [make_engine(url), make_engine(url)]  # two engines: two processes' worth of locks
    migrate(engines[0])
    answer = service.ask(NURSE)
    for n in range(20):
        remember_answer(engines[0], answer, answer_id=f"a{n}", team_id=TEAM,
                        user_id=f"U0P{n}", channel="C0BURST")  # fmt: skip
    start = threading.Barrier(60)

    def burst(n: int) -> bool:
        engine = engines[n % 2]
        start.wait()
        kind = n % 3
        if kind == 0:
            save_profile(
                engine, team_id=TEAM, user_id=f"U0P{n}", values={"profession": "nurse", "band": 6}
            )
            return True
        if kind == 1:
            return record_feedback(
                engine, answer_id=f"a{n % 20}", team_id=TEAM, user_id=f"U0P{n}", helpful=True
            )
        joined_thread(engine, "C0BURST", f"{n}.0001")
        return claim(engine, f"msg:C0BURST:{n}.0001")

    with ThreadPoolExecutor(60) as pool:
        assert all(pool.map(burst, range(60)))
    with Session(engines[0]) as session:
        counts = [
            session.exec(select(func.count()).select_from(t)).one()
            for t in (SavedProfile, Feedback, SlackThread)
        ]
    assert counts == [20, 20, 20]
    for engine in engines:
        engine.dispose()


def test_a_database_locked_past_the_retry_bound_raises_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "locked.db"
    engine = make_engine(f"sqlite:///{path}", busy_timeout=0.05, write_attempts=3)
    migrate(engine)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    try:
        with (
            caplog.at_level(logging.WARNING, logger="bot.db"),
            pytest.raises(DatabaseBusy, match="3 attempts"),
        ):
            save_profile(engine, team_id=TEAM, user_id="U0LOCKED", values={"profession": "nurse"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    tries = [r.getMessage() for r in caplog.records if r.name == "bot.db"]
    assert [m for m in tries if "attempt" in m and "trying again" in m] == [
        "database write lock busy: OperationalError on attempt 1; trying again",
        "database write lock busy: OperationalError on attempt 2; trying again",
    ]
    save_profile(
        engine, team_id=TEAM, user_id="U0LOCKED", values={"profession": "nurse"}
    )  # lock gone
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(SavedProfile)).one() == 1
    engine.dispose()


def test_six_role_changes_at_once_from_six_processes_on_a_fresh_file_all_succeed(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'roles.db'}",
           "PATHFINDER_LOG_LEVEL": "WARNING"}  # fmt: skip
    command = [sys.executable, "-m", "bot", "coordinators", "add", TEAM]
    processes = [
        subprocess.Popen([*command, f"U0ROLE{n}", "--region", "North West"], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        for n in range(6)
    ]
    results = [(p.wait(timeout=180), p.stderr.read() if p.stderr else "") for p in processes]
    assert [code for code, _ in results] == [0] * 6, [err[-300:] for _, err in results]
    engine = make_engine(env["DATABASE_URL"])
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Role)).one() == 6
    engine.dispose()


def test_metrics_still_answer_when_the_queue_depth_cannot_be_read() -> None:
    # A database that has gone away (or a test's dropped one) must not take /metrics down with it.
    from bot.observability import metrics

    def broken() -> float:
        raise ConnectionError("database unreachable")

    metrics.watch_queue(broken)
    try:
        text = metrics.exposition().decode()
        assert "pathfinder_queue_depth NaN" in text
    finally:
        metrics.watch_queue(lambda: 0.0)
