"""The `archer` command. Each capability registers its own sub-commands from its package, so this
file only assembles them; heavy imports (torch, transformers) happen inside the commands."""

from __future__ import annotations

import typer

from archer import __version__

app = typer.Typer(
    name="archer",
    help="GRPO for math reasoning: train, score rollouts natively, diagnose runs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root() -> None:
    """GRPO for math reasoning: train, score rollouts natively, diagnose runs."""


@app.command()
def version() -> None:
    """Print the package and native-extension versions."""
    from archer import _native

    typer.echo(f"archer {__version__}")
    typer.echo(
        f"archer._native {_native.__version__} (threads available: {_native.default_threads()})"
    )


def _register_commands() -> None:
    from archer.diagnose.commands import register as register_diagnose
    from archer.scoring.commands import register as register_scoring
    from archer.train.commands import register as register_train

    register_scoring(app)
    register_train(app)
    register_diagnose(app)


_register_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
