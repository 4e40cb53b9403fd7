"""The Slack view of an Answer: every message and modal within Slack's documented limits, and no
untrusted text ever live (checked against the same strict limits the fake Web API enforces)."""

from __future__ import annotations

import json
import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.advice.reading import Profile
from bot.answering.contract import (
    Answer,
    EligibilityOut,
    FactOut,
    NetworkOut,
    StatusOut,
    SuggestionOut,
    first_sentence,
)
from bot.slack.blocks.answer import answer_message, details_modal
from bot.slack.blocks.common import text_message

from .fakes.blockkit import check_view
from .fakes.slack_server import validate

NASTY = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<https://evil.example|NHS England>",
    "&lt;",
    "\u200b",
    "\u202e",
    "\x00",
    "```",
    "*bold*",
]
untrusted = st.one_of(
    st.text(max_size=3000),
    st.sampled_from(NASTY),
    st.lists(st.sampled_from(NASTY), max_size=20).map("".join),
)
URL = "https://topol.hee.nhs.uk/digital-fellowships/topol-fellowship-faq/"


def answer(text: str, n: int, why: str) -> Answer:
    fact = FactOut(topic="time_commitment", label="Time", text=why[:500] or "x")
    suggestion = SuggestionOut(
        id=f"p{n}", name="Topol Digital Fellowship " + why[:50], kind="fellowship", verdict="eligible", timing="now", why=why or "x",
        eligibility=[EligibilityOut(criterion=why[:200] or "x", status="met", detail=why[:500] or "x")] * 3,
        source_urls=[URL], last_reviewed=date(2026, 11, 26), review_due=date(2027, 5, 26), uncertain=False, cautions=[why[:300]],
        verdict_label="fits you now", status=StatusOut(state="running", as_of=date(2025, 1, 1), text=why[:300] or "x", uncertain=False),
        summary=why[:800] or "x", key_facts=[fact], check=why[:300] or None, facts=[fact] * 12, window=why[:200] or None,
    )  # fmt: skip
    return Answer(
        question=text, refused=False, refusal_reason=None, profile=Profile(), suggestions=[suggestion] * n,
        asked_about=[], later=[], network=NetworkOut(id="isdn-london", name=why[:100] or "x", region="London", verified=True),
        clarify=False, answer=text, responder="openai", catalogue_version="v1", elapsed_ms=1.0,
        headline=text or "x", place_note=why[:200] or None, network_note=why[:300] or None,
    )  # fmt: skip


LINK = re.compile(r"<https://topol\.hee\.nhs\.uk/digital-fellowships/topol-fellowship-faq/\|source(?: \d+)?>")


def texts(block: dict) -> list[str]:  # type: ignore[type-arg]
    out = [block["text"]["text"]] if isinstance(block.get("text"), dict) else []
    out += [e["text"] for e in block.get("elements", []) if isinstance(e, dict) and isinstance(e.get("text"), str)]
    return out


@settings(max_examples=300, deadline=None)
@given(untrusted, st.integers(min_value=0, max_value=60), untrusted)
def test_any_answer_renders_within_slack_limits_with_no_live_markup(text: str, n: int, why: str) -> None:
    msg_text, blocks = answer_message(answer(text, n, why), answer_id="a1b2", ephemeral=bool(n % 2))
    assert validate({"text": msg_text, "blocks": blocks}) is None
    for block in blocks:
        for piece in texts(block):
            assert "<" not in LINK.sub("", piece), piece[:200]
    rendered = json.dumps(blocks, ensure_ascii=False)
    assert "<!channel>" not in rendered and "<@U123>" not in rendered
    assert any(b["type"] == "context_actions" for b in blocks)  # feedback always survives trimming


@settings(max_examples=100, deadline=None)
@given(untrusted, untrusted)
def test_any_details_modal_passes_slacks_view_checks(text: str, why: str) -> None:
    view = details_modal(answer(text, 1, why), "p1")
    assert view is not None and check_view(view) is None
    assert "<!channel>" not in json.dumps(view)


def test_a_details_click_for_a_programme_not_in_the_answer_finds_nothing() -> None:
    assert details_modal(answer("q", 1, "why"), "forged") is None


@given(untrusted)
def test_plain_messages_are_escaped_and_fit(text: str) -> None:
    msg_text, blocks = text_message(text * 5)
    assert validate({"text": msg_text, "blocks": blocks}) is None
    assert "<!" not in json.dumps(blocks)


def test_the_fake_refuses_what_slack_refuses() -> None:
    """The fake must be as strict as Slack: a 90-character checkbox label, a long modal title."""
    label = "x" * 90
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Register interest"}, "submit": {"type": "plain_text", "text": "Send"},
            "blocks": [{"type": "input", "block_id": "c", "label": {"type": "plain_text", "text": "Consent"},
                        "element": {"type": "checkboxes", "action_id": "a", "options": [{"text": {"type": "plain_text", "text": label}, "value": "yes"}]}}]}  # fmt: skip
    assert check_view(view) is not None
    view["blocks"][0]["element"]["options"][0]["text"]["text"] = "x" * 75
    assert check_view(view) is None
    view["title"]["text"] = "x" * 25
    assert check_view(view) is not None
    assert validate({"text": "t", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]}) == "invalid_blocks"
    assert validate({"text": "t", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51}) == "invalid_blocks"


def test_a_brief_fact_keeps_a_lead_in_with_the_sentence_it_introduces() -> None:
    assert first_sentence("Two routes. Direct entry: a new post. In-service: nominated.") == (
        "Two routes. Direct entry: a new post."
    )
    assert first_sentence("Join BCS, then apply for registration. Ask about FEDIP.") == (
        "Join BCS, then apply for registration."
    )
    assert first_sentence("One sentence only.") == "One sentence only."
