"""Shared pieces of the command line: the error-handling group and output helpers.

Every command group uses :class:`ErrorHandlingGroup`, so a project error
(:class:`quant.errors.QualquantError`) becomes one ``Error: ...`` line on stderr
and exit code 1, whichever subcommand raised it. A traceback is a bug.
"""

from __future__ import annotations

import typer
from rich.console import Console
from typer.core import TyperGroup

from quant.errors import QualquantError

console = Console()
err_console = Console(stderr=True)


class ErrorHandlingGroup(TyperGroup):
    """A click group that turns project errors into one ``Error:`` line."""

    def invoke(self, ctx):  # noqa: D401 - click API
        try:
            return super().invoke(ctx)
        except QualquantError as exc:
            message = " ".join(str(exc).split("\n")).strip() or type(exc).__name__
            typer.echo(f"Error: {message}", err=True)
            raise typer.Exit(1) from None


def make_app(help_text: str) -> typer.Typer:
    """Return a Typer sub-application that uses the error-handling group."""
    return typer.Typer(
        help=help_text,
        cls=ErrorHandlingGroup,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
