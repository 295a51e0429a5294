"""Loss math against hand-computed values (each number below was worked out by hand)."""

import math

import pytest
import torch

from archer import algo


def t(x):
    return torch.tensor(x, dtype=torch.float32)


MASK = t([[1, 1, 0], [1, 0, 0]])
LOSS = t([[1.0, 3.0, 100.0], [5.0, 100.0, 100.0]])


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("token-mean", (1 + 3 + 5) / 3),  # 3.0
        ("seq-mean-token-sum", ((1 + 3) + 5) / 2),  # 4.5
        ("seq-mean-token-mean", ((1 + 3) / 2 + 5 / 1) / 2),  # 3.5
        ("seq-mean-token-sum-norm", ((1 + 3) + 5) / 3),  # 3.0, padded length 3
    ],
)
def test_agg_loss_modes(mode, expected):
    assert algo.agg_loss(LOSS, MASK, mode).item() == pytest.approx(expected)


def test_agg_loss_ignores_nan_in_padding_and_rejects_unknown_mode():
    loss = LOSS.clone()
    loss[0, 2] = float("nan")
    loss[1, 1] = float("-inf")
    assert algo.agg_loss(loss, MASK, "token-mean").item() == pytest.approx(3.0)
    with pytest.raises(ValueError, match="loss_agg_mode"):
        algo.agg_loss(LOSS, MASK, "sum")


def test_masked_mean_empty_is_zero_not_nan():
    assert algo.masked_mean(t([[1.0, 2.0]]), t([[0, 0]])).item() == 0.0


def test_policy_loss_hand_values():
    # one sequence, three tokens; advantages +1, +1, -1
    old = t([[0.0, 0.0, 0.0]])
    # ratios: e^0.5=1.6487 (clipped to 1.28 for A>0), e^-0.1=0.9048 (inside), e^2=7.389 (A<0)
    new = t([[0.5, -0.1, 2.0]])
    adv = t([[1.0, 1.0, -1.0]])
    mask = t([[1, 1, 1]])
    loss, stats = algo.policy_loss(old, new, adv, mask, clip_low=0.2, clip_high=0.28, clip_c=3.0)
    r0, r1, r2 = math.exp(0.5), math.exp(-0.1), math.exp(2.0)
    # token 0: max(-1.6487, -1.28) = -1.28 (clipped)
    # token 1: max(-0.9048, -0.9048) = -0.9048
    # token 2: A<0: max(7.389, clip(7.389)=1.28) = 7.389, dual clip min(3.0, 7.389) = 3.0
    expected = (-1.28 - r1 + 3.0) / 3
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    # clipfrac: token 0 clipped (-1.28 > -1.6487); token 2: clipped=1.28 > unclipped=7.389? no
    assert stats["pg_clipfrac"].item() == pytest.approx(1 / 3)
    assert stats["pg_clipfrac_lower"].item() == pytest.approx(1 / 3)
    assert stats["ppo_kl"].item() == pytest.approx(-(0.5 - 0.1 + 2.0) / 3, rel=1e-5)
    assert r0 > 1.28 and r2 > 3.0


def test_policy_loss_per_sequence_advantages_and_gradient_sign():
    old = t([[0.0, 0.0], [0.0, 0.0]])
    new = torch.zeros(2, 2, requires_grad=True)
    adv = t([2.0, -1.0])
    loss, _ = algo.policy_loss(old, new, adv, t([[1, 1], [1, 0]]))
    # at ratio 1 nothing is clipped: loss = mean(-A) over tokens = (-2 - 2 + 1) / 3
    assert loss.item() == pytest.approx(-1.0)
    loss.backward()
    # raising log-prob of a positive-advantage token lowers the loss
    assert new.grad[0, 0] < 0 and new.grad[1, 0] > 0 and new.grad[1, 1] == 0


def test_policy_loss_rejects_bad_dual_clip():
    with pytest.raises(ValueError, match="clip_c"):
        algo.policy_loss(t([[0.0]]), t([[0.0]]), t([1.0]), t([[1]]), clip_c=1.0)


def test_kl_penalty_kinds():
    logp, ref = t([-1.0]), t([-2.0])  # diff = 1
    assert algo.kl_penalty(logp, ref, "k1").item() == pytest.approx(1.0)
    assert algo.kl_penalty(ref, logp, "abs").item() == pytest.approx(1.0)
    assert algo.kl_penalty(logp, ref, "k2").item() == pytest.approx(0.5)
    # k3: log r = ref - logp = -1 -> e^-1 + 1 - 1 = 0.36788
    assert algo.kl_penalty(logp, ref, "low_var_kl").item() == pytest.approx(math.exp(-1), rel=1e-6)
    # clamp: log r = 30 clamps to 20, e^20 - 21 clamps to 10
    assert algo.kl_penalty(t([-40.0]), t([-10.0]), "k3").item() == pytest.approx(10.0)
    assert algo.kl_penalty(t([0.3]), t([0.3]), "low_var_kl").item() == 0.0
    with pytest.raises(ValueError, match="kl_loss_type"):
        algo.kl_penalty(logp, ref, "full")


def test_logprobs_and_entropy_hand_values():
    logits = t([[[0.0, 0.0], [math.log(3.0), 0.0]]])  # probs [.5,.5], [.75,.25]
    lp = algo.logprobs_from_logits(logits, torch.tensor([[0, 1]]))
    assert lp[0, 0].item() == pytest.approx(math.log(0.5))
    assert lp[0, 1].item() == pytest.approx(math.log(0.25))
    ent = algo.entropy_from_logits(logits)
    assert ent[0, 0].item() == pytest.approx(math.log(2))
    assert ent[0, 1].item() == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))


def _saved_bytes(fn):
    """Bytes autograd saves for backward while ``fn`` runs, and its result."""
    total = [0]

    def pack(x):
        total[0] += x.numel() * x.element_size()
        return x

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda x: x):
        out = fn()
    return total[0], out


@pytest.mark.parametrize("chunk_tokens", [1, 4, 7, 1024])
def test_chunked_logprobs_and_entropy_equal_the_formulas(chunk_tokens):
    torch.manual_seed(0)
    logits = torch.randn(3, 5, 11, requires_grad=True)
    labels = torch.randint(0, 11, (3, 5))

    def reference():
        z = logits / 0.7
        return algo.logprobs_from_logits(z, labels), algo.entropy_from_logits(z)

    saved, (lp, ent) = _saved_bytes(
        lambda: algo.token_logprobs_and_entropy(
            logits, labels, temperature=0.7, chunk_tokens=chunk_tokens
        )
    )
    ref_saved, (ref_lp, ref_ent) = _saved_bytes(reference)
    torch.testing.assert_close(lp, ref_lp)
    torch.testing.assert_close(ent, ref_ent)
    grad = torch.autograd.grad((1.3 * lp + 0.4 * ent).sum(), logits)[0]
    ref_grad = torch.autograd.grad((1.3 * ref_lp + 0.4 * ref_ent).sum(), logits)[0]
    torch.testing.assert_close(grad, ref_grad)
    # Backward keeps the logits and labels only (each chunk's fp32 math is recomputed), where
    # the whole-tensor formulas keep several fp32 copies of the logits.
    inputs = logits.numel() * 4 + labels.numel() * 8
    assert saved == inputs
    assert ref_saved > 3 * logits.numel() * 4


def test_chunked_logprobs_without_grad_or_entropy_and_in_bf16():
    torch.manual_seed(1)
    logits = torch.randn(2, 9, 7).to(torch.bfloat16)
    labels = torch.randint(0, 7, (2, 9))
    lp, ent = algo.token_logprobs_and_entropy(logits, labels, with_entropy=False, chunk_tokens=4)
    assert ent is None and lp.dtype == torch.float32 and lp.shape == (2, 9)
    torch.testing.assert_close(lp, algo.logprobs_from_logits(logits, labels))
    empty, empty_ent = algo.token_logprobs_and_entropy(logits[:, :0], labels[:, :0])
    assert empty.shape == (2, 0) and empty_ent.shape == (2, 0)
    with pytest.raises(ValueError, match="chunk_tokens"):
        algo.token_logprobs_and_entropy(logits, labels, chunk_tokens=0)
    with pytest.raises(ValueError, match=r"must be \[B, >= T, V\]"):
        algo.token_logprobs_and_entropy(logits[:, :3], labels)


def test_chunked_logprobs_ignore_positions_past_the_labels():
    """Logits wider than the labels (the model's output with one position to spare): the extra
    positions change nothing and get a zero gradient, in the logits' own dtype."""
    torch.manual_seed(2)
    logits = torch.randn(2, 6, 7).to(torch.bfloat16).requires_grad_()
    labels = torch.randint(0, 7, (2, 5))
    lp, ent = algo.token_logprobs_and_entropy(logits, labels, temperature=1.5, chunk_tokens=3)
    (grad,) = torch.autograd.grad((lp + ent).sum(), logits)
    assert grad.dtype == torch.bfloat16 and not grad[:, 5:].any()
    z = logits[:, :5].float() / 1.5
    ref_lp, ref_ent = algo.logprobs_from_logits(z, labels), algo.entropy_from_logits(z)
    torch.testing.assert_close(lp, ref_lp)
    torch.testing.assert_close(ent, ref_ent)
    (ref_grad,) = torch.autograd.grad((ref_lp + ref_ent).sum(), logits)
    torch.testing.assert_close(grad, ref_grad)
    # Only the log-probs used: the entropy's gradient is zero, and that is no different.
    (grad_lp,) = torch.autograd.grad(
        algo.token_logprobs_and_entropy(logits, labels, chunk_tokens=4)[0].sum(), logits
    )
    (ref_grad_lp,) = torch.autograd.grad(
        algo.logprobs_from_logits(logits[:, :5], labels).sum(), logits
    )
    torch.testing.assert_close(grad_lp, ref_grad_lp)


def test_entropy_quantile_split_and_dual_clip():
    ent = t([[0.1, 0.9, 0.5, 7.0], [0.3, 0.2, 9.0, 9.0]])
    mask = t([[1, 1, 1, 0], [1, 1, 0, 0]])
    # Per response, over its valid tokens: the median of .1, .9, .5 is .5 and only .9 is above
    # it; the median of .3, .2 is .25 and .3 is above it. Padding never counts.
    high = algo.entropy_quantile_mask(ent, mask, quantile=0.5)
    assert high.tolist() == [[False, True, False, False], [True, False, False, False]]
    # A response without valid tokens has no high-entropy token (and no NaN leaks out).
    assert not algo.entropy_quantile_mask(ent, torch.zeros_like(mask)).any()
    with pytest.raises(ValueError, match="quantile"):
        algo.entropy_quantile_mask(ent, mask, quantile=1.5)
    lo, hi = algo.dual_token_clip(high, low_entropy_clip=(0.1, 0.1), high_entropy_clip=(0.3, 0.4))
    assert lo.tolist()[0][:2] == pytest.approx([0.1, 0.3])
    assert hi.tolist()[0][:2] == pytest.approx([0.1, 0.4])
    loss, _ = algo.policy_loss(
        t([[0.0] * 4]), t([[1.0] * 4]), t([1.0]), mask[:1], clip_low=lo[:1], clip_high=hi[:1]
    )
    # ratios e^1: tokens 0 and 2 clipped at 1.1, token 1 at 1.4 -> -(1.1+1.4+1.1)/3
    assert loss.item() == pytest.approx(-(1.1 + 1.4 + 1.1) / 3, rel=1e-6)


def test_aspo_hand_values_and_gradients():
    """Seven tokens, one per case of ASPO (clip 0.2/0.2, c = 3), values and per-token gradients
    worked out by hand from the formulas in ``aspo_loss``'s docstring."""
    ratios = [1.0, 2.0, 0.5, 0.25, 0.5, 2.0, 4.0]
    adv = t([[1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0]])
    logp = torch.log(t([ratios])).requires_grad_()
    old = torch.zeros_like(logp)
    mask = torch.ones_like(adv)
    loss, stats = algo.aspo_loss(old, logp, adv, mask, clip_low=0.2, clip_high=0.2, clip_c=3.0)
    per_token = [
        -1.0,  # A>0, r=1: -A / r
        -1 / 1.2,  # A>0, r=2 clipped at 1.2: -A / 1.2
        -2.0,  # A>0, r=.5: -A / r
        3 * math.log(4.0),  # A>0, 1/r = 4 > c: -A c logp
        0.8,  # A<0, r=.5 clipped at .8: -A .8
        2.0,  # A<0, r=2: -A r
        3 * math.log(4.0),  # A<0, r = 4 > c: -A c logp
    ]
    assert loss.item() == pytest.approx(sum(per_token) / 7, rel=1e-6)
    (grad,) = torch.autograd.grad(loss, logp)
    # d/dlogp: -A / r (the flipped ratio) for A>0, -A r for A<0, -A c under the soft dual clip,
    # 0 where the ratio is clipped.
    expected = [-1.0, 0.0, -2.0, -3.0, 0.0, 2.0, 3.0]
    assert (grad * 7).tolist()[0] == pytest.approx(expected, abs=1e-6)
    assert stats["pg_clipfrac"].item() == pytest.approx(1 / 7)  # r=2 above 1.2
    assert stats["pg_clipfrac_upper"].item() == stats["pg_clipfrac"].item()
    assert stats["pg_clipfrac_lower"].item() == pytest.approx(1 / 7)  # r=.5 below .8
    assert stats["negative_pg_clipfrac_dual"].item() == pytest.approx(1 / 3)
    assert stats["positive_pg_clipfrac_dual"].item() == pytest.approx(1 / 4)
    assert stats["ppo_kl"].item() == pytest.approx(-sum(math.log(r) for r in ratios) / 7)
    # PPO on the same tokens: where ASPO keeps a gradient, its clip or dual clip cuts it.
    ppo, _ = algo.policy_loss(old, logp, adv, mask, clip_low=0.2, clip_high=0.2, clip_c=3.0)
    (ppo_grad,) = torch.autograd.grad(ppo, logp)
    assert (ppo_grad * 7).tolist()[0] == pytest.approx(
        [-1.0, 0.0, -0.5, -0.25, 0.0, 2.0, 0.0], abs=1e-6
    )
    with pytest.raises(ValueError, match="clip_c"):
        algo.aspo_loss(old, logp, adv, mask, clip_c=1.0)


def test_aspo_per_token_bounds_and_padding():
    """Per-token bounds (the entropy split) pick each token's clip; padded tokens add nothing,
    even with a -inf log-prob there."""
    adv = t([1.0, -1.0])  # per response
    logp = torch.log(t([[1.5, 1.5, 1.0], [0.7, 0.7, 1.0]]))
    logp[1, 2] = -math.inf
    old = torch.zeros_like(logp)
    mask = t([[1, 1, 1], [1, 1, 0]])
    high = torch.tensor([[True, False, False], [True, False, False]])
    lo, hi = algo.dual_token_clip(high, low_entropy_clip=(0.2, 0.2), high_entropy_clip=(0.4, 0.4))
    loss, stats = algo.aspo_loss(old, logp, adv, mask, clip_low=lo, clip_high=hi)
    # Row 0 (A=1): r=1.5 is capped at 1.4 (high-entropy token) and at 1.2 (low); r=1 stays.
    # Row 1 (A=-1): r=.7 is above the high-entropy floor .6, so it stays; at .8 (low) it is
    # raised to .8. The padded token counts nowhere.
    expected = [-1 / 1.4, -1 / 1.2, -1.0, 0.7, 0.8]
    assert loss.item() == pytest.approx(sum(expected) / 5, rel=1e-6)
    assert math.isfinite(loss.item())
    assert stats["pg_clipfrac"].item() == pytest.approx(2 / 5)
    assert stats["pg_clipfrac_lower"].item() == pytest.approx(1 / 5)


def test_warmup_and_schedules():
    assert algo.warmup_lr_factor(0, 10, 100) == 0.0
    assert algo.warmup_lr_factor(5, 10, 100) == 0.5
    assert algo.warmup_lr_factor(10, 10, 100) == 1.0
    assert algo.warmup_lr_factor(50, 0, 100) == 1.0
    assert algo.warmup_lr_factor(10, 10, 110, "cosine") == pytest.approx(1.0)
    assert algo.warmup_lr_factor(60, 10, 110, "cosine") == pytest.approx(0.5)
    assert algo.warmup_lr_factor(110, 10, 110, "cosine", min_lr_ratio=0.1) == pytest.approx(0.1)
    with pytest.raises(ValueError):
        algo.warmup_lr_factor(1, 0, 10, "linear")
