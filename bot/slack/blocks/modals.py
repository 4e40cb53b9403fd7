"""Modals: the saved profile, and registering interest with consent. Every label, option and
title is within Slack's limits (tests/fakes/blockkit.py refuses what Slack refuses)."""

from __future__ import annotations

import json
from typing import Any

from bot.slack.blocks.choices import Choice, Choices, label, picked
from bot.slack.blocks.common import Block, clip, context, escape, section

OPTION_TEXT = 75  # Slack: option and checkbox text
TITLE = 24  # Slack: modal title, submit and close
CONSENT_LABEL = "I agree to share this with my region's ISDN coordinator, as above"
REGION_ACTION = "interest_region"


def select(
    block_id: str,
    title: str,
    choices: list[Choice],
    current: Any,
    *,
    action_id: str = "value",
    optional: bool = True,
    hint: str | None = None,
) -> Block:
    """An input block with a static select, prefilled with `current` if it is a choice."""
    options = [
        {"text": {"type": "plain_text", "text": clip(text, OPTION_TEXT)}, "value": value[:150]}
        for value, text in choices
    ][:100]
    element: dict[str, Any] = {"type": "static_select", "action_id": action_id, "options": options}
    chosen = next(
        (o for o in options if o["value"] == (str(current) if current is not None else None)), None
    )
    if chosen:
        element["initial_option"] = chosen
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": clip(title, 2000)},
        "element": element,
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": clip(hint, 2000)}
    return block


def _modal(callback_id: str, title: str, blocks: list[Block], *, submit: str | None = None,
           metadata: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": clip(title, TITLE)},
        "close": {"type": "plain_text", "text": "Cancel" if submit else "Close"},
        "blocks": blocks[:100],
    }
    if submit:
        view["submit"] = {"type": "plain_text", "text": clip(submit, TITLE)}
    if metadata is not None:
        view["private_metadata"] = json.dumps(metadata)[:3000]
    return view


# -- The saved profile -------------------------------------------------------------------------


def where_of(saved: Any) -> str | None:
    return (saved.region or saved.nation) if saved else None


def profile_summary(saved: Any, choices: Choices) -> str:
    if saved is None:
        return "I don't hold a profile for you. Save one on my Home tab and I'll use it when you ask."
    parts = [
        f"Profession: {label(choices.professions, saved.profession) or 'not set'}",
        f"Grade: {label(choices.stages, saved.stage) or 'not set'}",
        f"Band: {saved.band if saved.band else 'not set'}",
        f"Where you work: {where_of(saved) or 'not set'}",
    ]
    return "Your saved profile (used in my answers unless your question says otherwise):\n" + "\n".join(
        f"• {p}" for p in parts
    )


def profile_modal(saved: Any, choices: Choices) -> dict[str, Any]:

    def value(name: str) -> Any:
        return getattr(saved, name) if saved else None

    return _modal(
        "profile_modal",
        "Your profile",
        [
            context("Pathfinder uses this to check eligibility for you. It is kept only for that."),
            select("profession", "Profession", choices.professions, value("profession")),
            select("stage", "Grade (doctors and dentists)", choices.stages, value("stage")),
            select("band", "Agenda for Change band", choices.bands, value("band")),
            select("where", "Where you work", choices.places, where_of(saved)),
        ],
        submit="Save",
    )


def profile_values(view: dict[str, Any], choices: Choices) -> dict[str, Any]:
    """The submitted modal as SavedProfile fields; anything not among the choices is ignored."""
    state = view.get("state", {}).get("values", {})
    where = picked(state, "where", choices.places)
    band = picked(state, "band", choices.bands)
    in_england = any(where == key for key, _ in choices.regions)
    return {
        "profession": picked(state, "profession", choices.professions),
        "stage": picked(state, "stage", choices.stages),
        "band": int(band) if band else None,
        "region": where if in_england else None,
        "nation": "England" if in_england else where,
    }


# -- Registering interest ----------------------------------------------------------------------


def grade_label(stage: str | None, band: int | None, choices: Choices) -> str | None:
    """The grade as stored on an interest: the training stage, or the Agenda for Change band."""
    return label(choices.stages, stage) or (f"Band {band}" if band else None)


def interest_modal(
    *,
    programme_id: str,
    programme: str,
    consent: str,
    defaults: dict[str, Any],
    choices: Choices,
) -> dict[str, Any]:
    """Register interest: what it is for, who sees it, what is stored, for how long, how to
    withdraw; then consent. The notice names the chosen region's network and is refreshed when
    the region changes (`interest_region` action), so consent is always to the right recipient."""
    return _modal(
        "interest_modal",
        "Register interest",
        [
            section(f"*{escape(programme)}*"),
            {"type": "section", "block_id": "notice", "text": {"type": "mrkdwn", "text": clip(consent, 2900)}},
            {
                **select(
                    "region",
                    "Your NHS England region",
                    choices.regions,
                    defaults.get("region"),
                    action_id=REGION_ACTION,
                    optional=False,
                    hint="Your interest goes to this region's ISDN coordinator. Change it if it's wrong.",
                ),
                "dispatch_action": True,
            },
            select("profession", "Profession", choices.professions, defaults.get("profession")),
            select("stage", "Grade (doctors and dentists)", choices.stages, defaults.get("stage")),
            select("band", "Agenda for Change band", choices.bands, defaults.get("band")),
            {
                "type": "input",
                "block_id": "consent",
                "optional": False,
                "label": {"type": "plain_text", "text": "Consent"},
                "element": {
                    "type": "checkboxes",
                    "action_id": "value",
                    "options": [
                        {"text": {"type": "plain_text", "text": CONSENT_LABEL}, "value": "consent"}
                    ],
                },
            },
        ],
        submit="Register",
        metadata={"programme": programme_id},
    )


def chosen_region(view: dict[str, Any], choices: Choices) -> str | None:
    state = view.get("state", {}).get("values", {})
    option = ((state.get("region") or {}).get(REGION_ACTION) or {}).get("selected_option") or {}
    value = option.get("value") if isinstance(option, dict) else None
    return value if any(value == key for key, _ in choices.regions) else None


def interest_values(view: dict[str, Any], choices: Choices) -> dict[str, Any]:
    """The submitted registration modal; anything not among the offered choices is dropped."""
    state = view.get("state", {}).get("values", {})
    chosen = profile_values(view, choices)
    ticked = ((state.get("consent") or {}).get("value") or {}).get("selected_options") or []
    return {
        "region": chosen_region(view, choices),
        "profession": chosen["profession"],
        "grade": grade_label(chosen["stage"], chosen["band"], choices),
        "consent": any(isinstance(o, dict) and o.get("value") == "consent" for o in ticked),
    }


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return found if isinstance(found, dict) else {}


def notice_modal(title: str, text: str) -> dict[str, Any]:
    """A modal that only says something (used when a form can't be offered)."""
    return _modal("notice", title, [section(escape(text))])
