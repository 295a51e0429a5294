"""Pure numeric helpers for the finding rules: metric series, smoothing, early baselines, config."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

SMOOTH_WINDOW = 5  # centered rolling median: one noisy step never decides a level rule
BASELINE_FRACTION = 0.05  # the early baseline is the median of the first 5% of points ...
BASELINE_MIN, BASELINE_MAX = 3, 10  # ... but at least 3 and at most 10 points


@dataclass(frozen=True)
class Series:
    steps: np.ndarray  # int steps of the finite values, ascending
    values: np.ndarray  # finite float values

    def __len__(self) -> int:
        return len(self.values)

    @cached_property
    def smooth(self) -> np.ndarray:
        return rolling_median(self.values)

    @cached_property
    def baseline(self) -> float:
        return early_baseline(self.values)

    @property
    def baseline_len(self) -> int:
        return baseline_points(len(self.values))

    def at(self, step: int) -> float | None:
        """The value at `step`, or at the nearest logged step (None when empty)."""
        if not len(self):
            return None
        i = int(np.argmin(np.abs(self.steps - step)))
        return float(self.values[i])


def series(history: Sequence[Mapping[str, float]], metric: str) -> Series:
    """Finite values of `metric` over a normalized history (sorted unique steps)."""
    steps, values = [], []
    for row in history:
        v = row.get(metric)
        if v is not None and math.isfinite(v):
            steps.append(int(row["step"]))
            values.append(float(v))
    return Series(np.asarray(steps, dtype=np.int64), np.asarray(values, dtype=np.float64))


def rolling_median(values: np.ndarray, window: int = SMOOTH_WINDOW) -> np.ndarray:
    """Centered rolling median; the window shrinks at both ends."""
    if not len(values):
        return np.asarray(values, dtype=np.float64)
    half = window // 2
    padded = np.pad(np.asarray(values, dtype=np.float64), half, constant_values=np.nan)
    return np.nanmedian(np.lib.stride_tricks.sliding_window_view(padded, window), axis=1)


def baseline_points(n: int) -> int:
    return max(BASELINE_MIN, min(BASELINE_MAX, round(BASELINE_FRACTION * n)))


def early_baseline(values: np.ndarray) -> float:
    """Median of the run's first few points: what "normal" looked like for this run."""
    if not len(values):
        return float("nan")
    return float(np.median(values[: baseline_points(len(values))]))


def first_run(mask: np.ndarray, length: int = 1, start: int = 0) -> int | None:
    """Index of the first `length` consecutive True values at or after `start`."""
    count = 0
    for i in range(start, len(mask)):
        count = count + 1 if mask[i] else 0
        if count >= length:
            return i - length + 1
    return None


def flatten(config: Mapping, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in config.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(flatten(value, name))
        else:
            out[name] = value
    return out


CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "entropy_coeff": ("entropy_coeff", "entropy_coef"),
    "kl_loss_coef": ("kl_loss_coef", "kl_coef"),
    "max_response_length": ("max_response_length",),
    "train_batch_size": ("train_batch_size", "train_prompt_bsz"),
    "n_resp_per_prompt": ("n_resp_per_prompt", "rollout.n", "n_samples"),
    "lr": ("optim.lr", "lr", "learning_rate"),
    "temperature": ("temperature",),
}


def config_value(config: Mapping, name: str) -> object | None:
    """A training parameter by its short name, wherever the config nests it (verl or archer)."""
    flat = flatten(config)
    for suffix in CONFIG_KEYS.get(name, (name,)):
        for key, value in flat.items():
            key = key.removesuffix(".value")  # W&B config.yaml cells: {name: {value: ...}}
            if (key == suffix or key.endswith("." + suffix)) and value is not None:
                return value
    return None


def config_number(config: Mapping, name: str) -> float | None:
    value = config_value(config, name)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None
