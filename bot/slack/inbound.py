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
    """Who is acting: `team_id` is the key their rows are stored under (the Grid enterprise, else
    the workspace); the enterprise and workspace ids as the payload gave them travel along, so
    my-data and forget-me also find rows stored under the workspace id."""

    model_config = ConfigDict(frozen=True)

    team_id: str
    user_id: str
    enterprise_id: str | None = None
    workspace_id: str | None = None

    def ids(self) -> dict[str, Any]:
        """The ids `bot.interests.rights.subject_data` and `erase` take."""
        return {"team_id": self.workspace_id or self.team_id, "enterprise_id": self.enterprise_id,
                "user_id": self.user_id}  # fmt: skip


def person_key(*, team_id: str | None, enterprise_id: str | None) -> str | None:
    """The organisation a user id is unique within: the Grid enterprise, else the workspace."""
    key = enterprise_id or team_id
    return key if key and SLACK_ID.match(key) else None


def identity(body: dict[str, Any], *, user_id: str | None = None) -> Person | None:
    """The person acting, for events, commands, interactions and view submissions alike.

    On Enterprise Grid the enterprise id arrives in different places per payload kind (an
    `enterprise` object or string, `authorizations`, a top-level `enterprise_id` on events and
    commands, `team.enterprise_id` on view submissions), as Bolt reads it; every kind gives the
    same person. None when the payload names no well-formed user or organisation: the caller then
    does nothing that needs a person (and says so, where it can)."""
    user, event, team = _dict(body, "user"), _dict(body, "event"), _dict(body, "team")
    uid = _str(user_id or user.get("id") or body.get("user_id") or event.get("user"))
    enterprise = _id(_enterprise(body, team))
    workspace = _id(user.get("team_id") or team.get("id") or body.get("team_id")
                    or event.get("user_team") or _dict(body, "view").get("team_id"))  # fmt: skip
    org = person_key(team_id=workspace, enterprise_id=enterprise)
    if org is None or not uid or not SLACK_ID.match(uid):
        return None
    return Person(team_id=org, user_id=uid, enterprise_id=enterprise, workspace_id=workspace)


def _enterprise(body: dict[str, Any], team: dict[str, Any]) -> Any:
    found = body.get("enterprise")
    if isinstance(found, dict):
        found = found.get("id")
    return (
        found
        or _authorised_enterprise(body)
        or body.get("enterprise_id")
        or team.get("enterprise_id")
        or body.get("context_enterprise_id")
    )


def _id(value: Any) -> str | None:
    return value if isinstance(value, str) and SLACK_ID.match(value) else None


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
