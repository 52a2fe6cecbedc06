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

.PHONY: help setup build run test bench bench-peer clean-cache

help:
	@echo "make run    set up, build, ingest the sample corpus and start the daemon (http://127.0.0.1:8080/,"
	@echo "           with the larger model's llama-server on 127.0.0.1:8081)"
	@echo "make test   set up and run the test suite"
	@echo "make bench  set up and run the benchmarks (release build)"
	@echo "make bench-peer  ragd's first ingest beside the Python peer's, same files (PEER_ARGS=\"--pdfs 3\")"
	@echo "make setup  only install dependencies, models and test documents (idempotent)"

setup:
	@scripts/setup.sh

build: setup
	swift build -c release --product ragd

# The sample corpus (corpus/sample.txt), copied by setup into one folder per source.
SAMPLE_SOURCES := $(RAGD_CACHE)/sample/sqlite-docs $(RAGD_CACHE)/sample/debian-faq

# Ingest the sample corpus (seconds when unchanged), then start the daemon; it prints its
# address and, on the first start, a one-time link to create the admin account. The daemon
# launches the larger model itself (llama-server with Qwen2.5-Coder 1.5B on 127.0.0.1:8081,
# log in data/llama-server.log) and says so in its ready banner; RAGD_CONFIG with
# `large_model: false` runs without it.
run: build
	@mkdir -p $(dir $(RAGD_DB))
	-.build/release/ragd ingest --db $(RAGD_DB) $(SAMPLE_SOURCES)
	.build/release/ragd serve --db $(RAGD_DB) $(if $(RAGD_CONFIG),--config $(RAGD_CONFIG))

test: setup
	swift build --build-tests
	swift test --skip-build $(SWIFT_TEST_FLAGS)
	scripts/crash-test.sh 20 .build/debug/ragd

bench: setup
	swift build -c release --product ragd
	swift build -c release --product ragd-bench
	.build/release/ragd-bench

# ragd's first ingest beside the Python peer's (../shared/peer/peer_ingest.py) on the same files in
# the same run, about ten minutes on two cores; PEER_ARGS takes bench/peer-ingest.sh's flags.
PEER_ARGS ?=
bench-peer: setup
	swift build -c release --product ragd
	bench/peer-ingest.sh $(PEER_ARGS)

clean-cache:
	@echo "This removes $(RAGD_CACHE) (llama.cpp build, models, documents). Ctrl-C to keep it."; sleep 5
	rm -rf "$(RAGD_CACHE)"
