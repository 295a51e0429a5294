"""Distributed checkpoints (torch.distributed.checkpoint) of the actor and its optimizer.

Every rank writes its own shards of the model and the AdamW state in parallel, with the metadata
needed to reshard them: a checkpoint written by N ranks loads on M ranks (including one process
without FSDP, e.g. for export or evaluation). No pickles of arbitrary objects are read back: DCP
stores tensors plus its own metadata, and the small extra state (step, data order) goes through
JSON written by rank 0.

Layout of one checkpoint directory:
    <dir>/dcp/      DCP shards (.distcp files) and .metadata
    <dir>/state.json  step and other JSON-serialisable trainer state
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


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
