"""Per-step metrics and rollout samples: the scorer's metrics plus what only the loop knows, with
how each one combines across ranks (see archer.train.context.MetricAcc)."""

from __future__ import annotations

from typing import Any

import numpy as np

from archer.config import Config
from archer.train.context import MetricAcc

_COUNTS = ("batch/solve_all", "batch/solve_none", "batch/valid", "batch/n_groups")


def _subset(name: str) -> str | None:
    """'pos' / 'neg' for metrics averaged over correct / incorrect responses only."""
    for part in ("pos", "neg"):
        if f"/{part}_" in name or f"/{part}/" in name:
            return part
    return None


def add_scorer_metrics(acc: MetricAcc, metrics: dict[str, float], n: int, n_pos: int) -> None:
    """Each scorer metric with its cross-rank rule: group counts add up, extremes take the max /
    min, means are weighted by the responses they average over (all, correct only, incorrect
    only). A rank with no such responses gives the value weight 0: it is ignored across ranks,
    and a step where no response at all is correct (or incorrect) logs NaN (null, "no value")
    for the pos (neg) metrics instead of the scorer's placeholder 0, which the criteria would
    read as a collapse (e.g. "response_length/pos/mean < 20")."""
    weights = {None: n, "pos": n_pos, "neg": n - n_pos}
    for name, value in metrics.items():
        if name in _COUNTS:
            acc.sum(name, value)
        elif name.endswith("/max"):
            acc.max(name, value)
        elif name.endswith("/min"):
            acc.min(name, value)
        else:
            weight = weights[_subset(name)]
            acc.mean(name, value if weight else 0.0, weight)


def record_batch_metrics(acc: MetricAcc, rollouts, scores, keep: np.ndarray, n: int) -> None:
    """The scorer's metrics (critic/*, batch/*, response_length/*, token/*, degeneracy/*), plus
    what only the loop knows; a name the scorer already reports is never added twice."""
    count = len(rollouts)
    add_scorer_metrics(acc, scores.metrics, count, int(scores.correct.sum()))
    lengths = np.array([len(r.response_ids) for r in rollouts], dtype=np.float64)
    own = MetricAcc()
    own.mean("critic/rewards/mean", float(scores.rewards.mean()), count)
    own.max("critic/rewards/max", float(scores.rewards.max()))
    own.min("critic/rewards/min", float(scores.rewards.min()))
    own.mean("critic/advantages/mean", float(scores.advantages.mean()), count)
    own.max("critic/advantages/max", float(scores.advantages.max()))
    own.min("critic/advantages/min", float(scores.advantages.min()))
    own.mean("response_length/mean", float(lengths.mean()), count)
    own.max("response_length/max", float(lengths.max()))
    own.min("response_length/min", float(lengths.min()))
    clipped = np.mean([r.finish_reason == "length" for r in rollouts])
    own.mean("response_length/clip_ratio", float(clipped), count)
    pos = scores.correct
    # weight 0 (no correct response) reduces to NaN, logged as null: "no value this step"
    own.mean(
        "response_length/pos/mean", float(lengths[pos].mean()) if pos.any() else 0.0, pos.sum()
    )
    own.mean("prompt_length/mean", float(np.mean([len(r.prompt_ids) for r in rollouts])), count)
    own.sum("batch/kept_responses", int(keep.sum()))
    own.sum("batch/rejected_groups", int((~keep).sum()) // n)
    acc.add_missing(own, skip=scores.metrics)


def rollout_records(rollouts, examples, scores, cfg: Config) -> list[dict[str, Any]]:
    """A deterministic sample of the step's rollouts (whole groups first) for diagnose."""
    k = cfg.tracking.rollouts_per_step
    records = []
    for i, r in enumerate(rollouts[:k]):
        records.append(
            {
                "prompt_index": r.prompt_index,
                "source": examples[i].origin,
                "data_source": examples[i].data_source,
                "response": cfg.data.assistant_prefill + r.text,
                "ground_truth": examples[i].ground_truth,
                "score": float(scores.raw_scores[i]),
                "reward": float(scores.rewards[i]),
                "advantage": float(scores.advantages[i]),
                "correct": bool(scores.correct[i]),
                "response_length": len(r.response_ids),
                "finish_reason": r.finish_reason,
                "extracted": None if scores.extracted is None else scores.extracted[i],
            }
        )
    return records
