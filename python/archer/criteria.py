"""The seeds' monitoring criteria as data: each preset's Good/Bad and "Abandon if" tables.

Read by the trainer's live guardrails and by `archer diagnose`; evaluated by `archer.guard`.
Thresholds are copied exactly from the lab notes (../shared/seeds), including their units: the V2/V3
notes give `logical_connectives` thresholds around 0.05 while the V5 note uses > 5 / < 1 for the
per-response count (`token/pos_logical_connectives`); both are kept as written.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Criterion:
    metric: str  # canonical (verl/Archer) metric name, e.g. "actor/entropy"
    good: str  # the note's "Good"/"Target" cell, verbatim
    bad: str  # the note's "Bad"/"Abandon if" cell, verbatim
    bad_below: float | None = None  # breached when the value is below this
    bad_above: float | None = None  # breached when the value is above this
    at_step: int | None = None  # only judged from this step on (None: every step)
    trend: str | None = None  # "up" / "down": judged on the slope, not a threshold
    abandon: bool = False  # an "Abandon if" row (stop the run) rather than a "Bad" row
    source: str = ""  # which note it comes from

    def describe(self) -> str:
        where = f" at step {self.at_step}" if self.at_step is not None else ""
        return f"{self.metric}{where}: good {self.good}; bad {self.bad}"


_V1 = "seed 003 (v1 monitoring criteria)"
_V2 = "seed 002 (v2 monitoring criteria)"
_V3 = "seed 001 (v3 monitoring criteria)"
_V5 = "seed 000 (v5 monitoring criteria)"

V1_CRITERIA = (
    Criterion("actor/entropy", "> 1.0 at step 100", "< 0.5", bad_below=0.5, source=_V1),
    Criterion("critic/score/mean", "upward trend", "flat or decreasing", trend="up", source=_V1),
    Criterion(
        "batch/solve_none", "decreasing over time", "stuck or increasing", trend="down", source=_V1
    ),
    Criterion("timing_s/step", "< 120s", "> 300s", bad_above=300.0, source=_V1),
    Criterion("actor/grad_norm", "< 5.0", "> 10 (instability)", bad_above=10.0, source=_V1),
)

V2_CRITERIA = (
    Criterion(
        "actor/entropy",
        "3.0-6.0 at step 100",
        "> 7 or < 1",
        bad_below=1.0,
        bad_above=7.0,
        source=_V2,
    ),
    Criterion("token/pos_logical_connectives", "> 0.05", "< 0.02", bad_below=0.02, source=_V2),
    Criterion(
        "response_length/pos/mean",
        "> 50 tokens (actual reasoning)",
        "< 20 tokens (just guessing)",
        bad_below=20.0,
        source=_V2,
    ),
    Criterion(
        "critic/score/mean", "> 0.2 at step 100", "< 0.1", bad_below=0.1, at_step=100, source=_V2
    ),
)

V3_CRITERIA = (
    Criterion(
        "actor/entropy",
        "3.0-6.0 at step 100",
        "> 7 or < 1",
        bad_below=1.0,
        bad_above=7.0,
        source=_V3,
    ),
    Criterion("token/pos_logical_connectives", "> 0.05", "< 0.02", bad_below=0.02, source=_V3),
    Criterion("response_length/pos/mean", "> 50 tokens", "< 20 tokens", bad_below=20.0, source=_V3),
    Criterion("actor/kl_loss", "< 3.0", "> 5.0 (too constrained)", bad_above=5.0, source=_V3),
)

V5_CRITERIA = (
    Criterion(
        "critic/score/mean",
        "> 0.10 at step 200",
        "< 0.05 (plateau)",
        bad_below=0.05,
        at_step=200,
        abandon=True,
        source=_V5,
    ),
    Criterion(
        "critic/score/mean",
        "> 0.15 at step 300",
        "< 0.08",
        bad_below=0.08,
        at_step=300,
        abandon=True,
        source=_V5,
    ),
    Criterion("actor/entropy", "5-9", "< 2 (collapse)", bad_below=2.0, abandon=True, source=_V5),
    Criterion("batch/valid", "> 20", "< 10", bad_below=10.0, abandon=True, source=_V5),
    Criterion(
        "token/pos_logical_connectives", "> 5", "< 1", bad_below=1.0, abandon=True, source=_V5
    ),
)

# v0 is the original 0226c run, which had no written criteria: it is judged by v1's (written to fix
# it). v4 changed only kl_loss_coef from v3 and had no criteria table of its own: it uses v3's.
PRESET_CRITERIA: dict[str, tuple[Criterion, ...]] = {
    "v0": V1_CRITERIA,
    "v1": V1_CRITERIA,
    "v2": V2_CRITERIA,
    "v3": V3_CRITERIA,
    "v4": V3_CRITERIA,
    "v5": V5_CRITERIA,
}


def criteria_for(preset: str) -> tuple[Criterion, ...]:
    """Criteria of a named preset (empty for presets without seed criteria, e.g. smoke, toy)."""
    return PRESET_CRITERIA.get(preset, ())
