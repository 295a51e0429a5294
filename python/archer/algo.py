"""Pure loss math for GRPO/PPO updates. Imports only torch; every function is a tensor -> tensor map
tested against hand-computed values (tests/test_algo.py).

Conventions: tensors are [batch, response_tokens]; ``mask`` is 1 on real response tokens, 0 on padding.
Formulas follow verl's ``verl/trainer/ppo/core_algos.py`` (agg_loss, compute_policy_loss with dual
clip, kl_penalty) so runs are comparable with verl; sources are named in each docstring.
"""

from __future__ import annotations

import math

import torch

LOSS_AGG_MODES = (
    "token-mean",
    "seq-mean-token-sum",
    "seq-mean-token-mean",
    "seq-mean-token-sum-norm",
)
KL_KINDS = ("k1", "kl", "abs", "k2", "mse", "low_var_kl", "k3")
POLICY_LOSSES = ("ppo", "aspo")  # policy_loss, aspo_loss


def _where_masked(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    # Select, don't multiply: padding positions may hold -inf/NaN (e.g. masked logits), and
    # NaN * 0 is still NaN.
    return torch.where(mask.bool(), x, torch.zeros_like(x))


def masked_sum(x: torch.Tensor, mask: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    x = _where_masked(x, mask)
    return x.sum() if dim is None else x.sum(dim=dim)


def masked_mean(x: torch.Tensor, mask: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    """Mean over the masked positions; 0 where there are none (not NaN)."""
    total = masked_sum(x, mask, dim)
    count = mask.to(x.dtype).sum() if dim is None else mask.to(x.dtype).sum(dim=dim)
    return total / count.clamp(min=1.0)


def agg_loss(loss_mat: torch.Tensor, mask: torch.Tensor, mode: str = "token-mean") -> torch.Tensor:
    """Reduce a per-token loss to a scalar (verl ``agg_loss``).

    - ``token-mean``: sum over all tokens / number of tokens (DAPO; long responses weigh more).
    - ``seq-mean-token-sum``: per-sequence token sum, then mean over sequences.
    - ``seq-mean-token-mean``: per-sequence token mean, then mean over sequences (original GRPO).
    - ``seq-mean-token-sum-norm``: per-sequence token sum, summed, divided by the padded length
      (Dr.GRPO: a constant normalizer, no length bias).
    """
    if mode == "token-mean":
        return masked_mean(loss_mat, mask)
    seq_sum = masked_sum(loss_mat, mask, dim=-1)
    if mode == "seq-mean-token-sum":
        return seq_sum.mean()
    if mode == "seq-mean-token-mean":
        seq_len = mask.to(loss_mat.dtype).sum(dim=-1).clamp(min=1.0)
        return (seq_sum / seq_len).mean()
    if mode == "seq-mean-token-sum-norm":
        return seq_sum.sum() / mask.shape[-1]
    raise ValueError(f"unknown loss_agg_mode {mode!r}: use one of {', '.join(LOSS_AGG_MODES)}")


def _ratio_inputs(
    old_logp: torch.Tensor, logp: torch.Tensor, advantages: torch.Tensor, clip_c: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """What both policy losses start from: advantages as [batch, 1] or [batch, tokens] in logp's
    dtype, log r = clamp(logp - old_logp, -20, 20) and r = exp(log r)."""
    if clip_c <= 1.0:
        raise ValueError(f"clip_c (dual-clip bound) must be > 1.0, got {clip_c}")
    if advantages.ndim == 1:
        advantages = advantages.unsqueeze(-1)
    log_ratio = torch.clamp(logp - old_logp, min=-20.0, max=20.0)
    return advantages.to(logp.dtype), log_ratio, torch.exp(log_ratio)


def policy_loss(
    old_logp: torch.Tensor,
    logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    *,
    clip_low: float | torch.Tensor = 0.2,
    clip_high: float | torch.Tensor = 0.28,
    clip_c: float = 3.0,
    agg_mode: str = "token-mean",
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """PPO clipped surrogate with separate low/high clip (DAPO clip-higher) and dual clip.

    ratio = exp(clamp(logp - old_logp, -20, 20));
    L = max(-A ratio, -A clip(ratio, 1 - clip_low, 1 + clip_high)); for A < 0 additionally
    L = min(L, -A clip_c) (dual clip, Ye et al. 2020), as verl's ``compute_policy_loss``.
    ``clip_low``/``clip_high`` may be per-token tensors (see ``dual_token_clip``).
    ``advantages`` is [batch] or [batch, tokens].
    Returns the aggregated loss and stats: ``pg_clipfrac`` (upper/lower clip active),
    ``pg_clipfrac_lower`` (dual clip active), ``ppo_kl`` (mean old_logp - logp).
    """
    advantages, log_ratio, ratio = _ratio_inputs(old_logp, logp, advantages, clip_c)
    ppo_kl = masked_mean(-log_ratio, mask)

    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1.0 - clip_low, 1.0 + clip_high)
    clip_loss = torch.maximum(unclipped, clipped)
    clipfrac = masked_mean(torch.gt(clipped, unclipped).to(logp.dtype), mask)

    dual_bound = -advantages * clip_c
    dual_loss = torch.minimum(dual_bound, clip_loss)
    negative = advantages < 0
    clipfrac_lower = masked_mean((torch.gt(clip_loss, dual_bound) & negative).to(logp.dtype), mask)
    per_token = torch.where(negative, dual_loss, clip_loss)
    loss = agg_loss(per_token, mask, agg_mode)
    stats = {"pg_clipfrac": clipfrac, "pg_clipfrac_lower": clipfrac_lower, "ppo_kl": ppo_kl}
    return loss, stats


def aspo_loss(
    old_logp: torch.Tensor,
    logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    *,
    clip_low: float | torch.Tensor = 0.2,
    clip_high: float | torch.Tensor = 0.2,
    clip_c: float = 3.0,
    agg_mode: str = "token-mean",
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """ASPO, Asymmetric Importance Sampling Policy Optimization (Wang et al. 2025, arXiv
    2510.06062): the policy loss of Archer2.0 (``use_archer_policy_loss=True``), which the seeds'
    runs used.

    With r = exp(clamp(logp - old_logp, -20, 20)) and sg the stop-gradient:
    - A < 0: r' = max(r, 1 - clip_low) and L = -A r' (PPO's lower clip only);
    - A >= 0: r' = min(r, 1 + clip_high) and L = -A (r' / sg(r')) / sg(r'): the value is -A / r',
      and the gradient weighs the token by 1/r where PPO weighs it by r (the flipped ratio), so
      tokens the policy already favours get less push and unlikely ones more;
    - soft dual clip: where the weight would pass ``clip_c`` (r' > c for A < 0, 1/r' > c for
      A >= 0), L = -A c logp instead, which keeps the gradient (c times REINFORCE's) where PPO's
      dual clip would cut it.
    ``clip_low``/``clip_high`` may be per-token tensors (``dual_token_clip``). Stats:
    ``pg_clipfrac`` = ``pg_clipfrac_upper`` (r above its bound), ``pg_clipfrac_lower`` (r below
    its bound; for PPO that name is the dual clip's, as in verl),
    ``negative_pg_clipfrac_dual`` and ``positive_pg_clipfrac_dual`` (soft dual clip active, among
    the tokens of that sign), ``ppo_kl``."""
    advantages, log_ratio, ratio = _ratio_inputs(old_logp, logp, advantages, clip_c)
    advantages = advantages.expand_as(logp)
    negative = advantages < 0
    neg_ratio = torch.maximum(ratio, torch.as_tensor(1.0 - clip_low, dtype=ratio.dtype))
    pos_ratio = torch.minimum(ratio, torch.as_tensor(1.0 + clip_high, dtype=ratio.dtype))
    neg_loss = -advantages * neg_ratio
    held = pos_ratio.detach()
    pos_loss = -advantages * (pos_ratio / held) / held
    reinforce = -advantages * clip_c * logp
    neg_dual = neg_ratio > clip_c
    pos_dual = 1.0 / pos_ratio > clip_c
    per_token = torch.where(
        negative,
        torch.where(neg_dual, reinforce, neg_loss),
        torch.where(pos_dual, reinforce, pos_loss),
    )
    bound = torch.where(negative, neg_ratio, pos_ratio)
    valid = mask.bool()
    above = masked_mean((ratio > bound).to(logp.dtype), mask)
    stats = {
        # Archer's actor logs this one as pg_clipfrac_upper: both names, for either dashboard.
        "pg_clipfrac": above,
        "pg_clipfrac_upper": above,
        "pg_clipfrac_lower": masked_mean((ratio < bound).to(logp.dtype), mask),
        "negative_pg_clipfrac_dual": masked_mean(
            neg_dual.to(logp.dtype), (valid & negative).to(logp.dtype)
        ),
        "positive_pg_clipfrac_dual": masked_mean(
            pos_dual.to(logp.dtype), (valid & (advantages > 0)).to(logp.dtype)
        ),
        "ppo_kl": masked_mean(-log_ratio, mask),
    }
    return agg_loss(per_token, mask, agg_mode), stats


def kl_penalty(
    logp: torch.Tensor, ref_logp: torch.Tensor, kind: str = "low_var_kl"
) -> torch.Tensor:
    """Per-token KL estimate between the policy and the reference (Schulman's k1/k2/k3).

    - ``k1``/``kl``: logp - ref_logp
    - ``abs``: |logp - ref_logp|
    - ``k2``/``mse``: 0.5 (logp - ref_logp)^2
    - ``low_var_kl``/``k3``: r - log r - 1 with log r = ref_logp - logp clamped to [-20, 20], the
      result clamped to [-10, 10] (verl's clamps; unbiased, non-negative, low variance).
    """
    diff = logp - ref_logp
    if kind in ("k1", "kl"):
        return diff
    if kind == "abs":
        return diff.abs()
    if kind in ("k2", "mse"):
        return 0.5 * diff.square()
    if kind in ("low_var_kl", "k3"):
        log_r = torch.clamp(ref_logp - logp, min=-20.0, max=20.0)
        return torch.clamp(torch.exp(log_r) - log_r - 1.0, min=-10.0, max=10.0)
    raise ValueError(f"unknown kl_loss_type {kind!r}: use one of {', '.join(KL_KINDS)}")


def logprobs_from_logits(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """log softmax(logits)[label] per position, without materializing the full log-softmax."""
    logits = logits.float()
    picked = torch.gather(logits, -1, labels.unsqueeze(-1)).squeeze(-1)
    return picked - torch.logsumexp(logits, dim=-1)


def entropy_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """Per-position entropy of softmax(logits): logsumexp(z) - sum softmax(z) z."""
    logits = logits.float()
    probs = torch.softmax(logits, dim=-1)
    return torch.logsumexp(logits, dim=-1) - (probs * logits).sum(dim=-1)


# Positions (summed over the micro-batch's rows) whose fp32 logits exist at once in
# `token_logprobs_and_entropy`: 1024 x Qwen3's 151,936-token vocabulary is ~0.6 GB per fp32 copy,
# of which two or three are alive at a time.
LOGITS_CHUNK_TOKENS = 1024


def token_logprobs_and_entropy(
    logits: torch.Tensor,
    labels: torch.Tensor,
    *,
    temperature: float = 1.0,
    with_entropy: bool = True,
    chunk_tokens: int = LOGITS_CHUNK_TOKENS,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``logprobs_from_logits`` and ``entropy_from_logits`` of ``logits / temperature`` ([B, T, V],
    any float dtype; results [B, T] in fp32, T the width of ``labels``), computed over chunks of
    about ``chunk_tokens`` positions, forward and backward. ``logits`` may be wider than
    ``labels``: the positions past T are ignored (their gradient is 0), so a caller passes the
    model's output whole rather than a slice, whose backward would allocate its full-size
    gradient a second time.

    Why: on the whole micro-batch at once, the fp32 copy of the logits, its scaled copy, the
    softmax and the product for the entropy take 4 bytes per logit each, and backward keeps two
    of them (8 bytes per logit: ~40 GB for 8 responses of 4096 tokens over a 151,936-token
    vocabulary). Here only one chunk's fp32 math exists at a time; backward keeps the logits
    (alive anyway as the model's output) and writes their gradient chunk by chunk into one
    tensor. Values and gradients equal those of the formulas (through autograd) up to rounding."""
    if chunk_tokens < 1:
        raise ValueError(f"chunk_tokens must be >= 1, got {chunk_tokens}")
    if logits.shape[:1] != labels.shape[:1] or logits.shape[1] < labels.shape[1]:
        raise ValueError(
            f"logits {tuple(logits.shape)} must be [B, >= T, V] for labels {tuple(labels.shape)}"
        )
    step = max(1, chunk_tokens // max(1, labels.shape[0]))
    if torch.is_grad_enabled() and logits.requires_grad:
        logp, entropy = _ChunkedLogprobsEntropy.apply(
            logits, labels, temperature, with_entropy, step
        )
    else:
        logp, entropy = _chunked_forward(logits, labels, temperature, with_entropy, step)
    return logp, entropy if with_entropy else None


def _chunks(t: int, step: int):
    return ((start, min(start + step, t)) for start in range(0, t, step))


def _chunked_forward(
    logits: torch.Tensor, labels: torch.Tensor, temperature: float, with_entropy: bool, step: int
) -> tuple[torch.Tensor, torch.Tensor]:
    b, t = labels.shape
    logp = torch.empty(b, t, dtype=torch.float32, device=logits.device)
    entropy = torch.empty_like(logp) if with_entropy else logp.new_empty(0)
    for s, e in _chunks(t, step):
        z = logits[:, s:e].float() / temperature
        lse = torch.logsumexp(z, dim=-1)
        logp[:, s:e] = torch.gather(z, -1, labels[:, s:e].unsqueeze(-1)).squeeze(-1) - lse
        if with_entropy:
            # sum(p z) as a dot product: no third chunk-sized tensor for the product.
            entropy[:, s:e] = lse - torch.linalg.vecdot(torch.softmax(z, dim=-1), z)
    return logp, entropy


class _ChunkedLogprobsEntropy(torch.autograd.Function):
    """`_chunked_forward` with a backward that recomputes each chunk's softmax p from the saved
    logits. With z = logits / temperature: d logp / dz = onehot(label) - p, and
    d entropy / dz = -p (z - sum(p z)); both divided by the temperature."""

    @staticmethod
    def forward(ctx, logits, labels, temperature, with_entropy, step):
        ctx.save_for_backward(logits, labels)
        ctx.temperature, ctx.with_entropy, ctx.step = temperature, with_entropy, step
        return _chunked_forward(logits, labels, temperature, with_entropy, step)

    @staticmethod
    def backward(ctx, grad_logp, grad_entropy):
        logits, labels = ctx.saved_tensors
        grad = torch.empty_like(logits)
        grad[:, labels.shape[1] :] = 0
        for s, e in _chunks(labels.shape[1], ctx.step):
            # Two chunk-sized fp32 tensors (z, p), updated in place.
            z = logits[:, s:e].float() / ctx.temperature
            p = torch.softmax(z, dim=-1)
            g = grad_logp[:, s:e].unsqueeze(-1).float()
            if ctx.with_entropy:
                mean_z = torch.linalg.vecdot(p, z).unsqueeze(-1)
                z.sub_(mean_z).mul_(p).mul_(grad_entropy[:, s:e].unsqueeze(-1).float())
            p.mul_(-g).scatter_add_(-1, labels[:, s:e].unsqueeze(-1), g)
            if ctx.with_entropy:
                p.sub_(z)
            grad[:, s:e] = p.div_(ctx.temperature)
        return grad, None, None, None, None


def entropy_quantile_mask(
    entropy: torch.Tensor, mask: torch.Tensor, quantile: float = 0.8
) -> torch.Tensor:
    """True for response tokens whose entropy is above their own response's ``quantile``
    (Archer's high-entropy "forking" tokens; Wang et al. 2025, "Stabilizing Knowledge, Promoting
    Reasoning: Dual-Token Constraints for RLVR"). As in Archer's actor (the code behind the seeds'
    runs): the quantile is taken per response over its valid tokens (linear interpolation), and a
    token is high-entropy when strictly above it, so at 0.8 about a fifth of each response is."""
    if not 0.0 <= quantile <= 1.0:
        raise ValueError(f"entropy quantile must be in [0, 1], got {quantile}")
    valid = mask.bool()
    if entropy.numel() == 0:
        return valid
    masked = torch.where(
        valid, entropy.float(), torch.full_like(entropy, math.nan, dtype=torch.float32)
    )
    # A response without valid tokens gets a NaN quantile, which no comparison passes.
    threshold = torch.nanquantile(masked, quantile, dim=-1, keepdim=True)
    return (masked > threshold) & valid


def dual_token_clip(
    high_entropy: torch.Tensor,
    *,
    low_entropy_clip: tuple[float, float] = (0.2, 0.2),
    high_entropy_clip: tuple[float, float] = (0.5, 0.5),
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token (clip_low, clip_high): tight bounds for low-entropy (knowledge) tokens, loose ones
    for high-entropy (reasoning) tokens, to pass to ``policy_loss``."""
    dtype = torch.float32
    low = torch.where(
        high_entropy,
        torch.tensor(high_entropy_clip[0], dtype=dtype),
        torch.tensor(low_entropy_clip[0], dtype=dtype),
    )
    high = torch.where(
        high_entropy,
        torch.tensor(high_entropy_clip[1], dtype=dtype),
        torch.tensor(low_entropy_clip[1], dtype=dtype),
    )
    return low, high


def warmup_lr_factor(
    step: int,
    warmup_steps: int,
    total_steps: int,
    schedule: str = "constant",
    min_lr_ratio: float = 0.0,
) -> float:
    """Learning-rate multiplier at optimizer step ``step`` (0-based).

    Linear warmup ``step / warmup_steps`` (as verl's and transformers' warmup schedules, which
    start from 0), then ``constant`` (1.0) or ``cosine`` decay to ``min_lr_ratio`` at
    ``total_steps``.
    """
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if step < warmup_steps:
        return step / max(1, warmup_steps)
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        span = max(1, total_steps - warmup_steps)
        progress = min(1.0, (step - warmup_steps) / span)
        return min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))
    raise ValueError(f"unknown lr schedule {schedule!r}: use 'constant' or 'cosine'")
