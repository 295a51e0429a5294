"""Synthetic metric histories for the `archer diagnose` tests: a healthy GRPO run and its failures.

Shapes follow the seeds' runs (64 prompts x 16 responses, entropy ~3-4, score in [-1, 1]) with
independent noise per step, so the rules are exercised on noise, not on clean lines.
"""

from __future__ import annotations

import numpy as np


def healthy_history(steps: int = 300, seed: int = 0, noise: float = 1.0) -> list[dict]:
    """A run that learns: score rises and saturates, entropy drifts gently down, valid stays ~30."""
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(1, steps + 1):
        frac = t / steps
        entropy = 3.6 - 0.5 * frac
        valid = float(np.clip(round(30 + 4 * noise * rng.standard_normal()), 5, 60))
        solve_all = float(round(3 * frac))
        spike = 2.5 if rng.random() < 0.02 else 1.0  # healthy runs have lone grad-norm spikes
        rows.append(
            {
                "step": t,
                "actor/entropy": entropy * (1 + 0.05 * noise * rng.standard_normal()),
                "critic/score/mean": -0.15
                + 0.45 * (1 - np.exp(-t / 120))
                + 0.02 * noise * rng.standard_normal(),
                "batch/valid": valid,
                "batch/solve_all": solve_all,
                "batch/solve_none": 64 - valid - solve_all,
                "actor/kl_loss": abs(0.002 + 0.4 * frac)
                * (1 + 0.1 * noise * rng.standard_normal()),
                "actor/grad_norm": 3.0
                * spike
                * float(np.exp(0.15 * noise * rng.standard_normal())),
                "actor/pg_loss": 0.01 * noise * rng.standard_normal(),
                "response_length/mean": 1200 * (1 + 0.06 * noise * rng.standard_normal()),
                "response_length/pos/mean": 1000 * (1 + 0.06 * noise * rng.standard_normal()),
                "response_length/clip_ratio": max(
                    0.0, 0.01 + 0.005 * noise * rng.standard_normal()
                ),
                "token/pos_logical_connectives": 6.0 * (1 + 0.08 * noise * rng.standard_normal()),
                "timing_s/step": 110 * (1 + 0.07 * noise * rng.standard_normal()),
            }
        )
    return rows


def with_metric(rows: list[dict], metric: str, values) -> list[dict]:
    """A copy of `rows` with `metric` replaced by `values` (one per row)."""
    return [{**r, metric: float(v)} for r, v in zip(rows, values)]


def without(rows: list[dict], *metrics: str) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in metrics} for r in rows]


def verl_healthy_history(steps: int = 400, seed: int = 0) -> list[dict]:
    """A healthy run as plain verl logs it: [0, 1] reward, low entropy, lengths growing, W&B `_step`."""
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(0, steps):
        frac = t / steps
        rows.append(
            {
                "_step": t,
                "actor/entropy": (0.5 - 0.15 * frac) * (1 + 0.04 * rng.standard_normal()),
                "critic/score/mean": 0.2
                + 0.4 * (1 - np.exp(-t / 150))
                + 0.02 * rng.standard_normal(),
                "critic/rewards/mean": 0.2 + 0.4 * (1 - np.exp(-t / 150)),
                "response_length/mean": 500 + 400 * frac + 30 * rng.standard_normal(),
                "response_length/max": 4096.0 if rng.random() < 0.3 else 3000 + 900 * rng.random(),
                "response_length/clip_ratio": max(0.0, 0.005 + 0.003 * rng.standard_normal()),
                "actor/kl_loss": 0.0001 + 0.01 * frac * (1 + 0.1 * rng.standard_normal()),
                "actor/grad_norm": 0.3 * float(np.exp(0.2 * rng.standard_normal())),
                "actor/pg_loss": 0.01 * rng.standard_normal(),
                "actor/pg_clipfrac": 0.002,
                "timing_s/step": 60 + 30 * frac + 5 * rng.standard_normal(),
            }
        )
    return rows
