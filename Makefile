# Two commands do all set-up on a fresh clone:
#   make start   install into .venv, then run the station demo
#   make test    install into .venv, then lint (ruff), type-check (mypy) and run the whole test suite
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: start test bench

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[train,dev,cluster]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

start: $(STAMP)
	$(VENV)/bin/openinspect serve --demo

# CI (.ci/run) runs exactly this target, so every check belongs here.
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy src
	$(VENV)/bin/python -m pytest

bench: $(STAMP)
	$(VENV)/bin/python bench/classifier.py
