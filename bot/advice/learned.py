"""A learned screen beside the rules: logistic regression over word and character n-grams.

The rules (guard.py) refuse what their named patterns describe; new writing gets past them about
one time in four (evals/README.md). This model, trained on the labelled corpora by
`pathfinder screen train`, catches much of that: it learns from how people phrase what must be
refused, not from a list. It only ever adds a refusal, never lifts one, so a poor model can cost
answers but not safety; its false refusals are measured by `pathfinder screen eval`, which trains
without each unseen set in turn and tests on it.

Pure Python, no dependencies: features are computed the same way when training and when asking.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass

WORD = re.compile(r"(?u)\b\w\w+\b")
CHAR_SIZES = (3, 4, 5)


def features(text: str) -> dict[str, float]:
    """Words, word pairs and 3-5 character pieces of each word, counted (1 + log count) and
    scaled to unit length: the same for training and asking."""
    plain = " ".join(text.lower().split())
    counts: dict[str, int] = {}
    words = WORD.findall(plain)
    for key in (f"w:{w}" for w in words):
        counts[key] = counts.get(key, 0) + 1
    for key in (f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False)):
        counts[key] = counts.get(key, 0) + 1
    for word in plain.split(" "):
        padded = f" {word} "
        for n in CHAR_SIZES:
            for i in range(len(padded) - n + 1):
                key = f"c:{padded[i : i + n]}"
                counts[key] = counts.get(key, 0) + 1
    values = {k: 1.0 + math.log(c) for k, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
    return {k: v / norm for k, v in values.items()}


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


@dataclass(frozen=True)
class LearnedScreen:
    weights: dict[str, float]
    bias: float
    threshold: float

    def probability(self, text: str) -> float:
        """How likely the model thinks it is that `text` must be refused."""
        w = self.weights
        return _sigmoid(self.bias + sum(w.get(k, 0.0) * v for k, v in features(text).items()))

    def refuses(self, text: str) -> bool:
        return self.probability(text) >= self.threshold


def train(
    examples: Iterable[tuple[str, bool]], *, threshold: float, epochs: int = 12, seed: int = 7,
    min_count: int = 2, keep_above: float = 1e-3,
) -> LearnedScreen:  # fmt: skip
    """Logistic regression by AdaGrad, classes weighted to balance, in a fixed order (seeded):
    the same corpora give the same model. Features seen in fewer than `min_count` examples are
    dropped before training, and weights no bigger than `keep_above` after it."""
    data = [(features(text), 1.0 if refuse else 0.0) for text, refuse in examples]
    seen: dict[str, int] = {}
    for f, _ in data:
        for k in f:
            seen[k] = seen.get(k, 0) + 1
    data = [({k: v for k, v in f.items() if seen[k] >= min_count}, y) for f, y in data]
    positive = sum(y for _, y in data)
    if not data or positive in (0, len(data)):
        raise ValueError("training needs examples that must be refused and examples that must not")
    weight_of = {1.0: len(data) / (2 * positive), 0.0: len(data) / (2 * (len(data) - positive))}
    w: dict[str, float] = {}
    squares: dict[str, float] = {}
    bias, bias_squares, rate, decay = 0.0, 1e-8, 0.5, 1e-5
    order = list(range(len(data)))
    shuffle = random.Random(seed).shuffle
    for _ in range(epochs):
        shuffle(order)
        for i in order:
            f, y = data[i]
            p = _sigmoid(bias + sum(w.get(k, 0.0) * v for k, v in f.items()))
            g = (p - y) * weight_of[y]
            for k, v in f.items():
                gk = g * v + decay * w.get(k, 0.0)
                squares[k] = squares.get(k, 1e-8) + gk * gk
                w[k] = w.get(k, 0.0) - rate * gk / math.sqrt(squares[k])
            bias_squares += g * g
            bias -= rate * g / math.sqrt(bias_squares)
    kept = {k: round(v, 5) for k, v in sorted(w.items()) if abs(v) > keep_above}
    return LearnedScreen(kept, round(bias, 6), threshold)
