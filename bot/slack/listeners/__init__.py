"""Every Slack listener, by kind: messages (questions), commands (`/pathfinder`), home (App Home
and the profile form), answers (feedback, Details, Share) and interests (registration, the
person's data rights, the coordinators' queue). `post` is how all of them speak."""

from __future__ import annotations

import logging

from slack_bolt import App

from bot.services import Services
from bot.slack.listeners import answers, commands, home, interests, messages

log = logging.getLogger(__name__)


def register(app: App, services: Services, *, bot_user_id: str) -> None:
    """Attach every listener to the Bolt app."""
    messages.register(app, services, bot_user_id=bot_user_id)
    commands.register(app, services)
    home.register(app, services)
    answers.register(app, services)
    interests.register(app, services)

    @app.error
    def on_error(error: Exception) -> None:
        # The class only: an exception's message can quote a payload. Bolt has already acked or
        # answered 500 (Slack then retries, and the claims make the retry a no-op).
        log.error("listener error: %s", error.__class__.__name__)
