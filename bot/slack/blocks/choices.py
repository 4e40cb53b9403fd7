"""The choices Pathfinder's forms offer, from the catalogue's vocabulary (so a profession added to
knowledge/vocabulary/professions.yaml appears in the forms with no code change)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.catalogue.snapshot import Catalogue
from bot.catalogue.vocabulary import NATIONS, REGIONS

Choice = tuple[str, str]  # (value, label)


@dataclass(frozen=True)
class Choices:
    professions: list[Choice]
    stages: list[Choice]
    bands: list[Choice]
    regions: list[Choice]  # NHS England regions
    places: list[Choice]  # the regions, then the devolved nations

    @classmethod
    def of(cls, catalogue: Catalogue) -> Choices:
        professions = [(p.id, _capital(p.label)) for p in catalogue.professions.professions]
        stages = [(s.id, _capital(s.label)) for s in catalogue.reading.stages]
        regions = [(r, r) for r in REGIONS]
        nations = [(n, n) for n in NATIONS if n != "England"]
        return cls(
            professions=professions,
            stages=stages,
            bands=[(str(b), "Band 8 (8a to 8d)" if b == 8 else f"Band {b}") for b in range(2, 10)],
            regions=regions,
            places=regions + nations,
        )


def label(choices: list[Choice], value: Any) -> str | None:
    if value is None:
        return None
    return next((text for key, text in choices if key == str(value)), None)


def picked(state: dict[str, Any], block: str, choices: list[Choice]) -> str | None:
    """A submitted select's value, if it is one of the choices offered (else None)."""
    option = ((state.get(block) or {}).get("value") or {}).get("selected_option") or {}
    value = option.get("value") if isinstance(option, dict) else None
    return value if any(value == key for key, _ in choices) else None


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
