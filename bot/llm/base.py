"""What any chat model offers Pathfinder, and the ways a call can fail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class Reply:
    text: str
    finish_reason: str
    model: str
    attempts: int
    tokens: int = 0  # total tokens, as the server's usage reported them (0: not reported)


class LLMError(Exception):
    """A model call that produced no usable answer. `kind` names why, for logs and metrics;
    `tokens` what the call spent all the same (a reply that came back unusable)."""

    kind = "error"
    tokens = 0


class LLMUnavailable(LLMError):
    """Connection failures, timeouts, rate limits or server errors outlasted the retries."""

    kind = "unavailable"


class BudgetSpent(LLMError):
    """The deployment's LLM budget (calls this minute or tokens today) is used up: no call made."""

    kind = "budget"


class ContextTooLong(LLMError):
    """The prompt is longer than the model's context window."""

    kind = "context_length"


class BadOutput(LLMError):
    """The model answered, but not with something usable (truncated, filtered, empty, not JSON)."""

    kind = "bad_output"


class ChatModel(Protocol):
    """A chat model: messages in, one reply out, within a deadline (time.monotonic())."""

    name: str

    def complete(
        self, messages: list[Message], *, schema: dict[str, Any], deadline: float
    ) -> Reply: ...
