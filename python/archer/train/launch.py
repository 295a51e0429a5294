"""One rank per device: `archer train` starts its own ranks when nobody else did.

- Inside a launcher (torchrun, srun, or a rank started from here): the command just runs its rank.
- Otherwise, with more than one local rank wanted (`--nproc N`, default: every visible GPU, 1 on
  CPU) or more than one node (`--nnodes`), it re-runs the same command line once per local rank
  through torch's elastic launcher (the API behind torchrun) and waits for them.

Multi-node without torchrun: start the same command on every node with `--nnodes K`,
`--node-rank i` and `--rdzv-endpoint HOST:PORT` of node 0 (static rendezvous, like torchrun's
`--node-rank/--master-addr/--master-port`); without `--node-rank` the c10d rendezvous numbers the
nodes itself.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from archer.train.dist import rank_env


class LaunchError(ValueError):
    """Bad launcher options (names the option and what to do)."""


@dataclass(frozen=True)
class LaunchPlan:
    nproc: int  # ranks on this node
    nnodes: int = 1
    node_rank: int | None = None  # None: c10d rendezvous assigns it
    rdzv_endpoint: str | None = None  # HOST:PORT of node 0; default 127.0.0.1:29500 on one node
    rdzv_id: str = "archer"
    max_restarts: int = 0

    @property
    def world_size(self) -> int:
        return self.nproc * self.nnodes


def default_nproc() -> int:
    """Every visible GPU on a GPU machine, one process on CPU."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 1


def plan_launch(
    nproc: int | None = None,
    nnodes: int = 1,
    node_rank: int | None = None,
    rdzv_endpoint: str | None = None,
    env: Mapping[str, str] | None = None,
) -> LaunchPlan | None:
    """What to start from this process; None when this process should simply run as the rank
    (already under torchrun/srun/elastic, or a single process is all that is wanted)."""
    env = os.environ if env is None else env
    if nproc is not None and nproc < 1:
        raise LaunchError(f"--nproc {nproc}: must be at least 1 (ranks on this node)")
    if nnodes < 1:
        raise LaunchError(f"--nnodes {nnodes}: must be at least 1")
    if node_rank is not None and not 0 <= node_rank < nnodes:
        raise LaunchError(
            f"--node-rank {node_rank}: must be in [0, {nnodes}) for --nnodes {nnodes}"
        )
    if rank_env(env) is not None:
        return None  # torchrun / srun already made this process a rank
    if nnodes > 1 and not rdzv_endpoint:
        raise LaunchError(
            f"--nnodes {nnodes} needs --rdzv-endpoint HOST:PORT (node 0's address, the same on "
            "every node)"
        )
    if rdzv_endpoint is not None:
        _split_endpoint(rdzv_endpoint)
    count = default_nproc() if nproc is None else nproc
    if count == 1 and nnodes == 1:
        return None
    return LaunchPlan(count, nnodes, node_rank, rdzv_endpoint)


def _split_endpoint(endpoint: str) -> tuple[str, int]:
    host, sep, port = endpoint.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise LaunchError(f"--rdzv-endpoint {endpoint!r}: expected HOST:PORT, e.g. node0:29500")
    return host, int(port)


def launch(plan: LaunchPlan, python_args: Sequence[str]) -> int:
    """Run `python *python_args` (e.g. `-m archer.cli train ...`) as `plan.nproc` local ranks of
    the run; return 0 when all of them succeeded."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    endpoint = plan.rdzv_endpoint or "127.0.0.1:29500"
    if plan.node_rank is not None or plan.nnodes == 1:
        # static rendezvous: node ranks given by the user (torchrun's --node-rank)
        backend, configs = "static", {"rank": plan.node_rank or 0}
    else:
        backend, configs = "c10d", {}
    config = LaunchConfig(
        min_nodes=plan.nnodes,
        max_nodes=plan.nnodes,
        nproc_per_node=plan.nproc,
        run_id=plan.rdzv_id,
        rdzv_endpoint=endpoint,
        rdzv_backend=backend,
        rdzv_configs=configs,
        max_restarts=plan.max_restarts,
        monitor_interval=0.5,
        start_method="spawn",
    )
    if plan.nnodes == 1 and plan.rdzv_endpoint is None:
        # one node: any free local port, so two runs on one machine do not collide
        config.rdzv_endpoint = f"127.0.0.1:{_free_port()}"
    try:
        elastic_launch(config, sys.executable)(*python_args)
    except ChildFailedError as exc:
        print(f"archer: a rank failed:\n{exc.format_msg()}", file=sys.stderr)
        return 1
    return 0


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
