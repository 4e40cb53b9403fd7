"""The vocabularies in knowledge/vocabulary/: every example a maintainer gives reads as its term."""

from __future__ import annotations

import pytest

from bot.advice.reading import read_profile
from bot.catalogue.loader import read_catalogue

from .conftest import KNOWLEDGE

BUNDLE = read_catalogue(KNOWLEDGE)
PROFESSION_EXAMPLES = [(p.id, e) for p in BUNDLE.professions.professions for e in p.examples]
INTENT_EXAMPLES = [(i.id, e) for i in BUNDLE.intents.intents for e in i.examples]


@pytest.mark.parametrize(("profession", "example"), PROFESSION_EXAMPLES)
def test_each_profession_example_reads_as_that_profession(profession: str, example: str, catalogue) -> None:  # type: ignore[no-untyped-def]
    assert read_profile(example, catalogue=catalogue).profession == profession


def test_every_profession_has_an_example_and_a_group_is_never_a_profession() -> None:
    assert all(p.examples for p in BUNDLE.professions.professions)
    ids = {p.id for p in BUNDLE.professions.professions}
    assert not ids & set(BUNDLE.professions.groups)


@pytest.mark.parametrize(("intent", "example"), INTENT_EXAMPLES)
def test_each_intent_example_shows_that_intent(intent: str, example: str, catalogue) -> None:  # type: ignore[no-untyped-def]
    assert intent in read_profile(example, catalogue=catalogue).intents


def test_the_pieces_of_a_plural_read_as_a_group_not_as_the_asker(catalogue) -> None:  # type: ignore[no-untyped-def]
    assert read_profile("Everything seems aimed at doctors. Pharmacy technician here.", catalogue=catalogue).profession == "pharmacy_technician"


@pytest.mark.parametrize(
    ("question", "profession", "stage"),
    [
        ("PM at a 4 GP practice in Leeds, anything for me?", None, None),
        ("I'm in a GP federation in Kent, data analyst", "data_professional", None),
        ("I work in a nursing home as an activities coordinator, anything digital?", None, None),
        ("receptionist at a GP surgery in Hull, any data courses?", "admin_staff", None),
        # the job said around the place is still read
        ("GP practice nurse in Hull, anything digital?", "nurse", None),
        ("I'm a GP practice manager", "manager", None),
        ("salaried GP, GP practice in Leeds, any AI fellowships?", "doctor", "gp"),
    ],
)
def test_a_place_named_after_a_job_is_not_that_job(question: str, profession: str | None, stage: str | None, catalogue) -> None:  # type: ignore[no-untyped-def]
    """knowledge/vocabulary/professions.yaml `not_people`: "GP practice" is where someone works."""
    profile = read_profile(question, catalogue=catalogue)
    assert (profile.profession, profile.stage) == (profession, stage)
