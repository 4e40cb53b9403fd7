"""Benchmark `pathfinder serve --http` as deployed: gunicorn in a subprocess, signed requests over
loopback, the real slack_sdk client to the fake Slack, an OpenAI-compatible fake for the LLM.

1. Burst: N concurrent signed events (default 50) while the LLM takes 2 s per answer, R times
   (default 3; the machine is shared): ack p50, p99 and max as the sender saw them (target p99
   < 300 ms), p99 per round, the server's own ack histogram, and every answer delivered.
2. Memory: resident memory of the worker process idle (after start-up), after the burst (warm),
   and after every quarter of M further questions (default 1,000, the LLM answering at once;
   `--users K` has K people ask them, separating per-question growth from per-person state):
   it should stop growing once warm.

Prints its figures; `--out FILE` writes them as JSON.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ask_latency import percentile  # noqa: E402
from bench.slack_load import event_body  # noqa: E402
from tests.fakes.openai_server import FakeOpenAI  # noqa: E402
from tests.fakes.slack_server import FakeSlack  # noqa: E402
from tests.served import Served, children, rss_mb, scrape, serving  # noqa: E402
from tests.slack_harness import is_answer, post  # noqa: E402


def answered(slack: FakeSlack) -> int:
    return len([c for c in slack.replies() if is_answer(c)])


def wait_answers(slack: FakeSlack, count: int, timeout: float = 300) -> int:
    deadline = time.monotonic() + timeout
    while answered(slack) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return answered(slack)


def send(url: str, numbers: range, concurrency: int, users: int | None = None) -> list[float]:
    """Post one signed event per number (from `users` people, or each from someone new),
    `concurrency` at a time; each ack's seconds."""

    def one(n: int) -> float:
        started = time.monotonic()
        status, _ = post(url, event_body(n, user=n % users if users else None))
        assert status == 200, status
        return time.monotonic() - started

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(one, numbers))


def apart(fn: Callable[..., list[float]], *args: Any) -> list[float]:
    """Run `fn` in a forked process: the senders then don't share a GIL with the fake Slack and
    LLM servers in this one, which would add their work to every ack the senders time."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        return pool.apply(fn, args)


def worker_rss(server: Served) -> float:
    [worker] = children(server.proc.pid)
    return rss_mb(worker)


def run(
    burst: int, questions: int, llm_seconds: float, workers: int, users: int | None, rounds: int
) -> dict[str, Any]:
    llm = FakeOpenAI(default="hang", hang_seconds=llm_seconds).start()
    slack = FakeSlack().start()
    env = {
        "PATHFINDER_LLM": "openai",
        "OPENAI_BASE_URL": llm.url,
        "OPENAI_API_KEY": "bench",
        "PATHFINDER_WORKERS": str(workers),
        "PATHFINDER_QUESTIONS_PER_MINUTE": "1000",
        "PATHFINDER_MAX_QUEUE": "5000",
        "PATHFINDER_LOG_LEVEL": "WARNING",
    }
    try:
        with tempfile.TemporaryDirectory() as tmp, serving(slack, Path(tmp), **env) as server:
            time.sleep(1.0)
            idle, master = worker_rss(server), rss_mb(server.proc.pid)
            rounds_p99, acks = [], []
            for r in range(rounds):  # the machine is shared: one burst can land on a busy moment
                these = apart(send, server.url, range(r * burst, (r + 1) * burst), burst)
                rounds_p99.append(round(percentile(these, 0.99) * 1000, 1))
                acks += these
                burst_answers = wait_answers(slack, (r + 1) * burst) - r * burst
            warm = worker_rss(server)
            llm.script(default="ok")
            steps, done = [], rounds * burst
            for _ in range(4):
                numbers = range(done, done + questions // 4)
                send(server.url, numbers, 16, users)
                done += len(numbers)
                wait_answers(slack, done)
                steps.append({"questions": done - rounds * burst, "rss_mb": worker_rss(server)})
            total = answered(slack)
            metrics = scrape(server.url)
    finally:
        llm.stop()
        slack.stop()
    result = {
        "events": burst,
        "llm_seconds": llm_seconds,
        "workers": workers,
        "ack_p50_ms": round(statistics.median(acks) * 1000, 1),
        "ack_p99_ms": round(percentile(acks, 0.99) * 1000, 1),
        "ack_max_ms": round(max(acks) * 1000, 1),
        "ack_p99_ms_by_round": rounds_p99,
        "burst_answers": burst_answers,
        "server_ack_p99_bucket_s": _bucket(metrics, 0.99),
        "rss_master_mb": master,
        "rss_idle_mb": idle,
        "rss_warm_mb": warm,
        "rss_steps": steps,
        "questions_answered": total - rounds * burst,
        "askers": users or questions,
    }
    print(
        f"burst: {rounds} x {burst} concurrent events under gunicorn, LLM {llm_seconds:.0f} s, {workers} "
        f"threads | ack p50 {result['ack_p50_ms']} ms, p99 {result['ack_p99_ms']} ms (by round "
        f"{rounds_p99}), max {result['ack_max_ms']} ms; server-side p99 within "
        f"{result['server_ack_p99_bucket_s']} s | answers {burst_answers}/{burst} in the last round"
    )
    trail = ", ".join(f"{s['questions']}: {s['rss_mb']} MB" for s in steps)
    print(
        f"memory: gunicorn master {master} MB; worker idle {idle} MB, after the burst {warm} MB, then after "
        f"{questions} questions from {users or questions} people ({total - rounds * burst} answered) {trail}"
    )
    return result


def _bucket(metrics: dict[Any, float], q: float) -> float | None:
    """The smallest ack histogram bucket holding `q` of the server-side acks."""
    count = metrics.get(("pathfinder_ack_seconds_count", (("mode", "http"),)), 0)
    buckets = sorted(
        (float(labels[0][1]), value)
        for (name, labels), value in metrics.items()
        if name == "pathfinder_ack_seconds_bucket" and labels[0][0] == "le" and labels[0][1] != "+Inf"
    )
    return next((le for le, value in buckets if count and value >= q * count), None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="bursts, one after another")
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--llm-seconds", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument(
        "--users", type=int, help="people asking the M questions (default: each a new person)"
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = run(args.burst, args.questions, args.llm_seconds, args.workers, args.users, args.rounds)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
