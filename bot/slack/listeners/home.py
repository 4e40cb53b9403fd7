"""App Home (the profile, the person's interests, a coordinator's queue), the profile form, and
the suggested prompts of the agent view's Messages tab."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.interests import log as interest_log
from bot.interests.access import Actor, Denied, roles_of
from bot.interests.tables import RoleName
from bot.memory.store import SavedProfile, save_profile, saved_profile
from bot.services import Services
from bot.slack.blocks import queue
from bot.slack.blocks.choices import Choices
from bot.slack.blocks.home import PROMPTS, home_view, own_interests_blocks
from bot.slack.blocks.modals import profile_modal, profile_values
from bot.slack.inbound import Person, identity
from bot.slack.listeners.post import APOLOGY, Poster

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def on_home(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        poster = Poster(client)
        if event.get("tab") == "messages":
            # The agent view: the Messages tab is where people ask. Prompts without a thread_ts
            # (Slack ignores a thread_ts for agent apps).
            channel = event.get("channel")
            if isinstance(channel, str):
                poster.prompts(channel, PROMPTS, title="Try asking me")
            return
        person = identity(body, user_id=event.get("user"))
        if person is not None:
            publish_home(poster, services, person)

    @app.action("edit_profile")
    def on_edit_profile(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        person = identity(body)
        if person is None or not body.get("trigger_id"):
            return
        saved = saved_for(services, person)
        view = profile_modal(saved, Choices.of(services.pathfinder.catalogue()))
        poster = Poster(client)
        if not poster.open_view(str(body["trigger_id"]), view):
            poster.tell(body, person.user_id, "Sorry, I couldn't open the profile form. Please try again.")

    @app.view("profile_modal")
    def on_profile_saved(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        # Saved before the ack (a quick local write), so "Save" closing the form means saved.
        person = identity(body)
        if person is None:
            ack(response_action="errors", errors={"profession": "I couldn't tell who you are; please reopen the form."})
            return
        values = profile_values(view, Choices.of(services.pathfinder.catalogue()))
        try:
            save_profile(services.engine, team_id=person.team_id, user_id=person.user_id, values=values)
        except Exception:  # noqa: BLE001 - the form stays open with the apology; nothing saved
            log.error("saving a profile failed")
            ack(response_action="errors", errors={"profession": APOLOGY})
            return
        ack()
        publish_home(Poster(client), services, person)


def publish_home(
    poster: Poster, services: Services, person: Person, *, filters: dict[str, str | None] | None = None
) -> bool:
    """App Home: the profile, the person's own interests, and for coordinators their queue."""
    engine = services.engine
    saved = saved_for(services, person)
    catalogue = services.pathfinder.catalogue()
    names = {p.id: p.name for p in catalogue.programmes}
    extra = own_interests_blocks(
        list(interest_log.own_interests(engine, team_id=person.team_id, user_id=person.user_id)), names
    )
    actor = Actor.slack(person.team_id, person.user_id)
    if _is_coordinator(services, actor):
        filters = filters or {}
        try:
            found = interest_log.queue(
                engine,
                actor=actor,
                programme=filters.get("programme"),
                status=filters.get("status"),
                limit=queue.QUEUE_ROWS,
            )
            extra += queue.queue_blocks(
                regions=sorted(found.grant.regions),
                rows=found.rows,
                total=found.total,
                programmes={p: names.get(p, p) for p in found.programmes},
                filters=filters,
            )
        except Denied:
            pass
    return poster.publish_home(person.user_id, home_view(saved, Choices.of(catalogue), extra))


def saved_for(services: Services, person: Person) -> SavedProfile | None:
    """The person's saved profile, unless it has gone unused longer than the max-idle period."""
    return saved_profile(services.engine, team_id=person.team_id, user_id=person.user_id,
                         max_idle=services.settings.profile_max_idle)  # fmt: skip


def _is_coordinator(services: Services, actor: Actor) -> bool:
    try:
        return any(r.role == RoleName.COORDINATOR.value for r in roles_of(services.engine, actor))
    except Exception:  # noqa: BLE001 - fail closed
        log.error("could not read roles")
        return False

