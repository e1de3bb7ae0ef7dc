# The two commands of the README: `make demo` and `make test`. Everything they need is
# installed from here: Python packages into .venv (from pyproject.toml), Debian packages
# (PostgreSQL server binaries, FFmpeg development files for vPDQ) through apt-get when missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VIDEO_STAMP := $(VENV)/.video

.PHONY: demo test lint bench system-packages clean

demo: $(STAMP)
	$(BIN)/amparo --workspace amparo-workspace demo

test: $(STAMP) $(VIDEO_STAMP)
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

# vPDQ builds from source; without it videos are kept as unprocessable and its tests skip.
$(VIDEO_STAMP): $(STAMP)
	@scripts/install-system-packages.sh
	$(BIN)/python -m pip install --quiet -e '.[test,video]' || \
		echo "vPDQ could not be built here: video hashing is off, its tests will be skipped." >&2
	touch $(VIDEO_STAMP)

system-packages:
	@scripts/install-system-packages.sh

clean:
	rm -rf $(VENV) amparo-workspace .pytest_cache
