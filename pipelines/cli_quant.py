"""``qualquant quant ...``: survey statistics from the command line.

Each command reads a survey file (``.sav``, ``.zsav``, ``.por``, ``.dta``,
``.csv``/``.xlsx`` with ``--codebook``), prints an SPSS-style table and, with
``--out FILE.csv|.xlsx|.md``, writes the full-precision tidy table (or, with
``--rendered``, the table as printed).
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import pandas as pd
import typer
from rich.table import Table

import quant
from quant.errors import StatisticInputError
from quant.render import (
    RenderedTable,
    render_alpha,
    render_association_table,
    render_correlation_matrix,
    render_crosstab,
    render_frequencies,
    render_measures,
    render_tests,
)
from pipelines.cli_common import console, make_app

app = make_app("Survey statistics: frequencies, crosstabs, association tables, correlations, reliability.")

FileArg = typer.Argument(..., help="Survey file: .sav, .zsav, .por, .dta, .csv or .xlsx.")
OutOpt = typer.Option(None, "--out", help="Write the table to FILE.csv, FILE.xlsx or FILE.md.")
WeightsOpt = typer.Option(None, "--weights", help="Frequency weight variable.")
CodebookOpt = typer.Option(None, "--codebook", help="Variable codebook for a .csv/.xlsx survey.")
RenderedOpt = typer.Option(False, "--rendered", help="With --out: write the table as printed, not the full-precision tidy table.")


def _load(path: Path, codebook: Optional[Path]) -> quant.Survey:
    return quant.read_survey(path, codebook=codebook)


def _print(rt: RenderedTable) -> None:
    table = Table(title=rt.title or None, show_lines=False)
    table.add_column(rt.table.index.name or "", style="bold", no_wrap=True)
    for c in rt.table.columns:
        table.add_column(str(c), justify="right")
    for idx, row in rt.table.iterrows():
        table.add_row(str(idx), *[str(v) for v in row.tolist()])
    console.print(table)
    for note in rt.footnotes:
        console.print(note, highlight=False, markup=False)


def _write(out: Optional[Path], tidy: pd.DataFrame, rendered: list[RenderedTable], as_rendered: bool) -> None:
    if out is None:
        return
    from pipelines.exports import write_table

    if as_rendered:
        frames = []
        for rt in rendered:
            f = rt.table.reset_index()
            if len(rendered) > 1:
                f.insert(0, "table", rt.title)
            frames.append(f)
        df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    else:
        df = tidy
    written = write_table(df, out)
    console.print(f"Wrote {written if written is not None else out}", highlight=False, markup=False)


@app.command("freq")
def freq_cmd(
    file: Path = FileArg,
    variables: List[str] = typer.Argument(..., help="One or more variables."),
    weights: Optional[str] = WeightsOpt,
    codebook: Optional[Path] = CodebookOpt,
    out: Optional[Path] = OutOpt,
    rendered: bool = RenderedOpt,
) -> None:
    """Frequency tables (SPSS FREQUENCIES) with valid, missing and cumulative percentages."""
    survey = _load(file, codebook)
    tidy, shown = [], []
    for var in variables:
        f = quant.frequencies(survey, var, weights=weights)
        rt = render_frequencies(f)
        _print(rt)
        shown.append(rt)
        f = f.copy()
        f.insert(0, "variable", var)
        tidy.append(f)
    _write(out, pd.concat(tidy, ignore_index=True), shown, rendered)


def _parse_scores(specs: List[str]) -> tuple[Optional[list[float]], Optional[list[float]]]:
    row = col = None
    for spec in specs:
        side, sep, values = spec.partition("=")
        side = side.strip().lower()
        if not sep or side not in ("row", "col"):
            raise StatisticInputError(f"--scores {spec!r}: write row=1,2,3 or col=0,0.5,1.5.")
        try:
            nums = [float(v) for v in values.split(",") if v.strip()]
        except ValueError:
            raise StatisticInputError(f"--scores {spec!r}: scores must be numbers separated by commas.") from None
        if side == "row":
            row = nums
        else:
            col = nums
    return row, col


@app.command("crosstab")
def crosstab_cmd(
    file: Path = FileArg,
    row: str = typer.Argument(..., help="Row variable."),
    col: str = typer.Argument(..., help="Column variable."),
    weights: Optional[str] = WeightsOpt,
    scores: List[str] = typer.Option([], "--scores", help="Linear-by-linear scores: row=1,2,3 and/or col=0,0.5,1.5 (repeatable)."),
    exact: bool = typer.Option(False, "--exact", help="Fisher-Freeman-Halton exact test for tables larger than 2x2."),
    percent: str = typer.Option("row", "--percent", help="Percentages shown: row, col, total or none."),
    codebook: Optional[Path] = CodebookOpt,
    out: Optional[Path] = OutOpt,
    rendered: bool = RenderedOpt,
) -> None:
    """Crosstab with chi-square, likelihood ratio, linear-by-linear, Fisher and symmetric measures."""
    if percent not in ("row", "col", "total", "none"):
        raise StatisticInputError(f"--percent must be row, col, total or none, not {percent!r}.")
    rs, cs = _parse_scores(scores)
    survey = _load(file, codebook)
    res = quant.crosstab(survey, row, col, weights=weights, row_scores=rs, col_scores=cs, exact=exact)
    tables = [render_crosstab(res, percent=None if percent == "none" else percent), render_tests(res), render_measures(res)]
    for rt in tables:
        _print(rt)
    tests = res.tests.reset_index(names="name")
    tests.insert(0, "section", "test")
    measures = res.measures.reset_index(names="name").rename(columns={"value": "statistic"})
    measures.insert(0, "section", "measure")
    tidy = pd.concat([tests, measures], ignore_index=True)
    tidy["n"] = res.n
    _write(out, tidy, tables, rendered)


@app.command("assoc")
def assoc_cmd(
    file: Path = FileArg,
    outcome: str = typer.Argument(..., help="Outcome variable (columns of each crosstab)."),
    factors: List[str] = typer.Argument(..., help="Factors, one table row each."),
    weights: Optional[str] = WeightsOpt,
    style: str = typer.Option("apa", "--style", help="p-value style: apa (< .001) or seed (<0.001)."),
    codebook: Optional[Path] = CodebookOpt,
    out: Optional[Path] = OutOpt,
    rendered: bool = RenderedOpt,
) -> None:
    """Association table of one outcome against many factors (chi-square, df, p, Cramer's V, N)."""
    survey = _load(file, codebook)
    tab = quant.association_table(survey, outcome, factors, weights=weights)
    rt = render_association_table(tab, style=style)
    _print(rt)
    _write(out, tab, [rt], rendered)


@app.command("corr")
def corr_cmd(
    file: Path = FileArg,
    variables: List[str] = typer.Argument(..., help="Two or more numeric variables."),
    method: str = typer.Option("pearson", "--method", help="pearson, spearman or kendall."),
    listwise: bool = typer.Option(False, "--listwise", help="Listwise instead of pairwise deletion."),
    weights: Optional[str] = WeightsOpt,
    style: str = typer.Option("spss", "--style", help="spss (.368**) or seed (,368**)."),
    codebook: Optional[Path] = CodebookOpt,
    out: Optional[Path] = OutOpt,
    rendered: bool = RenderedOpt,
) -> None:
    """Correlation matrix with two-tailed p and N per pair, printed as a starred lower triangle."""
    if style not in ("spss", "seed"):
        raise StatisticInputError(f"--style must be spss or seed, not {style!r}.")
    survey = _load(file, codebook)
    res = quant.correlation_matrix(survey, variables, method=method,
                                   missing="listwise" if listwise else "pairwise", weights=weights)
    rt = render_correlation_matrix(res, style=style)
    _print(rt)
    _write(out, res, [rt], rendered)


@app.command("alpha")
def alpha_cmd(
    file: Path = FileArg,
    items: List[str] = typer.Argument(..., help="Two or more scale items (already in the same direction)."),
    weights: Optional[str] = WeightsOpt,
    codebook: Optional[Path] = CodebookOpt,
    out: Optional[Path] = OutOpt,
    rendered: bool = RenderedOpt,
) -> None:
    """Cronbach's alpha (raw and standardized) with item-total statistics."""
    survey = _load(file, codebook)
    res = quant.cronbach_alpha(survey, items, weights=weights)
    rt = render_alpha(res)
    _print(rt)
    tidy = res.item_total.copy()
    tidy["alpha"] = res.alpha
    tidy["alpha_standardized"] = res.alpha_standardized
    tidy["n"] = res.n
    _write(out, tidy, [rt], rendered)


try:
    from pipelines.cli_quant_check import register as _register_check
except ModuleNotFoundError as _exc:  # the check command is built separately
    if _exc.name != "pipelines.cli_quant_check":
        raise
else:
    _register_check(app)
