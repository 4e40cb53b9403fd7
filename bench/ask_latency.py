"""Benchmark: `ask` latency in-process on the real catalogue and on a synthetic 10,000-entry one,
plus whole-process `pathfinder ask` time. Prints its figures (and writes them with --out).

Targets (issue #2): p50 under 25 ms on the real catalogue, under 150 ms at 10,000 entries.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answering.service import Pathfinder  # noqa: E402
from bot.catalogue.loader import CatalogueBundle, load_catalogue, read_catalogue  # noqa: E402
from bot.catalogue.schema import ProgrammeDoc  # noqa: E402
from bot.catalogue.snapshot import CatalogueCache  # noqa: E402
from bot.db import make_engine, migrate  # noqa: E402
from bot.evaluation import read_cases  # noqa: E402

CASES = ROOT.parent / "shared" / "eval" / "dev_cases.jsonl"
FALLBACK_QUESTIONS = [
    "I'm an ST4 radiology registrar in London and want hands-on AI experience",
    "Band 6 nurse in Leeds, moving towards informatics",
    "NHS data analyst, band 6, in Nottingham wanting accreditation",
    "I'm a nurse in Cardiff - which ISDN should I join?",
]


def questions() -> list[str]:
    if CASES.exists():
        return [c.question for c in read_cases(CASES)]
    return FALLBACK_QUESTIONS


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def synthetic(bundle: CatalogueBundle, size: int, seed: int = 7) -> CatalogueBundle:
    """The real entries plus clones with new ids, names and shuffled routing, up to `size`."""
    rng = random.Random(seed)
    programmes: list[ProgrammeDoc] = list(bundle.programmes)
    real = list(bundle.programmes)
    intents = sorted({i for p in real for i in p.routing.intents})
    n = 0
    while len(programmes) < size:
        base = real[n % len(real)]
        n += 1
        routing = {i: rng.randint(1, 5) for i in rng.sample(intents, k=rng.randint(1, 4))}
        data = base.model_dump(mode="json")
        data.update(
            id=f"synthetic_{n:05d}",
            name=f"Synthetic programme {n:05d}",
            aliases=[f"SYN{n:05d}"],
            routing={"intents": routing, "audiences": data["routing"]["audiences"]},
        )
        programmes.append(ProgrammeDoc.model_validate(data))
    return replace(bundle, programmes=tuple(programmes), version=f"{bundle.version}-syn{size}")


def measure_in_process(bundle: CatalogueBundle, label: str, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate(engine)
        started = time.perf_counter()
        with Session(engine) as session:
            load_catalogue(bundle, session=session, use_geonames=True)
        load_s = time.perf_counter() - started
        service = Pathfinder(engine, today=lambda: date(2026, 11, 26))
        started = time.perf_counter()
        CatalogueCache(engine).get()
        snapshot_ms = (time.perf_counter() - started) * 1000
        qs = questions()
        service.ask(qs[0])  # warm the snapshot cache
        times: list[float] = []
        for i in range(rounds):
            q = qs[i % len(qs)]
            t = time.perf_counter()
            service.ask(q)
            times.append((time.perf_counter() - t) * 1000)
        engine.dispose()
    result = {
        "entries": len(bundle.programmes),
        "asks": rounds,
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "max_ms": round(max(times), 2),
        "load_s": round(load_s, 2),
        "cold_snapshot_ms": round(snapshot_ms, 1),
    }
    print(
        f"{label:<28} entries={result['entries']:>6}  ask p50={result['p50_ms']:>7.2f} ms  "
        f"p95={result['p95_ms']:>7.2f} ms  max={result['max_ms']:>7.2f} ms  "
        f"(load {result['load_s']} s, cold snapshot {result['cold_snapshot_ms']} ms)"
    )
    return result


def measure_process(runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'cli.db'}"}
        cmd = [sys.executable, "-m", "bot"]
        subprocess.run(
            [*cmd, "catalogue", "load"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(
                [*cmd, "ask", "Band 6 nurse in Leeds, moving towards informatics"],
                cwd=ROOT, env=env, check=True, capture_output=True,
            )  # fmt: skip
            times.append(time.perf_counter() - t)
    result = {
        "runs": runs,
        "p50_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
    }
    print(
        f"{'whole process `pathfinder ask`':<28} runs={runs}  p50={result['p50_s']:.3f} s  max={result['max_s']:.3f} s"
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--synthetic", type=int, default=10_000)
    parser.add_argument("--process-runs", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    bundle = read_catalogue(ROOT / "knowledge")
    results = {
        "real": measure_in_process(bundle, "real catalogue", args.rounds),
        "synthetic": measure_in_process(
            synthetic(bundle, args.synthetic), "synthetic catalogue", max(50, args.rounds // 3)
        ),
        "process": measure_process(args.process_runs),
    }
    ok_real = results["real"]["p50_ms"] < 25
    ok_syn = results["synthetic"]["p50_ms"] < 150
    print(
        f"targets: real p50 < 25 ms: {'met' if ok_real else 'MISSED'}; 10k p50 < 150 ms: {'met' if ok_syn else 'MISSED'}"
    )
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
