"""No input may crash or hang the verifier: random text, LaTeX-token soup, and adversarial shapes
(deep nesting, huge exponents and factorials, long digit strings, unclosed groups, NUL / U+FFFD).
Each call must return a verdict; the generous per-call limit below only detects hangs (speed is
measured in benches/bench_verify.py)."""

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archer.scoring import equivalent, verify, verify_batch
from archer.scoring.verify import STATUSES

HANG_LIMIT_S = 0.5

TOKENS = [
    "\\boxed{", "\\fbox{", "{", "}", "\\frac", "\\dfrac", "\\sqrt", "\\sqrt[", "]", "[", "(", ")",
    "\\left(", "\\right)", "\\left[", "\\right.", "\\{", "\\}", "^", "_", "^{", "\\pi", "\\infty",
    "\\cdot", "\\times", "\\div", "\\pm", "\\cup", "\\le", "=", "<", ",", ";", "!", "%", "\\%",
    "\\text{", "\\mbox{", "\\textbf{", "\\mathrm{", "^\\circ", "°", "\\$", "$", "$$", "\\(", "\\)",
    "\\begin{pmatrix}", "\\end{pmatrix}", "&", "\\\\", "\\log_", "\\ln", "\\sin", "\\binom",
    "\\overline{", "0.", "1", "2", "9", "10", "1,000", "{,}", "\\,", "\\!", "e", "i", "x", "y",
    "1e9", "1e999999", "10^{10^{10}}", "Answer: ", "The answer is ", "</think>", "\n", " ", ".",
    "\x00", "\ufffd", "π", "√", "−", "²", "(C)", "\\lfloor", "\\rfloor", "|", "or", " cm",
]  # fmt: skip

token_soup = st.lists(st.sampled_from(TOKENS), max_size=120).map("".join)
any_text = st.text(max_size=400)


def _checked(response: str, truth: str) -> None:
    start = time.perf_counter()
    v = verify(response, truth)
    w = verify(response, truth, mode="math_dapo")
    e = equivalent(response, truth)
    elapsed = time.perf_counter() - start
    assert v.status in STATUSES and w.status in STATUSES
    assert v.correct == (v.status == "match") and isinstance(e, bool)
    assert elapsed < HANG_LIMIT_S, (elapsed, response[:200], truth[:200])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(response=any_text, truth=any_text)
def test_random_text_never_crashes(response, truth):
    _checked(response, truth)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=token_soup, truth=token_soup)
def test_latex_token_soup_never_crashes(body, truth):
    _checked(body, truth)
    _checked("\\boxed{" + body + "}", truth)


def _adversarial() -> list[tuple[str, str]]:
    deep = 3000
    cases = [
        ("\\boxed{" + "{" * deep + "1" + "}" * deep + "}", "1"),
        ("\\boxed{" + "\\frac{1}{" * 400 + "2" + "}" * 400 + "}", "2"),
        ("\\boxed{" + "\\sqrt{" * 500 + "2" + "}" * 500 + "}", "2"),
        ("\\boxed{" + "(" * 5000 + "1" + ")" * 5000 + "}", "1"),
        ("\\boxed{" + "(" * 5000 + "}", "1"),
        ("\\boxed{" * 20000, "1"),
        ("x " * 60000, "1"),
        ("a1" * 50000, "1"),
        ("Answer: x\n" * 10000, "1"),
        ("\\boxed{" + "9" * 30000 + "}", "9" * 30000),
        ("\\boxed{" + "+".join(["9" * 3000] * 40) + "}", "1"),
        ("\\boxed{10^{10^{10}}}", "10^{10^{10}}"),
        ("\\boxed{2^{2^{2^{2^{2^{2}}}}}}", "2"),
        ("\\boxed{(10^9)!}", "(10^9)!"),
        ("\\boxed{2000!\\cdot 2000!}", "1"),
        ("\\boxed{\\binom{100000}{50000}}", "1"),
        ("\\boxed{1e999999}", "1e999999"),
        ("\\boxed{" + "\\cdot ".join(f"{p}^{{4000}}" for p in (2, 3, 5, 7, 11, 13) * 6) + "}", "1"),
        ("\\boxed{" + "+".join(f"\\frac{{x^{{300}}}}{{{p}x^{{200}}+1}}" for p in range(2, 60)) + "}", "x"),
        ("\\boxed{" + "+".join(f"\\frac{{1}}{{{p}^{{2000}}+1}}" for p in range(2, 50)) + "}", "1"),
        ("\\boxed{" + "\\pm 1".join(["2"] * 60) + "}", "2"),
        ("\\boxed{\\{" + ",".join(map(str, range(3000))) + "\\}}", "\\{" + ",".join(map(str, range(3000))) + "\\}"),
        ("\\boxed{" + "+".join(f"x_{{{i}}}^{{50}}" for i in range(500)) + "}", "x"),
        ("\\boxed{\\log_{2}(2^{100000})}", "100000"),
        ("\\boxed{\\sqrt[64]{" + "7" * 2000 + "}^{1000}}", "1"),
        ("\\boxed{0.\\overline{" + "9" * 5000 + "}}", "1"),
        ("\\boxed{\x00\ufffd\x00}", "\x00"),
        ("", ""),
        ("\\boxed{\\begin{pmatrix}" + "1&" * 3000 + "1\\end{pmatrix}}", "1"),
    ]  # fmt: skip
    return cases


def test_adversarial_inputs_return_verdicts_quickly():
    cases = _adversarial()
    for response, truth in cases:
        _checked(response, truth)
    out = verify_batch([r for r, _ in cases], [t for _, t in cases], threads=2)
    assert len(out) == len(cases)
    # Where the answer differs from the truth (or is not a number at all) it is never correct;
    # the rows pairing a huge value with itself may go either way (policy: budget exceeded).
    identical = {i for i, (r, t) in enumerate(cases) if r == "\\boxed{" + t + "}" or r == t}
    wrong = [i for i in range(len(cases)) if i not in identical]
    assert not out.correct[wrong].any(), [cases[i][0][:60] for i in wrong if out.correct[i]]
