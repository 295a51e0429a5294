"""archer.guard: the seeds' monitoring criteria judged over metric histories."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from archer.criteria import Criterion, criteria_for
from archer.guard import (
    CriterionResult,
    abandon_reasons,
    evaluate_criteria,
    first_breach_step,
    metric_points,
)

RUNS = Path(__file__).resolve().parents[2] / "shared" / "data" / "runs"

ENTROPY_FLOOR = Criterion("actor/entropy", "> 1", "< 0.5", bad_below=0.5)
ABANDON_VALID = Criterion("batch/valid", "> 20", "< 10", bad_below=10.0, abandon=True)
SCORE_AT_20 = Criterion("critic/score/mean", "> 0.1 at 20", "< 0.05", bad_below=0.05, at_step=20)
SCORE_UP = Criterion("critic/score/mean", "upward trend", "flat or decreasing", trend="up")


def _rows(metric: str, values: list[float], key: str = "step") -> list[dict]:
    return [{key: i + 1, metric: v} for i, v in enumerate(values)]


def test_threshold_pass_and_breach_use_the_smoothed_value():
    healthy = evaluate_criteria([ENTROPY_FLOOR], _rows("actor/entropy", [2.0] * 10))
    assert healthy[0].status == "pass" and healthy[0].value == pytest.approx(2.0)
    # one noisy dip does not breach; a sustained fall does
    dip = evaluate_criteria([ENTROPY_FLOOR], _rows("actor/entropy", [2.0] * 9 + [0.1]))
    assert dip[0].status == "pass"
    fallen = evaluate_criteria([ENTROPY_FLOOR], _rows("actor/entropy", [2.0] * 7 + [0.3] * 3))
    assert fallen[0].status == "breach" and fallen[0].step == 10
    assert "< 0.5" in fallen[0].message


def test_step_argument_judges_the_past_and_w_and_b_step_key():
    rows = _rows("actor/entropy", [2.0] * 5 + [0.1] * 10, key="_step")
    assert evaluate_criteria([ENTROPY_FLOOR], rows, step=5)[0].status == "pass"
    assert evaluate_criteria([ENTROPY_FLOOR], rows)[0].status == "breach"


def test_at_step_rows_are_pending_before_their_step_then_judged_there():
    rows = _rows("critic/score/mean", [0.0] * 19 + [0.2] * 30)
    assert evaluate_criteria([SCORE_AT_20], rows, step=10)[0].status == "pending"
    late = evaluate_criteria([SCORE_AT_20], rows)[0]
    assert late.step == 20 and late.status == "breach"  # median of steps 16-20 is 0.0


def test_trend_rows_need_enough_points_and_see_flat_as_bad():
    rising = [0.01 * i for i in range(40)]
    assert evaluate_criteria([SCORE_UP], _rows("critic/score/mean", rising[:10]))[0].status == (
        "pending"
    )
    assert evaluate_criteria([SCORE_UP], _rows("critic/score/mean", rising))[0].status == "pass"
    flat = [0.1 + 0.02 * math.sin(i) for i in range(40)]
    assert evaluate_criteria([SCORE_UP], _rows("critic/score/mean", flat))[0].status == "breach"


def test_abandon_only_for_breached_abandon_rows():
    rows = _rows("batch/valid", [30.0] * 5 + [2.0] * 5)
    (result,) = evaluate_criteria([ABANDON_VALID], rows)
    assert isinstance(result, CriterionResult) and result.abandon
    assert abandon_reasons([result]) == [result.message]
    (ok,) = evaluate_criteria([ABANDON_VALID], _rows("batch/valid", [30.0] * 10))
    assert not ok.abandon and abandon_reasons([ok]) == []


def test_missing_nan_unsorted_and_duplicate_rows():
    assert evaluate_criteria([ENTROPY_FLOOR], [{"step": 1, "x": 1.0}])[0].status == "no_data"
    assert evaluate_criteria([ENTROPY_FLOOR], [])[0].status == "no_data"
    rows = [
        {"step": 3, "actor/entropy": 0.1},
        {"step": 1, "actor/entropy": float("nan")},
        {"step": 2, "actor/entropy": float("inf")},
        {"step": 3, "actor/entropy": 2.0},  # a re-logged step: the last row wins
        {"step": "bad"},
    ]
    assert metric_points(rows, "actor/entropy") == [(3, 2.0)]
    assert evaluate_criteria([ENTROPY_FLOOR], rows)[0].status == "pass"


def test_first_breach_step():
    points = metric_points(_rows("actor/entropy", [2.0] * 10 + [0.2] * 10), "actor/entropy")
    assert first_breach_step(ENTROPY_FLOOR, points) == 13  # median of 5 turns bad at the 3rd low
    assert first_breach_step(SCORE_UP, points) is None


def test_v4_history_breaches_the_v5_abandon_rows():
    rows = [json.loads(line) for line in (RUNS / "v4.jsonl").read_text().splitlines()]
    results = evaluate_criteria(criteria_for("v5"), rows)
    by_metric = {(r.criterion.metric, r.criterion.at_step): r for r in results}
    assert by_metric[("batch/valid", None)].abandon  # valid fell to 1 of 64
    assert by_metric[("critic/score/mean", 200)].status == "pending"  # only 17 steps
    assert by_metric[("actor/entropy", None)].status == "pass"  # oscillating but high
