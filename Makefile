# The book's vocabulary. `make help` lists the targets.
#
# Every target that needs Python creates .venv from requirements.txt first,
# and recreates it when requirements.txt changes, so a fresh machine needs
# only Python 3.11+ and make.

PYTHON      ?= python3
VENV        := .venv
BIN         := $(VENV)/bin
STAMP       := $(VENV)/.installed
SPHINXOPTS  ?= -n -W --keep-going
SPHINXBUILD := $(BIN)/sphinx-build -c . $(SPHINXOPTS)
PYTEST      := $(BIN)/python -m pytest
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help venv test html serve playground transcripts clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

venv: $(STAMP)  ## create .venv from requirements.txt (when missing or stale)

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed; set PYTHON=python3.x")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -r requirements.txt
	@touch $@

# Everything the tests read. `make test` always runs them and leaves a stamp;
# the builds run them again only when something changed since the stamp.
SOURCES := $(shell find book listings playground tests tools -type f \
             ! -path '*/__pycache__/*' 2>/dev/null) conf.py pyproject.toml requirements.txt
TESTED  := build/.tested

test: venv  ## run every test, doctest and chapter example
	$(PYTEST)
	@mkdir -p build && touch $(TESTED)

$(TESTED): $(SOURCES) | venv
	$(PYTEST)
	@mkdir -p build && touch $@

html: $(TESTED)  ## run the tests (if anything changed), then build the HTML book into build/html
	$(SPHINXBUILD) -b html -d build/doctrees book build/html

serve: venv  ## serve build/html on http://127.0.0.1:8000
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory build/html 8000

playground: venv  ## run the local geocoder (HTTP and HTTPS) until Ctrl-C
	$(BIN)/python -m playground

transcripts: venv  ## rerun every console session the book shows; rewrite book/transcripts/
	$(BIN)/python -m tools.transcripts

clean:  ## remove build output and the virtual environment
	rm -rf build $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
