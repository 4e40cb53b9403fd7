"""The one set of ways Pathfinder speaks in Slack: post, update, status, DM, file, and the
apology when work after the ack fails. Each returns whether Slack took it, logs only the error
code (never text or people), and never raises: the caller decides what a failure means (an
apology, no audit entry), and no exception ever reaches a person."""

from __future__ import annotations

import logging
from collections.abc import Callable
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

    def _call(self, method: str, call: Callable[..., Any], *, level: int = logging.WARNING, **kwargs: Any) -> Any:
        """One Web API call; its response, or None if Slack refused it or the connection
        dropped (logged, and counted, by method and error code: never the message)."""
        try:
            return call(**kwargs)
        except Exception as exc:  # noqa: BLE001 - SlackApiError or a dropped connection
            log.log(level, "%s failed: %s", method, _error(method, exc))
            return None

    def post(self, channel: str, message: Message, *, thread_ts: str | None = None, metadata: Metadata | None = None) -> str | None:  # fmt: skip
        """Post a message (with Slack message metadata, if given); its ts, or None if refused."""
        text, blocks = message
        response = self._call("chat.postMessage", self.client.chat_postMessage, channel=channel,
                              thread_ts=thread_ts, text=text, blocks=blocks, metadata=metadata)  # fmt: skip
        return str(response.get("ts")) if response is not None and response.get("ts") else None

    def update(self, channel: str, ts: str, message: Message, *, metadata: Metadata | None = None) -> bool:  # fmt: skip
        text, blocks = message
        return self._call("chat.update", self.client.chat_update, channel=channel, ts=ts, text=text,
                          blocks=blocks, metadata=metadata) is not None  # fmt: skip

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
        return self._call("assistant.threads.setStatus", self.client.assistant_threads_setStatus,
                          level=logging.INFO, channel_id=channel, thread_ts=thread_ts, status=text,
                          loading_messages=loading if text else None) is not None  # fmt: skip

    def prompts(self, channel: str, prompts: list[dict[str, str]], *, thread_ts: str | None = None, title: str | None = None) -> bool:
        return self._call("assistant.threads.setSuggestedPrompts", self.client.assistant_threads_setSuggestedPrompts,
                          level=logging.INFO, channel_id=channel, thread_ts=thread_ts, prompts=prompts[:4],
                          title=title) is not None  # fmt: skip

    def title(self, channel: str, thread_ts: str, title: str) -> bool:
        return self._call("assistant.threads.setTitle", self.client.assistant_threads_setTitle,
                          level=logging.INFO, channel_id=channel, thread_ts=thread_ts, title=title) is not None  # fmt: skip

    def dm_channel(self, user_id: str) -> str | None:
        response = self._call("conversations.open", self.client.conversations_open, users=user_id)
        return str(response["channel"]["id"]) if response is not None else None

    def dm(self, user_id: str, text: str) -> bool:
        channel = self.dm_channel(user_id)
        return channel is not None and self.post(channel, text_message(text)) is not None

    def ephemeral(self, channel: str, user_id: str, text: str) -> bool:
        message, blocks = text_message(text)
        return self._call("chat.postEphemeral", self.client.chat_postEphemeral, channel=channel,
                          user=user_id, text=message, blocks=blocks) is not None  # fmt: skip

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
        return self._call("files.uploadV2", self.client.files_upload_v2, channel=channel, content=content,
                          filename=filename, title=title, initial_comment=comment) is not None  # fmt: skip

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> bool:
        return self._call("views.open", self.client.views_open, trigger_id=trigger_id, view=view) is not None

    def update_view(self, view_id: str, view: dict[str, Any], *, hash_: str | None = None) -> bool:
        return self._call("views.update", self.client.views_update, level=logging.INFO,
                          view_id=view_id, view=view, hash=hash_) is not None  # fmt: skip

    def publish_home(self, user_id: str, view: dict[str, Any]) -> bool:
        return self._call("views.publish", self.client.views_publish, user_id=user_id, view=view) is not None
