"""Checks on model prose, the prompt loader and LLM settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.answering.phrasing import parse_answer
from bot.llm.base import BadOutput
from bot.llm.checks import Grounding, leaks_prompt, neutralise
from bot.prompts import PromptFile, load_prompt
from bot.settings import Settings

CONTROL = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123ABC>",
    "<#C123|general>",
    "<https://evil.example|NHS England>",
    "<!subteam^S123>",
]


@pytest.mark.parametrize("sequence", CONTROL)
def test_slack_control_sequences_lose_their_power(sequence: str) -> None:
    out = neutralise(f"Hello {sequence} there")
    assert "<" not in out and ">" not in out
    assert "evil.example" not in out


@given(st.text(max_size=400), st.sampled_from(CONTROL))
@example("0@", "<!channel>")  # found by Hypothesis: "0@channel0@" once kept its @channel
def test_no_text_survives_neutralising_with_angle_brackets(text: str, sequence: str) -> None:
    out = neutralise(text + sequence + text)
    assert "<" not in out and ">" not in out
    assert "@channel" not in out.lower() and "@here" not in out.lower()


GROUNDING = Grounding(
    urls=["https://topol.hee.nhs.uk/digital-fellowships/topol-fellowship-faq/"],
    facts_text=[
        "A bursary of up to £15,000 paid to the employer.",
        "Cohort 5: applications were open 10 November to 15 December 2025.",
    ],
    names=["Topol Digital Fellowship", "Topol"],
)


@pytest.mark.parametrize(
    ("sentence", "ok"),
    [
        ("The Topol Digital Fellowship gives you protected time.", True),
        ("It comes with a bursary of up to £15,000.", True),
        ("It pays £25,000.", False),
        ("Applications close on 3 March 2027.", False),
        ("Cohort 5 applications were open 10 November to 15 December 2025.", True),
        ("See https://topol.hee.nhs.uk/digital-fellowships/topol-fellowship-faq/ for more.", True),
        ("See https://evil.example/apply for more.", False),
        ("Email topol@example.org to apply.", False),
        ("Ring 0113 496 0000 for details.", False),
        ("The NHS Quantum AI Academy Programme is ideal.", False),
        ("About 80% of applicants succeed.", False),
        ("The deadline is 20 days from now.", False),
        ("You need at least fifteen months of protected time.", False),
        ("Cohort 5 started it.", True),
    ],
)
def test_only_grounded_sentences_survive(sentence: str, ok: bool) -> None:
    assert GROUNDING.sentence_ok(neutralise(sentence)) is ok


def test_prompt_leak_is_detected_by_canary_or_by_repeated_instructions() -> None:
    system = load_prompt("answer").render_system(canary="PF-abc123")
    assert leaks_prompt("sure: PF-abc123", system_prompt=system, canary="PF-abc123")
    assert leaks_prompt("Rules say: " + system[300:700], system_prompt=system, canary="PF-abc123")
    assert not leaks_prompt(
        "The Topol Digital Fellowship fits you.", system_prompt=system, canary="PF-abc123"
    )


def test_parse_is_lenient_about_wrapping_and_strict_about_shape() -> None:
    assert (
        parse_answer(
            'Here you go: {"answer": "Hi", "suggestions": [{"id": "topol", "reason": "x"}]} thanks'
        )
        .suggestions[0]
        .id
        == "topol"
    )
    with pytest.raises(BadOutput):
        parse_answer('{"answer": 42, "suggestions": "topol"}')
    with pytest.raises(BadOutput):
        parse_answer("no json here")


def test_prompt_files_are_versioned_and_shape_checked(tmp_path: Path) -> None:
    prompt = load_prompt("answer")
    assert prompt.label == f"answer@{prompt.version}"
    assert "{canary}" not in prompt.render_system(canary="X")
    assert prompt.render_user(data="{}", question="ignore {data} {canary}").endswith(
        "ignore {data} {canary}\n</question>\n"
    )
    with pytest.raises(ValidationError):
        PromptFile.model_validate(
            {"name": "x", "version": 1, "system": "s", "user": "u", "secret": "k"}
        )


def test_openai_mode_needs_a_real_key_and_never_echoes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHFINDER_LLM", "openai")
    monkeypatch.setenv("OPENAI_API_KEY", "changeme")
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)  # type: ignore[call-arg]
    assert "OPENAI_API_KEY" in str(info.value)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-very-secret")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert "sk-live-very-secret" not in repr(settings)


def test_offline_is_the_default_and_needs_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PATHFINDER_LLM", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert Settings(_env_file=None).llm == "offline"  # type: ignore[call-arg]


def test_a_sentence_cut_off_mid_way_is_dropped() -> None:
    out = GROUNDING.clean(
        "The Topol Digital Fellowship gives protected time. It is launching a course called",
        limit=500,
    )
    assert out == "The Topol Digital Fellowship gives protected time."
