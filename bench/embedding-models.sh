#!/usr/bin/env bash
# Dev-set retrieval and cost of the two embedding models on one database, measured by the
# product's own migration (issue 19): a copy of the dev-corpus database (MiniLM) is evaluated,
# moved to nomic-embed-text-v1.5 with `ragd reindex`, evaluated, moved back to MiniLM and
# evaluated again (which must give the first figures back). Chunk text and full text stay the
# same throughout, so only the vectors differ.
# Usage: bench/embedding-models.sh [database] [questions]
#   database: default data/eval.sqlite, the dev corpus, made by
#     ragd ingest --db data/eval.sqlite $RAGD_CACHE/corpus/sqlite3 $RAGD_CACHE/corpus/debian-faq.en.pdf
#   questions: default ../shared/eval/dev-questions.jsonl (for a smaller corpus, only the
#     questions whose source document it holds).
set -euo pipefail
CACHE="${RAGD_CACHE:-$HOME/.cache/ragd}"
SOURCE_DB="${1:-data/eval.sqlite}"
QUESTIONS="${2:-../shared/eval/dev-questions.jsonl}"
RAGD=.build/release/ragd
MINILM="$CACHE/models/all-MiniLM-L6-v2.f16.gguf"
NOMIC="$CACHE/models/nomic-embed-text-v1.5.f16.gguf"
[ -x "$RAGD" ] || { echo "build first: swift build -c release --product ragd" >&2; exit 2; }
[ -f "$NOMIC" ] || { echo "nomic-embed-text-v1.5 is missing: run make setup" >&2; exit 2; }
WORK=$(mktemp -d /tmp/ragd-embedding-models.XXXXXX)
DB="$WORK/dev.sqlite"
sqlite3 "$SOURCE_DB" ".backup '$DB'"
printf 'large_model: false\n' > "$WORK/minilm.yaml"
printf 'large_model: false\nmodels:\n  embedding: %s\n' "$NOMIC" > "$WORK/nomic.yaml"
echo "== machine"; lscpu | grep -E 'Model name|^CPU\(s\)|Flags' | sed -E 's/(Flags:).*/\1 '"$(grep -oE 'avx2|avx512[a-z_0-9]*|amx[a-z_0-9]*' /proc/cpuinfo | sort -u | tr '\n' ' ')"'/'
echo "== chunks: $(sqlite3 "$DB" 'SELECT count(*) FROM chunk'), tokens: $(sqlite3 "$DB" 'SELECT sum(token_count) FROM chunk')"
echo "== MiniLM (as ingested)"
"$RAGD" eval --db "$DB" --config "$WORK/minilm.yaml" "$QUESTIONS" --retrieval-only --methods bm25,vector,hybrid 2>/dev/null | sed -n 1,7p
echo "== reindex → nomic"
/usr/bin/time -f "reindex wall %e s, max RSS %M KB" "$RAGD" reindex --db "$DB" --config "$WORK/minilm.yaml" --embedding-model "$NOMIC" 2>&1 | tr '\r' '\n' | grep -vE '^reindex: [0-9]+ /' || true
echo "== nomic"
"$RAGD" eval --db "$DB" --config "$WORK/nomic.yaml" "$QUESTIONS" --retrieval-only --methods bm25,vector,hybrid 2>/dev/null | sed -n 1,7p
echo "== reindex → MiniLM"
/usr/bin/time -f "reindex wall %e s, max RSS %M KB" "$RAGD" reindex --db "$DB" --config "$WORK/nomic.yaml" --embedding-model "$MINILM" 2>&1 | tr '\r' '\n' | grep -vE '^reindex: [0-9]+ /' || true
echo "== MiniLM (after the round trip)"
"$RAGD" eval --db "$DB" --config "$WORK/minilm.yaml" "$QUESTIONS" --retrieval-only --methods bm25,vector,hybrid 2>/dev/null | sed -n 1,7p
rm -rf "$WORK"
