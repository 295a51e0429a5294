"""Scenarios run as real ranks by tests/test_dist*.py (torchrun with gloo, or one plain process).

    python tests/dist_scenarios.py SCENARIO OUT_DIR MODEL_DIR

Each scenario writes its results under OUT_DIR (rank 0 only, except where noted) for the test to
compare: tensors as safetensors, numbers as JSON. Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

from archer.train.context import MetricAcc, reduce_metrics, shard_groups
from archer.train.dcp import load_dcp, save_dcp
from archer.train.dist import init_distributed, shutdown_distributed
from archer.train.fsdp import clip_grad_norm, full_state_dict_on_rank0, shard_model, shard_reference

GLOBAL_SEQS = 8
SEQ_LEN = 12
LR = 1e-2


def _model(model_dir: str):
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model.config.use_cache = False
    return model


def _global_batch(vocab: int):
    """The same batch on every rank: ids, a loss mask of varying lengths, per-sequence weights."""
    g = torch.Generator().manual_seed(1234)
    ids = torch.randint(3, vocab, (GLOBAL_SEQS, SEQ_LEN), generator=g)
    lengths = torch.randint(4, SEQ_LEN, (GLOBAL_SEQS,), generator=g)
    mask = (torch.arange(SEQ_LEN)[None, :] < lengths[:, None]).float()
    weights = torch.randn(GLOBAL_SEQS, generator=g)
    return ids, mask, weights


def _token_logprobs(model, ids):
    logits = model(input_ids=ids).logits[:, :-1].float()
    return torch.log_softmax(logits, -1).gather(-1, ids[:, 1:, None])[..., 0]


def _train_steps(model, optimizer, ctx, steps: int = 2) -> dict:
    """A policy-gradient-shaped loss normalised by the GLOBAL token count, so that FSDP's
    gradient averaging over ranks gives exactly the one-process gradient."""
    vocab = model.config.vocab_size
    ids, mask, weights = _global_batch(vocab)
    mine = shard_groups(list(range(GLOBAL_SEQS)), ctx)
    ids, mask, weights = ids[mine], mask[mine], weights[mine]
    global_tokens = float(_global_batch(vocab)[1][:, 1:].sum())
    losses, norms = [], []
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        logp = _token_logprobs(model, ids)
        local_sum = -(logp * weights[:, None] * mask[:, 1:]).sum()
        (local_sum * ctx.world_size / global_tokens).backward()
        norms.append(clip_grad_norm(model, 1.0))
        optimizer.step()
        total = local_sum.detach().clone()
        if ctx.distributed:
            torch.distributed.all_reduce(total)
        losses.append(float(total) / global_tokens)
    return {"losses": losses, "grad_norms": norms}


def _reduce_example_metrics(out: Path, ctx) -> None:
    """Each rank contributes different values; every rank writes what the reduction gave it."""
    r = ctx.rank
    acc = MetricAcc()
    # rank r: (r+1)*10 tokens with mean entropy r+1 -> token-weighted mean over ranks
    acc.mean("actor/entropy", float(r + 1), weight=(r + 1) * 10)
    acc.sum("batch/solve_all", float(r + 2))
    acc.max("response_length/max", float(100 * (r + 1)))
    acc.min("response_length/min", float(5 - r))
    acc.max("timing_s/gen", 1.5 + r)
    (out / f"metrics_rank{r}.json").write_text(json.dumps(reduce_metrics(acc, ctx)))


def _nonfinite_step(out: Path, model_dir: str, ctx) -> None:
    """The trainer's update (archer.train.actor) with a NaN advantage on the LAST rank only: every
    rank must skip the step together (no hang, weights unchanged), then a finite step moves them."""
    from archer.train.actor import UpdateSettings, build_batch, compute_logprobs, update_policy

    model = _model(model_dir)
    if ctx.distributed:
        shard_model(model, ctx)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR)
    batch = build_batch([[5, 6, 7]] * 4, [[8, 9, 10, 11], [12, 13], [14, 15, 16], [17]], pad_id=0)
    old = compute_logprobs(model, batch, temperature=1.0, micro_batch_size=4, device="cpu")
    settings = UpdateSettings(
        ppo_epochs=1, mini_batch_size=4, micro_batch_size=2, temperature=1.0,
        clip_ratio_low=0.2, clip_ratio_high=0.2, clip_ratio_c=3.0, loss_agg_mode="token-mean",
        entropy_coeff=0.0, use_kl_loss=False, kl_loss_coef=0.0, kl_loss_type="low_var_kl",
        grad_clip=1.0,
    )  # fmt: skip
    advantages = torch.tensor([1.0, -1.0, 0.5, -0.5])
    poisoned = advantages.clone()
    if ctx.rank == ctx.world_size - 1:
        poisoned[0] = float("nan")
    before = {k: v.clone() for k, v in full_state_dict_on_rank0(model).items()}
    acc = MetricAcc()
    update_policy(model, optimizer, batch, old, None, poisoned, settings, "cpu", acc)
    skipped = reduce_metrics(acc, ctx)
    after_skip = {k: v.clone() for k, v in full_state_dict_on_rank0(model).items()}
    acc = MetricAcc()
    update_policy(model, optimizer, batch, old, None, advantages, settings, "cpu", acc)
    stepped = reduce_metrics(acc, ctx)
    after_step = full_state_dict_on_rank0(model)
    if ctx.is_main:
        result = {
            "skips": skipped["actor/nonfinite_skips"],
            "changed_by_skip": max(float((after_skip[k] - before[k]).abs().max()) for k in before),
            "skips_after": stepped["actor/nonfinite_skips"],
            "changed_by_step": max(float((after_step[k] - before[k]).abs().max()) for k in before),
        }
        (out / "nonfinite.json").write_text(json.dumps(result))


def _save_full(model, path: Path, ctx) -> None:
    full = full_state_dict_on_rank0(model)
    if ctx.is_main:
        save_file({k: v.clone().contiguous() for k, v in full.items()}, str(path))


def fsdp_step(out: Path, model_dir: str) -> None:
    ctx = init_distributed("cpu")
    model = _model(model_dir)
    reference = _model(model_dir)
    if ctx.distributed:
        shard_model(model, ctx)
        shard_reference(reference, ctx)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.1)
    result = _train_steps(model, optimizer, ctx)
    # the (sharded) reference model's log-probs on this rank's share, gathered in rank order
    ids, _, _ = _global_batch(model.config.vocab_size)
    with torch.no_grad():
        ref_lp = _token_logprobs(reference, ids[shard_groups(list(range(GLOBAL_SEQS)), ctx)])
    if ctx.distributed:
        parts = [torch.empty_like(ref_lp) for _ in range(ctx.world_size)]
        torch.distributed.all_gather(parts, ref_lp)
        ref_lp = torch.cat(parts)
    result["world_size"] = ctx.world_size
    result["sharded"] = ctx.distributed
    _reduce_example_metrics(out, ctx)
    _nonfinite_step(out, model_dir, ctx)
    _save_full(model, out / "model.safetensors", ctx)
    if ctx.is_main:
        save_file({"ref_logprobs": ref_lp}, str(out / "ref.safetensors"))
        (out / "result.json").write_text(json.dumps(result))
    shutdown_distributed()


def dcp_save(out: Path, model_dir: str) -> None:
    """Train one step on N ranks, checkpoint with DCP, then train one more step (the target a
    resumed run must reproduce)."""
    ctx = init_distributed("cpu")
    model = _model(model_dir)
    if ctx.distributed:
        shard_model(model, ctx)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.1)
    _train_steps(model, optimizer, ctx, steps=1)
    save_dcp(out / "ckpt", model, optimizer, ctx, extra={"step": 1, "world_size": ctx.world_size})
    _save_full(model, out / "saved.safetensors", ctx)
    after = _train_steps(model, optimizer, ctx, steps=1)
    _save_full(model, out / "continued.safetensors", ctx)
    if ctx.is_main:
        (out / "continued.json").write_text(json.dumps(after))
    shutdown_distributed()


def dcp_resume(out: Path, model_dir: str) -> None:
    """Load the checkpoint on however many ranks this runs with and take the same next step."""
    ctx = init_distributed("cpu")
    model = _model(model_dir)
    with torch.no_grad():  # make sure the load really overwrites the weights
        for p in model.parameters():
            p.add_(1.0)
    if ctx.distributed:
        shard_model(model, ctx)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.1)
    extra = load_dcp(out / "ckpt", model, optimizer)
    _save_full(model, out / "loaded.safetensors", ctx)
    after = _train_steps(model, optimizer, ctx, steps=1)
    _save_full(model, out / "resumed.safetensors", ctx)
    if ctx.is_main:
        (out / "resumed.json").write_text(json.dumps({**after, "extra": extra}))
    shutdown_distributed()


SCENARIOS = {f.__name__: f for f in (fsdp_step, dcp_save, dcp_resume)}

if __name__ == "__main__":
    name, out_dir, model_dir = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    out_dir.mkdir(parents=True, exist_ok=True)
    SCENARIOS[name](out_dir, model_dir)
