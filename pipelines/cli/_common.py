"""Shared pieces of the command line: the error-handling group and output helpers.

Every command group uses :class:`ErrorHandlingGroup`, so a project error
(:class:`qualquant.errors.QualquantError`) becomes one ``Error: ...`` line on stderr
and exit code 1, whichever subcommand raised it. An :class:`OSError` that no
project code turned into a project error (a file that cannot be opened or
written) is shown the same way, with its path and the system's reason. A
traceback is a bug.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import typer
from rich.cells import cell_len
from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from qualquant.errors import QualquantError

console = Console()
err_console = Console(stderr=True)

#: A column of :func:`fit_table`: (header, kind, justify, style).
Column = tuple[str, str, JustifyMethod, str]


class ErrorHandlingGroup(TyperGroup):
    """A click group that turns project errors (and stray OSErrors) into one ``Error:`` line."""

    # ctx is the click Context that typer bundles, which has no public name in typer.
    def invoke(self, ctx: Any) -> Any:  # click API
        try:
            return super().invoke(ctx)
        except QualquantError as exc:  # first: project errors that are also OSErrors keep their message
            _fail(str(exc), exc)
        except OSError as exc:
            _fail(os_error_message(exc), exc)


def os_error_message(exc: OSError) -> str:
    """``"<path>: <reason>. Check the path ..."`` for an operating-system error."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    where = " -> ".join(paths)
    return (
        f"{where}: {reason}." if where else f"{reason}."
    ) + " Check the path and its permissions, or choose another --out path."


def _fail(message: str, exc: BaseException) -> None:
    message = " ".join(message.split("\n")).strip() or type(exc).__name__
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


def _cell_width(text: Text) -> int:
    return max((cell_len(line) for line in text.plain.split("\n")), default=0)


def _pack_words(text: str, width: int) -> str:
    """Put the words of ``text`` on lines of at most ``width`` cells (a longer word keeps its own line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and cell_len(lines[-1]) + 1 + cell_len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def fit_table(
    title: str | None,
    columns: Sequence[Column],
    rows: Iterable[Sequence[object]],
    *,
    show_lines: bool = False,
    width: int | None = None,
) -> Table:
    """A rich table whose figures stay whole at any console width.

    Parameters
    ----------
    title : str or None
    columns : sequence of (header, kind, justify, style)
        ``kind`` ``"fixed"`` (figures, verdicts: never wrapped or cut, at
        least as wide as their widest cell) or ``"wrap"`` (labels, long text:
        folded onto more lines when the console is narrow).
    rows : iterable of sequences
        Cells; a :class:`rich.text.Text` is kept (with its styles), anything
        else is shown as plain text (no markup, so ``[NAME_1]`` stays as is).
    show_lines : bool
        Lines between rows.
    width : int, optional
        Console width to fit (default: :data:`console`'s width).

    Returns
    -------
    rich.table.Table

    Notes
    -----
    When the table is wider than the console, the headers of fixed columns
    are broken between words down to the width of their widest cell (or
    longest word), fixed columns are marked ``no_wrap`` with that minimum
    width, and only the ``wrap`` columns give up width. Rich would otherwise
    shrink every column alike and show figures as ``…``.
    """
    width = console.width if width is None else width
    cells = [[c if isinstance(c, Text) else Text("" if c is None else str(c)) for c in row] for row in rows]
    widest = [max((_cell_width(row[j]) for row in cells), default=0) for j in range(len(columns))]
    natural = sum(max(cell_len(h), w) + 3 for (h, *_), w in zip(columns, widest)) + 1
    narrow = natural > width
    table = Table(title=title or None, show_lines=show_lines)
    for (header, kind, justify, style), w in zip(columns, widest):
        if kind == "fixed":
            longest_word = max((cell_len(word) for word in header.split()), default=0)
            shown = _pack_words(header, max(w, longest_word)) if narrow else header
            table.add_column(shown, justify=justify, style=style or None, no_wrap=True, min_width=w)
        else:
            table.add_column(header, justify=justify, style=style or None, overflow="fold")
    for row in cells:
        table.add_row(*row)
    return table
