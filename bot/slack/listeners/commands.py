"""`/pathfinder`: one table of subcommands; anything else is a question, answered privately.

Every subcommand acks within Slack's three seconds; slow work (answers, files) runs after the ack
and reports back through the response URL or the person's DM, with an apology if it fails.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.interests.access import NEUTRAL
from bot.memory.store import utcnow
from bot.services import Services
from bot.slack.blocks.answer import answer_message
from bot.slack.blocks.choices import Choices
from bot.slack.blocks.common import text_message
from bot.slack.blocks.home import HELP, forget_me_prompt
from bot.slack.blocks.modals import profile_summary
from bot.slack.inbound import Person, identity
from bot.slack.listeners import interests
from bot.slack.listeners.home import saved_for
from bot.slack.listeners.messages import BUSY, RATE_LIMITED, ask, log_failure
from bot.slack.listeners.post import APOLOGY, RESTARTING, Poster

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Call:
    """One /pathfinder invocation: who, what they typed after the subcommand, and how to reply."""

    person: Person
    rest: str
    body: dict[str, Any]
    ack: Ack
    respond: Respond
    poster: Poster
    services: Services


def _help(call: Call) -> None:
    call.ack(response_type="ephemeral", text=HELP)


def _profile(call: Call) -> None:
    saved = saved_for(call.services, call.person)
    choices = Choices.of(call.services.pathfinder.catalogue())
    call.ack(response_type="ephemeral", text=profile_summary(saved, choices) + "\n\nEdit it on my Home tab.")


def _forget_me(call: Call) -> None:
    text, blocks = forget_me_prompt()
    call.ack(response_type="ephemeral", text=text, blocks=blocks)


def _my_data(call: Call) -> None:
    call.ack(response_type="ephemeral", text="Sending what I hold about you to our DM…")
    interests.send_my_data(call.poster, call.services, call.person, call.body)


def _interests(call: Call) -> None:
    call.ack(response_type="ephemeral", text="Checking…")
    interests.send_export(call.poster, call.services, call.person, region=call.rest or None)


def _audit(call: Call) -> None:
    call.ack(response_type="ephemeral", text="Checking…")
    interests.send_audit(call.poster, call.services, call.person)


SUBCOMMANDS: dict[str, tuple[Callable[[Call], None], str]] = {
    "help": (_help, "what I do and how to ask"),
    "profile": (_profile, "the profile I use for you"),
    "my-data": (_my_data, "everything I hold about you, as a file in our DM"),
    "forget-me": (_forget_me, "erase everything I hold about you"),
    "interests": (_interests, "coordinators: your region's interest log, as a CSV in our DM"),
    "audit": (_audit, "information governance: the audit log"),
}
ALIASES = {"?": "help", "": "help"}


def register(app: App, services: Services) -> None:
    @app.command("/pathfinder")
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        text = str(command.get("text") or "").strip()
        person = identity(command)
        if person is None:
            ack(response_type="ephemeral", text=NEUTRAL)
            return
        first, _, rest = text.partition(" ")
        name = ALIASES.get(first.lower(), first.lower())
        call = Call(person, rest.strip(), command, ack, respond, Poster(client), services)
        entry = SUBCOMMANDS.get(name)
        if entry is not None:
            entry[0](call)
        else:
            _question(call, text)


def _question(call: Call, text: str) -> None:
    services, person = call.services, call.person
    if not services.limiter.allow(f"{person.team_id}:{person.user_id}"):
        call.ack(response_type="ephemeral", text=RATE_LIMITED)
        return
    call.ack(response_type="ephemeral", text="Checking the catalogue…")
    asked_at = utcnow()

    def restarting() -> None:  # a shutdown's grace ended first: say so in the private reply
        responded(call.respond, text=RESTARTING)

    if services.workers.submit(lambda: _answer(call, text, asked_at), abandon=restarting) is None:
        responded(call.respond, text=BUSY)


def _answer(call: Call, text: str, asked_at: datetime) -> None:
    person = call.person
    try:
        answer, answer_id = ask(text, person, f"command:{person.team_id}:{person.user_id}", "command", call.services, asked_at=asked_at)
        reply, blocks = answer_message(answer, answer_id=answer_id, ephemeral=True)
    except Exception as exc:  # noqa: BLE001 - a fixed apology to the person, the error to the log
        log_failure("answering a command failed", exc)
        reply, blocks = text_message(APOLOGY)
    if not responded(call.respond, text=reply, blocks=blocks):
        call.poster.dm(person.user_id, APOLOGY)


def responded(respond: Respond, **message: Any) -> bool:
    """Replace the private reply through the response URL; False if Slack didn't take it (the
    URL expired after 30 minutes or five uses, or the message was refused)."""
    try:
        sent = respond(response_type="ephemeral", replace_original=True, **message)
    except Exception as exc:  # noqa: BLE001
        log_failure("responding failed", exc)
        return False
    try:
        body = json.loads(sent.body or "{}")
    except json.JSONDecodeError:
        body = {}
    ok = sent.status_code == 200 and not (isinstance(body, dict) and body.get("ok") is False)
    if not ok:
        log.warning("response_url refused the reply: %s", sent.status_code)
    return ok
