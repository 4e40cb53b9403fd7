"""The few sentences code writes into advice itself: why, what to be careful of, when, and who.

These are said whichever responder phrases the answer, so they are built only from the checks
and the catalogue's dated, sourced facts: a reason must be true of its entry, and an application
window is what the sources say with its date, never a guess at the next round.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from bot.advice.ranking import Suggestion
from bot.advice.reading import Profile
from bot.catalogue.schema import ProgrammeDoc, describe, first_day
from bot.catalogue.text import with_article
from bot.catalogue.vocabulary import STAGE_LABELS, ProfessionsFile


def reasons(
    s: Suggestion,
    profile: Profile,
    intents: dict[str, float],
    offers: dict[str, str],
    heir_of: str | None = None,
    *,
    them: bool = False,
) -> list[str]:
    """Why a programme is suggested, from what it squarely serves and the checks it met."""
    routing = s.programme.routing
    # Only what the entry squarely serves (weight 3+): a "why" must be true of that entry.
    wanted = [
        offers[i] for i in intents if routing.intent(i) >= 3 and i in offers and i != "plan_ahead"
    ]
    found = []
    if s.programme.id in profile.named:
        found.append("you asked about it")
    elif not wanted and heir_of is not None:
        found.append(f"the {heir_of} closed and its members moved here")
    if wanted:
        found.append("it offers " + _join(wanted[:3]))
    if profile.profession and profile.profession in routing.audiences:
        found.append(f"it is aimed at people in {'their' if them else 'your'} profession")
    met = [
        c.detail.rstrip(".")
        for c in s.checks
        if c.status == "met" and c.kind in ("stage", "band", "nation")
    ]
    if met:
        found.append(_join([m[0].lower() + m[1:] for m in met[:2]]))
    return found


# The checks say "you" of the person the advice is worked out for. Asked for someone else, that
# person is "they" (whose grammar matches "you": they're, they have, their, theirs, to them).
_THEM = [
    (re.compile(r"\b(to|get|for) you\b"), r"\1 them"),
    (re.compile(r"\byours\b"), "theirs"),
    (re.compile(r"\byour\b"), "their"),
    (re.compile(r"\bYour\b"), "Their"),
    (re.compile(r"\byou\b"), "they"),
    (re.compile(r"\bYou\b"), "They"),
]


def about_them(detail: str) -> str:
    """A check's detail said of the person asked about, not of the asker."""
    for pattern, repl in _THEM:
        detail = pattern.sub(repl, detail)
    return detail


def checks_about_them(s: Suggestion) -> None:
    """Asked for someone else ("my FY2 wants..."): every check speaks of them."""
    s.checks = [replace(c, detail=about_them(c.detail)) for c in s.checks]


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def window_note(programme: ProgrammeDoc, today: date, nation: str | None = None) -> str | None:
    """What the sources say about application rounds, with dates, never a guess at the next one.
    A round for some nations only (STP posts in Wales) is told only to someone working there."""
    windows = [w for w in programme.windows if not w.nations or nation in w.nations]
    dated = [w for w in windows if w.opens or w.closes]
    pattern = next((w for w in windows if w.pattern), None)
    usual = f" {pattern.pattern}" if pattern is not None and pattern.pattern else ""
    if not dated:
        return f"{pattern.pattern} (as of {pattern.as_of:%B %Y})" if pattern and pattern.pattern else None
    w = max(dated, key=lambda w: first_day(w.closes or w.opens or "1900-01"))
    round_ = f"{w.cohort} round" if w.cohort else "round"
    opens = first_day(w.opens) if w.opens else None
    closes = first_day(w.closes) if w.closes else None
    if closes is not None and w.closes and closes >= today:
        if opens is not None and w.opens and opens > today:
            text = f"The {round_} opens {describe(w.opens)} and closes {describe(w.closes)}"
        else:
            text = f"The {round_} is open until {describe(w.closes)}"
    else:
        parts = [f"opened {describe(w.opens)}" if w.opens else "", f"closed {describe(w.closes)}" if w.closes else ""]
        text = f"The last {round_} " + " and ".join(x for x in parts if x) + "; the next round's dates are not confirmed"
    if w.starts:
        text += f" (that cohort starts {describe(w.starts)})"
    return f"{text}. As of {w.as_of:%-d %B %Y}.{usual}"


def cautions(programme: ProgrammeDoc, today: date) -> list[str]:
    """What may be out of date or unconfirmed about an entry, as of today."""
    found = []
    if programme.review_due < today:
        found.append(
            f"This entry was due for review on {programme.review_due:%-d %B %Y}; details may have changed."
        )
    if programme.status.uncertain:
        found.append(f"Unconfirmed status: {programme.status.text}")
    for topic, fact in programme.named_facts():
        if topic == "status":
            continue
        if fact.time_sensitive and fact.as_of is not None and fact.as_of < today:
            found.append(f"Dated information (as of {fact.as_of:%B %Y}): {fact.text}")
    return found


def describe_person(p: Profile, professions: ProfessionsFile) -> str:
    """'a band 6 nurse in Leeds' from what the question said, or '' when it said nothing."""
    words: list[str] = []
    if p.stage == "specialty" and p.specialty_group == "general_practice":
        words.append(f"GPST{p.stage_year} GP trainee" if p.stage_year else "GP trainee")
    elif p.stage and p.profession in ("doctor", "dentist"):
        grade = f"ST{p.stage_year}" if p.stage == "specialty" and p.stage_year else None
        if p.stage == "foundation" and p.stage_year:
            grade = f"FY{p.stage_year}"
        if p.stage == "core" and p.stage_year:
            grade = f"CT{p.stage_year}"
        label = STAGE_LABELS[p.stage]
        if p.profession == "dentist":
            label = (
                label.replace("doctor", "dentist") if "doctor" in label else f"{label} (dentist)"
            )
        words.append(f"{grade} {label}" if grade else label)
    elif p.profession:
        if p.band:
            words.append(f"band {p.band}")
        term = professions.term(p.profession)
        words.append(term.label if term else p.profession.replace("_", " "))
    elif p.role:
        words.append(
            p.role.replace("_", " ").upper() if len(p.role) <= 4 else p.role.replace("_", " ")
        )
    if not words:
        return ""
    text = " ".join(words)
    if p.place:
        text += f" in {p.place}"
    return with_article(text)
