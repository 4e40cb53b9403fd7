"""Loading the catalogue: bad files name the file and field; good loads are idempotent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.catalogue.loader import CatalogueError, load_catalogue, read_catalogue
from bot.catalogue.snapshot import read_snapshot
from bot.catalogue.tables import CatalogueMeta, Network, Place, Programme
from bot.db import make_engine, migrate

from .conftest import KNOWLEDGE


@pytest.fixture()
def knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target


def problems_for(directory: Path) -> list[str]:
    with pytest.raises(CatalogueError) as info:
        read_catalogue(directory)
    return [str(p) for p in info.value.problems]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new, 1))


def test_real_catalogue_has_every_entry_with_a_status_sources_and_dates() -> None:
    bundle = read_catalogue(KNOWLEDGE)
    assert len(bundle.programmes) >= 28
    for p in bundle.programmes:
        assert p.status.as_of <= p.last_reviewed and p.status.sources
    assert len(bundle.networks.networks) == 8
    assert [n.region for n in bundle.networks.networks if n.verified] == ["North West"]
    for p in bundle.programmes:
        assert p.last_reviewed < p.review_due
        for _, fact in p.named_facts():
            assert fact.sources


def test_facts_the_reference_marks_uncertain_are_uncertain_in_the_data() -> None:
    bundle = read_catalogue(KNOWLEDGE)
    by_id = {p.id: p for p in bundle.programmes}
    # What the November 2026 review left unverified stays uncertain, and never reads as running.
    for pid in ("hip", "imagine_talent", "clinical_data_science_pgcert", "industry_roundtable", "topol", "chime"):
        assert by_id[pid].status.uncertain and not by_id[pid].status.active, pid
    # What it settled is settled: the FCI closed; AHCS's own fees; FPT continues, managed locally.
    assert by_id["fci"].status.state == "closed" and not by_id["fci"].status.uncertain
    assert by_id["fci"].succeeded_by == ["bcs"]
    fee = [f for f in by_id["ahcs_equivalence"].facts if f.topic == "cost"]
    assert fee and "£380" in fee[0].text and not fee[0].uncertain
    assert by_id["fpt"].status.state == "running"


def test_missing_field_names_file_and_field(knowledge: Path) -> None:
    edit(knowledge / "programmes" / "fpt.yaml", "duration:\n", "length:\n")
    problems = problems_for(knowledge)
    assert any("programmes/fpt.yaml: duration: Field required" in p for p in problems)
    assert any("programmes/fpt.yaml: length: Extra inputs are not permitted" in p for p in problems)


def test_wrong_value_names_the_nested_field(knowledge: Path) -> None:
    edit(knowledge / "programmes" / "topol.yaml", "min: 6", "min: twelve")
    problems = problems_for(knowledge)
    assert any("programmes/topol.yaml: eligibility.2.band.min" in p for p in problems)


def test_unknown_profession_is_rejected(knowledge: Path) -> None:
    edit(
        knowledge / "programmes" / "hsst.yaml",
        "allowed: [clinical_scientist, biomedical_scientist]",
        "allowed: [astronaut]",
    )
    assert any(
        "hsst.yaml: eligibility.0.allowed" in p and "astronaut" in p for p in problems_for(knowledge)
    )


def test_unknown_local_office_and_a_misplaced_office_town_are_rejected(knowledge: Path) -> None:
    edit(knowledge / "programmes" / "fpt.yaml", "  - office: Kent, Surrey and Sussex\n", "  - office: Narnia\n")
    edit(knowledge / "places" / "gazetteer.yaml", "places: [Berkshire, ", "places: [Leeds, Berkshire, ")
    problems = problems_for(knowledge)
    assert any("fpt.yaml: eligibility." in p and "exclusions.0.office" in p and "Narnia" in p for p in problems)
    assert any("gazetteer.yaml: local_offices.Thames Valley.places" in p and "'Leeds'" in p for p in problems)


def test_uncertain_fact_without_a_note_is_rejected(knowledge: Path) -> None:
    edit(
        knowledge / "programmes" / "stp.yaml",
        "  note: A proposal in the seed report; not known to exist.\n",
        "",
    )
    assert any("stp.yaml: facts" in p and "note" in p for p in problems_for(knowledge))


def test_invalid_yaml_reports_the_line(knowledge: Path) -> None:
    (knowledge / "programmes" / "bcs.yaml").write_text("id: bcs\nname: [unclosed\n")
    problems = problems_for(knowledge)
    assert any("bcs.yaml: line" in p and "invalid YAML" in p for p in problems)


def test_a_refusal_pattern_naming_an_unknown_signal_or_a_missing_signal_is_rejected(knowledge: Path) -> None:
    refusals = knowledge / "vocabulary" / "refusals.yaml"
    edit(refusals, "(?=.*\\b(?:{truth_gap}))", "(?=.*\\b(?:{truth_gaps}))")
    edit(refusals, "  career_ask: [", "  career_asks: [")
    problems = problems_for(knowledge)
    assert any("refusals.yaml" in p and "claim_with_truth_gap" in p and "{truth_gaps}" in p for p in problems)
    assert any("refusals.yaml" in p and "the screen needs career_ask" in p for p in problems)


def test_a_function_word_that_is_also_english_is_rejected_in_another_language(knowledge: Path) -> None:
    edit(knowledge / "vocabulary" / "refusals.yaml", "  welsh: [ydw,", "  welsh: [the, ydw,")
    assert any("refusals.yaml" in p and "welsh: 'the' is also an English word" in p for p in problems_for(knowledge))


def test_id_must_match_the_file_name(knowledge: Path) -> None:
    edit(knowledge / "programmes" / "chime.yaml", "id: chime", "id: chime_uk")
    assert any("chime.yaml: id" in p for p in problems_for(knowledge))


def test_an_alias_cannot_belong_to_two_programmes(knowledge: Path) -> None:
    edit(knowledge / "programmes" / "bcs.yaml", "aliases: [BCS,", "aliases: [FEDIP, BCS,")
    assert any("aliases" in p and "FEDIP" in p for p in problems_for(knowledge))


def test_a_place_under_two_regions_must_be_marked_ambiguous(knowledge: Path) -> None:
    edit(knowledge / "places" / "gazetteer.yaml", "cities: [Bristol,", "cities: [Leeds, Bristol,")
    assert any("gazetteer.yaml: Leeds" in p for p in problems_for(knowledge))


def test_source_must_be_a_url_or_seed(knowledge: Path) -> None:
    edit(
        knowledge / "programmes" / "ncf.yaml",
        "sources: [seed]",
        "sources: [my notes]",
    )
    assert any("ncf.yaml" in p and "URL or 'seed'" in p for p in problems_for(knowledge))


def test_every_problem_is_reported_not_just_the_first(knowledge: Path) -> None:
    edit(knowledge / "programmes" / "fpt.yaml", "kind: flexible_training", "kind: nonsense")
    edit(knowledge / "networks.yaml", "region: London", "region: Atlantis")
    problems = problems_for(knowledge)
    assert any("fpt.yaml: kind" in p for p in problems)
    assert any("networks.yaml: networks.1.region" in p for p in problems)


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_a_bad_file_loads_nothing(knowledge: Path, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    with Session(engine) as session:
        load_catalogue(read_catalogue(KNOWLEDGE), session=session, use_geonames=False)
    before = (count(engine, Programme), count(engine, Place))
    edit(
        knowledge / "programmes" / "fpt.yaml",
        "name: Flexible Portfolio Training (FPT)",
        "name: Changed",
    )
    edit(knowledge / "programmes" / "topol.yaml", "min: 6", "min: -1")
    with pytest.raises(CatalogueError):
        read_catalogue(knowledge)
    with Session(engine) as session:
        assert session.get(Programme, "fpt").name == "Flexible Portfolio Training (FPT)"  # type: ignore[union-attr]
    assert (count(engine, Programme), count(engine, Place)) == before


def load_twice_and_remove(engine: Engine, knowledge: Path) -> None:
    migrate(engine)
    with Session(engine) as session:
        first = load_catalogue(read_catalogue(knowledge), session=session, use_geonames=False)
    with Session(engine) as session:
        second = load_catalogue(read_catalogue(knowledge), session=session, use_geonames=False)
    assert first.changed and not second.changed
    total = len(read_catalogue(knowledge).programmes)
    assert count(engine, Programme) == total
    assert count(engine, Network) == 8
    places = count(engine, Place)

    (knowledge / "programmes" / "imagine_talent.yaml").unlink()
    edit(
        knowledge / "programmes" / "fpt.yaml",
        "name: Flexible Portfolio Training (FPT)",
        "name: Flexible Portfolio Training",
    )
    with Session(engine) as session:
        third = load_catalogue(read_catalogue(knowledge), session=session, use_geonames=False)
    assert third.changed and third.removed == 1
    assert count(engine, Programme) == total - 1
    assert count(engine, Place) == places
    with Session(engine) as session:
        snapshot = read_snapshot(session)
        assert snapshot.by_id["fpt"].name == "Flexible Portfolio Training"
        assert "imagine_talent" not in snapshot.by_id
        meta = session.get(CatalogueMeta, "version")
        assert meta is not None and meta.value == third.version


def test_loading_is_idempotent_and_removes_deleted_entries_on_sqlite(
    knowledge: Path, tmp_path: Path
) -> None:
    load_twice_and_remove(make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"), knowledge)


def test_loading_is_idempotent_and_removes_deleted_entries_on_postgres(
    knowledge: Path, empty_postgres: Engine
) -> None:
    load_twice_and_remove(empty_postgres, knowledge)
