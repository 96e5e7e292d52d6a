"""``qualquant quant check``: recompute reported p values (statcheck rules).

:func:`register` adds the ``check`` command to the ``quant`` sub-application.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import typer
from rich.text import Text

from qualquant.pipelines.cli._common import Column, console, fit_table
from qualquant.quant.render import format_p

__all__ = ["register", "parse_counts"]

_VERDICT_STYLE = {
    "consistent": "green",
    "inconsistent": "yellow",
    "gross_inconsistency": "bold red",
    "error": "magenta",
}
_COUNTS_RE = re.compile(r"^\s*(?P<name>.+?)\s*=\s*(?P<r>\d+)\s*[x×X,]\s*(?P<c>\d+)\s*$")


def parse_counts(values: list[str] | None) -> dict[str, tuple[int, int]] | None:
    """Turn ``["Employment status=9x5", "*=3x5"]`` into ``{name: (rows, cols)}``.

    Raises
    ------
    typer.BadParameter
        If a value is not of the form ``NAME=RxC``.
    """
    if not values:
        return None
    out: dict[str, tuple[int, int]] = {}
    for value in values:
        m = _COUNTS_RE.match(value)
        if not m:
            raise typer.BadParameter(
                f"{value!r} is not NAME=RxC; write e.g. --counts 'Employment status=9x5' "
                "(9 categories of the factor, 5 of the outcome) or --counts '*=3x5' for every chi-square",
                param_hint="--counts",
            )
        out[m.group("name")] = (int(m.group("r")), int(m.group("c")))
    return out


def _is_file(text: str) -> bool:
    """True if ``text`` names an existing file (long texts are never paths)."""
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def register(app: typer.Typer) -> None:
    """Add the ``check`` command to ``app`` (the ``quant`` sub-application)."""

    @app.command("check")
    def check(
        source: str = typer.Argument(
            ...,
            metavar="TEXT|FILE",
            help="Text with reported results (e.g. 'χ2(16) = 155.77, p = .406'), a CSV/TSV/XLSX table "
            "with statistic, df and p columns, a TXT/MD file, or '-' to read text from standard input.",
        ),
        counts: list[str] = typer.Option(
            None,
            "--counts",
            help="Category counts behind a chi-square test as NAME=RxC (NAME = the row's factor/label; "
            "'*' = every chi-square); repeatable. A df other than (R-1)(C-1) is flagged.",
        ),
        alpha: float = typer.Option(0.05, "--alpha", help="Significance level for gross inconsistencies."),
        n: int = typer.Option(None, "--n", help="Sample size for correlations reported without df (df = N - 2)."),
        out: Path = typer.Option(None, "--out", help="Also write the verdict table (.csv, .xlsx or .md)."),
    ) -> None:
        """Check reported statistics: recompute p and flag inconsistent results (statcheck rules)."""
        from qualquant.quant.check import check_reported

        counts_map = parse_counts(counts)
        if source == "-":
            target: object = sys.stdin.read()
        elif _is_file(source):
            target = Path(source)
        else:
            target = source
        result = check_reported(target, alpha=alpha, counts=counts_map, n=n)

        columns: list[Column] = [
            ("#", "fixed", "right", ""),
            ("Result", "wrap", "left", ""),
            ("Recomputed p", "fixed", "right", ""),
            ("Verdict", "fixed", "left", ""),
            ("Reason", "wrap", "left", ""),
        ]
        rows = []
        for i, row in enumerate(result.itertuples(index=False), start=1):
            label = f"{row.label}: " if isinstance(row.label, str) and row.label else ""
            shown = row.reported if isinstance(row.reported, str) else row.source
            rows.append(
                [
                    str(i),
                    f"{label}{shown}",
                    format_p(row.recomputed_p, style="sig3", missing=""),
                    Text(str(row.verdict), style=_VERDICT_STYLE.get(row.verdict, "")),
                    row.reason or "",
                ]
            )
        console.print(fit_table("Reported statistics, recomputed", columns, rows, show_lines=True))
        tally = result["verdict"].value_counts()
        summary = ", ".join(f"{tally[v]} {v}" for v in _VERDICT_STYLE if v in tally)
        console.print(f"{len(result)} result{'s' if len(result) != 1 else ''}: {summary}")
        if out is not None:
            from qualquant.io import write_table

            written = write_table(result, out)
            console.print(f"Written: {written if written is not None else out}")
