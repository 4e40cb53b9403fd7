"""The package as an operator installs it: the built wheel in an empty venv, run from an empty
folder with no settings, answers from the catalogue and prompts it carries as package data."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UV = ROOT / ".tools" / "bin" / "uv"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not UV.exists():
        pytest.skip("packaging test skipped: uv is not installed (make installs it in .tools/)")
    work = tmp_path_factory.mktemp("wheel")
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    subprocess.run([UV, "build", "--wheel", "--out-dir", work / "dist", ROOT], check=True,
                   capture_output=True, env=env)  # fmt: skip
    [wheel] = (work / "dist").glob("*.whl")
    venv = work / "venv"
    subprocess.run([UV, "venv", "--python", "python3", venv], check=True, capture_output=True, env=env)
    # As the container image does: the runtime pins from uv.lock (hashes checked), then the
    # wheel alone (from the package registry, or uv's cache when `make` has filled it).
    pins = work / "requirements.txt"
    subprocess.run([UV, "export", "--frozen", "--no-dev", "--no-emit-project", "--extra", "postgres",
                    "--format", "requirements-txt", "--project", ROOT, "-o", pins],
                   check=True, capture_output=True, env=env)  # fmt: skip
    python = venv / "bin" / "python"
    for args in (["-r", pins, "--require-hashes"], ["--no-deps", wheel]):
        subprocess.run([UV, "pip", "install", "--python", python, *args],
                       check=True, capture_output=True, env=env)  # fmt: skip
    return venv


def test_the_installed_wheel_answers_from_an_empty_folder_with_no_settings(
    installed: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PATHFINDER_", "DATABASE_URL", "OPENAI_"))}
    result = subprocess.run(
        [installed / "bin" / "pathfinder", "ask", "--json", "Band 6 nurse in Leeds: how do I get into informatics?"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout)
    assert answer["suggestions"] and answer["profile"]["region"] == "North East and Yorkshire"
    assert (tmp_path / "pathfinder.db").exists()  # the working directory, not site-packages
    site = next((installed / "lib").glob("python*/site-packages"))
    assert not list(site.rglob("*.db"))
    assert (site / "bot" / "data" / "knowledge" / "programmes").is_dir()
    assert (site / "bot" / "data" / "prompts" / "answer.yaml").is_file()


def test_the_wheel_carries_every_catalogue_and_prompt_file(installed: Path) -> None:
    site = next((installed / "lib").glob("python*/site-packages"))
    for folder in ("knowledge", "prompts"):
        shipped = {p.relative_to(site / "bot" / "data" / folder) for p in (site / "bot" / "data" / folder).rglob("*") if p.is_file()}
        source = {p.relative_to(ROOT / folder) for p in (ROOT / folder).rglob("*") if p.is_file()}
        assert source <= shipped, sorted(map(str, source - shipped))
