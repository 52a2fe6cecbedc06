#!/usr/bin/env bash
# Real documents for tests and benchmarks, pinned and verified; never committed.
# Called by scripts/setup.sh. Lands in $RAGD_CACHE/corpus.
set -euo pipefail
echo "==> corpus: (documents are added with the ingestion work)"
