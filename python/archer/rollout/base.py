"""The rollout interface every engine implements (Hugging Face generate now, vLLM next)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class SamplingParams:
    n: int = 1  # samples per prompt
    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 256
    seed: int | None = None


@dataclass
class Rollout:
    """One sampled response to one prompt."""

    prompt_index: int  # index into the prompts passed to generate()
    prompt_ids: list[int]
    response_ids: list[int]
    text: str
    logprobs: list[float]  # per response token, under the sampling policy (temperature applied)
    finish_reason: str  # "stop" (EOS) or "length" (hit max_tokens)
    extra: dict = field(default_factory=dict)


class RolloutEngine(Protocol):
    def generate(self, prompt_ids: list[list[int]], params: SamplingParams) -> list[Rollout]:
        """n samples for every prompt, grouped: all samples of prompt 0 first, then prompt 1, ..."""
        ...

    def sync_weights(self, model) -> None:
        """Make the engine sample from `model`'s current weights (no-op when it shares the model)."""
        ...

    def sleep(self) -> None:
        """Free accelerator memory between rollouts (no-op where unsupported)."""
        ...

    def wake(self) -> None: ...
