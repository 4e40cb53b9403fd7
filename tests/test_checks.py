"""Checks on model prose, the prompt loader and LLM settings."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.answering.phrasing import parse_answer
from bot.catalogue.loader import CatalogueBundle
from bot.llm.base import BadOutput
from bot.llm.checks import Grounding, leaks_prompt, neutralise
from bot.llm.people import claims_process, speaks_of_others
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


def test_an_invented_name_ending_like_a_real_alias_is_still_invented() -> None:
    # A real alias ending in generic words ("NHS Digital Academy programme") must not vouch for
    # any name that ends the same way (found when that alias was shown to a nurse).
    grounding = Grounding(urls=[], facts_text=[], names=["NHS Digital Academy programme", "Topol Digital Fellowship"])
    assert grounding.why_dropped("Try the NHS Quantum AI Academy Programme.") == "programme"
    assert grounding.why_dropped("The Digital Academy programme has resources for you.") is None
    assert grounding.why_dropped("A Digital Fellowship could give you protected time.") is None


def test_a_real_name_that_starts_with_its_kind_is_not_taken_for_an_invented_one() -> None:
    grounding = Grounding(
        urls=[],
        facts_text=[],
        names=["Fellowship in Clinical AI", "Certificate of Equivalence", "Topol Digital Fellowship"],
    )
    for sentence in (
        "The Fellowship in Clinical AI could suit you.",
        "Consider the Certificate of Equivalence instead.",
        "The Topol Digital Fellowship gives you protected time.",
    ):
        assert grounding.why_dropped(sentence) is None, sentence
    for sentence in (
        "The Fellowship in Quantum AI could suit you.",
        "The NHS Quantum AI Academy Programme is ideal.",
        "The Clinical AI Fellowship is ideal.",
    ):
        assert grounding.why_dropped(sentence) == "programme", sentence


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


# -- people and processes: what the model may never say -------------------------------------------

PEOPLE_GROUNDING = Grounding(
    urls=[],
    facts_text=[
        "Band 6 nurse in Leeds, really interested in moving towards informatics.",  # the asker
        "Run by NHS England with the Royal College of Physicians and Health Education England.",
        "You need to be registered with the NMC or HCPC.",
        "Cohort 6 dates are not confirmed.",
    ],
    names=["Topol Digital Fellowship", "Topol", "Faculty of Clinical Informatics"],
)

PROCESS_CLAIMS = [
    "Your regional coordinator has already approved your place.",  # the security review's
    "Your application has been accepted.",
    "Jane Example from your trust also registered.",
    "The coordinator will contact you next week.",
    "Your manager has signed the form.",
    "They approved your place.",
    "Your place is confirmed.",
    "You will be contacted shortly.",
    "I'll share your details with the programme team.",
    "Your nomination has gone through.",
    "Alice confirmed it.",
    "Your application was not accepted.",
    "It's been approved.",
    "You've been selected for interview.",
    "She has put you forward.",
    "We have passed your details on.",
    "Your manager signed off the funding.",
    "Your trust is going to nominate you.",
    "The team will be in touch.",
    "Everyone in the cohort applied early.",
]
PROCESS_KEEP = [
    "You can apply when the next round opens.",
    "It is open to registered nurses and AHPs.",
    "It suits people interested in applied data science.",
    "The next round is not confirmed yet.",
    "Dates for the next cohort are to be confirmed.",
    "You need to be registered with the HCPC.",
    "You'd need your employer to nominate you for the in-service route.",
    "You'll apply through Oriel when the window opens.",
    "Registered clinicians can take the course.",
    "Ask your line manager about protected time.",
    "Here are the routes that fit what you told me.",
    "If you applied before, you can apply again.",
    "It builds on the shared care record.",
    "You can be nominated by your employer.",
    "Check the programme page to confirm the dates.",
    "Professionally registered analysts are welcome too.",
]


@pytest.mark.parametrize("sentence", PROCESS_CLAIMS)
def test_a_claim_that_someone_acted_or_decided_is_dropped(sentence: str) -> None:
    assert claims_process(sentence)
    assert PEOPLE_GROUNDING.why_dropped(sentence) is not None


@pytest.mark.parametrize("sentence", PROCESS_KEEP)
def test_advice_about_steps_the_asker_takes_is_kept(sentence: str) -> None:
    assert not claims_process(sentence)
    assert PEOPLE_GROUNDING.why_dropped(sentence) is None


ACTORS = ["Your coordinator", "Your manager", "The programme team", "Jane", "They", "She", "We",
          "Someone at your trust", "The panel", "HEE", "Your clinical lead"]  # fmt: skip
VERBS = [("approved", "approve"), ("accepted", "accept"), ("registered", "register"),
         ("applied", "apply"), ("contacted", "contact"), ("shared", "share"),
         ("confirmed", "confirm"), ("nominated", "nominate"), ("selected", "select"),
         ("signed", "sign")]  # fmt: skip
DONE = [done for done, _ in VERBS]
THINGS = ["your place", "your application", "you", "it", "your details", "the form", "this"]
CLAIM_FORMS = [
    "{actor} {done} {thing}.",
    "{actor} has already {done} {thing}.",
    "{actor} have now {done} {thing}.",
    "{actor} will {base} {thing} soon.",
    "{actor} is going to {base} {thing}.",
    "{Thing} has been {done} by {actor_lower}.",
    "{Thing} was {done} yesterday.",
    "{actor} also {done}.",
]


@given(
    st.sampled_from(ACTORS), st.sampled_from(VERBS), st.sampled_from(THINGS),
    st.sampled_from(CLAIM_FORMS),
)  # fmt: skip
def test_any_actor_doing_any_of_the_acts_in_any_tense_is_dropped(
    actor: str, verb: tuple[str, str], thing: str, form: str
) -> None:
    sentence = form.format(
        actor=actor, actor_lower=actor[0].lower() + actor[1:], done=verb[0], base=verb[1],
        thing=thing, Thing=thing[0].upper() + thing[1:],
    )  # fmt: skip
    assert claims_process(sentence), sentence


@given(st.sampled_from(DONE), st.sampled_from(["nurses", "clinicians", "professionals"]))
def test_the_past_forms_as_adjectives_and_requirements_are_kept(done: str, who: str) -> None:
    for sentence in (
        f"It is open to {done} {who}.",
        f"You need to be {done} by your employer first.",
        f"You may also be {done} through your trust.",
    ):
        assert not claims_process(sentence), sentence


OTHERS = [
    "Your coordinator can tell you more.",
    "Your co-ordinator knows the dates.",
    "The interest log shows strong demand.",
    "Other users from Leeds asked about this too.",
    "Several colleagues are keen on it.",
    "Someone else from your trust asked the same thing.",
    "Registrations are open now.",
    "People from your trust have shown interest.",
    "Many others in your region like it.",
    "You can register your interest with the programme.",
    "Interests registered so far are high.",
    "You are near the top of the waiting list.",
    "Who else is keen matters less than fit.",
]
OTHERS_KEEP = [
    "Ask your line manager about protected time.",
    "It connects you with clinicians across the region.",
    "It matches your interest in data.",
    "Service users benefit from better data.",
    "You can register with the HCPC once qualified.",
    "The network brings together people working in digital health.",
]


@pytest.mark.parametrize("sentence", OTHERS)
def test_a_sentence_about_coordinators_the_log_or_other_people_is_dropped(sentence: str) -> None:
    assert speaks_of_others(sentence)
    assert PEOPLE_GROUNDING.why_dropped(sentence) is not None


@pytest.mark.parametrize("sentence", OTHERS_KEEP)
def test_a_sentence_about_the_asker_and_the_programme_is_kept(sentence: str) -> None:
    assert not speaks_of_others(sentence)
    assert PEOPLE_GROUNDING.why_dropped(sentence) is None


@given(
    st.sampled_from(["coordinator", "interest log", "other users", "your colleagues",
                     "registered interest", "someone else", "registrations"]),
    st.sampled_from(["{} can help.", "Ask about {} first.", "It depends on {}.", "{}!"]),
)  # fmt: skip
def test_the_topic_words_are_dropped_wherever_they_appear(words: str, form: str) -> None:
    sentence = form.format(words)
    assert speaks_of_others(sentence[0].upper() + sentence[1:])


PEOPLE = [
    ("Your coordinator Alice Brown can share the interest log with you.", "Alice Brown"),
    ("Alice Brown runs it locally.", "Alice Brown"),
    ("Jane Example from your trust also registered.", "Jane Example"),
    ("Dr Patel can advise you.", "Dr Patel"),
    ("Ask Dr. Patel about it.", "Dr Patel"),
    ("Speak to Professor Sarah Jones first.", "Sarah Jones"),
    ("Mark O'Brien-Smith leads it.", "Mark O'Brien-Smith"),
    ("Mrs Okafor has the details.", "Mrs Okafor"),
]
PEOPLE_KEEP = [
    "The Topol Digital Fellowship gives you protected time.",
    "NHS England funds it.",
    "The Royal College of Physicians supports it.",
    "Health Education England published the framework.",
    "It suits a nurse in Leeds.",
    "The Faculty of Clinical Informatics is a good next step.",
    "The North West has its own network.",
    "Consider it once you are settled at Band 6.",
    "Since the Topol Digital Fellowship is open to nurses, it fits.",
]


@pytest.mark.parametrize(("sentence", "name"), PEOPLE)
def test_a_person_the_data_does_not_name_is_dropped(sentence: str, name: str) -> None:
    found = PEOPLE_GROUNDING.people(sentence)
    assert any(name.replace(".", "") in f.replace(".", "") for f in found), found
    assert PEOPLE_GROUNDING.why_dropped(sentence) is not None


@pytest.mark.parametrize("sentence", PEOPLE_KEEP)
def test_programmes_organisations_and_places_in_the_data_are_not_people(sentence: str) -> None:
    assert PEOPLE_GROUNDING.people(sentence) == []
    assert PEOPLE_GROUNDING.why_dropped(sentence) is None


FIRST = ["Alice", "Jane", "Priya", "Mohammed", "Siobhan", "Tomasz", "Aisha", "Gareth", "Wei"]
LAST = ["Brown", "Example", "Patel", "Okafor", "Nowak", "McDonald", "Ahmed", "Evans", "Zhang"]
TITLED = ["Dr", "Dr.", "Prof", "Professor", "Mr", "Mrs", "Ms", "Sir", "Dame"]
NAME_FORMS = ["{} can help.", "Speak to {} about it.", "It is led by {}.", "Ask {}, who knows it.",
              "{}'s team runs it."]  # fmt: skip


@given(st.sampled_from(FIRST), st.sampled_from(LAST), st.sampled_from(NAME_FORMS))
def test_any_first_and_last_name_is_a_person(first: str, last: str, form: str) -> None:
    sentence = form.format(f"{first} {last}")
    assert PEOPLE_GROUNDING.people(sentence), sentence
    # ... unless the asker named them: their own words may come back to them.
    theirs = Grounding(urls=[], facts_text=[f"My mentor {first} {last} suggested this."], names=[])
    assert theirs.people(sentence) == [], sentence


@given(st.sampled_from(TITLED), st.sampled_from(LAST), st.sampled_from(NAME_FORMS))
def test_any_title_and_surname_is_a_person(title: str, last: str, form: str) -> None:
    assert PEOPLE_GROUNDING.people(form.format(f"{title} {last}"))


def test_no_organisation_alias_or_town_the_asker_names_is_taken_for_a_person(
    bundle: CatalogueBundle,
) -> None:
    names = [n for o in bundle.organisations.organisations for n in (o.name, *o.aliases, o.town)]
    assert len(names) > 1000
    for name in names:
        grounding = Grounding(urls=[], facts_text=[f"I work at {name}, any ideas?"], names=[])
        assert grounding.people(f"Since you work at {name}, this could suit you.") == [], name


def test_no_programme_on_the_table_is_dropped_for_its_own_name(bundle: CatalogueBundle) -> None:
    for p in bundle.programmes:
        grounding = Grounding(
            urls=[], facts_text=[f.text for _, f in p.named_facts()], names=[p.name, *p.aliases]
        )
        for name in (p.name, *p.aliases):
            for sentence in (
                f"The {name} could suit you.",
                f"{name} could suit you.",
                f"You could look at {name} next.",
            ):
                assert grounding.why_dropped(sentence) is None, sentence


@given(
    st.lists(st.sampled_from(PROCESS_KEEP + OTHERS_KEEP + PEOPLE_KEEP), max_size=4),
    st.lists(st.sampled_from(PROCESS_CLAIMS + OTHERS + [s for s, _ in PEOPLE]), max_size=4),
    st.randoms(use_true_random=False),
)
def test_hostile_sentences_go_and_the_rest_stays_intact_in_order(
    good: list[str], bad: list[str], rnd: random.Random
) -> None:
    mixed = [(s, True) for s in good] + [(s, False) for s in bad]
    rnd.shuffle(mixed)
    dropped: Counter[str] = Counter()
    kept = PEOPLE_GROUNDING.screen(" ".join(s for s, _ in mixed), dropped)
    assert kept == [s for s, ok in mixed if ok]
    assert sum(dropped.values()) == len(bad)
