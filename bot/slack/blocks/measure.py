"""How long an answer reads in Slack: the snapshot tests hold typical answers to WORD_LIMIT, and
bench/answer_words.py measures every answer in the eval sets against it."""

from __future__ import annotations

import re
from typing import Any

from bot.answering.contract import Answer

WORD_LIMIT = 350  # a typical answer reads in about a minute and a half


def visible_words(blocks: list[dict[str, Any]]) -> int:
    """Words a person reads in the message (Details modals not counted)."""
    texts: list[str] = []
    for b in blocks:
        if b["type"] in ("section", "header"):
            texts.append(b["text"]["text"])
        elif b["type"] == "context":
            texts += [e.get("text", "") for e in b["elements"]]
        elif b["type"] == "actions":
            texts += [e["text"]["text"] for e in b["elements"] if "text" in e]
    joined = re.sub(r"<[^|>]+\|([^>]+)>", r"\1", " ".join(texts))
    return len(re.findall(r"[A-Za-z0-9][A-Za-z0-9'’-]*", joined))


def typical(answer: Answer) -> bool:
    """A typical answer: up to three programme cards for someone who described themselves, with
    nothing named, asked about or out of nation to explain as well."""
    extras = answer.asked_about or answer.inactive or answer.asked_facts or answer.uk_wide
    return bool(answer.suggestions) and not extras and not answer.refused
