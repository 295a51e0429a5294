"""Joining a torch.distributed run: one process per device, started by torchrun, Slurm's srun, or
`archer train` itself (archer.train.launch).

`init_distributed()` reads where this process sits from the environment and returns the loop's
`DistContext`:
- torchrun / torch's elastic launcher: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT;
- Slurm (`srun`): SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, and the first host of
  SLURM_NODELIST as the rendezvous address (MASTER_PORT from the environment or 29500);
- neither: a single process (world size 1), no process group.

Backend: nccl when the rank drives a GPU (plus gloo for the few CPU-tensor collectives), gloo on
CPU. Metric reduction across ranks lives with the context (archer.train.context.reduce_metrics:
token-weighted means, summed counts, max of maxima).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import torch

from archer.train.context import DistContext, resolve_device

DEFAULT_PORT = 29500


class DistEnvError(RuntimeError):
    """The launcher's environment is inconsistent (names the variable and what to do)."""


@dataclass(frozen=True)
class RankEnv:
    rank: int
    world_size: int
    local_rank: int
    master_addr: str
    master_port: int
    source: str  # "torchrun" or "slurm"


def _int(env: Mapping[str, str], name: str) -> int:
    raw = env.get(name, "")
    try:
        return int(raw)
    except ValueError:
        raise DistEnvError(f"environment variable {name}={raw!r} is not an integer") from None


def first_slurm_host(nodelist: str) -> str:
    """The first host of a Slurm node list: 'gpu[003-004,007],cpu1' -> 'gpu003'."""
    nodelist = nodelist.strip()
    if not nodelist:
        raise DistEnvError("SLURM_NODELIST is empty: cannot pick the rendezvous host")
    match = re.match(r"^([^,\[]+)(?:\[([^\]]+)\])?", nodelist)
    if match is None:
        raise DistEnvError(f"SLURM_NODELIST={nodelist!r} is not a Slurm host list")
    prefix, ranges = match.group(1), match.group(2)
    if ranges is None:
        return prefix
    first = ranges.split(",")[0].split("-")[0]
    return prefix + first


def rank_env(env: Mapping[str, str] | None = None) -> RankEnv | None:
    """Where this process sits, from torchrun's or Slurm's variables; None outside a launcher.

    torchrun's variables win when both are present (torchrun under srun launches its own ranks).
    """
    env = os.environ if env is None else env
    if "RANK" in env and "WORLD_SIZE" in env:
        rank, world = _int(env, "RANK"), _int(env, "WORLD_SIZE")
        local = _int(env, "LOCAL_RANK") if "LOCAL_RANK" in env else rank
        addr = env.get("MASTER_ADDR", "127.0.0.1")
        port = _int(env, "MASTER_PORT") if "MASTER_PORT" in env else DEFAULT_PORT
        source = "torchrun"
    elif "SLURM_PROCID" in env and "SLURM_NTASKS" in env:
        rank, world = _int(env, "SLURM_PROCID"), _int(env, "SLURM_NTASKS")
        local = _int(env, "SLURM_LOCALID") if "SLURM_LOCALID" in env else 0
        addr = env.get("MASTER_ADDR") or first_slurm_host(env.get("SLURM_NODELIST", ""))
        port = _int(env, "MASTER_PORT") if "MASTER_PORT" in env else DEFAULT_PORT
        source = "slurm"
    else:
        return None
    if world < 1 or not 0 <= rank < world:
        raise DistEnvError(f"rank {rank} is outside world size {world} ({source} environment)")
    if local < 0:
        raise DistEnvError(f"local rank {local} is negative ({source} environment)")
    return RankEnv(rank, world, local, addr, port, source)


def backend_for(device: torch.device) -> str:
    """nccl for GPU tensors; gloo for CPU tensors, on GPU too: metric reductions, the update
    padding count and object broadcasts use small CPU tensors, which nccl cannot carry."""
    return "cpu:gloo,cuda:nccl" if device.type == "cuda" else "gloo"


def rank_device(choice: str, local_rank: int) -> torch.device:
    """The device this rank drives: GPU `local_rank` when on GPUs, else the CPU."""
    device = resolve_device(choice)
    if device.type != "cuda":
        return device
    count = torch.cuda.device_count()
    if count == 1:
        # one visible GPU per task (srun --gpus-per-task=1, or CUDA_VISIBLE_DEVICES set per rank)
        return torch.device("cuda", 0)
    if local_rank >= count:
        raise DistEnvError(
            f"local rank {local_rank} has no GPU (this node has {count}): start at most {count} "
            "ranks per node (--nproc / torchrun --nproc-per-node / srun --ntasks-per-node)"
        )
    return torch.device("cuda", local_rank)


def init_distributed(device: str = "auto", timeout_s: float = 1800.0) -> DistContext:
    """Join the process group described by the environment (or run as a single process)."""
    info = rank_env()
    if info is None or (info.world_size == 1 and not torch.distributed.is_initialized()):
        local = info.local_rank if info is not None else 0
        dev = rank_device(device, local)
        if dev.type == "cuda":
            torch.cuda.set_device(dev)
        return DistContext(device=dev)
    dev = rank_device(device, info.local_rank)
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    if not torch.distributed.is_initialized():
        # Slurm sets no MASTER_* variables; the env:// rendezvous reads them.
        os.environ.setdefault("MASTER_ADDR", info.master_addr)
        os.environ.setdefault("MASTER_PORT", str(info.master_port))
        os.environ.setdefault("RANK", str(info.rank))
        os.environ.setdefault("WORLD_SIZE", str(info.world_size))
        os.environ.setdefault("LOCAL_RANK", str(info.local_rank))
        torch.distributed.init_process_group(
            backend=backend_for(dev),
            rank=info.rank,
            world_size=info.world_size,
            timeout=timedelta(seconds=timeout_s),
            device_id=dev if dev.type == "cuda" else None,
        )
    return DistContext(
        rank=info.rank, world_size=info.world_size, local_rank=info.local_rank, device=dev
    )


def shutdown_distributed() -> None:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def broadcast_object(obj, ctx: DistContext, src: int = 0):
    """Rank `src`'s `obj` on every rank (e.g. a run id chosen by rank 0)."""
    if not ctx.distributed:
        return obj
    box = [obj]
    torch.distributed.broadcast_object_list(box, src=src)
    return box[0]


def all_gather_objects(obj, ctx: DistContext) -> list:
    """Every rank's `obj`, in rank order, on every rank."""
    if not ctx.distributed:
        return [obj]
    out: list = [None] * ctx.world_size
    torch.distributed.all_gather_object(out, obj)
    return out


def equalize_update_rows(keep, ctx: DistContext) -> tuple[list[int], list[int]]:
    """Rows of this rank's rollouts to feed the update, and which of them are padding.

    Under FSDP every rank must run the same number of forward/backward passes (each one runs
    collectives). When groups are rejected (zero variance) ranks keep different numbers of
    responses; the ranks with fewer re-add some rejected ones with their loss mask zeroed
    ("padding": no gradient, no effect on token-mean losses), up to the largest count over ranks.
    """
    kept = [i for i, k in enumerate(keep) if k]
    if not ctx.distributed:
        return kept, []
    count = torch.tensor([len(kept)], dtype=torch.int64)
    torch.distributed.all_reduce(count, op=torch.distributed.ReduceOp.MAX)
    missing = int(count) - len(kept)
    padding = [i for i, k in enumerate(keep) if not k][:missing]
    rows = sorted(kept + padding)
    return rows, padding
