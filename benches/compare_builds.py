"""Compare the inspection speed of two builds of `inspect_bench` in paired, alternating runs.

This machine's speed drifts by up to 1.5x within minutes, so two builds timed one after the other
can differ by more than any change between them. This runs the two binaries in turn many times
(the order flipped every round, so neither always runs first) and reports the median of the
per-round time ratios B/A with its interquartile range: drift within a round cancels out.

    cargo build --release --example inspect_bench && cp target/release/examples/inspect_bench /tmp/A
    # ... change the code, build again ...
    python benches/compare_builds.py /tmp/A target/release/examples/inspect_bench

A ratio below 1 means B is faster. Run it twice with A and B swapped: a real difference shows in
both orders. The noise floor on this machine: a binary against a copy of itself gave 0.95, 0.97
and 0.98 in three runs of the default 30 rounds of 20 batches, and 1.011 and 0.992 in two runs of
`--rounds 100 --batches 10` (about 25 s each), which resolves differences of a few percent.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess

TIME = re.compile(r"([\d.]+) ms per batch")


def batch_ms(binary: str, path: str, key: str, batches: int) -> float:
    try:
        out = subprocess.run(
            [binary, path, key, str(batches)], capture_output=True, text=True, check=True
        ).stdout
    except FileNotFoundError:
        raise SystemExit(
            f"{binary}: no such binary; build one with "
            "`cargo build --release --example inspect_bench`"
        ) from None
    except subprocess.CalledProcessError as e:
        raise SystemExit(f"{binary} failed (exit {e.returncode}):\n{e.stderr}") from None
    m = TIME.search(out)
    if m is None:
        raise SystemExit(f"{binary} printed no 'ms per batch' line; output was:\n{out}")
    return float(m.group(1))


def quantile(sorted_values: list[float], q: float) -> float:
    return sorted_values[round(q * (len(sorted_values) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a", help="inspect_bench binary A (the baseline)")
    ap.add_argument("b", help="inspect_bench binary B")
    ap.add_argument("--file", default="../shared/data/rollout_batch_1024.jsonl")
    ap.add_argument("--key", default="response")
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--batches", type=int, default=20, help="batches per run")
    args = ap.parse_args()
    if args.rounds < 1 or args.batches < 1:
        raise SystemExit("--rounds and --batches must be at least 1")

    times_a, times_b, ratios = [], [], []
    for r in range(args.rounds):
        if r % 2 == 0:
            a = batch_ms(args.a, args.file, args.key, args.batches)
            b = batch_ms(args.b, args.file, args.key, args.batches)
        else:
            b = batch_ms(args.b, args.file, args.key, args.batches)
            a = batch_ms(args.a, args.file, args.key, args.batches)
        times_a.append(a)
        times_b.append(b)
        ratios.append(b / a)
    ratios.sort()
    print(f"A: median {statistics.median(times_a):.2f} ms per batch ({args.a})")
    print(f"B: median {statistics.median(times_b):.2f} ms per batch ({args.b})")
    print(
        f"B/A: median {statistics.median(ratios):.3f} "
        f"(IQR {quantile(ratios, 0.25):.3f}-{quantile(ratios, 0.75):.3f}, {args.rounds} rounds)"
    )


if __name__ == "__main__":
    main()
