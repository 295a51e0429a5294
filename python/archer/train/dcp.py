"""Distributed checkpoints (torch.distributed.checkpoint) of the actor and its optimizer.

Every rank writes its own shards of the model and the AdamW state in parallel, with the metadata
needed to reshard them: a checkpoint written by N ranks loads on M ranks (including one process
without FSDP, e.g. for export or evaluation). No pickles of arbitrary objects are read back: DCP
stores tensors plus its own metadata, and the small extra state (step, data order) goes through
JSON written by rank 0.

Two layers:
- `save_dcp` / `load_dcp`: one directory with `dcp/` (shards + .metadata) and `state.json`;
- `save_step_checkpoint` / `load_step_checkpoint` / `restore_step_rng`: the trainer's
  `<run>/checkpoints/step_NNNNNN/` for runs with more than one rank. Same directory names and the
  same `trainer_state.json` marker (written last) as the single-process checkpoints of
  archer.train.checkpoint, so listing, pruning and `--resume` treat both alike; instead of `model/`
  and `optimizer.safetensors` it holds `dcp/`, plus one `rng_rank<R>.*` pair per rank.
Directories are written under a temporary name and renamed once every rank has finished, so a
crash mid-save never leaves a directory that looks complete.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from torch import nn

from archer.train.context import DistContext

_DCP = "dcp"
_STATE = "state.json"
_TMP_SUFFIX = ".tmp"


class DCPCheckpointError(RuntimeError):
    """A checkpoint directory is missing or incomplete."""


def _state(model: nn.Module, optimizer: torch.optim.Optimizer | None) -> dict[str, Any]:
    from torch.distributed.checkpoint.state_dict import get_model_state_dict, get_state_dict

    if optimizer is None:
        return {"model": get_model_state_dict(model)}
    # get_state_dict gives FQN-keyed, resharding-friendly state (DTensors under FSDP2) and
    # materialises an optimizer state that has not stepped yet, so loading into it works.
    model_sd, optim_sd = get_state_dict(model, optimizer)
    return {"model": model_sd, "optim": optim_sd}


def save_dcp(
    path: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None,
    ctx: DistContext,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint to `path` (collective: every rank calls it). Returns `path`."""
    import torch.distributed.checkpoint as dcp

    path = Path(path)
    tmp = path.with_name(path.name + _TMP_SUFFIX)
    if ctx.is_main:
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
    ctx.barrier()
    dcp.save(_state(model, optimizer), checkpoint_id=str(tmp / _DCP))
    if ctx.is_main:
        data = json.dumps(extra or {}, indent=2, sort_keys=True)
        (tmp / _STATE).write_text(data + "\n")
        _fsync_dir(tmp)
    ctx.barrier()
    if ctx.is_main:
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    ctx.barrier()
    return path


def load_dcp(
    path: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
) -> dict[str, Any]:
    """Load a checkpoint written on any number of ranks into `model` (and `optimizer`), which
    may be sharded differently or not at all. Collective when a process group exists.
    Returns the extra state saved with it."""
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import set_model_state_dict, set_state_dict

    path = Path(path)
    if not (path / _DCP / ".metadata").is_file():
        raise DCPCheckpointError(
            f"{path} is not a complete archer DCP checkpoint (no {_DCP}/.metadata): pass a "
            "checkpoint directory written by save_dcp"
        )
    state = _state(model, optimizer)
    dcp.load(state, checkpoint_id=str(path / _DCP))
    if optimizer is None:
        set_model_state_dict(model, state["model"])
    else:
        set_state_dict(
            model, optimizer, model_state_dict=state["model"], optim_state_dict=state["optim"]
        )
    extra_file = path / _STATE
    return json.loads(extra_file.read_text()) if extra_file.is_file() else {}


def is_dcp_checkpoint(path: Path) -> bool:
    return (Path(path) / _DCP / ".metadata").is_file()


# --- the trainer's step checkpoints on several ranks ------------------------------------------


def save_step_checkpoint(
    run_dir: Path,
    step: int,
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    tokenizer,
    state: dict[str, Any],
    keep: int,
    ctx: DistContext,
) -> Path:
    """Collective: every rank writes its shards and RNG state; rank 0 the tokenizer and the
    trainer state, then renames the directory into place and prunes old checkpoints."""
    import torch.distributed.checkpoint as dcp
    from safetensors.torch import save_file

    from archer.train import checkpoint as ckpt

    final = ckpt.step_dir(run_dir, step)
    # a name archer.train.checkpoint.clean_temporaries removes after a crash
    tmp = final.parent / f".{final.name}.tmp-dcp"
    if ctx.is_main:
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
    ctx.barrier()
    dcp.save(_state(model, optimizer), checkpoint_id=str(tmp / _DCP))
    rng_tensors, rng_meta = ckpt._rng_state()
    save_file(rng_tensors, str(tmp / f"rng_rank{ctx.rank}.safetensors"))
    (tmp / f"rng_rank{ctx.rank}.json").write_text(json.dumps(rng_meta))
    ctx.barrier()
    if ctx.is_main:
        if tokenizer is not None:
            tokenizer.save_pretrained(tmp / "tokenizer")
        full = {**state, "step": step, "format": "dcp", "world_size": ctx.world_size}
        (tmp / ckpt.STATE_FILE).write_text(json.dumps(full, indent=2) + "\n")
        ckpt._fsync_tree(tmp)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        _fsync_dir(final.parent)
        for old in ckpt.list_checkpoints(run_dir)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    ctx.barrier()
    return final


def load_step_checkpoint(
    path: Path, *, model: nn.Module, optimizer: torch.optim.Optimizer
) -> dict[str, Any]:
    """Load model and optimizer from a step checkpoint written on any number of ranks; return the
    trainer state (step, data order, ...)."""
    from archer.train import checkpoint as ckpt

    load_dcp(path, model, optimizer)
    return json.loads((Path(path) / ckpt.STATE_FILE).read_text())


def restore_step_rng(path: Path, ctx: DistContext, seed: int) -> None:
    """This rank's generators as saved. Resumed on a different number of ranks there is no such
    thing: every rank takes rank 0's Python/NumPy state and a torch seed offset by its rank."""
    from safetensors.torch import load_file

    from archer.train import checkpoint as ckpt

    path = Path(path)
    state = json.loads((path / ckpt.STATE_FILE).read_text())
    same_world = state.get("world_size") == ctx.world_size
    rank = ctx.rank if same_world else 0
    tensors = load_file(str(path / f"rng_rank{rank}.safetensors"))
    meta = json.loads((path / f"rng_rank{rank}.json").read_text())
    ckpt._restore_rng(tensors, meta)
    if not same_world and ctx.rank:
        torch.manual_seed(seed + 1_000_003 * ctx.rank + int(state.get("step", 0)))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
