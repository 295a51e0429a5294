"""FSDP2 for the actor and the reference model: `fully_shard` on every decoder layer, then the root.

Per-layer units mean only one layer's full parameters exist at a time in forward/backward; the root
unit holds the embedding, final norm and (tied) output head. Parameters become DTensors sharded on
dim 0 over the ranks; names do not change, so checkpoints and vLLM weight pushes use the usual
Hugging Face names.

Precision: on GPU, bf16 compute with fp32 gradient reduction (`MixedPrecisionPolicy`) over fp32
master weights; on CPU everything stays fp32 (bf16 matmuls are slow there and the CPU tests compare
1 rank with 2 ranks at fp32 precision). FSDP1 is not used: it does not run on CPU
(../shared/notes/platform-facts.md).
"""

from __future__ import annotations

import torch
from torch import nn

from archer.train.context import DistContext


class FSDPSetupError(RuntimeError):
    """The model cannot be wrapped as asked."""


def decoder_layers(model: nn.Module) -> list[nn.Module]:
    """The transformer blocks of a Hugging Face causal LM (`model.model.layers` for Qwen/Llama),
    found as the largest `nn.ModuleList` so other architectures work too."""
    inner = getattr(model, "model", None)
    layers = getattr(inner, "layers", None)
    if isinstance(layers, nn.ModuleList) and len(layers):
        return list(layers)
    lists = [m for m in model.modules() if isinstance(m, nn.ModuleList) and len(m)]
    if not lists:
        raise FSDPSetupError(
            f"{type(model).__name__} has no list of decoder layers to shard (nn.ModuleList)"
        )
    return list(max(lists, key=len))


def enable_activation_checkpointing(model: nn.Module) -> None:
    """Recompute each layer's activations in backward (memory for time). Uses the model's own
    non-reentrant checkpointing, which leaves parameter names unchanged (no wrapper modules)."""
    enable = getattr(model, "gradient_checkpointing_enable", None)
    if enable is None:
        raise FSDPSetupError(
            f"{type(model).__name__} does not support gradient checkpointing; set "
            "model.gradient_checkpointing=false"
        )
    enable(gradient_checkpointing_kwargs={"use_reentrant": False})


def mixed_precision_for(device: torch.device):
    """bf16 parameters in compute with fp32 gradient reduction on GPU; None (fp32) on CPU."""
    if device.type != "cuda":
        return None
    from torch.distributed.fsdp import MixedPrecisionPolicy

    return MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32)


def shard_model(
    model: nn.Module,
    ctx: DistContext,
    *,
    activation_checkpointing: bool = False,
    cpu_offload: bool = False,
    reshard_after_forward: bool = True,
) -> nn.Module:
    """Wrap `model` in place with FSDP2 over all ranks of `ctx` and return it.

    `cpu_offload` keeps the sharded parameters in host memory and moves each unit to the GPU only
    while it runs (meant for the frozen reference model; pointless on CPU, so ignored there).
    """
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import CPUOffloadPolicy, OffloadPolicy, fully_shard

    if not torch.distributed.is_initialized():
        raise FSDPSetupError(
            "FSDP2 needs a process group: start the ranks with torchrun / srun / archer train "
            "--nproc N (archer.train.dist.init_distributed)"
        )
    if activation_checkpointing:
        enable_activation_checkpointing(model)
    mesh = init_device_mesh(ctx.device.type, (ctx.world_size,))
    kwargs = dict(mesh=mesh, reshard_after_forward=reshard_after_forward)
    mp = mixed_precision_for(ctx.device)
    if mp is not None:
        kwargs["mp_policy"] = mp
    offload = cpu_offload and ctx.device.type == "cuda"
    kwargs["offload_policy"] = CPUOffloadPolicy() if offload else OffloadPolicy()
    if not offload:
        model.to(ctx.device)
    for layer in decoder_layers(model):
        fully_shard(layer, **kwargs)
    fully_shard(model, **kwargs)
    return model


def shard_reference(model: nn.Module, ctx: DistContext, *, cpu_offload: bool = False) -> nn.Module:
    """The frozen reference model, sharded like the actor (no gradients, no optimizer state)."""
    model.requires_grad_(False)
    model.eval()
    return shard_model(model, ctx, cpu_offload=cpu_offload)


def is_sharded(model: nn.Module) -> bool:
    from torch.distributed.tensor import DTensor

    return any(isinstance(p, DTensor) for p in model.parameters())


def clip_grad_norm_(params, max_norm: float) -> torch.Tensor:
    """`torch.nn.utils.clip_grad_norm_` that also takes FSDP2 (DTensor) gradients: the norm is
    over all ranks' shards, returned as a plain tensor (the same on every rank)."""
    params = [p for p in params if p.grad is not None]
    if not params:
        return torch.tensor(0.0)
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    full = getattr(norm, "full_tensor", None)
    return full() if callable(full) else norm


def clip_grad_norm(model: nn.Module, max_norm: float) -> float:
    """Clip gradients to `max_norm` (global norm over all ranks' shards); return the norm before
    clipping as a float. Non-finite norms are returned as they are, for the caller to skip."""
    return float(clip_grad_norm_(model.parameters(), max_norm))


def full_state_dict_on_rank0(model: nn.Module) -> dict[str, torch.Tensor]:
    """Gather a full (unsharded) CPU state dict on rank 0 for a Hugging Face export; every rank
    must call it. Other ranks get an empty dict."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    if not is_sharded(model):
        return {k: v.detach().cpu() for k, v in model.state_dict().items()}
    opts = StateDictOptions(full_state_dict=True, cpu_offload=True)
    return get_model_state_dict(model, options=opts)
