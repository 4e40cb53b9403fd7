"""The eval harness: run question sets through the advisor and score what it suggests.

Scores: expected-recall in the top 3 (micro: expected programmes found / expected), must-not
violations (a must-not programme anywhere in the suggestions), refusal accuracy, and region
accuracy (the network's region equals `expected_isdn`, both null counting as a match).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.answering.contract import Answer
from bot.answering.reader import ReaderResult
from bot.catalogue.snapshot import Catalogue
from bot.catalogue.text import normalise

TOP_K = 3


class Case(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    question: str
    persona: dict[str, Any] = {}
    expected: list[str] = []
    acceptable: list[str] = []
    must_not: list[str] = []
    expected_isdn: str | None = None
    should_refuse: bool = False
    notes: str = ""


class Miss(BaseModel):
    case: str
    kind: str
    detail: str


class SecondReadings(BaseModel):
    """What the optional LLM second reader did over a run: outcomes, and per field how often it
    filled a field the rules left unknown, disagreed with them, or gave a value outside the
    vocabularies. Empty without a second reader."""

    outcomes: dict[str, int] = {}
    filled: dict[str, int] = {}
    disagreed: dict[str, int] = {}
    dropped: dict[str, int] = {}

    def add(self, outcome: str, *, filled: Iterable[str], disagreed: Iterable[str], dropped: Iterable[str]) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        for tally, names in ((self.filled, filled), (self.disagreed, disagreed), (self.dropped, dropped)):
            for name in names:
                tally[name] = tally.get(name, 0) + 1

    def lines(self) -> list[str]:
        if not self.outcomes:
            return []

        def listed(tally: dict[str, int]) -> str:
            return ", ".join(f"{k} {v}" for k, v in sorted(tally.items())) or "none"

        return [
            f"second reader: {listed(self.outcomes)}",
            f"  filled ({sum(self.filled.values())}): {listed(self.filled)}",
            f"  disagreed ({sum(self.disagreed.values())}): {listed(self.disagreed)}",
            f"  dropped as outside the vocabularies ({sum(self.dropped.values())}): {listed(self.dropped)}",
        ]


class EvalReport(BaseModel):
    cases: int
    responder: str
    expected_total: int
    expected_found_top3: int
    expected_recall_top3: float
    # Expected programmes the catalogue now marks closed, historical or unverified: the advisor
    # must never rank them ahead of one that runs (catalogue v2), so they are reported, not scored.
    expected_inactive: int = 0
    must_not_violations: int
    refusal_accuracy: float
    refused_when_needed: str = ""  # should-refuse cases refused / all should-refuse cases
    false_refusals: int = 0  # answerable questions refused
    region_accuracy: float
    # the same on answerable cases only: a partly refused case is answered with its network, where
    # the case sets often label the region null
    region_accuracy_answerable: float = 1.0
    latency_ms_p50: float
    latency_ms_p95: float
    fallbacks: int
    responders: dict[str, int] = {}
    fallback_reasons: dict[str, int] = {}
    second_reader: SecondReadings = Field(default_factory=SecondReadings)
    misses: list[Miss]


class CaseFileError(ValueError):
    """A line of the cases file is not a valid case."""


def read_cases(path: Path) -> list[Case]:
    """Cases from a JSONL file; a bad line is reported with its number."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            cases.append(Case.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise CaseFileError(f"{path}:{number}: not a valid case: {exc}") from exc
    return cases


def resolver(catalogue: Catalogue) -> Callable[[str], str]:
    """Map a canonical programme name (or alias, or id) in a case to a catalogue id."""
    table: dict[str, str] = {}
    for p in catalogue.programmes:
        for name in (p.id, p.name, *p.aliases):
            table[normalise(name)] = p.id

    def resolve(name: str) -> str:
        key = normalise(name)
        if key not in table:
            raise CaseFileError(f"unknown programme in cases: {name!r}")
        return table[key]

    return resolve


def run_eval(
    cases: Iterable[Case], *, ask: Callable[[str], Answer], catalogue: Catalogue
) -> EvalReport:
    """Ask every case and score the answers."""
    resolve = resolver(catalogue)
    misses: list[Miss] = []
    expected_total = found = violations = refusal_ok = region_ok = fallbacks = 0
    answerable_region_ok = answerable = 0
    inactive_expected = must_refuse = refused_ok = false_refusals = 0
    latencies: list[float] = []
    responders: dict[str, int] = {}
    reasons: dict[str, int] = {}
    case_list = list(cases)
    second = SecondReadings()
    for case in case_list:
        answer = ask(case.question)
        if answer.second_reading is not None:
            r = answer.second_reading
            second.add(r.outcome, filled=r.filled, disagreed=r.disagreed, dropped=r.dropped)
        fallbacks += answer.responder == "offline-fallback"
        responders[answer.responder] = responders.get(answer.responder, 0) + 1
        if answer.fallback_reason:
            reasons[answer.fallback_reason] = reasons.get(answer.fallback_reason, 0) + 1
        latencies.append(answer.elapsed_ms)
        ids = [s.id for s in answer.suggestions]
        top = ids[:TOP_K]
        addressed = {s.id for s in answer.inactive}  # asked about by name and answered about
        for name in case.expected:
            pid = resolve(name)
            if not catalogue.by_id[pid].status.active and pid not in addressed:
                inactive_expected += 1
                misses.append(Miss(case=case.id, kind="expected_inactive", detail=f"{pid} is {catalogue.by_id[pid].status.state}: not scored"))
                continue
            expected_total += 1
            if pid in top or pid in addressed:
                found += 1
            else:
                misses.append(
                    Miss(
                        case=case.id,
                        kind="expected_missing",
                        detail=f"{pid} not in top {TOP_K}: {top}",
                    )
                )
        for name in case.must_not:
            pid = resolve(name)
            if pid in ids:
                violations += 1
                misses.append(
                    Miss(
                        case=case.id,
                        kind="must_not",
                        detail=f"{pid} suggested at rank {ids.index(pid) + 1}",
                    )
                )
        must_refuse += case.should_refuse
        refused_ok += case.should_refuse and answer.refused
        false_refusals += answer.refused and not case.should_refuse
        if answer.refused == case.should_refuse:
            refusal_ok += 1
        else:
            misses.append(
                Miss(
                    case=case.id,
                    kind="refusal",
                    detail=f"refused={answer.refused}, expected {case.should_refuse}",
                )
            )
        region = answer.network.region if answer.network else None
        answerable += not case.should_refuse
        if region == case.expected_isdn:
            region_ok += 1
            answerable_region_ok += not case.should_refuse
        else:
            misses.append(
                Miss(
                    case=case.id,
                    kind="region",
                    detail=f"network region {region!r}, expected {case.expected_isdn!r}",
                )
            )
    n = len(case_list) or 1
    latencies.sort()
    return EvalReport(
        cases=len(case_list),
        responder=max(responders, key=lambda k: responders[k]) if responders else "",
        expected_total=expected_total,
        expected_found_top3=found,
        expected_recall_top3=round(found / expected_total, 4) if expected_total else 1.0,
        expected_inactive=inactive_expected,
        refused_when_needed=f"{refused_ok}/{must_refuse}",
        false_refusals=false_refusals,
        must_not_violations=violations,
        refusal_accuracy=round(refusal_ok / n, 4),
        region_accuracy=round(region_ok / n, 4),
        region_accuracy_answerable=round(answerable_region_ok / answerable, 4) if answerable else 1.0,
        latency_ms_p50=round(statistics.median(latencies), 2) if latencies else 0.0,
        latency_ms_p95=round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 2)
        if latencies
        else 0.0,
        fallbacks=fallbacks,
        responders=responders,
        fallback_reasons=reasons,
        second_reader=second,
        misses=misses,
    )


def format_report(report: EvalReport) -> str:
    """A readable summary with every miss listed."""
    lines = [
        f"cases: {report.cases}   responder: {report.responder}",
        f"expected-recall@{TOP_K}: {report.expected_recall_top3:.2f} ({report.expected_found_top3}/{report.expected_total})",
        f"must-not violations: {report.must_not_violations}",
        f"expected programmes now inactive (not scored): {report.expected_inactive}",
        f"refusal accuracy: {report.refusal_accuracy:.2f} (refused when needed {report.refused_when_needed}; false refusals {report.false_refusals})",
        f"region accuracy: {report.region_accuracy:.2f} (answerable cases {report.region_accuracy_answerable:.2f})",
        f"latency p50 {report.latency_ms_p50:.1f} ms, p95 {report.latency_ms_p95:.1f} ms; fallbacks: {report.fallbacks}",
        "answered by: " + ", ".join(f"{k} {v}" for k, v in sorted(report.responders.items())),
    ]
    if report.fallback_reasons:
        lines.append(
            "fallback reasons: "
            + ", ".join(f"{k} {v}" for k, v in sorted(report.fallback_reasons.items()))
        )
    lines += report.second_reader.lines()
    if report.misses:
        lines.append(f"misses ({len(report.misses)}):")
        lines.extend(f"  - {m.case}: {m.kind}: {m.detail}" for m in report.misses)
    else:
        lines.append("misses: none")
    return "\n".join(lines)


# -- Reading: who is asking, and what must be refused ------------------------------------------

READING_FIELDS = ("profession", "stage", "stage_year", "band", "nation", "region", "nhs_employee", "role", "experience_years")
ALWAYS_SCORED = ("profession", "stage", "band", "nation", "region")  # a null label must read null


class FieldScore(BaseModel):
    field: str
    correct: int
    total: int
    accuracy: float


class ReadingReport(BaseModel):
    lines: int
    fields: list[FieldScore]
    must_refuse: int
    refused_when_needed: int
    answerable: int
    false_refusals: int
    category_right: int
    second_reader: SecondReadings = Field(default_factory=SecondReadings)
    misses: list[Miss]


def run_reading_eval(
    lines: list[dict[str, Any]],
    *,
    catalogue: Catalogue,
    today: Any,
    read: Callable[[str], ReaderResult | None] | None = None,
) -> ReadingReport:
    """Per-field accuracy of the profile reader, and the safety screen's refusals, on labelled
    sentences (tests/data/*.jsonl, evals/cases/unseen_reading.jsonl); with `read` (a second
    reader), the scores of the merged reading and what the second reader did."""
    from bot.advice.advisor import advise

    second = SecondReadings()
    scores = {f: [0, 0] for f in READING_FIELDS}
    misses: list[Miss] = []
    must = caught = answerable = false = category_ok = 0
    categories = {"clinical": "clinical_advice"}
    for line in lines:
        text = line.get("text") or line.get("question") or ""
        result = read(text) if read is not None else None
        advice = advise(text, catalogue=catalogue, today=today, second=result.reading if result else None)
        if result is not None:
            merged = advice.second
            second.add(result.outcome, filled=merged.filled if merged else (),
                       disagreed=merged.disagreed if merged else (), dropped=result.dropped)  # fmt: skip
        # A line without "refuse" (tests/data/profiles.jsonl) is an answerable question.
        refused = advice.refusal is not None
        if line.get("refuse"):
            must += 1
            caught += refused
            want = categories.get(line.get("category") or "", line.get("category"))
            category_ok += refused and advice.refusal is not None and advice.refusal.reason == want
            if not refused:
                misses.append(Miss(case=line["id"], kind="not_refused", detail=str(line.get("category"))))
        else:
            answerable += 1
            false += refused
            if refused and advice.refusal is not None:
                misses.append(Miss(case=line["id"], kind="false_refusal", detail=f"{advice.refusal.reason}:{advice.refusal.pattern}"))
        if line.get("refuse"):
            continue  # a refused line has no profile to score
        profile = advice.profile
        for f in READING_FIELDS:
            if f not in line or (f not in ALWAYS_SCORED and line[f] is None):
                continue
            scores[f][1] += 1
            got = getattr(profile, f)
            if got == line[f]:
                scores[f][0] += 1
            else:
                misses.append(Miss(case=line["id"], kind=f, detail=f"want {line[f]!r} got {got!r}"))
    return ReadingReport(
        lines=len(lines),
        fields=[FieldScore(field=f, correct=c, total=t, accuracy=round(c / t, 4) if t else 1.0) for f, (c, t) in scores.items() if t],
        must_refuse=must,
        refused_when_needed=caught,
        answerable=answerable,
        false_refusals=false,
        category_right=category_ok,
        second_reader=second,
        misses=misses,
    )


def format_reading(report: ReadingReport) -> str:
    lines = [f"lines: {report.lines}"]
    lines += [f"{s.field:17s} {s.accuracy:.3f} ({s.correct}/{s.total})" for s in report.fields]
    if report.must_refuse or report.answerable:
        lines.append(
            f"refused when needed: {report.refused_when_needed}/{report.must_refuse} "
            f"(right category {report.category_right}); false refusals: {report.false_refusals}/{report.answerable}"
        )
    lines += report.second_reader.lines()
    if report.misses:
        lines.append(f"misses ({len(report.misses)}):")
        lines += [f"  - {m.case}: {m.kind}: {m.detail}" for m in report.misses]
    return "\n".join(lines)
