# SMN — the two commands a new user needs are `make serve` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install serve test test-fast docs migrate sandbox clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## serve: SMN under gunicorn; embedded PostgreSQL and the Odoo stand-in unless configured
serve: install
	$(PY) -m smn serve

## test: the whole suite (real PostgreSQL, stand-in over HTTP, headless Chromium)
test: install
	$(PY) -m pytest

## test-fast: everything but the browser tests
test-fast: install
	$(PY) -m pytest -m "not browser"

## docs: regenerate docs/openapi.yaml from the code
docs: install
	$(PY) -m smn openapi --output docs/openapi.yaml

migrate: install
	$(PY) -m smn migrate

sandbox: install
	$(PY) -m smn sandbox-odoo

clean:
	rm -rf $(VENV) var .pytest_cache
