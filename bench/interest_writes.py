"""Benchmark interest registration under contention, on SQLite (WAL, busy timeout, BEGIN
IMMEDIATE) and on PostgreSQL: 1,000 distinct registrations from 32 threads at once, with 100
replays of already-sent registrations mixed in (double clicks, replayed submissions).

Reports rows lost, duplicate rows, errors a user would have seen (lock errors included), how many
replays were recognised as repeats, write p50/p99/max and the wall time. All but the latencies
must be 0 (replays: 100 recognised).

Then a flood: 10,000 refused exports by one person without a role, from 8 threads. Every one
must be counted in the audit log, which keeps 20 in full per person, action and hour and counts
the rest in one entry (the unit test floods 2,000; the volume and its timing are measured here).

    python bench/interest_writes.py [--pg URL] [--pool N] [--out FILE]

PostgreSQL is used when --pg or PATHFINDER_TEST_DATABASE_URL is set (a scratch database is made
and dropped); otherwise only SQLite runs. Its pool is the production one (`pool_size_for` the
default settings: 36 connections) unless --pool says otherwise (0: SQLAlchemy's own default,
5 + 10 overflow, what production used before the pool was sized).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlmodel import Session, func, select  # noqa: E402

from bench.ask_latency import percentile  # noqa: E402
from bot.catalogue.loader import load_catalogue, read_catalogue  # noqa: E402
from bot.db import make_engine, migrate, normalise_url, pool_size_for, write_session  # noqa: E402
from bot.interests import audit, registry  # noqa: E402
from bot.interests import log as interest_log  # noqa: E402
from bot.interests.access import Actor, Denied  # noqa: E402
from bot.interests.tables import AuditEntry, Interest  # noqa: E402
from bot.settings import Settings  # noqa: E402

WRITES = 1000
FLOOD, FLOOD_THREADS = 10_000, 8
REPLAYS = 100
THREADS = 32
PROGRAMMES = ["topol", "fpt", "clinical_ai_fellowship", "dhlp", "stp"]
REGIONS = {"North West": "isdn-north-west", "London": "isdn-london", "Midlands": "isdn-midlands"}


def draft(n: int) -> interest_log.InterestCreate:
    region = list(REGIONS)[n % len(REGIONS)]
    return interest_log.InterestCreate(
        team_id="T0BENCH",
        user_id=f"U{n // len(PROGRAMMES):06d}",
        display_name=f"Person {n}",
        profession="nurse",
        grade="Band 6",
        region=region,
        programme_id=PROGRAMMES[n % len(PROGRAMMES)],
        network_id=REGIONS[region],
        consent_version=interest_log.CONSENT_VERSION,
    )


def all_at_once(threads: int, worker: Callable[[], None]) -> float:
    """Run `worker` on `threads` threads that all start at the same moment; the wall time, s."""
    start_line = threading.Barrier(threads)

    def released() -> None:
        start_line.wait()
        worker()

    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(threads):
            pool.submit(released)
    return time.perf_counter() - began


def run(engine: Engine, seed: int = 11) -> dict[str, Any]:
    rng = random.Random(seed)
    jobs = list(range(WRITES)) + [rng.randrange(WRITES) for _ in range(REPLAYS)]
    rng.shuffle(jobs)
    latencies: list[float] = []
    outcomes: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()
    queue = iter(jobs)

    def worker() -> None:
        while True:
            with lock:
                n = next(queue, None)
            if n is None:
                return
            began = time.perf_counter()
            try:
                outcome = interest_log.record_interest(engine, draft=draft(n)).outcome
            except Exception as exc:  # noqa: BLE001 - what a user would have seen
                with lock:
                    errors.append(exc.__class__.__name__ + ": " + str(exc).splitlines()[0][:80])
                continue
            with lock:
                latencies.append((time.perf_counter() - began) * 1000)
                outcomes.append(outcome)

    wall = all_at_once(THREADS, worker)
    with Session(engine) as session:
        rows = session.exec(select(func.count()).select_from(Interest)).one()
        keys = session.exec(
            select(func.count()).select_from(
                select(Interest.team_id, Interest.user_id, Interest.programme_id)
                .distinct()
                .subquery()
            )
        ).one()
    return {
        "writes": WRITES,
        "replays": REPLAYS,
        "threads": THREADS,
        "rows": int(rows),
        "rows_lost": WRITES - int(keys),
        "duplicate_rows": int(rows) - int(keys),
        "user_visible_errors": len(errors),
        "lock_errors": sum("locked" in e or "deadlock" in e.lower() for e in errors),
        "replays_recognised": outcomes.count("unchanged"),
        "write_ms_p50": round(percentile(latencies, 0.50), 1),
        "write_ms_p99": round(percentile(latencies, 0.99), 1),
        "write_ms_max": round(max(latencies), 1),
        "wall_s": round(wall, 2),
        "first_errors": errors[:3],
    }


def flood(engine: Engine) -> dict[str, Any]:
    """10,000 refused exports from 8 threads: each counted, few entries kept."""
    flooder = Actor.slack("T0BENCH", "UFLOOD")
    latencies: list[float] = []
    unexpected: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(FLOOD // FLOOD_THREADS):
            began = time.perf_counter()
            try:
                with write_session(engine) as session:
                    registry.export(session=session, actor=flooder)
                with lock:
                    unexpected.append("an export was allowed")
            except Denied:
                pass
            except Exception as exc:  # noqa: BLE001 - what an operator would see
                with lock:
                    unexpected.append(exc.__class__.__name__)
            with lock:
                latencies.append((time.perf_counter() - began) * 1000)

    wall = all_at_once(FLOOD_THREADS, worker)
    with Session(engine) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.actor == flooder.ref)).all()
    return {
        "refused": FLOOD,
        "threads": FLOOD_THREADS,
        "counted": sum(e.occurrences for e in entries),
        "entries_kept": len(entries),
        "kept_in_full_per_hour": audit.REFUSALS_IN_FULL,
        "errors": len(unexpected),
        "refusal_ms_p50": round(percentile(latencies, 0.50), 2),
        "refusal_ms_p99": round(percentile(latencies, 0.99), 2),
        "wall_s": round(wall, 2),
    }


def _prepared(engine: Engine) -> Engine:
    migrate(engine)
    with Session(engine) as session:
        load_catalogue(read_catalogue(ROOT / "knowledge"), session=session, use_geonames=False)
    return engine


@contextmanager
def sqlite() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = _prepared(make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}"))
        yield engine
        engine.dispose()


def production_pool() -> int:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    return pool_size_for(workers=settings.workers, override=settings.db_pool_size)


@contextmanager
def postgres(url: str, pool: int) -> Iterator[Engine]:
    admin_url = make_url(normalise_url(url))
    name = f"pathfinder_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(
        admin_url.set(database=name).render_as_string(hide_password=False),
        pool_size=pool or None,
    )
    try:
        yield _prepared(engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", default=os.environ.get("PATHFINDER_TEST_DATABASE_URL"))
    parser.add_argument("--pool", type=int, default=production_pool())
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    floods: dict[str, Any] = {}
    with sqlite() as engine:
        results["sqlite"] = run(engine)
        floods["sqlite"] = flood(engine)
    if args.pg:
        with postgres(args.pg, args.pool) as engine:
            results["postgresql"] = run(engine) | {"pool": args.pool or "5 + 10 overflow"}
            floods["postgresql"] = flood(engine)
    else:
        print("PostgreSQL skipped: pass --pg URL or set PATHFINDER_TEST_DATABASE_URL")
    for backend, r in results.items():
        print(
            f"{backend:10s} {r['writes']} writes + {r['replays']} replays from {r['threads']} threads: "
            f"rows {r['rows']}, lost {r['rows_lost']}, duplicates {r['duplicate_rows']}, "
            f"errors seen by users {r['user_visible_errors']} (lock {r['lock_errors']}), "
            f"replays recognised {r['replays_recognised']}/{r['replays']}; write p50 "
            f"{r['write_ms_p50']} ms, p99 {r['write_ms_p99']} ms, max {r['write_ms_max']} ms; "
            f"{r['wall_s']} s in all"
        )
        for e in r["first_errors"]:
            print(f"  e.g. {e}")
    for backend, f in floods.items():
        print(
            f"{backend:10s} flood of {f['refused']} refused exports from {f['threads']} threads: counted "
            f"{f['counted']}, audit entries kept {f['entries_kept']}, errors {f['errors']}; refusal p50 "
            f"{f['refusal_ms_p50']} ms, p99 {f['refusal_ms_p99']} ms; {f['wall_s']} s in all"
        )
    if args.out:
        args.out.write_text(json.dumps({**results, "flood": floods}, indent=2) + "\n")
    failed = any(
        r["rows_lost"] or r["duplicate_rows"] or r["user_visible_errors"] for r in results.values()
    ) or any(f["counted"] != f["refused"] or f["errors"] for f in floods.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
