#!/usr/bin/env python3
"""Calibrate citation verification from `ragd eval --details FILE` (dev set + unanswerable set).

Every sentence the models wrote is recorded with its best support (the larger of the sentence-
embedding cosine and the content-word overlap with a source) and, if it was withheld, why. The
gold labels come from the question sets, not from ragd:
  - positive: a sentence of an answerable question that the question's answer_regex accepts
    (it states the gold fact, which the gold evidence supports);
  - negative: a substantive sentence written for a question the corpus does not answer
    (eval/unanswerable.jsonl): nothing in the corpus can support an answer to it.
Other sentences (answerable, but not stating the gold fact) are left unlabelled: they may be
true statements of the sources, or not.

For thresholds from 0.50 to 0.95 this prints precision and recall of "supported" (a sentence
passes when its support reaches the threshold and the other checks — numbers literally in the
source, on topic, not broken off — passed), and the threshold with the best F1 among those
with precision 1.0, if any.

Usage: bench/calibrate_verification.py DETAILS.jsonl [--method hybrid]
"""
import argparse
import json
import re

OTHER_CHECKS = ("a number in it", "does not address", "breaks off", "do not answer", "not a statement")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("details")
    parser.add_argument("--method", default="hybrid")
    parser.add_argument("--questions", default="../shared/eval/dev-questions.jsonl")
    args = parser.parse_args()
    regex = {}
    for line in open(args.questions, encoding="utf-8"):
        if line.strip():
            item = json.loads(line)
            regex[item["id"]] = item["answer_regex"]

    labelled = []  # (label, support, other_checks_passed)
    unlabelled = 0
    for line in open(args.details, encoding="utf-8"):
        if not line.strip():
            continue
        d = json.loads(line)
        if d["method"] != args.method:
            continue
        claims = (d["answer"].get("verification") or {}).get("claims", [])
        for c in claims:
            reason = c.get("rejection") or ""
            if "do not answer" in reason or reason == "not a statement":
                continue  # declines and fragments carry no claim
            others_ok = not any(k in reason for k in OTHER_CHECKS)
            if d["answerable"]:
                pattern = regex.get(d["id"])
                if pattern and re.search(pattern, c["sentence"], re.IGNORECASE):
                    labelled.append((True, c["support"], others_ok))
                else:
                    unlabelled += 1
            else:
                labelled.append((False, c["support"], others_ok))

    positives = sum(1 for l in labelled if l[0])
    negatives = len(labelled) - positives
    print(f"{positives} positive and {negatives} negative sentences labelled, {unlabelled} unlabelled")
    print("threshold  precision  recall  passed(pos/neg)")
    best = None
    for i in range(10, 20):
        t = i * 0.05
        tp = sum(1 for l in labelled if l[0] and l[2] and l[1] >= t)
        fp = sum(1 for l in labelled if not l[0] and l[2] and l[1] >= t)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / positives if positives else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        print(f"  {t:.2f}      {precision:.3f}     {recall:.3f}   {tp}/{fp}")
        if precision == 1.0 and (best is None or f1 > best[1]):
            best = (t, f1)
    if best:
        print(f"best threshold with precision 1.0: {best[0]:.2f} (F1 {best[1]:.3f})")


if __name__ == "__main__":
    main()
