"""App Home: what Pathfinder does, the saved profile, the person's own interests (and for
coordinators their queue), and questions to try; and the confirmation before erasing."""

from __future__ import annotations

from typing import Any

from bot.slack.blocks.choices import Choices
from bot.slack.blocks.common import Block, button, context, escape, section
from bot.slack.blocks.modals import profile_summary

EXAMPLES = [
    "I'm an ST4 radiology registrar in London and want hands-on AI experience",
    "Band 6 nurse in Leeds, keen to move into informatics. Where do I start?",
    "Is Flexible Portfolio Training open to nurses?",
    "NHS data analyst in Nottingham: how do I get professional accreditation?",
]
HELP = (
    "I'm Pathfinder. Ask me about routes into NHS digital, data and AI work: fellowships, "
    "training programmes, professional registration and your regional network.\n\n"
    "Tell me your profession, grade or band, and where you work, for example:\n"
    + "\n".join(f"• _{e}_" for e in EXAMPLES[:2])
    + "\n\nIn a channel, mention me; in a DM, just ask; in a thread I've answered, reply without a "
    "mention (each person in a thread gets answers about themselves). `/pathfinder QUESTION` "
    "answers privately; `/pathfinder profile` shows what I know about you.\n\n"
    "*Your data:* press *Register interest* under a programme to have your region's ISDN "
    "coordinator contact you (you'll see what is stored, and consent first). Your interests are "
    "on my Home tab; `/pathfinder my-data` sends you everything I hold about you, and "
    "`/pathfinder forget-me` erases it. Coordinators: `/pathfinder interests` exports your "
    "region's log to our DM."
)
# Suggested prompts in the assistant / agent view: at most four, a short title each.
PROMPTS = [
    {"title": "Routes for a registrar", "message": EXAMPLES[0]},
    {"title": "Nurse into informatics", "message": EXAMPLES[1]},
    {"title": "Who can do FPT?", "message": EXAMPLES[2]},
    {"title": "Accreditation for analysts", "message": EXAMPLES[3]},
]


def home_view(saved: Any, choices: Choices, extra: list[Block] | None = None) -> dict[str, Any]:
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Pathfinder"}},
        section(
            "I help NHS clinicians and staff find routes into digital, data and AI work: fellowships, "
            "training programmes, professional registration and regional networks. I check each "
            "programme's eligibility for you and cite where every fact comes from."
        ),
        {"type": "divider"},
        section("*Your profile*\n" + escape(profile_summary(saved, choices))),
        {"type": "actions", "elements": [button("Edit profile", "edit_profile", "edit")]},
        {"type": "divider"},
        *(extra or []),
        {"type": "divider"},
        section("*Try asking me*\n" + "\n".join(f"• _{escape(e)}_" for e in EXAMPLES)),
        context(
            "Mention me in a channel, message me here, or use `/pathfinder QUESTION` for a private answer."
        ),
    ]
    return {"type": "home", "blocks": blocks[:100]}


def own_interests_blocks(interests: list[Any], names: dict[str, str]) -> list[Block]:
    if not interests:
        return [
            section(
                "*Your registered interests*\nNone. Press *Register interest* under a programme in "
                "one of my answers to have your region's ISDN coordinator contact you."
            )
        ]
    blocks: list[Block] = [section("*Your registered interests*")]
    for row in interests:
        name = names.get(row.programme_id, row.programme_id)
        block = section(
            f"*{escape(name)}* · {escape(row.region)} · {row.status.capitalize()}"
            f"\nRegistered {row.created_at:%-d %b %Y}"
        )
        block["accessory"] = button("Withdraw", "withdraw_interest", row.programme_id)
        block["accessory"]["confirm"] = confirm(
            "Withdraw this interest?",
            "It is deleted at once, and the coordinator will no longer see it.",
            "Withdraw",
        )
        blocks.append(block)
    return blocks


def confirm(title: str, text: str, yes: str) -> dict[str, Any]:
    return {
        "title": {"type": "plain_text", "text": title[:100]},
        "text": {"type": "plain_text", "text": text[:300]},
        "confirm": {"type": "plain_text", "text": yes[:30]},
        "deny": {"type": "plain_text", "text": "Cancel"},
        "style": "danger",
    }


def forget_me_prompt() -> tuple[str, list[Block]]:
    text = (
        "This erases everything I hold about you: your registered interests, your saved profile, "
        "your feedback, the answers I gave you and our stored conversations. It cannot be undone. "
        "(A note that an erasure happened is kept, without your name or id.)"
    )
    erase = button("Erase everything", "forget_me_confirm", "erase", style="danger")
    erase["confirm"] = confirm("Erase everything?", "This cannot be undone.", "Erase")
    return text, [section(escape(text)), {"type": "actions", "elements": [erase]}]
