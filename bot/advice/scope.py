"""Who a phrase in a question is about: the asker, someone else, or nobody now.

Every phrase the vocabulary knows is found first (bot/advice/matching.py). Then each one is
attributed: cue words in knowledge/vocabulary/reading.yaml say whether it is about the asker
("I'm a", "as a", the opening words of a message), about someone else ("my husband", "a team of",
a plural such as "doctors"), negated ("not", "no longer"), past ("used to", "ex-") or wished for
("want to become"). A cue covers the phrases after it in its clause, until a scope end ("but",
"now", a comma). The field readers (bot/advice/fields.py) keep only what holds of the asker now.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.advice.lexicon import Lexicon
from bot.advice.matching import Match, PhraseScanner, Token, tokenise
from bot.advice.vocabulary import Patterned

Who = Literal["self", "opening", "plain", "other", "negated", "past", "wish", "hedged", "group"]
ASKER = ("self", "opening", "plain")  # attributions that describe the asker, strongest first
HARD_BREAK = re.compile(r"[.!?;:\n]|\s-\s|—|–|[\U0001F000-\U0001FAFF\u2600-\u27BF]")  # emoji end a thought
SOFT_BREAK = re.compile(r"[,()/\[\]\"]")
POSSESSIVES = frozenset({"my", "our", "his", "her", "their", "your"})
# Words between a possessive and the person it names: "my band 5 staff nurse", "our two new FY1s".
HELD_BY = re.compile(r"band|bands|afc|\d{1,2}[a-d]?s?|two|three|four|five|six|new|newly|junior|senior|newest")
OPENING_WORDS = 6  # a role named in the first words of a message describes its author
BEHIND_ME = frozenset(  # a job left behind: "physio by background, but these days I'm a digital change manager"
    ("by", said, then) for said in ("background", "training", "trade") for then in ("now", "but")
)
PSEUDO_NEGATION = frozenset({"sure", "certain", "only", "just", "yet", "too", "bad", "much", "really"})


@dataclass(frozen=True)
class Mention:
    value: str
    first: int
    last: int
    who: Who
    text: str


class Reader:
    """One question, tokenised once, with its cues and clause breaks."""

    def __init__(self, text: str, words: Lexicon) -> None:
        self.text = text
        self.words = words
        self.vocab = words.vocabulary
        self.tokens = tokenise(text)
        # Who a phrase is about is decided by the longest cue before it; whether a cue is present
        # at all, by every cue, overlapping ones included ("my trust" is a workplace and NHS).
        # A cue word inside a place's name is part of the name: "Leeds Teaching Hospitals" holds
        # "teaching" (someone else) and "Mid and South Essex" a scope end, but says neither.
        self.places = words.places.mentions(self.tokens, text)  # read once: PlaceIndex.find takes them
        named = {i for m in self.places if m.last - m.first > 1 for i in range(m.first + 1, m.last)}
        # So is a cue word inside a grade's name: "teaching fellow" is a post, not someone taught.
        self.grade_matches = self.vocab.stages.scanner.scan(self.tokens)  # read once: fields.grade_mentions
        self.role_matches = self.vocab.roles.scanner.scan(self.tokens)  # read once: fields.role_mention, reading
        titled = {i for m in self.grade_matches if m.last - m.first > 1 for i in range(m.first, m.last)}

        def kept(c: Match[str]) -> bool:
            return c.first not in named and not (c.value == "third_party" and all(i in titled for i in range(c.first, c.last)))

        self.cues = [c for c in self.vocab.cues.scan(self.tokens) if kept(c)]
        self.all_cues = [c for c in self.vocab.cues.scan(self.tokens, overlapping=True) if kept(c)]
        n = len(self.tokens)
        self.hard = [False] * (n + 1)  # a sentence break before token i
        self.soft = [False] * (n + 1)  # a comma or bracket before token i
        for i in range(1, n):
            gap = text[self.tokens[i - 1].end : self.tokens[i].start]
            self.hard[i] = bool(HARD_BREAK.search(gap))
            self.soft[i] = bool(SOFT_BREAK.search(gap))
        self.ends = {m.first for m in self.cues if m.value == "scope_end"}
        self.grade_matches += self.spoken(self.vocab.stages.scanner, self.grade_matches)

    def spoken(self, scanner: PhraseScanner[str], found: Sequence[Match[str] | Mention]) -> list[Match[str]]:
        """ "im an rn in leeds", "ot b5 in wrexham", "acp in ed, 8a": an acronym written in lower
        case is that acronym where it is said as a job: straight after the asker says what they
        are, beside a band or grade, or opening a terse message before where they work. Elsewhere
        "rn" is "right now" and "it" a word."""
        taken = {i for m in found for i in range(m.first, m.last)}
        out = []
        for j, t in enumerate(self.tokens):
            if j in taken or not (t.text.isalpha() and t.text.islower() and 2 <= len(t.text) <= 5) or t.key in LOWER_WORDS:
                continue
            if self._said_as_job(j):
                out += [Match(m.value, j, j + 1, False, m.text) for m in scanner.scan([Token(t.text.upper(), t.key, t.start, t.end)])]
        return out

    def _said_as_job(self, j: int) -> bool:
        before = self.tokens[j - 1].key if j > 0 else ""
        after = self.tokens[j + 1].key if j + 1 < len(self.tokens) else ""
        if any(c.value == "self" and c.last == j and before in ("a", "an") for c in self.cues):
            return True
        if (BANDISH.fullmatch(before) and not self.hard[j]) or (BANDISH.fullmatch(after) and not self.hard[j + 1]):
            return True
        opening = j == 0 or self.hard[j]
        return opening and (after in TERSE_NEXT or j + 1 == len(self.tokens) or self.soft[j + 1])

    # -- who a phrase is about ---------------------------------------------------------------

    def who(self, m: Match[str], *, possessive_is_other: bool = True) -> Who:
        if tuple(t.key for t in self.tokens[m.last : m.last + 3]) in BEHIND_ME:
            return "past"  # "nurse by background, now head of workforce"; alone, "CCIO, GP by background" is a GP
        owner = self.owner(m.first)
        if possessive_is_other and owner is not None:
            keys = [t.key for t in self.tokens[max(0, owner - 2) : owner]]
            # "I'm her ward manager", "as their line manager": the asker's job towards them
            if keys[-1:] in (["im"], ["as"]) or keys == ["i", "am"]:
                return "self"
            if self.tokens[owner].key == "my" and m.last < len(self.tokens) and self.tokens[m.last].key in JOB_WORDS:
                return "self"  # "on mat leave from my band 6 OT job": the asker's own post
            return "other"
        if (m.plural or "both" in {t.key for t in self.tokens[max(0, m.first - 3) : m.first]}) and self.both_of_us(m.first):
            return "self"
        cue = self._governing_cue(m.first)
        if cue is not None:
            return cue
        if m.plural:
            words = " ".join(t.text.lower().replace("’", "'") for t in self.tokens[max(0, m.first - 5) : m.first])
            return "self" if re.search(r"(?:\bwe(?:'re| are| re)(?: all| both)?|\bof us)(?: band \d[a-d]?)?$", words) else "group"
        if self._clause_start(m.first) == 0 and m.first < OPENING_WORDS:
            return "opening"
        return "plain"

    def owner(self, i: int) -> int | None:
        """The possessive a person at token i is named with: "my FY2", "my band 5 staff nurse",
        "our two new band 6s", "our PACS manager" (grade, count and unit words may come between)."""
        j = i - 1
        while j >= 0 and i - j <= 4 and not self.hard[j + 1] and (HELD_BY.fullmatch(self.tokens[j].key) or _acronym(self.tokens[j].text)):
            j -= 1
        if j >= 0 and self.tokens[j].key in POSSESSIVES and not self.hard[j + 1]:
            return j
        return None

    def _clause_start(self, i: int) -> int:
        while i > 0 and not self.hard[i]:
            i -= 1
        return i

    def both_of_us(self, i: int, between: int = 0) -> bool:
        """ "me and my colleague (both RNs at Kettering General)": a group the asker is one of,
        named at token i (`between`: words allowed between "both" and it, "RNs at")."""
        words = " ".join(t.key for t in self.tokens[max(0, i - 3 - between) : i])
        before = " ".join(t.key for t in self.tokens[max(0, i - 12) : i])
        return bool(re.search(rf"\bboth(?: band \d[a-d]?| b\d[a-d]?| \d[a-d])?(?: [\w-]+){{0,{between}}}$", words)
                    and re.search(r"\bme and\b|\band i\b|\band me\b|\bmyself and\b|\bwe\b", before))  # fmt: skip

    def _governing_cue(self, i: int) -> Who | None:
        """The nearest cue before token i whose scope reaches it."""
        start = self._clause_start(i)
        kinds: dict[str, Who] = {
            "self": "self", "third_party": "other", "negation": "negated", "past": "past",
            "aspiration": "wish", "hedge": "hedged",
        }  # fmt: skip
        best: Match[str] | None = None
        for cue in self.cues:
            if cue.value not in kinds or cue.first >= i or cue.first < start:
                continue
            if self._scope_broken(cue, i):
                continue
            if best is None or cue.first > best.first:
                best = cue
        if best is not None and best.value == "self" and best.text.lower() in ("as a", "as an"):
            # "wanting to move into informatics as a clinical scientist": the wish governs;
            # "but not as a doctor": the negation does
            earlier = [c for c in self.cues if c.value in ("aspiration", "third_party", "negation", "past") and start <= c.first < best.first
                       and not self._scope_broken(c, i) and (c.value != "negation" or c.last == best.first)
                       and not (c.value == "aspiration" and self._names_what(c, best.first))]  # fmt: skip
            if earlier:
                best = max(earlier, key=lambda c: c.first)
        return kinds[best.value] if best is not None else None

    def _names_what(self, cue: Match[str], last: int) -> bool:
        """ "applying for Topol as a band 6 nurse": what is applied for is a programme (a proper
        name), and "as a" then says who is applying; "applying for a band 7 post as a CNS" wishes
        for the job, and "want to work in the NHS as a clinical scientist" for the profession."""
        between = self.tokens[cue.last : last]
        if cue.text.lower() in INTO_A_FIELD:
            # "getting into digital health as a band 5 nurse": a field is wished for, and "as a"
            # says who is asking; "moving into a CNIO job as a nurse" wishes for the job
            return not any(t.key in JOB_WORDS for t in between) and not self.vocab.professions.scanner.scan(between) and not self.vocab.roles.scanner.scan(between)
        if not cue.text.lower().startswith("appl"):
            return False
        return any(t.text[:1].isupper() for t in between) and not any(t.key in JOB_WORDS for t in between)

    def _scope_broken(self, cue: Match[str], i: int) -> bool:
        """A comma, bracket or scope-ending word between a cue and token i. A comma straight after
        a person ("my daughter, a student nurse in Leeds") opens an apposition: it is still them."""
        after = cue.last
        skip = after if cue.value == "third_party" else -1
        return any(self.soft[j] for j in range(after, i + 1) if j != skip) or any(
            j in self.ends and not (cue.value in ("third_party", "self") and self._shares_subject(j)) for j in range(after, i)
        )

    def _shares_subject(self, j: int) -> bool:
        """ "my son is 17 and doing A levels": an "and" before a verb with no subject of its own
        goes on about the same person."""
        nxt = self.tokens[j + 1].key if j + 1 < len(self.tokens) else ""
        return self.tokens[j].key == "and" and (nxt in SHARED_VERBS or (nxt.endswith("ing") and len(nxt) > 4))

    def negated_spans(self) -> list[tuple[int, int]]:
        """Character spans a negation governs ("not the CIO", "no leadership role"); "not sure"
        and "not just" are not negations (NegEx's pseudo-negations)."""
        if not any(c.value == "negation" for c in self.cues):
            return []
        spans = []
        for i, t in enumerate(self.tokens):
            if self._governing_cue(i) != "negated":
                continue
            cue = max((c for c in self.cues if c.value == "negation" and c.first < i), key=lambda c: c.first)
            if cue.last < len(self.tokens) and self.tokens[cue.last].key in PSEUDO_NEGATION:
                continue
            spans.append((t.start, t.end))
        return spans

    def mentions(self, matches: list[Match[str]], **kw: bool) -> list[Mention]:
        return [Mention(m.value, m.first, m.last, self.who(m, **kw), m.text) for m in matches]

    def has_cue(self, kind: str) -> bool:
        return any(c.value == kind for c in self.all_cues)

    def cue_before(self, kind: str, i: int, window: int = 4, *, same_sentence: bool = False) -> bool:
        return any(
            c.value == kind and i - window <= c.first and c.last <= i
            and not (same_sentence and any(self.hard[j] for j in range(c.last, i + 1)))
            for c in self.all_cues
        )  # fmt: skip


INTO_A_FIELD = frozenset({"get into", "getting into", "break into", "breaking into"})
SHARED_VERBS = frozenset({"has", "is", "was", "wants", "works", "studies", "does", "did", "got", "hopes", "plans", "thinks"})
# Lower-case acronyms that are more often words ("it", "act", "st" for saint or street).
LOWER_WORDS = frozenset({"it", "act", "cap", "led", "na", "nas", "st", "ct", "md", "fy", "aa", "aas", "pas", "ots", "sn"})
BANDISH = re.compile(r"(?:b[1-9]|b?8[a-d]|[1-9][a-d]|band|afc|(?:fy|st|ct|f)[1-9])")  # "b6 rmn", "ot b5", "acp, 8a"
TERSE_NEXT = frozenset({"in", "at", "from", "here", "based", "doc", "working", "@"})


JOB_WORDS = frozenset({"post", "posts", "job", "jobs", "role", "roles", "position", "positions", "vacancy", "vacancies", "career"})


def names_a_post(r: Reader, m: Mention, articles: frozenset[str] = frozenset({"a", "an", "the"})) -> bool:
    """ "a consultant clinical scientist post", "a CCIO vacancy": a post named, not the job held."""
    before = {t.key for t in r.tokens[max(0, m.first - 2) : m.first]}
    return bool(before & articles) and m.last < len(r.tokens) and r.tokens[m.last].key in JOB_WORDS


def _acronym(word: str) -> bool:
    """ "our PACS manager", "my ED consultant": a unit's acronym between a possessive and a person."""
    return 2 <= len(word) <= 5 and word.isupper() and word.isalpha()


def pattern_mentions(r: Reader, terms: Patterned) -> list[Mention]:
    """Mentions found by a term's patterns ("I have a biology degree"), attributed like phrases."""
    out = []
    for term_id, rx in terms.patterns:
        for hit in rx.finditer(r.text):
            i = token_at(r.tokens, hit.start())
            if i is not None:
                plural = hit.group(0).lower().endswith("s") and not hit.group(0).lower().endswith("ss")
                m = Match(term_id, i, token_at(r.tokens, hit.end() - 1, end=True) or i + 1, plural, hit.group(0))
                out.extend(r.mentions([m], possessive_is_other=False))
    return out


LEARNERS = frozenset({"student", "medical_student"})
APPRENTICE = frozenset({"apprentice", "apprentices", "degree apprentice"})
LINKS = frozenset({"to", "the", "of", "for", "a", "an", "at", "in", "with"})


def heads(r: Reader, mentions: list[Mention]) -> list[Mention]:
    """In a run of job words the last is the head noun: a "foundation trainee pharmacist" is a
    pharmacist and a "GP receptionist" works on reception; but a "student nurse" is a student,
    and a "business admin apprentice" is in admin (an apprentice is employed in the job learnt)."""
    def modifier(m: Mention) -> bool:
        if m.value in LEARNERS or r.tokens[m.last - 1].key in LINKS:
            return False  # "PA to the chief exec" is the PA
        return any(
            n.first == m.last and n.value != m.value and not r.hard[n.first] and not r.soft[n.first]
            and n.text.lower() not in APPRENTICE
            for n in mentions
        )
    return [m for m in mentions if not modifier(m)]


def the_asker(mentions: list[Mention]) -> Mention | None:
    """The mention that describes the asker: an explicit self cue first, then the opening words,
    then any unmarked one (earliest)."""
    for who in ASKER:
        found = [m for m in mentions if m.who == who]
        if found:
            return min(found, key=lambda m: m.first)
    return None


def token_at(tokens: list[Token], offset: int, *, end: bool = False) -> int | None:
    for i, t in enumerate(tokens):
        if t.start <= offset < t.end:
            return i + 1 if end else i
    return None
