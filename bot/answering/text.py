"""The text view of an Answer (the CLI, `answer` in the JSON, and what the model's reply is checked
against): the short answer first, one short block per programme, then the details.

It reads the Answer and nothing else; bot/slack/blocks/answer.py renders the same object, so both
views carry the same facts. Light markup (*bold*, _italic_, bullets) reads in a terminal and Slack.
"""

from __future__ import annotations

from bot.answering.contract import Answer, FactOut, SuggestionOut, first_sentence

MARK = {"met": "✓", "not_met": "✗", "unknown": "?"}
CARDS = 3  # programmes shown as cards; the rest are listed in one line each
MAX_URLS = 2


def render(answer: Answer) -> str:
    """The whole answer as text."""
    if answer.refused and not answer.refusal_partial:
        return "\n\n".join(p for p in (answer.refusal_message, answer.offer) if p)
    parts: list[str] = []
    if answer.refused and answer.refusal_message:
        parts.append(f"I can't help with part of that. {answer.refusal_message}")
    if answer.register_note:
        parts.append(answer.register_note)
    parts.append(answer.headline)
    if answer.place_note:
        parts.append(f"_{answer.place_note}_")
    parts.extend(faq_lines(answer))
    if answer.asked_facts:
        parts.append(asked_facts_block(answer))
    parts.extend(inactive_line(s) for s in answer.inactive)
    parts.extend(asked_about_block(s) for s in answer.asked_about)
    if answer.asked_about and answer.suggestions:
        parts.append("*What could fit you instead:*")
    for n, s in enumerate(answer.suggestions[:CARDS], start=1):
        parts.append(brief(n, s) if s.id in answer.seen else card(n, s))
    if len(answer.suggestions) > CARDS:
        parts.append(also_block(answer.suggestions[CARDS:]))
    if answer.later:
        parts.append(later_block(answer))
    parts.extend(network_lines(answer))
    if answer.uk_wide or answer.england_only:
        parts.append(reach_block(answer))
    details = [details_block(s) for s in [*answer.suggestions, *answer.asked_about] if s.id not in answer.seen]
    if details:
        parts.append("—— *Details* ——")
        parts.extend(details)
    parts.append(footer(answer))
    return "\n\n".join(p for p in parts if p)


def fact_text(f: FactOut) -> str:
    text = f.text
    if f.uncertain:
        text += f" _(unconfirmed{': ' + f.note if f.note else ''})_"
    elif f.time_sensitive and f.as_of is not None:
        text += f" _(as of {f.as_of:%B %Y}; may have changed)_"
    return text


def faq_lines(answer: Answer) -> list[str]:
    out = []
    for faq in answer.faqs:
        source = f" Source: {faq.answer.sources[0]}." if faq.answer.sources else ""
        out.append(f"*{faq.question}*\n{fact_text(faq.answer)}{source}")
    return out


def asked_facts_block(answer: Answer) -> str:
    blocks: dict[str, list[str]] = {}
    for a in answer.asked_facts:
        lines = blocks.setdefault(a.programme, [])
        if a.fact is None:
            lines.append(f"• The catalogue has no figure for {a.label}, so I won't guess. Ask the programme directly.")
        elif not any(a.fact.text in line for line in lines):
            lines.append(f"• {fact_text(a.fact)}")
    return "\n\n".join(f"*{name}: what you asked*\n" + "\n".join(lines) for name, lines in blocks.items())


def inactive_line(s: SuggestionOut) -> str:
    status = s.status
    assert status is not None
    when = f" (as of {status.as_of:%B %Y})"
    note = " The catalogue can't confirm it still runs." if status.state == "unverified" else ""
    text = first_sentence(status.text)  # the whole status is behind Details
    return f"*You asked about {s.name}*: {text}{when}.{note}".replace("..", ".")


def asked_about_block(s: SuggestionOut) -> str:
    failed = [c for c in s.eligibility if c.status == "not_met"]
    if s.when:
        when = s.when.rstrip(".")
        head = f"not open to you now, but it could be: {when[0].lower() + when[1:]}."
    elif s.verdict == "later":
        head = "not yet, but it could be later."
    else:
        head = "I'm afraid it isn't open to you."
    lines = [f"*You asked about {s.name}*: {head}"]
    lines += [f"  {MARK[c.status]} {c.criterion}: {c.detail}" for c in failed]
    return "\n".join(lines)


def card(n: int, s: SuggestionOut) -> str:
    """One programme, short: verdict, one why, what was asked, the one thing to check."""
    lines = [f"*{n}. {s.name}* ({s.verdict_label})", f"Why: {_sentence(s.why)}"]
    lines += [f"{f.label}: {fact_text(f)}" for f in s.key_facts]
    if s.window:
        lines.append(f"Dates: {s.window}")
    if s.check:
        lines.append(f"Check: {s.check}")
    return "\n".join(lines)


def brief(n: int, s: SuggestionOut) -> str:
    return f"*{n}. {s.name}* ({s.verdict_label}): covered above in this conversation."


def also_block(rest: list[SuggestionOut]) -> str:
    lines = ["*Also worth a look*"]
    lines += [f"• {s.name} ({s.verdict_label})" for s in rest]
    return "\n".join(lines)


def later_block(answer: Answer) -> str:
    lines = ["*Doors that open later*"]
    lines += [f"• {s.name}: {s.when or 'later in your career'}" for s in answer.later]
    return "\n".join(lines)


def network_lines(answer: Answer) -> list[str]:
    out = []
    net = answer.network
    if net is not None and net.verified:
        out.append(
            f"*Your regional network*: {net.name} serves the {net.region}. Pathfinder holds no "
            "contact for it; your organisation's digital or workforce team can put you in touch."
        )
    if answer.network_note:
        out.append(f"_{answer.network_note}_")
    return out


def reach_block(answer: Answer) -> str:
    lines = []
    if answer.england_only:
        lines.append(f"*England only* (not open in {answer.nation}): {', '.join(answer.england_only)}.")
    if answer.uk_wide:
        lines.append(f"*UK-wide*: {', '.join(answer.uk_wide)}.")
    return "\n".join(lines)


def details_block(s: SuggestionOut) -> str:
    """Everything behind the card: what it is, every eligibility check, every fact, the sources."""
    lines = [f"*{s.name}*", f"What it is: {s.summary}"]
    if s.status is not None:
        lines.append(f"Status ({s.status.state}, as of {s.status.as_of:%-d %B %Y}): {s.status.text}")
    if s.eligibility:
        lines.append("Eligibility:")
        lines += [f"  {MARK[c.status]} {c.criterion}: {c.detail}" for c in s.eligibility]
    shown = {"summary", "status"}
    lines += [f"{f.label}: {fact_text(f)}" for f in s.facts if f.topic not in shown]
    lines += [f"Caution: {c}" for c in s.cautions]
    lines.append(source_line(s))
    return "\n".join(lines)


def source_line(s: SuggestionOut) -> str:
    urls = s.source_urls
    shown = ", ".join(urls[:MAX_URLS]) if urls else "the NHS AI workforce report (seed)"
    more = f" (+{len(urls) - MAX_URLS} more)" if len(urls) > MAX_URLS else ""
    return f"Sources: {shown}{more}. Last reviewed {s.last_reviewed:%-d %B %Y}."


BUDGET_NOTE = (
    "_Worded offline: the AI allowance is used up for now. The programmes, facts and eligibility "
    "are checked the same way._ "
)


def footer(answer: Answer) -> str:
    budget = BUDGET_NOTE if answer.fallback_reason == "budget" else ""
    return (
        f"{budget}_Pathfinder checks eligibility against its reviewed catalogue; always confirm "
        f"details with the programme before you apply. Catalogue version {answer.catalogue_version}._"
    )


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")
