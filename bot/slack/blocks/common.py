"""Block Kit building blocks and Slack's documented limits, for every view Pathfinder posts.

Every piece of untrusted text (questions, catalogue text, model prose) is escaped, and every
limit Slack enforces is enforced here, so `invalid_blocks`, `msg_too_long` and live mentions
cannot come out of Pathfinder. tests/fakes/slack_server.py checks the same limits.
"""

from __future__ import annotations

import json
from typing import Any

SECTION_LIMIT = 2900  # Slack: 3,000 characters per section text
BLOCK_LIMIT = 50
TOTAL_LIMIT = 11000  # observed msg_blocks_too_long near 13.2k total; keep well clear
TEXT_LIMIT = 3500  # the notification / fallback `text`
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
Block = dict[str, Any]


def escape(text: str) -> str:
    """Slack mrkdwn escaping: nothing untrusted can form <!channel>, <@U…> or a disguised link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}]}


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(text, BUTTON_TEXT), "emoji": True},
        "action_id": action_id,
        "value": clip(value, BUTTON_VALUE),
    }
    if style:
        out["style"] = style
    return out


def link(url: str, label: str) -> str:
    """A link built by code from a catalogue URL: the only kind Pathfinder posts."""
    safe = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C").replace(" ", "%20")
    return f"<{safe}|{escape(label)}>"


def placeholder() -> tuple[str, list[Block]]:
    text = "Checking the catalogue…"
    return text, [context(f":hourglass_flowing_sand: {text}")]


def text_message(text: str) -> tuple[str, list[Block]]:
    """A plain message (help, refusals, notices), escaped and within limits."""
    safe = escape(text)
    return clip(safe, TEXT_LIMIT), fit([section(part) for part in paragraphs(safe)])



def paragraphs(text: str) -> list[str]:
    parts: list[str] = []
    for para in text.split("\n\n"):
        while para:
            parts.append(para[:SECTION_LIMIT])
            para = para[SECTION_LIMIT:]
    return parts or [" "]


def block_text_length(blocks: list[Block]) -> int:
    return sum(len(json.dumps(b, ensure_ascii=False)) for b in blocks)


def fit(blocks: list[Block]) -> list[Block]:
    """At most 50 blocks and ~11k characters, in order: trailing blocks give way (a note says
    more is in the catalogue); the closing buttons (feedback, share) always stay."""
    end = len(blocks)
    while end > 0 and blocks[end - 1].get("type") in ("actions", "context_actions"):
        end -= 1
    body, tail = blocks[:end], blocks[end:]
    budget = TOTAL_LIMIT - block_text_length(tail)
    kept: list[Block] = []
    for block in body:
        if (
            len(kept) + len(tail) + 1 >= BLOCK_LIMIT
            or block_text_length([*kept, block]) > budget - 200
        ):
            if kept and kept[-1].get("type") == "section" and block.get("type") == "actions":
                kept.pop()  # don't leave a card without its buttons
            kept.append(
                context("More in the catalogue: ask me about a programme by name for its details.")
            )
            break
        kept.append(block)
    return kept + tail
