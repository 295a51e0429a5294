"""Degeneracy detection over the native core: what a human finds by reading samples, per batch.

Per response (``inspect_texts``):

- ``repetition``: the text falls into a loop, the same unit (a character, token, sentence, line
  or block of lines) repeated at least ``repetition_min_copies`` (7) times consecutively over at
  least ``repetition_min_chars`` (20) characters. Found as maximal tandem repeats in one linear
  pass (last-occurrence hashing of 8-byte windows proposes the period, byte comparison extends the
  run). Units of digits only (``0.3333…``, ``1000000``) need ``repetition_digit_min_chars``
  (200); units of markdown-rule characters and whitespace only (``|---|``) need
  ``repetition_rule_min_chars`` (120). Reported: the flag,
  ``repetition_score`` (share of the text inside loops), ``repetition_copies``, the unit and
  where the longest loop starts (character offset).
- ``gibberish``: ``gibberish_score`` = share of non-space characters that are neither language
  nor math; flagged above ``gibberish_threshold`` (0.30). Junk evidence per token: pictographs,
  box drawing, emoji or controls; letters of two non-Latin writing systems in one token; symbol
  runs without letters or digits; mojibake and byte-level BPE pieces (``Ã©``, ``Ġthe``);
  base64-like case/digit flipping. Word salad is caught by word-order anomalies (capitalised
  common words mid-sentence, lower case after a full stop, doubled words, closed-class pairs such
  as ``the of``) in any ``salad_window`` (60) words holding ``salad_min_anomalies`` (3).
  Evidence is smoothed over ``smooth_radius`` (8) tokens; loops are excluded (a loop is
  repetition, not gibberish). Dense LaTeX, code, tables, Unicode math and foreign-language prose
  are language or math, not junk.
- ``language_drift``: relative to ``expected_language`` (``"en"``): more than
  ``drift_threshold`` (0.20) of the letters (Unicode letters, whole text, math included) are in
  scripts other than Latin, Greek and the expected language's own; or the final answer is
  introduced by another language's answer marker (``คำตอบ``, ``答案``, ``Ответ``, ``정답``,
  ``الإجابة``, ``उत्तर``, ``Respuesta:`` ...; see ``archer._native`` ``ANSWER_MARKERS`` in
  ``rust/src/inspect/language.rs``). Reported: ``foreign_share``, letters per script
  (``script_letters``, columns ``SCRIPTS``), the dominant foreign script and the marker.
- ``shortcut``: a final answer (last closed ``\\boxed{}``, an ``Answer:``/``answer is`` phrase
  or marker, or a lone final number) with fewer than ``shortcut_max_words`` (20) words AND fewer
  than ``shortcut_max_chars`` (100) non-space characters before it. No answer, no shortcut.
- Reasoning words per category (``CATEGORIES``: logical_connectives, verification, reflection,
  planning; lists in ``rust/src/inspect/lexicon.rs``) and Archer's 20-gram statistics
  ``repetition_ratio`` (1 - distinct/all 20-grams of whitespace tokens) and
  ``maximum_frequency`` (count of the most frequent 20-gram).

Batch metrics (stable names): ``degeneracy/<flag>_rate`` (+ ``degeneracy/pos_<flag>_rate``,
``degeneracy/neg_<flag>_rate`` when correctness is given), ``token/<category>``,
``token/pos_<category>``, ``token/neg_<category>``, ``token/repetition_ratio``,
``token/maximum_frequency`` (means per response; an empty split reports 0.0),
``degeneracy/any_rate`` and the mean scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from archer import _native

SCRIPTS: tuple[str, ...] = tuple(_native.INSPECT_SCRIPTS)
CATEGORIES: tuple[str, ...] = tuple(_native.INSPECT_CATEGORIES)
FLAGS: tuple[str, ...] = tuple(_native.INSPECT_FLAGS)
_DEFAULTS = _native.inspect_defaults()


@dataclass(frozen=True)
class InspectConfig:
    """Detector thresholds (defaults from the native core; see the module docstring)."""

    repetition_min_copies: int = _DEFAULTS["repetition_min_copies"]
    repetition_min_chars: int = _DEFAULTS["repetition_min_chars"]
    repetition_rule_min_chars: int = _DEFAULTS["repetition_rule_min_chars"]
    repetition_digit_min_chars: int = _DEFAULTS["repetition_digit_min_chars"]
    repetition_max_period_bytes: int = _DEFAULTS["repetition_max_period_bytes"]
    gibberish_threshold: float = _DEFAULTS["gibberish_threshold"]
    smooth_radius: int = _DEFAULTS["smooth_radius"]
    soup_min_scripts: int = _DEFAULTS["soup_min_scripts"]
    salad_window: int = _DEFAULTS["salad_window"]
    salad_min_anomalies: int = _DEFAULTS["salad_min_anomalies"]
    expected_language: str = _DEFAULTS["expected_language"]
    drift_threshold: float = _DEFAULTS["drift_threshold"]
    marker_max_tail: int = _DEFAULTS["marker_max_tail"]
    shortcut_max_words: int = _DEFAULTS["shortcut_max_words"]
    shortcut_max_chars: int = _DEFAULTS["shortcut_max_chars"]
    ngram_n: int = _DEFAULTS["ngram_n"]

    def as_kwargs(self) -> dict:
        # Every field is a plain value: a shallow copy is `asdict` at a fraction of its cost
        # (it is called for every batch).
        return dict(vars(self))


@dataclass(frozen=True)
class Inspections:
    """Per-response arrays (``columns``: name -> numpy array or list) and the batch metrics."""

    columns: dict = field(repr=False)
    metrics: dict[str, float]

    def __len__(self) -> int:
        return len(self.columns["repetition"])

    def __getitem__(self, name: str):
        return self.columns[name]

    @property
    def flags(self) -> dict[str, np.ndarray]:
        return {f: self.columns[f] for f in FLAGS}

    def row(self, i: int) -> dict:
        """One response's fields as plain Python values (for JSON output)."""
        out = {}
        for k, v in self.columns.items():
            if k == "script_letters":
                out[k] = {s: int(n) for s, n in zip(SCRIPTS, v[i]) if n}
            else:
                x = v[i]
                out[k] = x.item() if isinstance(x, np.generic) else x
        return out


def _texts(texts: Sequence[str], name: str) -> list:
    """``texts`` as a list; the native call checks each item is a ``str`` (naming a bad one)."""
    if isinstance(texts, str):
        raise _native.ScoringInputError(f"{name} must be a list of strings, not one string")
    return texts if isinstance(texts, list) else list(texts)


def inspect_texts(
    texts: Sequence[str],
    *,
    correct: Sequence[bool] | np.ndarray | None = None,
    config: InspectConfig | None = None,
    threads: int = 0,
) -> Inspections:
    """Inspect every text in parallel (GIL released). ``correct`` adds pos/neg metric splits."""
    cfg = config or InspectConfig()
    c = None if correct is None else [bool(x) for x in correct]
    cols, metrics = _native.inspect_texts(
        _texts(texts, "texts"), threads=threads, correct=c, **cfg.as_kwargs()
    )
    return Inspections(columns=cols, metrics=metrics)


def inspect_text(text: str, *, config: InspectConfig | None = None) -> dict:
    """One text's inspection as a plain dict."""
    return inspect_texts([text], config=config, threads=1).row(0)
