"""The one-call batch scorer: agreement with the separate pieces, shaping, metrics, GIL release."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from archer.scoring import (
    ScoringConfig,
    ScoringInputError,
    advantages,
    inspect_texts,
    score_batch,
    verify_batch,
)

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "rollout_batch_1024.jsonl"


@pytest.fixture(scope="module")
def batch():
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    ids: dict[str, int] = {}
    groups = [ids.setdefault(r["prompt_id"], len(ids)) for r in rows]
    return rows, groups


def _score(rows, groups, **cfg):
    return score_batch(
        [r["response"] for r in rows],
        [r["ground_truth"] for r in rows],
        groups,
        response_lengths=[r["response_tokens"] for r in rows],
        finish_reasons=[r["finish_reason"] for r in rows],
        config=ScoringConfig(**cfg),
    )


def test_one_call_equals_verify_inspect_and_advantages(batch):
    rows, groups = batch
    res = _score(rows, groups)
    responses = [r["response"] for r in rows]
    v = verify_batch(responses, [r["ground_truth"] for r in rows])
    assert (res.correct == v.correct).all()
    assert res.raw_scores.dtype == np.float32 and res.advantages.dtype == np.float32
    assert (res.raw_scores == res.correct.astype(np.float32)).all()
    assert (res.rewards == res.raw_scores).all()  # no shaping by default
    ref = advantages(res.rewards, groups, correct=res.correct)
    np.testing.assert_allclose(res.advantages, ref.advantages, atol=1e-6)
    assert res.metrics["batch/valid"] == ref.valid
    assert res.metrics["batch/solve_none"] == ref.solve_none
    ins = inspect_texts(responses)
    for f in ("repetition", "gibberish", "language_drift", "shortcut"):
        assert (res.flags[f] == ins[f]).all()
    assert res.metrics["critic/score/mean"] == pytest.approx(float(res.correct.mean()))
    assert 0 < res.metrics["degeneracy/shortcut_rate"] < 0.2


def test_metric_names_are_stable(batch):
    rows, groups = batch
    m = _score(rows, groups).metrics
    for name in [
        "critic/score/mean",
        "critic/score/max",
        "critic/score/min",
        "critic/rewards/mean",
        "critic/advantages/mean",
        "critic/advantages/max",
        "critic/advantages/min",
        "batch/solve_all",
        "batch/solve_none",
        "batch/valid",
        "token/logical_connectives",
        "token/pos_logical_connectives",
        "token/neg_logical_connectives",
        "token/repetition_ratio",
        "token/maximum_frequency",
        "degeneracy/repetition_rate",
        "degeneracy/gibberish_rate",
        "degeneracy/language_drift_rate",
        "degeneracy/shortcut_rate",
        "response_length/mean",
        "response_length/clip_ratio",
    ]:
        assert name in m, name
    assert m["response_length/clip_ratio"] == pytest.approx(18 / 1024)


def test_dapo_overlong_shaping_on_token_lengths():
    responses = ["The answer is \\boxed{4}."] * 4
    lengths = [100, 3840, 3968, 4096]  # L_max 4096, buffer 256: 0, 0, -0.5, -1 (factor 1)
    res = score_batch(
        responses,
        ["4"] * 4,
        [0, 0, 0, 0],
        response_lengths=lengths,
        config=ScoringConfig(
            reward_scheme="dapo", overlong_buffer_len=256, max_response_length=4096
        ),
    )
    np.testing.assert_allclose(res.raw_scores, [1, 1, 1, 1])
    np.testing.assert_allclose(res.overlong_penalty, [0, 0, -0.5, -1.0], atol=1e-6)
    np.testing.assert_allclose(res.rewards, [1, 1, 0.5, 0.0], atol=1e-6)
    # Group stats count raw correctness: all four are correct.
    assert res.metrics["batch/solve_all"] == 1.0
    assert res.metrics["overlong/penalized_rate"] == 0.5


def test_degeneracy_shaping_modes_and_raw_group_stats():
    reasoning = (
        "We need six groups of seven. Counting seven, fourteen, twenty-one, twenty-eight, "
        "thirty-five and forty-two, the total is forty-two items, so the answer is \\boxed{42}."
    )
    loop = "Let me think. " + "& " * 300
    responses = [reasoning, "\\boxed{42}", loop, reasoning.replace("{42}", "{41}")]
    gts = ["42"] * 4
    off = score_batch(responses, gts, [0] * 4)
    assert off.flags["shortcut"].tolist() == [False, True, False, False]
    assert off.flags["repetition"].tolist() == [False, False, True, False]
    pen = score_batch(
        responses,
        gts,
        [0] * 4,
        config=ScoringConfig(shaping_mode="penalty", shaping_penalty=0.5),
    )
    np.testing.assert_allclose(pen.rewards, [1.0, 0.5, -0.5, 0.0])
    assert pen.metrics["batch/valid"] == off.metrics["batch/valid"] == 1.0
    only_rep = score_batch(
        responses,
        gts,
        [0] * 4,
        config=ScoringConfig(
            shaping_mode="penalty", shaping_penalty=0.5, shaping_flags=("repetition",)
        ),
    )
    np.testing.assert_allclose(only_rep.rewards, [1.0, 1.0, -0.5, 0.0])
    zero = score_batch(responses, gts, [0] * 4, config=ScoringConfig(shaping_mode="zero_advantage"))
    assert zero.advantages[1] == 0 and zero.advantages[2] == 0
    np.testing.assert_allclose(zero.rewards, off.rewards)
    assert zero.metrics["shaping/shaped_rate"] == 0.5


def test_rows_without_ground_truth_and_math_dapo_mode():
    res = score_batch(["Answer: 7", "I think 7"], [None, "7"], [1, 1])
    assert res.status[0] == "no_ground_truth" and not res.correct[0]
    dapo = score_batch(
        ["Answer: 7"],
        ["7"],
        [0],
        config=ScoringConfig(verify_mode="math_dapo", reward_scheme="dapo"),
    )
    assert dapo.correct.tolist() == [True] and dapo.raw_scores.tolist() == [1.0]


def test_threads_do_not_change_results(batch):
    rows, groups = batch
    rows, groups = rows[:256], groups[:256]
    a = _score(rows, groups, threads=1)
    b = _score(rows, groups, threads=2)
    assert (a.advantages == b.advantages).all() and a.metrics == b.metrics


def test_the_call_releases_the_gil(batch):
    rows, groups = batch
    ticks = 0
    stop = threading.Event()

    def spin():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0)

    t = threading.Thread(target=spin)
    responses = [r["response"] for r in rows] * 4
    gts = [r["ground_truth"] for r in rows] * 4
    t.start()
    time.sleep(0.01)
    before = ticks
    score_batch(responses, gts, groups * 4, config=ScoringConfig(threads=1))
    during = ticks - before
    stop.set()
    t.join()
    # With the GIL held for the whole call the spinning thread could not have advanced.
    assert during > 10


def test_bad_input_is_named():
    with pytest.raises(ScoringInputError, match="group_ids"):
        score_batch(["a", "b"], ["1", "2"], [0])
    with pytest.raises(ScoringInputError, match="max_response_length"):
        score_batch(
            ["a"], ["1"], [0], response_lengths=[5], config=ScoringConfig(overlong_buffer_len=4)
        )
    with pytest.raises(ScoringInputError, match="response_lengths"):
        score_batch(
            ["a"], ["1"], [0], config=ScoringConfig(overlong_buffer_len=4, max_response_length=8)
        )
    with pytest.raises(ScoringInputError, match="shaping_mode"):
        score_batch(["a"], ["1"], [0], config=ScoringConfig(shaping_mode="always"))
    with pytest.raises(ScoringInputError, match="shaping flag"):
        score_batch(["a"], ["1"], [0], config=ScoringConfig(shaping_flags=("loops",)))
    with pytest.raises(ScoringInputError, match="reward_scheme"):
        score_batch(["a"], ["1"], [0], config=ScoringConfig(reward_scheme="ternary"))
    with pytest.raises(ScoringInputError, match="empty batch"):
        score_batch([], [], [])
    with pytest.raises(ScoringInputError, match="responses\\[0\\]"):
        score_batch([None], ["1"], [0])
    # Item types are checked in the native call: the bad item's index and type are named.
    with pytest.raises(ScoringInputError, match="ground_truths\\[1\\] is int, expected str"):
        score_batch(["a", "b"], ["1", 2], [0, 0])
    with pytest.raises(ScoringInputError, match="responses\\[1\\] is bytes, expected str"):
        score_batch(("a", b"b"), ["1", "2"], [0, 0])
    # A missing ground truth is allowed; any sequence of str works (numpy str_ is a str).
    scores = score_batch(np.array(["x", "\\boxed{2}"]), [None, "2"], [0, 0])
    assert scores.correct.tolist() == [False, True]


def test_archer_score_adds_inspection_fields_and_inspects_rows_without_truth(tmp_path):
    import json as _json

    from typer.testing import CliRunner

    from archer.cli import app

    src, out = tmp_path / "texts.jsonl", tmp_path / "out.jsonl"
    rows = [
        {"text": "Let me think. " + "& " * 100},
        {"text": "We add 2 and 3, which gives 5 in total, so the answer is \\boxed{5}.", "gt": "5"},
        {"text": "คำตอบ: 7", "gt": None},
    ]
    src.write_text("".join(_json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    args = ["score", str(src), "--response-key", "text", "--truth-key", "gt", "--out", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    got = [_json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r["status"] for r in got] == ["no_ground_truth", "match", "no_ground_truth"]
    assert [r["repetition"] for r in got] == [True, False, False]
    assert [r["shortcut"] for r in got] == [False, True, True]
    assert got[2]["language_drift"] is True and got[2]["correct"] is None
    assert isinstance(got[1]["logical_connectives"], int)
    assert isinstance(got[0]["repetition_score"], float)
    for text in ("inspection only", "repetition rate", "shortcut rate", "logical_connectives"):
        assert text in res.output
