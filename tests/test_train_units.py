"""Pieces of the trainer on a real tiny model: HF rollout engine, log-probs, the update's
non-finite guard, group rejection, metric reduction, checkpoint round trip."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import transformers  # noqa: F401

from archer.rollout.base import SamplingParams
from archer.rollout.hf import HFRolloutEngine
from archer.tiny import tiny_model_for
from archer.train import checkpoint as ckpt
from archer.train.actor import (
    UpdateSettings,
    build_batch,
    compute_logprobs,
    update_policy,
)
from archer.train.context import (
    DistContext,
    MetricAcc,
    reduce_metrics,
    shard_groups,
)
from archer.train.reward import zero_variance_keep


@pytest.fixture(scope="module")
def tiny():
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = tiny_model_for("bpe")  # the cached embedded model (built once per machine)
    return AutoModelForCausalLM.from_pretrained(path), AutoTokenizer.from_pretrained(path)


def _settings(**kw):
    base = dict(
        ppo_epochs=2,
        mini_batch_size=4,
        micro_batch_size=2,
        temperature=1.0,
        clip_ratio_low=0.2,
        clip_ratio_high=0.28,
        clip_ratio_c=3.0,
        loss_agg_mode="token-mean",
        entropy_coeff=0.01,
        use_kl_loss=False,
        kl_loss_coef=0.0,
        kl_loss_type="low_var_kl",
        grad_clip=1.0,
    )
    base.update(kw)
    return UpdateSettings(**base)


def test_hf_engine_groups_samples_and_logprobs_match_trainer(tiny):
    model, tok = tiny
    torch.manual_seed(0)
    engine = HFRolloutEngine(model, tok)
    prompts = [tok("What is 2+2?")["input_ids"], tok("Compute 3 times 4, please.")["input_ids"]]
    params = SamplingParams(n=3, temperature=0.7, top_p=1.0, max_tokens=8)
    outs = engine.generate(prompts, params)
    assert [o.prompt_index for o in outs] == [0, 0, 0, 1, 1, 1]
    for o in outs:
        assert 1 <= len(o.response_ids) <= 8 and len(o.logprobs) == len(o.response_ids)
        assert o.finish_reason in ("stop", "length")
        assert (o.finish_reason == "stop") == (o.response_ids[-1] in engine.eos_token_ids)
        assert o.text == tok.decode(o.response_ids, skip_special_tokens=True)
    batch = build_batch(
        [o.prompt_ids for o in outs], [o.response_ids for o in outs], tok.pad_token_id
    )
    recomputed = compute_logprobs(
        model, batch, temperature=0.7, micro_batch_size=4, device=torch.device("cpu")
    )
    for i, o in enumerate(outs):
        got = recomputed[i, : len(o.logprobs)].numpy()
        np.testing.assert_allclose(got, np.array(o.logprobs), atol=2e-4)


def test_forward_response_matches_the_full_logits(tiny):
    """Only the response positions' logits are computed (`logits_to_keep`), in chunks: the
    log-probs, entropies and their gradients equal those from the whole logits tensor."""
    from archer import algo
    from archer.train.actor import forward_response

    model, tok = tiny
    model = type(model)(model.config)
    batch = _batch(tok)
    logp, ent = forward_response(model, batch, 0.8, True)
    grads = torch.autograd.grad((logp - 0.1 * ent).sum(), list(model.parameters()))
    full = model(
        input_ids=batch.input_ids,
        attention_mask=batch.attention_mask,
        position_ids=batch.position_ids,
        use_cache=False,
    ).logits
    p, t_w = batch.prompt_width, batch.responses.shape[1]
    z = full[:, p - 1 : p - 1 + t_w].float() / 0.8
    ref_logp = algo.logprobs_from_logits(z, batch.responses)
    ref_ent = algo.entropy_from_logits(z)
    torch.testing.assert_close(logp, ref_logp, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ent, ref_ent, atol=1e-5, rtol=1e-5)
    ref_grads = torch.autograd.grad((ref_logp - 0.1 * ref_ent).sum(), list(model.parameters()))
    for g, r in zip(grads, ref_grads):
        torch.testing.assert_close(g, r, atol=1e-5, rtol=1e-4)


def _batch(tok):
    prompts = [tok("a b")["input_ids"], tok("c")["input_ids"]] * 2
    responses = [[5, 6, 7], [8], [9, 10], [11, 12, 13]]
    return build_batch(prompts, responses, tok.pad_token_id)


def test_update_moves_weights_and_reports_metrics(tiny):
    model, tok = tiny
    model = type(model)(model.config)
    batch = _batch(tok)
    old = compute_logprobs(model, batch, temperature=1.0, micro_batch_size=4, device="cpu")
    before = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    acc = MetricAcc()
    adv = torch.tensor([1.0, -1.0, 0.5, -0.5])
    update_policy(model, opt, batch, old, None, adv, _settings(), "cpu", acc)
    m = reduce_metrics(acc, DistContext())
    assert m["actor/nonfinite_skips"] == 0
    assert m["actor/grad_norm"] > 0 and math.isfinite(m["actor/pg_loss"])
    assert 0 <= m["actor/pg_clipfrac"] <= 1
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_aspo_update_is_not_the_ppo_update(tiny):
    """`policy_loss="aspo"` reaches the update: the same batch and start give other weights than
    PPO, and the soft dual clip's fractions are logged."""
    model, tok = tiny
    batch = _batch(tok)
    adv = torch.tensor([1.0, -1.0, 0.5, -0.5])
    results = {}
    for loss in ("ppo", "aspo"):
        torch.manual_seed(0)
        m_ = type(model)(model.config)
        old = compute_logprobs(m_, batch, temperature=1.0, micro_batch_size=4, device="cpu")
        opt = torch.optim.AdamW(m_.parameters(), lr=1e-3)
        acc = MetricAcc()
        settings = _settings(policy_loss=loss, token_entropy_split=True)
        update_policy(m_, opt, batch, old, None, adv, settings, "cpu", acc)
        results[loss] = (list(m_.parameters()), reduce_metrics(acc, DistContext()))
    (ppo_w, ppo_m), (aspo_w, aspo_m) = results["ppo"], results["aspo"]
    assert any(not torch.equal(a, b) for a, b in zip(ppo_w, aspo_w))
    assert "actor/positive_pg_clipfrac_dual" not in ppo_m
    for name in ("pg_clipfrac_upper", "negative_pg_clipfrac_dual", "positive_pg_clipfrac_dual"):
        assert 0 <= aspo_m[f"actor/{name}"] <= 1
    assert aspo_m["actor/nonfinite_skips"] == 0 and math.isfinite(aspo_m["actor/pg_loss"])
    with pytest.raises(ValueError, match="policy_loss 'apso': use one of ppo, aspo"):
        _settings(policy_loss="apso")


def test_nonfinite_loss_skips_the_update_and_keeps_weights(tiny):
    model, tok = tiny
    model = type(model)(model.config)
    batch = _batch(tok)
    old = compute_logprobs(model, batch, temperature=1.0, micro_batch_size=4, device="cpu")
    before = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    acc = MetricAcc()
    adv = torch.tensor([1.0, float("nan"), 0.5, -0.5])
    update_policy(model, opt, batch, old, None, adv, _settings(), "cpu", acc)
    m = reduce_metrics(acc, DistContext())
    assert m["actor/nonfinite_skips"] == 2  # one mini-batch of 4, two epochs: both skipped
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert not opt.state  # the optimizer never stepped


def test_kl_loss_and_token_entropy_split(tiny):
    model, tok = tiny
    model = type(model)(model.config)
    batch = _batch(tok)
    old = compute_logprobs(model, batch, temperature=1.0, micro_batch_size=4, device="cpu")
    ref = old + 0.1
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    acc = MetricAcc()
    s = _settings(use_kl_loss=True, kl_loss_coef=0.05, token_entropy_split=True, ppo_epochs=1)
    update_policy(model, opt, batch, old, ref, torch.ones(4), s, "cpu", acc)
    m = reduce_metrics(acc, DistContext())
    # low_var_kl of a constant 0.1 log-ratio: e^0.1 - 0.1 - 1
    assert m["actor/kl_loss"] == pytest.approx(math.exp(0.1) - 1.1, rel=1e-4)


def test_zero_variance_groups_are_rejected_on_raw_scores():
    raw = np.array([1, 1, 0, 1, 0, 0, 1, 1], dtype=float)
    keep = zero_variance_keep(raw, [0, 0, 1, 1, 2, 2, 3, 3])
    assert keep.tolist() == [False, False, True, True, False, False, False, False]


def test_metric_reduction_and_group_sharding_for_one_rank():
    acc = MetricAcc()
    acc.mean("a", 1.0, 1)
    acc.mean("a", 4.0, 3)
    acc.sum("c", 2)
    acc.sum("c", 3)
    acc.max("m", 1.0)
    acc.max("m", 5.0)
    acc.min("n", 2.0)
    acc.mean("empty", 0.0, 0)
    out = reduce_metrics(acc, DistContext())
    assert out["a"] == pytest.approx(13 / 4) and out["c"] == 5 and out["m"] == 5 and out["n"] == 2
    assert math.isnan(out["empty"])
    assert shard_groups([3, 4, 5, 6], DistContext()) == [3, 4, 5, 6]
    assert shard_groups([3, 4, 5, 6], DistContext(rank=1, world_size=2)) == [5, 6]
    with pytest.raises(ValueError, match="evenly"):
        shard_groups([1, 2, 3], DistContext(rank=0, world_size=2))


def test_checkpoint_round_trip_restores_optimizer_and_rng(tiny, tmp_path):
    model, tok = tiny
    model = type(model)(model.config)
    batch = _batch(tok)
    old = compute_logprobs(model, batch, temperature=1.0, micro_batch_size=4, device="cpu")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    update_policy(model, opt, batch, old, None, torch.ones(4), _settings(), "cpu", MetricAcc())
    torch.manual_seed(123)
    path = ckpt.save_checkpoint(
        tmp_path, 7, model=model, tokenizer=tok, optimizer=opt, state={"data": {"x": 1}}
    )
    expected_draw = torch.rand(3)
    opt2 = torch.optim.AdamW(model.parameters(), lr=5.0)
    state = ckpt.load_checkpoint(path, model=model, optimizer=opt2)
    ckpt.restore_rng(path)
    assert state["step"] == 7 and state["data"] == {"x": 1}
    assert opt2.param_groups[0]["lr"] == 1e-3
    name, p = next(iter(model.named_parameters()))
    assert torch.equal(opt2.state[p]["exp_avg"], opt.state[p]["exp_avg"]), name
    assert torch.equal(torch.rand(3), expected_draw)
    assert ckpt.latest_checkpoint(tmp_path) == path
    # nothing in a checkpoint is a pickle
    assert {f.suffix for f in path.rglob("*") if f.is_file()} <= {".json", ".safetensors", ".jinja"}


def test_wandb_mode_and_the_key_never_reaches_run_files(tmp_path, monkeypatch):
    import json

    from archer.config import Config
    from archer.tracking import Tracker, resolve_wandb_mode

    assert resolve_wandb_mode("auto", {}) == "offline"
    assert resolve_wandb_mode("auto", {"WANDB_API_KEY": "k"}) == "online"
    assert resolve_wandb_mode("disabled", {"WANDB_API_KEY": "k"}) == "disabled"
    secret = "archer-test-secret-key-0123456789"
    monkeypatch.setenv("WANDB_API_KEY", secret)
    cfg = Config()
    tracker = Tracker(tmp_path, cfg.to_dict(), wandb_mode="disabled")
    tracker.log(1, {"a": 1.0, "b": float("nan")})
    tracker.close()
    cfg.dump(tmp_path / "config.json")
    rows = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert rows == [{"step": 1, "a": 1.0, "b": None}]  # NaN is written as null
    for f in tmp_path.rglob("*"):
        if f.is_file():
            assert secret not in f.read_text(errors="ignore")


def test_scorer_metrics_are_weighted_by_the_responses_they_cover():
    from archer.train.metrics import add_scorer_metrics

    acc = MetricAcc()
    # rank A: 4 responses, 1 correct; rank B: 4 responses, none correct (pos value meaningless)
    add_scorer_metrics(acc, {"token/pos_x": 8.0, "token/neg_x": 2.0, "batch/valid": 1}, 4, 1)
    add_scorer_metrics(acc, {"token/pos_x": 0.0, "token/neg_x": 4.0, "batch/valid": 0}, 4, 0)
    out = reduce_metrics(acc, DistContext())
    assert out["token/pos_x"] == pytest.approx(8.0)  # only rank A had correct responses
    assert out["token/neg_x"] == pytest.approx((2.0 * 3 + 4.0 * 4) / 7)
    assert out["batch/valid"] == 1
    alone = MetricAcc()
    add_scorer_metrics(alone, {"response_length/pos/mean": 0.0}, 4, 0)
    # no correct response on the only rank: no value (logged as null), not a 0 that reads as collapse
    assert math.isnan(reduce_metrics(alone, DistContext())["response_length/pos/mean"])
    one = MetricAcc()
    add_scorer_metrics(one, {"response_length/pos/mean": 37.5}, 4, 2)
    assert reduce_metrics(one, DistContext())["response_length/pos/mean"] == 37.5  # identity
