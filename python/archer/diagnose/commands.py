"""CLI commands of this package, registered onto the `archer` app by archer.cli."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer


def _fail(message: str) -> None:
    typer.echo(f"archer diagnose: error: {message}", err=True)
    raise typer.Exit(2)


def diagnose(
    runs: list[str] = typer.Argument(
        ...,
        help="Run ids under the runs root, run directories, history files (.jsonl/.csv/.json/.parquet), or W&B "
        "paths entity/project/run_id. Two or more: also compare them.",
        show_default=False,
    ),
    runs_root: Path = typer.Option(
        None,
        "--runs-root",
        help="Where run ids are looked up (env ARCHER_RUNS_ROOT; default ./runs).",
    ),
    preset: str = typer.Option(
        None,
        "--preset",
        help="Check this preset's monitoring criteria (default: the run config's).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON report to stdout."),
    markdown_file: Path = typer.Option(
        None, "--markdown", help="Write a post-mortem in Markdown to this file."
    ),
    plot_file: Path = typer.Option(
        None, "--plot", help="Write the metric panels with the findings marked (PNG)."
    ),
) -> None:
    """Read a run like an expert: verdict, findings with steps, criteria, what to change next."""
    from archer.diagnose.compare import comparison, comparison_markdown, print_comparison
    from archer.diagnose.readers import DiagnoseInputError, load_run
    from archer.diagnose.render import markdown, print_report
    from archer.diagnose.report import SCHEMA_VERSION, build_report

    root = runs_root or Path(os.environ.get("ARCHER_RUNS_ROOT", "runs"))
    if preset is not None:
        from archer.criteria import PRESET_CRITERIA

        if preset not in PRESET_CRITERIA:
            _fail(
                f"unknown preset '{preset}' (presets with criteria: {', '.join(PRESET_CRITERIA)})"
            )
    reports = []
    for spec in runs:
        try:
            reports.append(build_report(load_run(spec, root), preset))
        except DiagnoseInputError as e:
            _fail(str(e))
    table = comparison(reports) if len(reports) > 1 else None

    if as_json:
        if table is None:
            payload = reports[0].to_dict()
        else:
            payload = {
                "schema_version": SCHEMA_VERSION,
                "runs": [r.to_dict() for r in reports],
                "comparison": table,
            }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for report in reports:
            print_report(report)
        if table is not None:
            print_comparison(table)

    try:
        if markdown_file is not None:
            text = "\n".join(markdown(r) for r in reports)
            if table is not None:
                text += "\n" + comparison_markdown(table)
            markdown_file.parent.mkdir(parents=True, exist_ok=True)
            markdown_file.write_text(text, encoding="utf-8")
        if plot_file is not None:
            from archer.diagnose.plot import plot_report

            try:
                import matplotlib  # noqa: F401
            except ImportError:
                _fail("--plot needs matplotlib: pip install 'archer-rl[plot]'")

            for report in reports:
                target = plot_file
                if len(reports) > 1:
                    target = plot_file.with_name(f"{plot_file.stem}-{report.run.name}.png")
                plot_report(report, target)
    except OSError as e:
        _fail(f"cannot write {e.filename}: {e.strerror}")


def register(app: typer.Typer) -> None:
    """Add `archer diagnose` to `app`."""
    app.command("diagnose")(diagnose)
