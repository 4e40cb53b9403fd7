"""Training and judging the learned screen (bot/advice/learned.py) on the labelled corpora.

`pathfinder screen train` reads the corpora (reading lines with "refuse", cases with
"should_refuse"; a line with neither is an answerable question) and the example pairs in
knowledge/vocabulary/refusals.yaml, trains, and writes
knowledge/vocabulary/learned_screen.json with the SHA-256 of every file it learnt from, so a test
can tell when the corpora have changed and the model has not. `pathfinder screen eval` holds out
each unseen set in turn (the reading lines and the cases one helper wrote), trains on the rest and
tests on it: the honest figure for writing the model has never seen.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from bot.advice.learned import LearnedScreen, train
from bot.catalogue.vocabulary import LearnedScreenFile, RefusalsFile

THRESHOLD = 0.8  # chosen by `pathfinder screen eval` (evals/README.md): about 1 in 90 answerable lines refused


@dataclass(frozen=True)
class Example:
    group: str  # which set it came from: "v11" for unseen_reading_v11.jsonl and unseen_v11.jsonl
    id: str
    text: str
    refuse: bool


def default_corpora(root: Path) -> list[Path]:
    """What the model learns from in a checkout: every labelled corpus and refusals.yaml's pairs."""
    found = sorted([*root.glob("tests/data/*.jsonl"), *root.glob("evals/cases/*.jsonl")])
    pairs = root / "knowledge" / "vocabulary" / "refusals.yaml"
    return [*found, pairs] if found and pairs.exists() else found


def group_of(path: Path) -> str:
    found = re.search(r"_(v\d+)\b", path.stem)
    if found:
        return found.group(1)
    return {"unseen_reading": "v1", "unseen_2026-11-28": "v1"}.get(path.stem, path.stem)


def read_examples(paths: list[Path]) -> list[Example]:
    """Labelled lines from JSONL corpora, and from refusals.yaml each pattern's must-refuse example
    and its must-answer neighbour (the near-misses teach the model what not to refuse), and its
    answerable questions about each subject by name."""
    out = []
    for path in (p for p in paths if p.suffix in (".yaml", ".yml")):
        refusals = RefusalsFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        for pattern in refusals.patterns:
            out.append(Example("patterns", f"{pattern.id}:refuse", pattern.must_refuse, True))
            out.append(Example("patterns", f"{pattern.id}:answer", pattern.must_answer, False))
        if refusals.answerable is not None:  # "explain FEDIP please" is never refused
            out.extend(Example("templates", f"template:{n}", q, False) for n, q in enumerate(refusals.answerable.expanded()))
    for path in (p for p in paths if p.suffix not in (".yaml", ".yml")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            text = row.get("text") or row.get("question")
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{path}: line {n}: no text or question")
            refuse = bool(row.get("refuse", row.get("should_refuse", False)))
            out.append(Example(group_of(path), str(row.get("id", f"{path.stem}:{n}")), text, refuse))
    return out


def train_file(paths: list[Path], root: Path, *, today: date, threshold: float = THRESHOLD) -> LearnedScreenFile:
    examples = read_examples(paths)
    model = train(((e.text, e.refuse) for e in examples), threshold=threshold)
    corpus = {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(paths)}
    return LearnedScreenFile(
        trained=today, corpus=corpus, examples=len(examples), threshold=threshold,
        bias=model.bias, weights=model.weights,
    )  # fmt: skip


@dataclass
class HeldOut:
    group: str
    threshold: float
    must: int = 0
    answerable: int = 0
    learned_refused: int = 0  # must-refuse lines the model alone refused
    learned_false: int = 0  # answerable lines the model alone refused
    both_refused: int = 0  # ... the rules or the model
    both_false: int = 0


THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def held_out(
    paths: list[Path], *, rules: Callable[[str], bool], progress: Callable[[str], None] = lambda _: None,
) -> list[HeldOut]:  # fmt: skip
    """Each unseen set (a group named vN) held out in turn: trained on everything else, scored at
    each of THRESHOLDS alone and together with the rules."""
    examples = read_examples(paths)
    groups = sorted({e.group for e in examples if re.fullmatch(r"v\d+", e.group)}, key=lambda g: int(g[1:]))
    results = []
    for group in groups:
        progress(group)
        model: LearnedScreen = train(((e.text, e.refuse) for e in examples if e.group != group), threshold=0.5)
        scored = [(e, model.probability(e.text), rules(e.text)) for e in examples if e.group == group]
        for threshold in THRESHOLDS:
            result = HeldOut(group, threshold)
            for e, p, ruled in scored:
                learned = p >= threshold
                if e.refuse:
                    result.must += 1
                    result.learned_refused += learned
                    result.both_refused += learned or ruled
                else:
                    result.answerable += 1
                    result.learned_false += learned
                    result.both_false += learned or ruled
            results.append(result)
    return results


def format_held_out(results: list[HeldOut]) -> str:
    lines = ["held out  threshold | must-refuse refused: model alone, rules or model | answerable refused: model alone, rules or model"]
    for threshold in THRESHOLDS:
        total = HeldOut("all", threshold)
        for r in (r for r in results if r.threshold == threshold):
            lines.append(
                f"{r.group:>8}  {threshold:.1f} | {r.learned_refused}/{r.must}, {r.both_refused}/{r.must}"
                f" | {r.learned_false}/{r.answerable}, {r.both_false}/{r.answerable}"
            )
            for name in ("must", "answerable", "learned_refused", "learned_false", "both_refused", "both_false"):
                setattr(total, name, getattr(total, name) + getattr(r, name))
        if total.must and total.answerable:
            lines.append(
                f"     all  {threshold:.1f} | {total.learned_refused}/{total.must} ({total.learned_refused / total.must:.3f}),"
                f" {total.both_refused}/{total.must} ({total.both_refused / total.must:.3f})"
                f" | {total.learned_false}/{total.answerable} ({total.learned_false / total.answerable:.4f}),"
                f" {total.both_false}/{total.answerable} ({total.both_false / total.answerable:.4f})"
            )
    lines.append("(the rules were fixed on these sets after their first runs: 'rules or model' is optimistic)")
    return "\n".join(lines)
