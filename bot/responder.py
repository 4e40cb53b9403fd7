"""The offline grounded responder: composes the answer text from the advice alone.

Every name, fact, date and link comes from the catalogue; nothing is invented. Uncertain facts
are labelled "unconfirmed", dated facts carry their date, and overdue entries carry a caution.
The text uses light Slack-compatible markup (*bold*, bullets) that also reads well in a terminal.
"""

from __future__ import annotations

from bot.advice.advisor import TOPIC_LABELS, Advice, FactAnswer, Suggestion
from bot.catalogue.schema import Fact, NetworkDoc

MARK = {"met": "✓", "not_met": "✗", "unknown": "?"}
VERDICT_LABEL = {
    "eligible": "fits you now",
    "possible": "worth a look: some things to check",
    "later": "a door that opens later",
    "not_eligible": "not open to you",
    "information": "for information: not something individuals apply to",
}
MAX_URLS = 2
FULL_DETAIL = 3


def compose(advice: Advice, *, intro: str | None = None) -> str:
    """The full answer for a person, as text; `intro` replaces the opening (an LLM's phrasing)."""
    if advice.refusal is not None and not advice.refusal.partial:
        return f"{advice.refusal.message}\n\n{advice.offer}"
    parts: list[str] = []
    if advice.refusal is not None:  # refuse the harmful part, answer the career part
        parts.append(f"I can't help with part of that. {advice.refusal.message}")
    parts.append(intro or _intro(advice))
    if advice.profile.place_note:
        parts.append(f"_{advice.profile.place_note}_")
    if advice.facts:
        parts.append(_facts_block(advice))
    for s in advice.asked_about:
        parts.append(_asked_about(s))
    if advice.asked_about and advice.suggestions:
        parts.append("*What could fit you instead:*")
    for n, s in enumerate(advice.suggestions[:FULL_DETAIL], start=1):
        parts.append(_suggestion(n, s))
    if len(advice.suggestions) > FULL_DETAIL:
        parts.append(_also(advice.suggestions[FULL_DETAIL:]))
    if advice.clarify:
        parts.append(_overview())
    elif not advice.suggestions:
        parts.append(_nothing_fits(advice))
    if advice.later:
        parts.append(_later(advice))
    network = _network(advice)
    if network:
        parts.append(network)
    if advice.uk_wide or advice.england_only:
        parts.append(_reach(advice))
    parts.append(
        "_Pathfinder checks eligibility against its reviewed catalogue; always confirm details "
        f"with the programme before you apply. Catalogue version {advice.catalogue_version}._"
    )
    return "\n\n".join(p for p in parts if p)


def describe_person(advice: Advice) -> str:
    """'a band 6 nurse in Leeds' from what the question said, or '' when it said nothing."""
    return advice.person


def _intro(advice: Advice) -> str:
    who = describe_person(advice)
    if advice.asked_about:
        names = " or ".join(s.programme.name for s in advice.asked_about)
        tail = f" as {who}" if who else ""
        verb = "isn't" if len(advice.asked_about) == 1 else "aren't"
        return f"Short answer: {names} {verb} open to you{tail}. Details below, with what could fit instead."
    if advice.clarify:
        return (
            "Happy to help you find a route in. The right programme depends on who you are, so "
            "tell me your profession, your grade or band, and where you work (England, Wales, "
            "Scotland or Northern Ireland). Meanwhile, here is the lie of the land:"
        )
    if advice.facts and not who:
        return "Here is what the catalogue says:"
    n = len(advice.suggestions)
    if n == 0:
        if who:
            return f"As {who}, nothing in the catalogue fits you right now."
        return "I couldn't find a programme in the catalogue that fits what you've told me."
    lead = f"For {who}, " if who else "From what you've told me, "
    noun = "one option stands out" if n == 1 else f"{n} options stand out"
    return f"{lead}{noun}. I've checked each against its eligibility rules."


def _suggestion(n: int, s: Suggestion) -> str:
    p = s.programme
    label = VERDICT_LABEL[s.verdict]
    if s.timing == "later" and s.when:
        label = f"{VERDICT_LABEL['later']}: {s.when}"
    lines = [f"*{n}. {p.name}* ({label})"]
    if s.model_reason:
        lines.append(f"Why: {s.model_reason}")
    elif s.reasons:
        lines.append(f"Why: {_sentence('; '.join(s.reasons))}")
    lines.append(_fact_line("What it is", p.summary))
    essentials = [
        ("Time", p.time_commitment),
        ("Duration", p.duration),
        ("Qualification", p.qualification),
    ]
    for title, fact in essentials:
        if not _not_found(fact):
            lines.append(_fact_line(title, fact))
    if p.funding is not None:
        lines.append(_fact_line("Funding", p.funding))
    if s.checks:
        lines.append("Eligibility:")
        lines.extend(f"  {MARK[c.status]} {c.criterion}: {c.detail}" for c in s.checks)
    lines.append(_fact_line("How to apply", p.how_to_apply))
    for caution in s.cautions:
        lines.append(f"Caution: {caution}")
    lines.append(_source_line(s))
    return "\n".join(lines)


def _also(rest: list[Suggestion]) -> str:
    lines = ["*Also worth a look*"]
    for s in rest:
        why = "; ".join(s.reasons) or s.programme.who_for.text
        lines.append(f"• {s.programme.name} ({VERDICT_LABEL[s.verdict]}): {why}.")
    return "\n".join(lines)


def _asked_about(s: Suggestion) -> str:
    p = s.programme
    failed = [c for c in s.checks if c.status == "not_met"]
    head = f"*You asked about {p.name}*: "
    if s.when:
        head += f"not open to you now, but it could be: {s.when[0].lower() + s.when[1:]}."
    elif s.verdict == "later":
        head += "not yet, but it could be later."
    else:
        head += "I'm afraid it isn't open to you."
    lines = [head]
    lines.extend(f"  {MARK[c.status]} {c.criterion}: {c.detail}" for c in failed)
    lines.append(_fact_line("Who it is for", p.who_for))
    lines.append(_source_line(s))
    return "\n".join(lines)


def _facts_block(advice: Advice) -> str:
    by_programme: dict[str, list[FactAnswer]] = {}
    for answer in advice.facts:
        by_programme.setdefault(answer.programme_id, []).append(answer)
    blocks = []
    names = {s.programme.id: s.programme.name for s in [*advice.suggestions, *advice.asked_about]}
    asked = {s.programme.id for s in advice.asked_about}
    for pid, answers in by_programme.items():
        answers = [a for a in answers if not (pid in asked and a.topic in ("who_for", "summary"))]
        if not answers:
            continue
        name = names.get(pid, pid)
        lines = [f"*{name}: what you asked*"]
        seen: set[str] = set()
        for a in answers:
            if a.fact is None:
                what = TOPIC_LABELS.get(a.topic, a.topic.replace("_", " "))
                lines.append(
                    f"• The catalogue has no figure for {what}, so I won't guess. Ask the programme directly."
                )
                continue
            if a.fact.text in seen:
                continue
            seen.add(a.fact.text)
            lines.append("• " + _fact_text(a.fact))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _later(advice: Advice) -> str:
    lines = ["*Doors that open later*"]
    for s in advice.later:
        when = s.when or "later in your career"
        lines.append(f"• {s.programme.name}: {when}")
    return "\n".join(lines)


def _nothing_fits(advice: Advice) -> str:
    p = advice.profile
    if p.profession in ("medical_student", "student"):
        return (
            "None of the catalogued programmes takes students, so there is nothing to apply for "
            "yet. Digital topics are rarely in undergraduate curricula, so self-directed learning "
            "now is normal; the doors below open as you progress."
        )
    if p.stage == "foundation":
        return (
            "Most structured routes start after foundation training, so nothing clearly fits this "
            "year. The ones below open as you progress."
        )
    return (
        "Nothing in the catalogue clearly fits what you've told me. If you tell me more (your "
        "profession, grade or band, where you work and what you'd like to do), I can check again."
    )


def _overview() -> str:
    return "\n".join(
        [
            "• *Doctors in training*: Fellowship in Clinical AI (hands-on, 2 days a week for a year); Flexible Portfolio Training (physician trainees, chosen at ST3).",
            "• *Clinicians in England past foundation, or band 6+*: Topol Digital Fellowship (protected time to lead a digital project).",
            "• *Senior digital leaders in England*: Digital Health Leadership Programme (PGDip).",
            "• *Graduates wanting to become clinical scientists*: Scientist Training Programme (STP).",
            "• *Analysts, data and IT staff*: AphA and FEDIP registration, and your regional ISDN (England).",
        ]
    )


def _network(advice: Advice) -> str:
    if advice.network is not None:
        return _network_text(advice.network)
    return f"_{advice.network_note}_" if advice.network_note else ""


def _network_text(net: NetworkDoc) -> str:
    if net.verified:
        name = f"the {net.name}" if not net.name.startswith("the ") else net.name
        return (
            f"*Your regional network*: {name[0].upper() + name[1:]} serves the {net.region}. "
            "Pathfinder holds no contact for it; your organisation's digital or workforce team can put you in touch."
        )
    return (
        f"*Your regional network*: {net.name[0].upper() + net.name[1:]}. Its exact name is unconfirmed in "
        "Pathfinder's sources and no contact is held; ask your organisation's digital or workforce team."
    )


def _reach(advice: Advice) -> str:
    nation = advice.profile.nation
    lines = []
    if advice.england_only:
        names = ", ".join(p.name for p in advice.england_only)
        lines.append(f"*England only* (not open in {nation}): {names}.")
    if advice.uk_wide:
        names = ", ".join(p.name for p in advice.uk_wide)
        lines.append(f"*UK-wide*: {names}.")
    return "\n".join(lines)


def _fact_line(title: str, fact: Fact) -> str:
    return f"{title}: {_fact_text(fact)}"


def _fact_text(fact: Fact) -> str:
    text = fact.text
    if fact.uncertain:
        text += f" _(unconfirmed: {fact.note})_"
    elif fact.time_sensitive and fact.as_of is not None:
        text += f" _(as of {fact.as_of:%B %Y}; may have changed)_"
    return text


def _not_found(fact: Fact) -> bool:
    return fact.text.lower().startswith(("not found", "not stated", "not applicable"))


def _source_line(s: Suggestion) -> str:
    urls = s.programme.all_urls()
    shown = ", ".join(urls[:MAX_URLS]) if urls else "the NHS AI workforce report (seed)"
    more = f" (+{len(urls) - MAX_URLS} more)" if len(urls) > MAX_URLS else ""
    return f"Source: {shown}{more}. Last reviewed {s.programme.last_reviewed:%-d %B %Y}."


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
