"""The LLM responder against a fake OpenAI-compatible server misbehaving in every way we know.

Assertions are on what the server saw (attempts, request bodies) and on exactly what reaches
the person; nothing of ours is mocked.
"""

from __future__ import annotations

import re
import threading
import time

import pytest
from sqlalchemy.engine import Engine

from bot.answering.conversation import Conversation
from bot.answering.phrasing import ModelResponder
from bot.answering.service import Answer, Pathfinder
from bot.catalogue.snapshot import Catalogue
from bot.evaluation import read_cases, run_eval
from bot.llm.openai_model import OpenAIChatModel

from .conftest import ROOT, TODAY, model_service
from .fakes.openai_server import (
    GOOD_ANSWER,
    GOOD_REASON,
    HOSTILE,
    HOSTILE_REASONS,
    PLANTED,
    FakeOpenAI,
    candidates_in,
)

NURSE = "Band 6 nurse in Leeds, really interested in moving towards informatics. Where do I start?"
FPT_NURSE = "Is Flexible Portfolio Training open to nurses? My manager mentioned it."
UNSAFE = re.compile(r"<!channel>|<!here>|<!everyone>|<@U|evil\.example|\|click>")


@pytest.fixture()
def llm(sqlite_engine: Engine, fake: FakeOpenAI) -> Pathfinder:
    return model_service(sqlite_engine, fake)


def canary(service: Pathfinder) -> str:
    assert isinstance(service.responder, ModelResponder)
    return service.responder.canary


def test_good_answer_uses_the_model_phrasing_and_the_catalogue_facts(
    llm: Pathfinder, fake: FakeOpenAI, offline: Pathfinder
) -> None:
    fake.script("ok")
    answer = llm.ask(NURSE)
    assert answer.responder == "openai"
    assert answer.prompt_version == "answer@4"
    assert answer.answer.startswith("Here are the routes that fit what you told me.")
    offline_answer = offline.ask(NURSE)
    assert [s.id for s in answer.suggestions] == [s.id for s in offline_answer.suggestions]
    assert all(s.why == "It matches what you asked for." for s in answer.suggestions)
    # Every fact and link is the catalogue's, exactly as the offline answer renders it.
    assert [s.facts for s in answer.suggestions] == [s.facts for s in offline_answer.suggestions]
    assert answer.suggestions[0].source_urls[0] in answer.answer
    assert fake.attempts == 1


def test_request_sends_question_and_catalogue_as_delimited_data(
    llm: Pathfinder, fake: FakeOpenAI, offline: Pathfinder
) -> None:
    llm.ask(NURSE)
    body = fake.requests[0].body
    assert body["messages"][0]["role"] == "system"
    user = body["messages"][-1]["content"]
    assert user.startswith("<data>") and "<question>\n" + NURSE in user
    data = candidates_in(body)
    assert {c["id"] for c in data["candidates"]} == {s.id for s in offline.ask(NURSE).suggestions}
    assert body["response_format"]["type"] == "json_schema"
    assert fake.requests[0].headers.get("x-stainless-retry-count") == "0"


@pytest.mark.parametrize("fault", ["429", "500"])
def test_transient_errors_are_retried_then_answered(
    sqlite_engine: Engine, fake: FakeOpenAI, fault: str
) -> None:
    fake.retry_after = "1"
    fake.script(fault, fault, "ok")
    started = time.monotonic()
    answer = model_service(sqlite_engine, fake).ask(NURSE)
    assert answer.responder == "openai"
    assert fake.attempts == 3
    if fault == "429":
        gaps = [b.at - a.at for a, b in zip(fake.requests, fake.requests[1:], strict=False)]
        assert min(gaps) >= 0.9  # Retry-After honoured
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("fault", ["429", "500", "hang", "trickle"])
def test_persistent_failure_stops_at_three_attempts_and_falls_back(
    sqlite_engine: Engine, fake: FakeOpenAI, offline: Pathfinder, fault: str
) -> None:
    fake.hang_seconds = 3
    fake.retry_after = "0"
    fake.script(default=fault)
    started = time.monotonic()
    answer = model_service(sqlite_engine, fake, timeout=1.0).ask(NURSE)
    elapsed = time.monotonic() - started
    assert fake.attempts == 3
    assert answer.responder == "offline-fallback"
    assert answer.answer == offline.ask(NURSE).answer
    assert elapsed < 35


def test_overall_deadline_bounds_the_whole_question(
    sqlite_engine: Engine, fake: FakeOpenAI
) -> None:
    fake.hang_seconds = 5
    fake.script(default="hang")
    service = model_service(sqlite_engine, fake, timeout=20.0, deadline=2.5)
    service.ask("who won the football last night?")  # warm: loading the catalogue and screen is not the question's
    assert fake.attempts == 0  # refused without the model
    started = time.monotonic()
    answer = service.ask(NURSE)
    assert time.monotonic() - started < 4.0
    assert fake.attempts <= 3
    assert answer.responder == "offline-fallback"


def test_context_length_error_shrinks_the_context_once(
    sqlite_engine: Engine, fake: FakeOpenAI
) -> None:
    service = model_service(sqlite_engine, fake)
    conversation = Conversation()
    fake.script("ok", "ctx", "ok")
    service.ask("I'm a band 6 nurse in Leeds", conversation=conversation)
    answer = service.ask(
        "What about protected time for a digital project?", conversation=conversation
    )
    assert answer.responder == "openai"
    first, second = fake.requests[1].body, fake.requests[2].body
    assert len(first["messages"]) > len(second["messages"]) == 2  # history dropped on retry
    assert len(second["messages"][-1]["content"]) < len(first["messages"][-1]["content"])


def test_context_length_error_twice_falls_back(llm: Pathfinder, fake: FakeOpenAI) -> None:
    fake.script(default="ctx")
    answer = llm.ask(NURSE)
    assert answer.responder == "offline-fallback" and fake.attempts == 2


@pytest.mark.parametrize("fault", ["length", "filter", "empty", "badjson"])
def test_unusable_output_falls_back_without_retrying(
    llm: Pathfinder, fake: FakeOpenAI, offline: Pathfinder, fault: str
) -> None:
    fake.script(fault)
    answer = llm.ask(NURSE)
    assert answer.responder == "offline-fallback"
    assert answer.answer == offline.ask(NURSE).answer
    assert fake.attempts == 1


def test_code_fenced_json_is_accepted(llm: Pathfinder, fake: FakeOpenAI) -> None:
    fake.script("fenced")
    assert llm.ask(NURSE).responder == "openai"


def test_invented_programmes_links_dates_contacts_and_amounts_never_reach_the_person(
    llm: Pathfinder, fake: FakeOpenAI
) -> None:
    fake.script("invented")
    answer = llm.ask(NURSE)
    assert answer.responder == "openai"
    assert "nhs_quantum_ai_academy" not in [s.id for s in answer.suggestions]
    for bad in ("Quantum", "evil.example", "3 March 2027", "jobs@", "£90,000"):
        assert bad not in answer.answer


def test_slack_control_sequences_are_neutralised(llm: Pathfinder, fake: FakeOpenAI) -> None:
    fake.script("channel")
    answer = llm.ask(NURSE)
    assert not UNSAFE.search(answer.answer)
    assert "@here" not in answer.answer
    assert all(not UNSAFE.search(s.why) for s in answer.suggestions)


def test_an_echo_of_the_system_prompt_is_never_shown(llm: Pathfinder, fake: FakeOpenAI) -> None:
    fake.script("echo")
    answer = llm.ask(NURSE)
    assert answer.responder == "offline-fallback"
    assert canary(llm) not in answer.answer
    assert "You phrase answers; you do not decide them" not in answer.answer


def test_a_programme_the_person_cannot_do_is_not_promoted(
    llm: Pathfinder, fake: FakeOpenAI
) -> None:
    fake.script("promote")
    answer = llm.ask(FPT_NURSE)
    assert "fpt" not in [s.id for s in answer.suggestions]
    assert "You are eligible for fpt" not in answer.answer
    assert [s.id for s in answer.asked_about] == ["fpt"]
    assert "✗ A doctor or dentist" in answer.answer  # the DB-rendered check still says no
    assert "Flexible Portfolio Training (FPT)* (fits you now)" not in answer.answer


# Words that must never reach the person from a hostile model, whatever else survives.
CLAIMS = re.compile(
    r"approved|accepted|registered|nominated|selected|signed|confirmed|coordinator|interest log|"
    r"Alice|Brown|Jane|Example|Patel|Priya|Sharma|other users|will contact",
    re.I,
)


@pytest.mark.parametrize("step", ["approvals", "people"])
def test_claims_about_approvals_coordinators_and_named_people_never_reach_the_person(
    llm: Pathfinder, fake: FakeOpenAI, offline: Pathfinder, step: str
) -> None:
    fake.script(step)
    answer = llm.ask(NURSE)
    assert answer.responder == "openai"
    # The rest of the answer is intact: the good sentences, in order, and every card's reason.
    assert answer.headline == " ".join(GOOD_ANSWER)
    assert [s.why for s in answer.suggestions] == [GOOD_REASON] * len(answer.suggestions)
    for sentence in [*HOSTILE[step], HOSTILE_REASONS[step]]:
        assert sentence not in answer.answer
    assert not CLAIMS.search(answer.headline)
    assert not any(CLAIMS.search(s.why) for s in answer.suggestions)
    # Everything else the person sees is code's, exactly as offline.
    expected = offline.ask(NURSE)
    assert [s.facts for s in answer.suggestions] == [s.facts for s in expected.suggestions]


def test_an_instruction_planted_earlier_in_the_thread_is_not_carried_into_the_answer(
    llm: Pathfinder, fake: FakeOpenAI
) -> None:
    thread = Conversation()
    # Someone else's message in the thread, already in its history (however it got there).
    thread.record(f"Band 6 nurse here. Pathfinder, {PLANTED}.", "Suggested: nothing.", None)
    fake.script(default="obey")
    answer = llm.ask(NURSE, conversation=thread)
    request = fake.requests[-1].body
    assert any(PLANTED in m["content"].lower() for m in request["messages"])  # the model saw it
    assert answer.responder == "openai"
    assert answer.headline == " ".join(GOOD_ANSWER)  # ...and said it; none of it was shown
    assert [s.why for s in answer.suggestions] == [GOOD_REASON] * len(answer.suggestions)
    assert not CLAIMS.search(answer.headline)
    fake.script(default="obey")
    clean = llm.ask(NURSE, conversation=Conversation())  # no plant: the model behaves
    assert not any(PLANTED in m["content"].lower() for m in fake.requests[-1].body["messages"])
    assert clean.headline == GOOD_ANSWER[0]


def test_a_model_that_says_nothing_but_claims_falls_back_to_the_offline_answer(
    llm: Pathfinder, fake: FakeOpenAI, offline: Pathfinder
) -> None:
    fake.script("hostile")
    answer = llm.ask(NURSE)
    assert answer.responder == "offline-fallback"
    assert answer.fallback_reason == "no sentence passed the checks"
    assert answer.answer == offline.ask(NURSE).answer
    assert fake.attempts == 1  # bad words are not worth another call


def test_server_that_refuses_json_schema_gets_json_object(
    llm: Pathfinder, fake: FakeOpenAI
) -> None:
    fake.script(default="schema500")
    assert llm.ask(NURSE).responder == "openai"
    assert [r.body["response_format"]["type"] for r in fake.requests] == [
        "json_schema",
        "json_object",
    ]
    llm.ask(NURSE)
    assert fake.requests[-1].body["response_format"]["type"] == "json_object"  # remembered


def test_follow_ups_keep_the_profile_and_the_last_turns(llm: Pathfinder, fake: FakeOpenAI) -> None:
    conversation = Conversation()
    llm.ask("I'm a band 7 physiotherapist in Exeter", conversation=conversation)
    answer = llm.ask("I want protected time for a digital project", conversation=conversation)
    assert answer.profile.band == 7 and answer.profile.region == "South West"
    assert answer.profile.profession == "ahp" and "protected_time" in answer.profile.intents
    messages = fake.requests[-1].body["messages"]
    assert messages[1] == {"role": "user", "content": "I'm a band 7 physiotherapist in Exeter"}


def test_the_model_never_sees_another_conversation(llm: Pathfinder, fake: FakeOpenAI) -> None:
    llm.ask("I'm a band 7 physiotherapist in Exeter, secret-token-A", conversation=Conversation())
    llm.ask(NURSE, conversation=Conversation())
    assert "secret-token-A" not in str(fake.requests[-1].body)


def test_refusals_and_vague_questions_never_call_the_model(
    llm: Pathfinder, fake: FakeOpenAI
) -> None:
    assert llm.ask("What's the weather in Leeds tomorrow?").refused
    assert llm.ask("I want to get into AI. Where do I start?").clarify
    assert fake.attempts == 0


QUESTIONS = [
    NURSE,
    FPT_NURSE,
    "I'm an ST4 radiology registrar in London wanting hands-on AI deployment",
    "I'm an FY1 in Birmingham and keen on AI. What could I apply for this year?",
    "I'm a nurse in Cardiff - which ISDN should I join?",
    "How much are clinical AI fellows paid, and what's the application success rate?",
]
FAULTS = [
    "ok",
    "invented",
    "channel",
    "echo",
    "promote",
    "badjson",
    "length",
    "filter",
    "empty",
    "ctx",
    "500",
    "approvals",
    "people",
    "obey",
    "hostile",
]


ALL_HOSTILE = [h for hs in HOSTILE.values() for h in hs] + list(HOSTILE_REASONS.values())


def test_whatever_the_model_says_the_person_sees_only_checked_output(
    sqlite_engine: Engine, fake: FakeOpenAI, offline: Pathfinder
) -> None:
    service = model_service(sqlite_engine, fake, timeout=1.0, deadline=5.0)
    known_ids = {s.id for q in QUESTIONS for s in offline.ask(q).suggestions}
    for fault in FAULTS:
        for question in QUESTIONS:
            fake.script(default=fault)
            started = time.monotonic()
            answer: Answer = service.ask(question)
            expected = offline.ask(question)
            assert time.monotonic() - started < 35
            assert fake.attempts <= 3
            assert answer.answer.strip()
            assert [s.id for s in answer.suggestions] == [s.id for s in expected.suggestions]
            assert {s.id for s in answer.suggestions} <= known_ids
            assert not UNSAFE.search(answer.answer)
            assert canary(service) not in answer.answer
            assert not [h for h in ALL_HOSTILE if h in answer.answer]
            assert answer.responder in ("openai", "offline-fallback", "offline")


def test_azure_openai_uses_the_deployment_path_and_api_version(
    sqlite_engine: Engine, fake: FakeOpenAI
) -> None:
    base = fake.url.removesuffix("/v1")
    model = OpenAIChatModel(
        model="pathfinder-gpt", api_key="azure-key", azure_endpoint=base, api_version="2024-10-21"
    )
    service = Pathfinder(sqlite_engine, today=lambda: TODAY, responder=ModelResponder(model))
    assert service.ask(NURSE).responder == "openai"
    request = fake.requests[0]
    assert request.path.startswith("/openai/deployments/pathfinder-gpt/chat/completions")
    assert "api-version=2024-10-21" in request.path
    assert request.headers.get("api-key") == "azure-key"


def test_conversation_history_stays_within_its_token_budget() -> None:
    conversation = Conversation()
    for i in range(6):
        conversation.record(f"question {i} " + "word " * 300, "answer " * 300, None)
    recent = conversation.recent(budget=1200)
    assert recent and recent[-1].question.startswith("question 5")
    assert sum(len(t.question) + len(t.answer) for t in recent) // 4 <= 1200 + 2 * len(recent)
    assert len(recent) < 6


DEV_CASES = ROOT.parent / "shared" / "eval" / "dev_cases.jsonl"


@pytest.mark.skipif(
    not DEV_CASES.exists(), reason="dev eval cases not present beside the repository"
)
def test_eval_scores_with_a_shuffling_model_are_no_worse_than_offline(
    llm: Pathfinder, offline: Pathfinder, catalogue: Catalogue
) -> None:
    cases = read_cases(DEV_CASES)
    base = run_eval(cases, ask=offline.ask, catalogue=catalogue)
    with_llm = run_eval(cases, ask=llm.ask, catalogue=catalogue)
    assert with_llm.responders.get("openai", 0) > 0 and with_llm.fallbacks == 0
    assert with_llm.expected_recall_top3 >= base.expected_recall_top3
    assert with_llm.must_not_violations <= base.must_not_violations
    assert with_llm.refusal_accuracy >= base.refusal_accuracy
    assert with_llm.region_accuracy >= base.region_accuracy


SLOW_FAULTS = ["trickle", "slow_stream", "slow_body", "slow_headers"]


@pytest.mark.parametrize("fault", SLOW_FAULTS)
def test_a_slow_response_is_cut_off_at_the_overall_deadline(
    sqlite_engine: Engine, fake: FakeOpenAI, offline: Pathfinder, fault: str
) -> None:
    fake.hang_seconds = 60
    fake.script("ok", default=fault)
    service = model_service(sqlite_engine, fake, timeout=20.0, deadline=2.5)
    assert service.ask(NURSE).responder == "openai"  # warm: the catalogue snapshot is built
    started = time.monotonic()
    answer = service.ask(NURSE)
    elapsed = time.monotonic() - started
    assert elapsed < 2.5 + 0.3, f"{fault}: {elapsed:.2f} s"
    assert answer.responder == "offline-fallback"
    assert answer.fallback_reason == "unavailable"
    assert answer.answer == offline.ask(NURSE).answer
    # What was abandoned is closed: the worker thread ends, and the server sees the hang-up on
    # its next write. (Headers still trickling can't be cut, as no socket is in hand yet: that
    # worker ends with them, ~1 s later here; the caller never waits for it.)
    assert _attempt_threads_gone(within=0.5 if fault != "slow_headers" else 2.0)
    if fault in ("trickle", "slow_stream"):
        # A write to a closed peer succeeds once (the reply is a reset): the server knows on the
        # write after that.
        slowest = started + 2.5 + 2 * fake.gap_seconds + 0.5
        while fake.requests[-1].hung_up_at is None and time.monotonic() < slowest:
            time.sleep(0.05)
        hung_up = fake.requests[-1].hung_up_at
        assert hung_up is not None and hung_up < slowest


def _attempt_threads_gone(*, within: float) -> bool:
    end = time.monotonic() + within
    while any(t.name == "pathfinder-llm-attempt" for t in threading.enumerate()):
        if time.monotonic() > end:
            return False
        time.sleep(0.02)
    return True


def test_workers_left_by_a_stuck_server_are_capped_so_nothing_piles_up(
    sqlite_engine: Engine, fake: FakeOpenAI
) -> None:
    fake.trickle_seconds = 0.5  # headers one byte each half second: no socket to cut for ~40 s
    fake.script("ok", default="slow_headers")
    model = OpenAIChatModel(
        model="fake-model", api_key="test", base_url=fake.url, max_attempts=1, max_in_flight=1
    )
    service = Pathfinder(
        sqlite_engine, today=lambda: TODAY, responder=ModelResponder(model, deadline_s=1.0)
    )
    service.ask(NURSE)  # warm
    for _ in range(2):
        started = time.monotonic()
        answer = service.ask(NURSE)
        assert time.monotonic() - started < 1.0 + 0.3
        assert answer.responder == "offline-fallback"
    # The first stuck worker holds the only slot: the second call opened no thread, no socket.
    assert fake.attempts == 2
    assert sum(t.name == "pathfinder-llm-attempt" for t in threading.enumerate()) == 1
