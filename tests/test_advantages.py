"""Native group advantages against plain numpy/torch references written the way verl writes them."""

from collections import defaultdict

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from archer.scoring import ScoringInputError, advantages, broadcast_to_tokens


def verl_style_grpo(scores, ids, eps=1e-6, norm_by_std=True):
    """Per-sample Python loop in the shape of verl's compute_grpo_outcome_advantage (float32 torch)."""
    scores = torch.tensor(scores, dtype=torch.float32)
    id2score = defaultdict(list)
    for i, g in enumerate(ids):
        id2score[g].append(scores[i])
    id2mean, id2std = {}, {}
    for g, vals in id2score.items():
        if len(vals) == 1:
            id2mean[g], id2std[g] = torch.tensor(0.0), torch.tensor(1.0)
        else:
            stacked = torch.stack(vals)
            id2mean[g], id2std[g] = torch.mean(stacked), torch.std(stacked)
    out = scores.clone()
    for i, g in enumerate(ids):
        out[i] = scores[i] - id2mean[g]
        if norm_by_std:
            out[i] = out[i] / (id2std[g] + eps)
    return out.numpy()


def numpy_rloo(scores, ids):
    scores = np.asarray(scores, dtype=np.float64)
    ids = np.asarray(ids)
    out = scores.copy()
    for g in np.unique(ids):
        sel = ids == g
        n = sel.sum()
        if n > 1:
            out[sel] = (scores[sel] - scores[sel].mean()) * n / (n - 1)
    return out


batches = st.integers(min_value=1, max_value=60).flatmap(
    lambda n: st.tuples(
        st.lists(
            st.floats(-5, 5, allow_nan=False, width=32) | st.sampled_from([0.0, 1.0, -1.0]),
            min_size=n,
            max_size=n,
        ),
        st.lists(st.integers(-3, 8), min_size=n, max_size=n),
    )
)


@settings(max_examples=200, deadline=None)
@given(batches)
def test_grpo_matches_verl_loop(batch):
    scores, ids = batch
    got = advantages(scores, ids).advantages
    want = verl_style_grpo(scores, ids)
    # Native sums in f64; verl's float32 torch: agree to float32 rounding of values up to ~1e7
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-4 * (1 + np.abs(want).max()))


@settings(max_examples=200, deadline=None)
@given(batches)
def test_dr_grpo_and_rloo_match_reference(batch):
    scores, ids = batch
    got = advantages(scores, ids, norm_by_std=False).advantages
    np.testing.assert_allclose(got, verl_style_grpo(scores, ids, norm_by_std=False), atol=1e-4)
    got = advantages(scores, ids, estimator="rloo").advantages
    np.testing.assert_allclose(got, numpy_rloo(scores, ids), rtol=1e-5, atol=1e-4)


@settings(max_examples=100, deadline=None)
@given(batches)
def test_group_stats_count_raw_outcomes(batch):
    scores, ids = batch
    res = advantages(scores, ids)
    by_group = defaultdict(list)
    for s, g in zip(scores, ids):
        by_group[g].append(s > 0)
    assert res.n_groups == len(by_group)
    assert res.solve_all == sum(all(v) for v in by_group.values())
    assert res.solve_none == sum(not any(v) for v in by_group.values())
    assert res.valid == res.n_groups - res.solve_all - res.solve_none


def test_hand_computed_grpo_and_single_response_group():
    r = advantages([1, 0, 0, 1, 1], [7, 7, 7, 7, 3])
    s = np.sqrt(1 / 3) + 1e-6  # sample std of [1,0,0,1]
    np.testing.assert_allclose(
        r.advantages, [0.5 / s, -0.5 / s, -0.5 / s, 0.5 / s, 1 / (1 + 1e-6)], rtol=1e-6
    )
    assert r.metrics() == {"batch/solve_all": 1.0, "batch/solve_none": 0.0, "batch/valid": 1.0}
    assert r.group_index.tolist() == [0, 0, 0, 0, 1]


def test_all_equal_group_has_zero_advantage_and_batch_std_scope():
    r = advantages([1.0, 1.0, 0.0, 1.0], [0, 0, 1, 1])
    assert r.advantages[:2].tolist() == [0.0, 0.0]
    b = advantages([1.0, 1.0, 0.0, 1.0], [0, 0, 1, 1], std_scope="batch")
    batch_std = np.std([1.0, 1.0, 0.0, 1.0], ddof=1)
    np.testing.assert_allclose(
        b.advantages, [0, 0, -0.5 / (batch_std + 1e-6), 0.5 / (batch_std + 1e-6)], rtol=1e-6
    )


def test_explicit_correctness_overrides_score_sign():
    # DAPO-shaped rewards may be negative for a correct answer (overlong penalty): stats use `correct`
    r = advantages([-0.2, -1.0], [0, 0], correct=[True, False])
    assert (r.solve_all, r.solve_none, r.valid) == (0, 0, 1)


def test_numpy_inputs_are_read_in_place_and_noncontiguous_accepted():
    scores = np.array([1, 0, 1, 0], dtype=np.float32)
    ids = np.array([5, 5, 6, 6], dtype=np.int64)
    r = advantages(scores, ids)
    assert r.advantages.dtype == np.float32 and r.advantages.shape == (4,)
    strided = np.array([1, 9, 0, 9, 1, 9, 0, 9], dtype=np.float32)[::2]
    np.testing.assert_array_equal(advantages(strided, ids).advantages, r.advantages)


@pytest.mark.parametrize(
    ("scores", "ids", "kwargs", "match"),
    [
        ([], [], {}, "empty batch"),
        ([1.0, 2.0], [0], {}, "length mismatch"),
        ([1.0, float("nan")], [0, 0], {}, r"scores\[1\]"),
        ([1.0, float("inf")], [0, 0], {}, "non-finite"),
        ([1.0], [0], {"estimator": "ppo"}, "unknown advantage estimator"),
        ([1.0], [0], {"std_scope": "token"}, "unknown std scope"),
        ([[1.0]], [0], {}, "one-dimensional"),
        (["a"], [0], {}, "scores could not be read"),
        ([1.0], [0], {"correct": [True, False]}, "correct has 2"),
    ],
)
def test_bad_input_raises_named_value_error(scores, ids, kwargs, match):
    with pytest.raises(ScoringInputError, match=match) as info:
        advantages(scores, ids, **kwargs)
    assert isinstance(info.value, ValueError)


def test_broadcast_to_tokens():
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    out = broadcast_to_tokens(np.array([2.0, -1.0], dtype=np.float32), mask)
    assert out.tolist() == [[2.0, 2.0, 0.0], [-1.0, 0.0, 0.0]]
    with pytest.raises(ValueError, match="one advantage per response"):
        broadcast_to_tokens(np.array([1.0]), mask)
