"""`archer diagnose RUN1 RUN2 ...`: the seeds' "Complete Hyperparameter Search Summary" table."""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.table import Table

from archer.diagnose.render import _md_table, fmt
from archer.diagnose.report import Report
from archer.diagnose.series import config_value, flatten, series

ALWAYS = ("entropy_coeff", "kl_loss_coef")
MAX_EXTRA_COLUMNS = 3
_NOISY = ("name", "dir", "path", "id", "time", "date", "seed", "project", "entity", "preset")
ENTROPY_STEP = 100
# the finding that names the outcome, most decisive first
OUTCOME = (
    ("nan_loss", "Diverged (NaN loss) at step {step}"),
    ("valid_collapse", "Collapsed at step {step}"),
    ("entropy_collapse", "Entropy collapsed at step {step}"),
    ("shortcut_guessing", "High score via shortcut guessing"),
    ("entropy_explosion", "Too random (entropy {max})"),
    ("grad_explosion", "Unstable gradients from step {step}"),
    ("entropy_oscillation", "Unstable entropy"),
    ("score_plateau", "Score plateau"),
)


def _config_columns(reports: list[Report]) -> list[str]:
    flats = [flatten(r.run.config) for r in reports]
    keys: list[str] = []
    for key in sorted(set().union(*flats)):
        leaf = key.rsplit(".", 1)[-1]
        if leaf in ALWAYS or any(n in key.lower() for n in _NOISY):
            continue
        values = {repr(f.get(key)) for f in flats}
        if len(values) > 1 and leaf not in keys:
            keys.append(leaf)
    return [*ALWAYS, *keys[:MAX_EXTRA_COLUMNS]]


def outcome(report: Report) -> str:
    by_kind = {f.kind: f for f in report.findings}
    for kind, text in OUTCOME:
        f = by_kind.get(kind)
        if f is not None and (kind != "nan_loss" or f.severity == "critical"):
            return text.format(step=f.step, max=fmt(f.evidence.get("max")))
    return "Healthy" if report.verdict == "healthy" else report.verdict.capitalize()


def summary_row(report: Report, columns: list[str]) -> dict[str, str]:
    run = report.run
    row = {"Version": run.name}
    for col in columns:
        row[col] = fmt(config_value(run.config, col))
    score, entropy, valid = (
        series(run.history, m) for m in ("critic/score/mean", "actor/entropy", "batch/valid")
    )
    peak_step = None
    if len(score):
        i = int(np.argmax(score.smooth))
        peak_step = int(score.steps[i])
        row["Score@peak"] = f"{fmt(float(score.values[i]))} @ {peak_step}"
    else:
        row["Score@peak"] = "—"
    osc = next((f for f in report.findings if f.kind == "entropy_oscillation"), None)
    if osc is not None:
        row["Entropy@~100"] = f"{fmt(osc.evidence['min'])}-{fmt(osc.evidence['max'])} (oscillating)"
    else:
        row["Entropy@~100"] = fmt(entropy.at(ENTROPY_STEP))
    if len(valid) and peak_step is not None:
        at_peak, start = valid.at(peak_step), valid.baseline
        row["Valid@peak"] = (
            f"{fmt(start)}→{fmt(at_peak)}"
            if at_peak is not None and (at_peak < start / 2 or at_peak > start * 2)
            else fmt(at_peak)
        )
    else:
        row["Valid@peak"] = "—"
    row["Outcome"] = outcome(report)
    return row


def comparison(reports: list[Report]) -> dict:
    """`{"columns": [...], "rows": [{column: text}]}`, one row per run, in the order given."""
    columns = _config_columns(reports)
    rows = [summary_row(r, columns) for r in reports]
    header = ["Version", *columns, "Score@peak", "Entropy@~100", "Valid@peak", "Outcome"]
    return {"columns": header, "rows": rows}


def print_comparison(table: dict, console: Console | None = None) -> None:
    console = console or Console()
    t = Table(title="Complete Hyperparameter Search Summary", title_justify="left")
    for col in table["columns"]:
        t.add_column(col.replace("_", "_\n"), overflow="fold")  # narrow headers, not cut ones
    for row in table["rows"]:
        t.add_row(*(row[c] for c in table["columns"]))
    console.print(t)


def comparison_markdown(table: dict) -> str:
    rows = [[row[c] for c in table["columns"]] for row in table["rows"]]
    return "\n".join(
        ["## Complete Hyperparameter Search Summary", "", *_md_table(table["columns"], rows), ""]
    )
