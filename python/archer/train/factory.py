"""Small constructors the loop calls for everything it does not own: the model directory, the
policy and reference models, the optimizer, the rollout engine. Distributed wrapping (FSDP2) and
the vLLM engine plug in here, so the loop never changes with the backend.
"""

from __future__ import annotations

from pathlib import Path

import torch

from archer.config import Config, ConfigError
from archer.train.context import DistContext
from archer.train.model_path import ModelNotFoundError, resolve_model_path

__all__ = ["ModelNotFoundError", "resolve_model_path"]


def quiet_transformers() -> None:
    """No per-file progress bars from transformers while loading/saving tiny checkpoints: they
    would interleave with the trainer's own display."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def load_tokenizer(path: Path):
    from transformers import AutoTokenizer

    quiet_transformers()

    tok = AutoTokenizer.from_pretrained(str(path))
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def _dtype(cfg: Config, ctx: DistContext) -> torch.dtype:
    # Weights always stay fp32: AdamW at lr 1e-6 loses most updates in bf16 weights. bf16 is a
    # compute dtype only: FSDP2's MixedPrecisionPolicy under several ranks
    # (archer.train.fsdp.mixed_precision_for), autocast on a single GPU (_autocast_dtype).
    return torch.float32


def _autocast_dtype(cfg: Config, ctx: DistContext) -> torch.dtype | None:
    """bf16 autocast for the single-GPU forward passes (None: run in the weights' dtype)."""
    if cfg.model.dtype == "bfloat16" and ctx.device.type == "cuda" and not ctx.distributed:
        return torch.bfloat16
    return None


def build_policy(path: Path, cfg: Config, ctx: DistContext):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=_dtype(cfg, ctx))
    if cfg.model.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    model.config.use_cache = False
    model._archer_autocast_dtype = _autocast_dtype(cfg, ctx)  # read by actor.forward_response
    if ctx.distributed:  # [scale-out] FSDP2: each decoder layer, then the root
        from archer.train.fsdp import shard_model

        return shard_model(model, ctx)
    return model.to(ctx.device)


def build_reference(path: Path, cfg: Config, ctx: DistContext):
    """The frozen reference policy for the KL loss (None when the KL loss is off)."""
    if not cfg.algo.use_kl_loss or cfg.algo.kl_loss_coef == 0:
        return None
    from transformers import AutoModelForCausalLM

    ref = AutoModelForCausalLM.from_pretrained(str(path), dtype=_dtype(cfg, ctx))
    ref.requires_grad_(False)
    ref.eval()
    ref._archer_autocast_dtype = _autocast_dtype(cfg, ctx)
    if ctx.distributed:  # [scale-out] sharded like the actor, optionally kept in host memory
        from archer.train.fsdp import shard_reference

        return shard_reference(ref, ctx, cpu_offload=cfg.trainer.ref_cpu_offload)
    return ref.to(ctx.device)


def build_optimizer(model, cfg: Config) -> torch.optim.Optimizer:
    o = cfg.optim
    return torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=o.lr,
        betas=tuple(o.betas),
        weight_decay=o.weight_decay,
        eps=1e-8,
    )


def build_engine(cfg: Config, model, tokenizer, model_path: Path, ctx: DistContext):
    """The rollout engine named by rollout.engine."""
    if cfg.rollout.engine == "hf":
        from archer.rollout.hf import HFRolloutEngine

        return HFRolloutEngine(model, tokenizer)
    if cfg.rollout.engine == "vllm":
        from archer.rollout.vllm import VLLMEngine, VLLMOptions

        options = VLLMOptions(
            gpu_memory_utilization=cfg.rollout.gpu_memory_utilization,
            max_model_len=cfg.data.max_prompt_length + cfg.rollout.max_response_length,
            seed=cfg.trainer.seed + ctx.rank,
            enforce_eager=cfg.rollout.enforce_eager,
        )
        return VLLMEngine(str(model_path), options, device=str(ctx.device))
    raise ConfigError(f"rollout.engine={cfg.rollout.engine!r}: use hf or vllm")
