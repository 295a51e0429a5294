"""`--plot FILE.png`: the six panels an expert reads first, with the findings marked where they begin."""

from __future__ import annotations

from pathlib import Path

from archer.diagnose.report import Report
from archer.diagnose.series import series

# (title, metrics drawn, findings marked on it)
PANELS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "Entropy",
        ("actor/entropy",),
        ("entropy_collapse", "entropy_explosion", "entropy_oscillation"),
    ),
    (
        "Score",
        ("critic/score/mean",),
        ("shortcut_guessing", "score_plateau"),
    ),
    (
        "Valid / solve_none groups",
        ("batch/valid", "batch/solve_none", "batch/solve_all"),
        ("valid_collapse",),
    ),
    (
        "Response length",
        ("response_length/mean", "response_length/pos/mean"),
        ("response_length_collapse", "length_saturation", "shortcut_guessing"),
    ),
    ("KL loss", ("actor/kl_loss",), ("kl_spike",)),
    ("Grad norm", ("actor/grad_norm",), ("grad_explosion", "nan_loss")),
)
_COLORS = {"critical": "#c0392b", "warning": "#d68910", "info": "#7f8c8d"}


def plot_report(report: Report, path: str | Path) -> list[str]:
    """Write the panels to `path` (PNG) and return the panel titles drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 2, figsize=(12, 10), sharex=True)
    titles = []
    for ax, (title, metrics, kinds) in zip(axes.flat, PANELS):
        drawn = False
        low, high = float("inf"), 0.0
        for metric in metrics:
            s = series(report.run.history, metric)
            if len(s):
                ax.plot(s.steps, s.values, lw=1.2, label=metric)
                drawn = True
                low, high = min(low, float(s.values.min())), max(high, float(s.values.max()))
        if title == "Response length" and drawn and low > 0 and high / low > 50:
            ax.set_yscale("log")  # a collapse from thousands of tokens to a handful
        if not drawn:
            ax.text(0.5, 0.5, "not logged", ha="center", va="center", transform=ax.transAxes)
        for f in report.findings:
            if f.kind in kinds:
                color = _COLORS[f.severity]
                ax.axvline(f.step, color=color, ls="--", lw=1)
                ax.annotate(
                    f"{f.kind}@{f.step}",
                    (f.step, 1.0),
                    xycoords=("data", "axes fraction"),
                    rotation=90,
                    va="top",
                    ha="right",
                    fontsize=7,
                    color=color,
                )
        if drawn and len(metrics) > 1:
            ax.legend(fontsize=7, loc="best")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        titles.append(title)
    for ax in axes[-1]:
        ax.set_xlabel("step")
    fig.suptitle(f"{report.run.name}: {report.verdict}")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=80)
    plt.close(fig)
    return titles
