"""The conservative merge of a second reading (an LLM's, validated elsewhere) into the rules' own.

Pure: the reading arrives as plain data already checked against the vocabularies
(bot/answering/reader.py). The rules stay in charge. A refusal from either reader stands, and a
rules refusal is never lifted. For each profile field the second reader may fill what the rules
left unknown, never change what they read; where both read a field differently, the rules' value
stays and the field is named as a disagreement. Only field names are recorded, never values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.advice.guard import Refusal
from bot.advice.lexicon import lexicon
from bot.advice.reading import (
    Profile,
    career_stage,  # the rules' own derivation
)
from bot.catalogue.snapshot import Catalogue

# The fields a second reader may give, in the order they are merged (a filled profession
# decides whether a stage or a band can follow; a filled stage whether its year can).
FIELDS = ("profession", "stage", "stage_year", "band", "nation", "region")
REFUSAL = "refusal"  # the name refusals are recorded under


@dataclass(frozen=True)
class SecondReading:
    """Who is asking, and what must be refused, as another reader saw it (None: not stated)."""

    profession: str | None = None
    stage: str | None = None
    stage_year: int | None = None
    band: int | None = None
    nation: str | None = None
    region: str | None = None
    refuse_category: str | None = None


@dataclass(frozen=True)
class Merged:
    """What the second reading changed (filled) and where it differed (disagreed): names only."""

    filled: tuple[str, ...] = ()
    disagreed: tuple[str, ...] = ()


def merge_refusal(
    rules: Refusal | None, second: SecondReading, catalogue: Catalogue
) -> tuple[Refusal | None, Merged]:
    """The rules' refusal if any (never lifted); else the second reader's, worded as the guard
    words that category, refused whole (it names no career part to answer). Where the rules
    refused only part and the second reader names a category never answered in part (an
    injection, a dishonest request), its whole refusal stands instead."""
    category = second.refuse_category
    if category is None or category not in catalogue.refusals.categories:
        return rules, Merged()
    differs = (REFUSAL,) if rules is not None and rules.reason != category else ()
    whole = not catalogue.refusals.categories[category].answer_the_rest
    if rules is not None and not (rules.partial and whole):
        return rules, Merged(disagreed=differs)
    message = catalogue.refusals.categories[category].message.strip()
    return Refusal(category, message, pattern="second-reader"), Merged(filled=(REFUSAL,), disagreed=differs)


def merge_profile(
    rules: Profile, second: SecondReading, catalogue: Catalogue
) -> tuple[Profile, Merged]:
    """`rules` with the fields it left unknown filled from `second` where they fit together."""
    data = rules.model_dump()
    filled: list[str] = []
    disagreed: list[str] = []
    for name in FIELDS:
        theirs = getattr(second, name)
        if theirs is None:
            continue
        ours = data[name]
        if ours is not None:
            if ours != theirs:
                disagreed.append(name)
        elif _fits(name, theirs, data, catalogue):
            data[name] = theirs
            filled.append(name)
        else:
            disagreed.append(name)  # it contradicts the profile as read so far: not filled
    if "region" in filled and data["nation"] is None:
        data["nation"] = "England"  # the regions are NHS England's
        filled.append("nation")
    if not filled:
        return rules, Merged(disagreed=tuple(disagreed))
    if data["career_stage"] is None:
        data["career_stage"] = career_stage(
            data["profession"], data["stage"], data["band"], data["role"],
            lexicon(catalogue).vocabulary.senior_roles,
        )  # fmt: skip
    return Profile.model_validate(data), Merged(tuple(filled), tuple(disagreed))


def _fits(name: str, value: object, data: dict[str, Any], catalogue: Catalogue) -> bool:
    """Whether a filled value agrees with the rest of the profile as read so far."""
    term = catalogue.professions.term(data["profession"])
    if name == "stage":
        return term is not None and term.grades  # grades are said by doctors, dentists, students
    if name == "stage_year":
        return data["stage"] is not None
    if name == "band":
        return data["profession"] is None or (term is not None and term.afc)
    if name == "nation":
        return data["region"] is None or value == "England"
    if name == "region":
        return data["nation"] in (None, "England")
    return True



def worth_reading(question: str, catalogue: Catalogue) -> bool:
    """False when the rules refuse the question whole: no second reading could change that, so
    none is asked for (a partial or soft refusal still leaves a career part to read)."""
    refusal = lexicon(catalogue).guard.screen(question)
    return refusal is None or refusal.partial or refusal.soft
