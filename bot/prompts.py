"""The one loader for prompt files in prompts/: shape-checked, versioned, rendered with data."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from bot.settings import bundled

PROMPTS_DIR = bundled("prompts")


class PromptFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z_]+$")
    version: int = Field(ge=1)
    system: str = Field(min_length=1)
    user: str = Field(min_length=1)

    @property
    def label(self) -> str:
        """'answer@3': what each answer records as its prompt version."""
        return f"{self.name}@{self.version}"

    def render_system(self, *, canary: str) -> str:
        return self.system.format(canary=canary)

    def render_user(self, *, data: str, question: str) -> str:
        # The question and data are inserted verbatim; braces in them are never interpreted.
        return self.user.replace("{data}", data).replace("{question}", question)


@lru_cache(maxsize=8)
def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> PromptFile:
    """The prompt `name` from `directory`, validated."""
    path = directory / f"{name}.yaml"
    prompt = PromptFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    if prompt.name != name:
        raise ValueError(f"{path}: name {prompt.name!r} must match the file name")
    return prompt
