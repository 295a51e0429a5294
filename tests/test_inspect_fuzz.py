"""Hypothesis: inspection never raises, stays in range and finishes fast on any Unicode text."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from archer.scoring import inspect_texts

ALPHABET = st.characters(blacklist_categories=("Cs",))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=ALPHABET, max_size=300), min_size=1, max_size=8))
def test_any_unicode_text(texts):
    res = inspect_texts(texts, threads=1)
    assert len(res) == len(texts)
    for key in ("repetition_score", "gibberish_score", "foreign_share", "repetition_ratio"):
        values = res[key]
        assert ((values >= 0) & (values <= 1)).all(), key
    for i, t in enumerate(texts):
        start = int(res["repetition_start"][i])
        assert -1 <= start <= len(t)


@settings(max_examples=60, deadline=None)
@given(
    unit=st.text(alphabet=ALPHABET, min_size=1, max_size=10),
    copies=st.integers(0, 400),
    tail=st.text(alphabet=ALPHABET, max_size=30),
)
def test_loops_of_any_unit(unit, copies, tail):
    res = inspect_texts([unit * copies + tail], threads=1)
    assert 0 <= res["repetition_score"][0] <= 1


def test_large_adversarial_inputs_finish_quickly():
    texts = [
        "a" * 2_000_000,
        "\\boxed{" * 200_000,
        "".join(chr(0x20 + (i * 2654435761) % 0x2FF0) for i in range(300_000)),
        "Answer: " * 100_000,
    ]
    start = time.perf_counter()
    res = inspect_texts(texts)
    assert len(res) == 4
    # Linear work takes well under a second; the bound only catches quadratic blow-ups.
    assert time.perf_counter() - start < 30
