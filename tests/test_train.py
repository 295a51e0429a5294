"""The GRPO loop end to end on the embedded tiny model: smoke run, metrics/rollouts/checkpoints,
kill -9 + resume equality, guardrail stop, non-finite skips, the HF engine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import transformers  # noqa: F401

from archer.config import apply_overrides
from archer.presets import get_preset
from archer.tracking import read_metrics
from archer.train.loop import FAULT_ENV, run_training

REQUIRED = [
    "actor/entropy",
    "actor/kl_loss",
    "actor/pg_loss",
    "actor/pg_clipfrac",
    "actor/pg_clipfrac_lower",
    "actor/ppo_kl",
    "actor/grad_norm",
    "actor/lr",
    "critic/score/mean",
    "critic/advantages/mean",
    "response_length/mean",
    "response_length/clip_ratio",
    "response_length/pos/mean",
    "batch/solve_none",
    "batch/solve_all",
    "batch/valid",
    "timing_s/step",
    "timing_s/gen",
    "timing_s/reward",
    "timing_s/old_log_prob",
    "timing_s/ref",
    "timing_s/update_actor",
    "perf/cpu_max_rss_gb",
    "token/pos_logical_connectives",
    "degeneracy/repetition_rate",
    "degeneracy/gibberish_rate",
]


def _smoke(tmp_path: Path, *extra: str):
    base = [f"trainer.output_dir={json.dumps(str(tmp_path))}", "tracking.wandb=disabled"]
    return apply_overrides(get_preset("smoke").config, base + list(extra))


def test_smoke_run_end_to_end(tmp_path):
    cfg = _smoke(tmp_path, "trainer.run_id=smoke", "tracking.wandb=offline")
    result = run_training(cfg)
    run = tmp_path / "smoke"
    assert result.stopped == "completed" and result.last_step == 2 and result.run_dir == run
    rows = read_metrics(run / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2]
    for name in REQUIRED:
        assert name in rows[-1], name
    assert rows[0]["actor/lr"] == 0.0  # step 1 of a 10-step linear warmup (verl starts at 0)
    assert rows[-1]["actor/grad_norm"] > 0 and np.isfinite(rows[-1]["actor/entropy"])
    assert rows[-1]["batch/solve_none"] + rows[-1]["batch/solve_all"] + rows[-1][
        "batch/valid"
    ] == pytest.approx(4)
    saved = json.loads((run / "config.json").read_text())
    assert saved["preset"] == "smoke" and saved["algo"]["kl_loss_coef"] == 0.05
    samples = [json.loads(x) for x in (run / "rollouts" / "step_2.jsonl").read_text().splitlines()]
    assert samples and {"response", "ground_truth", "score", "advantage"} <= set(samples[0])
    ckpts = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert ckpts == ["step_000001", "step_000002"]
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(run / "checkpoints" / "step_000002" / "model")
    assert list((run / "wandb").glob("offline-run-*")), "W&B offline run directory"


def _comparable(rows):
    skip = ("timing_s/", "perf/")
    return [{k: v for k, v in r.items() if not k.startswith(skip)} for r in rows]


def test_kill_during_checkpoint_then_resume_equals_uninterrupted(tmp_path):
    settings = [
        "trainer.total_steps=4",
        "trainer.save_freq=2",
        "optim.lr=0.001",  # large enough that every step moves the weights
        "optim.warmup_steps=0",
    ]
    # uninterrupted reference run, in this process
    ref = run_training(_smoke(tmp_path / "a", "trainer.run_id=r", *settings))
    expected = _comparable(read_metrics(ref.run_dir / "metrics.jsonl"))
    assert len(expected) == 4

    # the same run in a child process, SIGKILLed while writing the step-4 checkpoint
    out = tmp_path / "b"
    cmd = [sys.executable, "-m", "archer.cli", "train", "--preset", "smoke", "--quiet"]
    cmd += ["--output", str(out), "--run-id", "r", "--set", "tracking.wandb=disabled"]
    for s in settings:
        cmd += ["--set", s]
    env = {**os.environ, FAULT_ENV: "checkpoint:4:model"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    run = out / "r"
    assert len(read_metrics(run / "metrics.jsonl")) == 4  # step 4 was logged, not checkpointed
    ckdir = run / "checkpoints"
    assert (ckdir / "step_000002" / "trainer_state.json").is_file()
    assert not (ckdir / "step_000004").exists()
    assert any(p.name.startswith(".step_000004") for p in ckdir.iterdir())  # the torn temp dir

    # resume: continues from step 2 and reproduces steps 3 and 4 exactly
    resumed = run_training(_smoke(out, "trainer.run_id=r", *settings), resume_dir=run)
    assert resumed.last_step == 4
    assert not any(p.name.startswith(".") for p in ckdir.iterdir())
    assert _comparable(read_metrics(run / "metrics.jsonl")) == expected


def test_stop_on_abandon_ends_cleanly_with_a_checkpoint(tmp_path):
    # v5's "Abandon if valid < 10" fires on a tiny random model (it solves nothing)
    cfg = _smoke(
        tmp_path, "trainer.total_steps=3", "guard.criteria=v5", "guard.stop_on_abandon=true"
    )
    events = []
    result = run_training(cfg, on_event=events.append)
    assert result.stopped == "abandoned" and result.last_step == 1
    assert any("batch/valid" in m for m in result.messages)
    assert any("guardrail breached" in e for e in events)
    assert (result.run_dir / "checkpoints" / "step_000001" / "trainer_state.json").is_file()


def test_guard_breach_is_logged_without_stopping(tmp_path):
    cfg = _smoke(tmp_path, "guard.criteria=v5", "trainer.save_freq=0")
    events = []
    result = run_training(cfg, on_event=events.append)
    assert result.stopped == "completed" and result.last_step == 2
    assert sum("guardrail breached" in e for e in events) >= 2


def test_validation_metrics_every_test_freq_steps(tmp_path):
    cfg = _smoke(
        tmp_path,
        "trainer.test_freq=2",
        "trainer.total_steps=3",
        "trainer.save_freq=0",
        'data.val_files=["../shared/data/math500.jsonl"]',
        "data.val_max_prompts=3",
        "rollout.max_response_length=8",
        "scoring.overlong_buffer_len=0",
    )
    rows = read_metrics(run_training(cfg).run_dir / "metrics.jsonl")
    has_val = [("val/accuracy" in r) for r in rows]
    assert has_val == [False, True, True]  # step 2 (test_freq) and the last step
    assert rows[1]["val/prompts"] == 3 and 0 <= rows[1]["val/pass@4"] <= 1
