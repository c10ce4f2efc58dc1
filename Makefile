# SMN — the two commands a new user needs are `make serve` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install serve test test-fast docs migrate reload sandbox clean bench

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

## bench: SMN beside a bare Falcon app under the same gunicorn settings, with wrk; appends to docs/performance.md
bench: install
	$(PY) -m bench.run

## docs: regenerate docs/openapi.yaml from the code
docs: install
	$(PY) -m smn openapi --output docs/openapi.yaml
	$(PY) -m smn settings --markdown > docs/settings.md

## reload: redeploy the running `make serve` with zero failed requests (SIGHUP to the gunicorn master)
reload: install
	$(PY) -m smn reload

migrate: install
	$(PY) -m smn migrate

sandbox: install
	$(PY) -m smn sandbox-odoo

clean:
	rm -rf $(VENV) var .pytest_cache
