"""Benchmark the durable answer queue with a worker killed -9 part-way.

PostgreSQL (a database of its own, dropped afterwards), `pathfinder serve --http` and two
`pathfinder worker` processes, all real subprocesses; the fake Slack Web API and a fake LLM that
takes `--llm-seconds` per answer (0: the offline responder). 1,000 questions, each delivered 4
times (the original and Slack's 3 retries) in random order; when `--kill-at` of them have been
answered, one worker is killed with SIGKILL while it has answers in flight. Every question must
be answered exactly once: replies are counted at the fake Slack server, per question.

    PATHFINDER_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/queue_kill.py [--questions 1000] [--out bench/results/queue_kill.json]

Prints its figures; `--out FILE` writes them as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402

from bench.ask_latency import percentile  # noqa: E402
from bench.slack_load import event_body  # noqa: E402
from bot.db import make_engine, normalise_url  # noqa: E402
from bot.memory.queued import JOBS  # noqa: E402
from tests.fakes.openai_server import FakeOpenAI  # noqa: E402
from tests.fakes.slack_server import FakeSlack  # noqa: E402
from tests.slack_harness import SECRET, is_answer, post  # noqa: E402

DELIVERIES = (None, 1, 2, 3)  # the original and Slack's three retries (x-slack-retry-num)


@contextmanager
def own_database(admin_url: str) -> Iterator[str]:
    """A new PostgreSQL database for this run, dropped afterwards."""
    admin = create_engine(make_url(normalise_url(admin_url)), isolation_level="AUTOCOMMIT")
    name = f"pf_queue_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(normalise_url(admin_url)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def stopped_at_exit(procs: list[subprocess.Popen[bytes]]) -> Iterator[None]:
    """SIGTERM every process started inside the block (before its database goes)."""
    try:
        yield
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(40)
            except subprocess.TimeoutExpired:
                proc.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bot", *args], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=log.open("wb"))  # fmt: skip


def wait_until(probe: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise SystemExit(f"queue_kill: timed out waiting for {what}")
        time.sleep(0.1)


def workers_registered(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar_one())


def in_flight(engine: Engine) -> dict[int | None, int]:
    """Answer jobs being worked on, per worker id."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(text("worker_id"), func.count()).select_from(JOBS).where(JOBS.c.status == "doing").group_by(text("worker_id"))  # fmt: skip
        )
        return {r[0]: int(r[1]) for r in rows}


def answered_per_question(slack: FakeSlack) -> Counter[str]:
    return Counter(str(c.body.get("thread_ts")) for c in slack.replies() if is_answer(c))


def run(n: int, llm_seconds: float, kill_at: float, stalled: float, workers: int, admin_url: str, logs: Path) -> dict[str, Any]:  # fmt: skip
    slack = FakeSlack().start()
    llm = FakeOpenAI(default="hang", hang_seconds=llm_seconds).start() if llm_seconds else None
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with own_database(admin_url) as url, stopped_at_exit(procs):
            env = {**os.environ, "DATABASE_URL": url, "SLACK_BOT_TOKEN": "xoxb-bench-token",
                   "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_BASE_URL": slack.base_url,
                   "PATHFINDER_USE_GEONAMES": "false", "PATHFINDER_WORKERS": str(workers),
                   "PATHFINDER_WORKER_STALLED_SECONDS": str(stalled), "PATHFINDER_LOG_LEVEL": "WARNING"}  # fmt: skip
            env.pop("SLACK_APP_TOKEN", None)
            if llm is not None:
                env.update({"PATHFINDER_LLM": "openai", "OPENAI_BASE_URL": llm.url, "OPENAI_API_KEY": "bench"})  # fmt: skip
            subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)  # fmt: skip
            subprocess.run([sys.executable, "-m", "bot", "catalogue", "load"], env=env, cwd=ROOT, check=True, capture_output=True)  # fmt: skip
            engine = make_engine(url)
            port = free_port()
            serve = launch(["serve", "--http", "--host", "127.0.0.1", "--port", str(port)], env, logs / "serve.log")  # fmt: skip
            doomed = launch(["worker"], {**env, "PATHFINDER_HEALTH_PORT": str(free_port())}, logs / "worker-killed.log")  # fmt: skip
            survivor = launch(["worker"], {**env, "PATHFINDER_HEALTH_PORT": str(free_port())}, logs / "worker-survivor.log")  # fmt: skip
            procs += [serve, doomed, survivor]
            app_url = f"http://127.0.0.1:{port}"
            wait_until(lambda: _healthy(app_url), 60, "serve")
            wait_until(lambda: workers_registered(engine) >= 2, 60, "two workers")

            deliveries = [(i, retry) for i in range(n) for retry in DELIVERIES]
            random.Random(7).shuffle(deliveries)
            acks: list[float] = []
            finished: list[float] = []
            statuses: Counter[int] = Counter()

            def deliver(item: tuple[int, int | None]) -> None:
                start = time.perf_counter()
                status, _ = post(app_url, event_body(item[0]), retry=item[1])
                acks.append((time.perf_counter() - start) * 1000)
                finished.append(time.monotonic())
                statuses[status] += 1

            killed: dict[str, Any] = {}
            began = time.monotonic()  # the fake records calls on this clock too
            with ThreadPoolExecutor(max_workers=32) as pool:
                sent = pool.map(deliver, deliveries)
                while len(answered_per_question(slack)) < kill_at * n:
                    time.sleep(0.05)
                    if time.monotonic() - began > 600:
                        raise SystemExit("queue_kill: answers stopped before the kill point")
                killed = {"answered_before_kill": len(answered_per_question(slack)), "in_flight": in_flight(engine)}  # fmt: skip
                doomed.send_signal(signal.SIGKILL)
                doomed.wait(10)
                killed["at_s"] = round(time.monotonic() - began, 2)
                list(sent)
            delivered_s = max(finished) - began
            deadline = time.monotonic() + 300
            while len(answered_per_question(slack)) < n and time.monotonic() < deadline:
                time.sleep(0.1)
            done_s = time.monotonic() - began
            time.sleep(3)  # let a late duplicate show itself
            per_question = answered_per_question(slack)
            times = sorted(c.at for c in slack.replies() if is_answer(c))
            with engine.connect() as conn:
                left = int(conn.execute(select(func.count()).select_from(JOBS).where(JOBS.c.status.in_(["todo", "doing"]))).scalar_one())  # fmt: skip
            engine.dispose()
            rescued = (logs / "worker-survivor.log").read_text(errors="replace").count("of a stalled worker")
            asked = {f"{1700000000 + i}.000100" for i in range(n)}
            return {
                "questions": n,
                "deliveries": len(deliveries),
                "http_statuses": dict(statuses),
                "ack_p50_ms": round(percentile(acks, 0.5), 1),
                "ack_p99_ms": round(percentile(acks, 0.99), 1),
                "answered": sum(1 for q in asked if per_question[q] >= 1),
                "answered_exactly_once": sum(1 for q in asked if per_question[q] == 1),
                "duplicates": sum(c - 1 for q, c in per_question.items() if c > 1),
                "missing": sum(1 for q in asked if per_question[q] == 0),
                "other_replies": len([c for c in slack.replies() if not is_answer(c)]),
                "killed_worker": killed,
                "jobs_rescued_from_the_killed_worker": rescued,
                "reruns_that_asked_slack": len(slack.of("conversations.replies")),
                "jobs_left_in_queue": left,
                "llm_seconds": llm_seconds,
                "threads_per_worker": workers,
                "stalled_after_s": stalled,
                "all_delivered_s": round(delivered_s, 2),
                "first_answer_s": round(times[0] - began, 2) if times else None,
                "all_answered_s": round(done_s, 2),
                "answers_per_s": round(len(per_question) / done_s, 1),
            }
    finally:
        slack.stop()
        if llm is not None:
            llm.stop()


def _healthy(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/healthz", timeout=1).read()
        return True
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--llm-seconds", type=float, default=0.5, help="fake LLM latency (0: offline)")
    parser.add_argument("--kill-at", type=float, default=0.3, help="fraction answered when one worker is killed")  # fmt: skip
    parser.add_argument("--stalled", type=float, default=10, help="PATHFINDER_WORKER_STALLED_SECONDS")
    parser.add_argument("--workers", type=int, default=16, help="PATHFINDER_WORKERS (threads per worker)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    admin = os.environ.get("PATHFINDER_BENCH_DATABASE_URL") or os.environ.get("PATHFINDER_TEST_DATABASE_URL")
    if not admin:
        raise SystemExit("queue_kill: set PATHFINDER_TEST_DATABASE_URL (a PostgreSQL URL that may CREATE DATABASE)")  # fmt: skip
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"queue_kill_{uuid.uuid4().hex[:6]}"
    logs.mkdir(parents=True)
    result = run(args.questions, args.llm_seconds, args.kill_at, args.stalled, args.workers, admin, logs)
    print(
        f"queue + kill -9: {result['questions']} questions x {len(DELIVERIES)} deliveries, 2 workers x {result['threads_per_worker']} threads, "
        f"LLM {result['llm_seconds']} s; one worker killed at {result['killed_worker'].get('at_s')} s with "
        f"{sum(result['killed_worker'].get('in_flight', {}).values())} answers in flight (all workers)\n"
        f"answered {result['answered']} (exactly once {result['answered_exactly_once']}), duplicates {result['duplicates']}, "
        f"missing {result['missing']}, other replies {result['other_replies']}, left in queue {result['jobs_left_in_queue']}\n"
        f"rescued from the killed worker {result['jobs_rescued_from_the_killed_worker']}, reruns that asked Slack {result['reruns_that_asked_slack']}\n"
        f"ack p50 {result['ack_p50_ms']} ms, p99 {result['ack_p99_ms']} ms; all delivered in {result['all_delivered_s']} s, "
        f"all answered in {result['all_answered_s']} s ({result['answers_per_s']} answers/s); logs in {logs}"
    )
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    ok = result["answered_exactly_once"] == result["questions"] and result["duplicates"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
