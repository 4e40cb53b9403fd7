"""Benchmark the Slack edge over loopback HTTP, with real signing and the real slack_sdk client.

1. Burst: 50 concurrent signed events while the LLM (a fake OpenAI server) takes 2 s per answer:
   ack p50/p99/max, time to the "is thinking…" status, time to the answer.
2. Delivery storm: 1,000 questions, each delivered 4 times (original + 3 retries) in random
   interleaving, 20% also arriving as the message/app_mention twin and 5% with the original lost:
   duplicate and missing replies (both must be 0).

Prints its figures; `--out FILE` writes them as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import Session  # noqa: E402

from bench.ask_latency import percentile  # noqa: E402
from bot import app as composition  # noqa: E402
from bot.answering.phrasing import ModelResponder, OfflineResponder, Responder  # noqa: E402
from bot.catalogue.loader import load_catalogue, read_catalogue  # noqa: E402
from bot.db import make_engine, migrate  # noqa: E402
from bot.llm.openai_model import OpenAIChatModel  # noqa: E402
from bot.observability.health import serve_in_thread  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.app import web_client  # noqa: E402
from bot.slack.http import SlackWSGI  # noqa: E402
from tests.fakes.openai_server import FakeOpenAI  # noqa: E402
from tests.fakes.slack_server import BOT_USER, TEAM, FakeSlack  # noqa: E402
from tests.slack_harness import SECRET, is_answer, post  # noqa: E402

QUESTIONS = [
    "Band 6 nurse in Leeds, moving towards informatics. Where do I start?",
    "I'm an ST4 radiology registrar in London wanting hands-on AI deployment",
    "NHS data analyst, band 6, in Nottingham. How do I get accredited?",
    "Band 7 physiotherapist in Exeter wanting protected time for a digital project",
]


def event_body(
    n: int, *, kind: str = "app_mention", event_id: str | None = None, user: int | None = None
) -> str:
    ts = f"{1700000000 + n}.000100"
    text = f"<@{BOT_USER}> {QUESTIONS[n % len(QUESTIONS)]}"
    ev: dict[str, Any] = {
        "type": kind,
        "user": f"U{n if user is None else user:06d}",
        "text": text,
        "ts": ts,
        "channel": "C0BENCH",
        "event_ts": ts,
    }
    if kind == "message":
        ev["channel_type"] = "channel"
    return json.dumps({"team_id": TEAM, "api_app_id": "A0PATH", "event": ev, "type": "event_callback",
                       "event_id": event_id or f"Ev{n:06d}", "event_time": 1700000000})  # fmt: skip


def running_app(
    db_dir: Path, slack: FakeSlack, responder: Responder, workers: int
) -> tuple[Any, Any, str]:
    url = f"sqlite:///{db_dir / 'bench.db'}"
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:
        load_catalogue(read_catalogue(ROOT / "knowledge"), session=session, use_geonames=False)
    settings = Settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET,
                        SLACK_API_BASE_URL=slack.base_url, PATHFINDER_WORKERS=workers,
                        PATHFINDER_QUESTIONS_PER_MINUTE=1000, PATHFINDER_MAX_QUEUE=5000)  # fmt: skip
    services = composition.build(settings, engine=engine, responder=responder)
    app = composition.slack(services, slack_client=web_client(settings))
    server = serve_in_thread(SlackWSGI(app), host="127.0.0.1", port=0)
    return app, server, f"http://127.0.0.1:{server.port}"


def burst(n: int, llm_seconds: float, workers: int) -> dict[str, float]:
    llm = FakeOpenAI(default="hang", hang_seconds=llm_seconds).start()
    slack = FakeSlack().start()
    with tempfile.TemporaryDirectory() as tmp:
        model = OpenAIChatModel(
            model="fake", api_key="bench", base_url=llm.url, attempt_timeout=llm_seconds + 5
        )
        app, server, url = running_app(
            Path(tmp), slack, ModelResponder(model, deadline_s=30), workers
        )
        sent: dict[str, float] = {}
        acks: list[float] = []

        def send(i: int) -> None:
            body = event_body(i)
            sent[f"{1700000000 + i}.000100"] = time.monotonic()
            t = time.monotonic()
            status, _ = post(url, body)
            acks.append(time.monotonic() - t)
            assert status == 200

        with ThreadPoolExecutor(max_workers=n) as pool:
            list(pool.map(send, range(n)))
        deadline = time.monotonic() + 120
        while len([c for c in slack.replies() if is_answer(c)]) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        statuses = {c.body["thread_ts"]: c.at for c in slack.of("assistant.threads.setStatus")}
        updates = [c for c in slack.replies() if is_answer(c)]
        to_placeholder = [statuses[t] - sent[t] for t in sent if t in statuses]
        answer_times = sorted(u.at for u in updates)
        first_sent = min(sent.values())
        server.stop()
        app.close()
    llm.stop()
    slack.stop()
    result = {
        "events": n,
        "llm_seconds": llm_seconds,
        "workers": workers,
        "ack_p50_ms": round(statistics.median(acks) * 1000, 1),
        "ack_p99_ms": round(percentile(acks, 0.99) * 1000, 1),
        "ack_max_ms": round(max(acks) * 1000, 1),
        "status_p50_ms": round(statistics.median(to_placeholder) * 1000, 1),
        "status_p95_ms": round(percentile(to_placeholder, 0.95) * 1000, 1),
        "answers": len(updates),
        "answer_p50_s": round(statistics.median([t - first_sent for t in answer_times]), 2),
        "answer_max_s": round(max(t - first_sent for t in answer_times), 2),
    }
    print(
        f"burst: {n} events, LLM {llm_seconds:.0f} s, {workers} workers | ack p50 {result['ack_p50_ms']} ms, "
        f"p99 {result['ack_p99_ms']} ms, max {result['ack_max_ms']} ms | thinking status p50 "
        f"{result['status_p50_ms']} ms, p95 {result['status_p95_ms']} ms | answers {len(updates)}/{n}, "
        f"p50 {result['answer_p50_s']} s, last {result['answer_max_s']} s after the first send"
    )
    return result


def storm(m: int, seed: int = 11) -> dict[str, float]:
    rng = random.Random(seed)
    slack = FakeSlack().start()
    with tempfile.TemporaryDirectory() as tmp:
        app, server, url = running_app(Path(tmp), slack, OfflineResponder(), workers=16)
        deliveries: list[tuple[str, int | None]] = []
        lost = twins = 0
        for i in range(m):
            body = event_body(i)
            retries: list[int | None] = [1, 2, 3]
            if rng.random() < 0.05:
                lost += 1  # the original never arrives: only its retries do
            else:
                retries.insert(0, None)
            deliveries += [(body, r) for r in retries]
            if rng.random() < 0.20:
                twins += 1
                deliveries.append((event_body(i, kind="message", event_id=f"Tw{i:06d}"), None))
        rng.shuffle(deliveries)
        started = time.monotonic()
        statuses: Counter[int] = Counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            for status, _ in pool.map(lambda d: post(url, d[0], retry=d[1]), deliveries):
                statuses[status] += 1
        deadline = time.monotonic() + 300
        while len([c for c in slack.replies() if is_answer(c)]) < m and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)
        elapsed = time.monotonic() - started
        per_thread = Counter(c.body.get("thread_ts") for c in slack.replies() if is_answer(c))
        server.stop()
        app.close()
    slack.stop()
    duplicates = sum(count - 1 for count in per_thread.values() if count > 1)
    missing = m - len(per_thread)
    result = {"questions": m, "deliveries": len(deliveries), "twins": twins, "lost_originals": lost,
              "non_200": sum(v for k, v in statuses.items() if k != 200), "duplicate_replies": duplicates,
              "missing_replies": missing, "seconds": round(elapsed, 1)}  # fmt: skip
    print(
        f"storm: {m} questions, {len(deliveries)} deliveries ({twins} twins, {lost} lost originals) in "
        f"{result['seconds']} s | non-200 {result['non_200']} | duplicate replies {duplicates} | missing replies {missing}"
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--llm-seconds", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = {
        "burst": burst(args.burst, args.llm_seconds, args.workers),
        "storm": storm(args.questions),
    }
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
