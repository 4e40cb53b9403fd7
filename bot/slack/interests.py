"""Slack listeners for the interest log: registration with consent, the person's own interests
and data rights, and the coordinators' queue and export.

Identity is only ever the verified payload's `user.id` and team id. Action values and modal
metadata name a programme or an interest, never who is acting or which region they may see;
`bot.interests.access.authorise` decides that from the role table, for every path here.
Exports and personal data go to the person's DM as a file, never to a channel.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.catalogue.tables import Network, Programme
from bot.interests import log as interest_log
from bot.interests import rights
from bot.interests.access import NEUTRAL, Actor, Denied, read_audit, roles_of
from bot.interests.tables import RoleName
from bot.memory.store import latest_profile, saved_profile
from bot.slack import render
from bot.slack.services import Services

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side. Nothing was changed; please try again later."
SUBCOMMANDS = ("interests", "my-data", "forget-me", "audit")
ID = re.compile(r"^[A-Z0-9]{2,32}$")


def _actor(body: dict[str, Any]) -> Actor | None:
    """The person acting, from the verified payload only (interactions and commands)."""
    user = body.get("user") or {}
    user_id = str(user.get("id") or body.get("user_id") or "")
    team_id = str(
        user.get("team_id") or (body.get("team") or {}).get("id") or body.get("team_id") or ""
    )
    if not (ID.match(user_id) and ID.match(team_id)):
        return None
    return Actor.slack(team_id, user_id)


def _value(action: dict[str, Any]) -> dict[str, Any]:
    try:
        parsed = json.loads(str(action.get("value") or "{}"))
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def register(app: App, services: Services) -> None:
    """Attach the interest-log listeners."""
    engine = services.engine

    @app.action("register_interest")
    def on_register(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:  # fmt: skip
        ack()
        actor = _actor(body)
        programme = _programme(engine, str(_value(action).get("programme") or ""))
        if actor is None or programme is None or not body.get("trigger_id"):
            return
        client.views_open(
            trigger_id=body["trigger_id"], view=registration_modal(services, actor, programme)
        )

    @app.view("interest_modal")
    def on_register_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:  # fmt: skip
        actor = _actor(body)
        values = render.interest_values(view)
        try:
            metadata = json.loads(view.get("private_metadata") or "{}")
        except json.JSONDecodeError:
            metadata = {}
        programme = _programme(engine, str(metadata.get("programme") or ""))
        errors = {}
        if not values["consent"]:
            errors["consent"] = "Tick to consent, or press Cancel: nothing is recorded without it."
        network = interest_log.network_for(engine, values["region"]) if values["region"] else None
        if network is None:
            errors["region"] = "Choose the NHS England region you work in."
        if actor is None or programme is None:
            errors["region"] = (
                "This registration has expired; please press Register interest again."
            )
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        assert actor is not None and programme is not None and network is not None
        _record(client, services, actor, programme, network, values)

    @app.action("withdraw_interest")
    def on_withdraw(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:  # fmt: skip
        ack()
        actor = _actor(body)
        if actor is None:
            return
        interest_log.withdraw(
            engine,
            team_id=actor.team_id,
            user_id=actor.user_id,
            programme_id=str(action.get("value") or "")[:64],
        )
        publish_home(client, engine, actor.team_id, actor.user_id)

    @app.action(re.compile(r"^queue_(programme|status)$"))
    def on_filter(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        actor = _actor(body)
        if actor is None:
            return
        state = (body.get("view") or {}).get("state", {}).get("values", {}).get("queue_filters", {})
        filters = {
            name: ((state.get(f"queue_{name}") or {}).get("selected_option") or {}).get("value")
            for name in ("programme", "status")
        }
        publish_home(
            client,
            engine,
            actor.team_id,
            actor.user_id,
            filters={k: (v if v and v != "all" else None) for k, v in filters.items()},
        )

    @app.action("interest_status")
    def on_status(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:  # fmt: skip
        ack()
        actor = _actor(body)
        if actor is None:
            return
        wanted = _value(action)
        try:
            interest_log.set_status(
                engine,
                actor=actor,
                interest_id=int(wanted.get("id") or 0),
                status=str(wanted.get("status") or ""),
            )
        except (Denied, ValueError):
            _dm_text(client, actor.user_id, NEUTRAL)
        publish_home(client, engine, actor.team_id, actor.user_id)

    @app.action("export_interests")
    def on_export(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        actor = _actor(body)
        if actor is not None:
            send_export(client, engine, actor)

    @app.action("forget_me_confirm")
    def on_forget(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        actor = _actor(body)
        if actor is None:
            return
        try:
            erased = rights.erase(engine, team_id=actor.team_id, user_id=actor.user_id)
        except Exception:  # noqa: BLE001 - a fixed apology to the person, the error to the log
            log.exception("erasure failed")
            respond(response_type="ephemeral", replace_original=True, text=APOLOGY)
            return
        note = (
            " Your coordinator or admin role, and the record of what you did with it, are kept "
            "by your organisation; ask an admin to remove the role."
            if erased.kept_role
            else ""
        )
        respond(
            response_type="ephemeral",
            replace_original=True,
            text=f"Done: I erased {erased.total} record(s) about you.{note}",
        )
        publish_home(client, engine, actor.team_id, actor.user_id)


def handle_command(
    text: str, command: dict[str, Any], ack: Ack, client: WebClient, services: Services
) -> bool:
    """`/pathfinder interests [REGION]`, `my-data`, `forget-me`, `audit`; False if not ours."""
    words = text.split(maxsplit=1)
    if not words or words[0].lower() not in SUBCOMMANDS:
        return False
    actor = _actor(command)
    if actor is None:
        ack(response_type="ephemeral", text=NEUTRAL)
        return True
    name, rest = words[0].lower(), (words[1].strip() if len(words) > 1 else None)
    engine = services.engine
    if name == "forget-me":
        text_, blocks = render.forget_me_prompt()
        ack(response_type="ephemeral", text=text_, blocks=blocks)
    elif name == "my-data":
        ack(response_type="ephemeral", text="Sending what I hold about you to our DM…")
        _send_my_data(client, engine, actor)
    elif name == "interests":
        ack(response_type="ephemeral", text="Checking…")
        send_export(client, engine, actor, region=rest)
    else:
        ack(response_type="ephemeral", text="Checking…")
        _send_audit(client, engine, actor)
    return True


# -- Registration -----------------------------------------------------------------------------


def _programme(engine: Engine, programme_id: str) -> Programme | None:
    if not programme_id or len(programme_id) > 64:
        return None
    with Session(engine) as session:
        return session.get(Programme, programme_id)


def _networks(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.exec(
            select(Network).where(col(Network.region).is_not(None)).order_by(col(Network.region))
        ).all()
    return {str(r.region): r.name for r in rows}


def registration_modal(services: Services, actor: Actor, programme: Programme) -> dict[str, Any]:
    """The modal, prefilled from the person's saved profile or what they last told us."""
    engine = services.engine
    saved = saved_profile(engine, team_id=actor.team_id, user_id=actor.user_id)
    defaults: dict[str, Any] = {}
    if saved is not None:
        defaults = {"region": saved.region, "profession": saved.profession, "stage": saved.stage, "band": saved.band}  # fmt: skip
    else:
        said = latest_profile(engine, team_id=actor.team_id, user_id=actor.user_id)
        if said is not None:
            defaults = {"region": said.region, "profession": said.profession, "stage": said.stage, "band": said.band}  # fmt: skip
    networks = _networks(engine)
    region = defaults.get("region")
    consent = interest_log.consent_text(
        network=render.escape(
            networks.get(region, "your region's ISDN") if region else "your region's ISDN"
        ),
        region=render.escape(region or "the region you choose below"),
        retention_days=services.interest_retention_days,
    )
    return render.interest_modal(
        programme_id=programme.id,
        programme=programme.name,
        consent=consent,
        defaults=defaults,
        networks=networks,
    )


def _record(
    client: WebClient,
    services: Services,
    actor: Actor,
    programme: Programme,
    network: Network,
    values: dict[str, Any],
) -> None:
    try:
        recorded = interest_log.record_interest(
            services.engine,
            draft=interest_log.InterestCreate(
                team_id=actor.team_id,
                user_id=actor.user_id,
                display_name=_display_name(client, actor.user_id),
                profession=values["profession"],
                grade=values["grade"],
                region=str(network.region),
                programme_id=programme.id,
                network_id=network.id,
                consent_version=interest_log.CONSENT_VERSION,
            ),
        )
    except Exception:  # noqa: BLE001
        log.exception("recording an interest failed")
        _dm_text(client, actor.user_id, APOLOGY)
        return
    if recorded.outcome == "unchanged":
        return  # a replay or a second click: the first confirmation stands
    verb = "registered" if recorded.outcome == "created" else "updated"
    _dm_text(
        client,
        actor.user_id,
        f"Your interest in {programme.name} is {verb}. The coordinator of {network.name} "
        f"({network.region}) can now see it and may contact you. Withdraw it at any time on my "
        "Home tab; `/pathfinder my-data` shows everything I hold about you.",
    )
    publish_home(client, services.engine, actor.team_id, actor.user_id)
    channel = services.coordinator_channels.get(str(network.region))
    if recorded.outcome == "created" and channel:
        _post_text(
            client,
            channel,
            f"New interest registered in {network.region} for {programme.name}. Coordinators: "
            "open Pathfinder's Home tab to review it.",
        )


def _display_name(client: WebClient, user_id: str) -> str:
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as exc:
        log.warning("users.info failed: %s", exc.response.get("error"))
        return user_id
    profile = user.get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or user.get("real_name")
    return str(name or user_id)[:80]


# -- App Home ---------------------------------------------------------------------------------


def publish_home(
    client: WebClient,
    engine: Engine,
    team: str,
    user: str,
    *,
    filters: dict[str, str | None] | None = None,
) -> None:
    """App Home: the profile, the person's own interests, and for coordinators their queue."""
    saved = saved_profile(engine, team_id=team, user_id=user)
    with Session(engine) as session:
        names = {p.id: p.name for p in session.exec(select(Programme)).all()}
    extra = render.own_interests_blocks(
        list(interest_log.own_interests(engine, team_id=team, user_id=user)), names
    )
    actor = Actor.slack(team, user)
    if ID.match(team) and ID.match(user) and _is_coordinator(engine, actor):
        filters = filters or {}
        try:
            found = interest_log.queue(
                engine,
                actor=actor,
                programme=filters.get("programme"),
                status=filters.get("status"),
                limit=render.QUEUE_ROWS,
            )
            extra += render.queue_blocks(
                regions=sorted(found.grant.regions),
                rows=found.rows,
                total=found.total,
                programmes={p: names.get(p, p) for p in found.programmes},
                filters=filters,
            )
        except Denied:
            pass
    try:
        client.views_publish(user_id=user, view=render.home_view(saved, extra))
    except SlackApiError as exc:
        log.warning("views.publish failed: %s", exc.response.get("error"))


def _is_coordinator(engine: Engine, actor: Actor) -> bool:
    try:
        return any(r.role == RoleName.COORDINATOR.value for r in roles_of(engine, actor))
    except Exception:  # noqa: BLE001 - fail closed
        log.exception("could not read roles")
        return False


# -- Files in the person's DM -----------------------------------------------------------------


def send_export(client: WebClient, engine: Engine, actor: Actor, region: str | None = None) -> None:
    """The caller's regions' log as CSV in their DM; anyone else gets the neutral refusal."""
    try:
        found = interest_log.export(engine, actor=actor, region=region)
    except Denied:
        _dm_text(client, actor.user_id, NEUTRAL)
        return
    regions = ", ".join(sorted(found.grant.regions))
    _dm_file(
        client,
        actor.user_id,
        content=found.csv(),
        filename="pathfinder-interests.csv",
        title=f"Interest log: {regions}",
        comment=f"{len(found.rows)} interest(s) in {regions}. Personal data: keep it within your "
        "organisation and use it only to follow up these interests.",
    )


def _send_my_data(client: WebClient, engine: Engine, actor: Actor) -> None:
    try:
        data = rights.subject_data(engine, team_id=actor.team_id, user_id=actor.user_id)
    except Exception:  # noqa: BLE001
        log.exception("subject access export failed")
        _dm_text(client, actor.user_id, APOLOGY)
        return
    _dm_file(
        client,
        actor.user_id,
        content=json.dumps(data, indent=2, ensure_ascii=False),
        filename="pathfinder-my-data.json",
        title="What Pathfinder holds about you",
        comment="Everything I hold about you. `/pathfinder forget-me` erases it.",
    )


def _send_audit(client: WebClient, engine: Engine, actor: Actor) -> None:
    try:
        found = read_audit(engine, actor=actor)
    except Denied:
        _dm_text(client, actor.user_id, NEUTRAL)
        return
    rows = [e.model_dump(mode="json") for e in found]
    columns = ["at", "actor", "action", "region", "row_count", "outcome", "correlation_id"]
    _dm_file(
        client,
        actor.user_id,
        content=interest_log.to_csv(rows, columns),
        filename="pathfinder-audit.csv",
        title="Pathfinder audit log",
        comment=f"The newest {len(rows)} audit entries.",
    )


def _dm(client: WebClient, user_id: str) -> str | None:
    try:
        return str(client.conversations_open(users=user_id)["channel"]["id"])
    except (SlackApiError, KeyError, TypeError) as exc:
        log.warning("conversations.open failed: %s", exc.__class__.__name__)
        return None


def _dm_text(client: WebClient, user_id: str, text: str) -> None:
    channel = _dm(client, user_id)
    if channel:
        _post_text(client, channel, text)


def _post_text(client: WebClient, channel: str, text: str) -> None:
    message, blocks = render.text_message(text)
    try:
        client.chat_postMessage(channel=channel, text=message, blocks=blocks)
    except SlackApiError as exc:
        log.warning("chat.postMessage failed: %s", exc.response.get("error"))


def _dm_file(
    client: WebClient, user_id: str, *, content: str, filename: str, title: str, comment: str
) -> None:
    channel = _dm(client, user_id)
    if channel is None:
        return
    try:
        client.files_upload_v2(
            channel=channel,
            content=content,
            filename=filename,
            title=title,
            initial_comment=comment,
        )
    except SlackApiError as exc:
        log.warning("file upload failed: %s", exc.response.get("error"))
        _post_text(client, channel, APOLOGY)
