"""Scoring a step's rollouts: one call to the native batch scorer (`archer.scoring.score_batch`:
verify + inspect + DAPO overlong shaping + group advantages), plus the trainer's own policy of
rejecting zero-variance groups (Archer's `rejection_sample`, judged on RAW scores).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class StepScores:
    raw_scores: np.ndarray  # verifier outcome per response (before shaping)
    rewards: np.ndarray  # after overlong shaping: what advantages are computed from
    correct: np.ndarray  # bool
    advantages: np.ndarray  # float32, per response
    metrics: dict[str, float]  # critic/score/*, batch/*, token/*, degeneracy/* from the scorer
    extracted: list | None = None


def score_rollouts(
    scoring_cfg,
    algo_cfg,
    *,
    texts: list[str],
    ground_truths: list[str],
    group_ids: list[int],
    response_lengths: list[int],
    finish_reasons: list[str],
    max_response_length: int,
) -> StepScores:
    from archer.scoring import ScoringConfig, score_batch

    config = ScoringConfig(
        verify_mode=scoring_cfg.verify_mode,
        reward_scheme=scoring_cfg.reward_scheme,
        estimator=algo_cfg.estimator,
        norm_by_std=algo_cfg.norm_by_std,
        overlong_buffer_len=scoring_cfg.overlong_buffer_len,
        max_response_length=max_response_length,
        overlong_penalty_factor=scoring_cfg.overlong_penalty_factor,
        threads=scoring_cfg.threads,
    )
    out = score_batch(
        texts,
        ground_truths,
        np.asarray(group_ids, dtype=np.int64),
        response_lengths=np.asarray(response_lengths, dtype=np.int64),
        finish_reasons=finish_reasons,
        config=config,
    )
    return StepScores(
        raw_scores=np.asarray(out.raw_scores, dtype=np.float64),
        rewards=np.asarray(out.rewards, dtype=np.float64),
        correct=np.asarray(out.correct, dtype=bool),
        advantages=np.asarray(out.advantages, dtype=np.float32),
        metrics={k: float(v) for k, v in dict(out.metrics).items()},
        extracted=list(out.extracted) if getattr(out, "extracted", None) is not None else None,
    )


def zero_variance_keep(raw_scores: np.ndarray, group_ids: list[int]) -> np.ndarray:
    """Bool mask of responses whose group's raw scores are NOT all equal (the groups that carry a
    learning signal). Archer rejects the others from the update."""
    gids = np.asarray(group_ids)
    keep = np.zeros(len(gids), dtype=bool)
    for g in np.unique(gids):
        sel = gids == g
        scores = raw_scores[sel]
        keep[sel] = bool(np.ptp(scores) > 0)
    return keep
