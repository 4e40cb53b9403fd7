"""Whose a band, a job word or a place is: the asker's, or someone else's, or no one's.

"a band 7 informatics post" is a post's band, "Topol is for band 6" a programme's rule, "a band 5
who wants to..." and "a nurse I support" are other people, "my band 4 apprentice" the asker's
apprentice; "band 4 admin staff like me" and "a nurse in my position" are the asker. A place is
where the asker works or lives, someone else's, a past one, or only what programmes are for
("everything seems to be for England").
"""

from __future__ import annotations

import re

from bot.advice.matching import Match
from bot.advice.places import PlaceMention, Standing
from bot.advice.scope import Reader, Who

PEOPLE_WORDS = frozenset({"trainees", "staff", "colleagues", "juniors", "students", "apprentices", "team", "reports", "people",
                          "mentee", "mentees", "deputy", "deputies", "mate", "mates", "supervisee", "supervisees", "trainee",
                          "apprentice", "colleague", "student", "junior"})
POST_WORDS = frozenset({"post", "posts", "job", "jobs", "role", "roles", "vacancy", "vacancies", "position", "positions", "advert", "secondment"})
POST_BEFORE = frozenset({"for", "the", "create", "creating", "new", "advertised", "advertising", "apply", "applying", "interview", "interviewing", "recruit", "recruiting", "more"})


def a_post(r: Reader, i: int) -> bool:
    """A band that belongs to a post, not to the asker: "applying for a band 7 informatics nurse
    post", "we want to create band 6 posts" (but "I'm in a band 6 post" is the asker's)."""
    after = {t.key for t in r.tokens[i + 1 : i + 5]}
    before = [t.key for t in r.tokens[max(0, i - 4) : i]]
    return bool(after & POST_WORDS) and bool(set(before) & POST_BEFORE) and "in" not in before[-3:]


# "Topol is for band 6", "open to band 7s", "aimed at band 5 and above": what a programme asks for.
REQUIRES = (("is", "for"), ("are", "for"), ("only", "for"), ("just", "for"), ("open", "to"), ("aimed", "at"),
            ("restricted", "to"), ("limited", "to"), ("need", "be"), ("needs", "be"), ("must", "be"), ("have", "be"))


def a_requirement(r: Reader, i: int) -> bool:
    """A band a programme asks for, not the asker's: "the Topol fellowship is for band 6 I think"."""
    if i < 3 or r.tokens[i - 1].key not in ("band", "b") or any(r.hard[k] or r.soft[k] for k in range(i - 3, i)):
        return False
    keys = [t.key for t in r.tokens[max(0, i - 4) : i - 1]]  # the words just before "band"
    if keys[-2:] == ["to", "be"] and len(keys) == 3:
        return (keys[0], "be") in REQUIRES  # "need to be band 6"
    return (keys[-2], keys[-1]) in REQUIRES


def someone_else(r: Reader, i: int) -> bool:
    """ "a band 5 who wants to be a CNIO", "a band 6 I supervise": a person who is not the asker."""
    if i < 2 or r.tokens[i - 1].key not in ("band", "b") or r.tokens[i - 2].key not in ("a", "an"):
        return False
    return (i + 1 < len(r.tokens) and r.tokens[i + 1].key in ("who", "whos")) or _i_look_after(r, i + 1)


# "a nurse I support", "a band 6 I line manage": someone the asker looks after, not the asker
MINE_VERBS = frozenset({"support", "manage", "supervise", "mentor", "line", "teach", "train", "precept", "oversee", "know"})
LIKE_ME = (("like", "me", ""), ("like", "myself", ""), ("such", "as", "myself"), ("in", "my", "position"),
           ("in", "my", "shoes"), ("at", "my", "level"), ("in", "my", "situation"))


def _like_me(r: Reader, start: int, span: int) -> bool:
    """ "band 4 admin staff like me", "a nurse in my position": the person named is the asker."""
    keys = [t.key for t in r.tokens[start : start + span + 1]]
    for i in range(len(keys) - 1):
        for a, b, c in LIKE_ME:
            if keys[i] == a and keys[i + 1] == b and (not c or (i + 2 < len(keys) and keys[i + 2] == c)):
                return True
    return False


def looked_after(r: Reader, first: int, last: int) -> bool:
    """ "a nurse I support", "one of the HCAs I line manage": someone the asker looks after."""
    named = first > 0 and r.tokens[first - 1].key in ("a", "an", "the", "one", "some", "two", "three")
    return named and _i_look_after(r, last)


def _i_look_after(r: Reader, k: int) -> bool:
    """ "I support", "I line manage" at token k: the person just named is someone the asker looks after."""
    keys = [t.key for t in r.tokens[k : k + 2]]
    return keys[:1] == ["i"] and len(keys) == 2 and keys[1] in MINE_VERBS


def like_me(r: Reader, last: int) -> bool:
    """A group named just before "like me" ("admin staff like me"): the asker is one of them."""
    return _like_me(r, last, 2)


THRESHOLD = re.compile(r"\s*(?:\+|plus\b|and above\b|or above\b|and over\b|or over\b|and up\b|or higher\b|and higher\b|minimum\b)", re.I)


def person_follows(r: Reader, i: int, *, plural: bool = False) -> bool:
    """A job word within three words after token i ("band 4 admin apprentice", "band 5s"), or
    with `plural`, a plural one ("band 6 biomedical scientists")."""
    if r.tokens[i].text.lower().endswith("s") and r.tokens[i].text[:-1].isdigit():
        return True
    if {t.key for t in r.tokens[i + 1 : i + 4]} & PEOPLE_WORDS:
        return True  # "my band 7 trainees", "the band 5 staff"
    found = r.vocab.professions.scanner.scan(r.tokens[i + 1 : i + 4])
    return any(m.plural for m in found) if plural else bool(found)


def band(r: Reader, i: int) -> Who | None:
    """Who a band said at token i belongs to, where the words around it settle it; else None."""
    if _like_me(r, i + 1, 5):
        return "self"  # "open to band 4 admin staff like me"
    if i > 1 and r.tokens[i - 1].key in ("band", "b") and r.tokens[i - 2].key in ("my", "our", "the") and person_follows(r, i, plural=r.tokens[i - 2].key == "the"):
        if r.tokens[i - 2].key == "the" and i > 2 and r.tokens[i - 3].key in ("im", "am", "as"):
            return "self"  # "I'm the band 5 trainee BMS who got volunteered"
        return "other"  # "my band 4 apprentice", "three of the band 6 BMSs in my lab"
    if i > 1 and r.tokens[i - 1].key in ("band", "b") and r.soft[i - 1] and _said_of_another(r, i - 1):
        return "other"  # "she's the therapist (band 6)", "my colleague is an OT, band 6"
    if a_post(r, i) or a_requirement(r, i) or someone_else(r, i):
        return "other"  # "a band 7 informatics post", "Topol is for band 6", "a band 5 who wants to..."
    return None


def _said_of_another(r: Reader, k: int) -> bool:
    """A job named just before token k (a comma or bracket between) and said of someone else."""
    for m in r.vocab.professions.scanner.scan(r.tokens[max(0, k - 4) : k]):
        if m.last + max(0, k - 4) == k:
            first = m.first + max(0, k - 4)
            return r.who(Match(m.value, first, k, m.plural, m.text)) == "other"
    return False


# -- Whose a place is ------------------------------------------------------------------------

SAME_PLACE = re.compile(r"\b(?:at|in|on) the same (?:hospital|trust|site|place|department|dept|ward|unit|practice|surgery|board)\b|\bwe both work\b|\bwork(?:s|ing)? together\b"
                        r"|\bi(?:'m| am| work)\b[^.?!]{0,40}(?<!is )(?<!are )(?<!was )\bthere\b(?!\s*(?:is|are|was|were|isn|aren|'s|any\w*)\b)", re.I)
TEAM_WORDS = frozenset({"team", "staff", "manage", "managing", "lead", "leading", "supervisor", "supervise", "supervising", "mentor", "tutor"})


def standing(r: Reader, m: PlaceMention, *, theirs: bool = False) -> Standing:
    """Whether a place is where the asker works, lives, or neither (someone else's, the past).
    With `theirs`, a place said of someone else counts: the question is asked for them."""
    who = r.who(Match("place", m.first, m.last, False, m.text), possessive_is_other=False)
    if who == "other" and (theirs or _of_my_team(r, m.first) or SAME_PLACE.search(r.text) or r.both_of_us(m.first, between=3)):
        who = "plain"  # "I manage a team of ward clerks at Pinderfields": the team works where I do
    if _scope_not_place(r, m):
        return "ignore"  # "everything seems to be for England": what programmes are for, not where they work
    if who == "other" and _workmate_there(r, m.first):
        return "home"  # "my consultant in Leicester keeps telling me... I'm a CT1": likely where they work too
    if who in ("other", "negated", "past"):
        return "ignore"
    if _spent_there(r, m.first):
        return "home"  # "working in Auckland now but spent ten years at GOSH": only if nothing better
    if _team_there(r, m):
        return "work"  # "employed by CNWL but I'm in the Milton Keynes community team"
    if who == "wish":
        return "home"  # "I want a job in Scotland": where they hope to be, only if nothing better
    if _moved_to(r, m.first):
        return "work"  # "just moved from UHW to the QEUH": where they went is where they work now
    if _moved_to(r, m.first, MOVING):
        return "ignore"  # "moving from MRI to the Royal Gwent in March": where they are going
    if _elsewhere(r, m.first):
        return "ignore"  # "moving to Leeds", but not "going back to uni? Royal Stoke, band 3"
    if any(t.key == "originally" for t in r.tokens[m.last : m.last + 2]) and not any(r.soft[i] or r.hard[i] for i in range(m.last, m.last + 2)):
        return "ignore"  # "I'm from Glasgow originally", but not "in Blackpool, originally from Goa"
    came_from = m.first > 0 and r.tokens[m.first - 1].key == "from" or m.first > 1 and [t.key for t in r.tokens[m.first - 2 : m.first]] == ["from", "the"]
    if came_from and all(x.nation == "Outside the UK" for x in m.readings):
        return "ignore"  # "band 5 at Kettering General, from Ghana": where they come from
    if [t.key for t in r.tokens[m.last : m.last + 2]] in (["we", "call"], ["they", "call"], ["we", "say"], ["its", "called"]):
        return "ignore"  # "FY2 in Sunderland Royal (in Pakistan we call this house job)": a comparison
    # the nearer of a work and a home cue: "core trainee at Derriford, but I'm from Belfast"
    near = [c for c in r.all_cues if c.value in ("work", "home") and m.first - 5 <= c.first and c.last <= m.first]
    if near:
        return "work" if max(near, key=lambda c: (c.last, c.first)).value == "work" else "home"
    return "asker"


WORKMATES = frozenset({"my consultant", "my supervisor", "my educational supervisor", "my clinical supervisor", "my registrar", "my reg",
                       "my manager", "my line manager", "my boss", "my team", "our team", "my colleague", "my colleagues", "my trainer",
                       "my mentor", "my juniors", "my trainee", "my trainees"})


def _workmate_there(r: Reader, i: int) -> bool:
    """A place said of someone the asker works with, straight after naming them ("my consultant
    in Leicester"): where the asker works too, unless they say otherwise."""
    return any(c.value == "third_party" and c.text.lower() in WORKMATES and 0 <= i - c.last <= 2 for c in r.cues)


def _spent_there(r: Reader, i: int) -> bool:
    """ "spent ten years at GOSH", "spent 5 years in micro at Southampton General": a post held
    before, which says where they are only when nothing else does."""
    return any(r.tokens[j].key == "spent" and not any(r.hard[k] for k in range(j + 1, i + 1)) for j in range(max(0, i - 7), i))


TEAM_BASES = frozenset({"team", "service", "hub", "office", "base", "site", "unit", "locality"})


def _team_there(r: Reader, m: PlaceMention) -> bool:
    """ "in the Milton Keynes community team": the place a team the asker is in works from ("the
    NHS England office in Leeds" names a national body, which is in no region: not this)."""
    before = [t.key for t in r.tokens[max(0, m.first - 2) : m.first]]
    return all(x.region for x in m.readings) and before in (["in", "the"], ["on", "the"], ["at", "the"]) and any(t.key in TEAM_BASES for t in r.tokens[m.last : m.last + 3])


def _elsewhere(r: Reader, i: int) -> bool:
    """A place said where someone trained, grew up or is going ("graduated in maths from
    Durham"), unless a work or home cue after a comma says where they are now ("graduated in
    physics, living in Durham")."""
    cues = [c for c in r.all_cues if i - 5 <= c.first and c.last <= i and not any(r.hard[j] for j in range(c.last, i + 1))]
    gone = [c.last for c in cues if c.value == "elsewhere"]
    def broken(j: int) -> bool:  # a comma or a sentence break, but not a degree's "2:1" or its brackets
        gap = r.text[r.tokens[j - 1].end : r.tokens[j].start]
        return "," in gap or r.hard[j] and gap != ":"

    if i > 1 and r.tokens[i - 1].key == "from" and not any(broken(j) for j in range(max(1, i - 6), i)):
        # "graduated BSc biomedical science from Cardiff": the degree named between the cue and "from"
        gone += [j + 1 for j in range(max(0, i - 6), i - 1) if r.tokens[j].key in QUALIFIED]
    return bool(gone) and not any(
        c.value in ("work", "home") and c.first >= max(gone) and any(r.soft[j] for j in range(max(gone), c.first + 1)) for c in cues
    )  # the cue after a comma starts a new thought ("moving to a job in Leeds" is still the move)


QUALIFIED = frozenset({"graduated", "qualified", "trained"})
CHOICE = frozenset({"or", "vs", "versus"})


def _scope_not_place(r: Reader, m: PlaceMention) -> bool:
    """ "everything seems to be for England": a nation named as what programmes are for; "do I
    apply through England or Wales?": nations offered as a choice."""
    if all(x.kind == "nation" for x in m.readings) and (
        (m.first > 0 and r.tokens[m.first - 1].key in CHOICE) or (m.last < len(r.tokens) and r.tokens[m.last].key in CHOICE)
    ):
        return True
    if all(x.kind == "nation" for x in m.readings) and m.last < len(r.tokens) and r.tokens[m.last].key in OFFER_WORDS:
        return True  # "do I need to look at England stuff?", "the Welsh ones": what is offered there
    if m.first < 2 or r.tokens[m.first - 1].key != "for" or r.tokens[m.first - 2].key in WORK_FOR:
        return False
    return r.tokens[m.first].key not in ("our", "my") and all(x.kind == "nation" for x in m.readings)


OFFER_WORDS = frozenset({"stuff", "ones", "programmes", "programs", "schemes", "options", "routes", "courses", "things", "offers",
                         "fellowships", "equivalents", "equivalent", "version", "versions", "opportunities", "offer", "offering"})
WORK_FOR = frozenset({"work", "works", "working", "worked", "employed", "job", "nurse", "doctor"})
MOVED = frozenset({"moved", "transferred", "switched", "relocated", "rotated", "came", "swapped"})
MOVING = frozenset({"moving", "transferring", "switching", "relocating", "rotating", "going", "swapping"})


def _moved_to(r: Reader, i: int, verbs: frozenset[str] = MOVED) -> bool:
    """A place after "moved from X to": the move is done, so it is where they are now (with
    `verbs` MOVING, "moving from X to": where they are going)."""
    j = i - 1
    if j >= 0 and r.tokens[j].key == "the":
        j -= 1
    if j < 1 or r.tokens[j].key != "to" or any(r.hard[k] for k in range(max(0, j - 8), i)):
        return False
    keys = [t.key for t in r.tokens[max(0, j - 8) : j]]
    return any(a in verbs and b == "from" for a, b in zip(keys, keys[1:], strict=False))


def _of_my_team(r: Reader, i: int) -> bool:
    """Whether a place is said of the asker's own team ("my team at", "a team of six at")."""
    start = i
    while start > 0 and not r.hard[start]:
        start -= 1
    keys = [t.key for t in r.tokens[start:i]]
    return bool({"i", "i'm", "im", "my", "our"} & set(keys)) and bool(TEAM_WORDS & set(keys))
