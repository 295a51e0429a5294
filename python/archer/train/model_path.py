"""Which model directory a run trains, decided without importing torch, so that a missing model
fails within a second of `archer train` starting."""

from __future__ import annotations

from pathlib import Path

from archer.config import Config, ConfigError


class ModelNotFoundError(ConfigError):
    """The preset's model is not available locally (archer never downloads weights)."""


def resolve_model_path(cfg: Config) -> Path:
    """The local model directory to train: --model / model.path, or the embedded tiny model."""
    if cfg.model.path:
        path = Path(cfg.model.path).expanduser()
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(
                f"model.path={cfg.model.path!r} is not a Hugging Face model directory (no "
                "config.json there): pass --model DIR with a local copy of the model"
            )
        return path
    if cfg.model.intended not in ("tiny", "tiny-char"):
        raise ModelNotFoundError(
            f"preset {cfg.preset!r} trains {cfg.model.intended}, which archer does not bundle or "
            f"download. Point --model at a local {cfg.model.intended} directory (config.json, "
            f"model.safetensors, tokenizer files), for example:\n"
            f"  huggingface-cli download Qwen/{cfg.model.intended} --local-dir "
            f"models/{cfg.model.intended}\n"
            f"  archer train --preset {cfg.preset} --model models/{cfg.model.intended}\n"
            "or try the pipeline first on the embedded tiny model: archer train --preset smoke"
        )
    from archer.tiny import tiny_model_for

    return tiny_model_for(cfg.model.tiny_tokenizer, seed=cfg.model.seed)
