"""GRPO learns: the `toy` preset (max of three digits, tiny char model, native verifier) goes from
chance-level reward to mostly correct. The three-seed curves are in the README; this runs one seed
with a looser bound to stay within the test budget."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch  # noqa: F401  (setup installs it; a missing torch must fail, not skip)
import transformers  # noqa: F401

from archer.config import apply_overrides
from archer.presets import get_preset
from archer.tracking import read_metrics
from archer.train.loop import run_training


@pytest.mark.slow
def test_toy_reward_rises_from_chance(tmp_path):
    cfg = apply_overrides(
        get_preset("toy").config,
        [
            f"trainer.output_dir={json.dumps(str(tmp_path))}",
            "tracking.wandb=disabled",
            "trainer.total_steps=60",
            "trainer.seed=1",
            "model.seed=1",
        ],
    )
    result = run_training(cfg)
    scores = np.array(
        [r["critic/score/mean"] for r in read_metrics(result.run_dir / "metrics.jsonl")]
    )
    assert len(scores) == 60
    assert scores[:3].mean() <= 0.2, scores[:3]
    assert scores[-10:].mean() >= 0.6, scores[-10:]
