"""`mode="math_dapo"` must make verl's `math_dapo.compute_score` decisions exactly. The reference
below restates verl's documented rules in plain Python (keep the last 300 characters, take the last
case-insensitive `Answer\\s*:\\s*(...)` line, normalize both sides, compare strings, reward +-1);
hypothesis drives both with inputs built from the fragments those rules react to."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from archer import _native
from archer.scoring import verify, verify_batch

# Plain substring replacements, applied in this order (verl's SUBSTITUTIONS).
_REPLACE_FIRST = (
    ("an ", ""),
    ("a ", ""),
    (".$", "$"),
    ("\\$", ""),
    ("\\ ", ""),
    (" ", ""),
    ("mbox", "text"),
    (",\\text{and}", ","),
    ("\\text{and}", ","),
    ("\\text{m}", "\\text{}"),
)
# Substrings deleted next, in this order (verl's REMOVED_EXPRESSIONS).
_DELETE = (
    *"square ways integers dollars mph inches hours km units".split(),
    "\\ldots",
    *"sue points feet minutes digits cents degrees cm gm pounds meters meals edges".split(),
    *"students childrentickets multiples".split(),
    "\\text{s}",
    "\\text{.}",
    "\\text{\ns}",
    "\\text{}^2",
    "\\text{}^3",
    "\\text{\n}",
    "\\text{}",
    "\\mathrm{th}",
    "^\\circ",
    "^{\\circ}",
    "\\;",
    ",\\!",
    "{,}",
    '"',
    "\\dots",
)


def reference_normalize(text: str) -> str:
    s = text.split("=")[-1]
    for old, new in _REPLACE_FIRST:
        s = s.replace(old, new)
    for old in _DELETE:
        s = s.replace(old, "")
    s = re.sub(r"(.*?)(\$)(.*?)(\$)(.*)", r"$\3$", s)
    for cmd in ("text", "textbf", "overline"):
        s = re.sub(r"(\\" + cmd + r"\{)(.*?)(\})", r"\2", s)
    s = re.sub(r"(\\boxed\{)(.*)(\})", r"\2", s)
    s = re.sub(r"(frac)([^{])(.)", r"frac{\2}{\3}", s)
    s = re.sub(r"(sqrt)([^{])", r"sqrt{\2}", s)
    s = s.replace("$", "")
    if s.replace(",", "").isdigit():
        s = s.replace(",", "")
    return s.strip()


def reference_score(response: str, truth: str) -> tuple[bool, str]:
    tail = response[-300:]
    found = re.findall(r"(?i)Answer\s*:\s*([^\n]+)", tail)
    pred = reference_normalize(found[-1] if found else "[INVALID]")
    return pred == reference_normalize(truth), pred


FRAGMENTS = [
    "Answer:", "answer :", "ANSWER:", "Final Answer: ", "answer", ":", "\n", " ", "\t", "\x1c",
    "$", "$$", "\\boxed{", "}", "{", "\\text{", "\\textbf{", "\\overline{", "\\mbox{", "frac",
    "\\frac", "sqrt", "\\sqrt", "12", "3", "0", "1,000", ",", "=", "x = ", ".", ".$", "cm",
    "dollars", "an ", "a ", "\\$", "\\ ", "^\\circ", "{,}", ",\\!", "\\;", "\\text{and}", "\\text{m}",
    "²", "٣", "½", "ſ", "é", '"', "\\dots", "[INVALID]", "(", ")", "-", "\\pi", "degrees",
]  # fmt: skip

fragment_text = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)
padded = st.tuples(st.integers(0, 400), fragment_text).map(lambda t: "w" * t[0] + t[1])


@settings(max_examples=1500, deadline=None)
@given(response=padded, truth=fragment_text)
def test_math_dapo_matches_reference_rules(response, truth):
    ok, pred = reference_score(response, truth)
    v = verify(response, truth, mode="math_dapo", reward="dapo")
    assert v.correct == ok
    assert v.reward == (1.0 if ok else -1.0)
    if v.extracted is not None:  # None: no `Answer:` line (verl compares "[INVALID]")
        assert v.extracted == pred


@settings(max_examples=800, deadline=None)
@given(text=fragment_text)
def test_normalize_matches_reference(text):
    assert _native.dapo_normalize(text) == reference_normalize(text)


def test_math_dapo_on_shared_batches_matches_reference():
    import json

    rows = []
    for name in ("verify_cases.jsonl", "rollout_batch_1024.jsonl"):
        with open(f"../shared/data/{name}", encoding="utf-8") as f:
            rows += [json.loads(line) for line in f]
    out = verify_batch(
        [r["response"] for r in rows],
        [r["ground_truth"] for r in rows],
        mode="math_dapo",
        reward="dapo",
    )
    expected = [reference_score(r["response"], r["ground_truth"])[0] for r in rows]
    assert out.correct.tolist() == expected
    assert set(out.reward.tolist()) <= {1.0, -1.0}
