# CoinDaily Realtime — the two commands that matter: `make run` and `make test`.
#
#   make deps           system packages (apt, only what is missing) + the Python venv for the interop tests
#   make build          release build of every executable
#   make run            Redis + auth + sentiment producer + gateway(s); GATEWAYS=3 puts HAProxy on :8080
#   make test           deps, Swift tests, then the Python interop tests against the real binaries
#   make test-swift     only the Swift suites (builds debug with tests)
#   make test-interop   only the interop tests (builds the debug executables first)
#   make bench          scripts/bench.sh (runs coindaily-bench)
#   make compose-check  validate docker-compose.yml
#   make clean          remove build products and run/ state (keeps .venv); `make distclean` removes .venv too

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

SWIFT       ?= swift
PYTHON      ?= python3
VENV        ?= .venv
# Build configuration for `make test` (Swift tests and the binaries the interop tests run). Debug builds
# once for both and is much faster to compile than release.
TEST_CONFIG ?= debug
SWIFT_BUILD_FLAGS ?=
SWIFT_TEST_FLAGS  ?=
PYTEST_ARGS ?= -ra
# Where the interop tests find the executables (SwiftPM's .build/<config> symlink).
COINDAILY_BIN_DIR ?= $(CURDIR)/.build/$(TEST_CONFIG)
GATEWAYS    ?= 1

export PYTHON

.PHONY: help deps system-deps venv build run test test-swift test-interop build-test bench compose-check clean distclean

help:
	@sed -n '3,12p' $(firstword $(MAKEFILE_LIST)) | sed 's/^# \{0,1\}//'

## ---- dependencies --------------------------------------------------------------------------------

deps: system-deps venv

system-deps:
	@bash scripts/install-deps.sh

venv: $(VENV)/.installed

# Recreated when tests/requirements.txt changes.
$(VENV)/.installed: tests/requirements.txt | system-deps
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	@touch $@

## ---- build ---------------------------------------------------------------------------------------

build: system-deps
	$(SWIFT) build -c release $(SWIFT_BUILD_FLAGS)

# One build of everything (libraries, executables, test bundles) in $(TEST_CONFIG).
build-test: system-deps
	$(SWIFT) build -c $(TEST_CONFIG) --build-tests $(SWIFT_BUILD_FLAGS)

## ---- run -----------------------------------------------------------------------------------------

run:
	GATEWAYS=$(GATEWAYS) bash scripts/run.sh

bench:
	bash scripts/bench.sh

## ---- tests ---------------------------------------------------------------------------------------

# Both suites always run; the target fails if either failed.
test: deps build-test
	@status=0; \
	$(MAKE) --no-print-directory test-swift-nobuild || status=1; \
	$(MAKE) --no-print-directory test-interop-nobuild || status=1; \
	if [[ $$status -ne 0 ]]; then echo "make test: FAILED (see above)" >&2; fi; \
	exit $$status

test-swift: system-deps build-test test-swift-nobuild

test-interop: deps build-test test-interop-nobuild

.PHONY: test-swift-nobuild test-interop-nobuild
test-swift-nobuild:
	$(SWIFT) test -c $(TEST_CONFIG) --skip-build $(SWIFT_TEST_FLAGS)

test-interop-nobuild:
	COINDAILY_BIN_DIR="$(COINDAILY_BIN_DIR)" $(VENV)/bin/python -m pytest tests/interop $(PYTEST_ARGS)

## ---- packaging -----------------------------------------------------------------------------------

compose-check:
	@bash scripts/install-deps.sh --compose
	docker-compose config -q
	@echo "docker-compose.yml is valid"

## ---- cleaning ------------------------------------------------------------------------------------

clean:
	-$(SWIFT) package clean
	rm -rf run .pytest_cache tests/interop/.pytest_cache
	find tests -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf .build $(VENV)
