"""Degeneracy detectors: accuracy on the labeled data set, behaviour on hand-made cases, config."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from archer.scoring import InspectConfig, ScoringInputError, inspect_text, inspect_texts
from archer.scoring.inspect import CATEGORIES, FLAGS

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "degeneracy_cases.jsonl"


@pytest.fixture(scope="module")
def cases():
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    res = inspect_texts([r["text"] for r in rows])
    return rows, res


def test_every_label_meets_precision_and_recall(cases):
    rows, res = cases
    report = {}
    for label in FLAGS:
        pred = [bool(x) for x in res[label]]
        truth = [r["labels"][label] for r in rows]
        tp = sum(p and t for p, t in zip(pred, truth))
        fp = sum(p and not t for p, t in zip(pred, truth))
        fn = sum(t and not p for p, t in zip(pred, truth))
        report[label] = (tp / max(1, tp + fp), tp / max(1, tp + fn))
    for label, (precision, recall) in report.items():
        assert precision >= 0.97, (label, report)
        assert recall >= 0.95, (label, report)


def test_clean_texts_are_rarely_flagged(cases):
    rows, res = cases
    clean = [i for i, r in enumerate(rows) if not any(r["labels"].values())]
    flagged = [rows[i]["id"] for i in clean if any(bool(res[f][i]) for f in FLAGS)]
    assert len(clean) > 100
    assert len(flagged) <= 0.01 * len(clean), flagged


def test_scores_are_far_from_thresholds_on_the_data(cases):
    rows, res = cases
    gib_neg = [
        float(res["gibberish_score"][i]) for i, r in enumerate(rows) if not r["labels"]["gibberish"]
    ]
    gib_pos = [
        float(res["gibberish_score"][i]) for i, r in enumerate(rows) if r["labels"]["gibberish"]
    ]
    assert max(gib_neg) < 0.15 < 0.30 < 0.40 < min(gib_pos)


def test_loop_unit_start_and_copies():
    prefix = "Let me solve this step by step. "
    r = inspect_text(prefix + "& " * 300)
    assert r["repetition"] and r["repetition_unit"].strip() == "&"
    assert r["repetition_copies"] >= 299
    assert abs(r["repetition_start"] - len(prefix)) <= 2
    block = "Step 1: add 3.\nStep 2: divide by 4.\nStep 3: so x = 2.\n"
    r = inspect_text("We start.\n" + block * 12 + block[:9])
    assert r["repetition"] and r["repetition_copies"] >= 11
    assert len(r["repetition_unit"]) == len(block)
    assert inspect_text("ゆ " * 100)["repetition"]


@pytest.mark.parametrize(
    "text",
    [
        "The multiples of 3 are 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36, 39, 42, 45.",
        "| k | k^2 |\n|---|---|\n| 1 | 1 |\n| 2 | 4 |\n| 3 | 9 |\n|---|---|---|---|---|---|---|",
        "So 1/3 = 0.333333333333333333333 and 10^20 = 100000000000000000000.",
        "We use $S_n = n(a_1+a_n)/2$ here. Later, $S_n = n(a_1+a_n)/2$ again. "
        "Finally $S_n = n(a_1+a_n)/2$ once more.",
    ],
)
def test_enumerations_tables_and_numbers_are_not_loops(text):
    assert not inspect_text(text)["repetition"]


def test_gibberish_kinds_and_language_are_separated():
    prose = "We compute the area of the triangle with base 6 and height 4, which gives 12. " * 3
    rng = random.Random(0)

    def shuffled(pieces: str, n: int, sep: str = " ") -> str:
        # Random order, so the junk is not an exact loop (a loop is repetition, not gibberish).
        words = pieces.split()
        return sep.join(rng.choice(words) for _ in range(n))

    soup = shuffled("ङفгऌ ソউБՓמ∥ฏฤה∑ 喴ՖさԽ ሽ ❿שどふহএ ზ⊎柛 ゆሬሡΔ➅ǋ┝ػばყ🍽╿ऴמ⇬घდพר", 60)
    symbols = shuffled("∀:↔′♣✗'△?*▼∩─●┐ ↑⇒!∨○ ╚ ✓║●,•%`▲¶∈├ ▼─‡│{≥■;✘…∀⊗★→├!┌", 60)
    b64 = shuffled(
        "gX15hc0VIwKBkfm4KExKv6zl Sw8RNTe1CoY4/Id1sx/D4S ncWrPcc76U41hz93qGh/o cWQjq+07dbwORafuSTxLh",
        24,
        "",
    )
    frags = shuffled("ĠthenÄ cont ingenc âĢĿ±uesĠĠĠĠĠvalator ĠÎĠãĤivalent Ã©ĊĠ|Ġ{ingenc", 60)
    for junk in (soup, symbols, b64, frags):
        r = inspect_text(prose + junk)
        assert r["gibberish"], junk[:30]
        assert r["gibberish_score"] > 0.3
    chinese = (
        "首先，我们需要理解题目的意思。将两边同时减去 $20$，得到 $9x = 27$。因此，答案是 $3$。" * 4
    )
    latex = r"$$\frac{d}{dx}\left(x^3 \sin x\right) = 3x^2 \sin x + x^3 \cos x, \quad \int_0^1 x^2\,dx = \tfrac13$$"
    code = "```python\ndef gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a\n```"
    unicode_math = "Let θ be the angle; Δ = b² − 4ac ≥ 0, so √Δ is real and π·r² ≤ 10."
    for fine in (prose, chinese, latex, code, unicode_math):
        assert inspect_text(fine)["gibberish_score"] == 0.0, fine[:30]


def test_word_salad_is_gibberish_but_prose_is_not():
    salad = (
        "the find too big end Circle remainder your could Once though; function business until "
        "being two so rather came many another set prime root great turned asked men again "
        "Program took From or polygon vertex between states both was members how circle little "
        "ever young, may have Among remainder still where Point their come development one know "
        "knew? least important possible quotient, Sum look took per during that night same right"
    )
    assert inspect_text(salad)["gibberish"]
    prose = (
        "Priya has 12 cards and gives a third of them to Tom. We know that a third of 12 is 4, "
        "so Tom gets 4 cards. Then Priya keeps 12 - 4 = 8 cards. Let me check this with the "
        "Euclidean picture of the problem: each of the three equal parts has 4 cards, and Priya "
        "keeps two of those parts, which is 8 cards. Therefore the answer is 8."
    )
    assert not inspect_text(prose)["gibberish"]


def test_language_drift_share_script_and_marker():
    r = inspect_text("计算得到结果，所以这个数的值是 $28$。" * 5)
    assert r["language_drift"] and r["foreign_share"] > 0.9
    assert r["dominant_foreign_script"] == "cjk"
    assert r["script_letters"]["cjk"] > 0 and "latin" not in r["script_letters"]
    english = "First, find the prime factorization of 1125, which is 3^2 * 5^3. " * 3
    r = inspect_text(english + "\n\nคำตอบ: 12")
    assert r["language_drift"] and r["foreign_share"] < 0.1
    assert r["foreign_answer_marker"] == "คำตอบ"
    quoted = 'The Japanese term "約数" used in the problem means divisor. ' + english + "Answer: 12"
    r = inspect_text(quoted)
    assert not r["language_drift"] and r["foreign_answer_marker"] is None
    # The expected language is configurable: Chinese prose is native for "zh".
    zh = InspectConfig(expected_language="zh")
    assert not inspect_text("计算得到结果，所以这个数的值是 $28$。答案：28", config=zh)[
        "language_drift"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\\[\\boxed{814}\\]", True),
        ("The answer is 173.", True),
        ("42", True),
        ("答案是 618", True),
        ("Easy. Answer: 778", True),
        (
            "First compute the product: 947 x 83 = 75760 + 2841 = 78601. The digits of 78601 are "
            "7, 8, 6, 0 and 1, and their sum is 7 + 8 + 6 + 0 + 1 = 22, which is what the problem "
            "asks for. Thus the answer is 22.",
            False,
        ),
        ("& " * 100, False),
        ("No idea what to do here, sorry.", False),
    ],
)
def test_shortcut(text, expected):
    assert inspect_text(text)["shortcut"] is expected


def test_word_categories_and_ngram_stats():
    r = inspect_text(
        "Therefore x = 2. Wait, let me verify: thus 2 + 2 = 4, hence the check passes."
    )
    assert r["logical_connectives"] == 3  # therefore, thus, hence
    assert r["verification"] == 2  # verify, check
    assert r["reflection"] == 1  # wait
    looped = inspect_text(" ".join(["a b c d e"] * 20))
    assert looped["repetition_ratio"] > 0.9 and looped["maximum_frequency"] >= 16
    varied = inspect_text(" ".join(f"w{i}" for i in range(60)))
    assert varied["repetition_ratio"] == 0.0 and varied["maximum_frequency"] == 1


def test_metrics_names_and_pos_neg_splits():
    texts = [
        "& " * 200,
        "The answer is 3.",
        "We add 1 and 2 to get 3, therefore 3 is the result " * 3,
    ]
    res = inspect_texts(texts, correct=[False, True, True])
    m = res.metrics
    for f in FLAGS:
        assert f"degeneracy/{f}_rate" in m and f"degeneracy/pos_{f}_rate" in m
    for c in CATEGORIES:
        assert f"token/{c}" in m and f"token/pos_{c}" in m and f"token/neg_{c}" in m
    assert m["degeneracy/repetition_rate"] == pytest.approx(1 / 3)
    assert m["degeneracy/neg_repetition_rate"] == 1.0
    assert m["degeneracy/pos_shortcut_rate"] == 0.5
    assert m["token/pos_logical_connectives"] == 1.5
    assert "token/repetition_ratio" in m and "token/maximum_frequency" in m


def test_thresholds_are_configurable():
    text = "Intro. " + "x = 1. " * 12
    assert inspect_text(text)["repetition"]
    assert not inspect_text(text, config=InspectConfig(repetition_min_copies=20))["repetition"]
    assert inspect_text("The answer is 5.")["shortcut"]
    assert not inspect_text("The answer is 5.", config=InspectConfig(shortcut_max_words=1))[
        "shortcut"
    ]


def test_bad_input_is_named():
    with pytest.raises(ScoringInputError, match="texts\\[1\\] is int, expected str"):
        inspect_texts(["ok", 3])
    with pytest.raises(ScoringInputError, match="texts\\[0\\] is NoneType"):
        inspect_texts(x for x in [None])
    with pytest.raises(ScoringInputError, match="list of strings"):
        inspect_texts("one string")
    with pytest.raises(ScoringInputError, match="gibberish_threshold"):
        inspect_texts(["x"], config=InspectConfig(gibberish_threshold=2.0))
    with pytest.raises(ScoringInputError, match="correct"):
        inspect_texts(["a", "b"], correct=[True])


def test_threads_give_identical_results(cases):
    rows, res = cases
    texts = [r["text"] for r in rows]
    one = inspect_texts(texts, threads=1)
    for key in ("repetition_score", "gibberish_score", "foreign_share", "logical_connectives"):
        assert (one[key] == res[key]).all()
