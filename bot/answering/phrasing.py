"""Who phrases the answer: the offline grounded responder, or an LLM checked by code.

Both take the advisor's decision as given and return a Phrasing: the opening line and, per
programme, one line of why. Everything else every view shows is built by code from the catalogue
(bot/answering/contract.py). The model cannot add, hide or reorder a programme, change a fact or a
link, or reach the person unchecked. Any fault falls back to the offline phrasing, marked
"offline-fallback".
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.advice.advisor import Advice, Suggestion
from bot.advice.lexicon import lexicon
from bot.answering.conversation import Turn
from bot.catalogue.snapshot import Catalogue
from bot.llm.base import BadOutput, ChatModel, ContextTooLong, LLMError, Message
from bot.llm.checks import Grounding, leaks_prompt, neutralise
from bot.prompts import PromptFile, load_prompt

log = logging.getLogger(__name__)

INTRO_LIMIT = 900
REASON_LIMIT = 300
MIN_WORDS = 4
POSITIVE = re.compile(
    r"\b(?:eligible|can apply|could apply|qualif\w*|fits? you|open to you|recommend\w*|suit\w*|should apply|go for)\b",
    re.I,
)
NEGATIVE = re.compile(r"\b(?:not|n't|no|never|once|later|after|until|when you|yet)\b", re.I)


@dataclass(frozen=True)
class Phrasing:
    """The words a responder chose, and what produced them."""

    headline: str
    reasons: dict[str, str]  # programme id -> one line of why (checked); absent: code's own
    responder: str
    prompt_version: str | None = None
    model: str | None = None
    fallback: str | None = None


class Responder(Protocol):
    name: str

    def respond(
        self, advice: Advice, *, catalogue: Catalogue, history: list[Turn], deadline: float | None = None
    ) -> Phrasing:
        """The phrasing; a model call ends by `deadline` (time.monotonic()), the question's own."""
        ...


ABOUT = (
    "I'm Pathfinder: I help NHS and care staff find routes into digital, data and AI work: "
    "fellowships, training programmes, professional registration, networks and your regional "
    "skills network, in England, Wales, Scotland and Northern Ireland. Tell me your profession, "
    "your grade or band and where you work, and I'll check each programme's rules against them, "
    "say why one fits or what to check, and cite its source and when it was last reviewed. "
    "I don't give clinical advice about patients, share anything about other people (including "
    "who has registered interest), or help present an application as something it isn't. "
    "Nothing about you is passed on unless you press *Register interest* under a programme and consent."
)


def headline(advice: Advice) -> str:
    """The first line, in code's own words: it answers the question that was asked."""
    if advice.refusal is not None and not advice.refusal.partial:
        return advice.refusal.message
    if advice.for_someone and not advice.pleasantry:
        text = _headline(advice, you="them")
        return f"Answering for the {advice.for_someone} you asked about, not for you. {text}"
    return _headline(advice)


def _not_open(asked: list[Suggestion], advice: Advice, you: str, who: str, aside: str = "") -> str:
    """ "Short answer: FPT isn't open to you as an FY1; what could fit instead is below." Never
    points below when nothing else is there."""
    names = " or ".join(s.programme.name for s in asked)
    tail = f" as {who}" if who else ""
    verb = "isn't" if len(asked) == 1 else "aren't"
    rest = ("what could fit instead is below" if advice.suggestions else "what opens later is below" if advice.later
            else "nothing else in the catalogue fits what you asked right now")  # fmt: skip
    return f"Short answer: {names} {verb} open to {you}{tail}{aside}; {rest}."


def _headline(advice: Advice, you: str = "you") -> str:
    """`you` is whom the advice is for: "them" when the question was asked for someone else."""
    who = advice.person
    if advice.pleasantry == "thanks":
        return "You're welcome. If anything else comes up about routes into NHS digital, data or AI work, just ask."
    if advice.pleasantry == "about":
        return ABOUT
    if advice.pleasantry == "greeting":
        return f"Hello! I'm Pathfinder: I help NHS staff find routes into digital, data and AI work. {advice.offer}"
    if advice.faqs:
        return advice.faqs[0].answer.text
    if advice.inactive:  # asked about by name, and it has ended or may have: that first
        s = advice.inactive[0]
        if s.verdict == "not_eligible" and s.programme.status.state == "unverified":
            # "I'm a nurse in Cardiff - which ISDN should I join?": not open to them, whatever its state
            return _not_open([s], advice, you, who, " (and whether it still runs is not confirmed)")
        instead = f" What runs now that could suit {you} is below." if advice.suggestions else ""
        return f"{s.programme.name}: {s.programme.status.text}{instead}"
    if advice.asked_about:
        return _not_open(advice.asked_about, advice, you, who)
    if advice.clarify:
        return (
            "Happy to help you find a route in. The right programme depends on who you are, so "
            "tell me your profession, your grade or band, and where you work (England, Wales, "
            "Scotland or Northern Ireland)."
        )
    found = [f for f in advice.facts if f.fact is not None]
    if found and not who:
        titles = {x.programme.id: x.programme.name for x in [*advice.suggestions, *advice.asked_about, *advice.inactive]}
        first = found[0]
        texts = list(dict.fromkeys(f.fact.text for f in found if f.fact is not None and f.programme_id == first.programme_id))
        return f"{titles.get(first.programme_id, first.programme_id)}: " + " ".join(texts[:2])
    n = len(advice.suggestions)
    if n == 0:
        if who:
            return f"As {who}, nothing in the catalogue fits {you} right now."
        return "I couldn't find a programme in the catalogue that fits what you've told me."
    tail = f" as {who}" if who else ""
    asked = [x for x in advice.suggestions if x.programme.id in advice.profile.named]
    if asked:
        top = asked[0]
        if top.verdict == "eligible":
            return f"Short answer: yes, {top.programme.name} fits {you}{tail}."
        check = next((c.detail for c in top.checks if c.status == "unknown" and c.kind != "approval"), None)
        more = f" {check}" if check else ""
        return f"Short answer: {top.programme.name} could be open to {you}{tail}; there are things to check.{more}"
    lead = f"For {who}, " if who else "From what you've told me, "
    top3 = [x.programme.name for x in advice.suggestions[:3]]
    listed = top3[0] if len(top3) == 1 else ", ".join(top3[:-1]) + " and " + top3[-1]
    ready = next((x.programme.name for x in advice.suggestions[:3] if x.verdict == "eligible" and x.timing == "now"), None)
    text = f"{lead}the route{'s' if len(top3) > 1 else ''} to look at: {listed}."
    return text + (f" {ready} fits {you} now." if ready and len(top3) > 1 else "")


class OfflineResponder:
    """The default: the grounded phrasing composed from the advice alone."""

    name = "offline"

    def respond(
        self, advice: Advice, *, catalogue: Catalogue, history: list[Turn], deadline: float | None = None
    ) -> Phrasing:
        return Phrasing(headline(advice), {}, "offline")


class ModelSuggestion(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(max_length=100)
    reason: str = Field(default="", max_length=2000)


class ModelAnswer(BaseModel):
    """What the model must return; validated strictly after a lenient parse."""

    model_config = ConfigDict(extra="ignore")
    answer: str = Field(max_length=6000)
    suggestions: list[ModelSuggestion] = Field(default_factory=list, max_length=20)


ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "answer": {"type": "string"},
        "suggestions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "reason": {"type": "string"}},
                "required": ["id", "reason"],
            },
        },
    },
    "required": ["answer", "suggestions"],
}


def first_json_object(text: str) -> Any:
    """The first JSON value from `{` in a model's reply, leniently (code fences, prose around it)."""
    cleaned = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip(), flags=re.I)
    start = cleaned.find("{")
    if start < 0:
        raise BadOutput("no JSON object")
    try:
        return json.JSONDecoder().raw_decode(cleaned[start:])[0]
    except json.JSONDecodeError as exc:
        raise BadOutput(exc.__class__.__name__) from exc


def parse_answer(text: str) -> ModelAnswer:
    """Lenient parse (code fences, prose around the JSON), strict validation."""
    data = first_json_object(text)
    try:
        return ModelAnswer.model_validate(data)
    except ValidationError as exc:
        raise BadOutput(exc.__class__.__name__) from exc


class ModelResponder:
    """An LLM phrases the answer; code checks every word before it is shown."""

    name = "openai"

    def __init__(
        self, model: ChatModel, *, deadline_s: float = 30.0, prompt: PromptFile | None = None
    ) -> None:
        self.model = model
        self.deadline_s = deadline_s
        self.prompt = prompt or load_prompt("answer")
        self.canary = f"PF-{secrets.token_hex(6)}"
        self._offline = OfflineResponder()
        self._template = _shingles(self.prompt.render_system(canary=""))

    def respond(
        self, advice: Advice, *, catalogue: Catalogue, history: list[Turn], deadline: float | None = None
    ) -> Phrasing:
        if advice.refused or advice.clarify or advice.pleasantry or not (advice.suggestions or advice.asked_about):
            return self._offline.respond(advice, catalogue=catalogue, history=history)
        if deadline is None:
            deadline = time.monotonic() + self.deadline_s
        system = self.prompt.render_system(canary=self.canary)
        try:
            try:
                reply = self.model.complete(
                    self._messages(advice, system, history, compact=False),
                    schema=ANSWER_SCHEMA,
                    deadline=deadline,
                )
            except ContextTooLong:
                reply = self.model.complete(
                    self._messages(advice, system, [], compact=True),
                    schema=ANSWER_SCHEMA,
                    deadline=deadline,
                )
            if leaks_prompt(reply.text, system_prompt=system, canary=self.canary):
                raise BadOutput("prompt leak")
            parsed = parse_answer(reply.text)
        except LLMError as exc:
            return self._fallback(advice, exc)
        reasons, intro = self._checked(advice, parsed, catalogue)
        if intro is None and not reasons:
            return self._fallback(advice, BadOutput("no sentence passed the checks"))
        return Phrasing(
            intro or headline(advice),
            reasons,
            self.name,
            prompt_version=self.prompt.label,
            model=reply.model,
        )

    def _fallback(self, advice: Advice, exc: LLMError) -> Phrasing:
        reason = str(exc) if isinstance(exc, BadOutput) else exc.kind
        log.warning("llm answer unusable; offline fallback", extra={"why": exc.kind})
        return Phrasing(
            headline(advice),
            {},
            "offline-fallback",
            prompt_version=self.prompt.label,
            fallback=reason,
        )

    def _messages(
        self, advice: Advice, system: str, history: list[Turn], *, compact: bool
    ) -> list[Message]:
        messages = [Message("system", system)]
        for turn in history:
            messages.append(Message("user", turn.question[:1000]))
            messages.append(Message("assistant", turn.answer[:1500]))
        data = json.dumps(
            candidates(advice, compact=compact), ensure_ascii=False, separators=(",", ":")
        )
        messages.append(
            Message("user", self.prompt.render_user(data=data, question=advice.question[:4000]))
        )
        return messages

    def _checked(
        self, advice: Advice, parsed: ModelAnswer, catalogue: Catalogue
    ) -> tuple[dict[str, str], str | None]:
        shown = [s.programme.id for s in advice.suggestions]
        blocked = {s.programme.id for s in [*advice.asked_about, *advice.later]}
        grounding = _grounding(advice, catalogue)
        dropped: Counter[str] = Counter()
        reasons: dict[str, str] = {}
        for item in parsed.suggestions:
            if item.id in shown and item.id not in reasons:  # invented or ineligible ids: dropped
                reason = self._clean(
                    item.reason, grounding, catalogue, set(shown), blocked, REASON_LIMIT, dropped
                )
                if reason:
                    reasons[item.id] = reason
        # The advisor's ranking stands: it is deterministic and evaluated. The model phrases; it
        # can neither reorder, add nor hide a suggestion.
        intro = self._clean(
            parsed.answer, grounding, catalogue, set(shown), blocked, INTRO_LIMIT, dropped
        )
        if dropped:
            log.info("model sentences dropped", extra={"dropped": dict(dropped)})  # counts only
        return reasons, intro or None

    def _clean(
        self,
        text: str,
        grounding: Grounding,
        catalogue: Catalogue,
        allowed: set[str],
        blocked: set[str],
        limit: int,
        dropped: Counter[str],
    ) -> str:
        """The sentences of `text` that pass every check, within `limit`; drops counted by rule."""
        kept = []
        for sentence in grounding.screen(text, dropped):
            why = self._why_dropped(sentence, catalogue, allowed, blocked)
            if why is None:
                kept.append(sentence)
            else:
                dropped[why] += 1
        out = " ".join(kept)
        if len(out.split()) < MIN_WORDS:
            if out:
                dropped["too-short"] += 1
            return ""  # too short to say anything ("Fedeproto"): the code's own words stand
        return out if len(out) <= limit else out[:limit].rsplit(" ", 1)[0] + "…"

    def _why_dropped(
        self, sentence: str, catalogue: Catalogue, allowed: set[str], blocked: set[str]
    ) -> str | None:
        """The answer-level rules: prompt parroting, programmes off the table or promoted."""
        if _shingles(sentence) & self._template:
            return "prompt"  # parroting the prompt's own words ("2-4 sentences for ...")
        mentioned = {m.programme_id for m in lexicon(catalogue).aliases.find(sentence)}
        if mentioned - allowed - blocked:
            return "off-table"  # names a programme that is not on the table at all
        if mentioned & blocked and POSITIVE.search(sentence) and not NEGATIVE.search(sentence):
            return "promotes-ineligible"  # promotes a programme the person cannot do now
        return None


def _shingles(text: str, n: int = 4) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def _grounding(advice: Advice, catalogue: Catalogue) -> Grounding:
    programmes = [s.programme for s in [*advice.suggestions, *advice.asked_about, *advice.later]]
    texts = [advice.question]
    names: list[str] = []
    urls: list[str] = []
    for p in programmes:
        texts.extend(f.text for _, f in p.named_facts())
        names.extend([p.name, *p.aliases])
        urls.extend(p.all_urls())
    for s in [*advice.suggestions, *advice.asked_about, *advice.later]:
        texts.extend(c.detail for c in s.checks)
        texts.extend(s.cautions)
    if advice.network is not None:
        names.append(advice.network.name)
        urls.extend(advice.network.sources)
    return Grounding(urls=urls, facts_text=texts, names=names)


COMPACT_CANDIDATES = 3
COMPACT_TEXT = 160


def candidates(advice: Advice, *, compact: bool = False) -> dict[str, Any]:
    """The data the model sees: the advisor's decision, facts and checks. Nothing else.

    The top candidates come with facts and checks, the rest by name. `compact` is the retry after
    a context-length error: statuses only and short summaries, small enough for 2,048 tokens.
    """

    def item(s: Suggestion) -> dict[str, Any]:
        p = s.programme
        out: dict[str, Any] = {"id": p.id, "name": p.name, "verdict": s.verdict}
        if compact:
            out["checks"] = [f"{c.criterion}: {c.status}" for c in s.checks]
            out["summary"] = neutralise(p.summary.text)[:COMPACT_TEXT]
        else:
            out["why_code_thinks_it_fits"] = "; ".join(s.reasons)
            out["eligibility"] = [c.as_dict() for c in s.checks]
            out["facts"] = [
                {"topic": t, "text": neutralise(f.text), "unconfirmed": f.uncertain}
                for t, f in p.named_facts()
                if t in FACT_TOPICS
            ]
        if s.when:
            out["when"] = s.when
        return out

    def brief(s: Suggestion) -> dict[str, Any]:
        return {
            "id": s.programme.id,
            "name": s.programme.name,
            "verdict": s.verdict,
            "when": s.when,
        }

    ranked = advice.suggestions
    detailed = [item(s) for s in ranked[:COMPACT_CANDIDATES]]
    rest = [] if compact else [brief(s) for s in ranked[COMPACT_CANDIDATES:]]
    data: dict[str, Any] = {
        "person": advice.person or "not stated",
        "asked_for_someone_else": advice.for_someone,  # then the checks say "they" of them
        "candidates": detailed + rest,
        "asked_about_but_not_open_now": [
            (brief if compact else item)(s) for s in advice.asked_about
        ],
        "opens_later": [brief(s) for s in advice.later],
    }
    if advice.network is not None:
        data["regional_network"] = {
            "name": advice.network.name,
            "name_verified": advice.network.verified,
            "contact": "none held",
        }
    elif advice.network_note:
        data["regional_network"] = advice.network_note
    return data


# Code renders every fact itself; the model needs just enough to phrase why a route fits.
FACT_TOPICS = frozenset({"summary", "time_commitment", "duration", "funding"})
