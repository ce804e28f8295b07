"""`phonofilm serve | worker | keys | usage`: the API server, its workers, API keys and usage.

`register(app)` adds the commands to the main CLI. `python -m phonofilm.cli.serve ...` runs them
on their own (serve uses it to start its embedded worker processes).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import typer

from phonofilm.cli.common import user_errors

HOME = typer.Option(None, "--home", help="Data directory (default: $PHONOFILM_HOME or ~/.local/share/phonofilm).")
DB = typer.Option(None, "--db", help="Database URL, e.g. postgresql://user@host/db (default: SQLite in --home).")
GENERATOR = typer.Option(None, "--generator", help="'default' (the shipped model), 'checkpoint:PATH' or 'oracle[:k=v,...]' (default: $PHONOFILM_GENERATOR or 'default').")


def _settings(home: Path | None, db: str | None, generator: str | None = None, **more: object):
    from phonofilm.server.settings import Settings

    with user_errors():
        return Settings.from_env(home=home, database_url=db, generator=generator, **more)


def _store(home: Path | None, db: str | None):
    from phonofilm.server.store import Store

    store = Store(_settings(home, db).db_url)
    store.create_all()
    return store


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=0, help="Worker processes to start beside the API (0: run them elsewhere)."),
    no_auth: bool = typer.Option(False, "--no-auth", help="Accept requests without an API key (local use only)."),
    home: Path | None = HOME,
    db: str | None = DB,
    generator: str | None = GENERATOR,
) -> None:
    """Start the OpenAI-compatible Videos API and its workers; stop with Ctrl-C."""
    import uvicorn

    from phonofilm.server.app import create_app

    settings = _settings(home, db, generator, auth=False if no_auth else None)
    app = create_app(settings)
    children = [_spawn_worker(settings) for _ in range(workers)]
    if settings.auth and not _has_keys(settings):
        typer.echo("no API keys yet: create one with `phonofilm keys create --name NAME`", err=True)
    typer.echo(f"phonofilm API on http://{host}:{port}/v1 (data in {settings.home}, {workers} worker(s))", err=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def _spawn_worker(settings) -> subprocess.Popen:
    """A worker process with the same settings (passed through the environment)."""
    env = {**os.environ, "PHONOFILM_HOME": str(settings.home), "PHONOFILM_DATABASE_URL": settings.database_url,
           "PHONOFILM_GENERATOR": settings.generator}
    return subprocess.Popen([sys.executable, "-m", "phonofilm.cli.serve", "worker"], env=env)


def _has_keys(settings) -> bool:
    from phonofilm.server.keys import list_keys
    from phonofilm.server.store import Store

    return any(k.revoked_at is None for k in list_keys(Store(settings.db_url)))


def worker(
    home: Path | None = HOME,
    db: str | None = DB,
    generator: str | None = GENERATOR,
    max_jobs: int | None = typer.Option(None, min=1, help="Exit after this many jobs."),
) -> None:
    """Run a worker: load the generator once, then claim and run jobs from the store until stopped."""
    from phonofilm.server.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = _settings(home, db, generator)
    with user_errors():
        run_worker(settings, max_jobs)


keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


@keys_app.command("create")
def keys_create(
    name: str = typer.Option(..., "--name", help="Who or what the key is for."),
    rate_limit: int | None = typer.Option(None, "--rate-limit", min=0, help="Requests per minute (0: unlimited)."),
    home: Path | None = HOME,
    db: str | None = DB,
) -> None:
    """Create a key and print its secret (shown only this once)."""
    from phonofilm.server.keys import create_key

    with user_errors():
        key, secret = create_key(_store(home, db), name, rate_limit)
    typer.echo(f"created {key.id} ({name}); its secret, shown only now:", err=True)
    typer.echo(secret)


@keys_app.command("list")
def keys_list(home: Path | None = HOME, db: str | None = DB) -> None:
    """List keys: id, name, secret prefix, state."""
    from phonofilm.server.keys import list_keys

    for key in list_keys(_store(home, db)):
        state = "revoked" if key.revoked_at else "active"
        typer.echo(f"{key.id}\t{key.name}\t{key.prefix}...\t{state}")


@keys_app.command("revoke")
def keys_revoke(key: str = typer.Argument(..., help="Key id or name."), home: Path | None = HOME,
                db: str | None = DB) -> None:
    """Revoke a key: its requests are refused from now on (its videos stay)."""
    from phonofilm.cli.common import UserError
    from phonofilm.server.keys import revoke_key

    revoked = revoke_key(_store(home, db), key)
    if not revoked:
        raise UserError(f"no active key with id or name {key!r} (see `phonofilm keys list`)")
    typer.echo("revoked " + ", ".join(revoked))


def usage(key: str | None = typer.Option(None, "--key", help="Only this key id."),
          home: Path | None = HOME, db: str | None = DB) -> None:
    """Print completed seconds and cost per key as JSON."""
    from phonofilm.server.usage import usage_all, usage_for

    store = _store(home, db)
    report = {key: usage_for(store, key)} if key else usage_all(store)
    typer.echo(json.dumps({k: v.model_dump() for k, v in report.items()}, indent=2))


def register(app: typer.Typer) -> None:
    """Add serve, worker, keys and usage to the `phonofilm` command."""
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.add_typer(keys_app, name="keys")
    app.command("usage")(usage)


def _main() -> None:
    """Run these commands alone (`python -m phonofilm.cli.serve ...`): one-line errors, exit status 2."""
    import click

    from phonofilm.cli.common import UserError

    app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False)
    register(app)
    try:
        app(standalone_mode=False)
    except UserError as err:
        typer.secho(f"error: {err}", fg="red", err=True)
        sys.exit(2)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)


if __name__ == "__main__":
    _main()
