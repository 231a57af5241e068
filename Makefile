# Two commands matter: `make run` (the portal with demo data on :8000) and
# `make test` (the whole suite). Everything else here is a helper.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
PIP_FLAGS := --quiet --disable-pip-version-check --no-input

.DEFAULT_GOAL := help
.PHONY: help run test install migrate seed check browser clean bench prod-check

help:
	@echo "make run    start the portal (web :8000, Celery worker and beat) with demo data"
	@echo "make test   run the whole test suite (unit, Celery worker, browser)"
	@echo "helpers:    make install | migrate | seed | check | browser | clean | bench"
	@echo "make prod-check   production smoke (DEBUG=0, PostgreSQL, Redis, gunicorn, Celery; needs both running)"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changed since the last install.
$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	@echo "Installing requirements-dev.txt into $(VENV) ..."
	$(PY) -m pip install $(PIP_FLAGS) -r requirements-dev.txt
	@touch $@

install: $(STAMP)

.env:
	cp .env.example .env

migrate: $(STAMP) .env
	$(PY) manage.py migrate --no-input
	$(PY) manage.py createcachetable

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@echo ""
	@echo "  Portal: http://127.0.0.1:8000/   (demo users: see README.md, password Demo-2026-portal)"
	@echo "  Stop with Ctrl-C."
	@echo ""
	$(VENV)/bin/honcho start -f Procfile.dev

# Debian's Chromium and CJK fonts for the browser tests: installed only when
# missing and only when we may (root); never a downloaded browser.
browser:
	@if [ -x /usr/bin/chromium ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1; then \
	  :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "Installing chromium and fonts-noto-cjk ..."; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null \
	    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null; }; \
	else \
	  echo "NOTE: /usr/bin/chromium or fonts-noto-cjk missing and not root: browser (e2e) tests will fail or skip."; \
	  echo "      Install them with: sudo apt-get install chromium fonts-noto-cjk"; \
	fi

# DATABASE_URL, CELERY_BROKER_URL and CELERY_RESULT_BACKEND pass through from
# the environment (CI sets PostgreSQL and Redis; unset = SQLite and the
# filesystem broker, and the real-worker test skips).
# pytest's own exit status is kept in var/.pytest-exit-code for .ci/run (make
# itself reports any failure as 2).
# The suite runs on one pytest-xdist worker per CPU (each with its own test database):
# about 6 minutes on 2 cores instead of 20 in one process. PYTEST_ARGS="-n 0" runs it serially.
PYTEST_ARGS ?= -n auto

test: $(STAMP) browser
	@mkdir -p var
	@echo "$(PY) -m pytest $(PYTEST_ARGS)"
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; echo $$rc > var/.pytest-exit-code; exit $$rc

check: $(STAMP)
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# Production smoke (README "Production"): the vendored files' references, then
# the release steps and the three services with DEBUG=0 on PostgreSQL
# (throwaway database portal_smoke) and Redis (databases 2 and 3), an HTTP pass
# over every app's main page and a Celery task. About a minute.
prod-check: $(STAMP)
	$(PY) deploy/check_vendored.py
	PY=$(abspath $(PY)) bash deploy/prod_smoke.sh

# Benchmarks (tests/perf/README.md): city-sized data on PostgreSQL, printed figures, not timed tests.
# Each benchmark drops and rebuilds the schema of its own database.
bench: $(STAMP)
	-createdb -h 127.0.0.1 -U postgres portal_bench_ratings 2>/dev/null
	-createdb -h 127.0.0.1 -U postgres portal_bench_payouts 2>/dev/null
	cd tests/perf && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_ratings ../../$(PY) bench_ratings.py
	cd tests/perf && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_payouts ../../$(PY) bench_payouts.py

clean:
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -rf .pytest_cache test-results var/broker var/staticfiles var/celerybeat-schedule*

# Backup and restore (README "Backup and restore"): the PostgreSQL database of DATABASE_URL
# (pg_dump, custom format) and MEDIA_ROOT, as BACKUP_DIR/portal-YYYYmmdd-HHMMSS/.
# `make restore BACKUP=<that directory>` restores into an EMPTY database (created when missing,
# refused when it holds any table) and an empty MEDIA_ROOT, then checks every table's row count.
BACKUP_DIR ?= var/backups
.PHONY: backup restore
backup: $(STAMP)
	$(PY) manage.py backup --dir "$(BACKUP_DIR)"

restore: $(STAMP)
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=$(BACKUP_DIR)/portal-YYYYmmdd-HHMMSS"; exit 2; }
	$(PY) manage.py restore "$(BACKUP)"

# City-scale page benchmarks (issue 10; tests/perf/README.md). bench-data drops and rebuilds portal_city;
# bench-load serves it with gunicorn (4 workers) on BENCH_PORT and runs Locust from its own virtualenv.
CITY_DB := postgres://postgres@127.0.0.1:5432/portal_city
BENCH_PORT ?= 8731
LOCUST ?= /tmp/locust/bin/locust
BENCH_ENV := DATABASE_URL=$(CITY_DB) DEBUG=0 HTTPS=0 STATIC_MANIFEST=0 ALLOWED_HOSTS=127.0.0.1 \
	SECRET_KEY=bench-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz
.PHONY: bench-data bench-pages bench-load

bench-data: $(STAMP)
	-createdb -h 127.0.0.1 -U postgres portal_city 2>/dev/null
	cd tests/perf && DATABASE_URL=$(CITY_DB) ../../$(PY) build_city.py

bench-pages: $(STAMP)
	cd tests/perf && $(BENCH_ENV) ../../$(PY) bench_pages.py

bench-load: $(STAMP)
	@test -x $(LOCUST) || { echo "Locust missing: python3 -m venv /tmp/locust && /tmp/locust/bin/pip install 'locust==2.47.*'"; exit 2; }
	@mkdir -p var
	cd tests/perf && $(BENCH_ENV) ../../$(PY) bench_sessions.py ../../var/bench-sessions.json
	$(BENCH_ENV) $(VENV)/bin/gunicorn config.wsgi --bind 127.0.0.1:$(BENCH_PORT) --workers 4 \
	  --pid var/bench-gunicorn.pid --daemon --error-logfile var/bench-gunicorn.log
	@sleep 3; test -s var/bench-gunicorn.pid && kill -0 $$(cat var/bench-gunicorn.pid) \
	  || { echo "gunicorn did not start (port $(BENCH_PORT) taken?): var/bench-gunicorn.log"; exit 2; }
	CITY_PERIOD=$$(psql -h 127.0.0.1 -U postgres portal_city -tAc "SELECT id FROM ratings_ratingperiod WHERE year = 2025 AND quarter = 1 ORDER BY district_id LIMIT 1") \
	CITY_BATCH=$$(psql -h 127.0.0.1 -U postgres portal_city -tAc "SELECT id FROM subsidies_payoutbatch ORDER BY district_id, month DESC LIMIT 1") \
	LOCUST_SESSIONS=var/bench-sessions.json $(LOCUST) -f tests/perf/locustfile.py --host http://127.0.0.1:$(BENCH_PORT) \
	  --headless -u 50 -r 10 -t 60s --csv var/locust-city --only-summary; rc=$$?; \
	  kill $$(cat var/bench-gunicorn.pid); exit $$rc

# The 12345 import benchmark (issue 11; tests/perf/bench_import.py): 100,000 rows on its own database.
.PHONY: bench-import
bench-import: $(STAMP)
	-createdb -h 127.0.0.1 -U postgres portal_bench_import 2>/dev/null
	cd tests/perf && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_import ../../$(PY) bench_import.py
