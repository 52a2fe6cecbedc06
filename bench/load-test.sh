#!/usr/bin/env bash
# Load test of the daemon on loopback with wrk (Debian package): search and ask with many
# concurrent clients, overload behaviour (503 + Retry-After, bounded queue), the per-user rate
# limit (429), and resident memory over a soak. Prints the figures; bounded in time.
# Usage: bench/load-test.sh [SOAK_SECONDS]   (default 600; release binary .build/release/ragd)
set -euo pipefail
SOAK="${1:-600}"
RAGD="${RAGD:-.build/release/ragd}"
CACHE="${RAGD_CACHE:-$HOME/.cache/ragd}"
command -v wrk >/dev/null || { echo "load-test: wrk missing: apt-get install wrk" >&2; exit 2; }
[ -x "$RAGD" ] || { echo "load-test: build first: swift build -c release --product ragd" >&2; exit 2; }
WORK=$(mktemp -d /tmp/ragd-load.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
DB="$WORK/ragd.sqlite"
PORT=$((20000 + RANDOM % 20000))
BASE="http://127.0.0.1:$PORT"
cat > "$WORK/ragd.yaml" <<YAML
database: $DB
server:
  port: $PORT
  max_concurrent_answers: 2
  max_waiting_answers: 8
  questions_per_minute: 100000
YAML
"$RAGD" ingest --config "$WORK/ragd.yaml" "$CACHE/sample/sqlite-docs" "$CACHE/sample/debian-faq" >/dev/null 2>&1 || true
printf 'load test password\n' | "$RAGD" user add load --role admin --config "$WORK/ragd.yaml" --password-stdin >/dev/null
TOKEN=$("$RAGD" user token load --config "$WORK/ragd.yaml" | tail -1)
"$RAGD" serve --config "$WORK/ragd.yaml" > "$WORK/serve.log" 2>&1 &
SERVE=$!
for _ in $(seq 1 150); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.2; done
rss() { awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$SERVE/status"; }
# Outcomes by status, from the daemon's own metrics (wrk counts only "non-2xx").
outcomes() {
  curl -s -H "Authorization: Bearer $TOKEN" "$BASE/metrics" \
    | grep -E '^ragd_http_requests_total\{.*route="/api/v1/(ask|search)"|^ragd_answers_total|^ragd_rejected_total' \
    | sed 's/^ragd_//' | tr '\n' ' '; echo
  curl -s -D - -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"question":"x"}' \
    "$BASE/api/v1/ask" | grep -i '^retry-after' || true
}
echo "ragd load test on $BASE (pid $SERVE), $(nproc) cores; idle RSS $(rss) MB"

cat > "$WORK/ask.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"question":"How many columns can a table have?"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA

echo; echo "== search: 32 connections, 30 s"
wrk -t2 -c32 -d30s --timeout 10s --latency -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/search?q=maximum+number+of+columns+in+a+table" \
  | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"
echo "RSS $(rss) MB"; outcomes

echo; echo "== ask: 16 connections, 60 s (2 answer at a time, 8 may wait: the rest get 503 + Retry-After)"
wrk -t2 -c16 -d60s --timeout 60s --latency -s "$WORK/ask.lua" "$BASE/api/v1/ask" \
  | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"
echo "RSS $(rss) MB"; outcomes

echo; echo "== per-user rate limit: 25 questions in a row from one user (limit 20/min)"
sed -i 's/questions_per_minute: 100000/questions_per_minute: 20/' "$WORK/ragd.yaml"
kill "$SERVE"; wait "$SERVE" 2>/dev/null || true
"$RAGD" serve --config "$WORK/ragd.yaml" > "$WORK/serve.log" 2>&1 &
SERVE=$!
for _ in $(seq 1 150); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.2; done
codes=""
for i in $(seq 1 25); do
  codes+="$(curl -s -o /dev/null -w '%{http_code}' -m 1 -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"question":"What is a NULL?"}' "$BASE/api/v1/ask" || true)"$'\n'
done
echo "ask statuses (1 s client timeout; 000 = admitted, still answering): $(echo "$codes" | sort | uniq -c | tr '\n' ' ')"

echo; echo "== soak: search load for $SOAK s, RSS sampled every 30 s"
wrk -t2 -c16 -d"${SOAK}s" --timeout 10s -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/search?q=foreign+key+constraints" > "$WORK/soak.txt" &
WRK=$!
samples=""
while kill -0 "$WRK" 2>/dev/null; do samples+="$(rss) "; sleep 30; done
grep -E "Requests/sec|Latency|Non-2xx|Socket errors" "$WORK/soak.txt" || true
outcomes
echo "RSS samples (MB): $samples"
echo "final RSS $(rss) MB"
