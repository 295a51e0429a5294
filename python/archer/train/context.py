"""Where this process sits in a (possibly distributed) run, and how per-rank metrics become one.

The loop is written for N ranks from the start: prompts are dealt to ranks by whole groups, every
metric is reduced through `reduce_metrics`, and only the main rank writes files. With one rank (the
default) every function here is the identity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def barrier(self) -> None:
        if self.distributed:
            torch.distributed.barrier()


def resolve_device(choice: str) -> torch.device:
    if choice == "cpu" or (choice == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise RuntimeError("trainer.device=cuda but no CUDA device is available")
    return torch.device("cuda")


def single_process(device: str = "auto") -> DistContext:
    return DistContext(device=resolve_device(device))


def shard_groups(indices: list[int], ctx: DistContext) -> list[int]:
    """This rank's contiguous share of the step's prompts (whole prompts: a prompt's n responses
    stay on one rank, so group advantages need no communication)."""
    if len(indices) % ctx.world_size:
        raise ValueError(
            f"{len(indices)} prompts per step cannot be split evenly over {ctx.world_size} ranks"
        )
    per = len(indices) // ctx.world_size
    return indices[ctx.rank * per : (ctx.rank + 1) * per]


class MetricAcc:
    """Per-rank metric accumulator. Each value carries how it combines across ranks:

    - ``mean``: weighted mean (weight = tokens or responses behind the value);
    - ``sum``: counts; ``max`` / ``min``: extremes.
    """

    def __init__(self) -> None:
        self._items: dict[str, tuple[str, float, float]] = {}

    def mean(self, name: str, value: float, weight: float = 1.0) -> None:
        _, total, w = self._items.get(name, ("mean", 0.0, 0.0))
        self._items[name] = ("mean", total + float(value) * weight, w + weight)

    def sum(self, name: str, value: float) -> None:
        _, total, _ = self._items.get(name, ("sum", 0.0, 0.0))
        self._items[name] = ("sum", total + float(value), 0.0)

    def max(self, name: str, value: float) -> None:
        _, cur, _ = self._items.get(name, ("max", -math.inf, 0.0))
        self._items[name] = ("max", max(cur, float(value)), 0.0)

    def min(self, name: str, value: float) -> None:
        _, cur, _ = self._items.get(name, ("min", math.inf, 0.0))
        self._items[name] = ("min", min(cur, float(value)), 0.0)

    def items(self):
        return self._items.items()

    def add_missing(self, other: MetricAcc, skip) -> None:
        """Take over `other`'s entries whose names are neither here nor in `skip`."""
        for name, item in other._items.items():
            if name not in self._items and name not in skip:
                self._items[name] = item


def reduce_metrics(acc: MetricAcc, ctx: DistContext) -> dict[str, float]:
    """One dict of metrics for the whole run step: identity for one rank; across ranks, weighted
    means from summed (value*weight, weight), summed counts, max of maxima, min of minima."""
    names = sorted(acc._items)
    kinds = [acc._items[n][0] for n in names]
    totals = torch.tensor([acc._items[n][1] for n in names], dtype=torch.float64)
    weights = torch.tensor([acc._items[n][2] for n in names], dtype=torch.float64)
    if ctx.distributed and names:
        import torch.distributed as dist

        is_max = torch.tensor([k == "max" for k in kinds])
        is_min = torch.tensor([k == "min" for k in kinds])
        summed = torch.where(is_max | is_min, torch.zeros_like(totals), totals)
        maxed = torch.where(is_max, totals, torch.full_like(totals, -math.inf))
        mined = torch.where(is_min, -totals, torch.full_like(totals, -math.inf))
        dist.all_reduce(summed, op=dist.ReduceOp.SUM)
        dist.all_reduce(weights, op=dist.ReduceOp.SUM)
        dist.all_reduce(maxed, op=dist.ReduceOp.MAX)
        dist.all_reduce(mined, op=dist.ReduceOp.MAX)
        totals = torch.where(is_max, maxed, torch.where(is_min, -mined, summed))
    out: dict[str, float] = {}
    for name, kind, total, weight in zip(names, kinds, totals.tolist(), weights.tolist()):
        if kind == "mean":
            out[name] = total / weight if weight > 0 else float("nan")
        else:
            out[name] = total
    return out
