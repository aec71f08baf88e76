# Every target works on a fresh machine with Python 3.11+, git and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-fast bench clean

$(STAMP): pyproject.toml .ci/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c .ci/constraints.txt -e '.[all,test,bench,kedro]'
	touch $(STAMP)

setup: $(STAMP)

## demo: record a real run on the embedded default store (SQLite in the project), then list it
demo: setup
	$(PY) -m session_core run -- $(PY) -c "print('hello from a recorded run')"
	$(PY) -m session_core list --limit 5

## test: the whole test suite, one worker per core (at most 4: each starts its own PostgreSQL and S3 servers)
test: setup
	$(PY) -m pytest -n auto --maxprocesses 4

test-fast: setup
	$(PY) -m pytest -m 'not slow'

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) build *.egg-info .session_core
