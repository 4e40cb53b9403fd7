"""App Home, the profile and interest modals, and the coordinator queue (moving into
bot/slack/blocks/ piece by piece). Answers are rendered by bot/slack/blocks/answer.py."""

from __future__ import annotations

import json
from typing import Any

from bot.slack.blocks.common import (
    BUTTON_TEXT,
    Block,
    button,
    clip,
    context,
    escape,
    fit,
    link,
    placeholder,
    section,
    text_message,
)

__all__ = ["BUTTON_TEXT", "Block", "button", "clip", "context", "escape", "fit", "link", "placeholder", "section", "text_message"]

# -- App Home and the profile modal ------------------------------------------------------------

PROFESSION_CHOICES = [
    ("doctor", "Doctor"), ("dentist", "Dentist"), ("nurse", "Nurse"), ("midwife", "Midwife"),
    ("ahp", "Allied health professional"), ("pharmacist", "Pharmacist"),
    ("clinical_scientist", "Clinical scientist"), ("healthcare_science_practitioner", "Healthcare science practitioner"),
    ("data_professional", "Analyst / data professional"), ("digital_professional", "IT / digital professional"),
    ("manager", "Manager"), ("medical_student", "Medical student"), ("student", "Student"),
]  # fmt: skip
STAGE_CHOICES = [
    ("foundation", "Foundation (FY1-2)"), ("core", "Core training (CT/IMT)"), ("specialty", "Specialty training (ST/registrar)"),
    ("consultant", "Consultant"), ("sas", "Specialty / SAS doctor"), ("gp", "GP"),
]  # fmt: skip
BAND_CHOICES = [(str(b), f"Band {b}") for b in range(2, 10)]
WHERE_CHOICES = [
    (r, r) for r in ("London", "South East", "South West", "East of England", "Midlands", "North East and Yorkshire", "North West")
] + [("Wales", "Wales"), ("Scotland", "Scotland"), ("Northern Ireland", "Northern Ireland")]  # fmt: skip
EXAMPLES = [
    "I'm an ST4 radiology registrar in London and want hands-on AI experience",
    "Band 6 nurse in Leeds, keen to move into informatics. Where do I start?",
    "Is Flexible Portfolio Training open to nurses?",
    "NHS data analyst in Nottingham: how do I get professional accreditation?",
]


def now() -> Any:
    from bot.memory.store import utcnow

    return utcnow()


def _label(choices: list[tuple[str, str]], value: Any) -> str | None:
    return (
        next((label for key, label in choices if key == str(value)), None)
        if value is not None
        else None
    )


def profile_summary(saved: Any) -> str:
    if saved is None:
        return (
            "I don't hold a profile for you. Save one on my Home tab and I'll use it when you ask."
        )
    where = saved.region or saved.nation
    parts = [
        f"Profession: {_label(PROFESSION_CHOICES, saved.profession) or 'not set'}",
        f"Grade: {_label(STAGE_CHOICES, saved.stage) or 'not set'}",
        f"Band: {saved.band if saved.band else 'not set'}",
        f"Region: {where or 'not set'}",
    ]
    return (
        "Your saved profile (used in my answers unless your question says otherwise):\n"
        + "\n".join(f"• {p}" for p in parts)
    )


def home_view(saved: Any, extra: list[Block] | None = None) -> dict[str, Any]:
    """App Home: what Pathfinder does, the saved profile, then `extra` (the person's interests,
    and for coordinators their queue), then example questions."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Pathfinder"}},
        section(
            "I help NHS clinicians and staff find routes into digital, data and AI work: fellowships, "
            "training programmes, professional registration and regional networks. I check each "
            "programme's eligibility for you and cite where every fact comes from."
        ),
        {"type": "divider"},
        section("*Your profile*\n" + escape(profile_summary(saved))),
        {"type": "actions", "elements": [button("Edit profile", "edit_profile", "edit")]},
        {"type": "divider"},
        *(extra or []),
        {"type": "divider"},
        section("*Try asking me*\n" + "\n".join(f"• _{escape(e)}_" for e in EXAMPLES)),
        context(
            "Mention me in a channel, message me here, or use `/pathfinder QUESTION` for a private answer."
        ),
    ]
    return {"type": "home", "blocks": blocks}


def _select(block_id: str, label: str, choices: list[tuple[str, str]], current: Any) -> Block:
    options = [
        {"text": {"type": "plain_text", "text": text}, "value": value} for value, text in choices
    ]
    element: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": options}
    chosen = next(
        (o for o in options if o["value"] == (str(current) if current is not None else None)), None
    )
    if chosen:
        element["initial_option"] = chosen
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def profile_modal(saved: Any) -> dict[str, Any]:
    where = (saved.region or saved.nation) if saved else None
    return {
        "type": "modal",
        "callback_id": "profile_modal",
        "title": {"type": "plain_text", "text": "Your profile"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            context("Pathfinder uses this to check eligibility for you. It is kept only for that."),
            _select(
                "profession", "Profession", PROFESSION_CHOICES, saved.profession if saved else None
            ),
            _select(
                "stage",
                "Grade (doctors and dentists)",
                STAGE_CHOICES,
                saved.stage if saved else None,
            ),
            _select("band", "Agenda for Change band", BAND_CHOICES, saved.band if saved else None),
            _select("where", "Where you work", WHERE_CHOICES, where),
        ],
    }


def profile_values(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted modal as SavedProfile fields; anything not among the choices is ignored."""
    state = view.get("state", {}).get("values", {})

    def picked(block: str, choices: list[tuple[str, str]]) -> str | None:
        option = (state.get(block, {}).get("value", {}) or {}).get("selected_option") or {}
        value = option.get("value")
        return value if any(value == key for key, _ in choices) else None

    where = picked("where", WHERE_CHOICES)
    band = picked("band", BAND_CHOICES)
    is_nation = where in ("Wales", "Scotland", "Northern Ireland")
    return {
        "profession": picked("profession", PROFESSION_CHOICES),
        "stage": picked("stage", STAGE_CHOICES),
        "band": int(band) if band else None,
        "region": None if is_nation else where,
        "nation": where if is_nation else ("England" if where else None),
    }


# -- The interest log: registration modal, the person's own interests, the coordinator queue ---

ENGLAND_CHOICES = WHERE_CHOICES[:7]
STATUS_LABEL = {"new": "New", "contacted": "Contacted", "closed": "Closed"}
NEXT_STATUS = {"new": ("contacted", "Mark contacted"), "contacted": ("closed", "Close")}
QUEUE_ROWS = 20  # App Home holds 100 blocks; the full log is in the CSV export


def grade_label(stage: str | None, band: int | None) -> str | None:
    """The grade as stored on an interest: the training stage, or the Agenda for Change band."""
    return _label(STAGE_CHOICES, stage) or (f"Band {band}" if band else None)


def interest_modal(
    *,
    programme_id: str,
    programme: str,
    consent: str,
    defaults: dict[str, Any],
    networks: dict[str, str],
) -> dict[str, Any]:
    """Register interest: purpose, recipient, what is stored, how long, how to withdraw; consent."""
    where = "\n".join(f"• {escape(r)}: {escape(n)}" for r, n in networks.items())
    region = _select("region", "Your NHS England region", ENGLAND_CHOICES, defaults.get("region"))
    region["optional"] = False
    region["hint"] = {
        "type": "plain_text",
        "text": "Your interest goes to this region's ISDN coordinator. Change it if it's wrong.",
    }
    return {
        "type": "modal",
        "callback_id": "interest_modal",
        "private_metadata": json.dumps({"programme": programme_id}),
        "title": {"type": "plain_text", "text": "Register interest"},
        "submit": {"type": "plain_text", "text": "Register"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"*{escape(programme)}*"),
            section(consent),
            context("Coordinators by region:\n" + where),
            region,
            _select("profession", "Profession", PROFESSION_CHOICES, defaults.get("profession")),
            _select("stage", "Grade (doctors and dentists)", STAGE_CHOICES, defaults.get("stage")),
            _select("band", "Agenda for Change band", BAND_CHOICES, defaults.get("band")),
            {
                "type": "input",
                "block_id": "consent",
                "optional": False,
                "label": {"type": "plain_text", "text": "Consent"},
                "element": {
                    "type": "checkboxes",
                    "action_id": "value",
                    "options": [
                        {
                            "text": {
                                "type": "mrkdwn",
                                "text": "I agree: record my interest and share it with my region's coordinator, as described above.",
                            },
                            "value": "consent",
                        }
                    ],
                },
            },
        ],
    }


def interest_values(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted registration modal; anything not among the offered choices is dropped."""
    state = view.get("state", {}).get("values", {})
    chosen = profile_values(view)
    region_option = (state.get("region", {}).get("value", {}) or {}).get("selected_option") or {}
    region = region_option.get("value")
    ticked = (state.get("consent", {}).get("value", {}) or {}).get("selected_options") or []
    return {
        "region": region if any(region == key for key, _ in ENGLAND_CHOICES) else None,
        "profession": chosen["profession"],
        "grade": grade_label(chosen["stage"], chosen["band"]),
        "consent": any(isinstance(o, dict) and o.get("value") == "consent" for o in ticked),
    }


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
            f"*{escape(name)}* · {escape(row.region)} · {STATUS_LABEL.get(row.status, row.status)}"
            f"\nRegistered {row.created_at:%-d %b %Y}"
        )
        block["accessory"] = button("Withdraw", "withdraw_interest", row.programme_id)
        block["accessory"]["confirm"] = _confirm(
            "Withdraw this interest?",
            "It is deleted at once, and the coordinator will no longer see it.",
            "Withdraw",
        )
        blocks.append(block)
    return blocks


def _confirm(title: str, text: str, yes: str) -> dict[str, Any]:
    return {
        "title": {"type": "plain_text", "text": title},
        "text": {"type": "plain_text", "text": text},
        "confirm": {"type": "plain_text", "text": yes},
        "deny": {"type": "plain_text", "text": "Cancel"},
        "style": "danger",
    }


def queue_blocks(
    *,
    regions: list[str],
    rows: list[Any],
    total: int,
    programmes: dict[str, str],
    filters: dict[str, str | None],
) -> list[Block]:
    """A coordinator's queue: filters, export, and the newest interests with their status."""
    blocks: list[Block] = [
        {"type": "divider"},
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": clip("Interest log: " + ", ".join(regions), 150),
            },
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
    for row in shown:
        changed = (
            f" · {STATUS_LABEL.get(row.status, row.status)} by <@{row.status_by}> {row.status_at:%-d %b %Y %H:%M} UTC"
            if row.status_by and row.status_at and _is_slack_id(row.status_by)
            else ""
        )
        who = f"*{escape(row.display_name)}*" + (
            f" (<@{row.user_id}>)" if _is_slack_id(row.user_id) else ""
        )
        block = section(
            f"{who} · {escape(programmes.get(row.programme_id, row.programme_id))}\n"
            f"{escape(row.profession or 'profession not given')} · {escape(row.grade or 'grade not given')} · "
            f"{escape(row.region)} · registered {row.created_at:%-d %b %Y}\n"
            f"*{STATUS_LABEL.get(row.status, row.status)}*{changed}"
        )
        step = NEXT_STATUS.get(row.status)
        if step:
            block["accessory"] = button(
                step[1], "interest_status", json.dumps({"id": row.id, "status": step[0]})
            )
        else:
            block["accessory"] = button(
                "Reopen", "interest_status", json.dumps({"id": row.id, "status": "new"})
            )
        blocks.append(block)
    return blocks


def _is_slack_id(value: str) -> bool:
    return value.isalnum() and value.isupper() and 2 <= len(value) <= 32


def _filter(action_id: str, options: list[tuple[str, str]], current: str) -> dict[str, Any]:
    opts = [
        {"text": {"type": "plain_text", "text": clip(label, 75)}, "value": value or "all"}
        for value, label in options
    ][:100]
    element: dict[str, Any] = {"type": "static_select", "action_id": action_id, "options": opts}
    chosen = next((o for o in opts if o["value"] == (current or "all")), None)
    if chosen:
        element["initial_option"] = chosen
    return element


def forget_me_prompt() -> tuple[str, list[Block]]:
    text = (
        "This erases everything I hold about you: your registered interests, your saved profile, "
        "your feedback and our stored conversations. It cannot be undone. (A note that an erasure "
        "happened is kept, without your name or id.)"
    )
    confirm = button("Erase everything", "forget_me_confirm", "erase", style="danger")
    confirm["confirm"] = _confirm("Erase everything?", "This cannot be undone.", "Erase")
    return text, [section(escape(text)), {"type": "actions", "elements": [confirm]}]
