#!/usr/bin/env bash
# bench/peer-ingest.sh: ragd's first ingest beside the Python peer's (../shared/peer/peer_ingest.py:
# pypdf / BeautifulSoup -> LangChain RecursiveCharacterTextSplitter(1000, 150) -> llama-cpp-python
# MiniLM embeddings -> sqlite-vec), on the same files, in the same run, on the machine at hand.
#
#   bench/peer-ingest.sh [--html-pages N] [--pdfs N] [--skip-peer] [--skip-ragd] [--keep] [--out FILE]
#
#   --html-pages N  the first N HTML pages (sorted by path) of the DocBook manual debian-reference
#                   (default 15: all of them, about 2.4 MB of HTML, one chapter a page)
#   --pdfs N        the N smallest PDFs of r-doc-pdf by page count, at most 300 pages each
#                   (default 7: all but the 2,415-page reference manual, 677 pages)
#   --skip-peer / --skip-ragd   run one side only
#   --keep          keep the temporary folder (corpus copies, both databases, logs)
#   --out FILE      the JSON summary (default bench/results/peer-ingest.json)
#
# With the defaults one run takes about ten minutes on two cores. It prints the machine (lscpu),
# the file set, then one table: files, pages (an HTML file is one page for both; a PDF has its
# pages), chunks, embedded tokens, seconds, pages/s, chunks/s, tokens/s for each side, and the
# ratio of ragd's pages/s to the peer's. Run it on a quiet machine: both sides use every core.
#
# The same engine on both sides. The peer does not build llama-cpp-python (which compiles its
# own llama.cpp): the script copies the pure-Python package llama_cpp/ out of the sdist
# llama_cpp_python-0.3.36.tar.gz that scripts/setup.sh downloaded and verified (scripts/pins.sh)
# and makes it load the libllama/libggml shared libraries that setup built from that same sdist's
# vendor/llama.cpp and that ragd links: llama_cpp/lib in the venv is a symlink to
# $RAGD_CACHE/llama/0.3.36/lib, and LLAMA_CPP_LIB_PATH names that folder too. Both sides embed with
# the same GGUF ($RAGD_CACHE/models/all-MiniLM-L6-v2.f16.gguf) on 2 threads (the peer's
# n_threads=2; ragd's models.threads defaults to all cores), and store into sqlite-vec 0.1.9.
# So the table compares the pipelines around one engine build, not two builds of llama.cpp.
#
# The peer's other Python packages come from bench/peer-requirements.lock (every package of the
# closure, pinned by SHA-256), downloaded with pip --no-deps --require-hashes and installed
# offline into $RAGD_CACHE/peer/venv (Debian's /usr/bin/python3, whose sqlite3 loads extensions).
# The venv is rebuilt when the lock, the sdist or the library folder changes (a stamp file in the
# venv), so a second run starts in seconds.
#
# ragd runs with a configuration file that only names the embedding model (its default) and its
# own database, so nothing else of the environment's configuration applies. `ragd ingest --json`
# reports files, pages, chunks and seconds; the embedded tokens are the sum of chunk.token_count
# in its database (the tokens of each chunk's embedding text, [CLS]/[SEP] included). The peer's
# tokens are what llama-cpp-python's embed() counted (the same special tokens, cut at 256).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${RAGD_CACHE:-$HOME/.cache/ragd}"
# shellcheck source-path=SCRIPTDIR source=../scripts/pins.sh
source "$ROOT/scripts/pins.sh"

HTML_PAGES=15
PDFS=7
PDF_MAX_PAGES=300
RUN_PEER=1
RUN_RAGD=1
KEEP=0
OUT="$ROOT/bench/results/peer-ingest.json"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() {
  printf 'peer-ingest: error: %s\n' "$1" >&2
  [ $# -gt 1 ] && printf '             what to do: %s\n' "$2" >&2
  exit 1
}
is_count() { [[ "$1" =~ ^[0-9]+$ ]]; }
# count_arg FLAG ARGS...: the number after FLAG, or stop.
count_arg() {
  if [ $# -lt 3 ] || ! is_count "$3"; then die "$1 needs a number"; fi
  echo "$3"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --html-pages) HTML_PAGES="$(count_arg "$1" "$@")"; shift 2 ;;
    --pdfs) PDFS="$(count_arg "$1" "$@")"; shift 2 ;;
    --skip-peer) RUN_PEER=0; shift ;;
    --skip-ragd) RUN_RAGD=0; shift ;;
    --keep) KEEP=1; shift ;;
    --out) [ $# -ge 2 ] || die "--out needs a file name"; OUT="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1'" "see bench/peer-ingest.sh --help" ;;
  esac
done
[ $((HTML_PAGES + PDFS)) -gt 0 ] || die "nothing to ingest: --html-pages and --pdfs are both 0"
[ $((RUN_PEER + RUN_RAGD)) -gt 0 ] || die "--skip-peer and --skip-ragd together leave nothing to run"

SYS_PYTHON=/usr/bin/python3
RAGD_BIN="${RAGD_BIN:-$ROOT/.build/release/ragd}"
PEER_DIR="${PEER_DIR:-$ROOT/../shared/peer}"
LOCK="$ROOT/bench/peer-requirements.lock"
SDIST="$CACHE/downloads/$LLAMA_CPP_PYTHON_SDIST"
LLAMA_LIB="$CACHE/llama/$LLAMA_CPP_PYTHON_VERSION/lib"
MODEL="$CACHE/models/all-MiniLM-L6-v2.f16.gguf"
HTML_SRC="$CACHE/corpus/debian-reference"
PDF_SRC="$CACHE/corpus/r-doc-pdf"
VENV="$CACHE/peer/venv"
WHEELS="$CACHE/peer/wheels"

# ---------------------------------------------------------------- prerequisites
[ -x "$SYS_PYTHON" ] || die "$SYS_PYTHON is missing" "install Debian's python3 and python3-venv (apt-get install python3-venv)"
[ -f "$LLAMA_LIB/libllama.so" ] || die "no llama.cpp build in $LLAMA_LIB" "run make setup first"
[ -f "$MODEL" ] || die "the embedding model $MODEL is missing" "run make setup first"
if [ ! -d "$HTML_SRC" ] || [ ! -d "$PDF_SRC" ]; then
  die "the benchmark documents are missing ($HTML_SRC, $PDF_SRC)" "run make setup first (scripts/setup.sh without --no-corpus)"
fi
if [ "$RUN_RAGD" = 1 ]; then
  [ -x "$RAGD_BIN" ] || die "$RAGD_BIN is missing" "build it: make build (or swift build -c release --product ragd), or use --skip-ragd"
fi
if [ "$RUN_PEER" = 1 ]; then
  [ -f "$PEER_DIR/peer_ingest.py" ] || die "$PEER_DIR/peer_ingest.py is missing" "set PEER_DIR to the folder of the peer scripts, or use --skip-peer"
  [ -f "$SDIST" ] || die "$SDIST is missing" "run make setup first"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/peer-ingest.XXXXXX")"
cleanup() { if [ "$KEEP" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

# ---------------------------------------------------------------- the peer's venv
# Needed for the peer, and for counting PDF pages when poppler's pdfinfo is not installed.
STAMP_TEXT="lock=$(sha256sum "$LOCK" | cut -d' ' -f1) llama-cpp-python=$LLAMA_CPP_PYTHON_SHA256 lib=$LLAMA_LIB"
setup_venv() {
  if [ -f "$VENV/.peer-stamp" ] && [ "$(cat "$VENV/.peer-stamp")" = "$STAMP_TEXT" ]; then
    return 0
  fi
  # The same check setup.sh makes before it builds llama.cpp from this sdist.
  [ "$(sha256sum "$SDIST" | cut -d' ' -f1)" = "$LLAMA_CPP_PYTHON_SHA256" ] \
    || die "SHA-256 mismatch for $SDIST (pinned $LLAMA_CPP_PYTHON_SHA256 in scripts/pins.sh)" "delete it and run make setup"
  echo "==> peer venv: installing $(grep -c '^[a-z].*==' "$LOCK") pinned packages into $VENV"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")" "$WHEELS"
  "$SYS_PYTHON" -m venv "$VENV" || die "$SYS_PYTHON -m venv failed" "install Debian's python3-venv"
  # Fetched files are checked against the lock's hashes; ones already in $WHEELS are reused.
  "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
      --require-hashes -d "$WHEELS" -r "$LOCK" \
    || die "pip download of bench/peer-requirements.lock failed" "check that PyPI is reachable (pip config list); a hash mismatch means the registry served other bytes than pinned"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-index --find-links "$WHEELS" \
      --no-deps --require-hashes -r "$LOCK" \
    || die "offline pip install from $WHEELS failed" "delete $WHEELS and run again"
  # llama-cpp-python without building it: its Python package from the verified sdist, and its
  # lib/ folder pointing at the llama.cpp that setup built (and ragd links).
  local site tmp
  site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  tmp="$(mktemp -d)"
  tar xzf "$SDIST" -C "$tmp" "llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/llama_cpp" \
    || die "could not read llama_cpp/ from $SDIST" "delete it and run make setup"
  rm -rf "$site/llama_cpp"
  cp -r "$tmp/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/llama_cpp" "$site/llama_cpp"
  rm -rf "$tmp" "$site/llama_cpp/lib"
  ln -s "$LLAMA_LIB" "$site/llama_cpp/lib"
  LLAMA_CPP_LIB_PATH="$LLAMA_LIB" "$VENV/bin/python" -c 'import llama_cpp, langchain_text_splitters, pypdf, bs4, sqlite_vec' \
    || die "the peer venv does not import its packages" "see the error above; delete $VENV and run again"
  echo "$STAMP_TEXT" >"$VENV/.peer-stamp"
}
if [ "$RUN_PEER" = 1 ] || ! command -v pdfinfo >/dev/null; then setup_venv; fi

# ---------------------------------------------------------------- the machine
echo "== machine"
date -u '+date: %Y-%m-%d %H:%M:%S UTC'
lscpu | grep -E '^(Model name|CPU\(s\)|Thread\(s\) per core|L3 cache):' | sed 's/  */ /g'
flags="$(lscpu | sed -n 's/^Flags: *//p' | tr ' ' '\n' | grep -E '^(avx2|avx512.*|amx.*|avx_vnni)$' | tr '\n' ' ' || true)"
echo "SIMD flags: ${flags:-none of avx2/avx512/amx}"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (the table is only meaningful on a quiet machine)"
CPU_MODEL="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"

# ---------------------------------------------------------------- the corpus
CORPUS="$WORK/corpus"
mkdir -p "$CORPUS/html" "$CORPUS/pdf"
pdf_pages() {
  if command -v pdfinfo >/dev/null; then
    pdfinfo "$1" 2>/dev/null | awk '/^Pages:/ { print $2 }'
  else
    "$VENV/bin/python" -c 'import sys, pypdf; print(len(pypdf.PdfReader(sys.argv[1]).pages))' "$1"
  fi
}
# Copies, not symlinks: ragd ingests regular files only. Real files only (-type f): the packages'
# /usr/share/doc links to the same documents are not followed, so nothing is counted twice.
mapfile -t html_files < <(find "$HTML_SRC" -type f -name '*.html' | LC_ALL=C sort | head -n "$HTML_PAGES")
[ "$HTML_PAGES" = 0 ] || [ ${#html_files[@]} -gt 0 ] || die "no HTML pages in $HTML_SRC" "run make setup again"
[ ${#html_files[@]} -ge "$HTML_PAGES" ] || echo "note: debian-reference has ${#html_files[@]} HTML pages; using all of them"
for f in "${html_files[@]}"; do cp "$f" "$CORPUS/html/"; done

# PDFs: at most PDF_MAX_PAGES pages, duplicates (same bytes) once, fewest pages first, then by name.
pdf_list="$WORK/pdfs.tsv"
: >"$pdf_list"
if [ "$PDFS" -gt 0 ]; then
  declare -A seen=()
  while IFS= read -r f; do
    sum="$(sha256sum "$f" | cut -d' ' -f1)"
    [ -z "${seen[$sum]:-}" ] || continue
    seen[$sum]=1
    n="$(pdf_pages "$f")"
    is_count "$n" || { echo "note: cannot count the pages of $f; left out"; continue; }
    [ "$n" -le "$PDF_MAX_PAGES" ] && printf '%s\t%s\t%s\n' "$n" "$(basename "$f")" "$f" >>"$pdf_list"
  done < <(find "$PDF_SRC" -type f -name '*.pdf' | LC_ALL=C sort)
  LC_ALL=C sort -t$'\t' -k1,1n -k2,2 -o "$pdf_list" "$pdf_list"
  sed -i "$((PDFS + 1)),\$d" "$pdf_list"
  [ -s "$pdf_list" ] || die "no PDF of at most $PDF_MAX_PAGES pages in $PDF_SRC" "run make setup again"
  [ "$(wc -l <"$pdf_list")" -ge "$PDFS" ] || echo "note: r-doc-pdf has $(wc -l <"$pdf_list") PDFs of at most $PDF_MAX_PAGES pages; using all of them"
  while IFS=$'\t' read -r _ name f; do
    [ ! -e "$CORPUS/pdf/$name" ] || die "two PDFs named $name"
    cp "$f" "$CORPUS/pdf/$name"
  done <"$pdf_list"
fi
N_HTML=${#html_files[@]}
N_PDF="$(wc -l <"$pdf_list")"
PDF_PAGES="$(awk -F'\t' '{ s += $1 } END { print s + 0 }' "$pdf_list")"
PAGES=$((N_HTML + PDF_PAGES))
HTML_BYTES="$(cat "$CORPUS"/html/* 2>/dev/null | wc -c)"
echo "== corpus ($CORPUS)"
echo "HTML pages of debian-reference: $N_HTML ($((HTML_BYTES / 1024)) KiB): $(for f in "${html_files[@]}"; do basename "$f"; done | tr '\n' ' ')"
echo "PDFs of r-doc-pdf: $N_PDF, $PDF_PAGES pages: $(awk -F'\t' '{ printf "%s (%s) ", $2, $1 }' "$pdf_list")"
echo "pages in all: $PAGES (an HTML file is one page)"

# ---------------------------------------------------------------- ragd
now() { echo "$EPOCHREALTIME"; }
RAGD_JSON="$WORK/ragd.json"
RAGD_TOKENS=""
RAGD_WALL=""
RAGD_STATUS=0
if [ "$RUN_RAGD" = 1 ]; then
  RAGD_LIB="$(ldd "$RAGD_BIN" | awk '/libllama/ { print $3 }')"
  echo "== ragd: $RAGD_BIN ingest --json (${RAGD_LIB:+$(readlink -f "$RAGD_LIB")})"
  cat >"$WORK/ragd.yaml" <<EOF
# bench/peer-ingest.sh: ragd's defaults; the embedding model (the default one) is named because
# the peer loads the same file.
models:
  embedding: $MODEL
EOF
  dirs=()
  [ "$N_HTML" = 0 ] || dirs+=("$CORPUS/html")
  [ "$N_PDF" = 0 ] || dirs+=("$CORPUS/pdf")
  t0="$(now)"
  env -u RAGD_DB "$RAGD_BIN" ingest --json --config "$WORK/ragd.yaml" --db "$WORK/ragd.sqlite" "${dirs[@]}" \
    >"$RAGD_JSON" 2>"$WORK/ragd.log" || RAGD_STATUS=$?
  t1="$(now)"
  RAGD_WALL="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
  if ! grep -q '^{' "$RAGD_JSON"; then
    tail -n 20 "$WORK/ragd.log" >&2
    die "ragd ingest exited with status $RAGD_STATUS and no summary" "see its log above"
  fi
  [ "$RAGD_STATUS" = 0 ] || echo "warning: ragd ingest exited with status $RAGD_STATUS (some files failed; see the summary)"
  RAGD_TOKENS="$("$SYS_PYTHON" -c 'import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(db.execute("SELECT COALESCE(SUM(token_count), 0) FROM chunk").fetchone()[0])' "$WORK/ragd.sqlite")"
  echo "done in ${RAGD_WALL} s"
fi

# ---------------------------------------------------------------- peer
PEER_JSON="$WORK/peer.json"
PEER_WALL=""
if [ "$RUN_PEER" = 1 ]; then
  PEER_LIB="$(LLAMA_CPP_LIB_PATH="$LLAMA_LIB" "$VENV/bin/python" -c 'import os, llama_cpp.llama_cpp as l; print(os.path.realpath(l._lib._name))')"
  echo "== peer: $PEER_DIR/peer_ingest.py ($PEER_LIB)"
  t0="$(now)"
  LLAMA_CPP_LIB_PATH="$LLAMA_LIB" "$VENV/bin/python" "$PEER_DIR/peer_ingest.py" "$CORPUS" "$WORK/peer.db" \
      --embed-model "$MODEL" >"$WORK/peer.out" 2>"$WORK/peer.log" \
    || { tail -n 20 "$WORK/peer.log" >&2; die "peer_ingest.py failed" "see its log above"; }
  t1="$(now)"
  PEER_WALL="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
  grep '^{' "$WORK/peer.out" | tail -n 1 >"$PEER_JSON"
  [ -s "$PEER_JSON" ] || die "peer_ingest.py printed no JSON summary" "see $WORK/peer.out (use --keep)"
  echo "done in ${PEER_WALL} s"
fi

# ---------------------------------------------------------------- the table and the JSON
mkdir -p "$(dirname "$OUT")"
PAGES="$PAGES" N_HTML="$N_HTML" N_PDF="$N_PDF" PDF_PAGES="$PDF_PAGES" CORPUS="$CORPUS" \
RAGD_JSON="$RAGD_JSON" RAGD_TOKENS="$RAGD_TOKENS" RAGD_WALL="$RAGD_WALL" RAGD_STATUS="$RAGD_STATUS" \
PEER_JSON="$PEER_JSON" PEER_WALL="$PEER_WALL" CPU_MODEL="$CPU_MODEL" SIMD_FLAGS="$flags" \
MODEL="$MODEL" LLAMA_LIB="$LLAMA_LIB" "$SYS_PYTHON" - "$OUT" <<'PY'
import datetime, json, os, sys

env = os.environ
def load(path):
    return json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) else None

pages = int(env["PAGES"])
ragd, peer = load(env["RAGD_JSON"]), load(env["PEER_JSON"])
rows = {}
if ragd is not None:
    rows["ragd"] = {
        "files": ragd["files"], "pages": pages, "reported_pages": ragd["pages"], "chunks": ragd["chunks"],
        "tokens": int(env["RAGD_TOKENS"] or 0), "wall_s": float(env["RAGD_WALL"]), "ingest_s": ragd["seconds"],
        "failed": len(ragd["failed"]), "skipped": len(ragd["skipped"]),
        "truncated_chunks": ragd["truncated_chunks"], "exit_status": int(env["RAGD_STATUS"]), "summary": ragd,
    }
if peer is not None:
    rows["peer"] = {
        "files": peer["files"], "pages": pages, "reported_pages": peer["pages"], "chunks": peer["chunks"],
        "tokens": peer["tokens"], "wall_s": float(env["PEER_WALL"]), "ingest_s": peer["pipeline_s"],
        "summary": peer,
    }
for r in rows.values():
    for what in ("pages", "chunks", "tokens"):
        r[what + "_per_s"] = round(r[what] / r["wall_s"], 2) if r["wall_s"] else None
    r["pages_per_ingest_s"] = round(r["pages"] / r["ingest_s"], 2) if r["ingest_s"] else None

print("== result (rates per wall second: the whole command, model load included;")
print("   'ingest s' is each tool's own count of its pipeline, without the model load)")
print(f"{'':6}{'files':>7}{'pages':>7}{'chunks':>8}{'tokens':>10}{'wall s':>9}{'ingest s':>10}"
      f"{'pages/s':>9}{'chunks/s':>10}{'tokens/s':>10}")
for name, r in rows.items():
    print(f"{name:6}{r['files']:>7}{r['pages']:>7}{r['chunks']:>8}{r['tokens']:>10}{r['wall_s']:>9.1f}"
          f"{r['ingest_s']:>10.1f}{r['pages_per_s']:>9.2f}{r['chunks_per_s']:>10.2f}{r['tokens_per_s']:>10.1f}")
ratio = ratio_ingest = None
if "ragd" in rows and "peer" in rows:
    ratio = round(rows["ragd"]["pages_per_s"] / rows["peer"]["pages_per_s"], 3)
    if rows["ragd"]["pages_per_ingest_s"] and rows["peer"]["pages_per_ingest_s"]:
        ratio_ingest = round(rows["ragd"]["pages_per_ingest_s"] / rows["peer"]["pages_per_ingest_s"], 3)
    print(f"ragd pages/s / peer pages/s: {ratio:.2f}x (wall)"
          + (f", {ratio_ingest:.2f}x (each tool's ingest seconds)" if ratio_ingest else ""))
if "ragd" in rows:
    r = rows["ragd"]
    notes = []
    if r["failed"] or r["skipped"]:
        notes.append(f"{r['failed']} failed, {r['skipped']} skipped")
    if r["truncated_chunks"]:
        notes.append(f"{r['truncated_chunks']} chunks cut by the model")
    if r["reported_pages"] != pages:
        notes.append(f"its own summary counts {r['reported_pages']} pages")
    if notes:
        print("ragd: " + "; ".join(notes))
if "peer" in rows and rows["peer"]["reported_pages"] != pages:
    print(f"peer: its own summary counts {rows['peer']['reported_pages']} pages")

corpus = env["CORPUS"]
out = {
    "benchmark": "peer-ingest",
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "cpu": env["CPU_MODEL"],
    "simd_flags": env["SIMD_FLAGS"].split(),
    "cores": os.cpu_count(),
    "corpus": {
        "html_pages": int(env["N_HTML"]), "pdfs": int(env["N_PDF"]), "pdf_pages": int(env["PDF_PAGES"]),
        "pages": pages,
        "html": sorted(os.listdir(os.path.join(corpus, "html"))),
        "pdf": sorted(os.listdir(os.path.join(corpus, "pdf"))),
    },
    "embedding_model": os.path.basename(env["MODEL"]),
    "llama_cpp_lib": env["LLAMA_LIB"],
    "results": rows,
    "ragd_over_peer_pages_per_s": ratio,
    "ragd_over_peer_pages_per_ingest_s": ratio_ingest,
}
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=2)
    f.write("\n")
print(f"wrote {sys.argv[1]}")
PY
