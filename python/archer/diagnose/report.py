"""Assemble a diagnosis: verdict, findings, the preset's criteria, a trend table, recommendations.

`Report.to_dict()` is the stable `--json` schema (schema_version 1, documented in docs/diagnose.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from archer.criteria import criteria_for
from archer.diagnose.aliases import LABELS
from archer.diagnose.findings import KINDS, Finding, find_all
from archer.diagnose.readers import RunData
from archer.diagnose.recommend import recommendations
from archer.diagnose.series import config_number, config_value, series
from archer.guard import evaluate_criterion, first_breach_step, metric_points

SCHEMA_VERSION = 1
VERDICTS = ("healthy", "warning", "collapsed", "diverged")
DIVERGED_BY = ("nan_loss", "grad_explosion")  # critical ones make the run "diverged"
COLLAPSED_BY = ("entropy_collapse", "valid_collapse")  # critical ones make it "collapsed"
TREND_METRICS = (
    "actor/entropy",
    "critic/score/mean",
    "batch/valid",
    "batch/solve_none",
    "actor/kl_loss",
    "response_length/mean",
    "response_length/pos/mean",
    "token/pos_logical_connectives",
    "actor/grad_norm",
    "timing_s/step",
)
MAX_TREND_STEPS = 6


@dataclass
class Report:
    run: RunData
    verdict: str
    findings: list[Finding]
    criteria: list[dict]
    preset: str | None
    recommendations: list[dict]
    trend: dict
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        run = self.run
        return {
            "schema_version": SCHEMA_VERSION,
            "run": {
                "name": run.name,
                "source": run.source,
                "steps": len(run.history),
                "first_step": run.steps[0],
                "last_step": run.steps[-1],
                "preset": self.preset,
                "config": key_config(run.config),
            },
            "verdict": self.verdict,
            "findings": [
                {
                    "kind": f.kind,
                    "step": f.step,
                    "severity": f.severity,
                    "message": f.message,
                    "evidence": _json_safe(f.evidence),
                }
                for f in self.findings
            ],
            "criteria": _json_safe(self.criteria),
            "recommendations": self.recommendations,
            "trend": _json_safe(self.trend),
            "skipped": self.skipped,
            "notes": run.notes,
        }


def _json_safe(value: object) -> object:
    """NaN/inf become None so the JSON output is strict JSON."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def key_config(config: dict) -> dict:
    """The training parameters the seeds compare runs by (None where the config lacks them)."""
    names = ("entropy_coeff", "kl_loss_coef", "max_response_length", "train_batch_size", "lr")
    return {name: config_number(config, name) for name in names}


def run_preset(run: RunData, override: str | None) -> str | None:
    """Whose criteria to check: --preset, else the run's `guard.criteria`, else its `preset`."""
    if override:
        return override
    guard = run.config.get("guard") if isinstance(run.config, dict) else None
    if isinstance(guard, dict) and guard.get("criteria"):
        return str(guard["criteria"])
    value = config_value(run.config, "preset")
    return str(value) if value else None


def check_criteria(run: RunData, preset: str | None) -> list[dict]:
    """Each criterion of the preset judged at the end of the run, plus its first breach step."""
    if not preset:
        return []
    last = run.steps[-1]
    rows = []
    for c in criteria_for(preset):
        points = metric_points(run.history, c.metric)
        result = evaluate_criterion(c, points, last)
        rows.append(
            {
                "metric": c.metric,
                "good": c.good,
                "bad": c.bad,
                "at_step": c.at_step,
                "status": result.status,
                "value": result.value,
                "step": result.step,
                "first_breach_step": first_breach_step(c, points),
                "abandon": result.abandon,
                "message": result.message,
                "source": c.source,
            }
        )
    return rows


def verdict_of(findings: list[Finding], criteria: list[dict]) -> str:
    critical = {f.kind for f in findings if f.severity == "critical"}
    if critical & set(DIVERGED_BY):
        return "diverged"
    if critical & set(COLLAPSED_BY):
        return "collapsed"
    if any(f.severity in ("warning", "critical") for f in findings):
        return "warning"
    if any(c["abandon"] for c in criteria):
        return "warning"
    return "healthy"


def key_steps(run: RunData, findings: list[Finding]) -> list[int]:
    """First and last step, where findings begin, and evenly spaced steps to fill the table."""
    steps = run.steps
    chosen = {steps[0], steps[-1]}
    for f in findings:
        if len(chosen) >= MAX_TREND_STEPS:
            break
        chosen.add(min(steps, key=lambda s: abs(s - f.step)))
    for q in (0.5, 0.25, 0.75, 0.125, 0.375, 0.625):
        if len(chosen) >= MAX_TREND_STEPS:
            break
        chosen.add(steps[int(q * (len(steps) - 1))])
    return sorted(chosen)


def trend_word(metric: str, values: np.ndarray) -> str:
    """A one-phrase summary of a series, as the seeds' tables' "Trend" column."""
    if len(values) < 3:
        return "-"
    k = max(1, min(10, len(values) // 10))
    start, end = float(np.median(values[:k])), float(np.median(values[-3:]))  # where it ended up
    peak = float(np.max(values))
    if metric == "critic/score/mean":
        if end - start >= 0.05:
            return "Improving"
        return "Declining" if start - end >= 0.05 else "Flat"
    if start <= 0:
        return "Rising" if end > start else "Flat"
    if end <= 0.25 * start:
        return "Rose then collapsed" if peak >= 1.3 * start else "Collapsed"
    if end >= 1.5 * start:
        return "Rising"
    if end <= 0.67 * start:
        return "Falling"
    return "Stable"


def trend_table(run: RunData, findings: list[Finding]) -> dict:
    steps = key_steps(run, findings)
    rows = []
    for metric in TREND_METRICS:
        s = series(run.history, metric)
        if not len(s):
            continue
        by_step = dict(zip(s.steps.tolist(), s.values.tolist()))
        rows.append(
            {
                "metric": metric,
                "label": LABELS.get(metric, metric),
                "values": [by_step.get(step) for step in steps],
                "trend": trend_word(metric, s.values),
            }
        )
    return {"steps": steps, "rows": rows}


def build_report(run: RunData, preset: str | None = None) -> Report:
    findings, skipped = find_all(run)
    name = run_preset(run, preset)
    criteria = check_criteria(run, name)
    if name and not criteria:
        skipped.append(f"criteria: preset '{name}' has no monitoring criteria")
    elif not name:
        skipped.append("criteria: no preset in the run config (pass --preset v1..v5 to check one)")
    return Report(
        run=run,
        verdict=verdict_of(findings, criteria),
        findings=findings,
        criteria=criteria,
        preset=name,
        recommendations=recommendations(findings, run.config),
        trend=trend_table(run, findings),
        skipped=skipped,
    )


__all__ = ["KINDS", "SCHEMA_VERSION", "VERDICTS", "Report", "build_report"]
