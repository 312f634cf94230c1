# Guichet — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install Guichet with its test tools

system-deps: ## Install Debian's chromium, postgresql, redis-server and sqlmap when missing (needs root or sudo)
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v sqlmap >/dev/null || missing="$$missing sqlmap"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

migrate: $(STAMP) ## Migrate the database to the latest schema
	$(BIN)/guichet db upgrade

demo: migrate ## Load the demo accounts and deploy the shipped démarches
	$(BIN)/guichet demo

run: demo ## Set up and serve Guichet on http://127.0.0.1:5000 with demo data (SQLite)
	$(BIN)/guichet run

test: $(STAMP) system-deps ## Set up and run the whole test suite (browser and PostgreSQL tests included)
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: $(STAMP) ## Run the tests without the browser, PostgreSQL, Redis and sqlmap ones
	$(BIN)/pytest -m "not browser and not postgres and not redis and not sqlmap" $(PYTEST_ARGS)

test-postgres: $(STAMP) system-deps ## The whole suite with the app on the real PostgreSQL started by the tests
	GUICHET_TEST_DATABASE=postgresql $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff, format check and the layering contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

fmt: $(STAMP) ## Format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

revision: $(STAMP) ## Autogenerate a migration: make revision m="add something"
	$(BIN)/guichet db revision -m "$(m)"

postal-data: $(STAMP) ## Rebuild forms/data/codes-postaux.json.gz from the Etalab npm packages (needs npm)
	tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent @etalab/decoupage-administratif@6.0.0 codes-postaux@4.1.2) \
	  && $(BIN)/python forms/data/build_postal_codes.py $$tmp/etalab-decoupage-administratif-6.0.0.tgz \
	  $$tmp/codes-postaux-4.1.2.tgz && rm -rf $$tmp

studio-assets: ## Rebuild the studio's BPMN editor into web/static/studio/ (needs node 20 and npm; `make run` does not)
	cd web/studio/frontend && npm ci --no-audit --no-fund && npm run build
	cd web/static/studio && sha256sum studio-editor.js studio-editor.css

captcha-voice: $(STAMP) ## Rebuild the audio captcha's French digits in web/accounts/voices/fr (needs the Debian package espeak-ng)
	$(BIN)/python -c "from web.accounts.captcha_voice import build; build()"

bench: $(STAMP) ## Run the benchmarks and print figures and ratios
	$(BIN)/python -m benchmarks

bench-activites: $(STAMP) system-deps ## The booking rush: FAMILIES=2500 families in 5 min on SQLite and PostgreSQL
	$(BIN)/python -m benchmarks activites --families $(or $(FAMILIES),2500)

LOAD_ARGS ?= --users 1,10,50 --duration 20
bench-load: $(STAMP) system-deps ## Load test with locust: guichet run / gunicorn 2 and 4 workers, SQLite and PostgreSQL
	test -x .venv-bench/bin/locust || ($(PYTHON) -m venv .venv-bench && .venv-bench/bin/pip install --quiet -r benchmarks/requirements-load.txt)
	$(BIN)/python -m benchmarks.load $(LOAD_ARGS)

.PHONY: help install system-deps migrate demo run test test-fast test-postgres lint fmt revision studio-assets captcha-voice bench bench-activites bench-load
