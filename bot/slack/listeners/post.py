"""The one set of ways Pathfinder speaks in Slack: post, update, status, DM, file, and the
apology when work after the ack fails. Each returns whether Slack took it, logs only the error
code (never text or people), and never raises: the caller decides what a failure means (an
apology, no audit entry), and no exception ever reaches a person."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.observability import metrics
from bot.slack.blocks.common import Block, text_message

log = logging.getLogger(__name__)

Message = tuple[str, list[Block]]
Metadata = dict[str, Any]  # Slack message metadata: {"event_type": ..., "event_payload": {...}}
FIND_PAGES = 10
APOLOGY = "Sorry, something went wrong on my side while answering. Please ask me again in a minute."
RESTARTING = "Sorry, I was restarting and couldn't answer that. Please ask again."
STATUS = "is thinking…"
LOADING = [
    "Reading your question…",
    "Checking eligibility, criterion by criterion…",
    "Looking up sources and review dates…",
]


def _carries(message: dict[str, Any], metadata: Metadata) -> bool:
    found = message.get("metadata") or {}
    return all(found.get(k) == metadata[k] for k in ("event_type", "event_payload"))


def _error(method: str, exc: Exception) -> str:
    """The error code of a failed call (counted by method and code), never its message."""
    if isinstance(exc, SlackApiError):
        code = str(exc.response.get("error") or "error")
    else:
        code = exc.__class__.__name__
    metrics.SLACK_API_ERRORS.labels(method, metrics.bounded(code)).inc()
    return code


class Poster:
    """Speaks through one WebClient."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def post(self, channel: str, message: Message, *, thread_ts: str | None = None, metadata: Metadata | None = None) -> str | None:  # fmt: skip
        """Post a message (with Slack message metadata, if given); its ts, or None if refused."""
        text, blocks = message
        try:
            response = self.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=text, blocks=blocks, metadata=metadata
            )
        except Exception as exc:  # noqa: BLE001 - SlackApiError or a dropped connection
            log.warning("chat.postMessage failed: %s", _error("chat.postMessage", exc))
            return None
        return str(response.get("ts")) if response.get("ts") else None

    def update(self, channel: str, ts: str, message: Message, *, metadata: Metadata | None = None) -> bool:  # fmt: skip
        text, blocks = message
        try:
            self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks, metadata=metadata)
        except Exception as exc:  # noqa: BLE001
            log.warning("chat.update failed: %s", _error("chat.update", exc))
            return False
        return True

    def reply(self, channel: str, message: Message, *, thread_ts: str | None, replace: str | None,
              metadata: Metadata | None = None) -> bool:  # fmt: skip
        """Replace the placeholder `replace` if there is one, else post (in `thread_ts`). If the
        update fails, post instead: a reply nobody sees is worse than a stale placeholder."""
        if replace is not None and self.update(channel, replace, message, metadata=metadata):
            return True
        return self.post(channel, message, thread_ts=thread_ts, metadata=metadata) is not None

    def find(self, channel: str, *, thread_ts: str | None, oldest: str, metadata: Metadata) -> bool:
        """Whether a message carrying exactly `metadata` is in the thread `thread_ts` (else in the
        channel from `oldest` on). Raises if Slack can't say: the caller must not guess."""
        cursor: str | None = None
        for _ in range(FIND_PAGES):
            if thread_ts is not None:
                page = self.client.conversations_replies(
                    channel=channel, ts=thread_ts, include_all_metadata=True, limit=200, cursor=cursor
                )
            else:
                page = self.client.conversations_history(
                    channel=channel, oldest=oldest, inclusive=True, include_all_metadata=True,
                    limit=200, cursor=cursor,
                )  # fmt: skip
            if any(_carries(m, metadata) for m in page.get("messages") or []):
                return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return False
        raise LookupError("too many messages to search")

    def status(self, channel: str, thread_ts: str, text: str = STATUS, *, loading: list[str] | None = None) -> bool:
        """The "is thinking…" status under the app's name (cleared by the app's next message in the
        thread, by an empty status, or by Slack after two minutes). False where Slack refuses it."""
        try:
            self.client.assistant_threads_setStatus(
                channel_id=channel,
                thread_ts=thread_ts,
                status=text,
                loading_messages=loading if text else None,
            )
        except Exception as exc:  # noqa: BLE001
            log.info("assistant.threads.setStatus unavailable: %s", _error("assistant.threads.setStatus", exc))
            return False
        return True

    def prompts(self, channel: str, prompts: list[dict[str, str]], *, thread_ts: str | None = None, title: str | None = None) -> bool:
        try:
            self.client.assistant_threads_setSuggestedPrompts(
                channel_id=channel, thread_ts=thread_ts, prompts=prompts[:4], title=title
            )
        except Exception as exc:  # noqa: BLE001
            log.info("assistant.threads.setSuggestedPrompts failed: %s", _error("assistant.threads.setSuggestedPrompts", exc))
            return False
        return True

    def title(self, channel: str, thread_ts: str, title: str) -> bool:
        try:
            self.client.assistant_threads_setTitle(channel_id=channel, thread_ts=thread_ts, title=title)
        except Exception as exc:  # noqa: BLE001
            log.info("assistant.threads.setTitle failed: %s", _error("assistant.threads.setTitle", exc))
            return False
        return True

    def dm_channel(self, user_id: str) -> str | None:
        try:
            return str(self.client.conversations_open(users=user_id)["channel"]["id"])
        except Exception as exc:  # noqa: BLE001
            log.warning("conversations.open failed: %s", _error("conversations.open", exc))
            return None

    def dm(self, user_id: str, text: str) -> bool:
        channel = self.dm_channel(user_id)
        return channel is not None and self.post(channel, text_message(text)) is not None

    def ephemeral(self, channel: str, user_id: str, text: str) -> bool:
        message, blocks = text_message(text)
        try:
            self.client.chat_postEphemeral(channel=channel, user=user_id, text=message, blocks=blocks)
        except Exception as exc:  # noqa: BLE001
            log.warning("chat.postEphemeral failed: %s", _error("chat.postEphemeral", exc))
            return False
        return True

    def tell(self, body: dict[str, Any], user_id: str, text: str) -> bool:
        """Tell the person who clicked something, where they clicked it: privately in the channel,
        else (App Home, modals) in our DM."""
        channel = (body.get("channel") or {}).get("id") if isinstance(body.get("channel"), dict) else None
        if channel and self.ephemeral(str(channel), user_id, text):
            return True
        return self.dm(user_id, text)

    def dm_file(self, user_id: str, *, content: str, filename: str, title: str, comment: str) -> bool:
        """A file in the person's DM; True only once Slack has it."""
        channel = self.dm_channel(user_id)
        if channel is None:
            return False
        try:
            self.client.files_upload_v2(
                channel=channel, content=content, filename=filename, title=title, initial_comment=comment
            )
        except Exception as exc:  # noqa: BLE001
            log.warning("file upload failed: %s", _error("files.uploadV2", exc))
            return False
        return True

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> bool:
        try:
            self.client.views_open(trigger_id=trigger_id, view=view)
        except Exception as exc:  # noqa: BLE001
            log.warning("views.open failed: %s", _error("views.open", exc))
            return False
        return True

    def update_view(self, view_id: str, view: dict[str, Any], *, hash_: str | None = None) -> bool:
        try:
            self.client.views_update(view_id=view_id, view=view, hash=hash_)
        except Exception as exc:  # noqa: BLE001
            log.info("views.update failed: %s", _error("views.update", exc))
            return False
        return True

    def publish_home(self, user_id: str, view: dict[str, Any]) -> bool:
        try:
            self.client.views_publish(user_id=user_id, view=view)
        except Exception as exc:  # noqa: BLE001
            log.warning("views.publish failed: %s", _error("views.publish", exc))
            return False
        return True
