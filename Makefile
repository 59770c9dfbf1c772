# The two commands of the README: `make demo` runs the product with demo data on the embedded
# default (SQLite); `make test` runs ruff and the whole suite on SQLite and on PostgreSQL.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/comptoir
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= 2

.PHONY: demo test install install-test browser imap services lint test-sqlite test-postgres messages clean

$(BIN)/comptoir: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

install: $(BIN)/comptoir

$(VENV)/.test-deps: $(BIN)/comptoir
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

install-test: $(VENV)/.test-deps

demo: install
	$(BIN)/comptoir migrate --no-input -v 0
	$(BIN)/comptoir demo
	$(BIN)/comptoir run --host $(HOST) --port $(PORT)

# Debian's chromium for the browser tests (Playwright never downloads a browser here), and
# CJK and emoji fonts so the screenshots show Japanese text and reactions, not boxes.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list :lang=ja 2>/dev/null | grep -q . \
	    || ! fc-list 2>/dev/null | grep -qi "color emoji"; then \
	  echo "Installing Debian's chromium, CJK and emoji fonts for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null; fi

# Debian's Dovecot for the IMAP tests, which start private instances of it on free ports;
# the system-wide service the package may start at install is stopped (no test uses it).
imap:
	@if [ ! -x /usr/sbin/dovecot ]; then \
	  echo "Installing Debian's dovecot-imapd for the IMAP tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    dovecot-imapd >/dev/null && { service dovecot stop >/dev/null 2>&1 || true; }; fi

services:
	@if [ -x ../shared/scripts/services-up ]; then ../shared/scripts/services-up; fi

lint: install-test
	$(BIN)/ruff check src tests bench

test-sqlite: install-test browser imap
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q

test-postgres: install-test browser imap services
	COMPTOIR_DATABASE_URL=$(PG_URL) $(BIN)/pytest -n $(PYTEST_WORKERS) -q

test: lint test-sqlite test-postgres

# Extract the UI strings into the .po files, then compile them (the .mo files are committed).
messages: install
	cd src/comptoir && COMPTOIR_VAR_DIR=../../var ../../$(BIN)/comptoir makemessages -l fr -l de -l es -l ja --no-obsolete \
	  --ignore 'static/vendor/*' && COMPTOIR_VAR_DIR=../../var ../../$(BIN)/comptoir compilemessages

clean:
	rm -rf $(VENV) var
