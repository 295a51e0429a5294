"""One v1-preset GRPO step at Qwen3-0.6B's exact shape on this machine's GPUs.

    python benches/gpu_step.py [--steps 2] [--nproc N] [--max-tokens 4096] [--keep DIR]

Builds a RANDOMLY INITIALISED model with Qwen3-0.6B's shape (hidden 1024, 28 layers, 16 heads,
8 KV heads, head_dim 128, intermediate 3072, vocab 151936, tied embeddings; no download), then runs
`archer train --preset v1` on it exactly as a user would (FSDP2 over one rank per GPU, colocated
vLLM, bf16 mixed precision, activation checkpointing) on math500 prompts, and prints per step:
tokens/s, the time split (generation, reward, old/ref log-probs, update, weight sync) and the peak
GPU memory per GPU, next to the seeds' reference (4 x H100: ~103 s/step = 150 steps in 4.3 h,
61.6 GB peak per GPU).

Work per GPU is kept equal to the reference's: 16 prompts x 16 responses per GPU per step (64 x 16
on 4 GPUs; fewer prompts with fewer GPUs), mini-batches of 4 prompts per GPU.

Caveat for comparing: random weights almost never sample EOS, so every response runs to
--max-tokens (4096), while the seeds' runs averaged 1-2K tokens per response. Compare tokens/s and
the per-token cost, not seconds per step.

Needs a CUDA GPU and vLLM; on a machine without one it exits at once with a message (status 2).
The first step includes vLLM's and FSDP's warm-up: the summary uses the last step.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "math500.jsonl"
REFERENCE = {"gpus": 4, "s_per_step": 103.0, "peak_gb_per_gpu": 61.6, "prompts": 64, "n": 16}

QWEN3_0_6B = dict(
    hidden_size=1024,
    num_hidden_layers=28,
    num_attention_heads=16,
    num_key_value_heads=8,
    head_dim=128,
    intermediate_size=3072,
    vocab_size=151936,
    tie_word_embeddings=True,
    max_position_embeddings=40960,
    rope_theta=1000000.0,
    rms_norm_eps=1e-6,
)


def build_tokenizer(path: Path, vocab_size: int):
    """A character-level tokenizer covering every model id (so vLLM can detokenize anything a
    random model samples), with Qwen's special tokens and a ChatML template."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from archer.tiny import CHAT_TEMPLATE, EOS, IM_END, IM_START, PAD

    specials = [EOS, IM_START, IM_END, PAD]
    chars = [chr(c) for c in range(32, 127)] + ["\n", "\t"]
    vocab = {tok: i for i, tok in enumerate(specials + chars)}
    for i in range(len(vocab), vocab_size):
        vocab[f"<t{i}>"] = i
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=PAD))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tok.decoder = decoders.Fuse()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=EOS,
        pad_token=PAD,
        additional_special_tokens=[IM_START, IM_END],
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(str(path))
    return fast


def build_model(path: Path, seed: int) -> None:
    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    tok = build_tokenizer(path, QWEN3_0_6B["vocab_size"])
    torch.manual_seed(seed)
    config = Qwen3Config(
        **QWEN3_0_6B,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        bos_token_id=None,
        torch_dtype="bfloat16",
    )
    with torch.device("cuda"):
        model = Qwen3ForCausalLM(config)
    model.to(torch.bfloat16).save_pretrained(str(path))
    n = sum(p.numel() for p in model.parameters())
    print(f"built a random Qwen3-0.6B-shaped model: {n / 1e6:.1f}M parameters -> {path}")


class GpuMemorySampler:
    """Peak memory used per GPU as nvidia-smi sees it (trainer AND the vLLM engine processes;
    torch's max_memory_allocated in the trainer sees only the trainer's own tensors)."""

    def __init__(self, period_s: float = 0.5) -> None:
        import threading

        self.peak_mib: dict[int, float] = {}
        self.period_s = period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=index,memory.used", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        for line in out.stdout.strip().splitlines():
            index, used = (x.strip() for x in line.split(","))
            self.peak_mib[int(index)] = max(self.peak_mib.get(int(index), 0.0), float(used))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._sample()
            except (OSError, ValueError, subprocess.SubprocessError):
                return  # no nvidia-smi: report the trainer's own numbers only
            self._stop.wait(self.period_s)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=15)


def run_train(args, model_dir: Path, out_dir: Path, ngpu: int) -> Path:
    prompts = 16 * ngpu
    cmd = [
        sys.executable, "-m", "archer.cli", "train",
        "--preset", "v1",
        "--model", str(model_dir),
        "--data", str(args.data),
        "--steps", str(args.steps),
        "--output", str(out_dir),
        "--run-id", "gpu-step",
        "--nproc", str(ngpu),
        "--quiet",
        "--set", f"trainer.train_batch_size={prompts}",
        "--set", f"trainer.ppo_mini_batch_size={4 * ngpu}",
        "--set", f"rollout.max_response_length={args.max_tokens}",
        "--set", "tracking.wandb=disabled",
        "--set", "guard.enabled=false",
    ]  # fmt: skip
    print("running:", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=REPO, check=True)
    return out_dir / "gpu-step" / "metrics.jsonl"


def report(metrics_file: Path, ngpu: int, peak_mib: dict[int, float]) -> None:
    rows = [json.loads(line) for line in metrics_file.read_text().splitlines() if line.strip()]
    if not rows:
        raise SystemExit(f"no metrics in {metrics_file}")
    for row in rows:
        step = row.get("timing_s/step", float("nan"))
        responses = 16 * 16 * ngpu
        tokens = row.get("response_length/mean", 0.0) * responses
        prompt_tokens = row.get("prompt_length/mean", 0.0) * responses
        print(
            f"step {int(row.get('training/global_step', 0))}: {step:.1f} s, "
            f"{tokens / step:,.0f} response tokens/s ({(tokens + prompt_tokens) / step:,.0f} "
            f"incl. prompts), mean response {row.get('response_length/mean', 0):.0f} tokens"
        )
    last = rows[-1]
    step = last.get("timing_s/step", float("nan"))
    print("\ntime split (last step, slowest rank):")
    for name in ("gen", "reward", "old_log_prob", "ref", "update_actor", "sync_weights"):
        value = last.get(f"timing_s/{name}")
        if value is not None:
            print(f"  {name:<13} {value:8.1f} s  {100 * value / step:5.1f}%")
    peak = last.get("perf/max_memory_allocated_gb")
    peak_str = f"{peak:.1f} GB" if peak is not None else "n/a"
    print(f"trainer's peak torch allocation per GPU (max over ranks): {peak_str}")
    if peak_mib:
        used = ", ".join(f"GPU{i} {mib / 1024:.1f}" for i, mib in sorted(peak_mib.items()))
        print(f"peak memory used per GPU, trainer + vLLM (nvidia-smi, GiB): {used}")
    ref = REFERENCE
    print(
        f"\nreference (seeds): {ref['gpus']} x H100, {ref['prompts']} x {ref['n']}, "
        f"~{ref['s_per_step']:.0f} s/step, {ref['peak_gb_per_gpu']} GB peak per GPU "
        "(real model, mean response 1-2K tokens)"
    )
    if ngpu == ref["gpus"]:
        print(f"s/step ratio (this / reference): {step / ref['s_per_step']:.2f}")
    if peak is not None:
        print(f"peak memory ratio (this / reference): {peak / ref['peak_gb_per_gpu']:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--nproc", type=int, default=None, help="GPUs to use (default: all)")
    parser.add_argument("--max-tokens", type=int, default=4096)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="keep model and run here")
    args = parser.parse_args()

    import torch

    if not torch.cuda.is_available():
        print(
            "benches/gpu_step.py needs a CUDA GPU and none is visible here "
            "(torch.cuda.is_available() is False). Nothing was measured. Run it on a GPU machine "
            "with vLLM installed: python benches/gpu_step.py",
            file=sys.stderr,
        )
        return 2
    if not args.data.is_file():
        print(
            f"--data {args.data}: file not found (math500.jsonl from ../shared/data)",
            file=sys.stderr,
        )
        return 2
    ngpu = args.nproc or torch.cuda.device_count()
    names = {torch.cuda.get_device_name(i) for i in range(ngpu)}
    print(f"{ngpu} GPU(s): {', '.join(sorted(names))}")
    work = args.keep or Path(tempfile.mkdtemp(prefix="archer-gpu-step-"))
    work.mkdir(parents=True, exist_ok=True)
    model_dir = work / "qwen3-0.6b-shape-random"
    if not (model_dir / "config.json").is_file():
        build_model(model_dir, args.seed)
    try:
        with GpuMemorySampler() as sampler:
            metrics = run_train(args, model_dir, work / "runs", ngpu)
        report(metrics, ngpu, sampler.peak_mib)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
