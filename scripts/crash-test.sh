#!/usr/bin/env bash
# Crash safety: SIGKILL ragd at random moments during ingest and during answering, many times,
# and check after every kill that nothing is corrupt or half-visible:
#   - PRAGMA integrity_check is ok (documents database and audit log);
#   - every ingested document's chunks, full-text rows and vectors agree (no half document);
#   - the FTS5 index passes its own integrity check;
#   - the audit chain verifies (`ragd audit verify`);
# and at the end that one more ingest completes the work. Then `ragd reindex` is SIGKILLed while it
# moves the database to another embedding model, and `ragd serve` must answer from the whole old
# index, resume the migration where it stopped and switch to the new index. The daemon runs without the larger
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

# Embedding-model migration: SIGKILL `ragd reindex` (MiniLM → nomic-embed-text-v1.5) while it
# re-embeds. The active index must stay whole and keep answering; `ragd serve` then resumes the
# migration where it stopped (not from zero), answers throughout, and switches in one commit.
NOMIC="$CACHE/models/nomic-embed-text-v1.5.f16.gguf"
migration_check="skipped (no nomic-embed-text-v1.5 in $CACHE)"
if [ -f "$NOMIC" ]; then
  chunks=$(sqlite3 "$DB" "SELECT count(*) FROM chunk")
  "$RAGD" reindex --db "$DB" --config "$CONFIG" --embedding-model "$NOMIC" >"$WORK/reindex.log" 2>&1 &
  pid=$!
  done_before=0
  for _ in $(seq 1 1500); do
    done_before=$(sqlite3 "$DB" "SELECT coalesce(max(chunks_done), 0) FROM embedding_migration WHERE status = 'running'" 2>/dev/null || echo 0)
    [ "$done_before" -gt 0 ] && break
    sleep 0.2
  done
  kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  done_before=$(sqlite3 "$DB" "SELECT chunks_done FROM embedding_migration WHERE status = 'running'")
  [ "${done_before:-0}" -gt 0 ] || { echo "FAIL: the migration stored nothing before the kill" >&2; cat "$WORK/reindex.log" >&2; exit 1; }
  check "kill during the embedding-model migration"
  [ "$(sqlite3 "$DB" "SELECT value FROM store_meta WHERE key = 'embedding_model'")" = all-MiniLM-L6-v2.f16.gguf ] \
    || { echo "FAIL: the active index changed model before the switch" >&2; exit 1; }
  [ "$(sqlite3 "$DB" "SELECT count(*) FROM chunk_vector")" = "$chunks" ] \
    || { echo "FAIL: the active index lost vectors in the killed migration" >&2; exit 1; }
  echo "crash-test: kill during the embedding-model migration (after $done_before of $chunks chunks): active MiniLM index whole"
  # The daemon (configured with MiniLM, the active model) resumes the migration and answers meanwhile.
  "$RAGD" serve --db "$DB" --config "$CONFIG" --port "$PORT" >"$WORK/migrate-serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  ask() {
    curl -s -m 120 -o "$WORK/answer.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      -d '{"question":"What does the AUTOINCREMENT keyword do?"}' "http://127.0.0.1:$PORT/api/v1/ask"
  }
  answered_during=0
  while [ "$(sqlite3 "$DB" "SELECT count(*) FROM embedding_migration WHERE status = 'running'")" = 1 ]; do
    kill -0 "$pid" 2>/dev/null || { echo "FAIL: ragd serve exited during the migration" >&2; tail -20 "$WORK/migrate-serve.log" >&2; exit 1; }
    # A few questions spread over the migration (each answer takes the cores from it for seconds).
    if [ "$answered_during" -lt 6 ]; then
      code=$(ask)
      [ "$code" = 200 ] && grep -q '"sources"' "$WORK/answer.json" \
        || { echo "FAIL: a question during the migration got HTTP $code" >&2; cat "$WORK/answer.json" >&2; exit 1; }
      answered_during=$((answered_during + 1))
    fi
    sleep 5
  done
  [ "$answered_during" -gt 0 ] || { echo "FAIL: no question was asked while the migration ran" >&2; exit 1; }
  code=$(ask)
  [ "$code" = 200 ] && grep -q '"sources"' "$WORK/answer.json" \
    || { echo "FAIL: a question after the switch got HTTP $code" >&2; cat "$WORK/answer.json" >&2; exit 1; }
  kill "$pid"; wait "$pid" 2>/dev/null || true
  grep -q "done=$done_before " "$WORK/migrate-serve.log" \
    || { echo "FAIL: ragd serve did not resume the migration at $done_before chunks" >&2; grep reindex "$WORK/migrate-serve.log" >&2; exit 1; }
  [ "$(sqlite3 "$DB" "SELECT count(*) || ' ' || max(status) FROM embedding_migration")" = "1 switched" ] \
    || { echo "FAIL: the migration did not end switched" >&2; sqlite3 "$DB" "SELECT * FROM embedding_migration" >&2; exit 1; }
  [ "$(sqlite3 "$DB" "SELECT value FROM store_meta WHERE key = 'embedding_model'")" = nomic-embed-text-v1.5.f16.gguf ] \
    || { echo "FAIL: the active index is not nomic's after the switch" >&2; exit 1; }
  [ "$(sqlite3 "$DB" "SELECT count(*) || ' ' || min(length(embedding)) FROM chunk_vector")" = "$chunks 3072" ] \
    || { echo "FAIL: the new index is not whole (768-dimension vectors for all $chunks chunks)" >&2; exit 1; }
  check "the switch to nomic"
  migration_check="embedding-model migration killed after $done_before of $chunks chunks, resumed by ragd serve, $answered_during questions answered during it, switched"
  echo "crash-test: $migration_check"
fi

records=$(sqlite3 "${DB%.sqlite}-audit.sqlite" "SELECT count(*) FROM audit_record" 2>/dev/null || echo 0)
echo "crash-test: passed: $KILLS SIGKILLs ($ingest_kills during ingest, $answer_kills during answering); all $FILES documents ingested afterwards; audit chain of $records records verifies; $migration_check; $orphan_check"
