"""The one table of metric-name spellings: archer, verl, the Archer fork, W&B exports, TRL.

Every reader maps its keys through `canonical_name` so the rules only ever see canonical (verl/Archer)
names. Matching is case-insensitive; a leading `train/` (W&B panels) is also tried without it.
"""

from __future__ import annotations

from collections.abc import Mapping

# canonical name -> other spellings seen in the wild
ALIASES: dict[str, tuple[str, ...]] = {
    "actor/entropy": ("actor/entropy_loss", "entropy", "policy/entropy", "actor/entropy_mean"),
    "critic/score/mean": (
        "score/mean",
        "reward/mean",
        "rewards/mean",
        "reward",
        "critic/rewards/mean",
        "train/reward",
        "score",
    ),
    "actor/kl_loss": ("kl_loss", "actor/kl", "kl", "objective/kl", "actor/kl_divergence"),
    "actor/grad_norm": ("grad_norm", "actor/grad_norm_before_clip", "policy/grad_norm"),
    "actor/pg_loss": ("pg_loss", "actor/policy_loss", "policy_loss", "loss", "actor/loss"),
    "response_length/mean": (
        "response_length",
        "resp_len/mean",
        "response_len/mean",
        "completions/mean_length",
        "completion_length",
    ),
    "response_length/max": ("resp_len/max", "completions/max_length"),
    "response_length/clip_ratio": (
        "response_length/clip_frac",
        "response_length/overlong_ratio",
        "completions/clipped_ratio",
    ),
    "response_length/pos/mean": (
        "pos_response_length/mean",
        "response_length/correct/mean",
        "pos_resp_len/mean",
        "resp_len/pos/mean",
    ),
    "batch/valid": ("valid", "batch/valid_groups", "train/valid"),
    "batch/solve_none": ("solve_none", "batch/solve_none_groups"),
    "batch/solve_all": ("solve_all", "batch/solve_all_groups"),
    "token/pos_logical_connectives": (
        "logical_connectives",
        "token/logical_connectives",
        "pos_logical_connectives",
        "logical_conn",
    ),
    "timing_s/step": ("timing/step", "time/step", "step_time", "timing_s/step_time", "perf/time"),
    "degeneracy/repetition_rate": ("degeneracy/repetition", "repetition_rate"),
    "degeneracy/gibberish_rate": ("degeneracy/gibberish", "gibberish_rate"),
    "degeneracy/language_drift_rate": ("degeneracy/language_drift", "language_drift_rate"),
    "degeneracy/shortcut_rate": ("degeneracy/shortcut", "shortcut_rate"),
}

# Human labels, in the seeds' post-mortem tables' words.
LABELS: dict[str, str] = {
    "actor/entropy": "Entropy",
    "critic/score/mean": "Score/mean",
    "batch/valid": "Valid",
    "batch/solve_none": "Solve_none",
    "batch/solve_all": "Solve_all",
    "actor/kl_loss": "KL_loss",
    "response_length/mean": "Resp_len/mean",
    "response_length/pos/mean": "Pos resp len",
    "token/pos_logical_connectives": "Logical_conn",
    "actor/grad_norm": "Grad norm",
    "timing_s/step": "Step time (s)",
    "response_length/clip_ratio": "Clip ratio",
}

_LOOKUP: dict[str, str] = {}
for _canonical, _others in ALIASES.items():
    _LOOKUP[_canonical.lower()] = _canonical
    for _other in _others:
        _LOOKUP.setdefault(_other.lower(), _canonical)


def canonical_name(key: str) -> str:
    """The canonical metric name for `key` (unknown names come back unchanged)."""
    lowered = key.strip().lower()
    if lowered in _LOOKUP:
        return _LOOKUP[lowered]
    if lowered.startswith("train/") and lowered[6:] in _LOOKUP:
        return _LOOKUP[lowered[6:]]
    return key


def canonicalize(row: Mapping[str, object]) -> dict[str, object]:
    """A copy of `row` with canonical metric names; a canonical key wins over an alias of it."""
    out: dict[str, object] = {}
    exact = {k for k in row if canonical_name(k) == k}
    for key, value in row.items():
        name = canonical_name(key)
        if name != key and name in exact:
            continue
        out.setdefault(name, value)
    return out
