"""The one-call batch scorer the trainer uses: verify + inspect + shaping + advantages + metrics.

``score_batch(responses, ground_truths, group_ids, config=ScoringConfig(...))`` runs entirely in
the native core with the GIL released, in parallel on a fork-safe pool (``threads=0``: all
cores). Order of operations:

1. ``raw_scores``: the verifier's reward (``reward_scheme="binary"``: 1/0; ``"dapo"``: +1/-1);
   a response whose ground truth is ``None`` scores the incorrect reward with status
   ``no_ground_truth``;
2. DAPO soft overlong punishment (verl's DAPO reward manager), on token lengths:
   ``penalty = min(0, -(L - (max_response_length - overlong_buffer_len)) / overlong_buffer_len
   * overlong_penalty_factor)``, added to the reward (needs ``response_lengths``);
3. optional degeneracy shaping, OFF by default (``shaping_mode="off"``): ``"penalty"`` subtracts
   ``shaping_penalty`` from the reward of responses carrying any of ``shaping_flags``;
   ``"zero_advantage"`` keeps rewards and zeroes those responses' advantages.
   Risks: the detectors are heuristics, so a false positive punishes a good response; a penalty
   that makes a correct-but-flagged answer score below an incorrect clean one teaches the policy
   to avoid the flag rather than to reason (e.g. to pad answers past the shortcut bound); with
   ``penalty`` a group whose responses are all flagged and all wrong still gets zero advantage
   under GRPO (a constant shift cancels); ``zero_advantage`` removes the learning signal of
   flagged responses, including correct ones. Watch ``degeneracy/*`` and ``shaping/shaped_rate``
   before turning it on.
4. ``advantages`` from the shaped rewards (GRPO/Dr.GRPO/RLOO as ``archer.scoring.advantages``);
   group stats ``batch/solve_all|solve_none|valid`` count RAW correctness, never shaped rewards.

``metrics`` has stable names: ``critic/score/mean|max|min`` (raw), ``critic/rewards/*``
(shaped), ``critic/advantages/*``, ``batch/*``, ``verify/<status>_rate``,
``response_length/*`` (with lengths), ``overlong/*`` (with a buffer), ``shaping/shaped_rate``
and the inspection metrics (``degeneracy/*``, ``token/*``; see ``archer.scoring.inspect``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from archer import _native
from archer.scoring.inspect import FLAGS, InspectConfig, Inspections

REWARD_SCHEMES = {"binary": (1.0, 0.0), "dapo": (1.0, -1.0)}
SHAPING_MODES = ("off", "penalty", "zero_advantage")


@dataclass(frozen=True)
class ScoringConfig:
    verify_mode: str = "archer"  # or "math_dapo"
    reward_scheme: str = "binary"  # "binary" (1/0) or "dapo" (+1/-1)
    estimator: str = "grpo"
    norm_by_std: bool = True
    std_scope: str = "group"
    epsilon: float = 1e-6
    overlong_buffer_len: int = 0
    max_response_length: int | None = None
    overlong_penalty_factor: float = 1.0
    expected_language: str = "en"
    shaping_penalty: float = 0.0
    shaping_flags: tuple[str, ...] = FLAGS
    shaping_mode: str = "off"
    threads: int = 0
    inspect: InspectConfig = field(default_factory=InspectConfig)


@dataclass(frozen=True)
class BatchScores:
    raw_scores: np.ndarray  # float32 [n], verifier reward before shaping
    rewards: np.ndarray  # float32 [n], after overlong and degeneracy shaping
    correct: np.ndarray  # bool [n]
    advantages: np.ndarray  # float32 [n]
    status: list[str]
    extracted: list[str | None]
    flags: dict[str, np.ndarray]  # repetition, gibberish, language_drift, shortcut -> bool [n]
    inspection: Inspections  # per-response arrays (scores, word counts, 20-gram stats, ...)
    overlong_penalty: np.ndarray  # float32 [n]
    shaped: np.ndarray  # bool [n], responses the degeneracy shaping acted on
    metrics: dict[str, float] = field(repr=False)


def _err(msg: str) -> _native.ScoringInputError:
    return _native.ScoringInputError(msg)


def score_batch(
    responses: Sequence[str],
    ground_truths: Sequence[str | None],
    group_ids: Sequence[int] | np.ndarray,
    *,
    response_lengths: Sequence[int] | np.ndarray | None = None,
    finish_reasons: Sequence[str] | None = None,
    config: ScoringConfig | None = None,
) -> BatchScores:
    """Score a rollout batch in one native call. Bad input raises ``ScoringInputError``."""
    cfg = config or ScoringConfig()
    if cfg.reward_scheme not in REWARD_SCHEMES:
        raise _err(
            f"reward_scheme must be one of {sorted(REWARD_SCHEMES)}, got {cfg.reward_scheme!r}"
        )
    if cfg.shaping_mode not in SHAPING_MODES:
        raise _err(f"shaping_mode must be one of {SHAPING_MODES}, got {cfg.shaping_mode!r}")
    if isinstance(responses, str) or isinstance(ground_truths, str):
        raise _err("responses and ground_truths must be lists, not single strings")
    # The native call checks each item (a str; a ground truth may be None) and names a bad one.
    responses = responses if isinstance(responses, list) else list(responses)
    ground_truths = ground_truths if isinstance(ground_truths, list) else list(ground_truths)
    try:
        groups = np.ascontiguousarray(np.asarray(group_ids), dtype=np.int64)
    except (TypeError, ValueError) as exc:
        raise _err(f"group_ids could not be read as int64: {exc}") from None
    if groups.ndim != 1:
        raise _err(f"group_ids must be one-dimensional, got shape {groups.shape}")
    lengths = None
    if response_lengths is not None:
        arr = np.asarray(response_lengths)
        if arr.ndim != 1 or (
            arr.size and (arr.min() < 0 or not np.issubdtype(arr.dtype, np.integer))
        ):
            raise _err("response_lengths must be a 1-D list of non-negative token counts")
        lengths = np.ascontiguousarray(arr, dtype=np.uint32)
    truncated = None
    if finish_reasons is not None:
        truncated = np.ascontiguousarray([r == "length" for r in finish_reasons], dtype=np.bool_)
    correct_reward, incorrect_reward = REWARD_SCHEMES[cfg.reward_scheme]
    insp = dict(cfg.inspect.as_kwargs())
    insp["expected_language"] = cfg.expected_language
    out = _native.score_batch(
        responses,
        ground_truths,
        groups,
        response_lengths=lengths,
        truncated=truncated,
        verify_mode=cfg.verify_mode,
        correct_reward=correct_reward,
        incorrect_reward=incorrect_reward,
        estimator=cfg.estimator,
        norm_by_std=cfg.norm_by_std,
        std_scope=cfg.std_scope,
        epsilon=cfg.epsilon,
        overlong_buffer_len=int(cfg.overlong_buffer_len),
        max_response_length=None
        if cfg.max_response_length is None
        else int(cfg.max_response_length),
        overlong_penalty_factor=float(cfg.overlong_penalty_factor),
        shaping_mode=cfg.shaping_mode,
        shaping_penalty=float(cfg.shaping_penalty),
        shaping_flags=list(cfg.shaping_flags),
        threads=int(cfg.threads),
        inspect=insp,
    )
    cols = out["inspection"]
    inspection = Inspections(
        columns=cols,
        metrics={
            k: v for k, v in out["metrics"].items() if k.startswith(("degeneracy/", "token/"))
        },
    )
    return BatchScores(
        raw_scores=out["raw_scores"],
        rewards=out["rewards"],
        correct=out["correct"],
        advantages=out["advantages"],
        status=out["status"],
        extracted=out["extracted"],
        flags={f: cols[f] for f in FLAGS},
        inspection=inspection,
        overlong_penalty=out["overlong_penalty"],
        shaped=out["shaped"],
        metrics=out["metrics"],
    )
