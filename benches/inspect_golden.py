"""Golden outputs of inspection, to prove a speed-up changed no result.

Usage: python benches/inspect_golden.py OUT.json [--check GOLDEN.json]

Runs `archer.scoring.inspect_texts` (single-thread and all-threads) on every text of
`../shared/data/rollout_batch_1024.jsonl` and `../shared/data/degeneracy_cases.jsonl` and writes
every per-response field and the batch metrics to OUT.json. With --check, compares with an
earlier dump: identical flags, counts, units and positions, floats within 1e-9.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np

from archer.scoring import inspect_texts

FILES = {
    "rollout": ("../shared/data/rollout_batch_1024.jsonl", "response"),
    "cases": ("../shared/data/degeneracy_cases.jsonl", "text"),
}


def to_plain(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return v.item()
    return v


def dump() -> dict:
    out = {}
    for name, (path, key) in FILES.items():
        with open(path, encoding="utf-8") as f:
            texts = [json.loads(line)[key] for line in f]
        for threads in (1, 0):
            # Any fixed correct/incorrect split exercises the pos/neg metrics.
            res = inspect_texts(
                texts, threads=threads, correct=[i % 3 == 0 for i in range(len(texts))]
            )
            out[f"{name}/threads={threads}"] = {
                "per_response": {k: to_plain(v) for k, v in sorted(res.columns.items())},
                "metrics": {k: to_plain(v) for k, v in sorted(res.metrics.items())},
            }
    return out


def diff(a, b, path="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        errs = [f"{path}: key sets differ {set(a) ^ set(b)}"] if set(a) != set(b) else []
        for k in sorted(set(a) & set(b)):
            errs += diff(a[k], b[k], f"{path}/{k}")
        return errs
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: lengths {len(a)} != {len(b)}"]
        errs = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            errs += diff(x, y, f"{path}[{i}]")
        return errs
    if isinstance(a, float) and isinstance(b, float):
        if (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-9:
            return []
        return [f"{path}: {a!r} != {b!r}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--check")
    args = ap.parse_args()
    data = dump()
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, sort_keys=True)
    if args.check:
        with open(args.check, encoding="utf-8") as f:
            golden = json.load(f)
        errs = diff(golden, json.loads(json.dumps(data)))
        for e in errs[:30]:
            print(e)
        print(f"{len(errs)} differences")
        sys.exit(1 if errs else 0)


if __name__ == "__main__":
    main()
