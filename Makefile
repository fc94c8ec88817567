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
# Bytecode is kept, in build/pycache (never beside the sources, so the
# listings' folders stay as readers get them): without it every test worker
# compiles the project's modules and rewrites every test module's asserts
# again on each run, and every child process recompiles what it imports.
export PYTHONPYCACHEPREFIX := $(CURDIR)/build/pycache
export PYTHONDONTWRITEBYTECODE :=

.DEFAULT_GOAL := help
.PHONY: help venv test test-pythons html serve live bench playground transcripts figures clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

venv: $(STAMP)  ## create .venv from requirements.txt (when missing or stale)

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed; set PYTHON=python3.x")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -r requirements.txt
	@touch $@

# The tests run in parallel: TEST_JOBS workers (the suite mostly waits, on
# servers, processes and the browser, so more workers than cores pays). Tests
# that share one network playground stay on one worker (--dist loadgroup;
# tests/conftest.py groups them). `make test CHAPTER=2` runs one chapter's
# tests alone; `make test COVERAGE=1` measures coverage in the same run and
# then holds each of lines and branches to the floor (tools/coverage_floor.py,
# the one judge of it: pytest-cov's own pooled fail-under is switched off).
TEST_JOBS ?= 4
# A browser check of a page that passed keeps its verdict in build/verdicts/,
# valid while the page, every file it loads, the test and Chromium are byte
# for byte the same (tests/support/verdicts.py); `make test FRESH=1` runs
# every check again. (A clean checkout, CI's, starts with none.)
ifdef FRESH
export BOOK_FRESH := 1
endif
PYTEST_RUN = $(PYTEST) -n $(TEST_JOBS) --dist loadgroup \
  $(if $(COVERAGE),--cov --cov-report=term-missing:skip-covered --cov-fail-under=0)
FLOOR      = $(if $(COVERAGE),$(BIN)/python -m tools.coverage_floor $(FLOOR_OPTIONS))

# What `make html` runs first: only the tests a change can affect. Each
# chapter in the book (chapters.toml) has a stamp, made by its own tests and
# the tests that read every chapter (the site, the editions, the includes);
# everything else has one stamp for the rest of the suite.
BOOK_CHAPTERS := $(shell $(PYTHON) -m tools.chapters 2>/dev/null | awk '$$3 != "planned" {print $$2}')
BOOK_WIDE     := tests/site tests/editions tests/tools/test_booklint.py \
                 tests/tools/test_chapters.py tests/tools/test_figures.py
chapter_files  = $(wildcard book/$(1).md book/sessions/$(1).toml) \
                 $(shell find listings/$(1) book/transcripts/$(1) tests/$(1) -type f \
                   ! -path '*/__pycache__/*' 2>/dev/null)
CHAPTER_FILES := $(foreach c,$(BOOK_CHAPTERS),$(call chapter_files,$(c)))
SOURCES := $(filter-out $(CHAPTER_FILES),$(shell find book listings playground tests tools \
             -type f ! -path '*/__pycache__/*' 2>/dev/null)) conf.py pyproject.toml \
             requirements.txt chapters.toml
TESTED  := build/.tested
STAMPS  := $(TESTED) $(foreach c,$(BOOK_CHAPTERS),build/.tested-$(c))
# SKIP_TESTS=1: build without running the tests first (CI runs them once, on
# its own; Read the Docs leaves them to CI).
BUILD_AFTER := $(if $(SKIP_TESTS),,$(STAMPS))

test: venv  ## run every test, doctest and chapter example (CHAPTER=N: one chapter's; COVERAGE=1: with coverage; FRESH=1: no kept verdicts)
ifdef CHAPTER
	paths="$$($(BIN)/python -m tools.chapters tests $(CHAPTER))" && $(PYTEST_RUN) $$paths
else
	$(PYTEST_RUN)
	$(FLOOR)
	@mkdir -p build && touch $(STAMPS)
endif

test-pythons: venv  ## run every test under each other Python 3.11+ found (pyenv, python3.N), each in .venv-pythons/X.Y
	$(BIN)/python -m tools.pythons $(if $(REQUIRE_PYTHONS),--require $(REQUIRE_PYTHONS)) \
	  -- -n $(TEST_JOBS) --dist loadgroup

# Anything but one chapter's own files changed: the whole suite (a change to
# the machinery can affect every chapter), and every stamp is fresh.
$(TESTED): $(SOURCES) | venv
	$(PYTEST_RUN)
	@mkdir -p build && touch $(STAMPS)

# One chapter's files changed: its tests and the book-wide ones. (Skipped when
# the whole suite has just run and left the stamp newer than those files.)
.SECONDEXPANSION:
build/.tested-%: $$(call chapter_files,$$*) | venv $(TESTED)
	@if [ -e $@ ] && [ -z "$$(find $(call chapter_files,$*) -newer $@ 2>/dev/null)" ]; then \
	  echo "$@: the whole suite has just run"; exit 0; fi; \
	paths="$$($(BIN)/python -m tools.chapters tests $*)" && \
	echo "$(PYTEST_RUN) $$paths $(BOOK_WIDE)" && $(PYTEST_RUN) $$paths $(BOOK_WIDE)
	@mkdir -p build && touch $@

html: $(BUILD_AFTER) | venv  ## run the tests that a change since the last run can affect, then build the HTML book into build/html
	$(SPHINXBUILD) -b html -d build/doctrees book build/html

serve: venv  ## serve build/html on http://127.0.0.1:8000
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory build/html 8000

live: venv  ## for authors: serve build/html on http://127.0.0.1:8000, rebuild and reload on every save
	$(BIN)/sphinx-autobuild -c . -n --keep-going -d build/doctrees --host 127.0.0.1 --port 8000 \
	  --watch conf.py --watch listings --re-ignore '__pycache__|\.pyc$$' book build/html

bench: venv  ## measure build and test times, page weight, load times, Lighthouse: build/bench/report.md (BENCH_OPTIONS: python -m tools.bench -h)
	$(BIN)/python -m tools.bench $(BENCH_OPTIONS)

playground: venv  ## run the local geocoder (HTTP and HTTPS) until Ctrl-C
	$(BIN)/python -m playground

transcripts: venv  ## rerun every console session (book/sessions/); rewrite book/transcripts/
	$(BIN)/python -m tools.sessions

figures: venv  ## redraw book/figures: playground.dot from the topology, every NAME.dot into NAME.svg and NAME.pdf (needs dot)
	$(BIN)/python -m playground.net dot > book/figures/playground.dot.tmp
	mv book/figures/playground.dot.tmp book/figures/playground.dot
	$(BIN)/python -m tools.figures

clean:  ## remove build output and the virtual environment
	rm -rf build $(VENV) .venv-pythons .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov

# -- Print and e-book editions (README: "Print and e-book editions") -----------
# `make pdf` and `make epub` need the Debian packages below (`make system-deps`).
# PAPER picks the PDF's page: trim (7in x 9.25in, the default), a4 or letter.
# An HTML build after them links both from every page (book/_ext/site_editions.py).
BOOK      := python-on-the-wire
PAPER     ?= trim
PDF_NAME  := $(BOOK)$(if $(filter trim,$(PAPER)),,-$(PAPER)).pdf
LATEXDIR  := build/latex/$(PAPER)
EPUBCHECK := java -jar /usr/share/java/epubcheck.jar

.PHONY: pdf epub check-editions cover system-deps

pdf: $(BUILD_AFTER) | venv  ## run the tests (if anything changed), then build build/pdf/python-on-the-wire.pdf (PAPER=trim|a4|letter)
	BOOK_PAPER=$(PAPER) $(SPHINXBUILD) -b latex -d build/doctrees-latex book $(LATEXDIR)
	$(MAKE) -C $(LATEXDIR) all-pdf LATEXMKOPTS=-silent \
	  LATEXOPTS='-interaction=nonstopmode -halt-on-error -file-line-error'
	@mkdir -p build/pdf
	cp $(LATEXDIR)/$(BOOK).pdf build/pdf/$(PDF_NAME)
	@printf 'build/pdf/%s: %s pages, %s overfull boxes, %s missing characters\n' $(PDF_NAME) \
	  "$$(pdfinfo build/pdf/$(PDF_NAME) | sed -n 's/^Pages: *//p')" \
	  "$$(grep -c '^Overfull' $(LATEXDIR)/$(BOOK).log)" \
	  "$$(grep -c '^Missing character' $(LATEXDIR)/$(BOOK).log)"

epub: $(BUILD_AFTER) | venv  ## run the tests (if anything changed), then build build/epub/python-on-the-wire.epub and run epubcheck on it
	@# From an empty directory: Sphinx would pack stale pages left from an
	@# earlier build, and list a kept cover page twice (epubcheck RSC-005).
	rm -rf build/epub
	$(SPHINXBUILD) -b epub -d build/doctrees-epub book build/epub
	$(EPUBCHECK) --failonwarnings build/epub/$(BOOK).epub

check-editions: venv  ## test the built PDF and EPUB (after `make pdf epub`); absent or stale books fail
	BOOK_EDITIONS_REQUIRED=1 $(PYTEST) tests/editions

cover: ## redraw the EPUB cover, book/_epub/cover.png, from book/_latex/cover.tex
	@mkdir -p build/cover
	cd build/cover && xelatex -interaction=nonstopmode -halt-on-error ../../book/_latex/cover.tex >/dev/null
	pdftoppm -png -singlefile -scale-to-x 1600 -scale-to-y 2400 build/cover/cover.pdf book/_epub/cover

# Debian packages the project needs outside .venv, by what needs them; add
# new ones to the right group. `make system-deps` installs them all.
DEB_PDF      := latexmk texlive-latex-recommended texlive-latex-extra \
                texlive-fonts-recommended texlive-xetex xindy graphviz poppler-utils \
                fonts-texgyre fonts-dejavu-core fonts-droid-fallback
DEB_EPUB     := epubcheck default-jre-headless
DEB_BROWSER  := chromium
DEB_NET      := iproute2 netbase nftables iputils-tracepath tcpdump curl ethtool mscgen librsvg2-bin iputils-ping nmap dnsutils openssh-client openssh-server postfix dovecot-imapd dovecot-pop3d vsftpd inetutils-inetd inetutils-telnetd python3-httpbin gunicorn
DEB_PACKAGES := $(DEB_PDF) $(DEB_EPUB) $(DEB_BROWSER) $(DEB_NET)

system-deps:  ## install the Debian packages for the PDF, EPUB, browser and network tests (as root)
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "make system-deps installs Debian packages, which needs root. Run:"; \
	  echo "  sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends $(DEB_PACKAGES)'"; \
	  exit 1; fi
	apt-get update
	@# The daemons of the network playground (sshd, Postfix, Dovecot, vsftpd,
	@# inetd) must not start in the host's own namespace when installed: where
	@# no policy-rc.d forbids it already, one does for the install, then goes.
	@if [ -e /usr/sbin/policy-rc.d ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEB_PACKAGES); \
	else \
	  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEB_PACKAGES); \
	  status=$$?; rm -f /usr/sbin/policy-rc.d; exit $$status; \
	fi

# The network playground: twelve hosts in Linux network namespaces (needs root:
# `sudo make playground-up`). See playground/net/ and `python -m playground.net -h`.
.PHONY: playground-up playground-down playground-status

playground-up: venv  ## build the twelve-host network playground and start its services (root)
	$(BIN)/python -m playground.net up

playground-down: venv  ## remove every namespace, link, rule and process the network playground made (root)
	$(BIN)/python -m playground.net down

playground-status: venv  ## show the network playground's hosts, addresses and services (root)
	$(BIN)/python -m playground.net status

# -- Checks (CONTRIBUTING.md: "The checks a change must pass") -----------------
# `make check` is what CI runs. Settings live in pyproject.toml: [tool.ruff],
# [tool.mypy], [tool.coverage]. The type check runs once for the Python here
# (3.11) and once for each newer one as typeshed describes it, so a call to
# something a newer Python removed (ssl.wrap_socket, asyncore, ...) fails.
FUTURE_PYTHONS := 3.12 3.13 3.14 3.15

.PHONY: lint format typecheck coverage check

lint: venv  ## ruff: lint every Python file and check its formatting (listings as the book prints them)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv  ## ruff: sort the imports and format every Python file in place
	$(BIN)/ruff check --select I --fix .
	$(BIN)/ruff format .

typecheck: venv  ## mypy --strict over listings/, playground/, tools/, for Python 3.11 and 3.12-3.15
	$(BIN)/mypy
	@for version in $(FUTURE_PYTHONS); do \
	  echo "$(BIN)/mypy --python-version $$version"; \
	  $(BIN)/mypy --python-version $$version || exit 1; \
	done

coverage: venv  ## run every test, measuring listings/ and playground/; fails below 95% of lines and branches
	@# pytest-cov's floor pools lines and branches; the floor tool holds each to it.
	$(MAKE) --no-print-directory test COVERAGE=1

check: lint typecheck coverage  ## everything CI checks: lint, format, types, tests with coverage, strict HTML build
	@# The tests just ran, so `make html` goes straight to the build.
	$(MAKE) --no-print-directory html
