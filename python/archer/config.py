"""The trainer's typed configuration: one frozen pydantic model per section, validated before
anything starts. A bad value fails with the dotted field name (``algo.kl_loss_coef: ...``).

Field names follow verl's where one exists (``ppo_epochs``, ``kl_loss_coef``, ``clip_ratio_low``,
``loss_agg_mode``, ``overlong_buffer_len``) so a verl user can read a preset line by line. Sizes are
GLOBAL (summed over ranks) as in verl's scripts: ``train_batch_size`` prompts per step,
``ppo_mini_batch_size`` prompts per optimizer step; the micro batch is per rank, in responses.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class ConfigError(ValueError):
    """A configuration problem, with the dotted field name(s) and what to do."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class ModelConfig(_Section):
    # None: the embedded tiny model (archer.tiny), built offline; otherwise a local HF directory.
    path: str | None = None
    tiny_tokenizer: Literal["bpe", "char"] = "bpe"  # which embedded model when path is None
    # The model a preset was written for; used only to explain what to pass to --model.
    intended: str = "tiny"
    dtype: Literal["float32", "bfloat16"] = "float32"
    gradient_checkpointing: bool = False
    seed: int = 0  # init seed of the embedded tiny model


class DataConfig(_Section):
    # Files (parquet in verl's schema, or JSONL); "bundled:smoke" / "bundled:toy" are built in.
    train_files: list[str] = Field(default_factory=lambda: ["bundled:smoke"], min_length=1)
    # How the question becomes the prompt: "boxed" appends the \boxed{} instruction, "answer" the
    # `Answer:` line instruction, "none" uses the row's text as is.
    template: Literal["boxed", "answer", "none"] = "boxed"
    chat_template: bool = True  # render through the tokenizer's chat template
    # Text the assistant turn starts with (prefilled after the generation prompt). It is part of
    # the answer, so it is prepended to the response for scoring.
    assistant_prefill: str = ""
    max_prompt_length: int = Field(2048, gt=0)  # tokens; longer prompts are filtered and counted
    # Held-out prompts scored every trainer.test_freq steps (same readers as train_files).
    val_files: list[str] = Field(default_factory=list)
    val_max_prompts: int = Field(0, ge=0)  # 0: all of them
    shuffle: bool = True
    seed: int = 1


class RolloutConfig(_Section):
    engine: Literal["hf", "vllm"] = "hf"
    n: int = Field(16, ge=1)  # responses per prompt
    temperature: float = Field(1.0, gt=0)
    top_p: float = Field(1.0, gt=0, le=1)
    max_response_length: int = Field(4096, gt=0)
    val_n: int = Field(4, ge=1)
    val_temperature: float = Field(0.6, gt=0)
    val_top_p: float = Field(0.95, gt=0, le=1)
    gpu_memory_utilization: float = Field(0.7, gt=0, le=1)
    enforce_eager: bool = False
    # [scale-out] per-prompt sampling seeds from (trainer.seed, step, global prompt index): the
    # same samples whatever the number of ranks (slower with the hf engine: one call per prompt)
    seeded: bool = False


class AlgoConfig(_Section):
    estimator: Literal["grpo", "rloo"] = "grpo"
    norm_by_std: bool = True
    loss_agg_mode: Literal[
        "token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm"
    ] = "token-mean"
    clip_ratio_low: float = Field(0.2, ge=0, lt=1)
    clip_ratio_high: float = Field(0.2, ge=0)
    clip_ratio_c: float = Field(3.0, gt=1)
    entropy_coeff: float = Field(0.0, ge=0)
    use_kl_loss: bool = True
    kl_loss_coef: float = Field(0.001, ge=0)
    kl_loss_type: Literal["k1", "kl", "abs", "k2", "mse", "low_var_kl", "k3"] = "low_var_kl"
    ppo_epochs: int = Field(1, ge=1)
    # Archer: drop groups whose raw scores are all equal (no signal) from the update.
    reject_zero_variance: bool = False
    # "ppo": verl's clipped surrogate with dual clip; "aspo": Archer2.0's ASPO (flipped ratio for
    # positive-advantage tokens, soft dual clip; algo.aspo_loss), what the seeds' runs used.
    policy_loss: Literal["ppo", "aspo"] = "ppo"
    # Archer's dual-token clip: tokens above their response's entropy quantile get the
    # high-entropy bounds.
    token_entropy_split: bool = False
    token_entropy_quantile: float = Field(0.8, ge=0, le=1)
    high_entropy_clip_ratio_low: float = Field(0.4, ge=0, lt=1)
    high_entropy_clip_ratio_high: float = Field(0.4, ge=0)


class OptimConfig(_Section):
    lr: float = Field(1e-6, gt=0)
    warmup_steps: int = Field(0, ge=0)
    lr_schedule: Literal["constant", "cosine"] = "constant"
    weight_decay: float = Field(0.01, ge=0)
    betas: tuple[float, float] = (0.9, 0.999)
    grad_clip: float = Field(1.0, gt=0)


class ScoringSection(_Section):
    verify_mode: str = "archer"
    reward_scheme: Literal["binary", "dapo"] = "binary"
    overlong_buffer_len: int = Field(0, ge=0)  # 0 disables DAPO's soft overlong penalty
    overlong_penalty_factor: float = Field(1.0, ge=0)
    threads: int = Field(0, ge=0)  # 0: the native pool's default


class TrainerConfig(_Section):
    total_steps: int = Field(2, ge=1)
    train_batch_size: int = Field(64, ge=1)  # prompts per step (global)
    ppo_mini_batch_size: int = Field(16, ge=1)  # prompts per optimizer step (global)
    micro_batch_size: int = Field(8, ge=1)  # responses per forward/backward (per rank)
    log_prob_micro_batch_size: int = Field(16, ge=1)  # responses per no-grad forward (per rank)
    n_gpus_per_node: int = Field(1, ge=1)
    nnodes: int = Field(1, ge=1)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    ref_cpu_offload: bool = False  # [scale-out] FSDP2: keep the reference model in host memory
    # torch intra-op threads on CPU (0: torch's default). Small models gain nothing from more
    # threads, and on a shared machine one thread avoids oversubscription (4x faster measured).
    cpu_threads: int = Field(0, ge=0)
    seed: int = 0
    save_freq: int = Field(0, ge=0)  # checkpoint every N steps (0: only at the end)
    test_freq: int = Field(0, ge=0)  # validate every N steps and at the end (needs data.val_files)
    keep_checkpoints: int = Field(2, ge=1)
    output_dir: str = "runs"
    run_id: str | None = None  # default: <preset>-<UTC timestamp>
    project_name: str = "archer"
    experiment_name: str = "archer"


class TrackingConfig(_Section):
    wandb: Literal["auto", "offline", "online", "disabled"] = "auto"  # auto: online iff API key
    rollouts_per_step: int = Field(16, ge=0)  # samples written to rollouts/step_<N>.jsonl
    quiet: bool = False


class GuardConfig(_Section):
    enabled: bool = True
    # Whose monitoring criteria to evaluate: None = the preset's own (e.g. "v5" on a smoke run).
    criteria: str | None = None
    stop_on_abandon: bool = False


class Config(_Section):
    preset: str = "custom"
    model: ModelConfig = ModelConfig()
    data: DataConfig = DataConfig()
    rollout: RolloutConfig = RolloutConfig()
    algo: AlgoConfig = AlgoConfig()
    optim: OptimConfig = OptimConfig()
    scoring: ScoringSection = ScoringSection()
    trainer: TrainerConfig = TrainerConfig()
    tracking: TrackingConfig = TrackingConfig()
    guard: GuardConfig = GuardConfig()

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        t = self.trainer
        if t.ppo_mini_batch_size > t.train_batch_size:
            raise ValueError(
                f"trainer.ppo_mini_batch_size ({t.ppo_mini_batch_size}) must be <= "
                f"trainer.train_batch_size ({t.train_batch_size})"
            )
        if t.train_batch_size % t.ppo_mini_batch_size:
            raise ValueError(
                f"trainer.train_batch_size ({t.train_batch_size}) must be a multiple of "
                f"trainer.ppo_mini_batch_size ({t.ppo_mini_batch_size})"
            )
        if self.scoring.overlong_buffer_len >= self.rollout.max_response_length:
            raise ValueError(
                f"scoring.overlong_buffer_len ({self.scoring.overlong_buffer_len}) must be < "
                f"rollout.max_response_length ({self.rollout.max_response_length})"
            )
        return self

    @property
    def world_size(self) -> int:
        return self.trainer.n_gpus_per_node * self.trainer.nnodes

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def dump(self, path: Path) -> None:
        """Write the full config as JSON, atomically (a killed run never leaves half a file)."""
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n")
        os.replace(tmp, path)


def _format_errors(exc: ValidationError, prefix: str = "") -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-after"))
        name = f"{prefix}{loc}" if loc else "config"
        value = err.get("input")
        shown = "" if isinstance(value, dict) else f" (got {value!r})"
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"{name}: {msg}{shown}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def validate(data: dict[str, Any]) -> Config:
    """Build a Config from a nested dict; raise ConfigError naming every bad field."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc)) from None


def _parse_value(raw: str) -> Any:
    """`--set` values are JSON when they parse as JSON (numbers, true/false, null, lists), else
    plain strings, so `--set data.template=boxed` needs no quotes."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    known = Config.model_fields
    node = data
    for i, part in enumerate(parts):
        if part not in known:
            where = ".".join(parts[:i]) or "the top level"
            raise ConfigError(
                f"unknown config field {dotted!r}: {part!r} is not in {where} "
                f"(fields: {', '.join(sorted(known))})"
            )
        field = known[part]
        if i == len(parts) - 1:
            node[part] = value
            return
        sub = field.annotation
        if not (isinstance(sub, type) and issubclass(sub, BaseModel)):
            raise ConfigError(f"config field {'.'.join(parts[: i + 1])!r} has no sub-fields")
        node = node.setdefault(part, {})
        known = sub.model_fields


def apply_overrides(base: Config | dict[str, Any], overrides: list[str]) -> Config:
    """Apply `a.b=value` overrides (in order) and validate the result."""
    data = base.to_dict() if isinstance(base, Config) else json.loads(json.dumps(base))
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set expects a.b=value, got {item!r}")
        key, raw = item.split("=", 1)
        _set_path(data, key.strip(), _parse_value(raw.strip()))
    return validate(data)


def merge(base: Config, patch: dict[str, Any]) -> Config:
    """Deep-merge a nested dict (e.g. a config file) into a config and validate."""

    def deep(a: dict, b: dict) -> dict:
        out = dict(a)
        for k, v in b.items():
            out[k] = deep(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        return out

    return validate(deep(base.to_dict(), patch))


def load_file(path: Path) -> dict[str, Any]:
    """A config file: JSON (.json) or TOML (.toml), a nested dict of sections."""
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    text = path.read_text()
    try:
        if path.suffix == ".toml":
            try:
                import tomllib
            except ImportError:  # Python 3.10
                raise ConfigError(
                    f"config file {path}: TOML needs Python 3.11+; write it as JSON instead"
                ) from None
            return tomllib.loads(text)
        return json.loads(text)
    except Exception as exc:
        raise ConfigError(f"config file {path} could not be parsed: {exc}") from None


def diff(a: Config, b: Config) -> list[tuple[str, Any, Any]]:
    """(dotted field, value in a, value in b) for every field that differs."""

    def flat(d: dict, prefix: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in d.items():
            if isinstance(v, dict):
                out.update(flat(v, f"{prefix}{k}."))
            else:
                out[f"{prefix}{k}"] = v
        return out

    fa, fb = flat(a.to_dict()), flat(b.to_dict())
    return [(k, fa.get(k), fb.get(k)) for k in fa if fa.get(k) != fb.get(k)]
