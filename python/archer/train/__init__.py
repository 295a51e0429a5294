"""Training: the GRPO loop, distributed plumbing and checkpoints."""
