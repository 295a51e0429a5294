"""Math-answer verification over the native core: is a response's final answer mathematically
equal to the ground truth? (Rust: ``rust/src/verify/``; the same policy is in
``docs/verify-policy.md``.)

Modes
-----
- ``mode="archer"`` (default): the full verifier below.
- ``mode="math_dapo"``: verl's ``math_dapo.compute_score`` decisions reproduced exactly (last 300
  characters, last ``Answer:`` match, verl's ``normalize_final_answer``, string equality).

Rewards: ``reward="binary"`` gives 1/0 (Archer), ``reward="dapo"`` gives +1/-1; or pass
``correct_reward`` / ``incorrect_reward``.

Status: ``match``, ``mismatch``, ``no_answer`` (no final answer found, or an empty box),
``unparsable`` (an answer was found but is not math the verifier can read, or it exceeded the
work budget). Only ``match`` is correct.

Extraction (Archer mode, in priority order)
-------------------------------------------
0. Only the text after the last ``</think>`` is graded (``after_think``).
1. ``\\boxed{...}`` / ``\\fbox{...}``: the content of the LAST one (balanced braces, spaces before
   ``{`` allowed). If the last box is never closed there is no answer - no fallback.
2. The last ``Answer: X`` line (case-insensitive; ``Final Answer:``, ``**Answer:**``; X may be in
   ``$...$`` or ``\\(...\\)``; an empty X takes the next non-empty line) (``answer_line``).
3. In the final sentence, the text after the last "answer is" (``answer_phrase``).
4. The last number in the final sentence (``last_number``); none when that sentence is a
   question or was cut inside math (a truncated response).
5. Otherwise no answer (empty, truncated, or the value only appears mid-text).
The final sentence is the text after the last ``.``/``!``/``?`` followed by whitespace, or after
the last line break.

Equivalence policy (what equals what)
-------------------------------------
Both sides are parsed (LaTeX or plain text) into an expression tree; ground truths may be bare or
wrapped in ``$...$`` / ``\\boxed{}``.

- Numbers: exact rational equality. ``0.5 = 1/2 = \\frac{1}{2} = \\dfrac12 = 2/4``,
  ``0.750 = 3/4``, ``42.0 = 42``, mixed numbers ``2\\frac{1}{3} = 7/3``, scientific notation
  ``1.5e3 = 1500 = 1.5 \\times 10^3``. A decimal equals a rational only if exactly equal
  (``0.333 != 1/3``).
- Irrationals (pi, e, roots, logs, trig): symbolic forms must be equal (checked numerically to
  1e-9 relative: ``19\\pi = \\pi \\cdot 19``, ``2\\sqrt{3} = \\sqrt{12}``,
  ``\\frac{2}{\\sqrt7} = \\frac{2\\sqrt7}{7}``); an answer written with a decimal point may be within
  1e-6 relative (``2.0943951024 = \\frac{2\\pi}{3}``, but ``3.14``-based values are wrong).
  Perfect powers stay exact (``\\sqrt{16} = 4``, ``8^{1/3} = 2``, ``\\log_2 8 = 3``).
- Free variables: equal at several rational points, exactly (``x^2+2x+1 = (x+1)^2``). Different
  variable names are different.
- Variable assignment: a leading ``v =`` or ``v \\in`` with one variable is dropped (``x = 3``
  equals ``3``; ``y = 2x+3`` equals ``2x+3``).
- Equations and inequalities: same relation up to a constant factor of (lhs - rhs), positive for
  inequalities; sides may be swapped with the relation flipped (``y > 2`` = ``2 < y``);
  one-variable inequalities are intervals (``x > 2`` = ``(2, \\infty)``); ``(x, y) = (3, 4)``,
  ``f(x) = 2x`` and ``m + n = 25`` are assignments; two different equations stay different.
- Tuples / points ``(a, b)``: ordered, same length, element-wise.
- Intervals: endpoints element-wise and bracket types must match (``[2,5) != (2,5)``);
  ``+\\infty = \\infty``; unions ``\\cup`` compare order-insensitively.
- Sets ``\\{...\\}`` and bare comma lists (also joined by "and"/"or") are order-insensitive; a
  braced set equals a bare list with the same elements; ``a \\pm b`` is the set {a+b, a-b}.
- Matrices (``pmatrix``/``bmatrix``/...): same shape, element-wise.
- Thousands separators: ``d{1,3}(,ddd)+`` is one number: ``1,000,000 = 1{,}000{,}000 =
  1,\\!000,\\!000 = 1\\,000\\,000 = 1000000``.
- Percent (lenient): ``a\\%`` equals both ``a`` and ``a/100``; if both carry ``%`` the numbers
  are compared; without ``%`` values compare plainly (truth ``0.5``: ``50\\%`` ok, ``50`` not).
- Units and words after a value are ignored (``5\\text{ cm}``, ``299 \\text{ cm}^2``,
  ``12 km/h``, ``\\$12.50``); degrees are ignored (``30^\\circ = 30°= 30 degrees = 30``, no
  radian conversion).
- Multiple choice: a letter A-E, any case, with or without ``()``, ``\\text{}``, ``\\textbf{}``,
  ``\\mathrm{}`` (``\\text{(C)} = C = (c)``); when the truth is a letter, only a letter can match.
- Formatting never matters: ``\\dfrac``/``\\tfrac``/``\\frac``, ``\\displaystyle``,
  ``\\left``/``\\right``, font wrappers, spacing commands, redundant braces, ``$``, ``\\(``, ``\\[``.
- Non-math answers (names, words) match when equal as text, ignoring case, spaces and markup.
- Anything else is incorrect: extra content (``42 \\text{ or } 43``, ``42 \\pm 1``, ``42 = 43``,
  ``42x``, ``42, 43`` for a scalar), an empty box, unparsable content, ``\\frac{1}{0}``.

Every item runs under a hard work budget (tokens, nodes, big-number size, nesting depth; no
timers), so towers like ``10^{10^{10}}``, ``(10^9)!``, ``1e999999``, 5000-digit numbers, deep
nesting and 100k-character responses return a verdict quickly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from archer import _native

Mode = Literal["archer", "math_dapo"]
RewardScheme = Literal["binary", "dapo"]
STATUSES = ("match", "mismatch", "no_answer", "unparsable")
_REWARDS = {"binary": (1.0, 0.0), "dapo": (1.0, -1.0)}


@dataclass(frozen=True)
class Verdict:
    """The verdict on one response."""

    correct: bool
    status: str  # one of STATUSES
    extracted: str | None  # the graded answer string (math_dapo: verl's normalized prediction)
    reward: float


@dataclass(frozen=True)
class BatchVerdicts:
    """Verdicts for a batch, as arrays (one entry per response)."""

    correct: np.ndarray  # bool [n]
    reward: np.ndarray  # float32 [n]
    status: list[str]
    extracted: list[str | None]

    def __len__(self) -> int:
        return len(self.status)

    def __getitem__(self, i: int) -> Verdict:
        return Verdict(
            correct=bool(self.correct[i]),
            status=self.status[i],
            extracted=self.extracted[i],
            reward=float(self.reward[i]),
        )

    @property
    def accuracy(self) -> float:
        return float(self.correct.mean()) if len(self) else 0.0

    def status_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for s in self.status:
            counts[s] += 1
        return counts


def _rewards(
    reward: str, correct_reward: float | None, incorrect_reward: float | None
) -> tuple[float, float]:
    if reward not in _REWARDS:
        raise _native.ScoringInputError(
            f"reward must be one of {sorted(_REWARDS)}, got {reward!r} "
            "(or pass correct_reward/incorrect_reward)"
        )
    hi, lo = _REWARDS[reward]
    return (
        hi if correct_reward is None else float(correct_reward),
        lo if incorrect_reward is None else float(incorrect_reward),
    )


def _check_str(x: object, name: str) -> str:
    if not isinstance(x, str):
        raise _native.ScoringInputError(f"{name} must be a str, got {type(x).__name__}")
    return x


def verify(
    response: str,
    ground_truth: str,
    *,
    mode: Mode = "archer",
    reward: RewardScheme = "binary",
    correct_reward: float | None = None,
    incorrect_reward: float | None = None,
    after_think: bool = True,
    answer_line: bool = True,
    answer_phrase: bool = True,
    last_number: bool = True,
) -> Verdict:
    """Verify one response against its ground truth (policy in the module docstring).

    Never raises on response content; raises ``ScoringInputError`` (a ``ValueError``) for a bad
    ``mode``/``reward`` or non-string inputs.
    """
    hi, lo = _rewards(reward, correct_reward, incorrect_reward)
    correct, status, extracted, value = _native.verify_one(
        _check_str(response, "response"),
        _check_str(ground_truth, "ground_truth"),
        mode=mode,
        correct_reward=hi,
        incorrect_reward=lo,
        after_think=after_think,
        answer_line=answer_line,
        answer_phrase=answer_phrase,
        last_number=last_number,
    )
    return Verdict(correct=correct, status=status, extracted=extracted, reward=value)


def verify_batch(
    responses: Sequence[str],
    ground_truths: Sequence[str],
    *,
    threads: int = 0,
    mode: Mode = "archer",
    reward: RewardScheme = "binary",
    correct_reward: float | None = None,
    incorrect_reward: float | None = None,
    after_think: bool = True,
    answer_line: bool = True,
    answer_phrase: bool = True,
    last_number: bool = True,
) -> BatchVerdicts:
    """Verify many responses in parallel in Rust with the GIL released.

    ``threads=0`` uses all cores; the pool is safe after ``fork``. Raises ``ScoringInputError``
    when the lengths differ, an item is not a string, or ``threads`` is negative.
    """
    if threads < 0:
        raise _native.ScoringInputError(f"threads must be >= 0 (0 = all cores), got {threads}")
    responses = list(responses)
    ground_truths = list(ground_truths)
    if len(responses) != len(ground_truths):
        raise _native.ScoringInputError(
            f"responses has {len(responses)} items but ground_truths has {len(ground_truths)}: "
            "pass one ground truth per response"
        )
    for name, items in (("responses", responses), ("ground_truths", ground_truths)):
        for i, x in enumerate(items):
            if not isinstance(x, str):
                raise _native.ScoringInputError(
                    f"{name}[{i}] must be a str, got {type(x).__name__}"
                )
    hi, lo = _rewards(reward, correct_reward, incorrect_reward)
    correct, rewards, status, extracted = _native.verify_many(
        responses,
        ground_truths,
        mode=mode,
        correct_reward=hi,
        incorrect_reward=lo,
        threads=threads,
        after_think=after_think,
        answer_line=answer_line,
        answer_phrase=answer_phrase,
        last_number=last_number,
    )
    return BatchVerdicts(correct=correct, reward=rewards, status=status, extracted=extracted)


def equivalent(answer: str, ground_truth: str) -> bool:
    """Whether two bare answers are equal under the Archer policy (no extraction)."""
    return (
        _native.answers_equivalent(
            _check_str(answer, "answer"), _check_str(ground_truth, "ground_truth")
        )
        == "match"
    )
