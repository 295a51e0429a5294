"""Peak memory of the actor's per-token log-probs + entropy (forward and backward) over a real
vocabulary: the whole-tensor formulas against `algo.token_logprobs_and_entropy` (chunked, with a
backward that recomputes each chunk's softmax).

Usage: python benches/bench_logits_memory.py [--rows 2] [--tokens 1024] [--vocab 151936]
                                            [--chunk-tokens 256]

Each variant runs in its own process on CPU, from a logits tensor of [rows, tokens, vocab] fp32
that needs grad (standing in for the model's output), and the bench prints how far each one's
peak resident memory (`ru_maxrss`) rose above what the logits themselves take. On a GPU the same
tensors land in device memory, in bf16 for the logits under autocast.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys


def run(variant: str, rows: int, tokens: int, vocab: int, chunk_tokens: int) -> None:
    import torch

    from archer import algo

    torch.manual_seed(0)
    logits = torch.randn(rows, tokens, vocab, requires_grad=True)
    labels = torch.randint(0, vocab, (rows, tokens))
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if variant == "whole":
        z = logits.float() / 0.7
        logp, ent = algo.logprobs_from_logits(z, labels), algo.entropy_from_logits(z)
    else:
        logp, ent = algo.token_logprobs_and_entropy(
            logits, labels, temperature=0.7, chunk_tokens=chunk_tokens
        )
    (logp.sum() - 0.01 * ent.sum()).backward()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in KiB on Linux. The gradient of the logits (same size as them) is counted.
    print(f"{(peak - base) / 2**20:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=1024)
    ap.add_argument("--vocab", type=int, default=151_936)
    ap.add_argument("--chunk-tokens", type=int, default=256)
    ap.add_argument("--variant", choices=["whole", "chunked"], help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.variant:
        run(a.variant, a.rows, a.tokens, a.vocab, a.chunk_tokens)
        return
    gib = a.rows * a.tokens * a.vocab * 4 / 2**30
    print(
        f"logits [{a.rows}, {a.tokens}, {a.vocab}] fp32: {gib:.2f} GiB; "
        f"chunks of {a.chunk_tokens} positions"
    )
    peaks = {}
    for variant in ("whole", "chunked"):
        cmd = [sys.executable, __file__, "--variant", variant]
        cmd += ["--rows", str(a.rows), "--tokens", str(a.tokens), "--vocab", str(a.vocab)]
        cmd += ["--chunk-tokens", str(a.chunk_tokens)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        peaks[variant] = float(out.strip())
        print(
            f"{variant}: peak memory above the logits {peaks[variant]:.2f} GiB "
            f"({peaks[variant] / gib:.2f}x the logits)"
        )
    print(f"ratio whole / chunked: {peaks['whole'] / max(peaks['chunked'], 1e-9):.1f}x")


if __name__ == "__main__":
    main()
