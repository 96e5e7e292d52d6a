"""``qualquant quant ...``: survey statistics from the command line.

Each command reads a survey file (``.sav``, ``.zsav``, ``.por``, ``.dta``,
``.csv``/``.xlsx`` with ``--codebook``), prints an SPSS-style table and, with
``--out FILE.csv|.xlsx|.md``, writes the full-precision tidy table (or, with
``--rendered``, the table as printed). ``crosstab --out`` writes every part of
the crosstab (:func:`crosstab_sections`, :func:`write_sections`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import typer

from qualquant import quant
from qualquant.pipelines.cli._common import Column, console, fit_table, make_app
from qualquant.pipelines.cli.quant_check import register as register_check
from qualquant.quant.errors import StatisticInputError
from qualquant.quant.render import (
    RenderedTable,
    render_alpha,
    render_association_table,
    render_correlation_matrix,
    render_crosstab,
    render_frequencies,
    render_measures,
    render_tests,
)

if TYPE_CHECKING:
    from qualquant.quant.crosstab import CrosstabResult

app = make_app("Survey statistics: frequencies, crosstabs, association tables, correlations, reliability.")

FileArg = typer.Argument(..., help="Survey file: .sav, .zsav, .por, .dta, .csv or .xlsx.")
OutOpt = typer.Option(None, "--out", help="Write the table to FILE.csv, FILE.xlsx or FILE.md.")
WeightsOpt = typer.Option(None, "--weights", help="Frequency weight variable.")
CodebookOpt = typer.Option(None, "--codebook", help="Variable codebook for a .csv/.xlsx survey.")
RenderedOpt = typer.Option(
    False, "--rendered", help="With --out: write the table as printed, not the full-precision tidy table."
)


def _load(path: Path, codebook: Path | None) -> quant.Survey:
    return quant.read_survey(path, codebook=codebook)


def _print(rt: RenderedTable) -> None:
    """Print a rendered table: labels fold on a narrow console, figures are never cut."""
    columns: list[Column] = [(rt.table.index.name or "", "wrap", "left", "bold")]
    columns += [(str(c), "fixed", "right", "") for c in rt.table.columns]
    rows = [[str(idx), *[str(v) for v in row.tolist()]] for idx, row in rt.table.iterrows()]
    console.print(fit_table(rt.title, columns, rows))
    for note in rt.footnotes:
        console.print(note, highlight=False, markup=False)


def _write(out: Path | None, tidy: pd.DataFrame, rendered: list[RenderedTable], as_rendered: bool) -> None:
    if out is None:
        return
    from qualquant.io import write_table

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
    variables: list[str] = typer.Argument(..., help="One or more variables."),
    weights: str | None = WeightsOpt,
    codebook: Path | None = CodebookOpt,
    out: Path | None = OutOpt,
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


def _parse_scores(specs: list[str]) -> tuple[list[float] | None, list[float] | None]:
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
    weights: str | None = WeightsOpt,
    scores: list[str] = typer.Option(
        [], "--scores", help="Linear-by-linear scores: row=1,2,3 and/or col=0,0.5,1.5 (repeatable)."
    ),
    exact: bool = typer.Option(False, "--exact", help="Fisher-Freeman-Halton exact test for tables larger than 2x2."),
    percent: str = typer.Option("row", "--percent", help="Percentages shown: row, col, total or none."),
    codebook: Path | None = CodebookOpt,
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Write the whole crosstab (crosstabulation, expected counts, adjusted residuals, tests, "
        "measures, footnotes) to FILE.xlsx (a sheet each), FILE.md (a section each) or FILE.csv "
        "(one after another; first column 'section').",
    ),
    rendered: bool = RenderedOpt,
) -> None:
    """Crosstab with chi-square, likelihood ratio, linear-by-linear, Fisher and symmetric measures.

    With --out the whole crosstab is written: the crosstabulation (counts with
    the --percent percentages and totals), expected counts, adjusted
    standardized residuals, chi-square tests, symmetric measures and
    footnotes. FILE.xlsx has one sheet for each; FILE.md one titled section
    for each; FILE.csv holds them one after another, with a first column
    'section' (crosstab, expected, adjusted_residuals, tests, measures,
    footnotes) to filter on in Excel. Numbers are at full precision unless
    --rendered is given.
    """
    if percent not in ("row", "col", "total", "none"):
        raise StatisticInputError(f"--percent must be row, col, total or none, not {percent!r}.")
    rs, cs = _parse_scores(scores)
    survey = _load(file, codebook)
    res = quant.crosstab(survey, row, col, weights=weights, row_scores=rs, col_scores=cs, exact=exact)
    pct = None if percent == "none" else percent
    tables = [render_crosstab(res, percent=pct), render_tests(res), render_measures(res)]
    for rt in tables:
        _print(rt)
    if out is not None:
        sections = crosstab_sections(res, percent=pct, rendered=rendered)
        written = write_sections(sections, out, title=tables[0].title)
        console.print(f"Wrote {written}", highlight=False, markup=False)


#: Sections of ``qualquant quant crosstab --out``: key -> title.
CROSSTAB_SECTIONS = {
    "crosstab": "Crosstabulation",
    "expected": "Expected counts",
    "adjusted_residuals": "Adjusted standardized residuals",
    "tests": "Chi-square tests",
    "measures": "Symmetric measures",
    "footnotes": "Footnotes",
}

_PERCENT_NAMES = {"row": "row_percent", "col": "col_percent", "total": "total_percent"}


#: Column names of the crosstab sections that a category label must not take.
_RESERVED = (
    "section",
    "row",
    "name",
    "cell",
    "Total",
    "statistic",
    "df",
    "p_value",
    "p_value_one_sided",
    "method",
    "n_resamples",
    "p_value_se",
    "value",
    "n",
    "footnote",
)


def _category_names(columns: Iterable[object]) -> list[str]:
    """Column categories as text; a label equal to a reserved column name gets `` (category)``."""
    return [f"{c} (category)" if str(c) in _RESERVED else str(c) for c in columns]


def _cell_table(frame: pd.DataFrame, fmt: Callable[[Any], object] | None = None) -> pd.DataFrame:
    """A rows x columns table as ``row`` plus one column per category (values formatted by ``fmt``)."""
    body = frame.map(fmt) if fmt is not None else frame
    body = body.copy()
    body.columns = _category_names(frame.columns)
    body.insert(0, "row", [str(i) for i in frame.index])
    return body.reset_index(drop=True)


def crosstab_sections(
    res: CrosstabResult, *, percent: str | None = "row", rendered: bool = False
) -> dict[str, pd.DataFrame]:
    """Every part of a crosstab as tables, for ``qualquant quant crosstab --out``.

    Parameters
    ----------
    res : quant.crosstab.CrosstabResult
    percent : {"row", "col", "total", None}
        The percentages shown in the crosstabulation (as printed).
    rendered : bool
        Strings as printed (SPSS layout) instead of full-precision numbers.

    Returns
    -------
    dict of str to pandas.DataFrame
        Keys of :data:`CROSSTAB_SECTIONS`, in that order:

        - ``crosstab``: columns ``row`` (row category or ``Total``),
          ``cell`` (``count`` and the chosen ``row_percent``,
          ``col_percent`` or ``total_percent``), one column per column
          category, ``Total``;
        - ``expected`` and ``adjusted_residuals``: ``row`` plus one column per
          column category;
        - ``tests``: ``name, statistic, df, p_value, p_value_one_sided,
          method, n_resamples, p_value_se, n``;
        - ``measures``: ``name, value, p_value, n``;
        - ``footnotes``: ``footnote`` (may have no rows).

        With ``rendered`` the crosstab, tests and measures are the printed
        tables (text), expected counts and residuals are rounded to one
        decimal (as SPSS prints them) and footnotes carry their letters.
    """
    if rendered:
        printed = render_crosstab(res, percent=percent)
        tests_rt, measures_rt = render_tests(res), render_measures(res)

        def one(v: Any) -> Any:  # a number rounded as printed (not text, so spreadsheets can still compute with it)
            return v if pd.isna(v) else round(float(v), 1) + 0.0

        def flat(rt: RenderedTable) -> pd.DataFrame:
            f = rt.table.reset_index()
            return f.rename(columns={f.columns[0]: "row" if rt is printed else "name"})

        return {
            "crosstab": flat(printed),
            "expected": _cell_table(res.expected, one),
            "adjusted_residuals": _cell_table(res.adjusted_residuals, one),
            "tests": flat(tests_rt),
            "measures": flat(measures_rt),
            "footnotes": pd.DataFrame({"footnote": list(tests_rt.footnotes)}, dtype=object),
        }
    counts = res.counts
    n = float(counts.to_numpy().sum())
    col_total = counts.sum(axis=0)
    cols = _category_names(counts.columns)
    rows: list[dict] = []
    pct, pct_name = None, ""
    if percent is not None and percent in _PERCENT_NAMES:
        pct = {"row": res.row_percent, "col": res.col_percent, "total": res.total_percent}[percent]
        pct_name = _PERCENT_NAMES[percent]
    for label, values in counts.iterrows():
        total = float(values.sum())
        rows.append({"row": str(label), "cell": "count", **dict(zip(cols, values.tolist())), "Total": total})
        if pct is not None:
            row_total = 100.0 if percent == "row" else 100.0 * total / n
            rows.append(
                {
                    "row": str(label),
                    "cell": pct_name,
                    **dict(zip(cols, pct.loc[label].tolist())),
                    "Total": row_total,
                }
            )
    rows.append({"row": "Total", "cell": "count", **dict(zip(cols, col_total.tolist())), "Total": n})
    if pct is not None:
        shares = [100.0] * len(cols) if percent == "col" else (100.0 * col_total / n).tolist()
        rows.append({"row": "Total", "cell": pct_name, **dict(zip(cols, shares)), "Total": 100.0})
    tests = res.tests.reset_index(names="name")
    tests["n"] = res.n
    measures = res.measures.reset_index(names="name")
    measures["n"] = res.n
    return {
        "crosstab": pd.DataFrame(rows, columns=["row", "cell", *cols, "Total"]),
        "expected": _cell_table(res.expected),
        "adjusted_residuals": _cell_table(res.adjusted_residuals),
        "tests": tests,
        "measures": measures,
        "footnotes": pd.DataFrame({"footnote": list(res.footnotes)}, dtype=object),
    }


def write_sections(sections: dict[str, pd.DataFrame], out: Path, *, title: str) -> Path:
    """Write titled tables to one file: sheets (.xlsx), ``##`` sections (.md) or a ``section`` column (.csv).

    Parameters
    ----------
    sections : dict of str to pandas.DataFrame
        Keys of :data:`CROSSTAB_SECTIONS` (other keys are used as their own title).
    out : pathlib.Path
        ``.xlsx``: one sheet per section, named by its key. ``.md``: a ``#``
        title and one ``##`` section per table. ``.csv``: the sections one
        after another in one file, with a first column ``section`` naming the
        table each row belongs to and the union of their columns (cells of
        columns a section does not have are empty), so Excel opens it as one
        sheet that can be filtered by section. ``.parquet`` is written like
        ``.csv`` (a column whose sections mix text and numbers is stored as
        text).

    Returns
    -------
    pathlib.Path
    """
    from qualquant.errors import ExportFormatError
    from qualquant.io import TABLE_SUFFIXES, write_markdown_tables, write_table, write_workbook

    suffix = out.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ExportFormatError(
            f"{out}: cannot write a table as {suffix or '(no extension)'!r}; use one of {', '.join(TABLE_SUFFIXES)}."
        )
    if suffix == ".xlsx":
        return write_workbook(sections, out)
    if suffix == ".md":
        titled = {CROSSTAB_SECTIONS.get(k, k): v for k, v in sections.items()}
        return write_markdown_tables(titled, out, title=title)
    frames = []
    for key, frame in sections.items():
        f = frame.astype(object).copy()
        f.insert(0, "section", key)
        frames.append(f)
    columns: list[str] = ["section"] + [c for c in ("row", "name") if any(c in f.columns for f in frames)]
    for f in frames:
        columns += [c for c in f.columns if c not in columns]
    long = pd.concat([f.reindex(columns=columns) for f in frames if len(f)], ignore_index=True)
    if suffix == ".parquet":  # a column must hold one type: text where sections disagree (printed vs numbers)
        for c in long.columns:
            kinds = {isinstance(v, str) for v in long[c] if not pd.isna(v)}
            if kinds == {True, False}:
                long[c] = [v if pd.isna(v) else str(v) for v in long[c]]
    return write_table(long, out)


@app.command("assoc")
def assoc_cmd(
    file: Path = FileArg,
    outcome: str = typer.Argument(..., help="Outcome variable (columns of each crosstab)."),
    factors: list[str] = typer.Argument(..., help="Factors, one table row each."),
    weights: str | None = WeightsOpt,
    style: str = typer.Option("apa", "--style", help="p-value style: apa (< .001) or seed (<0.001)."),
    codebook: Path | None = CodebookOpt,
    out: Path | None = OutOpt,
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
    variables: list[str] = typer.Argument(..., help="Two or more numeric variables."),
    method: str = typer.Option("pearson", "--method", help="pearson, spearman or kendall."),
    listwise: bool = typer.Option(False, "--listwise", help="Listwise instead of pairwise deletion."),
    weights: str | None = WeightsOpt,
    style: str = typer.Option("spss", "--style", help="spss (.368**) or seed (,368**)."),
    codebook: Path | None = CodebookOpt,
    out: Path | None = OutOpt,
    rendered: bool = RenderedOpt,
) -> None:
    """Correlation matrix with two-tailed p and N per pair, printed as a starred lower triangle."""
    if style not in ("spss", "seed"):
        raise StatisticInputError(f"--style must be spss or seed, not {style!r}.")
    survey = _load(file, codebook)
    res = quant.correlation_matrix(
        survey, variables, method=method, missing="listwise" if listwise else "pairwise", weights=weights
    )
    rt = render_correlation_matrix(res, style=style)
    _print(rt)
    _write(out, res, [rt], rendered)


@app.command("alpha")
def alpha_cmd(
    file: Path = FileArg,
    items: list[str] = typer.Argument(..., help="Two or more scale items (already in the same direction)."),
    weights: str | None = WeightsOpt,
    codebook: Path | None = CodebookOpt,
    out: Path | None = OutOpt,
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


register_check(app)  # ``qualquant quant check`` (pipelines/cli/quant_check.py)
