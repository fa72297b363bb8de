# Two commands do all the set-up on a fresh clone:
#   make run   - builds .venv if needed, then opens the TUI on the bundled CPU demo preset
#   make test  - builds .venv if needed, then runs the linters (make lint) and the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint setup clean-venv

setup: $(STAMP)

# CPU torch goes in first: a bare `torch` requirement would pull several GB of CUDA wheels.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tunedeck presets/tiny-cpu-demo.yaml

# ruff and mypy read their settings from pyproject.toml (mypy checks engine/).
lint: $(STAMP)
	$(BIN)/ruff check engine tui tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup

clean-venv:
	rm -rf $(VENV)
