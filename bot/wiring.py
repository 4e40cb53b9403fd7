"""Build the configured responder: the one place that chooses offline or an LLM."""

from __future__ import annotations

from bot.answering.phrasing import ModelResponder, OfflineResponder, Responder
from bot.prompts import load_prompt
from bot.settings import Settings


def build_responder(settings: Settings) -> Responder:
    """The offline responder by default; an OpenAI-compatible model when configured."""
    if settings.llm == "offline":
        return OfflineResponder()
    # Imported here: the openai package takes a second to import and offline runs never need it.
    from bot.llm.openai_model import OpenAIChatModel

    assert settings.openai_api_key is not None  # guaranteed by Settings validation
    model = OpenAIChatModel(
        model=settings.openai_model,
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        azure_endpoint=settings.azure_openai_endpoint,
        api_version=settings.openai_api_version,
        attempt_timeout=settings.openai_timeout,
        max_attempts=settings.llm_max_attempts,
        response_format=settings.openai_response_format,
    )
    return ModelResponder(
        model, deadline_s=settings.llm_deadline, prompt=load_prompt("answer", settings.prompts_dir)
    )
