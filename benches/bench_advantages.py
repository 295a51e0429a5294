"""Group advantages: native (archer._native) vs a per-sample Python loop shaped like verl's
`compute_grpo_outcome_advantage` vs a vectorized torch version, at 1024 and 65,536 responses.

Usage: python benches/bench_advantages.py [--repeat N]
Prints the median wall time of each and the ratios (baseline time / native time).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict

import numpy as np
import torch

from archer.scoring import advantages


def verl_loop(scores: torch.Tensor, index: np.ndarray, eps: float = 1e-6) -> torch.Tensor:
    id2score = defaultdict(list)
    id2mean, id2std = {}, {}
    bsz = scores.shape[0]
    for i in range(bsz):
        id2score[index[i]].append(scores[i])
    for idx, vals in id2score.items():
        if len(vals) == 1:
            id2mean[idx], id2std[idx] = torch.tensor(0.0), torch.tensor(1.0)
        else:
            stacked = torch.stack(vals)
            id2mean[idx], id2std[idx] = torch.mean(stacked), torch.std(stacked)
    out = scores.clone()
    for i in range(bsz):
        out[i] = (scores[i] - id2mean[index[i]]) / (id2std[index[i]] + eps)
    return out


def torch_vectorized(scores: torch.Tensor, index: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    uniq, inv = torch.unique(index, return_inverse=True)
    n = torch.zeros(len(uniq)).index_add_(0, inv, torch.ones_like(scores))
    s = torch.zeros(len(uniq)).index_add_(0, inv, scores)
    mean = s / n
    sq = torch.zeros(len(uniq)).index_add_(0, inv, (scores - mean[inv]) ** 2)
    std = torch.sqrt(sq / (n - 1).clamp(min=1))
    mean = torch.where(n > 1, mean, torch.zeros_like(mean))
    std = torch.where(n > 1, std, torch.ones_like(std))
    return (scores - mean[inv]) / (std[inv] + eps)


def timeit(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    torch.set_num_threads(1)
    print(
        f"{'responses':>10} {'native':>12} {'verl loop':>12} {'torch vec':>12} {'loop/native':>12} {'vec/native':>11}"
    )
    for n in (1024, 65536):
        group = 16
        scores = (rng.random(n) < 0.4).astype(np.float32)
        ids = np.repeat(np.arange(n // group), group).astype(np.int64)
        rng.shuffle(ids)  # groups need not be contiguous
        s_t, i_t = torch.from_numpy(scores), torch.from_numpy(ids)

        t_native = timeit(lambda s=scores, i=ids: advantages(s, i), args.repeat)
        t_loop = timeit(
            lambda s=s_t, i=ids: verl_loop(s, i),
            max(1, args.repeat // 2 if n > 10000 else args.repeat),
        )
        t_vec = timeit(lambda s=s_t, i=i_t: torch_vectorized(s, i), args.repeat)
        np.testing.assert_allclose(
            advantages(scores, ids).advantages, torch_vectorized(s_t, i_t).numpy(), atol=1e-4
        )
        print(
            f"{n:>10} {t_native * 1e3:>10.3f}ms {t_loop * 1e3:>10.1f}ms {t_vec * 1e3:>10.3f}ms "
            f"{t_loop / t_native:>11.0f}x {t_vec / t_native:>10.1f}x"
        )


if __name__ == "__main__":
    main()
