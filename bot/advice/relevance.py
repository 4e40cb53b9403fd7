"""How well each programme's routing serves a person, before any eligibility check.

`relevance` scores one programme. `RoutingIndex.scores` gives the same score for every programme
at once from inverted indexes built once per catalogue version (lexicon.py): a question touches
only the entries that serve one of its intents, its profession, role or stage, or its nation, so
the cost follows what was asked, not the size of the catalogue. A programme that nothing in the
question touches scores 0 and is left out of the result (read it with `.get(pid, 0.0)`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.catalogue.schema import NationCriterion, ProgrammeDoc

if TYPE_CHECKING:  # the reader builds on the lexicon, which holds this module's index
    from bot.advice.reading import Profile

DEVOLVED = ("Wales", "Scotland", "Northern Ireland")

NATION_BONUS = 4.0
FELLOWSHIP_BONUS = 3.0
NAMED_BONUS = 8.0
GRADED = ("doctor", "dentist")  # professions whose training stage adds to relevance


def own_nation_route(programme: ProgrammeDoc, nation: str | None) -> bool:
    """Whether a programme is only for the person's own devolved nation (Wales's own routes)."""
    if nation not in DEVOLVED:
        return False
    rule = next((c for c in programme.eligibility if isinstance(c, NationCriterion)), None)
    return rule is not None and set(rule.allowed) == {nation}


def devolved_only(programme: ProgrammeDoc) -> bool:
    """Whether a programme is only for one or more of Wales, Scotland and Northern Ireland."""
    rule = next((c for c in programme.eligibility if isinstance(c, NationCriterion)), None)
    return rule is not None and bool(rule.allowed) and set(rule.allowed) <= set(DEVOLVED)


def relevance(programme: ProgrammeDoc, profile: Profile, intents: dict[str, float]) -> float:
    """How well a programme's routing serves the person, before any eligibility check."""
    routing = programme.routing
    score = sum(routing.intent(i) * w for i, w in intents.items())
    if profile.profession is not None:
        score += routing.audience(profile.profession)
    score += routing.role(profile.role)
    if profile.profession in GRADED:
        score += max(routing.stage(profile.stage), routing.stage(profile.next_stage))
    if "fellowship" in intents and programme.kind == "fellowship":
        score += FELLOWSHIP_BONUS
    if programme.id in profile.named:
        score += NAMED_BONUS
    if own_nation_route(programme, profile.nation):
        score += NATION_BONUS  # someone in Wales sees Wales's own routes first
    return score


Weights = dict[str, dict[str, int]]  # key (an intent, profession, role or stage) -> {programme id: weight}


def _invert(pairs: Iterable[tuple[str, dict[str, int]]]) -> Weights:
    out: defaultdict[str, dict[str, int]] = defaultdict(dict)
    for pid, weights in pairs:
        for key, w in weights.items():
            out[key][pid] = w
    return dict(out)


@dataclass(frozen=True)
class RoutingIndex:
    """The catalogue's routing, inverted: which programmes each intent, profession, role, stage
    and nation touches, and the few programme sets ranking asks about on every question."""

    by_intent: Weights
    by_audience: Weights
    by_role: Weights
    by_stage: Weights
    fellowships: frozenset[str]
    own_nation: dict[str, frozenset[str]]  # a devolved nation -> routes only for it
    devolved_only: tuple[str, ...]  # routes only for one or more devolved nations
    targeted_roles: frozenset[str]  # roles some entry is aimed at
    with_heirs: tuple[ProgrammeDoc, ...]  # closed bodies whose members moved to successors

    @classmethod
    def build(cls, programmes: tuple[ProgrammeDoc, ...]) -> RoutingIndex:
        return cls(
            by_intent=_invert((p.id, {str(k): w for k, w in p.routing.intents.items()}) for p in programmes),
            by_audience=_invert((p.id, {str(k): w for k, w in p.routing.audiences.items()}) for p in programmes),
            by_role=_invert((p.id, {str(k): w for k, w in p.routing.roles.items()}) for p in programmes),
            by_stage=_invert((p.id, {str(k): w for k, w in p.routing.stages.items()}) for p in programmes),
            fellowships=frozenset(p.id for p in programmes if p.kind == "fellowship"),
            own_nation={
                n: frozenset(p.id for p in programmes if own_nation_route(p, n)) for n in DEVOLVED
            },
            devolved_only=tuple(p.id for p in programmes if devolved_only(p)),
            targeted_roles=frozenset(r for p in programmes for r in p.routing.roles),
            with_heirs=tuple(p for p in programmes if p.succeeded_by and not p.status.active),
        )

    def scores(self, profile: Profile, intents: dict[str, float], known: dict[str, ProgrammeDoc]) -> dict[str, float]:
        """`relevance` of every programme the question touches (the rest score 0)."""
        out: defaultdict[str, float] = defaultdict(float)
        for intent, w in intents.items():
            for pid, weight in self.by_intent.get(intent, {}).items():
                out[pid] += weight * w
        if profile.profession is not None:
            for pid, weight in self.by_audience.get(profile.profession, {}).items():
                out[pid] += weight
        for pid, weight in self.by_role.get(profile.role or "", {}).items():
            out[pid] += weight
        if profile.profession in GRADED:
            now = self.by_stage.get(profile.stage or "", {})
            coming = self.by_stage.get(profile.next_stage or "", {})
            for pid in now.keys() | coming.keys():
                out[pid] += max(now.get(pid, 0), coming.get(pid, 0))
        if "fellowship" in intents:
            for pid in self.fellowships:
                out[pid] += FELLOWSHIP_BONUS
        for pid in dict.fromkeys(profile.named):
            if pid in known:
                out[pid] += NAMED_BONUS
        for pid in self.own_nation.get(profile.nation or "", frozenset()):
            out[pid] += NATION_BONUS
        return dict(out)
