"""The actor: log-probs of responses under a model, and the PPO/GRPO update.

All loss math comes from `archer.algo` (pure functions); this module only batches tensors, runs
forward/backward passes and accumulates metrics. verl's semantics: ppo_epochs passes over the step's
responses, split into mini-batches (one optimizer step each), each split into micro-batches whose
losses are scaled by 1/(micro-batches per mini-batch) and accumulated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from archer import algo
from archer.train.context import MetricAcc
from archer.train.fsdp import clip_grad_norm_, is_sharded


@dataclass
class TokenBatch:
    """Prompt (left-padded) + response (right-padded) token matrices for B responses."""

    input_ids: torch.Tensor  # [B, P + T]
    attention_mask: torch.Tensor  # [B, P + T]
    position_ids: torch.Tensor  # [B, P + T]
    responses: torch.Tensor  # [B, T]
    response_mask: torch.Tensor  # [B, T] float, 1 on response tokens
    prompt_width: int

    @property
    def size(self) -> int:
        return self.responses.shape[0]

    def select(self, idx: torch.Tensor) -> TokenBatch:
        return TokenBatch(
            self.input_ids[idx],
            self.attention_mask[idx],
            self.position_ids[idx],
            self.responses[idx],
            self.response_mask[idx],
            self.prompt_width,
        )

    def to(self, device: torch.device) -> TokenBatch:
        return TokenBatch(
            self.input_ids.to(device),
            self.attention_mask.to(device),
            self.position_ids.to(device),
            self.responses.to(device),
            self.response_mask.to(device),
            self.prompt_width,
        )


def build_batch(prompts: list[list[int]], responses: list[list[int]], pad_id: int) -> TokenBatch:
    b = len(prompts)
    p_w = max(len(p) for p in prompts)
    t_w = max(1, max(len(r) for r in responses))
    input_ids = torch.full((b, p_w + t_w), pad_id, dtype=torch.long)
    attention = torch.zeros((b, p_w + t_w), dtype=torch.long)
    resp = torch.full((b, t_w), pad_id, dtype=torch.long)
    rmask = torch.zeros((b, t_w), dtype=torch.float32)
    for i, (p, r) in enumerate(zip(prompts, responses)):
        input_ids[i, p_w - len(p) : p_w] = torch.tensor(p, dtype=torch.long)
        attention[i, p_w - len(p) : p_w] = 1
        if r:
            input_ids[i, p_w : p_w + len(r)] = torch.tensor(r, dtype=torch.long)
            attention[i, p_w : p_w + len(r)] = 1
            resp[i, : len(r)] = torch.tensor(r, dtype=torch.long)
            rmask[i, : len(r)] = 1.0
    position_ids = (attention.cumsum(-1) - 1).clamp(min=0)
    return TokenBatch(input_ids, attention, position_ids, resp, rmask, p_w)


def forward_response(
    model, batch: TokenBatch, temperature: float, with_entropy: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Per-token log-probs (and entropies) of the response tokens under softmax(logits / T)."""
    if batch.prompt_width < 1:
        raise ValueError("every batch needs a prompt of at least one token (prompt_width is 0)")
    t_w = batch.responses.shape[1]
    compute_dtype = getattr(model, "_archer_autocast_dtype", None)  # set by train.factory
    with torch.autocast(
        device_type=batch.input_ids.device.type,
        dtype=compute_dtype or torch.float32,
        enabled=compute_dtype is not None,
    ):
        # The logit at position i predicts token i + 1: the response's tokens are predicted at
        # positions P-1 .. P+T-2, so only the last T + 1 positions' logits are computed (the
        # prompt's would be [B, P, vocab] of memory for nothing), and the very last is dropped.
        out = model(
            input_ids=batch.input_ids,
            attention_mask=batch.attention_mask,
            position_ids=batch.position_ids,
            use_cache=False,
            logits_to_keep=t_w + 1,
        )
    # [B, T + 1, V]: the last position is ignored (passed whole, not sliced; see the function).
    return algo.token_logprobs_and_entropy(
        out.logits, batch.responses, temperature=temperature, with_entropy=with_entropy
    )


@torch.no_grad()
def compute_logprobs(
    model, batch: TokenBatch, *, temperature: float, micro_batch_size: int, device
) -> torch.Tensor:
    was_training = model.training
    model.eval()
    try:
        parts = []
        for start in range(0, batch.size, micro_batch_size):
            idx = torch.arange(start, min(start + micro_batch_size, batch.size))
            logp, _ = forward_response(model, batch.select(idx).to(device), temperature, False)
            parts.append(logp.cpu())
    finally:
        model.train(was_training)
    return torch.cat(parts, dim=0)


@dataclass(frozen=True)
class UpdateSettings:
    ppo_epochs: int
    mini_batch_size: int  # responses per optimizer step on this rank
    micro_batch_size: int  # responses per forward/backward
    temperature: float
    clip_ratio_low: float
    clip_ratio_high: float
    clip_ratio_c: float
    loss_agg_mode: str
    entropy_coeff: float
    use_kl_loss: bool
    kl_loss_coef: float
    kl_loss_type: str
    grad_clip: float
    policy_loss: str = "ppo"  # or "aspo" (algo.aspo_loss)
    token_entropy_split: bool = False
    token_entropy_quantile: float = 0.8
    high_entropy_clip_ratio_low: float = 0.4
    high_entropy_clip_ratio_high: float = 0.4

    def __post_init__(self):
        if self.policy_loss not in algo.POLICY_LOSSES:
            raise ValueError(
                f"policy_loss {self.policy_loss!r}: use one of {', '.join(algo.POLICY_LOSSES)}"
            )


def _finite(x: torch.Tensor | float) -> bool:
    return math.isfinite(float(x))


def update_policy(
    model,
    optimizer: torch.optim.Optimizer,
    batch: TokenBatch,
    old_logp: torch.Tensor,
    ref_logp: torch.Tensor | None,
    advantages: torch.Tensor,
    s: UpdateSettings,
    device,
    acc: MetricAcc,
    *,
    all_reduce_grads=None,
) -> None:
    """ppo_epochs x mini-batches x micro-batches; metrics go to `acc` with verl's names.

    A non-finite loss (any micro-batch) or grad norm skips that optimizer step: gradients are
    dropped, the weights stay as they were, and ``actor/nonfinite_skips`` counts it.
    """
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    sharded = is_sharded(model)  # [scale-out] FSDP2: ranks must stay in step
    n = batch.size
    skips = 0
    for _epoch in range(s.ppo_epochs):
        for m_start in range(0, n, s.mini_batch_size):
            mini = torch.arange(m_start, min(m_start + s.mini_batch_size, n))
            micro_chunks = list(torch.split(mini, s.micro_batch_size))
            optimizer.zero_grad(set_to_none=True)
            bad = False
            for micro in micro_chunks:
                mb = batch.select(micro).to(device)
                mask = mb.response_mask
                # entropy is always needed: it is logged (actor/entropy) even without a bonus
                logp, entropy = forward_response(model, mb, s.temperature, True)
                old = old_logp[micro].to(device)
                adv = advantages[micro].to(device)
                clip_low: float | torch.Tensor = s.clip_ratio_low
                clip_high: float | torch.Tensor = s.clip_ratio_high
                if s.token_entropy_split:
                    high = algo.entropy_quantile_mask(
                        entropy.detach(), mask, s.token_entropy_quantile
                    )
                    clip_low, clip_high = algo.dual_token_clip(
                        high,
                        low_entropy_clip=(s.clip_ratio_low, s.clip_ratio_high),
                        high_entropy_clip=(
                            s.high_entropy_clip_ratio_low,
                            s.high_entropy_clip_ratio_high,
                        ),
                    )
                    clip_low, clip_high = clip_low.to(device), clip_high.to(device)
                loss_fn = algo.aspo_loss if s.policy_loss == "aspo" else algo.policy_loss
                pg_loss, stats = loss_fn(
                    old,
                    logp,
                    adv,
                    mask,
                    clip_low=clip_low,
                    clip_high=clip_high,
                    clip_c=s.clip_ratio_c,
                    agg_mode=s.loss_agg_mode,
                )
                entropy_loss = algo.agg_loss(entropy, mask, s.loss_agg_mode)
                loss = pg_loss - s.entropy_coeff * entropy_loss
                if s.use_kl_loss and ref_logp is not None:
                    kl = algo.kl_penalty(logp, ref_logp[micro].to(device), s.kl_loss_type)
                    kl_loss = algo.agg_loss(kl, mask, s.loss_agg_mode)
                    loss = loss + s.kl_loss_coef * kl_loss
                    acc.mean("actor/kl_loss", kl_loss.item())
                    acc.mean("actor/kl_coef", s.kl_loss_coef)
                acc.mean("actor/pg_loss", pg_loss.item())
                acc.mean("actor/entropy", entropy_loss.item())
                acc.mean("actor/pg_clipfrac", stats["pg_clipfrac"].item())
                acc.mean("actor/pg_clipfrac_lower", stats["pg_clipfrac_lower"].item())
                acc.mean("actor/ppo_kl", stats["ppo_kl"].item())
                for name in (
                    "pg_clipfrac_upper",
                    "negative_pg_clipfrac_dual",
                    "positive_pg_clipfrac_dual",
                ):
                    if name in stats:  # ASPO's, under the names Archer's actor logs
                        acc.mean(f"actor/{name}", stats[name].item())
                if not _finite(loss.detach()):
                    bad = True
                    if not sharded:
                        break
                    # [scale-out] under FSDP every rank must run the same backward passes and
                    # collectives: the NaN goes through, reaches every rank's gradient shards
                    # in the reduce-scatter, and all ranks skip this step together below
                (loss / len(micro_chunks)).backward()
            if all_reduce_grads is not None and not bad:
                all_reduce_grads(params)
            if not bad or sharded:
                # [scale-out] DTensor-aware: the global norm over every rank's shards
                grad_norm = clip_grad_norm_(params, s.grad_clip)
                bad = bad or not _finite(grad_norm)
                if not bad:
                    acc.mean("actor/grad_norm", float(grad_norm))
            if bad:
                skips += 1
                optimizer.zero_grad(set_to_none=True)
                continue
            optimizer.step()
    acc.max("actor/nonfinite_skips", skips)  # [scale-out] ranks skip together: not a sum
