# ragd — the two commands are `make run` and `make test`; both run `make setup` first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

RAGD_CACHE ?= $(HOME)/.cache/ragd
export RAGD_CACHE
LLAMA_VERSION := $(shell sed -n 's/^LLAMA_CPP_PYTHON_VERSION=//p' scripts/pins.sh)
# SwiftPM finds llama.cpp (CLlama) through pkg-config.
export PKG_CONFIG_PATH := $(RAGD_CACHE)/llama/$(LLAMA_VERSION)/lib/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH))

RAGD_DB ?= data/ragd.sqlite
SWIFT_TEST_FLAGS ?=

.PHONY: help setup build run test bench clean-cache

help:
	@echo "make run    set up, build and start ragd on the embedded default (SQLite file, in-process models)"
	@echo "make test   set up and run the test suite"
	@echo "make bench  set up and run the benchmarks (release build)"
	@echo "make setup  only install dependencies, models and test documents (idempotent)"

setup:
	@scripts/setup.sh

build: setup
	swift build -c release --product ragd

SAMPLE_CORPUS := $(shell sed -e '/^\#/d' -e '/^$$/d' -e 's|^|$(RAGD_CACHE)/corpus/|' corpus/sample.txt)

run: build
	@mkdir -p $(dir $(RAGD_DB))
	-.build/release/ragd ingest --db $(RAGD_DB) $(SAMPLE_CORPUS)
	.build/release/ragd ask --db $(RAGD_DB)

test: setup
	swift build --build-tests
	swift test --skip-build $(SWIFT_TEST_FLAGS)

bench: setup
	swift build -c release --product ragd-bench
	.build/release/ragd-bench

clean-cache:
	@echo "This removes $(RAGD_CACHE) (llama.cpp build, models, documents). Ctrl-C to keep it."; sleep 5
	rm -rf "$(RAGD_CACHE)"
