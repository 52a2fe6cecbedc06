#!/usr/bin/env bash
# Crash safety: SIGKILL ragd at random moments during ingest and during answering, many times,
# and check after every kill that nothing is corrupt or half-visible:
#   - PRAGMA integrity_check is ok (documents database and audit log);
#   - every ingested document's chunks, full-text rows and vectors agree (no half document);
#   - the FTS5 index passes its own integrity check;
#   - the audit chain verifies (`ragd audit verify`);
# and at the end that one more ingest completes the work. The daemon runs without the larger
# model (large_model: false: no llama-server launch per kill); one last kill of a daemon that
# launched llama-server checks that its child does not outlive it (pdeathsig).
# Usage: scripts/crash-test.sh [KILLS] [ragd binary]   (default 20 kills, .build/debug/ragd)
set -euo pipefail
KILLS="${1:-20}"
RAGD="${2:-.build/debug/ragd}"
CACHE="${RAGD_CACHE:-$HOME/.cache/ragd}"
VEC="$CACHE/lib/vec0.so"
[ -x "$RAGD" ] || { echo "crash-test: $RAGD not built (run swift build first)" >&2; exit 2; }
WORK=$(mktemp -d /tmp/ragd-crash.XXXXXX)
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
DB="$WORK/ragd.sqlite"
DOCS="$WORK/docs"
mkdir -p "$DOCS"
cp "$CACHE"/sample/sqlite-docs/*.html "$DOCS/"
cp "$CACHE"/sample/debian-faq/*.pdf "$DOCS/"
FILES=$(ls "$DOCS" | wc -l)
PORT=$((20000 + RANDOM % 20000))
# The small model only: launching the larger one would cost seconds on each of the kills.
CONFIG="$WORK/ragd.yaml"
printf 'large_model: false\n' > "$CONFIG"

# A user and a token for the questions.
printf 'crash test password\n' | "$RAGD" user add crash --db "$DB" --password-stdin >/dev/null
TOKEN=$("$RAGD" user token crash --db "$DB" | tail -1)

check() {
  local what="$1"
  [ "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok ] || { echo "FAIL after $what: integrity_check" >&2; exit 1; }
  local audit="${DB%.sqlite}-audit.sqlite"
  if [ -f "$audit" ]; then
    [ "$(sqlite3 "$audit" 'PRAGMA integrity_check')" = ok ] || { echo "FAIL after $what: audit integrity" >&2; exit 1; }
    "$RAGD" audit verify --db "$DB" >/dev/null || { echo "FAIL after $what: audit chain" >&2; "$RAGD" audit verify --db "$DB" >&2; exit 1; }
  fi
  # Every ingested document is whole: its row's chunk count = chunk rows = vectors (sqlite-vec's
  # table and the quantized copy).
  local bad
  bad=$(sqlite3 -cmd ".load $VEC" "$DB" "
    SELECT count(*) FROM document d WHERE d.status IN ('ingested','ingested_ocr') AND (
      d.chunk_count != (SELECT count(*) FROM chunk c WHERE c.document_id = d.id) OR
      d.chunk_count != (SELECT count(*) FROM chunk_vec v WHERE v.document_id = d.id) OR
      d.chunk_count != (SELECT count(*) FROM chunk_vector q WHERE q.document_id = d.id));")
  [ "$bad" = 0 ] || { echo "FAIL after $what: $bad half-visible documents" >&2; exit 1; }
  local orphans
  orphans=$(sqlite3 -cmd ".load $VEC" "$DB" "SELECT (SELECT count(*) FROM chunk_vec WHERE chunk_id NOT IN (SELECT id FROM chunk))
    + (SELECT count(*) FROM chunk_vector WHERE chunk_id NOT IN (SELECT id FROM chunk));")
  [ "$orphans" = 0 ] || { echo "FAIL after $what: $orphans orphan vectors" >&2; exit 1; }
  sqlite3 "$DB" "INSERT INTO chunk_fts(chunk_fts) VALUES('integrity-check');" \
    || { echo "FAIL after $what: FTS5 integrity-check" >&2; exit 1; }
}

ingest_kills=0; answer_kills=0
for i in $(seq 1 "$KILLS"); do
  delay=$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.5 + (r % 450) / 100 }')
  if [ $((i % 2)) -eq 1 ]; then
    force=""; [ $((i % 4)) -eq 1 ] && force="--force"
    "$RAGD" ingest --db "$DB" $force "$DOCS" >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"; kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    ingest_kills=$((ingest_kills + 1)); what="kill $i (ingest, after ${delay}s)"
  else
    "$RAGD" serve --db "$DB" --config "$CONFIG" --port "$PORT" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
    for q in "How many columns can a table have?" "What is the Debian FAQ about?"; do
      curl -s -m 60 -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d "{\"question\":\"$q\"}" "http://127.0.0.1:$PORT/api/v1/ask" >/dev/null 2>&1 &
    done
    sleep "$delay"; kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    answer_kills=$((answer_kills + 1)); what="kill $i (answering, after ${delay}s)"
  fi
  check "$what"
  echo "crash-test: $what: database, index and audit chain intact"
done

# The next ingest completes the work.
"$RAGD" ingest --db "$DB" "$DOCS" >/dev/null 2>&1
check "the final ingest"
ingested=$(sqlite3 "$DB" "SELECT count(*) FROM document WHERE status IN ('ingested','ingested_ocr')")
[ "$ingested" = "$FILES" ] || { echo "FAIL: $ingested of $FILES documents ingested after recovery" >&2; exit 1; }
# A daemon that launched llama-server, SIGKILLed while llama-server generates: the child must go
# with it (setpriv --pdeathsig), not linger as an orphan holding the port and 2 GB.
SERVER="$CACHE/llama/0.3.36/bin/llama-server"
LARGE="$CACHE/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
orphan_check="skipped (no llama-server or 1.5B model in $CACHE)"
if [ -x "$SERVER" ] && [ -f "$LARGE" ]; then
  LPORT=$((40000 + RANDOM % 20000))
  printf 'large_model:\n  launch:\n    port: %s\n' "$LPORT" > "$WORK/launch.yaml"
  "$RAGD" serve --db "$DB" --config "$WORK/launch.yaml" --port "$PORT" >"$WORK/launch.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  child=$(pgrep -f -- "--port $LPORT " || true)
  [ -n "$child" ] || { echo "FAIL: ragd serve did not launch llama-server on port $LPORT" >&2; cat "$WORK/launch.log" >&2; exit 1; }
  curl -s -m 30 "http://127.0.0.1:$LPORT/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"messages":[{"role":"user","content":"Write a long story."}],"max_tokens":200}' >/dev/null 2>&1 &
  sleep 1; kill -9 "$pid"; wait "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$child" 2>/dev/null; then
    kill -9 "$child"; echo "FAIL: llama-server $child outlived the SIGKILLed ragd serve" >&2; exit 1
  fi
  orphan_check="llama-server $child ended with the SIGKILLed daemon"
  echo "crash-test: $orphan_check"
fi

records=$(sqlite3 "${DB%.sqlite}-audit.sqlite" "SELECT count(*) FROM audit_record" 2>/dev/null || echo 0)
echo "crash-test: passed: $KILLS SIGKILLs ($ingest_kills during ingest, $answer_kills during answering); all $FILES documents ingested afterwards; audit chain of $records records verifies; $orphan_check"
