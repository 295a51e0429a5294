"""Validation: sample the held-out prompts at the validation settings (Archer2.0: n=4 at
temperature 0.6, top-p 0.95) and score them with the same native call as training."""

from __future__ import annotations

import time

import numpy as np

from archer.rollout.base import SamplingParams
from archer.train.context import DistContext, MetricAcc, reduce_metrics, shard_groups
from archer.train.reward import score_rollouts


def run_validation(engine, val_set, cfg, ctx: DistContext) -> dict[str, float]:
    """`val/*` metrics over every validation prompt (split over ranks by whole prompts)."""
    start = time.perf_counter()
    usable = len(val_set.prompt_ids) - len(val_set.prompt_ids) % ctx.world_size
    local = shard_groups(list(range(usable)), ctx)
    params = SamplingParams(
        n=cfg.rollout.val_n,
        temperature=cfg.rollout.val_temperature,
        top_p=cfg.rollout.val_top_p,
        max_tokens=cfg.rollout.max_response_length,
    )
    outs = engine.generate([val_set.prompt_ids[i] for i in local], params)
    scores = score_rollouts(
        cfg.scoring,
        cfg.algo,
        texts=[cfg.data.assistant_prefill + r.text for r in outs],
        ground_truths=[val_set.examples[local[r.prompt_index]].ground_truth for r in outs],
        group_ids=[local[r.prompt_index] for r in outs],
        response_lengths=[len(r.response_ids) for r in outs],
        finish_reasons=[r.finish_reason for r in outs],
        max_response_length=cfg.rollout.max_response_length,
    )
    n = len(outs)
    correct = scores.correct.reshape(len(local), cfg.rollout.val_n) if n else np.zeros((0, 1))
    acc = MetricAcc()
    acc.mean("val/score/mean", float(scores.raw_scores.mean()) if n else 0.0, n)
    acc.mean("val/accuracy", float(correct.mean()) if n else 0.0, n)
    acc.mean(
        f"val/pass@{cfg.rollout.val_n}", float(correct.any(axis=1).mean()) if n else 0.0, len(local)
    )
    lengths = [len(r.response_ids) for r in outs]
    acc.mean("val/response_length/mean", float(np.mean(lengths)) if n else 0.0, n)
    acc.sum("val/prompts", len(local))
    acc.max("timing_s/testing", time.perf_counter() - start)
    return reduce_metrics(acc, ctx)
