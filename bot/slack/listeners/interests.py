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
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlmodel import Session, col, select

from bot.catalogue.tables import Network, Programme
from bot.db import write_session
from bot.interests import log as interest_log
from bot.interests import registry, rights
from bot.interests.access import NEUTRAL, Actor, Denied, read_audit
from bot.interests.registry import Change, Undelivered
from bot.memory.store import latest_profile, saved_profile
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
from bot.slack.inbound import Person, action_value, identity
from bot.slack.listeners.home import publish_home
from bot.slack.listeners.messages import log_failure
from bot.slack.listeners.post import Poster

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side. Nothing was changed; please try again later."
STATUS_SAYS = {
    Change.STALE: "Someone changed that interest before you did, so I left it as it is. Your Home tab now shows its current status.",
    Change.GONE: "That interest is no longer there: it was withdrawn, erased or expired.",
    Change.DENIED: NEUTRAL,
}
UNKNOWN_PROGRAMME = (
    "I can't find that programme in the catalogue any more, so I haven't registered anything. "
    "Ask me again for the current options."
)


def _actor(person: Person) -> Actor:
    return Actor.slack(person.team_id, person.user_id)


def register(app: App, services: Services) -> None:
    """Attach the interest-log listeners."""
    engine = services.engine

    @app.action("register_interest")
    def on_register(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:  # fmt: skip
        ack()
        person = identity(body)
        if person is None:
            return
        poster = Poster(client)
        programme = _programme(services, str(action_value(action).get("programme") or ""))
        if programme is None:
            poster.tell(body, person.user_id, UNKNOWN_PROGRAMME)
            return
        view = registration_modal(services, person, programme)
        if not body.get("trigger_id") or not poster.open_view(str(body["trigger_id"]), view):
            poster.tell(body, person.user_id, "Sorry, I couldn't open the registration form. Nothing was recorded; please press Register interest again.")

    @app.action(REGION_ACTION)
    def on_region_changed(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """The consent notice names the chosen region's network: refresh it when the region changes."""
        ack()
        view = body.get("view") or {}
        person = identity(body)
        programme = _programme(services, str(metadata(view).get("programme") or ""))
        if person is None or programme is None or not view.get("id"):
            return
        choices = Choices.of(services.pathfinder.catalogue())
        region = chosen_region(view, choices)
        fresh = registration_modal(services, person, programme, region=region)
        Poster(client).update_view(str(view["id"]), fresh, hash_=view.get("hash"))

    @app.view("interest_modal")
    def on_register_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:  # fmt: skip
        person = identity(body)
        values = interest_values(view, Choices.of(services.pathfinder.catalogue()))
        programme = _programme(services, str(metadata(view).get("programme") or ""))
        errors = {}
        if not values["consent"]:
            errors["consent"] = "Tick to consent, or press Cancel: nothing is recorded without it."
        network = interest_log.network_for(engine, values["region"]) if values["region"] else None
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

    @app.action("withdraw_interest")
    def on_withdraw(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:  # fmt: skip
        ack()
        person = identity(body)
        if person is None:
            return
        poster = Poster(client)
        try:
            interest_log.withdraw(
                engine,
                team_id=person.team_id,
                user_id=person.user_id,
                programme_id=str(action.get("value") or "")[:64],
            )
        except Exception as exc:  # noqa: BLE001
            log_failure("withdrawing an interest failed", exc)
            poster.tell(body, person.user_id, APOLOGY)
        publish_home(poster, services, person)

    @app.action(re.compile(r"^queue_(programme|status)$"))
    def on_filter(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        person = identity(body)
        if person is None:
            return
        state = (body.get("view") or {}).get("state", {}).get("values", {}).get("queue_filters", {})
        filters = {
            name: ((state.get(f"queue_{name}") or {}).get("selected_option") or {}).get("value")
            for name in ("programme", "status")
        }
        publish_home(
            Poster(client),
            services,
            person,
            filters={k: (v if v and v != "all" else None) for k, v in filters.items()},
        )

    @app.action("interest_status")
    def on_status(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:  # fmt: skip
        ack()
        person = identity(body)
        if person is None:
            return
        poster = Poster(client)
        wanted = action_value(action)
        seen = wanted.get("from")
        try:
            with write_session(engine) as session:
                result = registry.set_status(
                    session=session,
                    actor=_actor(person),
                    interest_id=int(wanted.get("id") or 0),
                    status=str(wanted.get("status") or ""),
                    expected=str(seen) if seen else None,
                )
            said = STATUS_SAYS.get(result.outcome)
            if said:
                poster.dm(person.user_id, said)
        except ValueError:
            poster.dm(person.user_id, NEUTRAL)
        except Exception as exc:  # noqa: BLE001
            log_failure("changing a status failed", exc)
            poster.dm(person.user_id, APOLOGY)
        publish_home(poster, services, person)

    @app.action("export_interests")
    def on_export(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        person = identity(body)
        if person is not None:
            send_export(Poster(client), services, person)

    @app.action("forget_me_confirm")
    def on_forget(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        person = identity(body)
        if person is None:
            return
        poster = Poster(client)
        try:
            erased = rights.erase(engine, team_id=person.team_id, user_id=person.user_id)
        except Exception as exc:  # noqa: BLE001 - a fixed apology to the person, the error to the log
            log_failure("erasure failed", exc)
            _reply(respond, poster, body, person, APOLOGY)
            return
        note = (
            " Your coordinator or admin role, and the record of what you did with it, are kept "
            "by your organisation; ask an admin to remove the role."
            if erased.kept_role
            else ""
        )
        _reply(respond, poster, body, person, f"Done: I erased {erased.total} record(s) about you.{note}")
        publish_home(poster, services, person)


def _reply(respond: Respond, poster: Poster, body: dict[str, Any], person: Person, text: str) -> None:
    """Replace the message the button was on, else tell the person another way."""
    try:
        respond(response_type="ephemeral", replace_original=True, text=text)
    except Exception:  # noqa: BLE001 - no response URL (App Home) or it expired
        poster.tell(body, person.user_id, text)


# -- Registration -----------------------------------------------------------------------------


def _programme(services: Services, programme_id: str) -> Programme | None:
    if not programme_id or len(programme_id) > 64:
        return None
    with Session(services.engine) as session:
        return session.get(Programme, programme_id)


def _networks(services: Services) -> dict[str, str]:
    with Session(services.engine) as session:
        rows = session.exec(
            select(Network).where(col(Network.region).is_not(None)).order_by(col(Network.region))
        ).all()
    return {str(r.region): r.name for r in rows}


def registration_modal(
    services: Services, person: Person, programme: Programme, *, region: str | None = None
) -> dict[str, Any]:
    """The modal, prefilled from the person's saved profile or what they last told us; the
    consent notice names the network of `region` (or of the prefilled region)."""
    engine = services.engine
    saved = saved_profile(engine, team_id=person.team_id, user_id=person.user_id)
    said = saved or latest_profile(engine, team_id=person.team_id, user_id=person.user_id)
    defaults: dict[str, Any] = {}
    if said is not None:
        defaults = {"region": said.region, "profession": said.profession, "stage": said.stage, "band": said.band}  # fmt: skip
    if region:
        defaults["region"] = region
    network = _networks(services).get(defaults.get("region") or "")
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
        choices=Choices.of(services.pathfinder.catalogue()),
    )


def _record(
    poster: Poster,
    services: Services,
    person: Person,
    programme: Programme,
    network: Network,
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
    verb = "registered" if recorded.outcome == "created" else "updated"
    poster.dm(
        person.user_id,
        f"Your interest in {programme.name} is {verb}. The coordinator of {network.name} "
        f"({network.region}) can now see it and may contact you. Withdraw it at any time on my "
        "Home tab; `/pathfinder my-data` shows everything I hold about you.",
    )
    publish_home(poster, services, person)
    channel = services.settings.coordinator_channels.get(str(network.region))
    if recorded.outcome == "created" and channel:
        poster.post(
            channel,
            text_message(
                f"New interest registered in {network.region} for {programme.name}. Coordinators: "
                "open Pathfinder's Home tab to review it."
            ),
        )


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


def send_my_data(poster: Poster, services: Services, person: Person) -> None:
    try:
        data = rights.subject_data(services.engine, team_id=person.team_id, user_id=person.user_id)
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
    try:
        found = read_audit(services.engine, actor=_actor(person))
    except Denied:
        poster.dm(person.user_id, NEUTRAL)
        return
    rows = [e.model_dump(mode="json") for e in found]
    columns = ["at", "actor", "action", "region", "row_count", "outcome", "correlation_id"]
    delivered = poster.dm_file(
        person.user_id,
        content=interest_log.to_csv(rows, columns),
        filename="pathfinder-audit.csv",
        title="Pathfinder audit log",
        comment=f"The newest {len(rows)} audit entries.",
    )
    if not delivered:
        poster.dm(person.user_id, APOLOGY)
