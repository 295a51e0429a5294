"""Where a run's numbers go: ``runs/<id>/metrics.jsonl`` (one JSON object per step), Weights &
Biases (offline unless ``WANDB_API_KEY`` is set; the key itself is never printed or stored), and
sampled rollouts per step in ``runs/<id>/rollouts/step_<N>.jsonl`` for `archer diagnose`.

Crash safety: each metrics line is written with a single ``os.write`` on an O_APPEND descriptor and
fsync'ed, so a kill -9 never leaves half a line; on resume the file is rewritten (atomically) to the
lines up to the checkpoint's step, so a resumed run's file equals an uninterrupted one.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

METRICS_FILE = "metrics.jsonl"


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf; diagnose reads null as "no value"
    return value


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """Rows of a metrics.jsonl; a torn last line (impossible with this writer, possible with
    others) is ignored rather than fatal."""
    rows = []
    if not path.is_file():
        return rows
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def truncate_metrics(path: Path, last_step: int) -> None:
    """Keep only rows with step <= last_step (resume from that checkpoint), atomically."""
    rows = [r for r in read_metrics(path) if int(r.get("step", 0)) <= last_step]
    fd, tmp = tempfile.mkstemp(prefix=".metrics.", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def resolve_wandb_mode(setting: str, env) -> str:
    """`auto`: online only when an API key is present (the key is read by wandb itself from the
    environment; archer never prints, logs or stores it), offline otherwise."""
    if setting == "auto":
        return "online" if env.get("WANDB_API_KEY") else "offline"
    return setting


class Tracker:
    """The run's metrics sink. Only the main rank constructs a live one (`enabled=False` on the
    others makes every method a no-op)."""

    def __init__(
        self,
        run_dir: Path,
        config: dict[str, Any],
        *,
        enabled: bool = True,
        wandb_mode: str = "auto",
        project: str = "archer",
        name: str | None = None,
        resume: bool = False,
    ) -> None:
        self.run_dir = run_dir
        self.enabled = enabled
        self.wandb_run = None
        self.wandb_mode = "disabled"
        if not enabled:
            return
        (run_dir / "rollouts").mkdir(parents=True, exist_ok=True)
        self._fd = os.open(run_dir / METRICS_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        mode = resolve_wandb_mode(wandb_mode, os.environ)
        if mode != "disabled":
            self._start_wandb(mode, project, name or run_dir.name, config, resume)

    def _start_wandb(self, mode, project, name, config, resume) -> None:
        os.environ.setdefault("WANDB_SILENT", "true")
        try:
            import wandb
        except ImportError:
            return
        self.wandb_run = wandb.init(
            project=project,
            name=name,
            id=name,
            config=config,
            dir=str(self.run_dir),
            mode=mode,
            resume="allow" if resume else None,
            settings=wandb.Settings(console="off", x_disable_stats=True),
        )
        self.wandb_mode = mode

    def log(self, step: int, metrics: dict[str, float]) -> None:
        if not self.enabled:
            return
        row = {"step": step, **{k: _clean(v) for k, v in metrics.items()}}
        os.write(self._fd, (json.dumps(row) + "\n").encode())
        os.fsync(self._fd)
        if self.wandb_run is not None:
            self.wandb_run.log({k: v for k, v in metrics.items()}, step=step)

    def log_rollouts(self, step: int, records: list[dict[str, Any]]) -> None:
        if not self.enabled or not records:
            return
        path = self.run_dir / "rollouts" / f"step_{step}.jsonl"
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w") as fh:
            for r in records:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        os.replace(tmp, path)

    def close(self) -> None:
        if not self.enabled:
            return
        os.close(self._fd)
        if self.wandb_run is not None:
            self.wandb_run.finish()
            self.wandb_run = None
