#!/usr/bin/env python3
"""Raw llama.cpp prompt processing of the prompts ragd built, beside ragd's own figure.

Reads `ragd eval --details FILE` (each answer keeps the messages of its last prompt and
ragd's prompt-processing time), sends the same messages, in the same order, to a llama-server
running the same GGUF (started by this script on 127.0.0.1:PORT, 2 threads), with max_tokens 1,
and prints p50/p95 of llama-server's own `timings.prompt_ms` beside ragd's in-process figure.
Both sides reuse the KV cache of the previous prompt (the shared system prompt and example),
so both measure the uncached part. Only answers the small model alone wrote are compared.

Usage: bench/raw_prompt_processing.py DETAILS.jsonl [--model PATH] [--port 8093]
"""
import argparse, json, os, statistics, subprocess, time, urllib.request


def pct(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def main():
    cache = os.environ.get("RAGD_CACHE", os.path.expanduser("~/.cache/ragd"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("details")
    ap.add_argument("--model", default=f"{cache}/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
    ap.add_argument("--port", type=int, default=8093)
    a = ap.parse_args()
    server = subprocess.Popen([f"{cache}/llama/0.3.36/bin/llama-server", "-m", a.model, "--host", "127.0.0.1",
                               "--port", str(a.port), "-c", "4096", "-t", "2", "--parallel", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{a.port}/health").status == 200:
                    break
            except Exception:
                time.sleep(0.5)
        raw, ours, tokens = [], [], []
        for line in open(a.details):
            d = json.loads(line)
            ans = d["answer"]
            if ans["route"]["target"] != "small" or not ans.get("promptMessages"):
                continue
            body = json.dumps({"messages": ans["promptMessages"], "max_tokens": 1, "temperature": 0}).encode()
            req = urllib.request.Request(f"http://127.0.0.1:{a.port}/v1/chat/completions", body,
                                         {"Content-Type": "application/json"})
            t = json.load(urllib.request.urlopen(req))["timings"]
            raw.append(t["prompt_ms"]); tokens.append(t["prompt_n"])
            ours.append(ans["promptMilliseconds"])
        print(f"{len(raw)} prompts; uncached prompt tokens (llama-server) mean {statistics.mean(tokens):.0f}")
        print(f"ragd in-process prompt processing  p50 {pct(ours, 50):.0f} ms  p95 {pct(ours, 95):.0f} ms")
        print(f"raw llama-server prompt processing p50 {pct(raw, 50):.0f} ms  p95 {pct(raw, 95):.0f} ms")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
