# The two commands of the README: `make demo` and `make test`. Everything they need is
# installed from here: Python packages into .venv (from pyproject.toml), Debian packages
# (PostgreSQL server binaries, FFmpeg development files for vPDQ, Chromium for the browser
# tests) through apt-get when missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VIDEO_STAMP := $(VENV)/.video

# `make demo` builds the demo operation, adds a demo sign-in and serves it (Ctrl-C stops);
# `make demo-data` does all but serving. Both install video hashing first (the demo has videos).
DEMO_WORKSPACE ?= amparo-workspace
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 8000
DEMO_USER := demo
DEMO_PASSWORD := amparo-demo-only
AMPARO := $(BIN)/amparo --workspace $(DEMO_WORKSPACE)

.PHONY: demo demo-data test lint bench system-packages clean

demo: demo-data
	@echo
	@echo "Open http://$(DEMO_HOST):$(DEMO_PORT) and sign in as $(DEMO_USER) / $(DEMO_PASSWORD)" \
		"(a supervisor; Ctrl-C stops the server)."
	@echo
	$(AMPARO) serve --host $(DEMO_HOST) --port $(DEMO_PORT)

# The demo sign-in is added once; a re-run keeps the one already there.
demo-data: $(STAMP) $(VIDEO_STAMP)
	$(AMPARO) demo
	$(AMPARO) process
	@out=$$(printf '%s\n' '$(DEMO_PASSWORD)' | \
		$(AMPARO) users add $(DEMO_USER) --role supervisor --password-stdin 2>&1) && echo "$$out" || \
		case "$$out" in \
			*"already a user"*) echo "The demo sign-in (user $(DEMO_USER)) is already there." ;; \
			*) echo "$$out" >&2; exit 1 ;; \
		esac

# Chromium for the browser tests is checked on every run (the stamps may predate it).
test: $(STAMP) $(VIDEO_STAMP)
	@scripts/install-system-packages.sh
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# vPDQ builds from source against Debian's FFmpeg development files (only those are installed
# here; `make test` adds its own packages); without it videos are kept as unprocessable and
# its tests skip.
$(VIDEO_STAMP): $(STAMP)
	@scripts/install-system-packages.sh video
	$(BIN)/python -m pip install --quiet -e '.[test,video]' || \
		echo "vPDQ could not be built here: video hashing is off, its tests will be skipped." >&2
	touch $(VIDEO_STAMP)

system-packages:
	@scripts/install-system-packages.sh

clean:
	rm -rf $(VENV) amparo-workspace .pytest_cache
