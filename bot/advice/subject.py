"""Questions asked for someone else: "my GPST2 wants protected time", "what could my band 5s
apply for?", "my devs want to move into ML: can they do the fellowship?".

The profile stays the asker's (it is who is asking). The Subject is the person the question is
for, read from how the asker names them, and the advice is worked out for them instead: the
GPST2's eligibility, not the GP trainer's. The words that mark such a question are data
(`on_behalf` in knowledge/vocabulary/reading.yaml).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.advice import bands, fields
from bot.advice.scope import Mention, Reader

NEAR = 6  # tokens between the person and "wants" ("band 6 BMSs in my lab in Coventry want")


class Person(BaseModel):
    """What a message says of someone that eligibility is checked against: the asker (Profile) or
    the person a question is asked for (Subject)."""

    profession: str | None = None
    stage: str | None = None
    stage_year: int | None = None
    band: int | None = None
    specialty: str | None = None
    specialty_group: str | None = None


class Subject(Person):
    """Who a question is asked for, as far as the asker says."""

    model_config = ConfigDict(frozen=True)

    text: str  # how the asker names them: "GPST2", "band 5s", "devs"
    span: tuple[int, int] = (0, 0)  # their tokens in the question
    place: str | None = None  # where they work, when the asker says and names nowhere of their own
    nation: str | None = None
    region: str | None = None


def subject(r: Reader, people: list[Mention], said: fields.Grades) -> Subject | None:
    """The person the question is asked for, or None when it is about the asker.

    A person someone else is (a profession or grade said of another, or of a group) counts when
    the sentence says they want something ("my GPST2 wants", "registrars asking about") or the
    question asks for them ("what could they apply for?", "what should I tell her?"), and the
    asker asks nothing for themselves ("can I", "for me")."""
    hits = r.vocab.on_behalf.scan(r.tokens, overlapping=True)
    ahead = [h for h in hits if h.value == "asks_ahead"]
    for_them = [h for h in hits if h.value in ("asks", "asks_ahead")]
    # "how can I support my HCAs": the asker's own words, but the question is for the HCAs
    if not hits or any(h.value == "own" and not any(h.last <= a.first <= h.last + 2 for a in for_them) for h in hits):
        return None
    grades = [m for m, _ in said]
    others = sorted((m for m in [*people, *grades] if m.who in ("other", "group") and not m.text.lower().endswith("team")),
                    key=lambda m: m.first)  # a team is where someone works, not who they are
    wants = [h for h in hits if h.value == "wants"]
    chosen = next((m for m in others if any(m.last <= h.first <= m.last + NEAR and _same_sentence(r, m.last, h.first) for h in wants)), None)
    if chosen is None and ahead:  # "what could my band 5 nurses apply for?"
        chosen = next((m for m in others if any(h.last <= m.first <= h.last + NEAR for h in ahead)), None)
    asks = [h for h in hits if h.value == "asks"]
    if chosen is None and asks:  # "...a physics graduate... what's the route for them?"
        before = [m for m in others if m.first < asks[0].first]
        # "one of my band 6 staff nurses has been our EPR superuser ... point her to": the person
        # the asker names as theirs, not a job they do beside it
        named = [m for m in before if _mine(r, m.first)]
        # "would he be eligible for Topol? he's my FY2": named after the question
        after = [m for m in others if m.first > asks[0].first]
        chosen = named[-1] if named else before[-1] if before else after[0] if after else None
    if chosen is None:
        return None
    return _describe(r, chosen, people, said)


def _describe(r: Reader, m: Mention, people: list[Mention], said: fields.Grades) -> Subject:
    """Profession, grade, band and specialty said with the person ("one of my orthodontic StRs")."""
    start, end = _clause(r, m)
    grades = [g for g, _ in said]
    near = [g for g in grades if start <= g.first < end]
    profession = m.value if m in people else next((p.value for p in people if start <= p.first < end), None)
    grade = m if m in grades else (near[0] if near else None)
    year = next((y for g, y in said if grade is not None and g.first == grade.first), None)
    specialty, group = fields.specialty_between(r, start, end)
    if grade is not None and profession in (None, "doctor"):
        profession = "dentist" if group == "dental" else "doctor"  # "orthodontic StRs" are dentists
    return Subject(
        text=m.text,
        span=(m.first, m.last),
        profession=profession,
        stage=grade.value if grade is not None and profession in ("doctor", "dentist") else None,
        stage_year=year if grade is not None else None,
        band=bands.band_between(r, start, end),
        specialty=specialty if profession in ("doctor", "dentist") else None,
        specialty_group=group if profession in ("doctor", "dentist") else None,
    )


def _mine(r: Reader, first: int) -> bool:
    """ "my GPST2", "one of my band 6 staff nurses", "one of our HCAs": a person the asker names."""
    owner = r.owner(first)
    return owner is not None and r.tokens[owner].key in ("my", "our")


def _same_sentence(r: Reader, first: int, last: int) -> bool:
    return not any(r.hard[i] for i in range(first + 1, last + 1))


def _clause(r: Reader, m: Mention) -> tuple[int, int]:
    """The tokens around a person that describe them: from the start of their sentence (at most
    a few words back) to the end of it."""
    start = m.first
    while start > 0 and not r.hard[start] and m.first - start < NEAR:
        start -= 1
    end = m.last
    while end < len(r.tokens) and not r.hard[end]:
        end += 1
    return start, end
