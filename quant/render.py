"""Render statistics the way SPSS prints them and papers report them.

Statistics are stored at full precision; this module is the only place that
rounds, adds stars (``*`` p < .05, ``**`` p < .01) and lays tables out. Every
renderer returns a :class:`RenderedTable` (a DataFrame of strings plus
footnotes) that the command line prints and the exporters write.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "RenderedTable",
    "format_number",
    "format_p",
    "stars",
    "render_correlation_matrix",
    "render_crosstab",
    "render_crosstab_cells",
    "crosstab_layout",
    "render_tests",
    "render_measures",
    "render_frequencies",
    "render_association_table",
    "render_alpha",
    "render_model",
    "SIG_01",
    "SIG_05",
]

SIG_01 = "**. Correlation is significant at the 0.01 level (2-tailed)."
SIG_05 = "*. Correlation is significant at the 0.05 level (2-tailed)."
CONSTANT_NOTE = "Cannot be computed because at least one of the variables is constant."


@dataclass(frozen=True, slots=True, eq=False)
class RenderedTable:
    """A table ready to print or export: strings only, plus title and footnotes."""

    table: pd.DataFrame
    title: str = ""
    footnotes: tuple[str, ...] = field(default_factory=tuple)

    def to_markdown(self) -> str:
        """GitHub-flavoured Markdown with the title above and footnotes below."""
        t = self.table
        index_name = t.index.name or ""
        header = [index_name] + [str(c) for c in t.columns]
        lines = []
        if self.title:
            lines += [f"**{self.title}**", ""]
        lines.append("| " + " | ".join(_md(h) for h in header) + " |")
        lines.append("|" + "|".join(["---"] + ["---:"] * len(t.columns)) + "|")
        for idx, row in t.iterrows():
            lines.append("| " + " | ".join([_md(str(idx))] + [_md(str(v)) for v in row.tolist()]) + " |")
        if self.footnotes:
            lines.append("")
            lines += [f"{n}  " for n in self.footnotes]
        return "\n".join(lines) + "\n"


def _md(s: str) -> str:
    return s.replace("|", "\\|").replace("*", "\\*")


# --------------------------------------------------------------------------- numbers


def format_number(x: Any, decimals: int = 2, *, leading_zero: bool = True, decimal: str = ".") -> str:
    """Round for display.

    Examples
    --------
    >>> format_number(0.3684, 3, leading_zero=False, decimal=",")
    ',368'
    >>> format_number(-0.0441, 3, leading_zero=False)
    '-.044'
    """
    if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x):
        return "."
    s = f"{float(x):.{decimals}f}"
    if s.startswith("-") and float(s) == 0:
        s = s[1:]
    if not leading_zero:
        if s.startswith("0."):
            s = s[1:]
        elif s.startswith("-0."):
            s = "-" + s[2:]
    if decimal != ".":
        s = s.replace(".", decimal)
    return s


def format_p(p: Any, *, style: str = "apa", missing: str = ".") -> str:
    """Format a p-value.

    ``"apa"``: ``< .001`` or three decimals without leading zero;
    ``"spss"``: three decimals without leading zero (``.000`` as SPSS prints it);
    ``"seed"``: ``<0.001`` or three decimals with a leading zero;
    ``"sig3"``: three significant digits (``5.66e-25``, ``0.0414``; ``0`` for 0),
    for recomputed p-values that span many orders of magnitude.
    A missing p (None, NaN) is shown as ``missing``.

    Examples
    --------
    >>> format_p(0.0004), format_p(0.0449), format_p(0.0004, style="spss")
    ('< .001', '.045', '.000')
    >>> format_p(5.662826e-25, style="sig3"), format_p(0.0, style="sig3"), format_p(None, missing="")
    ('5.66e-25', '0', '')
    """
    if p is None or pd.isna(p):
        return missing
    p = float(p)
    if style == "sig3":
        return "0" if p == 0 else f"{p:.3g}"
    if style == "spss":
        return format_number(p, 3, leading_zero=False)
    if style == "seed":
        return "<0.001" if p < 0.001 else f"{p:.3f}"
    return "< .001" if p < 0.001 else format_number(p, 3, leading_zero=False)


def stars(p: Any) -> str:
    """``**`` for p < .01, ``*`` for p < .05, else empty."""
    if p is None or pd.isna(p):
        return ""
    return "**" if p < 0.01 else "*" if p < 0.05 else ""


def _letters(notes: list[str]) -> tuple[str, ...]:
    return tuple(f"{chr(ord('a') + i)}. {n}" for i, n in enumerate(notes))


# --------------------------------------------------------------------------- correlation


def render_correlation_matrix(
    result: pd.DataFrame, *, style: str = "spss", decimals: int = 3, labels: bool = True
) -> RenderedTable:
    """Lower-triangle correlation matrix with significance stars.

    Parameters
    ----------
    result : pandas.DataFrame
        The long table from :func:`qualquant.quant.correlation_matrix`.
    style : {"spss", "seed"}
        ``"spss"``: ``.368**``; ``"seed"``: decimal comma, ``,368**`` (the
        seed study's Table 3).
    decimals : int
    labels : bool
        Row names ``"1. <variable label>"`` (else the variable names).

    Returns
    -------
    RenderedTable
        Rows are the variables, columns ``1..k``; the diagonal is ``1``,
        the upper triangle empty. Footnotes: SPSS's two significance notes
        (those used) and a note for pairs that cannot be computed.

    Examples
    --------
    >>> from qualquant.quant.correlation import correlation_matrix
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5, 6], "b": [1, 3, 2, 5, 4, 6]})
    >>> render_correlation_matrix(correlation_matrix(df, ["a", "b"]), style="seed").table.iloc[1, 0]
    ',886*'
    """
    if style not in ("spss", "seed"):
        raise ValueError(f"style must be 'spss' or 'seed', not {style!r}")
    variables = list(result.attrs.get("variables") or dict.fromkeys(list(result["var1"]) + list(result["var2"])))
    names = list(result.attrs.get("labels") or variables) if labels else variables
    k = len(variables)
    pos = {v: i for i, v in enumerate(variables)}
    cells = [["" for _ in range(k)] for _ in range(k)]
    for i in range(k):
        cells[i][i] = "1"
    used01 = used05 = constant = False
    dec = "," if style == "seed" else "."
    for row in result.itertuples(index=False):
        i, j = pos[row.var1], pos[row.var2]
        lo, hi = max(i, j), min(i, j)
        if pd.isna(row.statistic):
            cells[lo][hi] = "."
            constant = True
            continue
        s = stars(row.p_value)
        used01 |= s == "**"
        used05 |= s == "*"
        cells[lo][hi] = format_number(row.statistic, decimals, leading_zero=False, decimal=dec) + s
    index = pd.Index([f"{i + 1}. {n}" for i, n in enumerate(names)], name="")
    table = pd.DataFrame(cells, index=index, columns=[str(i + 1) for i in range(k)])
    notes = []
    if used01:
        notes.append(SIG_01)
    if used05:
        notes.append(SIG_05)
    if constant:
        notes.append(". " + CONSTANT_NOTE)
    method = result.attrs.get("method", "pearson")
    title = {"pearson": "Pearson correlations", "spearman": "Spearman's rho", "kendall": "Kendall's tau-b"}[method]
    n = result["n"]
    if len(n) and n.min() == n.max():
        title += f" (N = {format_number(n.iloc[0], 0)})"
    else:
        missing = result.attrs.get("missing", "pairwise")
        title += f" (N = {format_number(n.min(), 0)} to {format_number(n.max(), 0)}, {missing})"
    return RenderedTable(table, title, tuple(notes))


# --------------------------------------------------------------------------- crosstab


def render_crosstab(result: Any, *, percent: str | None = "row", decimals: int = 1) -> RenderedTable:
    """SPSS-style crosstabulation: counts, a percentage line per row, totals.

    Parameters
    ----------
    result : CrosstabResult
    percent : {"row", "col", "total", None}
    decimals : int
        Decimals of the percentages.
    """
    counts = result.counts
    pct = {"row": result.row_percent, "col": result.col_percent, "total": result.total_percent, None: None}[percent]
    cols = [str(c) for c in counts.columns] + ["Total"]
    rows, index = [], []
    n = counts.to_numpy().sum()
    col_tot = counts.sum(axis=0)
    for lab, r in counts.iterrows():
        tot = r.sum()
        rows.append([_count(v) for v in r.tolist()] + [_count(tot)])
        index.append(f"{lab} Count")
        if pct is not None:
            p = pct.loc[lab]
            rtot = 100.0 if percent == "row" else 100.0 * tot / n
            rows.append(
                [format_number(v, decimals) + "%" if not pd.isna(v) else "." for v in p.tolist()]
                + [format_number(rtot, decimals) + "%"]
            )
            within = (
                "within " + str(result.row_variable)
                if percent == "row"
                else "within " + str(result.col_variable)
                if percent == "col"
                else "of Total"
            )
            index.append(f"{lab} % {within}")
    rows.append([_count(v) for v in col_tot.tolist()] + [_count(n)])
    index.append("Total Count")
    if pct is not None:
        tp = pd.Series(100.0, index=col_tot.index) if percent == "col" else 100.0 * col_tot / n
        rows.append([format_number(v, decimals) + "%" for v in tp.tolist()] + [format_number(100.0, decimals) + "%"])
        index.append("Total %")
    table = pd.DataFrame(
        rows, index=pd.Index(index, name=f"{result.row_variable} * {result.col_variable}"), columns=cols
    )
    return RenderedTable(table, f"{result.row_variable} * {result.col_variable} Crosstabulation", ())


def _count(v: float) -> str:
    return format_number(v, 0) if float(v).is_integer() else format_number(v, 2)


_PERCENTS = {"row": "row_percent", "col": "col_percent", "total": "total_percent"}


def _wide(cells: pd.DataFrame, value: str) -> pd.DataFrame:
    """One column of a long crosstab as rows x columns, in the order the cells come."""
    rows, cols = pd.unique(cells["row"]), pd.unique(cells["col"])
    return cells.pivot(index="row", columns="col", values=value).reindex(index=rows, columns=cols)


def crosstab_layout(cells: pd.DataFrame, *, percent: str | None = "row") -> pd.DataFrame:
    """The SPSS crosstabulation as numbers: a count line and a percentage line per row, totals.

    Parameters
    ----------
    cells : pandas.DataFrame
        :meth:`qualquant.quant.crosstab.CrosstabResult.to_frame` (as the study pipeline
        stores it): columns ``row``, ``col``, ``count`` and the percentages,
        one line per cell with the categories in value-code order.
    percent : {"row", "col", "total", None}
        The percentage line under each count line (SPSS "% within <row
        variable>" for ``"row"``).

    Returns
    -------
    pandas.DataFrame
        Columns ``row`` (row category, ``Total`` last), ``cell`` (``count`` or
        ``row_percent``/``col_percent``/``total_percent``), one column per
        column category in the order of ``cells`` (a category named ``row``,
        ``cell`` or ``Total`` gets `` (category)``) and ``Total``. Numbers at
        full precision.

    Examples
    --------
    >>> from qualquant import quant
    >>> res = quant.crosstab_from_counts([[3, 1], [1, 3]], row_labels=["a", "b"], col_labels=["x", "y"])
    >>> crosstab_layout(res.to_frame())["Total"].tolist()
    [4.0, 100.0, 4.0, 100.0, 8.0, 100.0]
    """
    if percent not in (None, *_PERCENTS):
        raise ValueError(f"percent must be 'row', 'col', 'total' or None, not {percent!r}.")
    counts = _wide(cells, "count").astype(float)
    pct_cell = _PERCENTS[percent] if percent else None
    pct = _wide(cells, pct_cell).astype(float) if pct_cell else None
    cols = [f"{c} (category)" if str(c) in ("row", "cell", "Total") else str(c) for c in counts.columns]
    n = float(np.nansum(counts.to_numpy()))
    col_total = counts.sum(axis=0)
    lines: list[dict] = []
    for label, values in counts.iterrows():
        total = float(values.sum())
        lines.append({"row": str(label), "cell": "count", **dict(zip(cols, values.tolist())), "Total": total})
        if pct is not None:
            row_total = 100.0 if percent == "row" else (100.0 * total / n if n else np.nan)
            lines.append(
                {
                    "row": str(label),
                    "cell": pct_cell,
                    **dict(zip(cols, pct.loc[label].tolist())),
                    "Total": row_total,
                }
            )
    lines.append({"row": "Total", "cell": "count", **dict(zip(cols, col_total.tolist())), "Total": n})
    if pct is not None:
        shares = [100.0] * len(cols) if percent == "col" else (100.0 * col_total / n).tolist()
        lines.append({"row": "Total", "cell": pct_cell, **dict(zip(cols, shares)), "Total": 100.0})
    return pd.DataFrame(lines, columns=["row", "cell", *cols, "Total"])


def render_crosstab_cells(
    cells: pd.DataFrame, *, row_variable: str, col_variable: str, percent: str | None = "row", decimals: int = 1
) -> RenderedTable:
    """SPSS-style crosstabulation from the long cells of a crosstab (as the study pipeline stores them).

    Parameters
    ----------
    cells : pandas.DataFrame
        As in :func:`crosstab_layout`; categories stay in the order of ``cells``
        (value-code order), never sorted by label.
    row_variable, col_variable : str
        Names shown in the title and in "% within <row variable>".
    percent : {"row", "col", "total", None}
    decimals : int
        Decimals of the percentages.

    Returns
    -------
    RenderedTable
        Indexed by the row category (on its count line; blank on the
        percentage line; ``Total`` last); a first column ``""`` saying
        ``Count`` or ``% within <row variable>`` (``% within <column
        variable>``, ``% of Total``), then one column per column category and
        ``Total``.
    """
    layout = crosstab_layout(cells, percent=percent)
    what = {"row": f"% within {row_variable}", "col": f"% within {col_variable}", "total": "% of Total"}
    pct_label = what[percent] if percent else ""  # shown on the percentage lines (none without a percent)
    values = [c for c in layout.columns if c not in ("row", "cell")]
    rows, index, shown = [], [], []
    for line in layout.itertuples(index=False):
        line = dict(zip(layout.columns, line))
        is_count = line["cell"] == "count"
        index.append(line["row"] if is_count else "")
        shown.append("Count" if is_count else pct_label)
        rows.append(
            [
                _count(line[c]) if is_count else "." if pd.isna(line[c]) else format_number(line[c], decimals) + "%"
                for c in values
            ]
        )
    cols = [f"{c} (category)" if c in ("", str(row_variable)) else c for c in values]
    table = pd.DataFrame(rows, index=pd.Index(index, name=str(row_variable)), columns=cols)
    table.insert(0, "", shown)
    return RenderedTable(table, f"{row_variable} * {col_variable} Crosstabulation", ())


_TEST_NAMES = {
    "pearson_chi2": "Pearson Chi-Square",
    "continuity_correction": "Continuity Correction",
    "likelihood_ratio": "Likelihood Ratio",
    "fisher_exact": "Fisher's Exact Test",
    "linear_by_linear": "Linear-by-Linear Association",
}


def render_tests(result: Any) -> RenderedTable:
    """SPSS "Chi-Square Tests" table (Value, df, Asymptotic Significance, Exact Sig.)."""
    tests = result.tests
    order = [
        k
        for k in ("pearson_chi2", "continuity_correction", "likelihood_ratio", "fisher_exact", "linear_by_linear")
        if k in tests.index
    ]
    cols = ["Value", "df", "Asymptotic Significance (2-sided)", "Exact Sig. (2-sided)", "Exact Sig. (1-sided)"]
    rows = []
    for key in order:
        t = tests.loc[key]
        if key == "fisher_exact":
            mc = t["method"] == "monte_carlo"
            two = format_p(t["p_value"], style="spss") + (f" (MC, SE {t['p_value_se']:.4f})" if mc else "")
            rows.append(
                [
                    "",
                    "",
                    "",
                    two,
                    format_p(t["p_value_one_sided"], style="spss") if not pd.isna(t["p_value_one_sided"]) else "",
                ]
            )
        else:
            rows.append(
                [
                    format_number(t["statistic"], 3),
                    format_number(t["df"], 0),
                    format_p(t["p_value"], style="spss"),
                    "",
                    "",
                ]
            )
    rows.append([_count(result.n), "", "", "", ""])
    table = pd.DataFrame(
        rows, index=pd.Index([_TEST_NAMES[k] for k in order] + ["N of Valid Cases"], name=""), columns=cols
    )
    return RenderedTable(table, "Chi-Square Tests", _letters(list(result.footnotes)))


def render_measures(result: Any) -> RenderedTable:
    """SPSS "Symmetric Measures" table."""
    names = {"phi": "Phi", "cramers_v": "Cramer's V", "contingency_coefficient": "Contingency Coefficient"}
    m = result.measures
    rows = [
        [format_number(m.loc[k, "value"], 3, leading_zero=False), format_p(m.loc[k, "p_value"], style="spss")]
        for k in names
    ]
    rows.append([_count(result.n), ""])
    table = pd.DataFrame(
        rows,
        index=pd.Index(list(names.values()) + ["N of Valid Cases"], name="Nominal by Nominal"),
        columns=["Value", "Approximate Significance"],
    )
    return RenderedTable(table, "Symmetric Measures", ())


# --------------------------------------------------------------------------- others


def render_frequencies(freq: pd.DataFrame, *, decimals: int = 1) -> RenderedTable:
    """SPSS FREQUENCIES layout (Frequency, Percent, Valid Percent, Cumulative Percent)."""
    heads = {"valid": "Valid", "valid_total": "Valid", "missing": "Missing", "missing_total": "Missing", "total": ""}
    rows, index, seen = [], [], set()
    for r in freq.itertuples(index=False):
        group = heads[r.section]
        first = group not in seen
        seen.add(group)
        index.append(f"{group if first else ''} {r.label}".strip())
        rows.append(
            [
                _count(r.n),
                format_number(r.percent, decimals),
                "" if pd.isna(r.valid_percent) else format_number(r.valid_percent, decimals),
                "" if pd.isna(r.cumulative_percent) else format_number(r.cumulative_percent, decimals),
            ]
        )
    title = freq.attrs.get("variable_label") or freq.attrs.get("variable", "")
    table = pd.DataFrame(
        rows, index=pd.Index(index, name=""), columns=["Frequency", "Percent", "Valid Percent", "Cumulative Percent"]
    )
    return RenderedTable(table, str(title), ())


def render_association_table(table: pd.DataFrame, *, style: str = "apa") -> RenderedTable:
    """The seed's Table 2 layout: factor, chi-square, df, p, Cramer's V, N.

    ``style="seed"`` writes p as ``<0.001``; ``"apa"`` as ``< .001``.
    """
    rows = []
    for r in table.itertuples(index=False):
        rows.append(
            [
                format_number(r.statistic, 2),
                format_number(r.df, 0),
                format_p(r.p_value, style=style),
                format_number(r.cramers_v, 3, leading_zero=False),
                _count(r.n),
            ]
        )
    out = pd.DataFrame(
        rows, index=pd.Index(list(table["label"]), name="Factor"), columns=["χ2", "df", "p", "Cramér's V", "N"]
    )
    notes = []
    weak = table[table["cells_expected_below_5"] > 0.2]
    if len(weak):
        notes.append("More than 20% of cells have expected count less than 5 for: " + ", ".join(weak["label"]) + ".")
    return RenderedTable(out, "Association (Pearson chi-square)", _letters(notes))


def render_alpha(result: Any) -> RenderedTable:
    """SPSS "Item-Total Statistics" with alpha in the title."""
    it = result.item_total
    rows = [
        [
            format_number(r.scale_mean_if_deleted, 2),
            format_number(r.scale_variance_if_deleted, 3),
            format_number(r.corrected_item_total_correlation, 3, leading_zero=False),
            format_number(r.squared_multiple_correlation, 3, leading_zero=False),
            format_number(r.alpha_if_deleted, 3, leading_zero=False),
        ]
        for r in it.itertuples(index=False)
    ]
    table = pd.DataFrame(
        rows,
        index=pd.Index(list(it["item"]), name="Item"),
        columns=[
            "Scale Mean if Item Deleted",
            "Scale Variance if Item Deleted",
            "Corrected Item-Total Correlation",
            "Squared Multiple Correlation",
            "Cronbach's Alpha if Item Deleted",
        ],
    )
    title = (
        f"Cronbach's alpha = {format_number(result.alpha, 3, leading_zero=False)}, standardized "
        f"{format_number(result.alpha_standardized, 3, leading_zero=False)}, {result.n_items} items, "
        f"N = {_count(result.n)}"
    )
    return RenderedTable(table, title, ())


def render_model(result: Any) -> RenderedTable:
    """Coefficients with odds ratios and 95% CIs."""
    t = result.table
    rows = []
    for r in t.itertuples(index=False):
        orr = "" if pd.isna(r.odds_ratio) else format_number(r.odds_ratio, 2)
        ci = (
            ""
            if pd.isna(r.odds_ratio)
            else f"[{format_number(r.odds_ratio_ci_low, 2)}, {format_number(r.odds_ratio_ci_high, 2)}]"
        )
        rows.append(
            [
                format_number(r.estimate, 3),
                format_number(r.std_error, 3),
                format_number(r.statistic, 2),
                format_p(r.p_value),
                orr,
                ci,
            ]
        )
    table = pd.DataFrame(
        rows, index=pd.Index(list(t["term"]), name="Term"), columns=["B", "SE", "z", "p", "OR", "95% CI (OR)"]
    )
    title = f"N = {_count(result.n)}, McFadden R2 = {format_number(result.pseudo_r2, 3)}"
    return RenderedTable(table, title, ())


def _is_nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and np.isnan(x))
