"""Answer verification throughput: archer's native verifier vs math-verify on the same batch.

Usage: python benches/bench_verify.py [--file ../shared/data/rollout_batch_1024.jsonl]
                                      [--repeat N] [--skip-math-verify]

Prints archer's single-thread and all-thread batch times (median of --repeat runs; ratios use
the median, the best run is shown too), per-item
p50/p99/max (single thread, each item timed alone through the Python binding: min of 3 runs, so
call overhead is included), math-verify's single-thread time on the same batch in the same run
(`verify(parse(gold), parse(response))`, the usual usage), the ratio, and how often the two agree.
math-verify is a benchmark baseline only (requirements/dev), not an archer dependency.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from archer import _native
from archer.scoring import verify_batch


def load(path: str) -> tuple[list[str], list[str]]:
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [r["response"] for r in rows], [r["ground_truth"] for r in rows]


def time_batch(responses, truths, threads: int, repeat: int) -> tuple[float, float, np.ndarray]:
    out = None
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = verify_batch(responses, truths, threads=threads)
        times.append(time.perf_counter() - start)
    assert out is not None
    return statistics.median(times), min(times), out.correct


def per_item_times(responses, truths) -> np.ndarray:
    times = np.empty(len(responses))
    for i, (r, t) in enumerate(zip(responses, truths, strict=True)):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            _native.verify_one(r, t)
            best = min(best, time.perf_counter() - start)
        times[i] = best
    return times


def math_verify_batch(responses, truths) -> tuple[float, np.ndarray]:
    from math_verify import parse, verify

    correct = np.zeros(len(responses), dtype=bool)
    start = time.perf_counter()
    for i, (r, t) in enumerate(zip(responses, truths, strict=True)):
        try:
            correct[i] = bool(verify(parse(f"${t}$"), parse(r)))
        except Exception:  # math-verify raises on some inputs; count as incorrect
            correct[i] = False
    return time.perf_counter() - start, correct


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", default="../shared/data/rollout_batch_1024.jsonl")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--skip-math-verify", action="store_true")
    args = ap.parse_args()

    responses, truths = load(args.file)
    n = len(responses)
    verify_batch(responses[:8], truths[:8], threads=1)  # warm-up: numpy/array setup, pages
    single, single_best, correct = time_batch(responses, truths, threads=1, repeat=args.repeat)
    threads = _native.default_threads()
    multi, multi_best, _ = time_batch(responses, truths, threads=0, repeat=args.repeat)
    items = per_item_times(responses, truths)
    p50, p99 = np.percentile(items, [50, 99])

    print(f"batch: {args.file} ({n} responses, {sum(map(len, responses)):,} characters)")
    print(
        f"archer single-thread : {single * 1e3:9.2f} ms  ({n / single:,.0f} responses/s; "
        f"median of {args.repeat}, best {single_best * 1e3:.2f} ms)"
    )
    print(
        f"archer {threads:2d} threads    : {multi * 1e3:9.2f} ms  ({n / multi:,.0f} responses/s; "
        f"best {multi_best * 1e3:.2f} ms)"
    )
    print(
        f"archer per item      : p50 {p50 * 1e6:.1f} us  p99 {p99 * 1e6:.1f} us  "
        f"max {items.max() * 1e6:.1f} us (incl. Python call overhead)"
    )
    print(f"archer accuracy      : {correct.mean():.4f}")
    if args.skip_math_verify:
        return
    mv_time, mv_correct = math_verify_batch(responses, truths)
    print(f"math-verify          : {mv_time * 1e3:9.2f} ms  ({n / mv_time:,.1f} responses/s)")
    print(f"math-verify accuracy : {mv_correct.mean():.4f}")
    print(f"agreement            : {(mv_correct == correct).mean():.4f}")
    print(f"ratio single-thread  : {mv_time / single:,.0f}x  (math-verify time / archer time)")
    print(f"ratio all threads    : {mv_time / multi:,.0f}x")


if __name__ == "__main__":
    main()
