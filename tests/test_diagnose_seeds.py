"""`archer diagnose` reaches the seeds' own conclusions on the histories rebuilt from their tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from archer.diagnose.compare import comparison
from archer.diagnose.readers import load_run
from archer.diagnose.report import build_report

RUNS = Path(__file__).resolve().parents[2] / "shared" / "data" / "runs"


@pytest.fixture(scope="module")
def reports():
    return {v: build_report(load_run(str(RUNS / f"{v}.jsonl"))) for v in ("v1", "v2", "v4")}


def by_kind(report):
    return {f.kind: f for f in report.findings}


def test_v4_collapsed_by_step_14_with_oscillating_entropy_and_the_kl_spike_at_16(reports):
    r = reports["v4"]
    found = by_kind(r)
    assert r.verdict == "collapsed"
    valid = found["valid_collapse"]
    assert valid.step == 14 and valid.severity == "critical"
    assert valid.evidence["valid"] == 1 and valid.evidence["solve_none"] == 63
    osc = found["entropy_oscillation"]
    assert osc.evidence["min"] == pytest.approx(2.08) and osc.evidence["max"] == pytest.approx(7.63)
    assert found["kl_spike"].step == 16 and found["kl_spike"].evidence["value"] == pytest.approx(
        4.978
    )
    assert "entropy_collapse" not in found


def test_v2_entropy_rose_then_collapsed_near_step_78(reports):
    r = reports["v2"]
    f = by_kind(r)["entropy_collapse"]
    assert r.verdict == "collapsed" and f.severity == "critical"
    assert 72 <= f.step <= 78
    assert f.evidence["peak"] > 5.0 > f.evidence["baseline"]  # rose first
    assert f.evidence["min"] == pytest.approx(0.19, abs=0.01) and f.evidence["min_step"] == 78
    assert "entropy_explosion" not in by_kind(r)  # 3.8 -> 5.5 is not over-randomness


def test_v1_too_random_and_guessing_while_the_score_rises(reports):
    r = reports["v1"]
    found = by_kind(r)
    assert r.verdict == "warning"
    assert found["entropy_explosion"].evidence["max"] > 7.5
    shortcut = found["shortcut_guessing"]
    assert shortcut.evidence["score_final"] > shortcut.evidence["score_baseline"] + 0.3
    assert shortcut.evidence["length"] < 50 < shortcut.evidence["length_baseline"]
    assert "entropy_collapse" not in found and "valid_collapse" not in found
    texts = " ".join(rec["text"] for rec in r.recommendations)
    assert "floor" in texts and "ceiling" in texts  # the dual-regularization lesson


def test_recommendations_are_grounded_in_the_seeds(reports):
    v2 = " ".join(rec["text"] for rec in reports["v2"].recommendations)
    assert "feedback loop" in v2 or "no entropy bonus" in v2
    v4 = reports["v4"].recommendations
    assert any("seed 000" in rec["source"] for rec in v4)
    v4_cfg = load_run(str(RUNS / "v4.jsonl"))
    v4_cfg.config = {"algo": {"kl_loss_coef": 0.03, "entropy_coeff": 0.01}}
    texts = " ".join(rec["text"] for rec in build_report(v4_cfg).recommendations)
    assert "dangerous middle ground" in texts


def test_comparison_is_the_search_summary_table(reports):
    table = comparison([reports["v1"], reports["v2"], reports["v4"]])
    assert table["columns"][:3] == ["Version", "entropy_coeff", "kl_loss_coef"]
    rows = {row["Version"]: row for row in table["rows"]}
    assert rows["v2"]["Entropy@~100"] == "0.19"  # the run ends at step 78
    assert "oscillating" in rows["v4"]["Entropy@~100"]
    assert rows["v4"]["Outcome"] == "Collapsed at step 14"
    assert rows["v2"]["Outcome"].startswith("Entropy collapsed at step")
    assert rows["v1"]["Outcome"] == "High score via shortcut guessing"
    assert rows["v1"]["Score@peak"] == "0.423 @ 150"


def test_comparison_shows_the_config_differences():
    runs = []
    for v, ent, kl in (("v1", 0.01, 0.01), ("v2", 0.005, 0.01), ("v4", 0.01, 0.03)):
        run = load_run(str(RUNS / f"{v}.jsonl"))
        run.config = {"algo": {"entropy_coeff": ent, "kl_loss_coef": kl}, "trainer": {"seed": 1}}
        runs.append(build_report(run))
    runs[2].run.config["rollout"] = {"max_response_length": 4096}
    table = comparison(runs)
    assert table["columns"][1:4] == ["entropy_coeff", "kl_loss_coef", "max_response_length"]
    cells = [(r["entropy_coeff"], r["kl_loss_coef"]) for r in table["rows"]]
    assert cells == [("0.01", "0.01"), ("0.005", "0.01"), ("0.01", "0.03")]
