"""Slack listeners. Each parses its payload into a small model, calls the service, renders with
the one renderer and returns; answering runs on the worker pool after Bolt has acked.

Exactly one reply per user message: before any work the event is claimed by `event_id` (retries)
and by `(channel, ts)` (the message/app_mention twin, and replicas sharing one database). Routing
decisions come first, so nothing is marked seen on a path that then discards the event.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.advice.reading import Profile
from bot.answering.contract import Answer
from bot.answering.conversation import Conversation
from bot.memory.store import (
    AnswerRecord,
    SavedProfile,
    claim,
    in_thread,
    joined_thread,
    load_conversation,
    record_feedback,
    save_turn,
    saved_profile,
)
from bot.slack import render
from bot.slack.blocks.answer import answer_message
from bot.slack.interests import handle_command, publish_home
from bot.slack.services import Services

log = logging.getLogger(__name__)

MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
HELP = (
    "I'm Pathfinder. Ask me about routes into NHS digital, data and AI work: fellowships, "
    "training programmes, professional registration and your regional network.\n\n"
    "Tell me your profession, grade or band, and where you work, for example:\n"
    "• _I'm an ST4 radiology registrar in London and want hands-on AI experience_\n"
    "• _Band 6 nurse in Leeds, keen to move into informatics_\n"
    "• _NHS data analyst in Nottingham: how do I get professional accreditation?_\n\n"
    "In a channel, mention me; in a DM, just ask; in a thread I've answered, reply without a mention. "
    "`/pathfinder QUESTION` answers privately; `/pathfinder profile` shows what I know about you.\n\n"
    "*Your data:* press *Register interest* under a programme to have your region's ISDN "
    "coordinator contact you (you'll see what is stored, and consent first). Your interests are "
    "on my Home tab; `/pathfinder my-data` sends you everything I hold about you, and "
    "`/pathfinder forget-me` erases it. Coordinators: `/pathfinder interests` exports your "
    "region's log to our DM."
)
RATE_LIMITED = (
    "You've asked a lot of questions in the last minute. Please give me a moment and try again."
)
BUSY = "I'm very busy right now and couldn't take your question. Please try again in a minute."
APOLOGY = "Sorry, something went wrong on my side while answering. Please try again in a moment."


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


def register(app: App, services: Services) -> None:
    """Attach every listener to the Bolt app."""

    @app.event("app_mention")
    def on_mention(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        msg = _parse(event)
        if msg is None or not _from_a_person(msg, services):
            return
        _answer_event(body, msg, client, services)

    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        msg = _parse(event)
        if msg is None or not _from_a_person(msg, services):
            return
        if msg.channel_type == "im":
            _answer_event(body, msg, client, services)
            return
        in_a_thread = msg.thread_ts is not None and msg.thread_ts != msg.ts
        mentions_me = f"<@{services.bot_user_id}" in msg.text
        if (
            in_a_thread
            and not mentions_me
            and msg.thread_ts
            and in_thread(services.engine, msg.channel, msg.thread_ts)
        ):
            _answer_event(body, msg, client, services)

    @app.command("/pathfinder")
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        text = (command.get("text") or "").strip()
        if handle_command(text, command, ack, client, services):
            return
        user, team = command.get("user_id", ""), command.get("team_id", "")
        if not text or text.lower() in ("help", "?"):
            ack(response_type="ephemeral", text=HELP)
            return
        if text.lower() == "profile":
            ack(response_type="ephemeral", text=_profile_text(services.engine, team, user))
            return
        if not services.limiter.allow(f"{team}:{user}"):
            ack(response_type="ephemeral", text=RATE_LIMITED)
            return
        ack(response_type="ephemeral", text="Checking the catalogue…")
        position = services.workers.submit(
            lambda: _answer_command(text, team, user, respond, services)
        )
        if position is None:
            respond(response_type="ephemeral", replace_original=True, text=BUSY)

    @app.action(re.compile(r"^feedback_(helpful|unhelpful)$"))
    def on_feedback(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        helpful = action.get("action_id") == "feedback_helpful"
        user = body.get("user", {})
        stored = record_feedback(
            services.engine,
            answer_id=str(action.get("value", ""))[:32],
            team_id=str(user.get("team_id") or body.get("team", {}).get("id", ""))[:32],
            user_id=str(user.get("id", ""))[:32],
            helpful=helpful,
        )
        if stored:
            respond(
                response_type="ephemeral",
                replace_original=False,
                text="Thanks: your feedback is recorded against this answer.",
            )

    @app.action("share_answer")
    def on_share(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        shared = services.shared.get(str(action.get("value", "")))
        channel = body.get("channel", {}).get("id")
        if shared is None or not channel:
            respond(
                response_type="ephemeral",
                replace_original=False,
                text="That answer has expired; please ask again.",
            )
            return
        text, blocks = shared
        user = body.get("user", {}).get("id", "")
        lead = render.context(
            f"Shared by <@{user}> from Pathfinder"
            if re.fullmatch(r"[UW][A-Z0-9]+", user)
            else "Shared from Pathfinder"
        )
        _post(
            client,
            channel=channel,
            text=text,
            blocks=[lead, *[b for b in blocks if b.get("type") != "actions"]],
        )

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        user = event.get("user")
        if user:
            publish_home(client, services.engine, context.get("team_id") or "", user)

    @app.action("edit_profile")
    def on_edit_profile(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user = body.get("user", {})
        saved = saved_profile(
            services.engine, team_id=str(user.get("team_id", "")), user_id=str(user.get("id", ""))
        )
        client.views_open(trigger_id=body["trigger_id"], view=render.profile_modal(saved))

    @app.view("profile_modal")
    def on_profile_saved(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        # Saved before the ack (a quick local write), so "Save" closing the form means saved.
        user = body.get("user", {})
        team, user_id = str(user.get("team_id", ""))[:32], str(user.get("id", ""))[:32]
        values = render.profile_values(view)
        with Session(services.engine) as session:
            row = session.get(SavedProfile, (team, user_id)) or SavedProfile(
                team_id=team, user_id=user_id
            )
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = render.now()
            session.add(row)
            session.commit()
        ack()
        publish_home(client, services.engine, team, user_id)

    @app.error
    def on_error(error: Exception) -> None:
        log.error("listener error: %s", error.__class__.__name__)


def _parse(event: dict[str, Any]) -> MessageEvent | None:
    try:
        return MessageEvent.model_validate(event)
    except ValidationError:
        log.info("ignored a malformed event")
        return None


def _from_a_person(msg: MessageEvent, services: Services) -> bool:
    """Not ourselves, not another bot, not an edit, delete, join or other subtype."""
    if msg.subtype is not None or msg.bot_id is not None or not msg.user:
        return False
    return msg.user not in (services.bot_user_id, "USLACKBOT")


def _answer_event(
    body: dict[str, Any], msg: MessageEvent, client: WebClient, services: Services
) -> None:
    event_id = str(body.get("event_id") or "")
    if event_id and not claim(services.engine, f"event:{event_id}"):
        return  # a retry of a delivery already being answered
    if not claim(services.engine, f"msg:{msg.channel}:{msg.ts}"):
        return  # the twin (message + app_mention), or another replica took it
    question = MENTION.sub(" ", msg.text).strip()
    thread = None if msg.channel_type == "im" else (msg.thread_ts or msg.ts)
    team = str(body.get("team_id") or "")
    if not question:
        _post(client, channel=msg.channel, thread_ts=thread, **_pair(render.text_message(HELP)))
        return
    if not services.limiter.allow(f"{team}:{msg.user}"):
        _post(
            client,
            channel=msg.channel,
            thread_ts=thread,
            **_pair(render.text_message(RATE_LIMITED)),
        )
        return
    waiting = services.workers.waiting()
    text, blocks = render.placeholder()
    if waiting:
        text, blocks = render.text_message(
            f"You're in a queue: {waiting} question(s) ahead of yours. I'll answer here shortly."
        )
    placeholder_ts = _post(client, channel=msg.channel, thread_ts=thread, text=text, blocks=blocks)
    if placeholder_ts is None:
        return  # Slack refused the post (logged); posting again would be a blind retry
    key = f"{msg.channel}:{thread or msg.channel}"

    def job() -> None:
        _answer_and_update(
            question,
            client,
            msg.channel,
            thread,
            placeholder_ts,
            team,
            str(msg.user),
            key,
            services,
        )

    if services.workers.submit(job) is None:
        _update_or_post(client, msg.channel, thread, placeholder_ts, *render.text_message(BUSY))


def _answer_and_update(
    question: str,
    client: WebClient,
    channel: str,
    thread: str | None,
    placeholder_ts: str | None,
    team: str,
    user: str,
    key: str,
    services: Services,
) -> None:
    try:
        conversation = load_conversation(services.engine, key)
        if conversation.profile is None:
            conversation.profile = _saved_profile(services.engine, team, user)
        answer = _ask_and_keep(question, conversation, key, team, user, services)
        answer_id = _remember(services.engine, answer, team, channel)
        text, blocks = answer_message(answer, answer_id=answer_id)
    except Exception:  # noqa: BLE001 - a fixed apology to the person, the error to the log
        log.exception("answering failed")
        text, blocks = render.text_message(APOLOGY)
    _update_or_post(client, channel, thread, placeholder_ts, text, blocks)
    if thread is not None:
        joined_thread(services.engine, channel, thread)


def _answer_command(text: str, team: str, user: str, respond: Respond, services: Services) -> None:
    try:
        key = f"command:{team}:{user}"
        conversation = load_conversation(services.engine, key)
        if conversation.profile is None:
            conversation.profile = _saved_profile(services.engine, team, user)
        answer = _ask_and_keep(text, conversation, key, team, user, services)
        answer_id = _remember(services.engine, answer, team, "command")
        reply_text, blocks = answer_message(answer, answer_id=answer_id, ephemeral=True)
        services.shared[answer_id] = (reply_text, blocks)
        if len(services.shared) > 500:
            services.shared.pop(next(iter(services.shared)))
    except Exception:  # noqa: BLE001
        log.exception("answering a command failed")
        reply_text, blocks = render.text_message(APOLOGY)
    respond(response_type="ephemeral", replace_original=True, text=reply_text, blocks=blocks)


def _ask_and_keep(
    question: str, conversation: Conversation, key: str, team: str, user: str, services: Services
) -> Answer:
    """Answer, and persist the turn the answer added (refusals add none)."""
    before = conversation.turns[-1] if conversation.turns else None
    answer = services.service.ask(question, conversation=conversation)
    if conversation.turns and conversation.turns[-1] is not before:
        save_turn(services.engine, key=key, team_id=team, user_id=user, conversation=conversation)
    return answer


def _remember(engine: Engine, answer: Answer, team: str, channel: str) -> str:
    answer_id = secrets.token_hex(8)
    with Session(engine) as session:
        session.add(
            AnswerRecord(
                id=answer_id,
                team_id=team[:32],
                channel=channel[:32],
                responder=answer.responder,
                catalogue_version=answer.catalogue_version,
                prompt_version=answer.prompt_version,
                suggestions=",".join(s.id for s in answer.suggestions)[:400],
            )
        )
        session.commit()
    return answer_id


def _pair(message: tuple[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {"text": message[0], "blocks": message[1]}


def _post(
    client: WebClient,
    *,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]],
    thread_ts: str | None = None,
) -> str | None:
    try:
        response = client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=text, blocks=blocks
        )
        return str(response.get("ts")) if response.get("ts") else None
    except SlackApiError as exc:
        log.warning("chat.postMessage failed: %s", exc.response.get("error"))
        return None


def _update_or_post(
    client: WebClient,
    channel: str,
    thread: str | None,
    ts: str | None,
    text: str,
    blocks: list[dict[str, Any]],
) -> None:
    if ts is not None:
        try:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
            return
        except SlackApiError as exc:
            log.warning("chat.update failed: %s", exc.response.get("error"))
            return
    _post(client, channel=channel, thread_ts=thread, text=text, blocks=blocks)


def _saved_profile(engine: Engine, team: str, user: str) -> Profile | None:
    row = saved_profile(engine, team_id=team, user_id=user)
    if row is None:
        return None
    return Profile(
        profession=row.profession,
        stage=row.stage,
        stage_year=row.stage_year,
        band=row.band,
        region=row.region,
        nation=row.nation or ("England" if row.region else None),
    )


def _profile_text(engine: Engine, team: str, user: str) -> str:
    return (
        render.profile_summary(saved_profile(engine, team_id=team, user_id=user))
        + "\n\nEdit it on my Home tab."
    )


__all__ = ["HELP", "register"]
