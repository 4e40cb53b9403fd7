"""Benchmark the embedded default under a burst: SQLite, the real app over signed loopback HTTP
(the offline responder), a fresh database file made ready as `pathfinder serve` makes it.

Burst 1, all at once: MENTIONS @mentions in channels (each must leave its thread record), 60
profile saves (App Home view submissions, which must be acked within Slack's 3 s) and 6
`pathfinder coordinators add` processes on the same file. Burst 2, all at once: 60 feedback
clicks on those answers, and a follow-up without a mention in MENTIONS // 2 of the threads
(answered only if the thread record was kept).

The requests come from another process, as Slack's do (a sender's threads in the app's process
would take its CPU). The CLI processes have imported everything before the burst starts (import
is seconds of CPU; `--cold-cli` starts them cold); `--nice-cli` runs them at nice 19, as an
operator's command beside a busy server should be on a small machine.

Prints errors (non-200 responses: for a view, a listener that did not ack in 3 s; failed CLI
runs; Pathfinder's own ERROR log records) and lost writes (profiles, feedback, thread records,
roles, unanswered follow-ups): both must be 0. Also claim and write latency p50/p95/max (the time
to claim a message; every write of bot/memory/store.py, queueing for the write lock included)
and the HTTP response times. `--out FILE` writes the figures as JSON.

    python bench/sqlite_burst.py [--mentions 20..60] [--cli 6] [--nice-cli] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, func, select  # noqa: E402

import bot.db  # noqa: E402
import bot.slack.dedup  # noqa: E402
from bench.ask_latency import percentile  # noqa: E402
from bot import app as composition  # noqa: E402
from bot.answering.phrasing import OfflineResponder  # noqa: E402
from bot.interests.tables import Role  # noqa: E402
from bot.memory.store import Feedback, SavedProfile, SlackThread  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.app import web_client  # noqa: E402
from bot.slack.http import http_server, serve_in_thread  # noqa: E402
from tests.fakes.slack_server import BOT_USER, TEAM, FakeSlack  # noqa: E402
from tests.slack_harness import FORM, SECRET, is_answer, post  # noqa: E402

PROFILES = 60
CLICKS = 60
CLI = 6
QUESTION = "Band 6 nurse in Leeds, moving towards informatics. Where do I start?"


class Timings:
    """Wall time of every call to a function, from any thread."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self._lock = threading.Lock()

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds.append(time.perf_counter() - began)

        return timed

    def wrap_context(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @contextmanager
        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            began = time.perf_counter()
            try:
                with fn(*args, **kwargs) as value:
                    yield value
            finally:
                with self._lock:
                    self.seconds.append(time.perf_counter() - began)

        return timed

    def figures(self, name: str) -> dict[str, float]:
        s = self.seconds or [0.0]
        return {f"{name}_n": len(self.seconds), f"{name}_ms_p50": round(percentile(s, 0.50) * 1000, 1),
                f"{name}_ms_p95": round(percentile(s, 0.95) * 1000, 1),
                f"{name}_ms_max": round(max(s) * 1000, 1)}  # fmt: skip


class Errors(logging.Handler):
    """Counts Pathfinder's ERROR records (a write that failed and was logged is an error, not a
    silence). slack_sdk's own, for a connection the fake Slack server reset under the burst
    (slack_sdk then retries), are counted apart: they are the fake's backlog, not the app's."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []
        self.slack_transport = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("slack_sdk"):
            self.slack_transport += 1
            return
        self.records.append(f"{record.name}: {record.getMessage()[:120]}")


def mention(n: int) -> str:
    ts = f"{1700000000 + n}.000100"
    ev = {"type": "app_mention", "user": f"U0M{n:05d}", "text": f"<@{BOT_USER}> {QUESTION}",
          "ts": ts, "channel": "C0BURST", "event_ts": ts}  # fmt: skip
    return json.dumps({"team_id": TEAM, "api_app_id": "A0PATH", "event": ev, "type": "event_callback",
                       "event_id": f"EvM{n:05d}", "event_time": 1700000000})  # fmt: skip


def follow_up(n: int) -> str:
    thread = f"{1700000000 + n}.000100"
    ts = f"{1700000000 + n}.000200"
    ev = {"type": "message", "channel_type": "channel", "user": f"U0M{n:05d}", "ts": ts,
          "thread_ts": thread, "text": "And what about funding for it?", "channel": "C0BURST",
          "event_ts": ts}  # fmt: skip
    return json.dumps({"team_id": TEAM, "api_app_id": "A0PATH", "event": ev, "type": "event_callback",
                       "event_id": f"EvF{n:05d}", "event_time": 1700000000})  # fmt: skip


def profile_save(n: int) -> str:
    values = {"profession": "nurse", "band": "6", "where": "North West"}
    state = {k: {"value": {"type": "static_select", "selected_option": {"value": v}}} for k, v in values.items()}
    payload = {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": f"U0S{n:05d}", "team_id": TEAM},
               "view": {"callback_id": "profile_modal", "state": {"values": state}, "id": f"V{n}", "type": "modal"}}  # fmt: skip
    return urlencode({"payload": json.dumps(payload)})


def feedback_click(n: int, answer_id: str) -> str:
    payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": f"U0C{n:05d}", "team_id": TEAM},
               "channel": {"id": "C0BURST"}, "trigger_id": "1.2.3",
               "actions": [{"action_id": "answer_feedback", "value": f"up:{answer_id}",
                            "type": "feedback_buttons", "block_id": "b"}]}  # fmt: skip
    return urlencode({"payload": json.dumps(payload)})


def answer_ids(slack: FakeSlack) -> list[str]:
    found = []
    for call in slack.replies():
        for block in call.body.get("blocks") or []:
            for element in block.get("elements") or []:
                if isinstance(element, dict) and element.get("action_id") == "answer_feedback":
                    found.append(str(element["positive_button"]["value"]).split(":", 1)[1])
    return found


# A `pathfinder` process that has imported everything and waits for the word to go: importing
# takes seconds of CPU, which on a small machine starves the server of the CPU it needs to ack
# within Slack's 3 s (`--cold-cli` starts them cold, in the burst, to show that).
READY_THEN_RUN = (
    "import sys, bot.cli; print('ready', flush=True); sys.stdin.readline(); "
    "sys.exit(bot.cli.main(sys.argv[1:]))"
)


def cli(db_url: str, n: int, *, warm: bool, nice: bool) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": db_url, "PATHFINDER_LOG_LEVEL": "ERROR"}
    args = ["coordinators", "add", TEAM, f"U0K{n:05d}", "--region", "North West"]
    command = [sys.executable, "-c", READY_THEN_RUN, *args] if warm else [sys.executable, "-m", "bot", *args]
    if nice:
        command = ["nice", "-n", "19", *command]
    process = subprocess.Popen(command, env=env, cwd=ROOT, text=True, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    if warm:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def go(process: subprocess.Popen[str]) -> None:
    if process.stdin is not None:
        process.stdin.write("\n")
        process.stdin.close()


class Sender:
    """A process that sends every (body, content type) at once when told to, as Slack would: the
    senders' threads must not share the app's CPU (Slack's don't). Started ahead, so that its
    import time does not separate the burst from the CLI processes it must coincide with."""

    def __init__(self, url: str, jobs: list[tuple[str, str]], folder: Path) -> None:
        path = folder / f"jobs-{id(self)}.json"
        path.write_text(json.dumps(jobs))
        self._process = subprocess.Popen([sys.executable, __file__, "--fire", url, str(path)],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                         cwd=ROOT)  # fmt: skip
        assert self._process.stdout is not None
        assert self._process.stdout.readline().strip() == "ready"

    def go(self) -> None:
        go(self._process)  # type: ignore[arg-type]

    def results(self) -> list[tuple[int, float, str]]:
        assert self._process.stdout is not None
        out = self._process.stdout.read()
        self._process.wait(timeout=60)
        return [tuple(r) for r in json.loads(out)]  # type: ignore[misc]


def _fire_here(url: str, path: str) -> None:
    jobs = json.loads(Path(path).read_text())
    start = threading.Barrier(len(jobs) + 1)

    def one(job: list[str]) -> tuple[int, float, str]:
        body, content_type = job
        what = (json.loads(parse_qs(body)["payload"][0])["type"] if content_type == FORM
                else json.loads(body)["event"]["type"])  # fmt: skip
        start.wait()
        began = time.perf_counter()
        try:
            status, text = post(url, body, content_type=content_type)
        except OSError as exc:  # refused or reset: an error the sender saw
            status, text = 0, exc.__class__.__name__
        return status, time.perf_counter() - began, f"{what}: {text[:60]}" if status != 200 else what

    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(one, job) for job in jobs]
        print("ready", flush=True)
        sys.stdin.readline()
        start.wait()
        print(json.dumps([f.result() for f in futures]))


def until(probe: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe() and time.monotonic() < deadline:
        time.sleep(0.05)


def count(engine: Engine, table: Any, *where: Any) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(table).where(*where)).one())


@contextmanager
def running(db_url: str, slack: FakeSlack, workers: int = 16) -> Iterator[tuple[Any, str]]:
    settings = Settings(_env_file=None, DATABASE_URL=db_url, SLACK_BOT_TOKEN="xoxb-bench",  # type: ignore[call-arg]
                        SLACK_SIGNING_SECRET=SECRET, SLACK_API_BASE_URL=slack.base_url,
                        PATHFINDER_USE_GEONAMES=False, PATHFINDER_QUESTIONS_PER_MINUTE=1000,
                        PATHFINDER_WORKERS=workers)  # fmt: skip
    services = composition.build(settings, responder=OfflineResponder())  # as `serve` does: a fresh file
    app = composition.slack(services, slack_client=web_client(settings))
    server = http_server(app, services.engine, host="127.0.0.1", port=0)
    serve_in_thread(server)
    try:
        yield services, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        app.close()
        services.engine.dispose()


def run(mentions: int, cli_processes: int = CLI, *, warm_cli: bool = True, nice_cli: bool = False,
        workers: int = 16) -> dict[str, Any]:  # fmt: skip
    claims, writes, errors = Timings(), Timings(), Errors()
    bot.slack.dedup.claim = claims.wrap(bot.slack.dedup.claim)  # type: ignore[assignment]
    # bot/memory/store.py's writes (profiles, feedback, claims, threads, answers, turns), queueing included
    bot.db.write_session = writes.wrap_context(bot.db.write_session)  # type: ignore[assignment]
    logging.getLogger().addHandler(errors)
    slack = FakeSlack().start()
    statuses: list[int] = []
    refused: list[str] = []
    acks: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, running(f"sqlite:///{Path(tmp) / 'burst.db'}", slack, workers) as (services, url):
        db_url = f"sqlite:///{Path(tmp) / 'burst.db'}"

        def send(jobs: list[tuple[str, str]], *, with_: list[subprocess.Popen[str]] = ()) -> None:  # type: ignore[assignment]
            sender = Sender(url, jobs, Path(tmp))
            for process in with_:
                go(process)
            sender.go()
            for status, seconds, what in sender.results():
                statuses.append(status)
                acks.append(seconds)
                if status != 200:
                    refused.append(f"HTTP {status} for {what}")

        services.pathfinder.ask(QUESTION)  # warm: the catalogue snapshot is built once per process
        processes = [cli(db_url, n, warm=warm_cli, nice=nice_cli) for n in range(cli_processes)]
        began = time.perf_counter()
        burst = [(mention(n), "application/json") for n in range(mentions)]
        burst += [(profile_save(n), FORM) for n in range(PROFILES)]
        send(burst, with_=processes)
        cli_failed = sum(p.wait(timeout=120) != 0 for p in processes)
        until(lambda: sum(map(is_answer, slack.replies())) >= mentions)
        until(lambda: count(services.engine, SlackThread) >= mentions, timeout=10)
        ids = answer_ids(slack)
        send([(feedback_click(n, ids[n % len(ids)]), FORM) for n in range(CLICKS)]
             + [(follow_up(n), "application/json") for n in range(mentions // 2)])
        until(lambda: sum(map(is_answer, slack.replies())) >= mentions + mentions // 2, timeout=60)
        until(lambda: count(services.engine, Feedback) >= CLICKS, timeout=10)
        wall = time.perf_counter() - began
        engine = services.engine
        lost = {
            "profiles": PROFILES - count(engine, SavedProfile),
            "feedback": CLICKS - count(engine, Feedback),
            "thread_records": mentions - count(engine, SlackThread),
            "roles": cli_processes - count(engine, Role),
            "follow_ups_unanswered": mentions + mentions // 2 - sum(map(is_answer, slack.replies())),
        }
    slack.stop()
    logging.getLogger().removeHandler(errors)
    return {
        "mentions": mentions, "profile_saves": PROFILES, "feedback_clicks": CLICKS, "cli_processes": cli_processes,
        "follow_ups": mentions // 2, "workers": workers, "cli_started": ("warm" if warm_cli else "cold") + (", nice 19" if nice_cli else ""),
        "errors": len(refused) + cli_failed + len(errors.records),
        "http_not_200": sum(s != 200 for s in statuses), "cli_failed": cli_failed,
        "errors_logged": len(errors.records), "slack_transport_retried": errors.slack_transport, "lost_writes": sum(max(0, v) for v in lost.values()),
        "lost": lost, **claims.figures("claim"), **writes.figures("write"),
        "ack_ms_p50": round(percentile(acks, 0.5) * 1000, 1),
        "ack_ms_p95": round(percentile(acks, 0.95) * 1000, 1), "ack_ms_max": round(max(acks) * 1000, 1),
        "wall_s": round(wall, 2), "first_errors": (refused + errors.records)[:3],
    }  # fmt: skip


def main() -> int:
    if sys.argv[1:2] == ["--fire"]:
        _fire_here(sys.argv[2], sys.argv[3])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentions", type=int, default=60, choices=range(20, 61), metavar="20..60")
    parser.add_argument("--cli", type=int, default=CLI, help="parallel `coordinators add` processes")
    parser.add_argument("--workers", type=int, default=16, help="PATHFINDER_WORKERS (answer and listener threads)")
    parser.add_argument("--nice-cli", action="store_true", help="run the CLI processes at nice 19")
    parser.add_argument("--cold-cli", action="store_true", help="start the CLI processes in the burst")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    r = run(args.mentions, args.cli, warm_cli=not args.cold_cli, nice_cli=args.nice_cli, workers=args.workers)
    print(
        f"sqlite burst: {r['mentions']} mentions + {r['profile_saves']} profile saves + {r['cli_processes']} "
        f"CLI `coordinators add` ({r['cli_started']}), then {r['feedback_clicks']} feedback clicks + {r['follow_ups']} follow-ups | "
        f"errors {r['errors']} (HTTP not 200 {r['http_not_200']}, CLI failed {r['cli_failed']}, logged "
        f"{r['errors_logged']}; fake Slack resets retried {r['slack_transport_retried']}) | lost writes {r['lost_writes']} {r['lost']} | claim p50 {r['claim_ms_p50']} ms, "
        f"p95 {r['claim_ms_p95']} ms, max {r['claim_ms_max']} ms ({r['claim_n']}) | write p50 "
        f"{r['write_ms_p50']} ms, p95 {r['write_ms_p95']} ms, max {r['write_ms_max']} ms "
        f"({r['write_n']}) | HTTP response p50 {r['ack_ms_p50']} ms, p95 {r['ack_ms_p95']} ms, max "
        f"{r['ack_ms_max']} ms | {r['wall_s']} s"
    )
    for e in r["first_errors"]:
        print(f"  e.g. {e}")
    if args.out:
        args.out.write_text(json.dumps(r, indent=2) + "\n")
    return 1 if r["errors"] or r["lost_writes"] else 0


if __name__ == "__main__":
    sys.exit(main())
