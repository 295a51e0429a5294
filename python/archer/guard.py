"""Evaluate monitoring criteria (archer.criteria) over a metric history.

Shared by the trainer's live guardrails (called every step) and by `archer diagnose`. Pure functions:
no I/O, no torch. History rows are dicts `{"step" or "_step": int, metric: value, ...}` using the
canonical (verl/Archer) metric names the criteria name; other spellings are mapped by
`archer.diagnose.aliases` before calling this.

How one criterion is judged at step `s` (documented in docs/diagnose.md):
- threshold rows (`bad_below` / `bad_above`): the value is the median of the last `SMOOTH_WINDOW`
  finite values at or before `s` (so one noisy step neither breaches nor hides a breach); a row with
  `at_step` is judged at that step (`pending` before it).
- trend rows (`trend="up"` / `"down"`): need `TREND_MIN_POINTS` finite values; the mean of the last
  third is compared with the mean of the first third; the change must exceed twice its standard error
  in the good direction, otherwise the row is breached ("flat or decreasing").
- `no_data` when the metric never has a finite value up to `s`.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from archer.criteria import Criterion

SMOOTH_WINDOW = 5
TREND_MIN_POINTS = 20
STEP_KEYS = ("step", "_step", "global_step", "trainer/global_step")

STATUSES = ("pass", "breach", "pending", "no_data")


@dataclass(frozen=True)
class CriterionResult:
    criterion: Criterion
    status: str  # one of STATUSES
    value: float | None  # the judged (smoothed) value, or the late-minus-early change for trends
    step: int | None  # the step the value was judged at
    message: str

    @property
    def abandon(self) -> bool:
        """True when this is an "Abandon if" row and it is breached: the run should stop."""
        return self.criterion.abandon and self.status == "breach"

    @property
    def breached(self) -> bool:
        return self.status == "breach"


def row_step(row: Mapping[str, object]) -> int | None:
    """The training step of a history row (`step`, `_step`, ...), or None when it has none."""
    for key in STEP_KEYS:
        value = row.get(key)
        if isinstance(value, bool) or value is None:
            continue
        try:
            f = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            return int(f)
    return None


def finite(value: object) -> float | None:
    """`value` as a float when it is a finite number, else None (NaN, inf, strings, None, bools)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def metric_points(history: Iterable[Mapping[str, object]], metric: str) -> list[tuple[int, float]]:
    """Finite (step, value) pairs of one metric, sorted by step; a repeated step keeps its last row."""
    by_step: dict[int, float | None] = {}
    for row in history:
        step = row_step(row)
        if step is None or metric not in row:
            continue
        by_step[step] = finite(row[metric])
    return [(s, v) for s, v in sorted(by_step.items()) if v is not None]


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _mean_var(values: Sequence[float]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / max(len(values) - 1, 1)
    return mean, var


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _judge_threshold(c: Criterion, points: list[tuple[int, float]], at: int) -> CriterionResult:
    end = bisect_right(points, (at, math.inf))
    if end == 0:
        return CriterionResult(
            c, "no_data", None, at, f"{c.metric}: no value at or before step {at}"
        )
    window = points[max(0, end - SMOOTH_WINDOW) : end]
    value = _median([v for _, v in window])
    first, last = window[0][0], window[-1][0]
    where = f"step {last}" if first == last else f"median of steps {first}-{last}"
    breaches = []
    if c.bad_below is not None and value < c.bad_below:
        breaches.append(f"< {_fmt(c.bad_below)}")
    if c.bad_above is not None and value > c.bad_above:
        breaches.append(f"> {_fmt(c.bad_above)}")
    status = "breach" if breaches else "pass"
    verdict = f"bad ({' and '.join(breaches)})" if breaches else "ok"
    message = f"{c.metric} = {_fmt(value)} ({where}): {verdict}; good {c.good}, bad {c.bad}"
    return CriterionResult(c, status, value, last, message)


def _judge_trend(c: Criterion, points: list[tuple[int, float]], at: int) -> CriterionResult:
    values = [v for s, v in points if s <= at]
    if not values:
        return CriterionResult(
            c, "no_data", None, at, f"{c.metric}: no value at or before step {at}"
        )
    if len(values) < TREND_MIN_POINTS:
        return CriterionResult(
            c,
            "pending",
            None,
            at,
            f"{c.metric}: {len(values)} points, a trend needs {TREND_MIN_POINTS}",
        )
    third = len(values) // 3
    early_mean, early_var = _mean_var(values[:third])
    late_mean, late_var = _mean_var(values[-third:])
    change = late_mean - early_mean
    tolerance = 2.0 * math.sqrt(early_var / third + late_var / third)
    good = change > tolerance if c.trend == "up" else change < -tolerance
    direction = "rose" if change > 0 else "fell"
    message = (
        f"{c.metric} {direction} by {_fmt(abs(change))} (first third mean {_fmt(early_mean)}, "
        f"last third {_fmt(late_mean)}, noise margin {_fmt(tolerance)}): "
        f"{'ok' if good else 'bad'}; good {c.good}, bad {c.bad}"
    )
    return CriterionResult(c, "pass" if good else "breach", change, at, message)


def evaluate_criterion(
    criterion: Criterion, points: list[tuple[int, float]], step: int
) -> CriterionResult:
    """Judge one criterion on its metric's sorted finite (step, value) points at `step`."""
    if criterion.at_step is not None:
        if step < criterion.at_step:
            return CriterionResult(
                criterion,
                "pending",
                None,
                step,
                f"{criterion.metric}: judged at step {criterion.at_step} (now step {step})",
            )
        step = criterion.at_step
    if criterion.trend in ("up", "down"):
        return _judge_trend(criterion, points, step)
    if criterion.bad_below is None and criterion.bad_above is None:
        return CriterionResult(
            criterion, "pending", None, step, f"{criterion.metric}: no machine-checkable threshold"
        )
    return _judge_threshold(criterion, points, step)


def evaluate_criteria(
    criteria: Iterable[Criterion],
    history: Sequence[Mapping[str, object]],
    step: int | None = None,
) -> list[CriterionResult]:
    """Evaluate every criterion over `history` at `step` (default: the last step in the history).

    Rows may be unsorted or repeat a step (the last row wins); non-finite values are ignored.
    """
    criteria = list(criteria)
    if step is None:
        steps = [s for s in (row_step(r) for r in history) if s is not None]
        step = max(steps) if steps else 0
    cache: dict[str, list[tuple[int, float]]] = {}
    results = []
    for c in criteria:
        if c.metric not in cache:
            cache[c.metric] = metric_points(history, c.metric)
        results.append(evaluate_criterion(c, cache[c.metric], step))
    return results


def first_breach_step(criterion: Criterion, points: list[tuple[int, float]]) -> int | None:
    """First step at which a threshold criterion is breached (None: never, or a trend row)."""
    c = criterion
    if c.trend is not None or (c.bad_below is None and c.bad_above is None) or not points:
        return None
    if c.at_step is not None:
        breached = evaluate_criterion(c, points, max(c.at_step, points[-1][0])).breached
        return c.at_step if breached else None
    window: deque[float] = deque(maxlen=SMOOTH_WINDOW)  # the same trailing median as evaluation
    for step, value in points:
        window.append(value)
        m = _median(list(window))
        if (c.bad_below is not None and m < c.bad_below) or (
            c.bad_above is not None and m > c.bad_above
        ):
            return step
    return None


def abandon_reasons(results: Iterable[CriterionResult]) -> list[str]:
    """Messages of the breached "Abandon if" rows (empty: keep training)."""
    return [r.message for r in results if r.abandon]
