# selly_allegro — the two commands of the README, plus a few helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run status reload test fast typecheck lint messages check-deploy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

# What supervisord.conf is filled in with (bench/soak.py sets its own).
export SELLY_BIN := $(abspath $(BIN))
export SELLY_VAR_DIR ?= $(abspath var)
export SELLY_WEB_PORT ?= 8000
export SELLY_EMULATOR_PORT ?= 8001
export SELLY_EMULATOR_URL ?= http://127.0.0.1:$(SELLY_EMULATOR_PORT)
export SELLY_PUBLIC_URL ?= http://127.0.0.1:$(SELLY_WEB_PORT)

## make run — the panel with the demo shop and the offline Allegro emulator (Ctrl-C stops everything)
## supervisord starts web, worker, beat and the emulator, and starts again any of them that exits.
run: export DJANGO_DEBUG ?= 1
run: $(VENV)/.runtime-installed
	mkdir -p $(SELLY_VAR_DIR)
	$(BIN)/python manage.py migrate --no-input -v 0
	@if [ ! -f $(SELLY_VAR_DIR)/.demo-seeded ]; then $(BIN)/python manage.py seed_demo && touch $(SELLY_VAR_DIR)/.demo-seeded; fi
	@echo
	@echo "  Panel:     http://127.0.0.1:$(SELLY_WEB_PORT)/admin/   (login: admin / password: admin)"
	@echo "  Allegro:   offline emulator at http://127.0.0.1:$(SELLY_EMULATOR_PORT)/"
	@echo "  A process that stops is started again; make status lists them. Stop everything with Ctrl-C."
	@echo
	$(BIN)/supervisord -c supervisord.conf

## make status — the processes of a running `make run`: state, pid, uptime
status: $(VENV)/.runtime-installed
	$(BIN)/supervisorctl -c supervisord.conf status

## make reload — after a code change: restart web, worker and beat of a running `make run`
reload: $(VENV)/.runtime-installed
	$(BIN)/supervisorctl -c supervisord.conf restart web worker beat

## make test — the whole suite (unit, integration against the emulator, browser)
test: $(VENV)/.dev-installed
	$(BIN)/pytest $(PYTEST_ARGS)

## make fast — the quick loop: everything but the slow and browser tests, on every core (pytest-xdist)
fast: $(VENV)/.dev-installed
	$(BIN)/pytest -n auto -m "not slow and not browser" -p no:cacheprovider -q $(PYTEST_ARGS)

## make typecheck — mypy with django-stubs over the integration room and the services (pyproject.toml [tool.mypy])
typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

## make lint — ruff (style) and lint-imports (the import arrows of docs/architecture.md)
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

## make messages — refresh and compile the Polish translations (needs gettext)
messages: $(VENV)/.dev-installed
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages -l pl --no-location --ignore=.venv --ignore=var --ignore=allegro_emulator
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages -l pl --ignore=.venv

clean:
	rm -rf $(VENV) var
