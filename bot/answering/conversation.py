"""Conversation memory: follow-ups keep the profile and the last turns, within a token budget."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from bot.advice.reading import Profile

MAX_TURNS = 6
HISTORY_TOKENS = 1200


def tokens(text: str) -> int:
    """A cheap token estimate (about four characters a token for English)."""
    return len(text) // 4 + 1


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str
    shown: tuple[str, ...] = ()  # programme ids shown as cards in this turn

@dataclass
class Conversation:
    """One thread or chat session."""

    profile: Profile | None = None
    turns: deque[Turn] = field(default_factory=lambda: deque(maxlen=MAX_TURNS))

    def record(
        self, question: str, answer: str, profile: Profile | None, *, shown: list[str] | None = None
    ) -> None:
        self.turns.append(Turn(question, answer, tuple(shown or ())))
        if profile is not None:
            self.profile = profile

    def shown(self) -> list[str]:
        """Programmes already shown in full in this conversation (shown again only in brief)."""
        return list(dict.fromkeys(pid for turn in self.turns for pid in turn.shown))

    def recent(self, budget: int = HISTORY_TOKENS) -> list[Turn]:
        """The newest turns that fit in `budget` tokens, oldest first."""
        kept: list[Turn] = []
        used = 0
        for turn in reversed(self.turns):
            cost = tokens(turn.question) + tokens(turn.answer)
            if used + cost > budget:
                break
            kept.append(turn)
            used += cost
        return list(reversed(kept))
