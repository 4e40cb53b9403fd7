"""Where a route reaches: the four nations, and England's regional networks.

Most of the catalogue is English, and someone in Wales, Scotland or Northern Ireland must never
be sent to an England-only door as if it were theirs. The nation rules live here, in one place,
for ranking (own nation first) and for the advice (what is UK-wide, what is England only, and
whether a regional informatics skills network can be named at all).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.advice.eligibility import Verdict
from bot.advice.reading import Profile
from bot.advice.relevance import DEVOLVED
from bot.catalogue.schema import NationCriterion, NetworkDoc, ProgrammeDoc
from bot.catalogue.snapshot import Catalogue

UK_NATIONS = ("England", "Wales", "Scotland", "Northern Ireland")
UNVERIFIED_NETWORK = (
    "Health Education England supported regional informatics skills networks; only the North "
    "West's is confirmed now. Your organisation's digital or workforce team will know what runs "
    "locally, and the national communities (the CCIO, CNIO and Health CIO networks, the Shuri "
    "Network, BCS Health and Care) are open wherever you work."
)


def network(
    catalogue: Catalogue, profile: Profile, verdict_of: Callable[[str], Verdict]
) -> tuple[NetworkDoc | None, str | None]:
    """The person's regional network and what to say about it (asks for the ISDN's verdict
    only when it matters)."""
    if profile.nation in DEVOLVED or profile.nation == "Outside the UK":
        return (
            None,
            f"England's regional informatics skills networks don't cover {profile.nation}.",
        )
    if profile.nation != "England" or profile.region is None:
        return None, None
    if "isdn" in catalogue.by_id and verdict_of("isdn") == "not_eligible":
        return None, None
    found = catalogue.network_for(profile.region)
    if found is not None and not found.verified:
        # Routing to the region's coordinator is Pathfinder's own; the network itself is not
        # confirmed, so it is never called "your regional ISDN".
        return found, UNVERIFIED_NETWORK
    return found, None


def by_reach(
    catalogue: Catalogue, nation: str, shown: set[str]
) -> tuple[list[ProgrammeDoc], list[ProgrammeDoc]]:
    """For someone outside England: what is open UK-wide (running, and not already shown) and
    what is England only (anything not closed or historical)."""
    uk_wide, england_only = [], []
    for p in catalogue.programmes:
        if p.status.ended:
            continue
        if p.id in shown and p.status.state == "running":
            continue
        rule = next((c for c in p.eligibility if isinstance(c, NationCriterion)), None)
        if rule is None or set(UK_NATIONS) <= set(rule.allowed):
            if p.status.state == "running" and (
                p.open_to_individuals
                and rule is not None
                or p.kind in ("professional_body", "accreditation")
            ):
                uk_wide.append(p)
        elif rule.allowed == ["England"] and nation not in rule.unknown:
            england_only.append(p)
    return uk_wide, england_only
