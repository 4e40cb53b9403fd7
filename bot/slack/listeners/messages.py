"""Questions in messages: @mentions in channels, DMs (and the assistant / agent view's threads),
and follow-ups in threads Pathfinder has answered in.

The listener decides, claims, shows the "is thinking…" status and hands the question over
(`services.answers`): the answer is composed after Bolt has acked, on this process's worker pool
(SQLite) or by a `pathfinder worker` from the durable queue (PostgreSQL). A placeholder message is posted only where
Slack refuses the status. Each person's question is read with their own saved profile and their
own earlier turns: in a shared thread, nothing one person said reaches another's answer.
"""

from __future__ import annotations

import logging
import secrets
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.answering.contract import Answer
from bot.answering.text import render
from bot.jobs.answers import AnswerRequest
from bot.memory.store import (
    load_conversation,
    mark_profile_used,
    profile_of,
    remember_answer,
    save_turn,
    utcnow,
)
from bot.observability import timings
from bot.services import Services
from bot.slack.blocks.answer import answer_message
from bot.slack.blocks.common import clip, context, text_message
from bot.slack.blocks.home import HELP, PROMPTS
from bot.slack.dedup import first_delivery, in_thread, joined_thread, left_thread
from bot.slack.inbound import MessageEvent, Person, identity, message_event
from bot.slack.listeners.home import saved_for
from bot.slack.listeners.post import APOLOGY, LOADING, RESTARTING, STATUS, Message, Metadata, Poster

log = logging.getLogger(__name__)

RATE_LIMITED = "You've asked a lot of questions in the last minute. Please give me a moment and try again."
BUSY = "I'm very busy right now and couldn't take your question. Please try again in a minute."
TITLE = 60  # a thread title is a line in Slack's history list


@dataclass(frozen=True)
class Question:
    """One question to answer, and where the reply goes."""

    text: str
    person: Person
    channel: str
    reply_thread: str | None  # None: a top-level reply (a DM outside a thread)
    status_thread: str  # where the "is thinking…" status shows
    conversation_key: str  # this person's own conversation here
    assistant_thread: bool = False  # a DM thread in the assistant / agent view
    asked_at: datetime = field(default_factory=utcnow)  # forget-me after this: nothing is kept


def register(app: App, services: Services, *, bot_user_id: str) -> None:
    @app.event("app_mention")
    def on_mention(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        msg = message_event(event)
        if msg is not None and _from_a_person(msg, bot_user_id) and not msg.is_dm:
            _take(body, msg, Poster(client), services)

    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        msg = message_event(event)
        if msg is None or not _from_a_person(msg, bot_user_id):
            return
        if msg.is_dm:
            _take(body, msg, Poster(client), services)
        elif (
            msg.in_a_thread
            and f"<@{bot_user_id}" not in msg.text  # a mention: on_mention answers it
            and msg.thread_ts
            and in_thread(services.engine, msg.channel, msg.thread_ts)
        ):
            _take(body, msg, Poster(client), services)

    @app.event("assistant_thread_started")
    def on_thread_started(event: dict[str, Any], client: WebClient) -> None:
        thread = event.get("assistant_thread") or {}
        channel, ts = thread.get("channel_id"), thread.get("thread_ts")
        if isinstance(channel, str) and isinstance(ts, str):
            Poster(client).prompts(channel, PROMPTS, thread_ts=ts, title="Try asking me")

    @app.event("assistant_thread_context_changed")
    def on_context_changed() -> None:
        """Pathfinder doesn't use the channel the person is viewing; acknowledged, not stored."""


def _from_a_person(msg: MessageEvent, bot_user_id: str) -> bool:
    """Not ourselves, not another bot, not an edit, delete, join or other subtype."""
    if msg.subtype is not None or msg.bot_id is not None or not msg.user:
        return False
    return msg.user not in (bot_user_id, "USLACKBOT")


def _take(body: dict[str, Any], msg: MessageEvent, poster: Poster, services: Services) -> None:
    """Claim the message, show that it is being answered, and hand it over to be answered."""
    person = identity(body, user_id=msg.user)
    if person is None:
        return
    event_id = body.get("event_id")
    if not first_delivery(
        services.engine, event_id=str(event_id) if event_id else None, channel=msg.channel, ts=msg.ts
    ):
        return
    timings.question_taken()
    request = AnswerRequest(text=msg.question(), team_id=person.team_id, user_id=person.user_id,
                            channel=msg.channel, ts=msg.ts, thread_ts=msg.thread_ts, dm=msg.is_dm)  # fmt: skip
    question = question_of(request)
    if not question.text:
        poster.post(msg.channel, text_message(HELP), thread_ts=question.reply_thread)
        return
    if not services.limiter.allow(f"{person.team_id}:{person.user_id}"):
        poster.post(msg.channel, text_message(RATE_LIMITED), thread_ts=question.reply_thread)
        return
    waiting = services.answers.waiting()
    status = STATUS if not waiting else f"is answering {waiting} question(s) ahead of yours…"
    placeholder: str | None = None
    if not poster.status(msg.channel, question.status_thread, status, loading=LOADING):
        placeholder = poster.post(msg.channel, _placeholder(waiting), thread_ts=question.reply_thread)
        if placeholder is None:
            return  # Slack refused the post (logged); posting again would be a blind retry
    timings.first_response()
    if services.answers.submit(request.model_copy(update={"placeholder": placeholder})) is None:
        poster.reply(msg.channel, text_message(BUSY), thread_ts=question.reply_thread, replace=placeholder)


def question_of(request: AnswerRequest) -> Question:
    """The question a request asks, and where its reply and status go."""
    person = Person(team_id=request.team_id, user_id=request.user_id)
    if request.dm:
        reply_thread = request.thread_ts  # in the assistant / agent view, DMs are threads
        key = f"im:{request.channel}:{request.thread_ts or '-'}:{person.user_id}"
    else:
        reply_thread = request.thread_ts or request.ts
        key = f"thread:{request.channel}:{reply_thread}:{person.user_id}"
    return Question(
        text=request.text,
        person=person,
        channel=request.channel,
        reply_thread=reply_thread,
        status_thread=request.thread_ts or request.ts,
        conversation_key=key,
        assistant_thread=request.dm and request.thread_ts is not None,
        asked_at=request.asked_at,
    )


def answer_request(request: AnswerRequest, poster: Poster, services: Services, *, metadata: Metadata | None = None) -> None:  # fmt: skip
    """Answer a handed-over request (in process, or on a queue worker)."""
    answer_question(question_of(request), poster, services, request.placeholder, metadata=metadata)


def _placeholder(waiting: int) -> Message:
    text = (
        f"You're in a queue: {waiting} question(s) ahead of yours. I'll answer here shortly."
        if waiting
        else "Checking the catalogue…"
    )
    return text, [context(f":hourglass_flowing_sand: {text}")]


def answer_question(question: Question, poster: Poster, services: Services, placeholder: str | None,
                    *, metadata: Metadata | None = None) -> None:  # fmt: skip
    """Compose the answer and deliver it (every reply carrying `metadata`, if given); an apology,
    never silence, if anything fails."""
    answer: Answer | None = None
    try:
        answer, answer_id = ask(question.text, question.person, question.conversation_key, question.channel, services, asked_at=question.asked_at)
        message = answer_message(answer, answer_id=answer_id)
    except Exception as exc:  # noqa: BLE001 - a fixed apology to the person, the error to the log
        log_failure("answering failed", exc)
        message = text_message(APOLOGY)
    channel, thread = question.channel, question.reply_thread
    # Joined before the answer shows: a follow-up typed the moment it appears is ours to answer
    # (recorded after delivery, a follow-up could land first and be ignored as not for us).
    joined = thread is not None and not question.assistant_thread and joined_thread(services.engine, channel, thread)
    delivered = poster.reply(channel, message, thread_ts=thread, replace=placeholder, metadata=metadata)
    if not delivered and answer is not None:
        # Slack refused the blocks: the same answer as plain text, else the apology.
        delivered = poster.reply(channel, text_message(render(answer)), thread_ts=thread, replace=placeholder, metadata=metadata)  # fmt: skip
        if not delivered:
            delivered = poster.reply(channel, text_message(APOLOGY), thread_ts=thread, replace=placeholder, metadata=metadata)  # fmt: skip
    if joined and not delivered and thread is not None:
        left_thread(services.engine, channel, thread)  # nothing of ours is in it: its replies are not for us
    if thread != question.status_thread or not delivered:
        poster.status(channel, question.status_thread, "")  # our reply went elsewhere: clear it
    timings.answered(responder=answer.responder if answer else None, delivered=delivered)
    if delivered and question.assistant_thread and answer is not None and thread is not None:
        poster.title(channel, thread, clip(question.text.replace("\n", " "), TITLE))


def abandoned(question: Question, poster: Poster, placeholder: str | None) -> None:
    """A shutdown's grace ended before this question was answered: say so where the answer
    would have gone (never silence)."""
    delivered = poster.reply(question.channel, text_message(RESTARTING), thread_ts=question.reply_thread, replace=placeholder)
    if question.reply_thread != question.status_thread or not delivered:
        poster.status(question.channel, question.status_thread, "")


def ask(text: str, person: Person, key: str, channel: str, services: Services, *, asked_at: datetime | None = None) -> tuple[Answer, str]:  # fmt: skip
    """Answer `text` for `person` in their own conversation `key`; keep the turn and the answer,
    unless they ran forget-me after `asked_at` (while it waited or was being composed)."""
    engine, started = services.engine, asked_at or utcnow()
    conversation = load_conversation(engine, key)
    if conversation.profile is None:
        saved = saved_for(services, person)
        if saved is not None and mark_profile_used(engine, team_id=person.team_id, user_id=person.user_id):
            conversation.profile = profile_of(saved)
    before = conversation.turns[-1] if conversation.turns else None
    answer = services.pathfinder.ask(text, conversation=conversation)
    if conversation.turns and conversation.turns[-1] is not before:  # refusals add no turn
        save_turn(engine, key=key, team_id=person.team_id, user_id=person.user_id, conversation=conversation, started=started)
    answer_id = secrets.token_hex(8)
    remember_answer(engine, answer, answer_id=answer_id, team_id=person.team_id, user_id=person.user_id, channel=channel, started=started)
    return answer, answer_id


def log_failure(what: str, exc: BaseException) -> None:
    """An error's class and where it happened; never its message (which may quote a person)."""
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    where = " <- ".join(f"{f.name}:{f.lineno}" for f in reversed(frames))
    log.error("%s: %s at %s", what, exc.__class__.__name__, where)
