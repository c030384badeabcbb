# Tongban — two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed

# Compiled translations: each .mo is built from its .po (the .mo is not committed).
MO := $(patsubst %.po,%.mo,$(wildcard tracker/translations/*/LC_MESSAGES/messages.po))
BABEL_KEYWORDS := -k _l -k lazy_gettext -k N_

# Security scans (SECURITY.md test 20, docs/security.md): bandit on our code at medium severity
# and confidence and above; pip-audit --strict on the pinned requirements, where an audit that
# could not reach its vulnerability database says NOT RUN (and fails under CI=true).
LINT_PATHS := tracker tests bench deploy .ci config.py wsgi.py
BANDIT := $(BIN)/bandit -c pyproject.toml -q --severity-level medium --confidence-level medium \
    -r tracker config.py wsgi.py
PIP_AUDIT := $(BIN)/python .ci/pip_audit.py requirements.txt requirements-dev.txt

.PHONY: help install run test lint security db demo bench wrk clean messages

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

$(MO): %.mo: %.po | $(STAMP)
	$(BIN)/pybabel compile -d tracker/translations

install: $(STAMP) $(MO)  ## create .venv, install the pinned requirements, compile translations

messages: install  ## re-extract interface strings and merge them into every .po (docs/i18n.md)
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --ignore-dirs '.* __pycache__' \
	    --sort-output --project Tongban --copyright-holder 'Tongban contributors' \
	    -o tracker/translations/messages.pot .
	$(BIN)/pybabel update -i tracker/translations/messages.pot -d tracker/translations \
	    --no-fuzzy-matching --ignore-obsolete

db: install  ## migrate the database, load the catalogue and (if empty) the demo data
	$(FLASK) db upgrade
	$(FLASK) tracker load-catalogue
	$(FLASK) tracker seed-demo --if-empty
	$(FLASK) tracker notice-keys create

PORT ?= 5000

run: db  ## install, migrate, load demo data, serve on 127.0.0.1:$(PORT) with the job worker
	@$(FLASK) tracker demo-logins
	@$(FLASK) tracker serve --host 127.0.0.1 --port $(PORT)

test: install  ## everything the project checks: lint, types, security scans, all tests
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy
	$(BANDIT) && echo "bandit: no medium or high finding"
	$(PIP_AUDIT)
	$(BIN)/python -m pytest

lint: install  ## ruff and mypy only
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy

security: install  ## bandit and pip-audit only (docs/security.md)
	$(BANDIT) && echo "bandit: no medium or high finding"
	$(PIP_AUDIT)

bench: install wrk  ## benchmark at BENCH_CASES (default 1000000) and a tenth of it; see docs/performance.md
	$(BIN)/python bench/run.py --growth

wrk:  ## install the load generator from Debian's packages when it is missing (needs root)
	@command -v wrk >/dev/null 2>&1 || { \
	  if ! command -v apt-get >/dev/null 2>&1; then \
	    echo "wrk is not installed and this system has no apt-get: install wrk with its package manager" >&2; exit 1; \
	  elif [ "$$(id -u)" != 0 ]; then \
	    echo "wrk is not installed and installing it needs root: sudo apt-get install -y wrk" >&2; exit 1; \
	  fi; \
	  echo "== installing wrk (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null \
	    || { echo "apt-get could not install wrk (see above): no network or no such package?" >&2; exit 1; }; }
	@wrk --version 2>&1 | head -1 || true

clean:  ## remove the virtualenv and caches (keeps instance/)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
