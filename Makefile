# Two commands on a fresh machine: `make run` (the platform with demo data) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000
# The worker (honcho gives it PORT+100) builds e-mail links to the web server: SITE_URL follows this.
export WEB_PORT := $(PORT)

.PHONY: install run test lint format bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The demo runs in debug mode (development SECRET_KEY, demo accounts); DEBUG is off unless set.
run: export DEBUG ?= 1
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py bootstrap --demo
	# The `logins` process prints the address and the demo logins once web and worker are up (last).
	PORT=$(PORT) $(VENV)/bin/honcho start

test: install
	$(VENV)/bin/ruff check .
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	DEBUG=1 $(VENV)/bin/mypy
	$(VENV)/bin/pytest

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The page benchmark of issue 14 (bench/pages.py): needs PostgreSQL in DATABASE_URL and wrk (Debian package
# `wrk`: apt-get install wrk). Fills 1,000,000 messages first; BENCH_ARGS="--skip-fill" reuses them.
bench:
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	@test -n "$(DATABASE_URL)" || { echo "make bench needs DATABASE_URL=postgres://…"; exit 1; }
	$(PY) bench/pages.py $(BENCH_ARGS)

clean:
	rm -rf var test-artifacts
