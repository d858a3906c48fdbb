# The single entry point for humans and CI. `make run` and `make test` set themselves up.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
UI_STAMP := ui/node_modules/.installed
PYTEST_ARGS ?=

.PHONY: run test test-unit test-py test-infra test-ui test-e2e lint fmt bench load chaos synth \
        ui-client ui-build ui-screenshots rehearse deploy clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

$(UI_STAMP): ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	@touch $@

ui/dist/index.html: $(UI_STAMP) $(shell find ui/src ui/index.html -type f 2>/dev/null)
	cd ui && npm run build

ui-build: ui/dist/index.html

## ui-screenshots: refresh docs/screenshots/*.png from the browser tests
ui-screenshots: $(STAMP) ui-build
	DTQ_UPDATE_SCREENSHOTS=1 $(PY) -m pytest tests/e2e -q

## run: start the local stack (embedded Valkey, API on :8000 serving the UI, one worker)
run: $(STAMP) ui-build
	$(PY) -m runtime.dev

## test: every test (lint, unit, integration, infra, UI unit + browser)
test: $(STAMP) $(UI_STAMP) lint test-py test-ui

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit -q $(PYTEST_ARGS)

# the browser tests drive Chromium through Playwright's sync API, which keeps an event loop of
# its own: they run in a pytest process apart from the asyncio tests
test-py: $(STAMP) ui-build
	$(PY) -m pytest tests -q --ignore=tests/e2e $(PYTEST_ARGS)
	$(PY) -m pytest tests/e2e -q $(PYTEST_ARGS)

test-infra: $(STAMP)
	$(PY) -m pytest tests/infra -q $(PYTEST_ARGS)

test-e2e: $(STAMP) ui-build
	$(PY) -m pytest tests/e2e -q $(PYTEST_ARGS)

test-ui: $(UI_STAMP)
	cd ui && npm test

lint: $(STAMP)
	$(PY) -m ruff check runtime infra tests app.py
	$(PY) -m ruff format --check runtime infra tests app.py
	$(PY) -m mypy

fmt: $(STAMP)
	$(PY) -m ruff format runtime infra tests app.py
	$(PY) -m ruff check --fix runtime infra tests app.py

## synth: CloudFormation templates for every environment, offline, into cdk.out/
synth: $(STAMP)
	$(PY) -m infra.synth

## ui-client: regenerate ui/src/api/schema.gen.ts from the API's OpenAPI document
ui-client: $(STAMP) $(UI_STAMP)
	$(PY) -m runtime.api.openapi > ui/openapi.json
	cd ui && npm run gen:api

bench: $(STAMP)
	$(PY) -m bench.run

load: $(STAMP)
	$(PY) -m pip install -q -r requirements-bench.txt
	$(PY) -m bench.load

chaos: $(STAMP)
	$(PY) -m tests.chaos

## deploy: cdk deploy one environment; a changed image is rolled out by CodeDeploy as part of
## the deploy (ENV=dev|staging|prod). `python -m infra.release` releases any other image.
deploy: $(STAMP)
	npx --yes aws-cdk@2 deploy -c env=$(ENV) --all

rehearse: $(STAMP)
	$(PY) -m rehearsal

clean:
	rm -rf $(VENV) ui/node_modules ui/dist cdk.out .pytest_cache .mypy_cache .ruff_cache
