"""The native verifier: one hand case group per rule of the equivalence policy (see
archer.scoring.verify), extraction rules, the shared labeled cases, MATH-500 self-verification,
and the Python API's contracts (errors, batch arrays, rewards, threads)."""

import collections
import json
import os
from pathlib import Path

import numpy as np
import pytest

from archer.scoring import ScoringInputError, equivalent, verify, verify_batch

DATA = Path("../shared/data")

# (answer, ground truth, expected) per policy rule.
POLICY_CASES = {
    "numbers": [
        ("0.5", r"\frac{1}{2}", True),
        (r"\dfrac12", "0.5", True),
        ("2/4", r"\frac12", True),
        ("0.750", r"\frac34", True),
        ("42.0", "42", True),
        (r"2\frac{1}{3}", r"\frac73", True),
        ("1.5e3", "1500", True),
        (r"1.5\times10^{3}", "1500", True),
        (r"\frac{-7}{2}", r"-\frac72", True),
        ("0.333", r"\frac13", False),
        ("0.3333333", r"\frac{1}{3}", False),
        (r"0.\overline{3}", r"\frac13", True),
        (r"\frac{27}{2}", r"\frac{2}{27}", False),
        ("10001_2", "17", True),
    ],
    "irrationals": [
        (r"19\pi", r"\pi \cdot 19", True),
        ("3.14159265359", r"\pi", True),
        ("2.09439510239", r"\frac{2\pi}{3}", True),
        ("3.14", r"\pi", False),
        (r"\frac{22}{7}", r"\pi", False),
        ("11.3", r"8\sqrt{2}", False),
        (r"\sqrt{12}", r"2\sqrt3", True),
        (r"\sqrt{3}\cdot 2", r"2\sqrt{3}", True),
        (r"\frac{2}{\sqrt7}", r"\frac{2\sqrt7}{7}", True),
        (r"\sqrt{2}+\sqrt{3}", r"\sqrt{5+2\sqrt6}", True),
        (r"\sqrt{16}", "4", True),
        (r"\sqrt[3]{27}", "3", True),
        (r"\log_2 8", "3", True),
        (r"\sin\frac{\pi}{6}", r"\frac12", True),
        (r"e^{i\pi}", "-1", True),
        (r"\sqrt{-4}", "2i", True),
        (r"\sqrt{114}", r"\sqrt{113}", False),
        (r"6\pi", r"12\pi", False),
    ],
    "free_variables": [
        ("x^2+2x+1", "(x+1)^2", True),
        ("1+2x+x^2", "(x+1)^2", True),
        (r"\frac{x+7}{5}", r"\frac{x}{5}+\frac{7}{5}", True),
        (r"\cos^2 x+\sin^2 x", "1", True),
        ("x^2+x+20", "x^2+x-20", False),
        ("(x+5)^2", "x^2-10x+25", False),
        ("y+1", "x+1", False),
        ("2xy", "2yx", True),
    ],
    "assignment_and_relations": [
        ("x = 3", "3", True),
        ("n = 14910", "14910", True),
        ("a=126", "126", True),
        ("x = 4", "3", False),
        ("y = 2x+3", "2x+3", True),
        ("2x+3 = y", "y=2x+3", True),
        ("2y=4x+6", "y=2x+3", True),
        ("x > 2", "2 < x", True),
        (r"x \ge 2", "x > 2", False),
        (r"-2 \le x \le 7", r"x \in [-2,7]", True),
        ("x > 5", r"(5, \infty)", True),
        ("42 = 43", "42", False),
        ("(x, y) = (3, 4)", "(3, 4)", True),
        ("m + n = 25", "25", True),
        ("f(x) = 2x", "2x", True),
        ("5x - 7y + 11z + 4 = 0", "x + y - z + 2 = 0", False),
        ("x + 1 = 5", "x + 1 = 6", False),
    ],
    "tuples": [
        ("(1,2)", "(1,2)", True),
        (r"\left( 8, \frac{5 \pi}{4} \right)", r"(8, \frac54\pi)", True),
        ("(2,1)", "(1,2)", False),
        ("(1,2,3)", "(1,2)", False),
        ("1, -4", "(1,-4)", False),
    ],
    "intervals": [
        ("[2,5)", "[2, 5)", True),
        (r"\left[ 2, 16 \right)", "[2, 16)", True),
        ("(2,5)", "[2,5)", False),
        ("[2,5]", "[2,5)", False),
        (r"[1,+\infty)", r"[1,\infty)", True),
        (r"(-\infty,-1)\cup(1,\infty)", r"(1,\infty)\cup(-\infty,-1)", True),
        (r"-\infty", r"\infty", False),
    ],
    "sets": [
        (r"\{1,2\}", r"\{2,1\}", True),
        ("0, -9", r"\{-9, 0\}", True),
        (r"x=1 \text{ or } x=2", "1,2", True),
        (r"1 \pm \sqrt2", r"1+\sqrt2, 1-\sqrt2", True),
        (r"\{4, 6, -3, -2\}", r"\{-2, 4, 6\}", False),
        ("9,-2,-5", "-2, 9", False),
        (r"\emptyset", r"\{\}", True),
    ],
    "matrices": [
        (
            r"\begin{pmatrix}1&2\\3&4\end{pmatrix}",
            r"\begin{bmatrix}1&2\\3&4\end{bmatrix}",
            True,
        ),
        (
            r"\begin{pmatrix}1&2\\3&5\end{pmatrix}",
            r"\begin{pmatrix}1&2\\3&4\end{pmatrix}",
            False,
        ),
        (r"\begin{pmatrix}\frac12\\2\end{pmatrix}", r"\begin{pmatrix}0.5\\2\end{pmatrix}", True),
    ],
    "thousands": [
        ("1,000,000", "1000000", True),
        ("1{,}000{,}000", "1,000,000", True),
        (r"1,\!000,\!000", "1000000", True),
        (r"1\,000\,000", "1000000", True),
        (r"11,\! 111,\! 100", "11111100", True),
        ("1,000", r"\{1, 0\}", False),
        ("472{,}900", r"473,\!000", False),
    ],
    "percent": [
        (r"50\%", "50", True),
        (r"50\%", "0.5", True),
        ("0.5", r"50\%", True),
        (r"\frac{1}{2}", r"50\%", True),
        ("50", r"50\%", True),
        (r"80\text{ percent}", r"80\%", True),
        ("0.08", r"80\%", False),
        ("50", "0.5", False),
        ("0.5", "50", False),
    ],
    "units_and_degrees": [
        (r"5\text{ cm}", "5", True),
        (r"299\text{ cm}^2", "299", True),
        (r"\$12.50", "12.5", True),
        ("12 km/h", "12", True),
        (r"14\mbox{ hours}", "7", False),
        (r"30^\circ", "30", True),
        (r"30^{\circ}", "30", True),
        ("30°", "30", True),
        (r"30 \text{ degrees}", r"30^\circ", True),
        (r"\angle ABC = 30^\circ", "30", True),
        (r"5 \text{ sq. ft.}", "5", True),
        (r"5\mathrm{m}", "5", True),
        (r"1-\frac{1}{\mathrm{e}}", "1-e^{-1}", True),
        (r"160\text{°}", r"20^\circ", False),
        ("30", r"\frac{\pi}{6}", False),
    ],
    "multiple_choice": [
        (r"\text{(C)}", "C", True),
        ("(c)", r"\text{(C)}", True),
        (r"\textbf{(C)}", "C", True),
        (r"\mathrm{(D)}", "(D)", True),
        ("(E)", r"\text{(B)}", False),
        ("120", r"\text{(A)}", False),
    ],
    "formatting": [
        (r"\displaystyle 26", "26", True),
        ("{{5}}", "5", True),
        (r"\,5\,", "5", True),
        ("~30", "30", True),
        (r"-\left({\frac{19}{6}}\right)", r"-\frac{19}{6}", True),
        (r"5\,\sqrt{5}", r"5\sqrt{5}", True),
        ("**42**", "42", True),
        ("5.", "5", True),
        (r"\\dfrac{1}{2} +\frac{1}{72}", r"\tfrac{1}{2} +\! \frac1{72}", True),
        (r"\left(x-2\right)\left(x+2\right)", "(x-2)(x+2)", True),
        (r"\tfrac{3}{4}", r"\dfrac{3}{4}", True),
    ],
    "text_answers": [
        (r"\text{Evelyn}", r"\text{Evelyn}", True),
        ("Evelyn", r"\text{Evelyn}", True),
        ("Bob", r"\text{Evelyn}", False),
    ],
    "anything_else_incorrect": [
        (r"42 \text{ or } 43", "42", False),
        (r"42 \pm 1", "42", False),
        ("42x", "42", False),
        ("42, 43", "42", False),
        (r"\frac{1}{0}", "1", False),
        ("?", "5", False),
        (r"10^{10^{10}}", "1", False),
        ("(10^9)!", "1", False),
        ("1e999999", "429", False),
    ],
}


@pytest.mark.parametrize(
    "answer,truth,expected",
    [c for cases in POLICY_CASES.values() for c in cases],
)
def test_policy_cases(answer, truth, expected):
    assert equivalent(answer, truth) is expected, (answer, truth)


@pytest.mark.parametrize(
    "response,answer",
    [
        (r"so \boxed{1} then \boxed{\frac{1}{2}}.", r"\frac{1}{2}"),
        ("Answer: 8\n\nLet me redo it.\n\nAnswer: 4", "4"),
        ("work\n**Final Answer:** $-5/2$", "-5/2"),
        ("Hence, the answer is \\(1/12\\).", "1/12"),
        ("Steps. So the total comes to 1,234.", "1,234"),
        ("Therefore, the result is -70.", "-70"),
        ("<think>\\boxed{1}</think> Answer: 2", "2"),
        (r"x \boxed {5}", "5"),
        ("Final Answer: The final answer is $100$. I hope it is correct.", "100"),
    ],
)
def test_extraction_rules(response, answer):
    assert verify(response, "0").extracted == answer


@pytest.mark.parametrize(
    "response",
    [
        "",
        "   ",
        "Answer: 3\n\\boxed{4",  # the last box is unclosed: no fallback
        "We got 12. Let me know if you want me to go over any step again.",
        "The slope is $m = \\frac{y_2 - y_1}{x_2 - x_1}$ and then",
        "The answer is $\\boxed{}$.",
    ],
)
def test_no_answer(response):
    v = verify(response, "12")
    assert (v.correct, v.status) == (False, "no_answer")


def test_statuses_and_rewards():
    assert verify(r"\boxed{3}", "3").status == "match"
    assert verify(r"\boxed{4}", "3").status == "mismatch"
    assert verify(r"\boxed{@@}", "3").status == "unparsable"
    v = verify(r"\boxed{4}", "3", reward="dapo")
    assert (v.correct, v.reward) == (False, -1.0)
    v = verify(r"\boxed{3}", "3", correct_reward=2.5, incorrect_reward=-0.5)
    assert v.reward == 2.5
    assert verify("Answer: 3", "3", mode="math_dapo").correct


def _load(name):
    with open(DATA / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_shared_labeled_cases_agreement():
    rows = _load("verify_cases.jsonl")
    out = verify_batch([r["response"] for r in rows], [r["ground_truth"] for r in rows])
    per = collections.defaultdict(lambda: [0, 0])
    for r, c in zip(rows, out.correct, strict=True):
        per[r["category"]][0] += bool(c) == r["expected"]
        per[r["category"]][1] += 1
    overall = sum(a for a, _ in per.values()) / len(rows)
    worst = min(a / n for a, n in per.values())
    assert overall >= 0.99, overall
    assert worst >= 0.95, {k: v for k, v in per.items() if v[0] / v[1] < 0.95}


def test_math500_reference_solutions_verify_and_cross_pairs_do_not():
    rows = _load("math500.jsonl")
    sols = [r["solution"] for r in rows]
    answers = [r["answer"] for r in rows]
    assert verify_batch(sols, answers).correct.all()
    shifted = answers[1:] + answers[:1]
    cross = verify_batch(sols, shifted)
    # Only pairs whose answers are genuinely equal may match.
    for i in np.flatnonzero(cross.correct):
        assert equivalent(answers[i], shifted[i]), (answers[i], shifted[i])
    assert cross.correct.sum() <= 10


def test_batch_arrays_threads_and_errors():
    responses = [r"\boxed{1}", "Answer: 2", "no answer here", r"\boxed{x+1}"] * 50
    truths = ["1", "3", "4", "1+x"] * 50
    one = verify_batch(responses, truths, threads=1)
    many = verify_batch(responses, truths, threads=0)
    assert one.correct.dtype == np.bool_ and one.reward.dtype == np.float32
    assert np.array_equal(one.correct, many.correct) and one.status == many.status
    assert one.status_counts() == {"match": 100, "mismatch": 50, "no_answer": 50, "unparsable": 0}
    assert one[3].extracted == "x+1" and one.accuracy == 0.5
    with pytest.raises(ScoringInputError, match="ground_truths has 1"):
        verify_batch(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="mode"):
        verify_batch(["a"], ["a"], mode="sympy")
    with pytest.raises(ScoringInputError, match="responses\\[0\\]"):
        verify_batch([None], ["a"])
    with pytest.raises(ScoringInputError, match="reward"):
        verify("a", "a", reward="ternary")
    assert len(verify_batch([], [])) == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_batch_after_fork():
    """A pool built in the parent must not hang a forked child (vLLM/torch fork workers)."""
    verify_batch([r"\boxed{1}"] * 64, ["1"] * 64, threads=2)
    pid = os.fork()
    if pid == 0:  # child
        ok = verify_batch([r"\boxed{1}"] * 64, ["1"] * 64, threads=2).correct.all()
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
