"""The gazetteer: places people name -> nation and NHS England region."""

from __future__ import annotations

import pytest

from bot.advice.lexicon import lexicon
from bot.catalogue.snapshot import Catalogue

RESOLVED = [
    ("nurse in Truro", "England", "South West"),
    ("working in Harrogate", "England", "North East and Yorkshire"),
    ("based in Whitby", "England", "North East and Yorkshire"),
    ("at Skegness hospital", "England", "Midlands"),
    ("in Penzance", "England", "South West"),
    ("in Swansea", "Wales", None),
    ("in Bude", "England", "South West"),  # not hand-listed: GeoNames town, nearest anchor
    ("in Alnwick", "England", "North East and Yorkshire"),  # GeoNames
    ("in Carlisle", "England", "North East and Yorkshire"),  # north Cumbria is in NENC
    ("in Kendal", "England", "North West"),  # south Cumbria is in Lancashire and South Cumbria
    ("in Milton Keynes", "England", "East of England"),  # BLMK ICS
    ("in Glossop", "England", "North West"),  # Tameside and Glossop, Greater Manchester
    ("at Guy's and St Thomas'", "England", "London"),
    ("at Addenbrookes", "England", "East of England"),
    ("KSS deanery", "England", "South East"),
    ("Mersey deanery", "England", "North West"),
    ("in Cornwall", "England", "South West"),
    ("Stoke-on-Trent", "England", "Midlands"),
    ("St. Albans", "England", "East of England"),
    ("NHS Highland", "Scotland", None),
    ("Belfast Trust", "Northern Ireland", None),
    ("Betsi Cadwaladr", "Wales", None),
    ("in Dublin", "Outside the UK", None),
    ("st3 gastro at uhcw, just started", "England", "Midlands"),  # a trust's initials in lower case
    ("band 5 at gstt", "England", "London"),
    ("at the Christie in Withington", "England", "North West"),  # not Herefordshire's Withington
]


@pytest.mark.parametrize(("text", "nation", "region"), RESOLVED)
def test_place_resolves_to_nation_and_region(
    text: str, nation: str, region: str | None, catalogue: Catalogue
) -> None:
    match = lexicon(catalogue).places.find(text)
    assert match is not None
    assert (match.nation, match.region) == (nation, region)


AMBIGUOUS = [
    ("I work in Newport, Isle of Wight", "South East", False),
    ("I work in Newport in south Wales", None, False),
    ("Richmond in North Yorkshire", "North East and Yorkshire", False),
    ("Richmond, near Kingston", "London", False),
    ("Boston, Lincolnshire", "Midlands", False),
    ("GP in Bangor, County Down", None, False),
    ("I work in Newport", None, True),  # three Newports in three regions: asked, not guessed
    ("Richmond physio here", None, True),  # London or North Yorkshire: asked
    ("Wessex deanery", None, True),  # Hampshire (South East) or Dorset (South West): asked
    ("ST4 in Wessex, based in Southampton", "South East", False),
]


@pytest.mark.parametrize(("text", "region", "uncertain"), AMBIGUOUS)
def test_ambiguous_places_take_the_reading_the_question_supports(
    text: str, region: str | None, uncertain: bool, catalogue: Catalogue
) -> None:
    match = lexicon(catalogue).places.find(text)
    assert match is not None
    assert match.region == region
    assert match.uncertain is uncertain
    if uncertain:
        assert match.note and "tell me" in match.note
    if uncertain and region is None:
        assert match.nation in ("", "England")  # the nation is kept where every reading agrees on it


@pytest.mark.parametrize(
    ("text", "region"),
    [("band 5 analyst in Cumbria", None), ("band 5 analyst in Kendal, Cumbria", "North West"),
     ("band 5 analyst in Cumbria (Carlisle)", "North East and Yorkshire")],
)  # fmt: skip
def test_a_place_split_between_regions_is_asked_about_not_guessed(
    text: str, region: str | None, catalogue: Catalogue
) -> None:
    match = lexicon(catalogue).places.find(text)
    assert match is not None and match.nation == "England" and match.region == region
    if region is None:
        assert match.uncertain and match.note and "split between" in match.note and "tell me" in match.note


def test_bangor_county_down_is_northern_ireland(catalogue: Catalogue) -> None:
    match = lexicon(catalogue).places.find("GP in Bangor, County Down")
    assert match is not None and match.nation == "Northern Ireland"


@pytest.mark.parametrize(
    "text",
    [
        "I'm reading about AI",
        "starting in March",
        "a long bath",
        "on the street",
        "a good deal",
        "in May next year",
        "oh gosh, band 5 nurse here",  # GOSH only in capitals
        "I'd love a sash window in my office",
    ],
)
def test_ordinary_words_are_not_places(text: str, catalogue: Catalogue) -> None:
    assert lexicon(catalogue).places.find(text) is None


def test_two_places_prefer_where_the_person_works(catalogue: Catalogue) -> None:
    match = lexicon(catalogue).places.find("I trained in Leeds but now work in Bristol")
    assert match is not None
    assert match.region == "South West"
    assert match.note and "Leeds" in match.note


# Local offices split the South East (FPT's rules differ: KSS leaves psychiatry out).
OFFICES = [
    ("ST4 in Maidstone", "Kent, Surrey and Sussex"),  # a listed town
    ("at Sussex Partnership", "Kent, Surrey and Sussex"),  # a listed trust
    ("based at Mill View in Hove", "Kent, Surrey and Sussex"),
    ("working in Whitstable", "Kent, Surrey and Sussex"),
    ("ST5 at Hythe in Kent", "Kent, Surrey and Sussex"),  # Hampshire has a Hythe too: the county decides
    ("in Oxford", "Thames Valley"),
    ("at Stoke Mandeville", "Thames Valley"),
    ("in Southampton", "Wessex"),
    ("in Leeds", None),  # not split
]


@pytest.mark.parametrize(("text", "office"), OFFICES)
def test_local_office_is_read_where_the_gazetteer_splits_a_region(text: str, office: str | None, catalogue: Catalogue) -> None:
    match = lexicon(catalogue).places.find(text)
    assert match is not None
    assert match.office == office

