"""The Block Kit renderer: limits always respected, untrusted text always escaped."""

from __future__ import annotations

import json
import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.advice.reading import Profile
from bot.service import Answer, EligibilityOut, NetworkOut, SuggestionOut
from bot.slack import render

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


def answer(text: str, n: int, why: str) -> Answer:
    suggestion = SuggestionOut(
        id="topol", name="Topol Digital Fellowship " + why[:50], kind="fellowship", verdict="eligible", timing="now", why=why,
        eligibility=[EligibilityOut(criterion=why[:200], status="met", detail=why[:500])] * 3,
        source_urls=["https://topol.hee.nhs.uk/digital-fellowships/topol-fellowship-faq/"], last_reviewed=date(2026, 11, 26),
        review_due=date(2027, 5, 26), uncertain=False, cautions=[why[:300]],
    )  # fmt: skip
    return Answer(
        question=text, refused=False, refusal_reason=None, profile=Profile(), suggestions=[suggestion] * n,
        asked_about=[], later=[], network=NetworkOut(id="isdn-london", name=why[:100] or "x", region="London", verified=False),
        clarify=False, answer=text, responder="openai", catalogue_version="v1", elapsed_ms=1.0,
    )  # fmt: skip


UNESCAPED = re.compile(
    r"<(?!https://topol\.hee\.nhs\.uk/digital-fellowships/topol-fellowship-faq/\|source \d>)"
)


@settings(max_examples=300, deadline=None)
@given(untrusted, st.integers(min_value=0, max_value=60), untrusted)
def test_any_answer_renders_within_slack_limits_with_no_live_markup(
    text: str, n: int, why: str
) -> None:
    msg_text, blocks = render.answer_message(
        answer(text, n, why), answer_id="a1b2", ephemeral=bool(n % 2)
    )
    assert validate({"text": msg_text, "blocks": blocks}) is None
    assert len(blocks) <= 50
    rendered = json.dumps(blocks, ensure_ascii=False)
    for block in blocks:
        for piece in render_texts(block):
            assert not UNESCAPED.search(piece), piece[:200]
    assert "<!channel>" not in rendered and "<@U123>" not in rendered
    assert blocks[-1]["type"] == "actions"  # feedback always survives trimming


def render_texts(block: dict) -> list[str]:  # type: ignore[type-arg]
    out = [block["text"]["text"]] if isinstance(block.get("text"), dict) else []
    out += [
        e["text"]
        for e in block.get("elements", [])
        if isinstance(e, dict) and isinstance(e.get("text"), str)
    ]
    return out


@given(untrusted)
def test_plain_messages_are_escaped_and_fit(text: str) -> None:
    msg_text, blocks = render.text_message(text * 5)
    assert validate({"text": msg_text, "blocks": blocks}) is None
    assert "<!" not in json.dumps(blocks)


def test_answer_blocks_snapshot() -> None:
    """What people see, pinned: a change to the layout must be deliberate."""
    text, blocks = render.answer_message(
        answer("For a band 6 nurse in Leeds, 1 option stands out.", 1, "It offers protected time."),
        answer_id="abc",
    )
    assert (
        text
        == "For a band 6 nurse in Leeds, 1 option stands out. Topol Digital Fellowship It offers protected time."
    )
    assert [b["type"] for b in blocks] == ["section", "section", "section", "context", "actions"]
    assert blocks[1]["text"]["text"].splitlines()[:2] == [
        "*1. Topol Digital Fellowship It offers protected time.* (fits you now)",
        "_Why_: It offers protected time.",
    ]
    assert blocks[1]["accessory"]["action_id"] == "register_interest"
    assert (
        "<https://topol.hee.nhs.uk/digital-fellowships/topol-fellowship-faq/|source 1> · last reviewed 26 Nov 2026"
        in blocks[1]["text"]["text"]
    )
