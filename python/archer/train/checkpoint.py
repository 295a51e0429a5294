"""Atomic, pickle-free checkpoints: safetensors for tensors, JSON for everything else.

Layout of one checkpoint (``<run>/checkpoints/step_000020/``):

- ``model/``: the policy as a Hugging Face directory (config, model.safetensors, tokenizer), loadable
  with ``from_pretrained`` (and by vLLM);
- ``optimizer.safetensors``: AdamW moments per parameter name + the step counters;
- ``rng.safetensors``: torch CPU (and CUDA) generator states;
- ``trainer_state.json``: global step, optimizer hyper-parameters, data sampler position, Python
  and NumPy RNG states, and the config. Written last: its presence marks a complete checkpoint.

A checkpoint is built in a temporary sibling directory, fsync'ed, then renamed into place, so a
kill -9 at any moment leaves either the previous checkpoints or the new complete one. Nothing is
ever unpickled on load (safetensors and JSON only).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

STATE_FILE = "trainer_state.json"
_PREFIX = "step_"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for root, _dirs, files in os.walk(path):
        for name in files:
            with open(os.path.join(root, name), "rb") as fh:
                os.fsync(fh.fileno())
        _fsync_dir(Path(root))


def write_json_atomic(path: Path, data: Any) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _optimizer_tensors(model, optimizer: torch.optim.Optimizer) -> tuple[dict, dict]:
    names = {id(p): n for n, p in model.named_parameters()}
    tensors: dict[str, torch.Tensor] = {}
    for group in optimizer.param_groups:
        for p in group["params"]:
            state = optimizer.state.get(p)
            if not state:
                continue
            name = names[id(p)]
            for key, value in state.items():
                t = value if torch.is_tensor(value) else torch.tensor(value)
                tensors[f"{name}::{key}"] = t.detach().cpu().contiguous()
    groups = [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
    for g in groups:
        if "betas" in g:
            g["betas"] = list(g["betas"])
    return tensors, {"param_groups": groups}


def _load_optimizer(model, optimizer, tensors: dict[str, torch.Tensor], meta: dict) -> None:
    params = dict(model.named_parameters())
    for group, saved in zip(optimizer.param_groups, meta["param_groups"]):
        for k, v in saved.items():
            group[k] = tuple(v) if k == "betas" else v
    for key, value in tensors.items():
        name, field = key.split("::", 1)
        if name not in params:
            raise ValueError(f"checkpoint optimizer state names unknown parameter {name!r}")
        p = params[name]
        optimizer.state[p][field] = value.to(p.device) if field != "step" else value


def _rng_state() -> tuple[dict[str, torch.Tensor], dict]:
    tensors = {"torch_cpu": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"torch_cuda_{i}"] = s
    py_version, py_state, py_gauss = random.getstate()
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    meta = {
        "python": [py_version, list(py_state), py_gauss],
        "numpy": [np_name, np_keys.tolist(), int(np_pos), int(np_has_gauss), float(np_gauss)],
    }
    return tensors, meta


def _restore_rng(tensors: dict[str, torch.Tensor], meta: dict) -> None:
    torch.set_rng_state(tensors["torch_cpu"])
    cuda = [tensors[k] for k in sorted(tensors) if k.startswith("torch_cuda_")]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)
    v, state, gauss = meta["python"]
    random.setstate((v, tuple(state), gauss))
    name, keys, pos, has_gauss, g = meta["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, g))


def step_dir(run_dir: Path, step: int) -> Path:
    return run_dir / "checkpoints" / f"{_PREFIX}{step:06d}"


def save_checkpoint(
    run_dir: Path,
    step: int,
    *,
    model,
    tokenizer,
    optimizer: torch.optim.Optimizer,
    state: dict[str, Any],
    keep: int = 2,
    fault_hook=None,
) -> Path:
    """Write checkpoint `step` atomically and prune all but the newest `keep`. `fault_hook(stage)`
    is called between files (tests use it to kill the process mid-write)."""
    root = run_dir / "checkpoints"
    root.mkdir(parents=True, exist_ok=True)
    final = step_dir(run_dir, step)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=root))
    try:
        model.save_pretrained(tmp / "model", safe_serialization=True)
        if tokenizer is not None:
            tokenizer.save_pretrained(tmp / "model")
        if fault_hook:
            fault_hook("model")
        opt_tensors, opt_meta = _optimizer_tensors(model, optimizer)
        save_file(opt_tensors, str(tmp / "optimizer.safetensors"))
        rng_tensors, rng_meta = _rng_state()
        save_file(rng_tensors, str(tmp / "rng.safetensors"))
        if fault_hook:
            fault_hook("optimizer")
        full_state = {**state, "step": step, "optimizer": opt_meta, "rng": rng_meta}
        (tmp / STATE_FILE).write_text(json.dumps(full_state, indent=2) + "\n")
        _fsync_tree(tmp)
        if final.exists():  # re-saving the same step (e.g. stop-on-abandon right after a save)
            shutil.rmtree(final)
        os.rename(tmp, final)
        _fsync_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in list_checkpoints(run_dir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def list_checkpoints(run_dir: Path) -> list[Path]:
    """Complete checkpoints, oldest first (incomplete temporaries are ignored)."""
    root = run_dir / "checkpoints"
    if not root.is_dir():
        return []
    found = [
        p
        for p in root.iterdir()
        if p.is_dir() and p.name.startswith(_PREFIX) and (p / STATE_FILE).is_file()
    ]
    return sorted(found, key=lambda p: int(p.name[len(_PREFIX) :]))


def latest_checkpoint(run_dir: Path) -> Path | None:
    found = list_checkpoints(run_dir)
    return found[-1] if found else None


def clean_temporaries(run_dir: Path) -> int:
    """Remove half-written checkpoint directories left by a killed process."""
    root = run_dir / "checkpoints"
    if not root.is_dir():
        return 0
    n = 0
    for p in root.iterdir():
        if p.name.startswith(".") and ".tmp-" in p.name:
            shutil.rmtree(p, ignore_errors=True)
            n += 1
    return n


def load_checkpoint(path: Path, *, model, optimizer) -> dict[str, Any]:
    """Restore the optimizer state (the model weights are loaded by the caller from
    ``path / "model"``; the RNG by `restore_rng`, last) and return the trainer state."""
    state = json.loads((path / STATE_FILE).read_text())
    _load_optimizer(
        model, optimizer, load_file(str(path / "optimizer.safetensors")), state["optimizer"]
    )
    return state


def restore_rng(path: Path) -> None:
    """Put every generator (torch, CUDA, Python, NumPy) back where the checkpoint left it."""
    state = json.loads((path / STATE_FILE).read_text())
    _restore_rng(load_file(str(path / "rng.safetensors")), state["rng"])
