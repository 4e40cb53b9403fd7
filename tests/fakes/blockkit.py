"""Slack's documented Block Kit limits, checked as strictly as Slack checks them.

Used by the fake Web API (tests/fakes/slack_server.py) for every message and view, so a payload
real Slack would refuse (a 90-character checkbox label, a 25-character modal title, 51 blocks)
fails the test that posted it. Sources: docs.slack.dev/reference/block-kit (blocks, block
elements, composition objects, views) and the method pages for chat.postMessage / views.open.
"""

from __future__ import annotations

from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
CONTEXT_ACTIONS_ELEMENTS = 5
HEADER_TEXT = 150
BLOCK_ID = 255
ACTION_ID = 255
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
URL = 3000
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTION_DESCRIPTION = 75
SELECT_OPTIONS = 100
CHECKBOX_OPTIONS = 10
PLACEHOLDER = 150
INPUT_LABEL = 2000
INPUT_HINT = 2000
VIEW_TITLE = 24
VIEW_BUTTON = 24
PRIVATE_METADATA = 3000
CALLBACK_ID = 255
MESSAGE_TEXT = 40000
# msg_blocks_too_long is observed near 13.2k characters of block text (bolt-js #2509), below
# every documented limit; the fake refuses at 12k so Pathfinder keeps a margin.
MESSAGE_BLOCK_TEXT = 12000
MESSAGE_BLOCK_TYPES = {"section", "context", "actions", "divider", "header", "image", "rich_text", "context_actions", "markdown"}
VIEW_BLOCK_TYPES = MESSAGE_BLOCK_TYPES | {"input"}


class Invalid(Exception):
    """What real Slack would refuse, and why (kept for the test's failure message)."""


def check_message(body: dict[str, Any]) -> str | None:
    """None, or the error code Slack returns for this chat.postMessage / chat.update body."""
    blocks = body.get("blocks") or []
    if not body.get("text") and not blocks:
        return "no_text"
    if len(str(body.get("text", ""))) > MESSAGE_TEXT:
        return "msg_too_long"
    try:
        _blocks(blocks, MESSAGE_BLOCKS, MESSAGE_BLOCK_TYPES)
    except Invalid:
        return "invalid_blocks"
    if sum(len(t) for b in blocks for t in _texts(b)) > MESSAGE_BLOCK_TEXT:
        return "msg_blocks_too_long"
    return None


def check_view(view: Any) -> str | None:
    """None, or why views.open / views.update / views.publish would refuse this view."""
    if not isinstance(view, dict):
        return "invalid_arguments: view is not an object"
    try:
        kind = view.get("type")
        if kind not in ("modal", "home"):
            raise Invalid(f"view type {kind!r}")
        if kind == "modal":
            _plain(view.get("title"), VIEW_TITLE, "title", required=True)
            _plain(view.get("submit"), VIEW_BUTTON, "submit")
            _plain(view.get("close"), VIEW_BUTTON, "close")
            if any(b.get("type") == "input" for b in view.get("blocks", [])) and not view.get("submit"):
                raise Invalid("a modal with inputs needs a submit button")
        _limit(view.get("private_metadata", ""), PRIVATE_METADATA, "private_metadata")
        _limit(view.get("callback_id", ""), CALLBACK_ID, "callback_id")
        _blocks(view.get("blocks", []), VIEW_BLOCKS, VIEW_BLOCK_TYPES)
    except Invalid as exc:
        return f"invalid_arguments: {exc}"
    return None


def _blocks(blocks: Any, most: int, allowed: set[str]) -> None:
    if not isinstance(blocks, list):
        raise Invalid("blocks is not a list")
    if len(blocks) > most:
        raise Invalid(f"{len(blocks)} blocks (at most {most})")
    ids: set[str] = set()
    for n, block in enumerate(blocks):
        kind = block.get("type")
        if kind not in allowed:
            raise Invalid(f"block {n}: type {kind!r} not allowed here")
        block_id = block.get("block_id")
        if block_id is not None:
            _limit(block_id, BLOCK_ID, f"block {n} block_id")
            if block_id in ids:
                raise Invalid(f"block {n}: duplicate block_id {block_id!r}")
            ids.add(block_id)
        CHECKS.get(kind, lambda b, n: None)(block, n)


def _section(block: dict[str, Any], n: int) -> None:
    if block.get("text") is None and not block.get("fields"):
        raise Invalid(f"block {n}: a section needs text or fields")
    if block.get("text") is not None:
        _text(block["text"], SECTION_TEXT, f"block {n} text")
    fields = block.get("fields") or []
    if len(fields) > SECTION_FIELDS:
        raise Invalid(f"block {n}: {len(fields)} fields")
    for f in fields:
        _text(f, FIELD_TEXT, f"block {n} field")
    if block.get("accessory") is not None:
        _element(block["accessory"], f"block {n} accessory")


def _context(block: dict[str, Any], n: int) -> None:
    elements = block.get("elements") or []
    if not elements or len(elements) > CONTEXT_ELEMENTS:
        raise Invalid(f"block {n}: context needs 1-{CONTEXT_ELEMENTS} elements")
    for e in elements:
        if e.get("type") in ("mrkdwn", "plain_text"):
            _text(e, SECTION_TEXT, f"block {n} context text")


def _actions(block: dict[str, Any], n: int) -> None:
    elements = block.get("elements") or []
    if not elements or len(elements) > ACTIONS_ELEMENTS:
        raise Invalid(f"block {n}: actions needs 1-{ACTIONS_ELEMENTS} elements")
    _unique_actions(elements, n)
    for e in elements:
        _element(e, f"block {n}")


def _context_actions(block: dict[str, Any], n: int) -> None:
    elements = block.get("elements") or []
    if not elements or len(elements) > CONTEXT_ACTIONS_ELEMENTS:
        raise Invalid(f"block {n}: context_actions needs 1-{CONTEXT_ACTIONS_ELEMENTS} elements")
    _unique_actions(elements, n)
    for e in elements:
        if e.get("type") == "feedback_buttons":
            _limit(e.get("action_id", ""), ACTION_ID, "action_id")
            for side in ("positive_button", "negative_button"):
                button = e.get(side)
                if not isinstance(button, dict):
                    raise Invalid(f"block {n}: feedback_buttons needs {side}")
                _plain(button.get("text"), BUTTON_TEXT, f"{side} text", required=True)
                _limit(button.get("value", ""), BUTTON_VALUE, f"{side} value")
                if not button.get("value"):
                    raise Invalid(f"block {n}: {side} needs a value")
                _limit(button.get("accessibility_label", ""), BUTTON_TEXT, f"{side} accessibility_label")
        elif e.get("type") != "icon_button":
            raise Invalid(f"block {n}: context_actions takes feedback_buttons or icon_button")


def _header(block: dict[str, Any], n: int) -> None:
    _plain(block.get("text"), HEADER_TEXT, f"block {n} header", required=True)


def _input(block: dict[str, Any], n: int) -> None:
    _plain(block.get("label"), INPUT_LABEL, f"block {n} label", required=True)
    _plain(block.get("hint"), INPUT_HINT, f"block {n} hint")
    if not isinstance(block.get("element"), dict):
        raise Invalid(f"block {n}: an input needs an element")
    _element(block["element"], f"block {n} element")


CHECKS = {
    "section": _section,
    "context": _context,
    "actions": _actions,
    "context_actions": _context_actions,
    "header": _header,
    "input": _input,
}


def _element(e: Any, where: str) -> None:
    if not isinstance(e, dict):
        raise Invalid(f"{where}: element is not an object")
    kind = e.get("type")
    _limit(e.get("action_id", ""), ACTION_ID, f"{where} action_id")
    if kind == "button":
        _plain(e.get("text"), BUTTON_TEXT, f"{where} button text", required=True)
        _limit(e.get("value", ""), BUTTON_VALUE, f"{where} button value")
        _limit(e.get("url", ""), URL, f"{where} button url")
        if e.get("style") not in (None, "primary", "danger"):
            raise Invalid(f"{where}: button style {e.get('style')!r}")
        if e.get("confirm") is not None:
            _confirm(e["confirm"], where)
    elif kind in ("static_select", "multi_static_select"):
        _plain(e.get("placeholder"), PLACEHOLDER, f"{where} placeholder")
        options = e.get("options") or []
        groups = e.get("option_groups") or []
        if not options and not groups:
            raise Invalid(f"{where}: a select needs options")
        if len(options) > SELECT_OPTIONS:
            raise Invalid(f"{where}: {len(options)} options")
        for o in options:
            _option(o, where)
        if e.get("initial_option") is not None:
            _option(e["initial_option"], where)
    elif kind in ("checkboxes", "radio_buttons"):
        options = e.get("options") or []
        if not options or len(options) > CHECKBOX_OPTIONS:
            raise Invalid(f"{where}: {kind} needs 1-{CHECKBOX_OPTIONS} options")
        for o in options:
            _option(o, where)
        for o in e.get("initial_options") or []:
            _option(o, where)
    elif kind == "plain_text_input":
        _plain(e.get("placeholder"), PLACEHOLDER, f"{where} placeholder")
    elif kind in ("overflow", "datepicker", "users_select", "conversations_select", "channels_select", "image"):
        pass
    else:
        raise Invalid(f"{where}: unknown element type {kind!r}")


def _option(o: Any, where: str) -> None:
    if not isinstance(o, dict):
        raise Invalid(f"{where}: option is not an object")
    _text(o.get("text"), OPTION_TEXT, f"{where} option text")
    _limit(o.get("value", ""), OPTION_VALUE, f"{where} option value")
    if o.get("description") is not None:
        _text(o["description"], OPTION_DESCRIPTION, f"{where} option description")


def _confirm(c: Any, where: str) -> None:
    _plain(c.get("title"), 100, f"{where} confirm title", required=True)
    _text(c.get("text"), 300, f"{where} confirm text")
    _plain(c.get("confirm"), 30, f"{where} confirm button", required=True)
    _plain(c.get("deny"), 30, f"{where} deny button", required=True)


def _text(t: Any, most: int, where: str) -> None:
    if not isinstance(t, dict) or t.get("type") not in ("plain_text", "mrkdwn"):
        raise Invalid(f"{where}: not a text object")
    text = t.get("text")
    if not isinstance(text, str) or not text:
        raise Invalid(f"{where}: empty text")
    _limit(text, most, where)


def _plain(t: Any, most: int, where: str, *, required: bool = False) -> None:
    if t is None:
        if required:
            raise Invalid(f"{where}: missing")
        return
    if not isinstance(t, dict) or t.get("type") != "plain_text":
        raise Invalid(f"{where}: must be plain_text")
    _text(t, most, where)


def _limit(value: Any, most: int, where: str) -> None:
    if isinstance(value, str) and len(value) > most:
        raise Invalid(f"{where}: {len(value)} characters (at most {most})")


def _unique_actions(elements: list[dict[str, Any]], n: int) -> None:
    ids = [e.get("action_id") for e in elements if e.get("action_id")]
    if len(ids) != len(set(ids)):
        raise Invalid(f"block {n}: duplicate action_id")


def _texts(block: dict[str, Any]) -> list[str]:
    out = []
    if isinstance(block.get("text"), dict):
        out.append(block["text"].get("text", ""))
    for f in block.get("fields") or []:
        if isinstance(f, dict):
            out.append(f.get("text", ""))
    for element in block.get("elements", []) or []:
        if isinstance(element, dict) and isinstance(element.get("text"), str):
            out.append(element["text"])
    return out
