"""Every finding rule of `archer diagnose`, firing and not firing, on noisy synthetic histories."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from archer.diagnose.findings import KINDS, find_all, zigzag
from archer.diagnose.readers import RunData, normalize_history
from archer.diagnose.report import build_report
from diagnose_synth import healthy_history, verl_healthy_history, with_metric, without

N = 200


def run_of(rows: list[dict], config: dict | None = None, rollouts: dict | None = None) -> RunData:
    notes: list[str] = []
    history = normalize_history(rows, notes)
    return RunData("synthetic", "test", history, config or {}, rollouts or {}, notes)


def kinds(rows: list[dict], **kw) -> dict:
    found, _ = find_all(run_of(rows, **kw))
    return {f.kind: f for f in found}


def ramp(start: float, end: float, at: int, over: int = 10, n: int = N) -> np.ndarray:
    """`start` until step `at`, then linearly to `end` over `over` steps (steps are 1-based)."""
    t = np.arange(1, n + 1)
    return start + (end - start) * np.clip((t - at) / over, 0, 1)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("steps", [30, 300])
def test_healthy_runs_have_no_findings(seed, steps):
    report = build_report(run_of(healthy_history(steps, seed)))
    assert report.findings == [] and report.verdict == "healthy"


@pytest.mark.parametrize("seed", range(2))
def test_healthy_plain_verl_run_at_another_scale(seed):
    report = build_report(run_of(verl_healthy_history(400, seed)))
    assert report.findings == [] and report.verdict == "healthy"


def test_plain_verl_names_only_is_healthy_and_says_what_it_skipped():
    rows = without(
        healthy_history(N, 1),
        "batch/valid",
        "batch/solve_none",
        "batch/solve_all",
        "token/pos_logical_connectives",
        "response_length/pos/mean",
        "response_length/clip_ratio",
    )
    report = build_report(run_of(rows))
    assert report.verdict == "healthy"
    assert any(s.startswith("valid_collapse: needs batch/valid") for s in report.skipped)


def test_entropy_collapse_fires_after_a_rise_and_not_on_a_gentle_decline():
    base = healthy_history(N, 2)
    rose = ramp(3.5, 5.5, 20, 60) * ramp(1.0, 0.04, 150, 8)
    found = kinds(with_metric(base, "actor/entropy", rose))
    f = found["entropy_collapse"]
    assert 150 <= f.step <= 158 and f.severity == "critical"
    assert f.evidence["peak"] > 5 and f.evidence["min"] < 0.3
    assert build_report(run_of(with_metric(base, "actor/entropy", rose))).verdict == "collapsed"
    gentle = ramp(3.5, 1.5, 1, N)  # -57% over the run: not a collapse
    assert "entropy_collapse" not in kinds(with_metric(base, "actor/entropy", gentle))


def test_entropy_explosion_fires_on_a_doubling_not_on_a_modest_rise():
    base = healthy_history(N, 3)
    found = kinds(with_metric(base, "actor/entropy", ramp(3.3, 8.0, 30, 60)))
    assert "entropy_explosion" in found and 40 <= found["entropy_explosion"].step <= 80
    assert "entropy_explosion" not in kinds(with_metric(base, "actor/entropy", ramp(3.3, 4.6, 30)))


def test_entropy_oscillation_fires_on_wild_swings_not_on_noise():
    base = healthy_history(40, 4)
    swings = [3.0 if (t // 2) % 2 else 6.5 for t in range(40)]
    found = kinds(with_metric(base, "actor/entropy", swings))
    assert found["entropy_oscillation"].evidence["swings"] >= 4
    assert "entropy_oscillation" not in kinds(base)
    assert zigzag(np.array([0.0, 1, 0, 1, 0]), 0.5) == [0, 1, 2, 3, 4]
    assert zigzag(np.array([0.0, 0.1, 0.0, 0.1]), 0.5) == []


def test_shortcut_guessing_needs_a_rising_score_and_shrinking_reasoning():
    base = healthy_history(N, 5)
    rows = with_metric(base, "response_length/pos/mean", ramp(1000, 15, 60, 40))
    rows = with_metric(rows, "token/pos_logical_connectives", ramp(6.0, 0.2, 60, 40))
    f = kinds(rows)["shortcut_guessing"]
    assert 90 <= f.step <= 110 and f.evidence["length"] < 50
    flat_score = with_metric(rows, "critic/score/mean", np.full(N, -0.15))
    assert "shortcut_guessing" not in kinds(flat_score)
    reasoning_kept = with_metric(base, "response_length/pos/mean", ramp(1000, 15, 60, 40))
    assert "shortcut_guessing" not in kinds(reasoning_kept)  # connectives did not vanish


def test_response_length_collapse():
    base = healthy_history(N, 6)
    found = kinds(with_metric(base, "response_length/mean", ramp(1200, 20, 100, 20)))
    assert 110 <= found["response_length_collapse"].step <= 120
    halved = with_metric(base, "response_length/mean", ramp(1200, 500, 100, 20))
    assert "response_length_collapse" not in kinds(halved)


def test_length_saturation_from_clip_ratio_or_config_max_length():
    base = healthy_history(N, 7)
    found = kinds(with_metric(base, "response_length/clip_ratio", ramp(0.01, 0.15, 80, 20)))
    assert 80 <= found["length_saturation"].step <= 100
    no_clip = without(base, "response_length/clip_ratio")
    near_max = with_metric(no_clip, "response_length/mean", ramp(1200, 3900, 50, 50))
    config = {"data": {"max_response_length": 4096}}
    assert "length_saturation" in kinds(near_max, config=config)
    assert "length_saturation" not in kinds(no_clip, config=config)
    # no config: a response_length/max pinned at one value is the cap
    pinned = with_metric(near_max, "response_length/max", np.full(N, 4096.0))
    assert "length_saturation" in kinds(pinned)
    varying = with_metric(near_max, "response_length/max", np.linspace(3000, 8000, N))
    assert "length_saturation" not in kinds(varying)


def test_valid_collapse_counts_against_the_batch_and_ignores_too_easy_batches():
    base = healthy_history(N, 8)
    valid = ramp(30, 1, 100, 20)
    rows = with_metric(with_metric(base, "batch/valid", valid), "batch/solve_none", 64 - valid)
    rows = with_metric(rows, "batch/solve_all", np.zeros(N))
    f = kinds(rows)["valid_collapse"]
    assert 110 <= f.step <= 120 and f.severity == "critical" and f.evidence["batch_size"] == 64
    easy = with_metric(with_metric(base, "batch/valid", valid), "batch/solve_all", 64 - valid)
    easy = with_metric(easy, "batch/solve_none", np.zeros(N))
    assert "valid_collapse" not in kinds(easy)
    # batch size from the config when solve_* are not logged
    only_valid = without(
        with_metric(base, "batch/valid", valid), "batch/solve_none", "batch/solve_all"
    )
    assert "valid_collapse" in kinds(only_valid, config={"data": {"train_batch_size": 64}})
    assert "valid_collapse" not in kinds(only_valid)  # batch size unknown: skipped, not guessed
    # near zero from the start: reported, but as "no signal", not as a collapse
    never = with_metric(
        with_metric(base, "batch/valid", np.full(N, 1.0)), "batch/solve_none", np.full(N, 63.0)
    )
    never = with_metric(never, "batch/solve_all", np.zeros(N))
    f = kinds(never)["valid_collapse"]
    assert f.severity == "warning" and "from the start" in f.message


def test_kl_spike_is_a_peak_over_the_trailing_median_not_steady_growth():
    base = healthy_history(N, 9)
    kl = np.array([r["actor/kl_loss"] for r in base])
    spiked = kl.copy()
    spiked[120] = 5.0
    f = kinds(with_metric(base, "actor/kl_loss", spiked))["kl_spike"]
    assert f.step == 121 and f.evidence["value"] == 5.0
    assert "kl_spike" not in kinds(base)  # KL grows 0.002 -> 0.4 with noise


def test_grad_explosion_sustained_not_lone_spikes():
    base = healthy_history(N, 10)
    g = np.array([r["actor/grad_norm"] for r in base])
    found = kinds(with_metric(base, "actor/grad_norm", g * ramp(1, 6, 100, 10)))
    assert 100 <= found["grad_explosion"].step <= 112
    lone = g.copy()
    lone[[50, 90, 130]] *= 8
    assert "grad_explosion" not in kinds(with_metric(base, "actor/grad_norm", lone))


def test_nan_loss_diverged_at_the_end_or_recovered():
    base = healthy_history(60, 11)
    end = [{**r, "actor/pg_loss": math.nan} if r["step"] >= 58 else r for r in base]
    report = build_report(run_of(end))
    (f,) = [f for f in report.findings if f.kind == "nan_loss"]
    assert f.step == 58 and f.severity == "critical" and report.verdict == "diverged"
    once = [{**r, "actor/grad_norm": math.inf} if r["step"] == 30 else r for r in base]
    f = kinds(once)["nan_loss"]
    assert f.severity == "warning" and build_report(run_of(once)).verdict == "warning"
    assert "nan_loss" not in kinds(base)


def test_slow_steps_relative_and_absolute():
    base = healthy_history(N, 12)
    found = kinds(with_metric(base, "timing_s/step", ramp(110, 400, 100, 10)))
    assert 100 <= found["slow_steps"].step <= 110
    always_slow = with_metric(base, "timing_s/step", np.full(N, 600.0))
    assert "slow_steps" in kinds(always_slow)
    assert "slow_steps" not in kinds(with_metric(base, "timing_s/step", np.full(N, 250.0)))


def test_score_plateau_needs_a_long_run_without_gain():
    base = healthy_history(N, 13)
    rng = np.random.default_rng(0)
    flat = -0.15 + 0.02 * rng.standard_normal(N)
    assert "score_plateau" in kinds(with_metric(base, "critic/score/mean", flat))
    assert "score_plateau" not in kinds(base)
    short = with_metric(base[:40], "critic/score/mean", flat[:40])
    _, skipped = find_all(run_of(short))
    assert any(s.startswith("score_plateau") for s in skipped)


@pytest.mark.parametrize("flag", ["repetition", "gibberish", "language_drift"])
def test_rollout_flag_rises_with_examples_from_samples(flag):
    base = healthy_history(60, 14)
    rollouts = {}
    for step in range(5, 61, 5):
        bad = 8 if step >= 30 else 0
        rollouts[step] = [
            {
                f: (f == flag and i < bad)
                for f in ("repetition", "gibberish", "language_drift", "shortcut")
            }
            | {"response": f"sample {i} at {step}"}
            for i in range(20)
        ]
    f = kinds(base, rollouts=rollouts)[f"{flag}_rise"]
    assert f.step == 30 and f.evidence["examples"][0] == "sample 0 at 30"
    steady = {s: [{**r, flag: i < 1} for i, r in enumerate(rows)] for s, rows in rollouts.items()}
    assert f"{flag}_rise" not in kinds(base, rollouts=steady)
    # from logged degeneracy rates when there are no samples
    rate = ramp(0.0, 0.3, 30, 5, n=60)
    assert f"{flag}_rise" in kinds(with_metric(base, f"degeneracy/{flag}_rate", rate))


def test_every_kind_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "diagnose.md").read_text()
    assert all(f"`{kind}`" in doc for kind in KINDS)
    json.dumps(KINDS)
