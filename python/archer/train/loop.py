"""The GRPO training loop: it wires data -> rollout -> native scoring -> update -> metrics ->
guardrails -> checkpoints, and owns nothing else (math in archer.algo, scoring in archer.scoring,
model/engine construction in archer.train.factory).

Rank-aware from the start: every rank runs this loop on its share of whole prompt groups; metrics
go through `reduce_metrics`; only the main rank writes files.
"""

from __future__ import annotations

import dataclasses
import os
import random
import resource
import signal
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

from archer import algo
from archer.config import Config
from archer.criteria import criteria_for
from archer.data import PromptSampler, load_examples, prepare
from archer.rollout.base import SamplingParams
from archer.tracking import Tracker, read_metrics, truncate_metrics
from archer.train import checkpoint as ckpt
from archer.train import dcp, factory  # [scale-out] dcp
from archer.train.actor import UpdateSettings, build_batch, compute_logprobs, update_policy
from archer.train.context import DistContext, MetricAcc, reduce_metrics, shard_groups
from archer.train.context import single_process as _single_process
from archer.train.dist import broadcast_object, equalize_update_rows  # [scale-out]
from archer.train.metrics import record_batch_metrics, rollout_records
from archer.train.reward import score_rollouts, zero_variance_keep

# Test hook: kill -9 this process at a named point ("after_step:N", "checkpoint:N:model").
FAULT_ENV = "ARCHER_FAULT"


@dataclass
class RunResult:
    run_dir: Path
    last_step: int
    stopped: str  # "completed" | "abandoned" | "interrupted"
    history: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


class _Timer:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - start


def _fault(point: str) -> None:
    if os.environ.get(FAULT_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)


def new_run_id(cfg: Config) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{cfg.preset}-{stamp}"


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def _peak_memory_gb(ctx: DistContext) -> dict[str, float]:
    out = {"perf/cpu_max_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2}
    if ctx.device.type == "cuda":
        out["perf/max_memory_allocated_gb"] = torch.cuda.max_memory_allocated() / 1024**3
    return out


def run_training(
    cfg: Config,
    *,
    ctx: DistContext | None = None,
    resume_dir: Path | None = None,
    on_step: Callable[[int, dict[str, float], list], None] | None = None,
    on_event: Callable[[str], None] | None = None,
) -> RunResult:
    """Train for cfg.trainer.total_steps (continuing from the latest checkpoint of `resume_dir`).

    `on_step(step, metrics, guard_results)` and `on_event(message)` feed a display; the loop
    itself prints nothing.
    """
    ctx = ctx or _single_process(cfg.trainer.device)
    say = on_event or (lambda _m: None)
    model_path = factory.resolve_model_path(cfg)  # fails fast, before any heavy work
    if ctx.device.type == "cpu" and cfg.trainer.cpu_threads:
        torch.set_num_threads(cfg.trainer.cpu_threads)

    run_dir = resume_dir or Path(cfg.trainer.output_dir) / (cfg.trainer.run_id or new_run_id(cfg))
    run_dir = broadcast_object(run_dir, ctx)  # [scale-out] rank 0's timestamped name everywhere
    if ctx.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        cfg.dump(run_dir / "config.json")
    ctx.barrier()

    tokenizer = factory.load_tokenizer(model_path)
    prompts = prepare(load_examples(cfg.data.train_files), tokenizer, cfg.data)
    if prompts.n_filtered:
        say(
            f"filtered {prompts.n_filtered} prompt(s) longer than data.max_prompt_length="
            f"{cfg.data.max_prompt_length} tokens ({len(prompts.examples)} kept)"
        )
    sampler = PromptSampler(len(prompts.examples), seed=cfg.data.seed, shuffle=cfg.data.shuffle)
    val_set = None
    if cfg.data.val_files and cfg.trainer.test_freq:
        val_set = prepare(load_examples(cfg.data.val_files), tokenizer, cfg.data)
        if cfg.data.val_max_prompts:
            keep = cfg.data.val_max_prompts
            val_set = type(val_set)(
                val_set.examples[:keep], val_set.prompt_ids[:keep], val_set.n_filtered
            )

    start_step = 0
    latest = None
    if resume_dir is not None:
        if ctx.is_main:
            ckpt.clean_temporaries(run_dir)
        latest = ckpt.latest_checkpoint(run_dir)
    # [scale-out] checkpoints of multi-rank runs are DCP shards (no model/ directory): build from
    # the base model, then load the shards, resharded to this run's ranks
    sharded_ckpt = latest is not None and dcp.is_dcp_checkpoint(latest)
    if latest is not None and ctx.distributed and not sharded_ckpt:
        raise ckpt_error(latest, ctx)
    policy_path = latest / "model" if latest is not None and not sharded_ckpt else model_path
    policy = factory.build_policy(policy_path, cfg, ctx)
    reference = factory.build_reference(model_path, cfg, ctx)
    optimizer = factory.build_optimizer(policy, cfg)
    if latest is not None:
        if sharded_ckpt:
            state = dcp.load_step_checkpoint(latest, model=policy, optimizer=optimizer)
        else:
            state = ckpt.load_checkpoint(latest, model=policy, optimizer=optimizer)
        sampler.load_state_dict(state["data"])
        start_step = int(state["step"])
        say(f"resumed from {latest} (step {start_step})")
    if ctx.is_main and resume_dir is not None:
        truncate_metrics(run_dir / "metrics.jsonl", start_step)
    history = read_metrics(run_dir / "metrics.jsonl") if ctx.is_main else []

    tracker = Tracker(
        run_dir,
        cfg.to_dict(),
        enabled=ctx.is_main,
        wandb_mode=cfg.tracking.wandb,
        project=cfg.trainer.project_name,
        name=run_dir.name,
        resume=resume_dir is not None,
    )
    engine = factory.build_engine(cfg, policy, tokenizer, model_path, ctx)
    criteria = criteria_for(cfg.guard.criteria or cfg.preset) if cfg.guard.enabled else ()
    # Seed (or restore the checkpoint's RNG) last: building models, tokenizers and trackers may
    # draw random numbers, and a resumed run must continue the exact random stream.
    if latest is not None and sharded_ckpt:
        dcp.restore_step_rng(latest, ctx, cfg.trainer.seed)
    elif latest is not None:
        ckpt.restore_rng(latest)
    else:
        _seed_everything(cfg.trainer.seed + ctx.rank)
    pad_id = tokenizer.pad_token_id

    t = cfg.trainer
    n = cfg.rollout.n
    mini_prompts = max(1, t.ppo_mini_batch_size // ctx.world_size)
    settings = UpdateSettings(
        ppo_epochs=cfg.algo.ppo_epochs,
        mini_batch_size=mini_prompts * n,
        micro_batch_size=t.micro_batch_size,
        temperature=cfg.rollout.temperature,
        clip_ratio_low=cfg.algo.clip_ratio_low,
        clip_ratio_high=cfg.algo.clip_ratio_high,
        clip_ratio_c=cfg.algo.clip_ratio_c,
        loss_agg_mode=cfg.algo.loss_agg_mode,
        entropy_coeff=cfg.algo.entropy_coeff,
        use_kl_loss=cfg.algo.use_kl_loss and reference is not None,
        kl_loss_coef=cfg.algo.kl_loss_coef,
        kl_loss_type=cfg.algo.kl_loss_type,
        grad_clip=cfg.optim.grad_clip,
        policy_loss=cfg.algo.policy_loss,
        token_entropy_split=cfg.algo.token_entropy_split,
        token_entropy_quantile=cfg.algo.token_entropy_quantile,
        high_entropy_clip_ratio_low=cfg.algo.high_entropy_clip_ratio_low,
        high_entropy_clip_ratio_high=cfg.algo.high_entropy_clip_ratio_high,
    )
    sampling = SamplingParams(
        n=n,
        temperature=cfg.rollout.temperature,
        top_p=cfg.rollout.top_p,
        max_tokens=cfg.rollout.max_response_length,
    )

    def save(step: int) -> None:
        if ctx.distributed:  # [scale-out] collective: every rank writes its own shards
            dcp.save_step_checkpoint(
                run_dir,
                step,
                model=policy,
                optimizer=optimizer,
                tokenizer=tokenizer,
                state={"data": sampler.state_dict(), "preset": cfg.preset},
                keep=t.keep_checkpoints,
                ctx=ctx,
            )
            return
        if not ctx.is_main:
            return
        ckpt.save_checkpoint(
            run_dir,
            step,
            model=policy,
            tokenizer=tokenizer,
            optimizer=optimizer,
            state={"data": sampler.state_dict(), "preset": cfg.preset},
            keep=t.keep_checkpoints,
            fault_hook=lambda stage: _fault(f"checkpoint:{step}:{stage}"),
        )

    result = RunResult(run_dir, start_step, "completed", history)
    step = start_step
    try:
        for step in range(start_step + 1, t.total_steps + 1):
            timer = _Timer()
            acc = MetricAcc()
            with timer("step"):
                lr = cfg.optim.lr * algo.warmup_lr_factor(
                    step - 1, cfg.optim.warmup_steps, t.total_steps, cfg.optim.lr_schedule
                )
                for group in optimizer.param_groups:
                    group["lr"] = lr
                batch_idx = sampler.next_batch(t.train_batch_size)
                local = shard_groups(list(range(len(batch_idx))), ctx)
                prompt_ids = [prompts.prompt_ids[batch_idx[i]] for i in local]
                with timer("gen"):
                    engine.wake()
                    if cfg.rollout.seeded:  # [scale-out] seeds by global prompt index
                        seed = (cfg.trainer.seed * 1_000_003 + step * 100_003 + local[0]) % 2**31
                        sampling = dataclasses.replace(sampling, seed=seed)
                    rollouts = engine.generate(prompt_ids, sampling)
                    engine.sleep()
                with timer("reward"):
                    examples = [
                        prompts.examples[batch_idx[local[r.prompt_index]]] for r in rollouts
                    ]
                    group_ids = [local[r.prompt_index] for r in rollouts]
                    scores = score_rollouts(
                        cfg.scoring,
                        cfg.algo,
                        texts=[cfg.data.assistant_prefill + r.text for r in rollouts],
                        ground_truths=[e.ground_truth for e in examples],
                        group_ids=group_ids,
                        response_lengths=[len(r.response_ids) for r in rollouts],
                        finish_reasons=[r.finish_reason for r in rollouts],
                        max_response_length=cfg.rollout.max_response_length,
                    )
                    keep = (
                        zero_variance_keep(scores.raw_scores, group_ids)
                        if cfg.algo.reject_zero_variance
                        else np.ones(len(rollouts), dtype=bool)
                    )
                record_batch_metrics(acc, rollouts, scores, keep, n)
                # [scale-out] equal update work on every rank; padding rows are loss-masked
                kept, padding = equalize_update_rows(keep, ctx)
                if kept:
                    batch = build_batch(
                        [rollouts[i].prompt_ids for i in kept],
                        [rollouts[i].response_ids for i in kept],
                        pad_id,
                    )
                    if padding:
                        batch.response_mask[[kept.index(i) for i in padding]] = 0.0
                    adv = torch.as_tensor(scores.advantages[kept], dtype=torch.float32)
                    with timer("old_log_prob"):
                        old_logp = compute_logprobs(
                            policy,
                            batch,
                            temperature=cfg.rollout.temperature,
                            micro_batch_size=t.log_prob_micro_batch_size,
                            device=ctx.device,
                        )
                    # [scale-out] does the rollout engine sample from the trainer's weights?
                    _record_rollout_drift(acc, [rollouts[i] for i in kept], old_logp, batch)
                    ref_logp = None
                    with timer("ref"):
                        if reference is not None:
                            ref_logp = compute_logprobs(
                                reference,
                                batch,
                                temperature=cfg.rollout.temperature,
                                micro_batch_size=t.log_prob_micro_batch_size,
                                device=ctx.device,
                            )
                    with timer("update_actor"):
                        update_policy(
                            policy, optimizer, batch, old_logp, ref_logp, adv, settings,
                            ctx.device, acc,
                        )  # fmt: skip
                    with timer("sync_weights"):
                        engine.sync_weights(policy)
                else:
                    acc.sum("actor/skipped_no_signal", 1)
            acc.mean("actor/lr", lr)
            for name in (
                "step", "gen", "reward", "old_log_prob", "ref", "update_actor", "sync_weights"
            ):  # fmt: skip
                acc.max(f"timing_s/{name}", timer.times.get(name, 0.0))
            for name, value in _peak_memory_gb(ctx).items():
                acc.max(name, value)
            metrics = reduce_metrics(acc, ctx)
            metrics["training/global_step"] = step
            metrics["training/epoch"] = sampler.epoch
            metrics["data/filtered_prompts"] = prompts.n_filtered
            if val_set is not None and (step % t.test_freq == 0 or step == t.total_steps):
                from archer.train.validate import run_validation

                metrics.update(run_validation(engine, val_set, cfg, ctx))
            if ctx.is_main:
                tracker.log(step, metrics)
                tracker.log_rollouts(step, rollout_records(rollouts, examples, scores, cfg))
                history.append({"step": step, **metrics})
            _fault(f"after_step:{step}")

            guard_results = []
            if criteria and ctx.is_main:
                from archer.guard import evaluate_criteria

                guard_results = evaluate_criteria(criteria, history, step)
                for r in guard_results:
                    if r.breached:
                        say(f"step {step}: guardrail breached: {r.message}")
            if on_step:
                on_step(step, metrics, guard_results)
            result.last_step = step

            abandon = [r.message for r in guard_results if r.abandon]
            if abandon and cfg.guard.stop_on_abandon:
                save(step)
                result.stopped = "abandoned"
                result.messages = abandon
                say(f"stopping at step {step} (--stop-on-abandon): " + "; ".join(abandon))
                break
            if (t.save_freq and step % t.save_freq == 0) or step == t.total_steps:
                save(step)
    except KeyboardInterrupt:
        result.stopped = "interrupted"
    finally:
        tracker.close()
        close_engine = getattr(engine, "close", None)  # [scale-out] stop vLLM's processes
        if callable(close_engine):
            close_engine()
    return result


def _record_rollout_drift(acc: MetricAcc, rows, old_logp: torch.Tensor, batch) -> None:
    """[scale-out] verl's `training/rollout_probs_diff_*`: |p_rollout - p_trainer| per response
    token. Near 0 when the engine samples from the actor's current weights (float noise only);
    large values mean a stale or wrong weight sync."""
    sampled = torch.zeros_like(old_logp)
    for row, r in enumerate(rows):
        n = min(len(r.logprobs), sampled.shape[1])
        sampled[row, :n] = torch.tensor(r.logprobs[:n], dtype=sampled.dtype)
    mask = batch.response_mask.to(old_logp.dtype)
    tokens = float(mask.sum())
    if tokens == 0:
        return
    diff = (sampled.exp() - old_logp.exp()).abs() * mask
    acc.max("training/rollout_probs_diff_max", float(diff.max()))
    acc.mean("training/rollout_probs_diff_mean", float(diff.sum()) / tokens, tokens)


def ckpt_error(latest: Path, ctx: DistContext) -> Exception:
    """[scale-out] A single-process checkpoint holds full tensors, not DCP shards."""
    from archer.config import ConfigError

    return ConfigError(
        f"{latest} was written by a single-process run; resuming it on {ctx.world_size} ranks "
        "is not supported. Resume it with one process (archer train --resume ... --nproc 1), "
        "or start the multi-rank run from its model directory (--model <checkpoint>/model)."
    )
