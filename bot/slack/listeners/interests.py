"""The interest log in Slack: registration with consent, the person's own interests and data
rights, and the coordinators' queue and export.

Identity is only ever the verified payload's user and organisation (`bot.slack.inbound.identity`).
Action values and modal metadata name a programme or an interest, never who is acting or which
region they may see; `bot.interests.access.authorise` decides that from the role table, for every
path here. Exports and personal data go to the person's DM as a file, never to a channel, and an
export is only audited as delivered once Slack has the file.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.catalogue.schema import NetworkDoc, ProgrammeDoc
from bot.db import write_session
from bot.interests import log as interest_log
from bot.interests import registry, rights
from bot.interests.access import NEUTRAL, Actor, Denied, read_audit
from bot.interests.display import audit_csv, audit_summary
from bot.interests.registry import Change, Undelivered
from bot.memory.store import latest_profile
from bot.services import Services
from bot.slack.blocks.choices import Choices
from bot.slack.blocks.common import escape, text_message
from bot.slack.blocks.modals import (
    REGION_ACTION,
    chosen_region,
    interest_modal,
    interest_values,
    metadata,
)
from bot.slack.inbound import Person, action_value, channel_of, identity
from bot.slack.listeners.home import publish_home, saved_for
from bot.slack.listeners.messages import log_failure
from bot.slack.listeners.post import Poster

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side. Nothing was changed; please try again later."
STATUS_SAYS = {
    Change.STALE: "Someone changed that interest before you did, so I left it as it is. Your Home tab now shows its current status.",
    Change.GONE: "That interest is no longer there: it was withdrawn, erased or expired.",
    Change.DENIED: NEUTRAL,
}
# What the person is told after registering (an unchanged replay is told nothing), and what the
# region's coordinator channel is told: the programme and region only, never who.
CONFIRMATION = {
    "created": "Your interest in {programme} is registered. The coordinator of {where} can now see it and may contact you.",
    "updated": "Your interest in {programme} is updated. The coordinator of {where} can see it and may contact you.",
    "reopened": "Your interest in {programme} is reopened: it had been closed, and the coordinator of {where} now sees it as new and may contact you.",
    "moved": "Your interest in {programme} has moved from {was} to {region}: the coordinator of {where} now sees it as new and may contact you, and {was}'s coordinators no longer see it.",
}
FOLLOW_UP = " Withdraw it at any time on my Home tab; `/pathfinder my-data` shows everything I hold about you."
NOTICE = {
    "created": "New interest registered in {region} for {programme}. Coordinators: open Pathfinder's Home tab to review it.",
    "moved": "New interest in {region} for {programme} (moved here from another region). Coordinators: open Pathfinder's Home tab to review it.",
    "reopened": "An interest in {programme} in {region} was registered again after being closed: it is new again. Coordinators: open Pathfinder's Home tab to review it.",
}
UNKNOWN_PROGRAMME = (
    "I can't find that programme in the catalogue any more, so I haven't registered anything. "
    "Ask me again for the current options."
)


def _actor(person: Person) -> Actor:
    return Actor.slack(person.team_id, person.user_id)


@dataclass(frozen=True)
class Click:
    """One interaction by a person the verified payload names."""

    person: Person
    body: dict[str, Any]
    action: dict[str, Any]
    poster: Poster
    respond: Respond | None

    def tell(self, text: str) -> bool:
        return self.poster.tell(self.body, self.person.user_id, text)


def _on_click(app: App, action_id: str | re.Pattern[str]) -> Callable[[Callable[[Click], None]], None]:
    """Attach a handler to an action: acked at once, run only for a person the payload names."""

    def attach(handler: Callable[[Click], None]) -> None:
        def listener(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, action: dict[str, Any] | None = None) -> None:  # fmt: skip
            ack()
            person = identity(body)
            if person is not None:
                handler(Click(person, body, action or {}, Poster(client), respond))

        app.action(action_id)(listener)

    return attach


def register(app: App, services: Services) -> None:
    """Attach the interest-log listeners."""
    engine = services.engine
    on_click = partial(_on_click, app)

    @on_click("register_interest")
    def on_register(c: Click) -> None:
        programme = _programme(services, str(action_value(c.action).get("programme") or ""))
        if programme is None:
            c.tell(UNKNOWN_PROGRAMME)
            return
        view = registration_modal(services, c.person, programme)
        if not c.body.get("trigger_id") or not c.poster.open_view(str(c.body["trigger_id"]), view):
            c.tell("Sorry, I couldn't open the registration form. Nothing was recorded; please press Register interest again.")

    @on_click(REGION_ACTION)
    def on_region_changed(c: Click) -> None:
        """The consent notice names the chosen region's network: refresh it when the region changes."""
        view = c.body.get("view") or {}
        programme = _programme(services, str(metadata(view).get("programme") or ""))
        if programme is None or not view.get("id"):
            return
        region = chosen_region(view, Choices.of(services.pathfinder.known_catalogue()))
        fresh = registration_modal(services, c.person, programme, region=region)
        c.poster.update_view(str(view["id"]), fresh, hash_=view.get("hash"))

    @app.view("interest_modal")
    def on_register_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:  # fmt: skip
        # Checked against the catalogue in memory: the form must be answered within three seconds,
        # and a slow database must not turn a valid form into Slack's "trouble connecting" error.
        catalogue = services.pathfinder.known_catalogue()
        person = identity(body)
        values = interest_values(view, Choices.of(catalogue))
        programme = _programme(services, str(metadata(view).get("programme") or ""))
        errors = {}
        if not values["consent"]:
            errors["consent"] = "Tick to consent, or press Cancel: nothing is recorded without it."
        network = catalogue.network_for(values["region"]) if values["region"] else None
        if network is None:
            errors["region"] = "Choose the NHS England region you work in."
        if person is None or programme is None:
            errors["region"] = "This registration has expired; please press Register interest again."
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        assert person is not None and programme is not None and network is not None
        _record(Poster(client), services, person, programme, network, values)

    @on_click("withdraw_interest")
    def on_withdraw(c: Click) -> None:
        programme_id = str(c.action.get("value") or "")[:64]
        try:
            interest_log.withdraw(engine, team_id=c.person.team_id, user_id=c.person.user_id, programme_id=programme_id)  # fmt: skip
        except Exception as exc:  # noqa: BLE001
            log_failure("withdrawing an interest failed", exc)
            c.tell(APOLOGY)
        publish_home(c.poster, services, c.person)

    @on_click(re.compile(r"^queue_(programme|status)$"))
    def on_filter(c: Click) -> None:
        state = (c.body.get("view") or {}).get("state", {}).get("values", {}).get("queue_filters", {})
        chosen = {
            name: ((state.get(f"queue_{name}") or {}).get("selected_option") or {}).get("value")
            for name in ("programme", "status")
        }
        filters = {k: (v if v and v != "all" else None) for k, v in chosen.items()}
        publish_home(c.poster, services, c.person, filters=filters)

    @on_click("interest_status")
    def on_status(c: Click) -> None:
        wanted = action_value(c.action)
        seen = wanted.get("from")
        try:
            with write_session(engine) as session:
                result = registry.set_status(
                    session=session,
                    actor=_actor(c.person),
                    interest_id=int(wanted.get("id") or 0),
                    status=str(wanted.get("status") or ""),
                    expected=str(seen) if seen else None,
                )
            said = STATUS_SAYS.get(result.outcome)
            if said:
                c.poster.dm(c.person.user_id, said)
        except ValueError:
            c.poster.dm(c.person.user_id, NEUTRAL)
        except Exception as exc:  # noqa: BLE001
            log_failure("changing a status failed", exc)
            c.poster.dm(c.person.user_id, APOLOGY)
        publish_home(c.poster, services, c.person)

    @on_click("export_interests")
    def on_export(c: Click) -> None:
        send_export(c.poster, services, c.person)

    @on_click("forget_me_confirm")
    def on_forget(c: Click) -> None:
        person = c.person
        try:
            erased = rights.erase(engine, **person.ids(), dm_channels=dm_channels(c.poster, person, c.body))
        except Exception as exc:  # noqa: BLE001 - a fixed apology to the person, the error to the log
            log_failure("erasure failed", exc)
            _reply(c, APOLOGY)
            return
        note = (
            " Your coordinator or admin role, and the record of what you did with it, are kept "
            "by your organisation; ask an admin to remove the role."
            if erased.kept_role
            else ""
        )
        _reply(c, f"Done: I erased {erased.total} record(s) about you.{note}")
        publish_home(c.poster, services, person)


def _reply(c: Click, text: str) -> None:
    """Replace the message the button was on, else tell the person another way."""
    if c.respond is not None:
        try:
            c.respond(response_type="ephemeral", replace_original=True, text=text)
            return
        except Exception:  # noqa: BLE001 - the response URL expired: tell them another way
            log.info("response_url refused the reply")
    c.tell(text)


def dm_channels(poster: Poster, person: Person, body: dict[str, Any]) -> list[str]:
    """The person's DM with Pathfinder (where their answers, threads and claims are keyed), and
    the conversation this came from if that is a DM."""
    found = [poster.dm_channel(person.user_id), channel_of(body)]
    return [c for c in dict.fromkeys(found) if c and c.startswith("D")]


# -- Registration -----------------------------------------------------------------------------


def _programme(services: Services, programme_id: str) -> ProgrammeDoc | None:
    """The programme a button or form names, from the catalogue in memory (no database trip)."""
    if not programme_id or len(programme_id) > 64:
        return None
    return services.pathfinder.known_catalogue().by_id.get(programme_id)


def registration_modal(
    services: Services, person: Person, programme: ProgrammeDoc, *, region: str | None = None
) -> dict[str, Any]:
    """The modal, prefilled from the person's saved profile or what they last told us; the
    consent notice names the network of `region` (or of the prefilled region)."""
    engine = services.engine
    saved = saved_for(services, person)
    said = saved or latest_profile(engine, team_id=person.team_id, user_id=person.user_id)
    defaults: dict[str, Any] = {}
    if said is not None:
        defaults = {"region": said.region, "profession": said.profession, "stage": said.stage, "band": said.band}  # fmt: skip
    if region:
        defaults["region"] = region
    catalogue = services.pathfinder.known_catalogue()
    served_by = catalogue.network_for(defaults.get("region"))
    network = served_by.name if served_by else None
    chosen = defaults.get("region") if network else None
    consent = interest_log.consent_text(
        network=escape(network or "your region's ISDN"),
        region=escape(chosen or "the region you choose below"),
        retention_days=services.settings.interest_retention_days,
    )
    return interest_modal(
        programme_id=programme.id,
        programme=programme.name,
        consent=consent,
        defaults=defaults,
        choices=Choices.of(catalogue),
    )


def _record(
    poster: Poster,
    services: Services,
    person: Person,
    programme: ProgrammeDoc,
    network: NetworkDoc,
    values: dict[str, Any],
) -> None:
    try:
        recorded = interest_log.record_interest(
            services.engine,
            draft=interest_log.InterestCreate(
                team_id=person.team_id,
                user_id=person.user_id,
                display_name=_display_name(poster, person.user_id),
                profession=values["profession"],
                grade=values["grade"],
                region=str(network.region),
                programme_id=programme.id,
                network_id=network.id,
                consent_version=interest_log.CONSENT_VERSION,
            ),
        )
    except Exception as exc:  # noqa: BLE001
        log_failure("recording an interest failed", exc)
        poster.dm(person.user_id, APOLOGY)
        return
    if recorded.outcome == "unchanged":
        return  # a replay or a second click: the first confirmation stands
    where = f"{network.name} ({network.region})"
    poster.dm(person.user_id, CONFIRMATION[recorded.outcome].format(
        programme=programme.name, where=where, region=network.region, was=recorded.moved_from) + FOLLOW_UP)  # fmt: skip
    publish_home(poster, services, person)
    channel = services.settings.coordinator_channels.get(str(network.region))
    notice = NOTICE.get(recorded.outcome)
    if notice and channel:
        poster.post(channel, text_message(notice.format(programme=programme.name, region=network.region)))


def _display_name(poster: Poster, user_id: str) -> str:
    try:
        user = poster.client.users_info(user=user_id).get("user") or {}
    except Exception:  # noqa: BLE001
        log.warning("users.info failed")
        return user_id
    profile = user.get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or user.get("real_name")
    return str(name or user_id)[:80]


# -- Files in the person's DM -----------------------------------------------------------------


def send_export(poster: Poster, services: Services, person: Person, region: str | None = None) -> None:
    """The caller's regions' log as CSV in their DM, audited only once Slack has the file;
    anyone else gets the neutral refusal."""

    def deliver(found: interest_log.Export) -> bool:
        regions = ", ".join(sorted(found.grant.regions))
        return poster.dm_file(
            person.user_id,
            content=found.csv(),
            filename="pathfinder-interests.csv",
            title=f"Interest log: {regions}",
            comment=f"{len(found.rows)} interest(s) in {regions}. Personal data: keep it within your "
            "organisation and use it only to follow up these interests.",
        )

    try:
        interest_log.export(services.engine, actor=_actor(person), region=region, deliver=deliver)
    except Denied:
        poster.dm(person.user_id, NEUTRAL)
    except Undelivered:
        poster.dm(person.user_id, "Sorry, I couldn't send the export just now, so nothing was exported. Please try again later.")


def send_my_data(poster: Poster, services: Services, person: Person, body: dict[str, Any]) -> None:
    """Everything held about the person, as JSON in their DM: every key their rows may be stored
    under (enterprise and workspace) and their DM channels."""
    try:
        data = rights.subject_data(services.engine, **person.ids(), dm_channels=dm_channels(poster, person, body))
    except Exception as exc:  # noqa: BLE001
        log_failure("subject access export failed", exc)
        poster.dm(person.user_id, APOLOGY)
        return
    delivered = poster.dm_file(
        person.user_id,
        content=json.dumps(data, indent=2, ensure_ascii=False),
        filename="pathfinder-my-data.json",
        title="What Pathfinder holds about you",
        comment="Everything I hold about you. `/pathfinder forget-me` erases it.",
    )
    if not delivered:
        poster.dm(person.user_id, APOLOGY)


def send_audit(poster: Poster, services: Services, person: Person) -> None:
    """The whole audit log as CSV in the governance reader's DM (audited); anyone else gets the
    neutral refusal."""
    try:
        found = read_audit(services.engine, actor=_actor(person))
    except Denied:
        poster.dm(person.user_id, NEUTRAL)
        return
    delivered = poster.dm_file(
        person.user_id,
        content=audit_csv(found.entries),
        filename="pathfinder-audit.csv",
        title="Pathfinder audit log",
        comment=audit_summary(len(found), truncated=found.truncated),
    )
    if not delivered:
        poster.dm(person.user_id, APOLOGY)
