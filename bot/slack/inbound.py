"""What arrives from Slack, as small typed models, and one identity function for every kind.

Identity is only ever read from the verified payload: never from a button's value, a modal's
metadata or message text. On Enterprise Grid a person's user id is the same in every workspace
of the organisation, so the organisation (the enterprise id) is the key; elsewhere the workspace.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

log = logging.getLogger(__name__)

SLACK_ID = re.compile(r"^[A-Z0-9]{2,32}$")
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


class Person(BaseModel):
    """Who is acting: the organisation key (enterprise on Grid, else workspace) and user id."""

    model_config = ConfigDict(frozen=True)

    team_id: str
    user_id: str


def person_key(*, team_id: str | None, enterprise_id: str | None) -> str | None:
    """The organisation a user id is unique within: the Grid enterprise, else the workspace."""
    key = enterprise_id or team_id
    return key if key and SLACK_ID.match(key) else None


def identity(body: dict[str, Any], *, user_id: str | None = None) -> Person | None:
    """The person acting, for events, commands, interactions and view submissions alike.

    None when the payload names no well-formed user or organisation: the caller then does
    nothing that needs a person (and says so, where it can)."""
    user, event = _dict(body, "user"), _dict(body, "event")
    uid = user_id or user.get("id") or body.get("user_id") or event.get("user")
    team, enterprise = _dict(body, "team"), _dict(body, "enterprise")
    enterprise_id = enterprise.get("id") or body.get("enterprise_id") or _authorised_enterprise(body)
    team_id = (
        user.get("team_id") or team.get("id") or body.get("team_id") or event.get("user_team")
    )
    org = person_key(team_id=_str(team_id), enterprise_id=_str(enterprise_id))
    uid = _str(uid)
    if org is None or not uid or not SLACK_ID.match(uid):
        return None
    return Person(team_id=org, user_id=uid)


def _dict(body: dict[str, Any], key: str) -> dict[str, Any]:
    found = body.get(key)
    return found if isinstance(found, dict) else {}


def _authorised_enterprise(body: dict[str, Any]) -> str | None:
    for auth in body.get("authorizations") or []:
        if isinstance(auth, dict) and auth.get("enterprise_id"):
            return str(auth["enterprise_id"])
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class MessageEvent(BaseModel):
    """The fields of a message or app_mention event that Pathfinder uses."""

    model_config = ConfigDict(extra="ignore")

    type: str
    user: str | None = None
    text: str = ""
    channel: str
    ts: str
    thread_ts: str | None = None
    channel_type: str | None = None
    subtype: str | None = None
    bot_id: str | None = None

    @property
    def in_a_thread(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    @property
    def is_dm(self) -> bool:
        return self.channel_type == "im"

    def question(self) -> str:
        """The message without mentions of anyone (ours included)."""
        return MENTION.sub(" ", self.text).strip()


def message_event(event: dict[str, Any]) -> MessageEvent | None:
    try:
        return MessageEvent.model_validate(event)
    except ValidationError:
        log.info("ignored a malformed event")
        return None


def action_value(action: dict[str, Any]) -> dict[str, Any]:
    """A button's JSON value as a dict ({} if it is not one): data to check, never identity."""
    try:
        parsed = json.loads(str(action.get("value") or "{}"))
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def channel_of(body: dict[str, Any]) -> str | None:
    """The conversation an interaction came from (None on App Home and in modals)."""
    found = _dict(body, "channel").get("id") or body.get("channel_id")
    return found if isinstance(found, str) and SLACK_ID.match(found) else None
