"""`archer train` and `archer presets`, registered onto the `archer` app by archer.cli.

Configuration is resolved (preset, then --config file, then flags, then --set overrides, in that
order) and validated before anything heavy is imported, so a bad value fails at once.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from archer.config import Config, ConfigError, apply_overrides, diff, load_file, merge, validate

KEY_METRICS = (
    ("critic/score/mean", "score"),
    ("actor/entropy", "entropy"),
    ("actor/pg_loss", "pg_loss"),
    ("actor/kl_loss", "kl"),
    ("actor/grad_norm", "grad"),
    ("response_length/mean", "len"),
    ("batch/solve_none", "none"),
    ("batch/valid", "valid"),
    ("timing_s/step", "s/step"),
)


def resolve_config(
    preset: str,
    *,
    config_file: Path | None = None,
    model: str | None = None,
    data: list[str] | None = None,
    steps: int | None = None,
    output: Path | None = None,
    run_id: str | None = None,
    stop_on_abandon: bool = False,
    quiet: bool = False,
    overrides: list[str] | None = None,
) -> Config:
    """The run's full config from a preset and the command line (raises ConfigError)."""
    from archer.presets import get_preset

    try:
        cfg = get_preset(preset).config
    except KeyError as exc:
        raise ConfigError(str(exc.args[0])) from None
    if config_file is not None:
        cfg = merge(cfg, load_file(config_file))
    flags: list[str] = []
    if model is not None:
        flags.append(f"model.path={json.dumps(model)}")
    if data:
        flags.append(f"data.train_files={json.dumps(list(data))}")
    if steps is not None:
        flags.append(f"trainer.total_steps={steps}")
    if output is not None:
        flags.append(f"trainer.output_dir={json.dumps(str(output))}")
    if run_id is not None:
        flags.append(f"trainer.run_id={json.dumps(run_id)}")
    if stop_on_abandon:
        flags.append("guard.stop_on_abandon=true")
    if quiet:
        flags.append("tracking.quiet=true")
    return apply_overrides(cfg, flags + list(overrides or []))


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class _Display:
    """Rich progress bar + one line of key metrics per step; plain lines in quiet mode."""

    def __init__(self, cfg: Config, first_step: int) -> None:
        from rich.console import Console

        self.quiet = cfg.tracking.quiet
        self.total = cfg.trainer.total_steps
        self.console = Console(stderr=False, highlight=False)
        self.progress = None
        if not self.quiet:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("[bold]step {task.completed}/{task.total}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self.task = self.progress.add_task("train", total=self.total, completed=first_step)
            self.progress.start()

    def event(self, message: str) -> None:
        if self.quiet:
            print(message, flush=True)
        else:
            self.console.print(f"[yellow]{message}[/yellow]")

    def step(self, step: int, metrics: dict, guard_results: list) -> None:
        parts = [f"{label}={_fmt(metrics.get(name))}" for name, label in KEY_METRICS]
        breaches = sum(1 for r in guard_results if r.breached)
        line = f"step {step}/{self.total} " + " ".join(parts)
        if breaches:
            line += f" breaches={breaches}"
        if self.quiet:
            print(line, flush=True)
        else:
            self.console.print(line)
            self.progress.update(self.task, completed=step)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def train(
    preset: str = typer.Option("smoke", "--preset", "-p", help="preset name (archer presets)"),
    config_file: Path | None = typer.Option(None, "--config", help="JSON/TOML file of overrides"),
    model: str | None = typer.Option(None, "--model", help="local Hugging Face model directory"),
    data: list[str] | None = typer.Option(None, "--data", help="train file(s): parquet/JSONL"),
    steps: int | None = typer.Option(None, "--steps", help="total training steps"),
    output: Path | None = typer.Option(None, "--output", help="runs directory (default runs/)"),
    run_id: str | None = typer.Option(None, "--run-id", help="run directory name"),
    resume: Path | None = typer.Option(
        None, "--resume", help="continue this run directory from its latest checkpoint"
    ),
    stop_on_abandon: bool = typer.Option(
        False, "--stop-on-abandon", help="end the run (with a checkpoint) on an 'Abandon if'"
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="plain log lines, no live display"),
    overrides: list[str] | None = typer.Option(None, "--set", help="override: a.b=value"),
    nproc: int | None = typer.Option(
        None, "--nproc", help="ranks on this node (default: one per GPU; 1 on CPU)"
    ),
    nnodes: int = typer.Option(1, "--nnodes", help="nodes in the run (same command on each)"),
    node_rank: int | None = typer.Option(
        None, "--node-rank", help="this node's index, 0 = the rendezvous host"
    ),
    rdzv_endpoint: str | None = typer.Option(
        None, "--rdzv-endpoint", help="HOST:PORT of node 0 (multi-node)"
    ),
) -> None:
    """Train with GRPO: rollout, native scoring, PPO update, metrics, guardrails, checkpoints.

    On a GPU machine it starts one rank per GPU itself; under torchrun or srun it runs its rank."""
    try:
        if resume is not None:
            if not (resume / "config.json").is_file():
                raise ConfigError(f"--resume {resume}: no config.json there (not a run directory)")
            base = validate(json.loads((resume / "config.json").read_text()))
            cfg = resolve_config_from(base, steps, stop_on_abandon, quiet, overrides)
        else:
            cfg = resolve_config(
                preset,
                config_file=config_file,
                model=model,
                data=data,
                steps=steps,
                output=output,
                run_id=run_id,
                stop_on_abandon=stop_on_abandon,
                quiet=quiet,
                overrides=overrides,
            )
        from archer.train.model_path import resolve_model_path

        if cfg.model.path or cfg.model.intended not in ("tiny", "tiny-char"):
            resolve_model_path(cfg)  # a missing model fails now, not after minutes of set-up
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None

    # [scale-out] start one rank per device unless a launcher (torchrun, srun) already did
    from archer.train.launch import LaunchError, launch, plan_launch

    try:
        plan = plan_launch(nproc, nnodes, node_rank, rdzv_endpoint)
        if plan is not None and cfg.trainer.train_batch_size % plan.world_size:
            raise LaunchError(
                f"trainer.train_batch_size={cfg.trainer.train_batch_size} prompts cannot be dealt "
                f"evenly to {plan.world_size} ranks: pick a multiple of {plan.world_size} or "
                "another --nproc"
            )
    except LaunchError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if plan is not None:
        import sys

        raise typer.Exit(launch(plan, ["-m", "archer.cli", *sys.argv[1:]]))

    from archer.data import DataError
    from archer.train.dist import init_distributed, shutdown_distributed
    from archer.train.loop import run_training

    ctx = init_distributed(cfg.trainer.device)
    display = _Display(cfg, 0) if ctx.is_main else None  # only rank 0 talks
    try:
        result = run_training(
            cfg,
            ctx=ctx,
            resume_dir=resume,
            on_step=display.step if display else None,
            on_event=display.event if display else None,
        )
    except (ConfigError, DataError) as exc:
        if display:
            display.close()
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        shutdown_distributed()
    if display is None:
        return
    display.close()
    typer.echo(
        f"run {result.run_dir}: {result.stopped} at step {result.last_step}; "
        f"metrics in {result.run_dir / 'metrics.jsonl'}"
    )
    if result.stopped == "abandoned":
        raise typer.Exit(3)


def resolve_config_from(base: Config, steps, stop_on_abandon, quiet, overrides) -> Config:
    flags = []
    if steps is not None:
        flags.append(f"trainer.total_steps={steps}")
    if stop_on_abandon:
        flags.append("guard.stop_on_abandon=true")
    if quiet:
        flags.append("tracking.quiet=true")
    return apply_overrides(base, flags + list(overrides or []))


presets_app = typer.Typer(
    help="List the presets, show one, or diff two.", invoke_without_command=True
)


@presets_app.callback()
def presets_list(ctx: typer.Context) -> None:
    """List the presets (v0..v5 from the seeds, smoke, toy)."""
    if ctx.invoked_subcommand is not None:
        return
    from archer.presets import PRESETS

    typer.echo(
        f"{'preset':<7} {'model':<16} {'resp len':>8} {'entropy':>8} {'kl':>6} {'steps':>5}  summary"
    )
    for name, p in PRESETS.items():
        c = p.config
        kl = c.algo.kl_loss_coef if c.algo.use_kl_loss else 0.0
        typer.echo(
            f"{name:<7} {c.model.intended:<16} {c.rollout.max_response_length:>8} "
            f"{_fmt(c.algo.entropy_coeff):>8} {_fmt(kl):>6} {c.trainer.total_steps:>5}  {p.summary}"
        )


@presets_app.command("diff")
def presets_diff(a: str, b: str) -> None:
    """What differs between two presets."""
    from archer.presets import get_preset

    try:
        pa, pb = get_preset(a), get_preset(b)
    except KeyError as exc:
        typer.echo(f"error: {exc.args[0]}", err=True)
        raise typer.Exit(2) from None
    rows = diff(pa.config, pb.config)
    width = max((len(k) for k, _, _ in rows), default=10)
    typer.echo(f"{'field':<{width}}  {a:>14}  {b:>14}  source ({b})")
    for key, va, vb in rows:
        typer.echo(f"{key:<{width}}  {_fmt(va):>14}  {_fmt(vb):>14}  {pb.sources.get(key, '')}")


@presets_app.command("show")
def presets_show(name: str) -> None:
    """A preset's full config (JSON), its value sources and monitoring criteria."""
    from archer.presets import get_preset

    try:
        p = get_preset(name)
    except KeyError as exc:
        typer.echo(f"error: {exc.args[0]}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(p.config.to_dict(), indent=2))
    typer.echo("\nsources:")
    for key, src in p.sources.items():
        typer.echo(f"  {key}: {src}")
    typer.echo("\nmonitoring criteria:")
    for c in p.criteria or ():
        typer.echo(f"  {'ABANDON ' if c.abandon else ''}{c.describe()}  [{c.source}]")
    if not p.criteria:
        typer.echo("  (none)")


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.add_typer(presets_app, name="presets")
