"""A ChatModel that spends from a budget shared by every replica (bot/memory/limits.LLMBudget):
no call once this minute's calls or today's tokens are spent. BudgetSpent is an LLMError, so the
responder answers offline and labels the answer as it does for any other fault."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from bot.llm.base import BudgetSpent, ChatModel, LLMError, Message, Reply

log = logging.getLogger(__name__)


class Budget(Protocol):
    def take_call(self) -> bool: ...

    def spend(self, tokens: int) -> None: ...


class BudgetedModel:
    """`model`, with each call taken from `budget` and its tokens counted against it."""

    def __init__(self, model: ChatModel, budget: Budget) -> None:
        self.model = model
        self.budget = budget
        self.name = model.name

    def complete(
        self, messages: list[Message], *, schema: dict[str, Any], deadline: float
    ) -> Reply:
        if not self.budget.take_call():
            log.warning("llm budget spent; no call made")
            raise BudgetSpent("budget")
        try:
            reply = self.model.complete(messages, schema=schema, deadline=deadline)
        except LLMError as exc:
            self.budget.spend(exc.tokens)
            raise
        self.budget.spend(reply.tokens)
        return reply
