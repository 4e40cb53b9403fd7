"""Conversation memory: follow-ups keep the profile and the last turns, within a token budget."""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from bot.profile import Profile

MAX_TURNS = 6
HISTORY_TOKENS = 1200
MAX_CONVERSATIONS = 5000


def tokens(text: str) -> int:
    """A cheap token estimate (about four characters a token for English)."""
    return len(text) // 4 + 1


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str


@dataclass
class Conversation:
    """One thread or chat session."""

    profile: Profile | None = None
    turns: deque[Turn] = field(default_factory=lambda: deque(maxlen=MAX_TURNS))

    def record(self, question: str, answer: str, profile: Profile | None) -> None:
        self.turns.append(Turn(question, answer))
        if profile is not None:
            self.profile = profile

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


class ConversationStore:
    """Conversations by key (a Slack thread, a chat session), least recently used evicted."""

    def __init__(self, max_size: int = MAX_CONVERSATIONS) -> None:
        self._items: OrderedDict[str, Conversation] = OrderedDict()
        self._max = max_size
        self._lock = threading.Lock()

    def get(self, key: str) -> Conversation:
        with self._lock:
            conv = self._items.pop(key, None) or Conversation()
            self._items[key] = conv
            while len(self._items) > self._max:
                self._items.popitem(last=False)
            return conv

    def forget(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)
