# Qingcheng: `make run` sets everything up and serves the app; `make test` runs lint and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# A month of simulated cases for the demo (first run only; later runs reuse them).
SIM_DAYS ?= 30
SIM_PER_DAY ?= 40
# Test processes (pytest-xdist); 0 runs everything in one process.
TEST_WORKERS ?= 2

.PHONY: install setup run test lint format messages clean-db

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

setup: install
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py load_demo_city
	$(BIN)/python manage.py simulate_city --days $(SIM_DAYS) --per-day $(SIM_PER_DAY)
	$(BIN)/python manage.py open311_seed
	$(BIN)/python manage.py load_demo_sensors
	$(BIN)/python manage.py load_demo_emergency
	$(BIN)/python manage.py load_demo_enforcement

run: setup
	@$(BIN)/python manage.py demo_logins
	@echo "Serving on http://$(HOST):$(PORT)/ (admin at /admin/, API docs at /api/docs); Ctrl-C stops."
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/python manage.py run_jobs & \
	  $(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python manage.py makemigrations --check --dry-run -v 0
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install
	cd qingcheng && ../$(BIN)/python ../manage.py makemessages -l zh_Hans -l en --no-obsolete -i "static/*" && ../$(BIN)/python ../manage.py compilemessages

clean-db:
	rm -f var/qingcheng.sqlite3 var/qingcheng.sqlite3-wal var/qingcheng.sqlite3-shm
