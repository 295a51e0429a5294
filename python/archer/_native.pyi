"""Type stubs for archer._native (the Rust extension). Keep in sync with rust/src/python/."""

import numpy as np
import numpy.typing as npt

__version__: str

class ScoringInputError(ValueError):
    """Bad input to a native scoring call; the message names the argument and the problem."""

def default_threads() -> int: ...

# --- advantages (rust/src/python/advantage.rs) ---
def group_advantages(
    scores: npt.NDArray[np.float32],
    group_ids: npt.NDArray[np.int64],
    *,
    estimator: str = "grpo",
    norm_by_std: bool = True,
    std_scope: str = "group",
    epsilon: float = 1e-6,
    correct: npt.NDArray[np.bool_] | None = None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.uint32], dict[str, int]]: ...

# --- verify (rust/src/python/verify.rs) ---
def verify_one(
    response: str,
    ground_truth: str,
    *,
    mode: str = "archer",
    correct_reward: float = 1.0,
    incorrect_reward: float = 0.0,
    after_think: bool = True,
    answer_line: bool = True,
    answer_phrase: bool = True,
    last_number: bool = True,
) -> tuple[bool, str, str | None, float]: ...
def verify_many(
    responses: list[str],
    ground_truths: list[str],
    *,
    mode: str = "archer",
    correct_reward: float = 1.0,
    incorrect_reward: float = 0.0,
    threads: int = 0,
    after_think: bool = True,
    answer_line: bool = True,
    answer_phrase: bool = True,
    last_number: bool = True,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float32], list[str], list[str | None]]: ...
def answers_equivalent(answer: str, ground_truth: str) -> str: ...
def dapo_normalize(answer: str) -> str: ...

# --- inspect (rust/src/python/inspect.rs) ---
INSPECT_SCRIPTS: list[str]
INSPECT_CATEGORIES: list[str]
INSPECT_FLAGS: list[str]

def inspect_defaults() -> dict[str, int | float | str]: ...
def inspect_texts(
    texts: list[str],
    *,
    threads: int = 0,
    correct: list[bool] | None = None,
    **config: int | float | str,
) -> tuple[dict[str, npt.NDArray | list], dict[str, float]]: ...

# --- batch scoring (rust/src/python/batch.rs) ---
def score_batch(
    responses: list[str],
    ground_truths: list[str | None],
    group_ids: npt.NDArray[np.int64],
    *,
    response_lengths: npt.NDArray[np.uint32] | None = None,
    truncated: npt.NDArray[np.bool_] | None = None,
    verify_mode: str = "archer",
    correct_reward: float = 1.0,
    incorrect_reward: float = 0.0,
    estimator: str = "grpo",
    norm_by_std: bool = True,
    std_scope: str = "group",
    epsilon: float = 1e-6,
    overlong_buffer_len: int = 0,
    max_response_length: int | None = None,
    overlong_penalty_factor: float = 1.0,
    shaping_mode: str = "off",
    shaping_penalty: float = 0.0,
    shaping_flags: list[str] | None = None,
    threads: int = 0,
    inspect: dict[str, int | float | str] | None = None,
) -> dict: ...
