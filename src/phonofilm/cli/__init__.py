"""The `phonofilm` command: thin entry points over the library (demo, generate, train, eval, serve, world)."""

from __future__ import annotations

import sys

import typer

from phonofilm.cli.common import UserError
from phonofilm.cli.generate import demo, generate, train
from phonofilm.cli.world import app as world_app


def build_app() -> typer.Typer:
    """Assemble the command tree (built on call, never at import)."""
    app = typer.Typer(
        name="phonofilm",
        help=(
            "phonofilm — open joint video+audio generation.\n\n"
            "Generates video with synchronized sound from text, trained on a procedural world it renders "
            "itself. Start with `phonofilm demo`; `phonofilm world --help` renders ground-truth clips."
        ),
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    app.add_typer(world_app, name="world")
    app.command("demo")(demo)
    app.command("generate")(generate)
    app.command("train")(train)
    from phonofilm.cli.eval import register as register_eval
    from phonofilm.cli.serve import register as register_serve

    register_eval(app)
    register_serve(app)
    return app


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors print one clear line and exit 2, never a traceback."""
    app = build_app()
    try:
        app(args=argv, standalone_mode=False)
    except UserError as e:
        typer.secho(f"error: {e}", fg="red", err=True)
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        sys.exit(130)
    except Exception as e:  # click usage errors carry their own formatting
        import click

        if isinstance(e, click.ClickException):
            e.show()
            sys.exit(e.exit_code)
        raise
