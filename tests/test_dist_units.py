"""Fast checks of the scale-out plumbing that need no process group or engine: launcher
environments (torchrun, Slurm), the launch plan, weight-push grouping and wire format."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from archer.rollout.vllm import VLLMOptions, iter_full_parameters, module_group
from archer.rollout.vllm_worker import decode_tensor, encode_tensor
from archer.train.dist import DistEnvError, first_slurm_host, rank_env
from archer.train.launch import LaunchError, plan_launch


def test_torchrun_environment():
    env = {
        "RANK": "3",
        "WORLD_SIZE": "8",
        "LOCAL_RANK": "3",
        "MASTER_ADDR": "n0",
        "MASTER_PORT": "1234",
    }
    info = rank_env(env)
    assert (info.rank, info.world_size, info.local_rank) == (3, 8, 3)
    assert (info.master_addr, info.master_port, info.source) == ("n0", 1234, "torchrun")


def test_slurm_environment_uses_first_node_as_rendezvous():
    env = {
        "SLURM_PROCID": "9",
        "SLURM_NTASKS": "16",
        "SLURM_LOCALID": "1",
        "SLURM_NODELIST": "gpu[017-018]",
    }
    info = rank_env(env)
    assert (info.rank, info.world_size, info.local_rank) == (9, 16, 1)
    assert (info.master_addr, info.master_port, info.source) == ("gpu017", 29500, "slurm")
    # torchrun inside an srun allocation: torchrun's own variables win
    both = {**env, "RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "0"}
    assert rank_env(both).source == "torchrun"


@pytest.mark.parametrize(
    "nodelist,first",
    [("node1", "node1"), ("a[3-5],b2", "a3"), ("gpu[007,009-010]", "gpu007"), ("x1,x2", "x1")],
)
def test_first_slurm_host(nodelist, first):
    assert first_slurm_host(nodelist) == first


def test_bad_launcher_environment_is_named():
    assert rank_env({}) is None
    with pytest.raises(DistEnvError, match="RANK"):
        rank_env({"RANK": "one", "WORLD_SIZE": "2"})
    with pytest.raises(DistEnvError, match="outside world size"):
        rank_env({"RANK": "2", "WORLD_SIZE": "2"})


def test_launch_plan():
    # already a rank: run in place; one process on one node: nothing to launch
    assert plan_launch(nproc=4, env={"RANK": "0", "WORLD_SIZE": "4"}) is None
    assert plan_launch(nproc=1, env={}) is None
    plan = plan_launch(nproc=4, env={})
    assert (plan.nproc, plan.nnodes, plan.world_size) == (4, 1, 4)
    plan = plan_launch(nproc=8, nnodes=2, node_rank=1, rdzv_endpoint="n0:29400", env={})
    assert (plan.world_size, plan.node_rank) == (16, 1)
    with pytest.raises(LaunchError, match="--rdzv-endpoint"):
        plan_launch(nproc=8, nnodes=2, env={})
    with pytest.raises(LaunchError, match="HOST:PORT"):
        plan_launch(nproc=8, nnodes=2, rdzv_endpoint="n0", env={})
    with pytest.raises(LaunchError, match="--node-rank 2"):
        plan_launch(nproc=1, nnodes=2, node_rank=2, rdzv_endpoint="n0:1", env={})
    with pytest.raises(LaunchError, match="--nproc 0"):
        plan_launch(nproc=0, env={})


def test_weight_push_groups_keep_fused_layers_together():
    assert module_group("model.layers.3.self_attn.q_proj.weight") == "model.layers.3"
    assert module_group("model.layers.3.mlp.up_proj.weight") == "model.layers.3"
    assert module_group("model.layers.12.input_layernorm.weight") == "model.layers.12"
    assert module_group("model.embed_tokens.weight") == "model.embed_tokens"
    assert module_group("model.norm.weight") == "model.norm"
    assert module_group("lm_head.weight") == "lm_head"


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_wire_format_roundtrip(dtype):
    t = torch.randn(3, 5).to(dtype)
    name, back = decode_tensor(encode_tensor("w", t))
    assert name == "w" and back.dtype == dtype and torch.equal(back, t)
    with pytest.raises(ValueError, match="int64"):
        encode_tensor("idx", torch.arange(3))


def test_full_parameters_of_a_plain_model_skip_the_tied_head():
    from transformers import Qwen3Config, Qwen3ForCausalLM

    cfg = Qwen3Config(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
        head_dim=16, intermediate_size=64, vocab_size=64, tie_word_embeddings=True,
    )  # fmt: skip
    model = Qwen3ForCausalLM(cfg)
    names = [n for n, t in iter_full_parameters(model, torch.bfloat16)]
    assert "lm_head.weight" not in names and "model.embed_tokens.weight" in names
    assert all(t.dtype == torch.bfloat16 for _, t in iter_full_parameters(model, torch.bfloat16))


def test_options_validate():
    with pytest.raises(ValueError, match="gpu_memory_utilization"):
        VLLMOptions(gpu_memory_utilization=1.5)


def test_archer_imports_without_vllm():
    code = (
        "import sys; import archer.rollout.vllm, archer.train.dist, archer.train.fsdp, "
        "archer.train.dcp, archer.train.launch; print('vllm' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_each_rank_engine_sees_only_its_gpu(monkeypatch):
    from archer.rollout.vllm import _only_gpu_visible

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5")
    with _only_gpu_visible("cuda:1"):
        assert os.environ["CUDA_VISIBLE_DEVICES"] == "5"  # the rank's physical GPU
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "4,5"
    for device in (None, "auto", "cuda", "cpu"):
        with _only_gpu_visible(device):
            assert os.environ["CUDA_VISIBLE_DEVICES"] == "4,5"
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    with _only_gpu_visible("cuda:2"):
        assert os.environ["CUDA_VISIBLE_DEVICES"] == "2"
    assert "CUDA_VISIBLE_DEVICES" not in os.environ


def test_backend_per_device():
    from archer.train.dist import backend_for

    assert backend_for(torch.device("cpu")) == "gloo"
    # GPU tensors over nccl, the CPU-side metric reductions over gloo
    assert backend_for(torch.device("cuda", 0)) == "cpu:gloo,cuda:nccl"
