"""The learned screen: its features, its training, the committed model, and how the guard uses it."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.advice.guard import Guard
from bot.advice.learned import features, train
from bot.catalogue.loader import LEARNED_SCREEN
from bot.catalogue.snapshot import Catalogue
from bot.catalogue.vocabulary import LearnedScreenFile
from bot.learned_training import default_corpora

from .conftest import ROOT
from .test_loader import problems_for

MODEL = ROOT / "knowledge" / "vocabulary" / LEARNED_SCREEN


@pytest.fixture()
def knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    return target


def test_features_are_unit_length_and_ignore_case_and_spacing() -> None:
    a = features("What DOSE of  gentamicin?")
    assert a == features("what dose of gentamicin?")
    assert math.isclose(math.sqrt(sum(v * v for v in a.values())), 1.0)
    assert {"w:dose", "b:dose of", "c: dos"} <= set(a)


REFUSE = [f"what dose of {drug} should I give my patient on {ward}?" for drug in
          ("gentamicin", "warfarin", "insulin", "morphine", "heparin") for ward in ("ward 3", "AMU", "ICU", "the stroke unit")]  # fmt: skip
ANSWER = [f"which {route} suits a band {band} {job}?" for route in ("fellowship", "programme", "course", "network")
          for band, job in ((5, "nurse"), (6, "physio"), (7, "pharmacist"), (8, "analyst"))]  # fmt: skip


def test_training_learns_the_kind_of_question_not_the_lines() -> None:
    model = train([(q, True) for q in REFUSE] + [(q, False) for q in ANSWER], threshold=0.5)
    assert model.refuses("what dose of digoxin should I give the patient in bay 4?")  # unseen drug and bed
    assert not model.refuses("which scheme suits a band 6 midwife?")  # unseen route and job
    again = train([(q, True) for q in REFUSE] + [(q, False) for q in ANSWER], threshold=0.5)
    assert again == model  # seeded: the same corpora give the same model


def test_training_needs_both_kinds_of_example() -> None:
    with pytest.raises(ValueError, match="must be refused and examples that must not"):
        train([(q, True) for q in REFUSE], threshold=0.5)


def test_a_bad_model_file_names_the_file_and_the_field(knowledge: Path) -> None:
    path = knowledge / "vocabulary" / LEARNED_SCREEN
    data = json.loads(path.read_text())
    data["threshold"] = 1.5
    path.write_text(json.dumps(data))
    assert any(f"{LEARNED_SCREEN}: threshold" in p for p in problems_for(knowledge))
    path.write_text("{not json")
    assert any(LEARNED_SCREEN in p and "invalid JSON" in p for p in problems_for(knowledge))


def test_a_model_without_its_reply_in_refusals_yaml_is_rejected_by_the_loader(knowledge: Path) -> None:
    refusals = knowledge / "vocabulary" / "refusals.yaml"
    refusals.write_text(refusals.read_text().replace("  learned_screen:\n", "  learned_screen_reply:\n"))
    assert any("refusals.yaml: categories" in p and "'learned_screen'" in p for p in problems_for(knowledge))


def test_the_committed_model_was_trained_on_the_corpora_as_they_are_now() -> None:
    trained = LearnedScreenFile.model_validate(json.loads(MODEL.read_text()))
    now = {str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest() for p in default_corpora(ROOT)}
    changed = sorted(name for name in now.keys() | trained.corpus.keys() if now.get(name) != trained.corpus.get(name))
    assert not changed, f"retrain: `pathfinder screen train` (then `pathfinder catalogue load`); changed: {changed}"


def _file(bias: float) -> LearnedScreenFile:
    return LearnedScreenFile(trained=date(2026, 11, 28), corpus={"x": "y"}, examples=1, threshold=0.5,
                             bias=bias, weights={"w:unused": 0.0})  # fmt: skip


def test_the_guard_adds_the_models_refusal_and_never_lifts_the_rules(catalogue: Catalogue) -> None:
    career = "Band 6 nurse in Leeds, which fellowships could I apply for?"
    clinical = "What's the gentamicin dose for a 70 kg man?"
    never, always = Guard.build(catalogue.refusals, _file(-30.0)), Guard.build(catalogue.refusals, _file(30.0))
    assert never.screen(career) is None
    kept = never.screen(clinical)
    assert kept is not None and kept.reason == "clinical_advice"  # a model that refuses nothing lifts nothing
    added = always.screen(career)
    assert added is not None and added.reason == "learned_screen" and not added.partial
    assert "clinical advice" in added.message  # its reply names what Pathfinder will not do
    ruled = always.screen(clinical)
    assert ruled is not None and ruled.reason == "clinical_advice"  # the rules' own reason and reply first
