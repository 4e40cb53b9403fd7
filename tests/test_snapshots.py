"""Golden views: for a dozen representative questions, the CLI text, the Slack message (with every
Details modal) and the prompt the model is sent are pinned in tests/snapshots/. A change to any of
them fails here until the files are regenerated and the diff reviewed:

    PATHFINDER_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_snapshots.py

And whatever the snapshots say, one answer means two views: every fact, note and list the CLI
shows is in the Slack message, either visible or behind Details, and a typical answer shows at
most 350 words in Slack.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.answering.contract import Answer
from bot.answering.phrasing import ModelResponder
from bot.answering.reader import ModelReader
from bot.answering.service import Pathfinder
from bot.answering.text import fact_text
from bot.llm.openai_model import OpenAIChatModel
from bot.slack.blocks.answer import answer_message, details_modal
from bot.slack.blocks.common import escape
from bot.slack.blocks.measure import WORD_LIMIT, typical, visible_words

from .conftest import TODAY
from .fakes.openai_server import FakeOpenAI

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
UPDATE = os.environ.get("PATHFINDER_UPDATE_SNAPSHOTS") == "1"
GOLDEN = {
    "registrar_hands_on_ai": "I'm an ST4 radiology registrar in London and want hands-on AI experience",
    "nurse_into_informatics": "Band 6 nurse in Leeds, really interested in moving towards informatics. Where do I start?",
    "fellows_pay_and_days": "how much are clinical AI fellows paid, and how many days a week?",
    "fpt_for_nurses": "Is Flexible Portfolio Training open to nurses?",
    "analyst_accreditation": "NHS data analyst in Nottingham: how do I get professional accreditation?",
    "newport_nurse": "I'm a nurse in Newport looking for digital training",
    "wales_isdn": "I'm a nurse in Cardiff - which ISDN should I join?",
    "scientist_next_step": "I'm a clinical scientist in Birmingham, what next for me in digital?",
    "physio_protected_time": "Band 7 physio in Truro wanting protected time for a digital project",
    "foundation_doctor": "FY2 in Sheffield, want to get into digital health",
    "clinical_advice_refused": "What dose of amoxicillin should I give a child with otitis media?",
    "register_typed": "Please register my interest in the Fellowship in Clinical AI, I'm an ST5 anaesthetics registrar in Bristol",
}
CANARY = re.compile(r"PF-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def service(sqlite_engine: Engine) -> Pathfinder:
    return Pathfinder(sqlite_engine, today=lambda: TODAY)


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


def slack_view(answer: Answer) -> dict[str, Any]:
    _, blocks = answer_message(answer, answer_id="golden")
    cards = [*answer.suggestions, *answer.asked_about, *answer.inactive]
    return {"message": blocks, "details": {s.id: details_modal(answer, s.id) for s in cards}}


def prompt_for(question: str, engine: Engine, llm: FakeOpenAI) -> str:
    """The messages the model is sent for `question`, as the real client sends them."""
    before = len(llm.requests)
    model = OpenAIChatModel(model="golden", api_key="test", base_url=llm.url, attempt_timeout=5)
    Pathfinder(engine, today=lambda: TODAY, responder=ModelResponder(model)).ask(question)
    sent = [r.body["messages"] for r in llm.requests[before:]]
    text = "\n\n".join(f"=== {m['role']} ===\n{m['content']}" for msgs in sent[:1] for m in msgs)
    return CANARY.sub("PF-CANARY", text) or "(no model call: answered offline)\n"


def compare(path: Path, actual: str) -> None:
    if UPDATE or not path.exists():
        path.write_text(actual)
        if not UPDATE:
            pytest.fail(f"{path.name} was missing and has been written: review it and commit it")
        return
    assert actual == path.read_text(), (
        f"{path.name} changed: review the difference, then regenerate with PATHFINDER_UPDATE_SNAPSHOTS=1"
    )


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_views(name: str, service: Pathfinder, sqlite_engine: Engine, llm: FakeOpenAI) -> None:
    SNAPSHOTS.mkdir(exist_ok=True)
    answer = service.ask(GOLDEN[name])
    compare(SNAPSHOTS / f"{name}.txt", answer.answer.rstrip() + "\n")
    compare(SNAPSHOTS / f"{name}.slack.json", json.dumps(slack_view(answer), indent=1, ensure_ascii=False) + "\n")
    compare(SNAPSHOTS / f"{name}.prompt.txt", prompt_for(GOLDEN[name], sqlite_engine, llm).rstrip() + "\n")


def test_golden_reader_prompt(sqlite_engine: Engine, llm: FakeOpenAI) -> None:
    """The second reader's messages and schema, as the real client sends them (the enums are the
    catalogue's vocabularies: a vocabulary change shows here)."""
    before = len(llm.requests)
    model = OpenAIChatModel(model="golden", api_key="test", base_url=llm.url, attempt_timeout=5)
    reader = ModelReader(model)
    Pathfinder(sqlite_engine, today=lambda: TODAY, reader=reader).ask(GOLDEN["nurse_into_informatics"])
    [body] = [r.body for r in llm.requests[before:]]
    text = "\n\n".join(f"=== {m['role']} ===\n{m['content']}" for m in body["messages"])
    schema = json.dumps(body["response_format"]["json_schema"]["schema"], indent=1, ensure_ascii=False)
    compare(SNAPSHOTS / "reader.prompt.txt", f"{text.rstrip()}\n\n=== schema ===\n{schema}\n")


def _shown_in_slack(answer: Answer) -> str:
    return json.dumps(slack_view(answer), ensure_ascii=False).replace("\\n", "\n").replace('\\"', '"')


@pytest.mark.parametrize("name", GOLDEN)
def test_everything_the_cli_shows_slack_shows_too(name: str, service: Pathfinder) -> None:
    """Every fact, note and list in the CLI text is in the Slack message or behind Details."""
    answer = service.ask(GOLDEN[name])
    slack = _shown_in_slack(answer)
    pieces: list[str] = [answer.headline]
    pieces += [n for n in (answer.place_note, answer.network_note, answer.register_note) if n]
    for s in [*answer.suggestions, *answer.asked_about, *answer.inactive]:
        pieces += [s.name, *(fact_text(f) for f in s.facts if f.topic not in ("summary", "status"))]
        pieces += [c.detail for c in s.eligibility]
    pieces += [s.name for s in answer.later] + answer.uk_wide + answer.england_only
    pieces += [fact_text(a.fact) for a in answer.asked_facts if a.fact is not None]
    in_cli = [piece for piece in pieces if piece in answer.answer]
    assert answer.headline in in_cli
    for piece in in_cli:
        assert escape(piece) in slack, f"the Slack view lacks {piece[:60]!r}"


@pytest.mark.parametrize("name", GOLDEN)
def test_a_typical_answer_shows_at_most_350_words_in_slack(name: str, service: Pathfinder) -> None:
    answer = service.ask(GOLDEN[name])
    _, blocks = answer_message(answer, answer_id="golden")
    if not typical(answer):
        pytest.skip(f"{name} is not a typical answer (named or out-of-nation extras)")
    assert visible_words(blocks) <= WORD_LIMIT
