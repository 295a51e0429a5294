"""Training prompts: readers (verl parquet, JSONL), the prompt template, over-long filtering and a
deterministic, resumable sampler.

Row schema (verl's): ``prompt`` (a list of chat messages ``{"role", "content"}``, or a string),
``reward_model.ground_truth`` and ``data_source``. JSONL rows may instead carry ``problem`` /
``question`` and ``answer`` / ``ground_truth`` (MATH-style files such as math500.jsonl). A bad row
fails with the file, the row number and the field.

Built-in sets: ``bundled:smoke`` (64 arithmetic word problems in archer/assets) and ``bundled:toy``
(max of three digits, generated from a fixed seed).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archer.jsonl import iter_json_objects

ASSETS = Path(__file__).parent / "assets"

# verl's / DeepScaleR's instruction for \boxed{} answers.
BOXED_INSTRUCTION = "Let's think step by step and output the final answer within \\boxed{}."
# DAPO-Math's instruction for a final `Answer:` line.
ANSWER_PREFIX = (
    "Solve the following math problem step by step. The last line of your response should be of "
    "the form Answer: $Answer (without quotes) where $Answer is the answer to the problem.\n\n"
)
ANSWER_SUFFIX = '\n\nRemember to put your answer on its own line after "Answer:".'


class DataError(ValueError):
    """A data problem, naming the file, row and field."""


@dataclass(frozen=True)
class Example:
    messages: tuple[dict[str, str], ...]  # chat messages; the last user message is the question
    ground_truth: str
    data_source: str
    origin: str  # "file:row" for error messages and rollout records
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def _toy_rows(n: int = 2000, seed: int = 12345) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        digits = [rng.randint(0, 9) for _ in range(3)]
        rows.append(
            {
                "prompt": [{"role": "user", "content": ",".join(map(str, digits)) + "="}],
                "reward_model": {"ground_truth": str(max(digits))},
                "data_source": "archer/toy-max3",
            }
        )
    return rows


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [row for _, row in iter_json_objects(path, DataError)]


def _read_parquet(path: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pylist()
    except Exception as exc:
        raise DataError(f"{path}: could not be read as parquet: {exc}") from None


def read_rows(spec: str) -> tuple[str, list[dict[str, Any]]]:
    """(name, rows) of one train file spec: a path, or bundled:smoke / bundled:toy."""
    if spec == "bundled:toy":
        return spec, _toy_rows()
    if spec.startswith("bundled:"):
        name = spec.split(":", 1)[1]
        path = ASSETS / f"{name}_math.jsonl"
        if not path.is_file():
            raise DataError(f"unknown bundled data set {spec!r}: use bundled:smoke or bundled:toy")
        return spec, _read_jsonl(path)
    path = Path(spec)
    if not path.is_file():
        raise DataError(f"data file {spec} does not exist (set --data or data.train_files)")
    if path.suffix == ".parquet":
        return spec, _read_parquet(path)
    if path.suffix in (".jsonl", ".json"):
        return spec, _read_jsonl(path)
    raise DataError(f"data file {spec}: unsupported extension {path.suffix!r} (.parquet, .jsonl)")


def parse_row(row: dict[str, Any], origin: str) -> Example:
    """Validate one row into an Example; errors name `origin` (file: row N) and the field."""
    prompt = row.get("prompt")
    if prompt is None:
        prompt = row.get("problem", row.get("question"))
        field_name = "problem" if "problem" in row else "question"
    else:
        field_name = "prompt"
    if prompt is None:
        raise DataError(f"{origin}: missing field 'prompt' (or 'problem'/'question')")
    if isinstance(prompt, str):
        messages = ({"role": "user", "content": prompt},)
    elif isinstance(prompt, list | tuple):
        messages = []
        for i, m in enumerate(prompt):
            if not isinstance(m, dict) or "content" not in m or "role" not in m:
                raise DataError(f"{origin}: field 'prompt[{i}]' must be {{'role', 'content'}}")
            messages.append({"role": str(m["role"]), "content": str(m["content"] or "")})
        messages = tuple(messages)
    else:
        raise DataError(f"{origin}: field '{field_name}' must be a string or a list of messages")
    if not messages or not any(m["content"].strip() for m in messages):
        raise DataError(f"{origin}: field '{field_name}' is empty")

    rm = row.get("reward_model")
    gt = None
    if isinstance(rm, dict):
        gt = rm.get("ground_truth")
    if gt is None:
        gt = row.get("ground_truth", row.get("answer"))
    if isinstance(gt, list | tuple):  # some exports store a list of accepted answers
        gt = gt[0] if gt else None
    if gt is None or not str(gt).strip():
        raise DataError(
            f"{origin}: missing ground truth (field 'reward_model.ground_truth', or 'answer')"
        )
    return Example(
        messages=messages,
        ground_truth=str(gt).strip(),
        data_source=str(row.get("data_source") or "unknown"),
        origin=origin,
        extra={"extra_info": row.get("extra_info")} if row.get("extra_info") else {},
    )


def load_examples(specs: list[str]) -> list[Example]:
    examples: list[Example] = []
    for spec in specs:
        name, rows = read_rows(spec)
        if not rows:
            raise DataError(f"data file {name} has no rows")
        examples.extend(parse_row(r, f"{name}: row {i + 1}") for i, r in enumerate(rows))
    return examples


def apply_template(question: str, template: str) -> str:
    if template == "none":
        return question
    if template == "boxed":
        return question if "\\boxed" in question else f"{question} {BOXED_INSTRUCTION}"
    if template == "answer":
        return question if "Answer:" in question else ANSWER_PREFIX + question + ANSWER_SUFFIX
    raise DataError(f"unknown data.template {template!r}: use boxed, answer or none")


def render_prompt(example: Example, tokenizer, data_cfg) -> str:
    """The exact text the policy is conditioned on (template, chat template, prefill)."""
    messages = [dict(m) for m in example.messages]
    last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=None)
    if last_user is None:
        raise DataError(f"{example.origin}: field 'prompt' has no user message")
    messages[last_user]["content"] = apply_template(
        messages[last_user]["content"], data_cfg.template
    )
    if data_cfg.chat_template and getattr(tokenizer, "chat_template", None):
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    else:
        text = "\n".join(m["content"] for m in messages)
    return text + data_cfg.assistant_prefill


@dataclass
class PromptSet:
    examples: list[Example]
    prompt_ids: list[list[int]]
    n_filtered: int  # dropped for exceeding data.max_prompt_length


def prepare(examples: list[Example], tokenizer, data_cfg) -> PromptSet:
    """Tokenize every prompt once; drop (and count) the ones longer than max_prompt_length."""
    kept, ids, dropped = [], [], 0
    for ex in examples:
        toks = tokenizer(render_prompt(ex, tokenizer, data_cfg), add_special_tokens=False)[
            "input_ids"
        ]
        if len(toks) > data_cfg.max_prompt_length:
            dropped += 1
            continue
        kept.append(ex)
        ids.append(list(toks))
    if not kept:
        raise DataError(
            f"every prompt ({dropped}) is longer than data.max_prompt_length="
            f"{data_cfg.max_prompt_length} tokens: raise it or use shorter prompts"
        )
    return PromptSet(kept, ids, dropped)


class PromptSampler:
    """Deals prompt indices in a seeded random order, epoch after epoch; its whole state is three
    integers, so a resumed run continues the exact same sequence."""

    def __init__(self, size: int, *, seed: int, shuffle: bool = True) -> None:
        if size <= 0:
            raise DataError("no prompts to sample from")
        self.size, self.seed, self.shuffle = size, seed, shuffle
        self.epoch, self.position = 0, 0
        self._order = self._make_order()

    def _make_order(self) -> list[int]:
        order = list(range(self.size))
        if self.shuffle:
            random.Random(self.seed * 1_000_003 + self.epoch).shuffle(order)
        return order

    def next_batch(self, k: int) -> list[int]:
        out: list[int] = []
        while len(out) < k:
            if self.position >= self.size:
                self.epoch += 1
                self.position = 0
                self._order = self._make_order()
            take = min(k - len(out), self.size - self.position)
            out.extend(self._order[self.position : self.position + take])
            self.position += take
        return out

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position, "seed": self.seed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        if int(state["seed"]) != self.seed:
            raise DataError(
                f"checkpoint's data seed {state['seed']} differs from data.seed={self.seed}"
            )
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
        self._order = self._make_order()
