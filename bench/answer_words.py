"""How long answers are in Slack: visible words per message (Details modals not counted) for every
question in the eval sets, typical three-programme answers separately. The target is at most 350
words for a typical answer (issue 11).

    .venv/bin/python bench/answer_words.py [FILES...]   (default: the dev and held-out sets)
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ask_latency import percentile  # noqa: E402
from bot import app as composition  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.blocks.answer import answer_message  # noqa: E402
from bot.slack.blocks.measure import WORD_LIMIT, typical, visible_words  # noqa: E402

DEFAULT = [ROOT.parent / "shared" / "eval" / "dev_cases.jsonl", ROOT / "evals" / "cases" / "heldout.jsonl"]


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or [f for f in DEFAULT if f.exists()]
    questions = [json.loads(line)["question"] for f in files for line in f.read_text().splitlines() if line.strip()]
    services = composition.build(Settings(_env_file=None))  # type: ignore[call-arg]
    every, usual = [], []
    for question in questions:
        answer = services.pathfinder.ask(question)
        words = visible_words(answer_message(answer, answer_id="bench")[1])
        every.append(words)
        if typical(answer):
            usual.append(words)
    for label, counts in (("all answers", every), ("typical answers", usual)):
        within = sum(c <= WORD_LIMIT for c in counts)
        print(f"{label}: {len(counts)} | words p50 {statistics.median(counts):.0f}, p95 "
              f"{percentile(counts, 0.95):.0f}, max {max(counts)} | <= {WORD_LIMIT}: {within}/{len(counts)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
