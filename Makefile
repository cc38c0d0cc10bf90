# selly_allegro — the two commands of the README, plus a few helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint messages check-deploy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

## make run — the panel with the demo shop and the offline Allegro emulator (Ctrl-C stops everything)
run: export DJANGO_DEBUG ?= 1
run: $(VENV)/.runtime-installed
	mkdir -p var
	$(BIN)/python manage.py migrate --no-input -v 0
	@if [ ! -f var/.demo-seeded ]; then $(BIN)/python manage.py seed_demo && touch var/.demo-seeded; fi
	@echo
	@echo "  Panel:     http://127.0.0.1:8000/admin/   (login: admin / password: admin)"
	@echo "  Allegro:   offline emulator at http://127.0.0.1:8001/"
	@echo "  Stop with Ctrl-C."
	@echo
	$(BIN)/honcho -f Procfile start

## make test — the whole suite (unit, integration against the emulator, browser)
test: $(VENV)/.dev-installed
	$(BIN)/pytest $(PYTEST_ARGS)

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
