#!/usr/bin/env python3
"""Re-verify every conversation of follow-ups.jsonl against the unpacked corpus.

Usage:
    python3 eval/check_follow_ups.py CORPUS_ROOT [--items FILE] [--shared DIR]
                                     [--show-duplicates]

CORPUS_ROOT is the directory into which the two .deb packages were unpacked,
exactly as for the development set (see ../shared/eval/README.md).

The text rules are not reimplemented here: html_text(), pdf_page_text(),
find_corpus() and the near-duplicate thresholds come from the development
set's checker, check_questions.py, found in --shared DIR (default: $RAGD_SHARED,
else ../shared/eval relative to the repository root). Its dev-questions.jsonl
is read too, for the near-duplicate check.

Checks per line:
  * valid JSON with exactly the schema keys, in order; id fu-NNN, unique;
  * turns is a list of 2-3 distinct non-empty strings; standalone is a
    non-empty string; answer, answer_regex, source, evidence are non-empty
    strings; kind is fact/paragraph/table; format is html/pdf;
  * page is null for html and a valid 1-based physical page for pdf; source is
    a file below the SQLite doc folder (html) or debian-faq.en.pdf (pdf);
  * evidence is 12-200 characters and occurs (case-sensitive) in the gold text
    built by check_questions.py: HTML page text with tags stripped, or
    `pdftotext -f P -l P` output, whitespace collapsed. For HTML it must also
    occur in the text of an extractor that puts a space at every tag;
  * answer_regex compiles, matches answer, and matches neither any turn nor
    standalone (re.search with re.IGNORECASE);
  * standalone is not a near-duplicate of an earlier item's standalone, and no
    turn or standalone is a near-duplicate of a dev-set question (the dev
    checker's rule: difflib ratio > 0.80 or content-word Jaccard > 0.60).

The last line printed is 'N passed, M failed'; exit status is 0 only when
nothing failed.
"""
import argparse
import difflib
import gzip
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile

KEYS = ["id", "turns", "standalone", "answer", "answer_regex", "source", "page",
        "evidence", "kind", "format"]
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def load_shared(shared_dir):
    path = os.path.join(shared_dir, "check_questions.py")
    if not os.path.isfile(path):
        return None
    spec = importlib.util.spec_from_file_location("check_questions", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def make_spaced_html_text(cq):
    """Like cq.html_text, but every tag becomes a space (table cells, links)."""
    class Spaced(cq._TextExtractor):
        def handle_starttag(self, tag, attrs):
            super().handle_starttag(tag, attrs)
            self.parts.append(" ")

        def handle_startendtag(self, tag, attrs):
            self.parts.append(" ")

        def handle_endtag(self, tag):
            super().handle_endtag(tag)
            self.parts.append(" ")

    def spaced_html_text(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            p = Spaced()
            p.feed(f.read())
            p.close()
        return cq.collapse("".join(p.parts))
    return spaced_html_text


def near_duplicate(cq, q, other):
    r = difflib.SequenceMatcher(None, q.lower(), other.lower()).ratio()
    a, b = cq._content_words(q), cq._content_words(other)
    j = len(a & b) / len(a | b) if a | b else 0.0
    return (r > 0.80 or j > 0.60), r, j


def nonempty_str(v):
    return isinstance(v, str) and v.strip() != ""


def main():
    default_shared = os.environ.get("RAGD_SHARED") or os.path.join(REPO, "..", "shared", "eval")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus_root")
    ap.add_argument("--items", default=os.path.join(HERE, "follow-ups.jsonl"))
    ap.add_argument("--shared", default=default_shared,
                    help="folder holding check_questions.py and dev-questions.jsonl "
                         "(default: $RAGD_SHARED or ../shared/eval next to the repo)")
    ap.add_argument("--show-duplicates", action="store_true",
                    help="also list other corpus files/pages that contain each evidence string (informational)")
    args = ap.parse_args()

    cq = load_shared(args.shared)
    if cq is None:
        print(f"ERROR: check_questions.py not found in {os.path.abspath(args.shared)} "
              "(use --shared DIR or RAGD_SHARED)")
        print("0 passed, 1 failed")
        return 2
    if shutil.which("pdftotext") is None:
        print("ERROR: pdftotext not found (install poppler-utils)")
        print("0 passed, 1 failed")
        return 2
    spaced_html_text = make_spaced_html_text(cq)

    dev_questions = []
    dev_path = os.path.join(args.shared, "dev-questions.jsonl")
    if os.path.isfile(dev_path):
        with open(dev_path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    d = json.loads(line)
                    dev_questions.append((d.get("id"), d.get("question") or ""))
    else:
        print(f"warning: {dev_path} not found; skipping the dev-set near-duplicate check")

    html_dir, pdf = cq.find_corpus(args.corpus_root)
    tmpdir = None
    if pdf and pdf.endswith(".gz"):
        tmpdir = tempfile.mkdtemp(prefix="fu-")
        plain = os.path.join(tmpdir, cq.PDF_NAME)
        with gzip.open(pdf, "rb") as src, open(plain, "wb") as dst:
            shutil.copyfileobj(src, dst)
        pdf = plain
    print(f"html doc dir: {html_dir or 'NOT FOUND'}")
    print(f"pdf: {pdf or 'NOT FOUND'}" + (" (decompressed from .gz)" if tmpdir else ""))
    npages = cq.pdf_page_count(pdf) if pdf else None

    items = []
    with open(args.items, encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            if line.strip():
                try:
                    obj = json.loads(line)
                    if not isinstance(obj, dict):
                        raise json.JSONDecodeError("not an object", line, 0)
                    items.append(obj)
                except json.JSONDecodeError as ex:
                    items.append({"id": f"<line {ln}>", "_error": f"bad JSON: {ex}"})

    html_cache, spaced_cache, page_cache = {}, {}, {}
    seen_ids, prev_standalones = set(), []
    passed = failed = 0
    stats = {"html": 0, "pdf": 0, 2: 0, 3: 0, "same": 0}
    for it in items:
        errs = []
        iid = it.get("id", "<no id>")
        if "_error" in it:
            errs.append(it["_error"])
        else:
            if list(it.keys()) != KEYS:
                errs.append(f"keys are {list(it.keys())}, expected {KEYS}")
            if not re.fullmatch(r"fu-\d{3}", str(iid)):
                errs.append("bad id (expected fu-NNN)")
            if iid in seen_ids:
                errs.append("duplicate id")
            seen_ids.add(iid)

            turns = it.get("turns")
            if not isinstance(turns, list) or not 2 <= len(turns) <= 3:
                errs.append("turns must be a list of 2-3 strings")
                turns = [t for t in turns if isinstance(t, str)] if isinstance(turns, list) else []
            elif not all(nonempty_str(t) for t in turns):
                errs.append("every turn must be a non-empty string")
                turns = [t for t in turns if isinstance(t, str)]
            elif len({t.strip().lower() for t in turns}) != len(turns):
                errs.append("turns repeat each other")
            standalone = it.get("standalone")
            if not nonempty_str(standalone):
                errs.append("standalone missing or not a non-empty string")
                standalone = ""
            for k in ("answer", "answer_regex", "source", "evidence"):
                if not nonempty_str(it.get(k)):
                    errs.append(f"{k} missing or not a non-empty string")
            if it.get("kind") not in cq.KINDS:
                errs.append(f"bad kind {it.get('kind')!r}")
            fmt = it.get("format")
            if fmt not in cq.FORMATS:
                errs.append(f"bad format {fmt!r}")
            ev = it.get("evidence") if isinstance(it.get("evidence"), str) else ""
            if not 12 <= len(ev) <= 200:
                errs.append(f"evidence length {len(ev)} not in 12..200")

            # gold text / evidence
            if fmt == "html":
                if it.get("page") is not None:
                    errs.append("page must be null for html")
                src = it.get("source") if isinstance(it.get("source"), str) else ""
                path = os.path.normpath(os.path.join(html_dir, src)) if html_dir and src else None
                if not path or not os.path.isfile(path) or not path.startswith(os.path.normpath(html_dir) + os.sep):
                    errs.append(f"source not found: {src}")
                elif ev:
                    if path not in html_cache:
                        html_cache[path] = cq.html_text(path)
                    if ev not in html_cache[path]:
                        errs.append("evidence not found in page text")
                    else:
                        if path not in spaced_cache:
                            spaced_cache[path] = spaced_html_text(path)
                        if ev not in spaced_cache[path]:
                            errs.append("evidence does not survive a tag-spacing extractor")
            elif fmt == "pdf":
                page = it.get("page")
                if it.get("source") != cq.PDF_NAME:
                    errs.append(f"source must be {cq.PDF_NAME}")
                if not isinstance(page, int) or isinstance(page, bool) or page < 1 or (npages and page > npages):
                    errs.append(f"bad page {page!r}")
                elif not pdf:
                    errs.append("PDF not found under corpus root")
                elif ev:
                    if page not in page_cache:
                        page_cache[page] = cq.pdf_page_text(pdf, page)
                    if ev not in page_cache[page]:
                        errs.append(f"evidence not found on PDF page {page}")

            # regex: matches the answer, never the conversation
            if nonempty_str(it.get("answer_regex")):
                try:
                    rx = re.compile(it["answer_regex"], re.IGNORECASE)
                except re.error as ex:
                    errs.append(f"answer_regex does not compile: {ex}")
                else:
                    if not rx.search(it.get("answer") or ""):
                        errs.append("answer_regex does not match answer")
                    for n, t in enumerate(turns, 1):
                        if rx.search(t):
                            errs.append(f"answer_regex matches turn {n}")
                    if standalone and rx.search(standalone):
                        errs.append("answer_regex matches standalone")

            # near duplicates
            if standalone:
                for pid, ps in prev_standalones:
                    dup, r, j = near_duplicate(cq, standalone, ps)
                    if dup:
                        errs.append(f"standalone near-duplicate of {pid} (ratio {r:.2f}, jaccard {j:.2f})")
                prev_standalones.append((iid, standalone))
            for label, text in [(f"turn {n}", t) for n, t in enumerate(turns, 1)] + [("standalone", standalone)]:
                if not text:
                    continue
                for did, dq in dev_questions:
                    dup, r, j = near_duplicate(cq, text, dq)
                    if dup:
                        errs.append(f"{label} near-duplicate of dev {did} (ratio {r:.2f}, jaccard {j:.2f})")

            if fmt in ("html", "pdf"):
                stats[fmt] += 1
            if len(turns) in (2, 3):
                stats[len(turns)] += 1
            if turns and standalone.strip() == turns[-1].strip():
                stats["same"] += 1
        if errs:
            failed += 1
            print(f"FAIL {iid}: " + "; ".join(errs))
        else:
            passed += 1
            print(f"ok   {iid}")

    if args.show_duplicates:
        texts = {}
        if html_dir:
            for d, _, files in os.walk(html_dir):
                for fn in files:
                    if fn.endswith(".html"):
                        p = os.path.join(d, fn)
                        texts[os.path.relpath(p, html_dir)] = html_cache.get(p) or cq.html_text(p)
        for it in items:
            ev = it.get("evidence")
            if not isinstance(ev, str) or not ev:
                continue
            if it.get("format") == "html":
                others = sorted(k for k, t in texts.items() if k != it.get("source") and ev in t)
                if others:
                    print(f"note {it['id']}: evidence also occurs in {', '.join(others)}")
            elif it.get("format") == "pdf" and pdf:
                others = [p for p in range(1, (npages or 0) + 1) if p != it.get("page")
                          and ev in page_cache.setdefault(p, cq.pdf_page_text(pdf, p))]
                if others:
                    print(f"note {it['id']}: evidence also occurs on PDF pages {others}")

    if tmpdir:
        shutil.rmtree(tmpdir, ignore_errors=True)
    print(f"summary: {stats['html']} html, {stats['pdf']} pdf; {stats[2]} with 2 turns, "
          f"{stats[3]} with 3 turns; {stats['same']} with standalone equal to the last turn")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
