# Two commands set everything up on a fresh Linux machine with Python 3.11 and pip:
#   make run    create .venv if missing, install, run the bot (demo mode without keys)
#   make test   create .venv if missing, install with test extras, run the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
ARGS ?=

.PHONY: run test lint venv clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) setup.cfg pyproject.toml
	$(PY) -m pip install --quiet -e .
	touch $(STAMP)

$(TEST_STAMP): $(PY) setup.cfg pyproject.toml
	$(PY) -m pip install --quiet -e '.[test,metrics]'
	touch $(STAMP) $(TEST_STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) run.py $(ARGS)

test: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(ARGS)

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
