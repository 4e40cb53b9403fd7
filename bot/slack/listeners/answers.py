"""What people do with an answer: Slack's native feedback buttons, Details (a modal built from the
stored answer), and Share in channel (a private answer posted for everyone). All three read the
stored answer record, so they work on any replica and after a restart; after forget-me the record
is gone and they say so."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.memory.store import answer_record, record_feedback
from bot.services import Services
from bot.slack.blocks.answer import answer_message, details_modal
from bot.slack.blocks.common import context, fit
from bot.slack.inbound import action_value, channel_of, identity
from bot.slack.listeners.post import Poster

log = logging.getLogger(__name__)

GONE = "I no longer hold that answer (it may have been erased). Please ask me again."
NOT_IN_ANSWER = "That programme isn't part of this answer. Please ask me about it by name."


def register(app: App, services: Services) -> None:
    @app.action("answer_feedback")
    def on_feedback(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        person = identity(body)
        direction, _, answer_id = str(action.get("value") or "").partition(":")
        if person is None or direction not in ("up", "down"):
            return
        try:
            stored = record_feedback(
                services.engine,
                answer_id=answer_id[:32],
                team_id=person.team_id,
                user_id=person.user_id,
                helpful=direction == "up",
            )
        except Exception:  # noqa: BLE001
            log.error("recording feedback failed")
            Poster(client).tell(body, person.user_id, "Sorry, I couldn't record that. Please try again later.")
            return
        Poster(client).tell(
            body,
            person.user_id,
            "Thanks: your feedback is recorded against this answer." if stored else GONE,
        )

    @app.action("answer_details")
    def on_details(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        person = identity(body)
        if person is None:
            return
        poster = Poster(client)
        wanted = action_value(action)
        found = answer_record(services.engine, str(wanted.get("a") or ""))
        if found is None:
            poster.tell(body, person.user_id, GONE)
            return
        view = details_modal(found[1], str(wanted.get("p") or ""))
        if view is None:
            poster.tell(body, person.user_id, NOT_IN_ANSWER)
        elif not body.get("trigger_id") or not poster.open_view(str(body["trigger_id"]), view):
            poster.tell(body, person.user_id, "Sorry, I couldn't open the details just now. Please press Details again.")

    @app.action("share_answer")
    def on_share(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        person = identity(body)
        channel = channel_of(body)
        if person is None:
            return
        poster = Poster(client)
        found = answer_record(services.engine, str(action.get("value") or ""))
        if found is None or channel is None:
            poster.tell(body, person.user_id, GONE)
            return
        record, answer = found
        if (record.team_id, record.user_id) != (person.team_id, person.user_id):
            poster.tell(body, person.user_id, "Only the person who asked can share this answer.")
            return
        text, blocks = answer_message(answer, answer_id=record.id)
        lead = context(f"Shared by <@{person.user_id}> from Pathfinder")
        if poster.post(channel, (text, fit([lead, *blocks]))) is None:
            poster.tell(body, person.user_id, "Sorry, I couldn't share it here (am I in this channel?). Nothing was posted.")
