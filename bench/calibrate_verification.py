#!/usr/bin/env python3
"""Calibrate the citation-verification threshold from `ragd eval --details FILE`.

For every generated answer (small or large model, before any fallback) the eval records
whether the answer regex accepts it and, per claim, its best support (max of sentence-
embedding cosine and content-word overlap with the cited source). Verification should pass
the correct answers and fail the wrong ones; this prints, for thresholds from 0.40 to 0.90,
how many correct answers would pass (kept) and how many wrong ones would fail (caught), and
the threshold with the best balanced accuracy.

Usage: bench/calibrate_verification.py eval-details.jsonl [--method hybrid]
"""
import argparse
import json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("details")
    parser.add_argument("--method", default="hybrid")
    args = parser.parse_args()

    rows = []
    for line in open(args.details, encoding="utf-8"):
        if not line.strip():
            continue
        d = json.loads(line)
        if d["method"] != args.method:
            continue
        answer = d["answer"]
        verification = answer.get("verification")
        if answer["path"] == "not_found" and not verification:
            continue  # never generated
        claims = (verification or {}).get("claims", [])
        structural_ok = bool(claims) and all(c["cited"] and not c["fabricated"] for c in claims)
        weakest = min((c["support"] for c in claims), default=0.0)
        rows.append((d["generatedCorrect"], structural_ok, weakest, d["id"]))

    correct = [r for r in rows if r[0]]
    wrong = [r for r in rows if not r[0]]
    print(f"{len(rows)} generated answers ({args.method}): {len(correct)} accepted by the regex, {len(wrong)} not")
    print(f"structurally valid (every sentence cites an existing source): "
          f"{sum(r[1] for r in correct)}/{len(correct)} correct, {sum(r[1] for r in wrong)}/{len(wrong)} wrong")
    print("threshold  correct kept  wrong caught  balanced")
    best = None
    for i in range(40, 91, 2):
        t = i / 100
        kept = sum(1 for ok, s, w, _ in correct if s and w >= t)
        caught = sum(1 for ok, s, w, _ in wrong if not (s and w >= t))
        tpr = kept / len(correct) if correct else 0
        tnr = caught / len(wrong) if wrong else 0
        balanced = (tpr + tnr) / 2
        if best is None or balanced > best[0]:
            best = (balanced, t)
        print(f"  {t:.2f}     {kept:3d}/{len(correct):<3d}      {caught:3d}/{len(wrong):<3d}     {balanced:.3f}")
    if best:
        print(f"best balanced accuracy {best[0]:.3f} at threshold {best[1]:.2f}")


if __name__ == "__main__":
    main()
