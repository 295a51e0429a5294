"""Render a Report: a rich terminal report and a Markdown post-mortem in the seeds' style."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from archer.diagnose.report import Report

VERDICT_STYLE = {
    "healthy": "bold green",
    "warning": "bold yellow",
    "collapsed": "bold red",
    "diverged": "bold magenta",
}
SEVERITY_STYLE = {"info": "dim", "warning": "yellow", "critical": "bold red"}
# the trend-table cells a finding is about (bold in the Markdown post-mortem, as the seeds do)
FINDING_METRICS = {
    "entropy_collapse": ("actor/entropy",),
    "entropy_explosion": ("actor/entropy",),
    "entropy_oscillation": ("actor/entropy",),
    "shortcut_guessing": ("response_length/pos/mean", "token/pos_logical_connectives"),
    "response_length_collapse": ("response_length/mean",),
    "valid_collapse": ("batch/valid", "batch/solve_none"),
    "kl_spike": ("actor/kl_loss",),
    "grad_explosion": ("actor/grad_norm",),
    "slow_steps": ("timing_s/step",),
    "score_plateau": ("critic/score/mean",),
}
STATUS_STYLE = {"pass": "green", "breach": "red", "pending": "dim", "no_data": "dim"}


def fmt(value: object) -> str:
    """Numbers the way the seeds' tables print them (1539, 15.6, 0.054, 7.63)."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    v = float(value)
    if v != v:
        return "NaN"
    if v.is_integer() and abs(v) < 1e6:
        return str(int(v))
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def headline(report: Report) -> str:
    run = report.run
    preset = f", preset {report.preset}" if report.preset else ""
    return f"{run.name}: {len(run.history)} steps ({run.steps[0]}-{run.steps[-1]}){preset}"


def print_report(report: Report, console: Console | None = None) -> None:
    console = console or Console()
    console.rule(f"[bold]archer diagnose[/] {headline(report)}")
    style = VERDICT_STYLE[report.verdict]
    console.print(f"Verdict: [{style}]{report.verdict.upper()}[/]   source: {report.run.source}")

    if report.findings:
        table = Table(title="Findings", title_justify="left", show_lines=False)
        for col in ("Step", "Finding", "Severity", "What happened"):
            table.add_column(col, overflow="fold")
        for f in report.findings:
            sev = SEVERITY_STYLE[f.severity]
            table.add_row(str(f.step), f.kind, f"[{sev}]{f.severity}[/]", f.message)
        console.print(table)
    else:
        console.print("Findings: none: the curves look healthy.")

    trend = report.trend
    if trend["rows"]:
        table = Table(title="Trend at key steps", title_justify="left")
        table.add_column("Metric")
        for step in trend["steps"]:
            table.add_column(f"Step {step}", justify="right")
        table.add_column("Trend")
        for row in trend["rows"]:
            table.add_row(row["label"], *(fmt(v) for v in row["values"]), row["trend"])
        console.print(table)

    if report.criteria:
        table = Table(title=f"Monitoring criteria (preset {report.preset})", title_justify="left")
        for col in ("Metric", "Good", "Bad", "Value", "Status", "First breach"):
            table.add_column(col, overflow="fold")
        for c in report.criteria:
            where = f" @ {c['at_step']}" if c["at_step"] is not None else ""
            status = c["status"] + (" (ABANDON)" if c["abandon"] else "")
            table.add_row(
                c["metric"] + where,
                c["good"],
                c["bad"],
                fmt(c["value"]),
                f"[{STATUS_STYLE[c['status']]}]{status}[/]",
                fmt(c["first_breach_step"]),
            )
        console.print(table)

    if report.recommendations:
        console.print("[bold]Recommendations[/]")
        for i, rec in enumerate(report.recommendations, 1):
            console.print(
                f" {i}. {rec['text']} [dim]({', '.join(rec['because'])}; {rec['source']})[/]"
            )
    for f in report.findings:
        for example in f.evidence.get("examples", []) if isinstance(f.evidence, dict) else []:
            console.print(f"  [dim]{f.kind} example:[/] {example!r}")
    skipped = report.skipped + report.run.notes
    if skipped:
        console.print("[dim]Skipped / repaired: " + "; ".join(skipped) + "[/]")


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    return [line(header), line(["-" * max(3, len(h)) for h in header]), *map(line, rows)]


def markdown(report: Report) -> str:
    """A post-mortem in the seeds' style: field table, results summary, diagnosis, criteria, next."""
    run = report.run
    d = report.to_dict()
    lines = [f"# Run diagnosis: {run.name}", ""]
    fields = [
        ["Source", f"`{run.source}`"],
        ["Steps", f"{len(run.history)} ({run.steps[0]}-{run.steps[-1]})"],
        ["Preset", report.preset or "—"],
        ["Verdict", f"**{report.verdict}**"],
    ]
    fields += [[f"`{k}`", fmt(v)] for k, v in d["run"]["config"].items() if v is not None]
    lines += [*_md_table(["Field", "Value"], fields), ""]

    lines += [f"## {run.name} Results Summary ({len(run.history)} steps)", ""]
    trend = report.trend
    if trend["rows"]:
        header = ["Metric", *(f"Step {s}" for s in trend["steps"]), "Trend"]
        marked = {(m, f.step) for f in report.findings for m in FINDING_METRICS.get(f.kind, ())}
        rows = []
        for row in trend["rows"]:
            cells = [
                f"**{fmt(v)}**" if (row["metric"], s) in marked and v is not None else fmt(v)
                for s, v in zip(trend["steps"], row["values"])
            ]
            rows.append([row["label"], *cells, row["trend"]])
        lines += [*_md_table(header, rows), ""]

    lines += [f"### {run.name} Diagnosis", ""]
    if report.findings:
        lines += [
            f"- **{f.kind}** (step {f.step}, {f.severity}): {f.message}" for f in report.findings
        ]
    else:
        lines.append(
            "- No findings: entropy, score, valid groups, lengths, KL and grad norm look healthy."
        )
    examples = [(f.kind, e) for f in report.findings for e in f.evidence.get("examples", [])[:2]]
    if examples:
        lines += ["", "Example responses:", ""]
        lines += [f"- {kind}: `{e[:160]}`" for kind, e in examples]
    lines.append("")

    if report.criteria:
        lines += [f"## Monitoring Criteria (preset {report.preset})", ""]
        rows = [
            [
                f"`{c['metric']}`"
                + (f" @ step {c['at_step']}" if c["at_step"] is not None else ""),
                c["good"],
                c["bad"],
                fmt(c["value"]),
                c["status"] + (" (abandon)" if c["abandon"] else ""),
                fmt(c["first_breach_step"]),
            ]
            for c in report.criteria
        ]
        lines += _md_table(["Metric", "Good", "Bad", "Value", "Status", "First breach"], rows)
        lines.append("")

    if report.recommendations:
        lines += ["## Next Steps", ""]
        lines += [f"- {r['text']} _({r['source']})_" for r in report.recommendations]
        lines.append("")
    skipped = report.skipped + run.notes
    if skipped:
        lines += ["## Not Checked", ""] + [f"- {s}" for s in skipped] + [""]
    return "\n".join(lines)
