"""Time per GRPO step on the embedded tiny model, split into the loop's timing metrics.

    .venv/bin/python benches/bench_step.py [--steps 6] [--prompts 8] [--n 8] [--max-tokens 64]

Runs the `smoke` preset's algorithm (v5's: 3 PPO epochs, KL + entropy terms) with the given shape
and prints, per phase, the median seconds over the steps after the first (warm-up) and its share of
the step. The numbers are a CPU baseline for the loop's overhead, not a model-throughput claim.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile

from archer.config import apply_overrides
from archer.presets import get_preset
from archer.tracking import read_metrics
from archer.train.loop import run_training

PHASES = ("gen", "reward", "old_log_prob", "ref", "update_actor", "step")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--prompts", type=int, default=8, help="prompts per step")
    ap.add_argument("--n", type=int, default=8, help="responses per prompt")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as out:
        cfg = apply_overrides(
            get_preset("smoke").config,
            [
                f"trainer.output_dir={json.dumps(out)}",
                "trainer.run_id=bench",
                "tracking.wandb=disabled",
                "tracking.rollouts_per_step=0",
                "trainer.save_freq=0",
                f"trainer.total_steps={args.steps}",
                f"trainer.train_batch_size={args.prompts}",
                f"trainer.ppo_mini_batch_size={max(1, args.prompts // 2)}",
                f"trainer.micro_batch_size={args.n * 2}",
                f"trainer.log_prob_micro_batch_size={args.prompts * args.n}",
                f"rollout.n={args.n}",
                f"rollout.max_response_length={args.max_tokens}",
                "scoring.overlong_buffer_len=0",
                f"trainer.cpu_threads={args.threads}",
            ],
        )
        result = run_training(cfg)
        rows = read_metrics(result.run_dir / "metrics.jsonl")

    warm = rows[1:] or rows
    tokens = statistics.median(r["response_length/mean"] for r in warm) * args.prompts * args.n
    step = statistics.median(r["timing_s/step"] for r in warm)
    print(
        f"tiny model, {args.prompts} prompts x {args.n} responses, <= {args.max_tokens} tokens, "
        f"{args.threads} thread(s); median of {len(warm)} steps after warm-up"
    )
    print(f"{'phase':<24}{'seconds':>10}{'share of step':>16}")
    for phase in PHASES:
        sec = statistics.median(r[f"timing_s/{phase}"] for r in warm)
        print(f"{'timing_s/' + phase:<24}{sec:>10.3f}{sec / step:>16.2f}")
    print(
        f"response tokens per step: {tokens:.0f}; tokens/s over the whole step: {tokens / step:.0f}"
    )
    print(f"peak RSS: {max(r['perf/cpu_max_rss_gb'] for r in rows):.2f} GB")


if __name__ == "__main__":
    main()
