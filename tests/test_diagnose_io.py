"""`archer diagnose` inputs and outputs: readers, damage tolerance, W&B edge, CLI, JSON, Markdown, PNG."""

from __future__ import annotations

import json
import math
import shutil
import sys
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archer.cli import app
from archer.diagnose.readers import DiagnoseInputError, load_run
from diagnose_synth import healthy_history

RUNS = Path(__file__).resolve().parents[2] / "shared" / "data" / "runs"
V4 = str(RUNS / "v4.jsonl")


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, ["diagnose", *args], env=env)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_damaged_history_is_read_and_the_repairs_are_reported(tmp_path):
    rows = healthy_history(40, 0)
    rows[10]["actor/entropy"] = math.nan
    rows[11]["critic/score/mean"] = math.inf
    rows[12]["note"] = "text"
    shuffled = rows[20:] + rows[:20] + [rows[5]]  # unsorted, step 6 twice
    path = tmp_path / "h.jsonl"
    text = "".join(json.dumps(r) + "\n" for r in shuffled) + '{"step": 41, "actor/ent'
    path.write_text(text)
    run = load_run(str(path))
    assert run.steps == list(range(1, 41))
    notes = " | ".join(run.notes)
    for expected in ("truncated last line", "repeated steps", "sorted by step", "NaN/inf", "note"):
        assert expected in notes
    result = invoke(str(path), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["notes"] == run.notes
    assert report["verdict"] == "warning"  # a NaN entropy is a (recovered) nan_loss
    assert [f["kind"] for f in report["findings"]] == ["nan_loss"]


def test_missing_metrics_mean_fewer_findings_never_a_crash(tmp_path):
    rows = [{"_step": i, "actor/entropy": 3.0 - 0.02 * i} for i in range(1, 30)]
    result = invoke(str(write_jsonl(tmp_path / "entropy_only.jsonl", rows)), "--json")
    report = json.loads(result.stdout)
    assert report["verdict"] == "healthy" and report["findings"] == []
    skipped = " ".join(report["skipped"])
    assert "kl_spike: needs actor/kl_loss" in skipped and "valid_collapse" in skipped
    tiny = invoke(str(write_jsonl(tmp_path / "one.jsonl", [{"step": 1, "actor/entropy": 1.0}])))
    assert tiny.exit_code == 0 and "HEALTHY" in tiny.stdout


def test_csv_and_aliases(tmp_path):
    path = tmp_path / "export.csv"
    lines = ["_step,entropy,reward/mean,solve_none,valid,solve_all,kl_loss"]
    lines += [f"{i},{3.0 if i < 20 else 0.05},0.1,60,3,1," for i in range(1, 41)]
    path.write_text("\n".join(lines) + "\n")
    run = load_run(str(path))
    assert set(run.history[0]) >= {"step", "actor/entropy", "critic/score/mean", "batch/valid"}
    report = json.loads(invoke(str(path), "--json").stdout)
    assert {"entropy_collapse", "valid_collapse"} <= {f["kind"] for f in report["findings"]}


def test_wandb_panel_csv_json_array_and_parquet(tmp_path):
    rows = healthy_history(30, 5)
    csv_path = tmp_path / "panel.csv"
    lines = ['"Step","v5 - actor/entropy","v5 - actor/entropy__MIN","v5 - actor/entropy__MAX"']
    lines += [f"{r['step']},{r['actor/entropy']},0,9" for r in rows]
    csv_path.write_text("\n".join(lines) + "\n")
    run = load_run(str(csv_path))
    assert set(run.history[0]) == {"step", "actor/entropy"} and len(run.history) == 30
    json_path = tmp_path / "history.json"
    json_path.write_text(json.dumps([{"_step": r["step"], **r} for r in rows]))
    assert load_run(str(json_path)).steps == list(range(1, 31))
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "history.parquet")
    report = json.loads(invoke(str(tmp_path / "history.parquet"), "--json").stdout)
    assert report["run"]["steps"] == 30 and report["verdict"] == "healthy"
    (tmp_path / "broken.json").write_text("[{")
    with pytest.raises(DiagnoseInputError, match="not valid JSON"):
        load_run(str(tmp_path / "broken.json"))


def test_run_directory_with_config_rollouts_and_preset_criteria(tmp_path, monkeypatch):
    run_dir = tmp_path / "runs" / "r1"
    (run_dir / "rollouts").mkdir(parents=True)
    write_jsonl(run_dir / "metrics.jsonl", healthy_history(60, 1))
    config = {"preset": "v5", "algo": {"entropy_coeff": 0.01, "kl_loss_coef": 0.05}}
    (run_dir / "config.json").write_text(json.dumps(config))
    for step in (10, 20, 30, 40, 50):
        rows = [
            {"response": f"ゆ ゆ ゆ {i}", "score": 0, "repetition": step >= 30 and i < 5}
            for i in range(10)
        ]
        write_jsonl(run_dir / "rollouts" / f"step_{step}.jsonl", rows)
    monkeypatch.setenv("ARCHER_RUNS_ROOT", str(tmp_path / "runs"))
    report = json.loads(invoke("r1", "--json").stdout)
    assert report["run"]["preset"] == "v5" and report["run"]["config"]["kl_loss_coef"] == 0.05
    criteria = {(c["metric"], c["at_step"]): c for c in report["criteria"]}
    assert criteria[("critic/score/mean", 200)]["status"] == "pending"
    assert criteria[("batch/valid", None)]["status"] == "pass"
    (rep,) = [f for f in report["findings"] if f["kind"] == "repetition_rise"]
    assert rep["step"] == 30 and rep["evidence"]["examples"][0].startswith("ゆ ゆ ゆ")
    yaml_dir = tmp_path / "runs" / "r2"
    shutil.copytree(run_dir, yaml_dir)
    (yaml_dir / "config.json").unlink()
    (yaml_dir / "config.yaml").write_text("preset: v1\nalgo:\n  entropy_coeff: 0.0\n")
    by_root = invoke("r2", "--runs-root", str(tmp_path / "runs"), "--json")
    assert json.loads(by_root.stdout)["run"]["preset"] == "v1"


def test_json_schema(tmp_path):
    result = invoke(V4, "--json", "--preset", "v5")
    report = json.loads(result.stdout)
    assert report["schema_version"] == 1
    assert set(report) >= {"verdict", "findings", "criteria", "recommendations", "run", "trend"}
    assert report["verdict"] in ("healthy", "warning", "collapsed", "diverged")
    for f in report["findings"]:
        assert set(f) == {"kind", "step", "severity", "message", "evidence"}
        assert isinstance(f["step"], int) and f["severity"] in ("info", "warning", "critical")
    for c in report["criteria"]:
        assert c["status"] in ("pass", "breach", "pending", "no_data")
    assert all({"text", "because", "source"} == set(r) for r in report["recommendations"])
    assert any(c["abandon"] for c in report["criteria"])  # valid < 10 of 64


def test_markdown_and_plot_outputs(tmp_path):
    md, png = tmp_path / "pm.md", tmp_path / "out" / "v4.png"
    result = invoke(V4, "--markdown", str(md), "--plot", str(png))
    assert result.exit_code == 0, result.output
    assert "COLLAPSED" in result.stdout and "valid_collapse" in result.stdout
    text = md.read_text()
    assert "## v4 Results Summary (17 steps)" in text and "| Valid |" in text
    assert "**1**" in text  # the collapsed valid count is bold, as in the seeds
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    assert matplotlib.image.imread(str(png)).shape[0] > 400


def test_plot_draws_the_six_panels(tmp_path):
    from archer.diagnose.plot import plot_report
    from archer.diagnose.report import build_report

    titles = plot_report(build_report(load_run(V4)), tmp_path / "p.png")
    assert titles == [
        "Entropy",
        "Score",
        "Valid / solve_none groups",
        "Response length",
        "KL loss",
        "Grad norm",
    ]


def test_compare_runs_prints_the_summary_table(tmp_path):
    result = invoke(
        str(RUNS / "v1.jsonl"), str(RUNS / "v2.jsonl"), V4, "--markdown", str(tmp_path / "c.md")
    )
    assert result.exit_code == 0, result.output
    assert "Complete Hyperparameter Search Summary" in result.stdout
    assert "| Version | entropy_coeff | kl_loss_coef |" in (tmp_path / "c.md").read_text()
    payload = json.loads(invoke(str(RUNS / "v1.jsonl"), V4, "--json").stdout)
    assert [r["run"]["name"] for r in payload["runs"]] == ["v1", "v4"]
    assert payload["comparison"]["rows"][1]["Outcome"] == "Collapsed at step 14"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["no/such/file.jsonl"], "no run 'no/such/file.jsonl'"),
        (["unknown-run"], "not a run id under"),
        ([V4, "--preset", "v9"], "unknown preset 'v9'"),
    ],
)
def test_bad_input_is_one_clear_line(args, expected, tmp_path):
    result = invoke(*args, "--runs-root", str(tmp_path))
    assert result.exit_code == 2
    assert expected in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_empty_files_and_run_dirs_without_metrics(tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(DiagnoseInputError, match="no metric rows"):
        load_run(str(tmp_path / "empty.jsonl"))
    write_jsonl(tmp_path / "other.jsonl", [{"step": 1, "foo": 1.0}, {"step": 2, "foo": 2.0}])
    with pytest.raises(DiagnoseInputError, match="no known training metrics"):
        load_run(str(tmp_path / "other.jsonl"))
    (tmp_path / "runs" / "r").mkdir(parents=True)
    with pytest.raises(DiagnoseInputError, match=r"has no metrics\.jsonl"):
        load_run("r", tmp_path / "runs")


def test_wandb_path_offline_gives_a_clear_error(tmp_path, monkeypatch):
    for key in ("WANDB_API_KEY", "WANDB_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("NETRC", str(tmp_path / "netrc"))
    monkeypatch.setenv("HOME", str(tmp_path))
    result = invoke("someone/some-project/abc123", "--runs-root", str(tmp_path))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "cannot read W&B run someone/some-project/abc123" in result.stderr
    assert "wandb login" in result.stderr


def test_wandb_history_through_the_api(monkeypatch):
    """Mocked only at the network edge: wandb.Api returns a run with history and config."""
    rows = [
        {"_step": r["step"], **{k: v for k, v in r.items() if k != "step"}}
        for r in healthy_history(40, 2)
    ]

    class FakeRun:
        name = "qwen3-v5"

        def __init__(self):
            self.config = {"actor_rollout_ref": {"actor": {"kl_loss_coef": 0.05}}}

        def scan_history(self):
            return iter(rows)

    class FakeApi:
        def __init__(self, timeout=None):
            pass

        def run(self, path):
            assert path == "doub7e/Archer2.0/v5"
            return FakeRun()

    monkeypatch.setitem(sys.modules, "wandb", types.SimpleNamespace(Api=FakeApi))
    report = json.loads(invoke("doub7e/Archer2.0/v5", "--json").stdout)
    assert (
        report["run"]["name"] == "qwen3-v5"
        and report["run"]["source"] == "wandb:doub7e/Archer2.0/v5"
    )
    assert report["run"]["config"]["kl_loss_coef"] == 0.05 and report["verdict"] == "healthy"


def test_unflagged_rollout_samples_are_inspected_natively(tmp_path):
    run_dir = tmp_path / "r"
    (run_dir / "rollouts").mkdir(parents=True)
    write_jsonl(run_dir / "metrics.jsonl", healthy_history(60, 3))
    clean = "We add 3 and 4 to get 7, then check it by subtracting: 7 - 4 = 3. The answer is 7."
    for step in (10, 20, 30, 40, 50, 60):
        rows = [
            {"response": "& " * 300 if step >= 40 and i < 6 else clean, "ground_truth": "7"}
            for i in range(12)
        ]
        write_jsonl(run_dir / "rollouts" / f"step_{step}.jsonl", rows)
    run = load_run(str(run_dir))
    assert run.rollouts[40][0]["repetition"] is True and run.rollouts[10][0]["repetition"] is False
    report = json.loads(invoke(str(run_dir), "--json").stdout)
    (rep,) = [f for f in report["findings"] if f["kind"] == "repetition_rise"]
    assert rep["step"] == 40 and rep["evidence"]["examples"][0].startswith("& & &")


def test_archer_run_dir_nulls_are_non_finite_and_guard_criteria_pick_the_preset(tmp_path):
    """archer's tracker writes NaN as null and nests config as rollout./trainer./guard. sections."""
    run_dir = tmp_path / "smoke-1"
    run_dir.mkdir()
    rows = healthy_history(30, 4)
    for r in rows[-2:]:
        r["actor/pg_loss"] = None
    write_jsonl(run_dir / "metrics.jsonl", rows)
    config = {
        "preset": "smoke",
        "guard": {"criteria": "v5"},
        "rollout": {"max_response_length": 48},
        "trainer": {"train_batch_size": 64},
        "algo": {"entropy_coeff": 0.0, "kl_loss_coef": 0.001},
    }
    (run_dir / "config.json").write_text(json.dumps(config))
    report = json.loads(invoke(str(run_dir), "--json").stdout)
    assert report["verdict"] == "diverged"
    assert report["findings"][0]["kind"] == "nan_loss" and report["findings"][0]["step"] == 29
    assert report["run"]["preset"] == "v5" and len(report["criteria"]) == 5
    assert report["run"]["config"]["max_response_length"] == 48
    # the same nulls in a W&B-style export only mean "not logged"
    export = write_jsonl(tmp_path / "export.jsonl", rows)
    assert json.loads(invoke(str(export), "--json").stdout)["verdict"] == "healthy"


def test_a_run_written_by_archers_tracker_with_the_v4_preset(tmp_path):
    """The trainer's own writer (archer.tracking) and config (the v4 preset) feed diagnose by run id."""
    from archer.presets import get_preset
    from archer.tracking import Tracker

    run_dir = tmp_path / "runs" / "v4-replay"
    run_dir.mkdir(parents=True)
    get_preset("v4").config.dump(run_dir / "config.json")
    tracker = Tracker(run_dir, {}, wandb_mode="disabled")
    for line in Path(V4).read_text().splitlines():
        row = json.loads(line)
        step = row.pop("_step")
        tracker.log(step, {**row, "actor/pg_loss": math.nan if step == 17 else 0.01})
    tracker.close()
    result = invoke("v4-replay", "--runs-root", str(tmp_path / "runs"), "--json")
    report = json.loads(result.stdout)
    assert report["run"]["preset"] == "v4" and report["run"]["config"]["kl_loss_coef"] == 0.03
    assert report["run"]["config"]["train_batch_size"] == 64
    kinds = {f["kind"]: f for f in report["findings"]}
    assert kinds["valid_collapse"]["step"] == 14 and kinds["kl_spike"]["step"] == 16
    assert kinds["nan_loss"]["step"] == 17  # the tracker wrote NaN as null
    assert any("dangerous middle ground" in r["text"] for r in report["recommendations"])
    assert {c["metric"] for c in report["criteria"]} >= {"actor/entropy", "actor/kl_loss"}
