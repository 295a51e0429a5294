"""Group advantage normalization over the native core.

Estimators (n = responses in the group, r = raw scalar score of a response):

- ``grpo`` with ``norm_by_std=True`` (default), exactly verl's ``compute_grpo_outcome_advantage``
  (verl/trainer/ppo/core_algos.py): ``A = (r - mean_g) / (std_g + eps)``, ``std_g`` the sample
  standard deviation (n - 1, torch.std's default), ``eps = 1e-6``; a group of one response uses
  mean 0 and std 1.
- ``grpo`` with ``norm_by_std=False``: Dr.GRPO (Liu et al. 2025, "Understanding R1-Zero-Like
  Training"; verl's ``norm_adv_by_std_in_grpo=False``): ``A = r - mean_g``.
- ``rloo``: REINFORCE leave-one-out (Ahmadian et al. 2024; verl's
  ``compute_rloo_outcome_advantage``): ``A = r - mean(other responses) = n/(n-1) (r - mean_g)``;
  a group of one keeps ``A = r``.
- ``std_scope="batch"``: group mean, batch standard deviation (Liu et al. 2025, "Tricks or
  Traps? A Deep Dive into RL for LLM Reasoning"): ``A = (r - mean_g) / (std_batch + eps)``.

Group stats are counted on RAW outcomes (before any shaping), as Archer logs them:
``solve_all`` (every response correct), ``solve_none`` (none correct), ``valid`` (mixed).
Pass ``correct`` for exact outcomes; otherwise a response counts as correct when its score is > 0
(right for 0/1 rewards and for DAPO's ±1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from archer import _native

if TYPE_CHECKING:
    import torch

ESTIMATORS = ("grpo", "rloo")


@dataclass(frozen=True)
class AdvantageResult:
    advantages: np.ndarray  # float32 [n]
    group_index: np.ndarray  # uint32 [n], dense group number in order of first appearance
    n_groups: int
    solve_all: int
    solve_none: int
    valid: int

    def metrics(self) -> dict[str, float]:
        """The `batch/*` metrics Archer logs."""
        return {
            "batch/solve_all": float(self.solve_all),
            "batch/solve_none": float(self.solve_none),
            "batch/valid": float(self.valid),
        }


def _as_array(x, dtype, name: str) -> np.ndarray:
    try:
        arr = np.ascontiguousarray(np.asarray(x), dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise _native.ScoringInputError(
            f"{name} could not be read as {np.dtype(dtype).name}: {exc}"
        ) from None
    if arr.ndim != 1:
        raise _native.ScoringInputError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def advantages(
    scores: Sequence[float] | np.ndarray,
    group_ids: Sequence[int] | np.ndarray,
    *,
    estimator: str = "grpo",
    norm_by_std: bool = True,
    std_scope: str = "group",
    epsilon: float = 1e-6,
    correct: Sequence[bool] | np.ndarray | None = None,
) -> AdvantageResult:
    """Per-response advantages and group stats; see the module docstring for the formulas.

    ``scores`` float32-compatible [n]; ``group_ids`` integers [n] (any values, groups need not be
    contiguous or equal-sized). float32/int64 contiguous numpy inputs are read without a copy.
    Raises ``ScoringInputError`` (a ``ValueError``) for empty batches, length mismatches,
    non-finite scores and unknown estimator names.
    """
    s = _as_array(scores, np.float32, "scores")
    g = _as_array(group_ids, np.int64, "group_ids")
    c = None if correct is None else _as_array(correct, np.bool_, "correct")
    adv, gidx, stats = _native.group_advantages(
        s,
        g,
        estimator=estimator,
        norm_by_std=norm_by_std,
        std_scope=std_scope,
        epsilon=epsilon,
        correct=c,
    )
    return AdvantageResult(
        advantages=adv,
        group_index=gidx,
        n_groups=stats["n_groups"],
        solve_all=stats["solve_all"],
        solve_none=stats["solve_none"],
        valid=stats["valid"],
    )


def broadcast_to_tokens(
    advantages: np.ndarray | torch.Tensor, response_mask: torch.Tensor
) -> torch.Tensor:
    """Token-level advantages [batch, tokens]: each response's scalar times its response mask."""
    import torch

    adv = torch.as_tensor(advantages, device=response_mask.device)
    if adv.ndim != 1 or adv.shape[0] != response_mask.shape[0]:
        raise ValueError(
            f"advantages has shape {tuple(adv.shape)} but response_mask has "
            f"{response_mask.shape[0]} rows: pass one advantage per response"
        )
    return adv.to(torch.float32).unsqueeze(-1) * response_mask.to(torch.float32)
