"""The Slack view of an Answer: the short answer first, one short card per programme, Details one
click away (a modal), native feedback buttons. It renders the same Answer as the text view
(bot/answering/text.py) and reuses its wording, so the two views can't drift apart; the golden
files in tests/snapshots/ pin both."""

from __future__ import annotations

import json
from typing import Any

from bot.answering import text as words
from bot.answering.contract import Answer, SuggestionOut
from bot.slack.blocks.common import (
    TEXT_LIMIT,
    Block,
    button,
    clip,
    context,
    escape,
    fit,
    link,
    section,
    text_message,
)

MODAL_TITLE = 24  # Slack: a modal title is at most 24 characters
MODAL_BLOCKS = 100


def answer_message(answer: Answer, *, answer_id: str, ephemeral: bool = False) -> tuple[str, list[Block]]:
    """The answer as a message: everything the text view shows, details behind a button."""
    if answer.refused and not answer.refusal_partial:
        text, plain = text_message(words.render(answer))
        return text, fit(plain + feedback(answer_id, ephemeral))
    blocks: list[Block] = []
    if answer.refused and answer.refusal_message:
        blocks.append(section(escape(f"I can't help with part of that. {answer.refusal_message}")))
    if answer.register_note:
        blocks.append(section(escape(answer.register_note)))
    blocks.append(section(escape(answer.headline)))
    if answer.place_note:
        blocks.append(context(escape(answer.place_note)))
    for faq in answer.faqs:
        src = " · " + link(faq.answer.sources[0], "source") if faq.answer.sources else ""
        blocks.append(section(f"*{escape(faq.question)}*\n{escape(words.fact_text(faq.answer))}{src}"))
    if answer.asked_facts:
        blocks.append(section(escape(words.asked_facts_block(answer))))
    for s in answer.inactive:
        blocks += [section(escape(words.inactive_line(s))), details_only(s, answer_id, "inactive")]
    for s in answer.asked_about:
        blocks += [section(escape(words.asked_about_block(s))), details_only(s, answer_id, "asked")]
    if answer.asked_about and answer.suggestions:
        blocks.append(section("*What could fit you instead:*"))
    for n, s in enumerate(answer.suggestions[: words.CARDS], start=1):
        if s.id in answer.seen:
            blocks.append(context(escape(words.brief(n, s))))
        else:
            blocks.extend(card(n, s, answer_id))
    if len(answer.suggestions) > words.CARDS:
        blocks.append(section(escape(words.also_block(answer.suggestions[words.CARDS :]))))
    if answer.later:
        blocks.append(section(escape(words.later_block(answer))))
    blocks += [section(escape(line)) for line in words.network_lines(answer)]
    if answer.uk_wide or answer.england_only:
        blocks.append(section(escape(words.reach_block(answer))))
    blocks.append(context(escape(words.footer(answer))))
    blocks.extend(feedback(answer_id, ephemeral))
    return clip(escape(answer.headline), TEXT_LIMIT), fit(blocks)


def card(n: int, s: SuggestionOut, answer_id: str) -> list[Block]:
    """One programme: verdict, one why, what was asked, the one thing to check; two buttons."""
    body = section(escape(words.card(n, s)))
    actions = {
        "type": "actions",
        "block_id": f"card:{n}:{s.id}"[:255],
        "elements": [
            button("Details", "answer_details", json.dumps({"a": answer_id, "p": s.id})),
            button("Register interest", "register_interest", json.dumps({"programme": s.id})),
        ],
    }
    return [body, actions]


def details_only(s: SuggestionOut, answer_id: str, kind: str) -> Block:
    """Details for a programme asked about but not suggested (its criteria, facts, sources)."""
    return {
        "type": "actions",
        "block_id": f"{kind}:{s.id}"[:255],
        "elements": [button("Details", "answer_details", json.dumps({"a": answer_id, "p": s.id}))],
    }


def feedback(answer_id: str, ephemeral: bool) -> list[Block]:
    """Slack's native feedback buttons (a context_actions block), and Share for private answers."""
    blocks: list[Block] = [
        {
            "type": "context_actions",
            "block_id": f"feedback:{answer_id}"[:255],
            "elements": [
                {
                    "type": "feedback_buttons",
                    "action_id": "answer_feedback",
                    "positive_button": {
                        "text": {"type": "plain_text", "text": "Helpful"},
                        "accessibility_label": "This answer was helpful",
                        "value": f"up:{answer_id}",
                    },
                    "negative_button": {
                        "text": {"type": "plain_text", "text": "Not helpful"},
                        "accessibility_label": "This answer was not helpful",
                        "value": f"down:{answer_id}",
                    },
                }
            ],
        }
    ]
    if ephemeral:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"share:{answer_id}"[:255],
                "elements": [button("Share in channel", "share_answer", answer_id, style="primary")],
            }
        )
    return blocks


def details_modal(answer: Answer, programme_id: str) -> dict[str, Any] | None:
    """Everything behind a card: eligibility criterion by criterion, every fact, every source."""
    s = next((x for x in [*answer.suggestions, *answer.asked_about, *answer.inactive] if x.id == programme_id), None)
    if s is None:
        return None
    blocks: list[Block] = [section(f"*{escape(s.name)}*\n{escape(s.summary)}")]
    if s.status is not None:
        blocks.append(context(escape(f"Status ({s.status.state}, as of {s.status.as_of:%-d %B %Y}): {s.status.text}")))
    if s.eligibility:
        lines = [f"{words.MARK[c.status]} {escape(c.criterion)}: {escape(c.detail)}" for c in s.eligibility]
        blocks.append(section("*Eligibility, as you described yourself*\n" + "\n".join(lines)))
    for f in s.facts:
        if f.topic not in ("summary", "status"):
            blocks.append(section(f"*{escape(f.label)}*: {escape(words.fact_text(f))}"))
    blocks += [context(escape(f"Caution: {c}")) for c in s.cautions]
    sources = " · ".join(link(u, f"source {i}") for i, u in enumerate(s.source_urls, start=1))
    blocks.append(context(f"{sources} · last reviewed {s.last_reviewed:%-d %b %Y}" if sources else f"Last reviewed {s.last_reviewed:%-d %b %Y}"))
    return {
        "type": "modal",
        "callback_id": "answer_details",
        "title": {"type": "plain_text", "text": clip("Details", MODAL_TITLE)},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks[:MODAL_BLOCKS],
    }
