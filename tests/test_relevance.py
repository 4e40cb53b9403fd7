"""The routing index gives every programme the same relevance as scoring it alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.advice.lexicon import lexicon
from bot.advice.reading import read_profile
from bot.advice.relevance import RoutingIndex, relevance
from bot.catalogue.snapshot import Catalogue

CASES = Path(__file__).resolve().parent.parent / "evals" / "cases" / "heldout.jsonl"
QUESTIONS = [json.loads(line)["question"] for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("weight", [1.0, 0.5])
def test_indexed_scores_equal_scoring_each_programme_alone(catalogue: Catalogue, weight: float) -> None:
    index = lexicon(catalogue).routing
    touched = 0
    for question in QUESTIONS:
        profile = read_profile(question, catalogue=catalogue)
        intents = dict.fromkeys(profile.intents, weight)
        scores = index.scores(profile, intents, catalogue.by_id)
        for p in catalogue.programmes:
            assert scores.get(p.id, 0.0) == relevance(p, profile, intents), (question, p.id)
        touched += len(scores)
    assert touched > len(QUESTIONS) * 3  # the questions touch programmes: the comparison means something


def test_index_sets_match_the_catalogue(catalogue: Catalogue) -> None:
    index = RoutingIndex.build(catalogue.programmes)
    assert index.targeted_roles == {r for p in catalogue.programmes for r in p.routing.roles}
    assert {p.id for p in index.with_heirs} == {p.id for p in catalogue.programmes if p.succeeded_by and not p.status.active}
    assert index.with_heirs  # the FCI's members moved on
    assert set(index.own_nation["Wales"]) <= set(index.devolved_only)
