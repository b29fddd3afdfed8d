"""The ``filter`` command line (typer).

Commands live in submodules, each owning one area; they register on ``app`` at import:
``clean``/``inspect`` (``filter.cli.clean``), ``train``/``bench``
(``filter.cli.train``), ``evaluate`` (``filter.cli.evaluate``), ``data build``/``data stats`` (``filter.cli.data``),
``review`` (``filter.cli.review``).
"""
from __future__ import annotations

import sys

import typer

app = typer.Typer(
    name="filter",
    help="Find and remove injected promotion (judi online) and scraper boilerplate in Indonesian news text.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: no "<bool>" metavar on flags, no markup to escape
)


def _version(value: bool) -> None:
    if value:
        from filter import __version__

        typer.echo(f"filter {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Find and remove injected promotion (judi online) and scraper boilerplate in Indonesian news text."""


class UserError(Exception):
    """A mistake by the user (missing file, unknown format...): one line on stderr, exit 2."""


def fail(message: str, code: int = 2) -> "typer.Exit":
    """Print one clear error line on stderr and return an Exit to raise."""
    typer.echo(f"filter: error: {message}", err=True)
    return typer.Exit(code)


def _plain_help(typer_app: typer.Typer) -> None:
    """Command help from docstrings without reST literal markup (``--x`` is shown as --x)."""
    import inspect

    for info in typer_app.registered_commands:
        doc = info.help if info.help is not None else inspect.getdoc(info.callback)
        if doc:
            info.help = doc.replace("``", "")
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _plain_help(group.typer_instance)


def _register() -> None:
    import importlib

    for name in ("clean", "data", "train", "evaluate", "review"):   # each module registers its commands
        importlib.import_module(f"filter.cli.{name}")
    _plain_help(app)


_register()


def main() -> None:
    try:
        app()
    except UserError as exc:
        typer.echo(f"filter: error: {exc}", err=True)
        sys.exit(2)
