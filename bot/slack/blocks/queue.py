"""A coordinator's queue on App Home: filters, export, and the newest interests with their status.
Only the coordinator's own regions ever reach here (bot.interests.access decides)."""

from __future__ import annotations

import json
from typing import Any

from bot.slack.blocks.common import Block, button, clip, context, escape, section

STATUS_LABEL = {"new": "New", "contacted": "Contacted", "closed": "Closed"}
NEXT_STATUS = {"new": ("contacted", "Mark contacted"), "contacted": ("closed", "Close")}
QUEUE_ROWS = 20  # App Home holds 100 blocks; the full log is in the CSV export


def queue_blocks(
    *,
    regions: list[str],
    rows: list[Any],
    total: int,
    programmes: dict[str, str],
    filters: dict[str, str | None],
) -> list[Block]:
    blocks: list[Block] = [
        {"type": "divider"},
        {
            "type": "header",
            "text": {"type": "plain_text", "text": clip("Interest log: " + ", ".join(regions), 150)},
        },
    ]
    programme_options = [("", "All programmes")] + sorted(programmes.items(), key=lambda p: p[1])
    status_options = [("", "All statuses")] + list(STATUS_LABEL.items())
    blocks.append(
        {
            "type": "actions",
            "block_id": "queue_filters",
            "elements": [
                _filter("queue_programme", programme_options, filters.get("programme") or ""),
                _filter("queue_status", status_options, filters.get("status") or ""),
                button("Export CSV (DM)", "export_interests", "export"),
            ],
        }
    )
    shown = rows[:QUEUE_ROWS]
    blocks.append(
        context(
            f"{total} matching interest(s)"
            + (f"; the newest {len(shown)} shown, all in the CSV" if total > len(shown) else "")
            + ". Registered with consent; use only to follow up about the programme."
        )
    )
    blocks += [_row(row, programmes) for row in shown]
    return blocks


def _row(row: Any, programmes: dict[str, str]) -> Block:
    status = STATUS_LABEL.get(row.status, row.status)
    changed = (
        f" · {status} by <@{row.status_by}> {row.status_at:%-d %b %Y %H:%M} UTC"
        if row.status_by and row.status_at and is_slack_id(row.status_by)
        else ""
    )
    who = f"*{escape(row.display_name)}*" + (f" (<@{row.user_id}>)" if is_slack_id(row.user_id) else "")
    block = section(
        f"{who} · {escape(programmes.get(row.programme_id, row.programme_id))}\n"
        f"{escape(row.profession or 'profession not given')} · {escape(row.grade or 'grade not given')} · "
        f"{escape(row.region)} · registered {row.created_at:%-d %b %Y}\n"
        f"*{status}*{changed}"
    )
    step = NEXT_STATUS.get(row.status, ("new", "Reopen"))
    block["accessory"] = button(
        step[1], "interest_status", json.dumps({"id": row.id, "status": step[0], "from": row.status})
    )
    return block


def is_slack_id(value: str) -> bool:
    return value.isalnum() and value.isupper() and 2 <= len(value) <= 32


def _filter(action_id: str, options: list[tuple[str, str]], current: str) -> dict[str, Any]:
    opts = [
        {"text": {"type": "plain_text", "text": clip(label, 75)}, "value": (value or "all")[:150]}
        for value, label in options
    ][:100]
    element: dict[str, Any] = {"type": "static_select", "action_id": action_id, "options": opts}
    chosen = next((o for o in opts if o["value"] == (current or "all")), None)
    if chosen:
        element["initial_option"] = chosen
    return element
