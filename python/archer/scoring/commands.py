"""CLI commands of this package, registered onto the `archer` app by archer.cli.

`archer score FILE.jsonl`: verify every row's response against its ground truth with the native
verifier, write the rows with `correct`, `answer` and `status` added, and print a summary.
Every row is also inspected for degeneracy (archer.scoring.inspect): the flags `repetition`,
`gibberish`, `language_drift`, `shortcut`, `logical_connectives` and the detector scores are
added to each row and their rates to the summary. Rows without a ground truth (no truth field, or
null) get inspection only.
The flow is read -> verify (one native batch call) -> `scored_row` per row -> write; other
per-row fields belong in `scored_row`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from archer.jsonl import iter_json_objects
from archer.scoring.inspect import FLAGS, Inspections, inspect_texts
from archer.scoring.verify import STATUSES, BatchVerdicts, Verdict, verify_batch

# Inspection fields copied into each output row.
INSPECTION_FIELDS = (
    *FLAGS,
    "repetition_score",
    "repetition_copies",
    "gibberish_score",
    "foreign_share",
    "dominant_foreign_script",
    "words_before_answer",
    "logical_connectives",
    "repetition_ratio",
    "maximum_frequency",
)


class RowsError(ValueError):
    """A JSONL input file that cannot be scored; the message names the file, line and fix."""


def read_rows(path: Path, response_key: str, truth_key: str) -> list[dict[str, Any]]:
    """Rows of a JSONL file; every row must have a string `response_key` field. A row without
    `truth_key` (or with null) is kept for inspection only."""
    if not path.is_file():
        raise RowsError(f"{path}: no such file (pass a JSONL file with one object per line)")
    rows: list[dict[str, Any]] = []
    for lineno, row in iter_json_objects(path, RowsError):
        for key, flag in ((response_key, "--response-key"), (truth_key, "--truth-key")):
            if key == truth_key and row.get(key) is None:
                continue  # no ground truth: inspection only
            if key not in row:
                raise RowsError(
                    f"{path}: row {lineno}: missing key {key!r} (keys: {sorted(row)}); "
                    f"name the right field with {flag}"
                )
            if not isinstance(row[key], str):
                row[key] = "" if row[key] is None else str(row[key])
        rows.append(row)
    return rows


def scored_row(
    row: dict[str, Any], verdict: Verdict | None, inspection: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The output row for one input row: the input fields plus the verdict fields (`None` for a
    row without ground truth) and the inspection fields."""
    out = dict(row)
    out["correct"] = None if verdict is None else verdict.correct
    out["answer"] = None if verdict is None else verdict.extracted
    out["status"] = "no_ground_truth" if verdict is None else verdict.status
    for key in INSPECTION_FIELDS if inspection is not None else ():
        v = inspection[key]
        out[key] = round(v, 4) if isinstance(v, float) else v
    return out


def score_rows(
    rows: list[dict[str, Any]],
    response_key: str,
    truth_key: str,
    *,
    mode: str = "archer",
    threads: int = 0,
) -> tuple[list[dict[str, Any]], BatchVerdicts, float]:
    """Verify the rows with a ground truth and inspect every row; returns (output rows, verdicts
    of the rows with a ground truth, seconds spent verifying). The inspection is in
    `score_rows.last_inspection` for the summary."""
    with_truth = [i for i, r in enumerate(rows) if r.get(truth_key) is not None]
    start = time.perf_counter()
    verdicts = verify_batch(
        [rows[i][response_key] for i in with_truth],
        [rows[i][truth_key] for i in with_truth],
        mode=mode,  # type: ignore[arg-type]
        threads=threads,
    )
    seconds = time.perf_counter() - start
    inspection = inspect_texts([r[response_key] for r in rows], threads=threads)
    score_rows.last_inspection = inspection  # type: ignore[attr-defined]
    by_row: dict[int, Verdict] = {i: verdicts[k] for k, i in enumerate(with_truth)}
    out = [scored_row(r, by_row.get(i), inspection.row(i)) for i, r in enumerate(rows)]
    return out, verdicts, seconds


def _summary(path: Path, verdicts: BatchVerdicts, seconds: float, mode: str, out: Path | None):
    from rich.table import Table

    n = len(verdicts)
    table = Table(title=f"archer score {path.name} (mode={mode})", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    inspection: Inspections | None = getattr(score_rows, "last_inspection", None)
    table.add_row("responses", f"{n if inspection is None else len(inspection)}")
    if inspection is not None and len(inspection) > n:
        table.add_row("inspection only (no ground truth)", f"{len(inspection) - n}")
    if n:  # rows with a ground truth were verified
        table.add_row("accuracy", f"{verdicts.accuracy:.4f} ({int(verdicts.correct.sum())}/{n})")
        counts = verdicts.status_counts()
        for s in STATUSES:
            table.add_row(f"status {s}", f"{counts[s]} ({counts[s] / n:.1%})")
    if inspection is not None:
        m = inspection.metrics
        for f in FLAGS:
            table.add_row(f"{f} rate", f"{m[f'degeneracy/{f}_rate']:.1%}")
        table.add_row("logical_connectives (mean)", f"{m['token/logical_connectives']:.2f}")
        table.add_row("gibberish_score (mean)", f"{m['degeneracy/gibberish_score']:.3f}")
        table.add_row("repetition_ratio (mean)", f"{m['token/repetition_ratio']:.3f}")
    rate = n / seconds if seconds > 0 else float("inf")
    if n:
        table.add_row("verify time", f"{seconds * 1e3:.1f} ms")
        table.add_row("throughput", f"{rate:,.0f} responses/s")
    if out is not None:
        table.add_row("written to", str(out))
    return table


def score_command(
    file: Annotated[Path, typer.Argument(help="JSONL file, one row per response.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write scored rows (JSONL) here.")
    ] = None,
    response_key: Annotated[
        str, typer.Option("--response-key", help="Field holding the response text.")
    ] = "response",
    truth_key: Annotated[
        str, typer.Option("--truth-key", help="Field holding the ground-truth answer.")
    ] = "ground_truth",
    mode: Annotated[
        str, typer.Option("--mode", help="archer (full verifier) or math_dapo (verl-exact).")
    ] = "archer",
    threads: Annotated[int, typer.Option("--threads", help="Worker threads, 0 = all.")] = 0,
) -> None:
    """Verify each row's final answer against its ground truth and summarize."""
    from rich.console import Console

    console = Console()
    if mode not in ("archer", "math_dapo"):
        raise typer.BadParameter(f"--mode must be archer or math_dapo, got {mode!r}")
    if threads < 0:
        raise typer.BadParameter(f"--threads must be >= 0 (0 = all cores), got {threads}")
    try:
        rows = read_rows(file, response_key, truth_key)
    except RowsError as exc:
        console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(code=2) from None
    scored, verdicts, seconds = score_rows(
        rows, response_key, truth_key, mode=mode, threads=threads
    )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as f:
            for row in scored:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    console.print(_summary(file, verdicts, seconds, mode, out))


def register(app: typer.Typer) -> None:
    """Add this package's commands to `app`."""
    app.command(name="score")(score_command)
