"""FSDP2, DCP and metric reduction with real gloo ranks on CPU (the building blocks; the trainer
itself on several ranks and the simulated two-node run are in test_dist_train.py).

Every scenario (tests/dist_scenarios.py) runs as separate processes under torchrun on a free
loopback port, or as one plain process for the reference.

Tolerances (fp32 on CPU): losses and gradient norms of 2 ranks vs 1 process <= 1e-6 (relative);
weights after two AdamW steps at lr 1e-2 <= 1e-4 absolute (measured ~5e-6: Adam divides by
sqrt(v), which magnifies the last-bit differences of a different reduction order).
"""

from __future__ import annotations

import json

import pytest
from safetensors.torch import load_file

from archer.tiny import build_tiny_model
from dist_helpers import scenario

pytestmark = [pytest.mark.dist, pytest.mark.timeout(600)]

WEIGHT_TOL = 1e-4
LOSS_RTOL = 1e-6


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("dist") / "tiny", seed=0)


@pytest.fixture(scope="module")
def single(model_dir, tmp_path_factory):
    """The one-process (unsharded) run every distributed result is compared with."""
    out = tmp_path_factory.mktemp("single")
    scenario("fsdp_step", out, model_dir, nproc=1)
    return out


def max_weight_diff(a_file, b_file) -> float:
    a, b = load_file(str(a_file)), load_file(str(b_file))
    assert sorted(a) == sorted(b)
    return max(float((a[k] - b[k]).abs().max()) for k in a)


def test_fsdp2_two_ranks_equal_one_process(single, model_dir, tmp_path):
    scenario("fsdp_step", tmp_path, model_dir, nproc=2)
    one = json.loads((single / "result.json").read_text())
    two = json.loads((tmp_path / "result.json").read_text())
    assert (one["world_size"], one["sharded"]) == (1, False)
    assert (two["world_size"], two["sharded"]) == (2, True)
    assert two["losses"] == pytest.approx(one["losses"], rel=LOSS_RTOL)
    assert two["grad_norms"] == pytest.approx(one["grad_norms"], rel=LOSS_RTOL)
    # the step really moved the weights (so equality is not trivially true)
    assert two["losses"][1] < two["losses"][0]
    diff = max_weight_diff(single / "model.safetensors", tmp_path / "model.safetensors")
    print(f"1 vs 2 ranks: losses {one['losses']} vs {two['losses']}; max |dw| {diff:.3g}")
    assert diff <= WEIGHT_TOL
    # the sharded reference model gives the same log-probs as the unsharded one
    ref_diff = max_weight_diff(single / "ref.safetensors", tmp_path / "ref.safetensors")
    assert ref_diff <= 1e-6

    # metric reduction across the two ranks (every rank gets the same, correct values)
    per_rank = [json.loads((tmp_path / f"metrics_rank{r}.json").read_text()) for r in (0, 1)]
    assert per_rank[0] == per_rank[1]
    m = per_rank[0]
    assert m["actor/entropy"] == pytest.approx((1 * 10 + 2 * 20) / 30)  # token-weighted mean
    assert m["batch/solve_all"] == 2 + 3  # summed counts
    assert m["response_length/max"] == 200  # max of maxima
    assert m["response_length/min"] == 4  # min of minima
    assert m["timing_s/gen"] == 2.5  # the slowest rank's time

    # a NaN on one rank: all ranks skip that update together (a hang would time out), weights stay
    for out in (single, tmp_path):
        nonfinite = json.loads((out / "nonfinite.json").read_text())
        assert nonfinite["skips"] == 1 and nonfinite["changed_by_skip"] == 0.0
        assert nonfinite["skips_after"] == 0 and nonfinite["changed_by_step"] > 0


def test_dcp_checkpoint_from_two_ranks_resumes_on_one(model_dir, tmp_path):
    scenario("dcp_save", tmp_path, model_dir, nproc=2)
    ckpt = tmp_path / "ckpt"
    assert (ckpt / "dcp" / ".metadata").is_file()
    assert not (tmp_path / "ckpt.tmp").exists()
    assert len(list((ckpt / "dcp").glob("*.distcp"))) == 2  # one shard file per rank
    scenario("dcp_resume", tmp_path, model_dir, nproc=1)
    # the loaded weights are the saved ones, exactly
    assert max_weight_diff(tmp_path / "saved.safetensors", tmp_path / "loaded.safetensors") == 0
    # and the optimizer state came along: the next step equals the 2-rank run's next step
    diff = max_weight_diff(tmp_path / "continued.safetensors", tmp_path / "resumed.safetensors")
    resumed = json.loads((tmp_path / "resumed.json").read_text())
    continued = json.loads((tmp_path / "continued.json").read_text())
    print(f"2-rank save -> 1-rank resume: next-step max |dw| {diff:.3g}")
    assert diff <= WEIGHT_TOL
    assert resumed["losses"] == pytest.approx(continued["losses"], rel=LOSS_RTOL)
    assert resumed["extra"] == {"step": 1, "world_size": 2}
