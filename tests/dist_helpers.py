"""Starting real ranks from tests: torchrun on free loopback ports, with hard time limits."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "tests" / "dist_scenarios.py"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env() -> dict[str, str]:
    """The test's environment minus any launcher variables inherited from outside."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLURM_", "TORCHELASTIC_"))
        and k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
    }
    env["CUDA_VISIBLE_DEVICES"] = ""  # CPU ranks even where a GPU exists
    env["OMP_NUM_THREADS"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run(cmd: list[str], timeout: float, env: dict[str, str] | None = None, cwd=REPO):
    """Run to completion or kill the whole process group at `timeout` (then fail loudly)."""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env or clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, _ = proc.communicate()
        raise AssertionError(
            f"timed out after {timeout}s: {' '.join(cmd)}\n{out[-4000:]}"
        ) from None
    if proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}: {' '.join(cmd)}\n{out[-6000:]}")
    return out


def torchrun(nproc: int, script_args: list[str], timeout: float = 240) -> str:
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        f"--nproc-per-node={nproc}",
        "--nnodes=1",
        f"--master-port={free_port()}",
        "--master-addr=127.0.0.1",
        *script_args,
    ]
    return run(cmd, timeout)


def scenario(name: str, out: Path, model_dir: Path, nproc: int, timeout: float = 240) -> str:
    """A tests/dist_scenarios.py scenario under torchrun (nproc > 1) or as a plain process."""
    args = [str(SCENARIOS), name, str(out), str(model_dir)]
    if nproc == 1:
        return run([sys.executable, *args], timeout)
    return torchrun(nproc, args, timeout)
