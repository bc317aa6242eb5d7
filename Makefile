# hftsim: every target creates and uses .venv itself; only Python 3.11+ and make are needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CSRC   := $(sort $(wildcard src/hftsim/*/*.[ch] src/hftsim/*/*/*.[ch]))
# the install is redone when the project's metadata or any compiled source or header changes
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml setup.py $(CSRC) | cksum | cut -d' ' -f1)

.PHONY: install demo test test-fast bench lint clean

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit("hftsim needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)  ## create .venv and install hftsim with its test tools

demo: $(STAMP)  ## run the main job on embedded defaults
	$(BIN)/hftsim demo

test: $(STAMP) lint  ## install everything and run the whole test suite (slow tests included)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)  ## the tests not marked slow
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP)  ## ruff: style, and the ban on wall-clock time and global RNG in the core
	$(BIN)/ruff check src tests

bench: $(STAMP)  ## the benchmark suites at full size (each appends a row under results/)
	$(BIN)/hftsim bench engine
	$(BIN)/hftsim bench hawkes
	$(BIN)/hftsim bench journal

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache .hypothesis
	find src -name '*.so' -delete
