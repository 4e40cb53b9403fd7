"""`make demo`: answer a few sample questions offline, then show how to ask your own."""

from __future__ import annotations

import sys

from bot.cli import main

SAMPLES = [
    "I'm an ST4 radiology registrar in London and want hands-on experience deploying AI in real hospital workflows.",
    "Band 6 nurse in Harrogate, keen to move into informatics. Where do I start?",
    "I'm a nurse in Cardiff - which ISDN should I join?",
    "How much protected time does FPT give, and does it make training longer?",
]


def run() -> int:
    """Ask each sample question and print the answers."""
    for question in SAMPLES:
        print("=" * 100)
        print(f"Q: {question}\n")
        code = main(["ask", question])
        if code:
            return code
    print("=" * 100)
    print(
        "Ask your own question:\n"
        '  .venv/bin/pathfinder ask "I\'m a band 7 physio in Truro and want protected time for a digital project"\n'
        '  .venv/bin/pathfinder ask --json "..."      # the structured answer\n'
        "  .venv/bin/pathfinder chat                  # a conversation in the terminal\n"
        "  .venv/bin/pathfinder catalogue check       # validate knowledge/, list overdue reviews and uncertain facts\n"
        "  .venv/bin/pathfinder eval ../shared/eval/dev_cases.jsonl"
    )
    return 0


if __name__ == "__main__":
    sys.exit(run())
