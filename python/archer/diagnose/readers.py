"""Read a run into one shape, whatever it was written by.

Sources: an archer run directory (`runs/<id>/metrics.jsonl`, `config.json`/`config.yaml`,
`rollouts/step_<N>.jsonl`), a history file (JSONL with `_step`/`step`, or CSV), or a W&B run path
`entity/project/run_id`. Damage is tolerated and reported in `RunData.notes`: a truncated last line, bad
lines, unsorted or repeated steps, non-numeric values. Anything unreadable raises `DiagnoseInputError`
with one line naming the input and what to do.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from archer.diagnose.aliases import ALIASES, canonicalize
from archer.guard import row_step

FLAGS = ("repetition", "gibberish", "language_drift", "shortcut")
_EXAMPLE_CHARS = 240
_WANDB_PATH = re.compile(r"^[\w.-]+/[\w.-]+/[\w.-]+$")


class DiagnoseInputError(ValueError):
    """Bad input to `archer diagnose`: the message names the input and what to do."""


@dataclass
class RunData:
    name: str
    source: str
    history: list[dict[str, float]]  # canonical names, sorted by unique "step", NaN kept
    config: dict = field(default_factory=dict)
    rollouts: dict[int, list[dict]] = field(default_factory=dict)  # step -> flagged sample rows
    notes: list[str] = field(default_factory=list)  # what was skipped or repaired

    @property
    def steps(self) -> list[int]:
        return [int(r["step"]) for r in self.history]


def default_runs_root() -> Path:
    return Path(os.environ.get("ARCHER_RUNS_ROOT", "runs"))


def _number(value: object) -> float | None:
    """A float for numbers and numeric strings (NaN/inf kept: rules decide); None otherwise."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip():
        try:
            return float(value)
        except ValueError:
            return None
    return None


def normalize_history(
    raw: list[dict], notes: list[str], null_is_nan: bool = False
) -> list[dict[str, float]]:
    """Canonical names, numeric values, one row per step (the last wins), sorted by step.

    `null_is_nan`: archer's tracker writes a non-finite value as JSON null (JSON has no NaN), so in
    its metrics.jsonl a null means NaN; elsewhere (W&B exports) a null only means "not logged".
    """
    have_steps = [row_step(r) is not None for r in raw]
    if raw and not any(have_steps):
        notes.append("no step column: rows numbered 1..N in file order")
        raw = [{**r, "step": i + 1} for i, r in enumerate(raw)]
    elif not all(have_steps):
        notes.append(f"skipped {have_steps.count(False)} rows without a step")
    by_step: dict[int, dict[str, float]] = {}
    order: list[int] = []
    non_numeric: set[str] = set()
    for r in raw:
        step = row_step(r)
        if step is None:
            continue
        row: dict[str, float] = {}
        for key, value in canonicalize(r).items():
            if key in ("step", "_step", "global_step", "_runtime", "_timestamp"):
                continue
            number = math.nan if value is None and null_is_nan else _number(value)
            if number is None:
                if value is not None and value != "":
                    non_numeric.add(key)
                continue
            row[key] = number
        order.append(step)
        by_step.setdefault(step, {}).update(row)
    if len(order) != len(by_step):
        notes.append(
            f"{len(order) - len(by_step)} repeated steps merged (a later row wins per metric)"
        )
    if order != sorted(order):
        notes.append("rows were out of step order: sorted by step")
    if non_numeric:
        notes.append(f"ignored non-numeric columns: {', '.join(sorted(non_numeric)[:8])}")
    bad = sum(1 for row in by_step.values() for v in row.values() if not math.isfinite(v))
    if bad:
        notes.append(f"{bad} NaN/inf values left out of trends (checked for nan_loss)")
    return [{"step": float(s), **by_step[s]} for s in sorted(by_step)]


def read_jsonl(path: Path, notes: list[str]) -> list[dict]:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as e:
        raise DiagnoseInputError(f"cannot read {path}: {e.strerror}") from None
    rows: list[dict] = []
    bad_lines: list[int] = []
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            if i == last:
                notes.append(f"skipped a truncated last line ({path.name}:{i + 1})")
            else:
                bad_lines.append(i + 1)
            continue
        if isinstance(row, dict):
            rows.append(row)
        else:
            bad_lines.append(i + 1)
    if bad_lines:
        shown = ", ".join(map(str, bad_lines[:5]))
        notes.append(f"skipped {len(bad_lines)} unparseable lines in {path.name} (line {shown})")
    return rows


def _csv_key(key: str) -> str | None:
    """W&B's panel CSV export names columns `Step`, `<run> - <metric>`, `<run> - <metric>__MIN`."""
    key = (key or "").strip()
    if key.endswith(("__MIN", "__MAX")):
        return None
    if key.lower() in ("step", "_step"):
        return "step"
    return key.rsplit(" - ", 1)[-1] if " - " in key else key


def read_csv(path: Path) -> list[dict]:
    try:
        with path.open(newline="", encoding="utf-8", errors="replace") as f:
            rows = list(csv.DictReader(f))
    except (OSError, csv.Error) as e:
        raise DiagnoseInputError(f"cannot read CSV {path}: {e}") from None
    out = []
    for row in rows:
        clean = {}
        for key, value in row.items():
            name = _csv_key(key)
            if name is not None:
                clean[name] = value
        out.append(clean)
    return out


def read_json_or_parquet(path: Path) -> list[dict]:
    """A JSON array of rows (`history.to_json(orient="records")`) or a Parquet table."""
    if path.suffix.lower() == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise DiagnoseInputError(
                f"reading {path} needs pyarrow: pip install pyarrow (or export JSONL/CSV)"
            ) from None
        try:
            return [dict(r) for r in pq.read_table(path).to_pylist()]
        except Exception as e:
            raise DiagnoseInputError(f"cannot read Parquet {path}: {str(e)[:120]}") from None
    try:
        data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except json.JSONDecodeError as e:
        raise DiagnoseInputError(
            f"{path} is not valid JSON ({e.msg} at line {e.lineno}); for one row per line name it .jsonl"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("history"), list):
        data = data["history"]
    if not isinstance(data, list):
        raise DiagnoseInputError(f"{path}: expected a JSON array of metric rows")
    return [r for r in data if isinstance(r, dict)]


def read_config(run_dir: Path, notes: list[str]) -> dict:
    for name in ("config.json", "config.yaml", "config.yml"):
        path = run_dir / name
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
            if name.endswith(".json"):
                config = json.loads(text)
            else:
                import yaml

                config = yaml.safe_load(text)
        except Exception as e:  # a damaged config must not stop the diagnosis
            notes.append(f"ignored unreadable {name}: {str(e).splitlines()[0][:80]}")
            continue
        if isinstance(config, dict):
            return config
    return {}


def _flag(row: dict, name: str) -> bool | None:
    value = row.get(name)
    if value is None and isinstance(row.get("flags"), dict):
        value = row["flags"].get(name)
    if value is None:
        return None
    return bool(value)


def _columns(result: object, n: int) -> dict[str, list] | None:
    """Per-response flags from an inspection result, whatever its shape (columns, rows, objects)."""
    if isinstance(result, tuple) and result:
        result = result[0]  # (per-response, batch metrics)
    if isinstance(getattr(result, "flags", None), dict):
        result = result.flags  # archer.scoring.Inspections
    cols: dict[str, list] = {}
    for name in FLAGS:
        col = result.get(name) if isinstance(result, dict) else getattr(result, name, None)
        if col is not None and not isinstance(col, bool | int) and len(col) == n:
            cols[name] = [bool(x) for x in col]
    if cols:
        return cols
    rows = list(result) if isinstance(result, list | tuple) else []
    if len(rows) != n:
        return None
    for name in FLAGS:
        values = [r.get(name) if isinstance(r, dict) else getattr(r, name, None) for r in rows]
        if all(v is not None for v in values):
            cols[name] = [bool(v) for v in values]
    return cols or None


def _inspector():
    """The degeneracy detector: archer.scoring's, else the native one, else None."""
    try:
        from archer.scoring import inspect_texts  # type: ignore[attr-defined]

        return inspect_texts
    except ImportError:
        pass
    try:
        from archer.scoring import inspect  # type: ignore[attr-defined]

        if callable(inspect):
            return inspect
    except ImportError:
        pass
    try:
        from archer._native import inspect_texts as native  # type: ignore[attr-defined]

        return native
    except ImportError:
        return None


def _inspect_responses(texts: list[str], notes: list[str]) -> dict[str, list] | None:
    """Degeneracy flags for rollout samples written without them (None: no detector)."""
    inspect_fn = _inspector()
    if inspect_fn is None:
        return None
    try:
        return _columns(inspect_fn(texts), len(texts))
    except Exception as e:  # a detector failure costs the sample findings, not the report
        notes.append(f"inspecting rollout samples failed: {str(e)[:80]}")
        return None


def read_rollouts(run_dir: Path, notes: list[str]) -> dict[int, list[dict]]:
    folder = run_dir / "rollouts"
    if not folder.is_dir():
        return {}
    out: dict[int, list[dict]] = {}
    unflagged = 0
    for path in sorted(folder.glob("step_*.jsonl")):
        match = re.fullmatch(r"step_(\d+)\.jsonl", path.name)
        if not match:
            continue
        rows = []
        for raw in read_jsonl(path, notes):
            row = {name: _flag(raw, name) for name in FLAGS}
            row["response"] = str(raw.get("response", ""))[:_EXAMPLE_CHARS]
            full = str(raw.get("response", ""))
            if all(row[name] is None for name in FLAGS) and full:
                row["_full"] = full
            rows.append(row)
        pending = [r for r in rows if "_full" in r]
        if pending:
            cols = _inspect_responses([r.pop("_full") for r in pending], notes)
            if cols is None:
                unflagged += len(pending)
            else:
                for k, row in enumerate(pending):
                    row.update({name: col[k] for name, col in cols.items()})
        out[int(match.group(1))] = rows
    if unflagged:
        notes.append(
            f"{unflagged} rollout samples have no inspection flags and no detector is available: "
            "sample-based findings skipped for them"
        )
    return out


def _history_file_run(path: Path, notes: list[str]) -> list[dict]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path)
    if suffix == ".parquet":
        return read_json_or_parquet(path)
    if suffix == ".json":
        head = path.read_text(encoding="utf-8", errors="replace")[:4096].lstrip()
        if head.startswith("[") or (head.startswith("{") and '"history"' in head):
            return read_json_or_parquet(path)
    return read_jsonl(path, notes)


def read_run_dir(run_dir: Path) -> RunData:
    notes: list[str] = []
    for name in ("metrics.jsonl", "history.jsonl", "metrics.csv", "history.csv"):
        path = run_dir / name
        if path.is_file():
            break
    else:
        raise DiagnoseInputError(
            f"run directory {run_dir} has no metrics.jsonl (or history.jsonl/metrics.csv): "
            "is it an archer run directory?"
        )
    raw = _history_file_run(path, notes)
    history = normalize_history(raw, notes, null_is_nan=path.name == "metrics.jsonl")
    if not history:
        raise DiagnoseInputError(f"{path} has no metric rows yet: nothing to diagnose")
    return RunData(
        name=run_dir.name,
        source=str(run_dir),
        history=history,
        config=read_config(run_dir, notes),
        rollouts=read_rollouts(run_dir, notes),
        notes=notes,
    )


def read_history_file(path: Path) -> RunData:
    if path.name in ("metrics.jsonl", "history.jsonl", "metrics.csv") and path.parent.is_dir():
        return read_run_dir(path.parent)
    notes: list[str] = []
    history = normalize_history(_history_file_run(path, notes), notes)
    if not history:
        raise DiagnoseInputError(
            f"{path} has no metric rows (expected JSONL objects or CSV rows with step + metrics)"
        )
    return RunData(name=path.stem, source=str(path), history=history, notes=notes)


def read_wandb(run_path: str) -> RunData:
    """History and config of a W&B run through the public API (needs network and a login)."""
    try:
        import wandb
    except ImportError:
        raise DiagnoseInputError(
            f"reading W&B run {run_path} needs the wandb package: pip install wandb"
        ) from None
    try:
        run = wandb.Api(timeout=30).run(run_path)
        raw = [dict(r) for r in run.scan_history()]
        config = dict(run.config or {})
        name = str(getattr(run, "name", None) or run_path.rsplit("/", 1)[-1])
    except Exception as e:
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
        raise DiagnoseInputError(
            f"cannot read W&B run {run_path}: {reason} (log in with `wandb login` or set "
            "WANDB_API_KEY, check the network, or pass an exported history JSONL/CSV instead)"
        ) from None
    notes: list[str] = []
    history = normalize_history(raw, notes)
    if not history:
        raise DiagnoseInputError(f"W&B run {run_path} has no logged history rows")
    return RunData(
        name=name, source=f"wandb:{run_path}", history=history, config=config, notes=notes
    )


def _check_known_metrics(run: RunData) -> RunData:
    """A history none of whose columns is a known metric is the wrong file, not a healthy run."""
    keys = {k for row in run.history for k in row if k != "step"}
    if not keys & set(ALIASES):
        found = ", ".join(sorted(keys)[:6]) or "none"
        raise DiagnoseInputError(
            f"{run.source} has no known training metrics (columns: {found}); expected verl/Archer "
            "names such as actor/entropy, critic/score/mean, batch/valid (see docs/diagnose.md)"
        )
    return run


def load_run(spec: str, runs_root: Path | None = None) -> RunData:
    """Resolve `spec` (file, directory, run id under the runs root, W&B path) and read it."""
    return _check_known_metrics(_load_run(spec, runs_root))


def _load_run(spec: str, runs_root: Path | None) -> RunData:
    root = runs_root if runs_root is not None else default_runs_root()
    path = Path(spec).expanduser()
    if path.is_file():
        return read_history_file(path)
    if path.is_dir():
        return read_run_dir(path)
    if (root / spec).is_dir():
        return read_run_dir(root / spec)
    if _WANDB_PATH.match(spec) and not path.suffix:
        return read_wandb(spec)
    known = sorted(p.name for p in root.iterdir() if p.is_dir())[:8] if root.is_dir() else []
    hint = f" (runs there: {', '.join(known)})" if known else ""
    raise DiagnoseInputError(
        f"no run '{spec}': not a file, not a directory, not a run id under {root}{hint}, "
        "and not a W&B path entity/project/run_id"
    )
