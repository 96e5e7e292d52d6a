"""Crosstabulations with SPSS CROSSTABS statistics."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from qualquant.quant._fisher import TooLargeForExact, fisher_2x2, fisher_rxc_exact, fisher_rxc_monte_carlo
from qualquant.quant._order import category_order, codes_as_scores
from qualquant.quant._weights import prepare
from qualquant.quant.errors import ConstantVariableError, EmptyTableError, StatisticInputError

__all__ = ["CrosstabResult", "crosstab", "crosstab_from_counts", "TEST_COLUMNS"]

TEST_COLUMNS = ["statistic", "df", "p_value", "p_value_one_sided", "method", "n_resamples", "p_value_se"]
MEASURE_COLUMNS = ["value", "p_value"]


@dataclass(frozen=True, slots=True, eq=False)
class CrosstabResult:
    """Everything SPSS CROSSTABS prints for one table, at full precision.

    Attributes
    ----------
    counts : pandas.DataFrame
        Observed (weighted) counts; rows x columns, no margins.
    expected : pandas.DataFrame
        Expected counts under independence, ``r_i c_j / N``.
    row_percent, col_percent, total_percent : pandas.DataFrame
        Percentages of the row total, column total and grand total.
    std_residuals : pandas.DataFrame
        ``(O - E) / sqrt(E)``.
    adjusted_residuals : pandas.DataFrame
        ``(O - E) / sqrt(E (1 - r_i/N)(1 - c_j/N))`` (Haberman's adjusted residuals).
    tests : pandas.DataFrame
        Indexed by ``pearson_chi2, likelihood_ratio, linear_by_linear`` and, for
        2 x 2 tables, ``continuity_correction, fisher_exact``; for larger tables
        ``fisher_exact`` (Fisher–Freeman–Halton) when ``exact=True``. Columns:
        ``statistic, df, p_value`` (two-sided), ``p_value_one_sided`` (Fisher
        2 x 2 only), ``method`` (``asymptotic``, ``exact`` or ``monte_carlo``),
        ``n_resamples`` and ``p_value_se`` (Monte Carlo only, else 0).
    measures : pandas.DataFrame
        Indexed by ``phi, cramers_v, contingency_coefficient`` with columns
        ``value`` and ``p_value`` (SPSS's approximate significance, the
        Pearson chi-square p).
    footnotes : tuple of str
        SPSS-style notes: expected counts below 5, rows/columns left out, etc.
    n : float
        Number of valid (weighted) cases.
    row_scores, col_scores : tuple of float
        Scores used for the linear-by-linear association.
    row_variable, col_variable : str
        Names of the variables (or ``"row"``/``"column"`` for a table of counts).
    """

    counts: pd.DataFrame
    expected: pd.DataFrame
    row_percent: pd.DataFrame
    col_percent: pd.DataFrame
    total_percent: pd.DataFrame
    std_residuals: pd.DataFrame
    adjusted_residuals: pd.DataFrame
    tests: pd.DataFrame
    measures: pd.DataFrame
    footnotes: tuple[str, ...]
    n: float
    row_scores: tuple[float, ...]
    col_scores: tuple[float, ...]
    row_variable: str = "row"
    col_variable: str = "column"

    def to_frame(self) -> pd.DataFrame:
        """Long table, one row per cell: ``row, col, count, expected, row_percent,
        col_percent, total_percent, std_residual, adjusted_residual``."""
        parts = {
            "count": self.counts,
            "expected": self.expected,
            "row_percent": self.row_percent,
            "col_percent": self.col_percent,
            "total_percent": self.total_percent,
            "std_residual": self.std_residuals,
            "adjusted_residual": self.adjusted_residuals,
        }
        long = {
            k: v.stack(future_stack=True) if _has_future_stack() else v.stack(dropna=False) for k, v in parts.items()
        }
        out = pd.DataFrame(long)
        out.index.names = ["row", "col"]
        return out.reset_index()


def _has_future_stack() -> bool:
    import inspect

    return "future_stack" in inspect.signature(pd.DataFrame.stack).parameters


# --------------------------------------------------------------------------- public API


def crosstab(
    data: Any,
    row: str,
    col: str,
    *,
    weights: Any = None,
    row_scores: Sequence[float] | Mapping[Any, float] | None = None,
    col_scores: Sequence[float] | Mapping[Any, float] | None = None,
    exact: bool = False,
    n_resamples: int = 10_000,
    random_state: int = 2_000_000,
    noninteger: str = "round",
    noninteger_by: str = "cell",
) -> CrosstabResult:
    """Crosstabulate two variables with every SPSS CROSSTABS statistic.

    Parameters
    ----------
    data : pandas.DataFrame or Survey
        Cases; a Survey's user-defined missing codes count as missing.
    row, col : str
        Row and column variables.
    weights : str or array-like, optional
        Frequency weight variable.
    row_scores, col_scores : sequence or mapping, optional
        Scores for the linear-by-linear association, one per category in
        table order (or a mapping value -> score). Default: the category
        values when numeric (as SPSS), else 1, 2, ...
    exact : bool
        Also compute the Fisher–Freeman–Halton exact test for tables larger
        than 2 x 2: exact when the network is small enough, else Monte Carlo.
    n_resamples : int
        Monte Carlo draws (SPSS's default is 10000).
    random_state : int
        Seed of the Monte Carlo draws (SPSS's default seed is 2000000).
    noninteger : {"round", "truncate", "asis"}
        What to do with non-integer weighted counts (SPSS CROSSTABS
        ``/COUNT``): ``"round"`` to the nearest integer (halves up; the SPSS
        default), ``"truncate"`` (drop the fraction) or ``"asis"`` (keep the
        fractional counts for every statistic; Fisher's exact test then uses
        the counts rounded). Without weights, or with whole-number weights,
        the three are the same.
    noninteger_by : {"cell", "case"}
        Where ``"round"``/``"truncate"`` apply: to the accumulated weights in
        each cell (``"cell"``, SPSS ``COUNT = CELL``, the default) or to each
        case's weight before summing (``"case"``, SPSS ``COUNT = CASE``).

    Returns
    -------
    CrosstabResult
        With a footnote saying how non-integer weighted counts were handled
        whenever the weights made any count non-integer.

    Raises
    ------
    VariableNotFoundError, WeightError
    StatisticInputError
        An unknown ``noninteger`` or ``noninteger_by``, or a weighted N
        above 2**53 (about 9.007e15), where counts are no longer exact in
        floating point.
    ConstantVariableError
        Fewer than two non-empty categories in the rows or columns.
    EmptyTableError
        No valid cases (also when rounding or truncating leaves none).

    Notes
    -----
    Rows and columns are the observed categories in value-code order, as
    SPSS CROSSTABS shows them (a Likert item coded 1 "strongly disagree" ...
    5 "strongly agree" in code order, not in the alphabetical order of its
    labels; cells holding label text go to their label's code; see
    :mod:`qualquant.quant._order`).

    Pearson ``X2 = sum (O-E)^2/E``; likelihood ratio ``G2 = 2 sum O ln(O/E)``;
    both with ``(r-1)(c-1)`` df on the table without empty rows/columns (as
    SPSS). Linear-by-linear ``M2 = (N-1) r^2`` with ``r`` the Pearson
    correlation of the scores (df 1). Continuity correction (Yates) and
    Fisher's exact test for 2 x 2 tables: the two-sided Fisher p sums tables
    no more probable than the observed one; the one-sided p is the tail in
    the direction of the observed deviation from independence (SPSS "Exact
    Sig. (1-sided)"). Phi is signed for 2 x 2, ``(ad - bc)/sqrt(r1 r2 c1 c2)``.
    Checked against Agresti (2007) Tables 2.5, 2.7 and 2.8 and R's
    ``fisher.test`` job-satisfaction example (tests/reference/quant).

    Large N: no statistic multiplies counts as int64 (margin products pass
    2**63 from N of about 110,000 for phi, 3e9 for Fisher's test); phi and
    the direction of Fisher's one-sided test use Python integers, the rest
    float64. Checked at N = 10^6, 10^7, 10^9 against exact rational closed
    forms and scipy (tests/test_quant_overflow.py).

    Non-integer weights: SPSS CROSSTABS has rounded accumulated cell weights
    since release 6.1.2; from 11.5 the ``/COUNT`` subcommand (Cells dialog,
    "Noninteger Weights") offers ``CELL``/``CASE`` with ``ROUND``/``TRUNCATE``
    or ``ASIS``, with rounded cell counts kept as the default (IBM, n.d.;
    SPSS Inc., 2004). Rounding here is half up with a 1e-9 tolerance for
    floating-point sums (``floor(x + 0.5)``), truncation ``floor(x)``; every
    statistic (counts, percentages, expected counts, tests, measures, ``n``)
    is then computed from the integer table.

    References
    ----------
    Agresti, A. (2007). *An introduction to categorical data analysis* (2nd ed.). Wiley.

    IBM (n.d.). *Some options for fractional weights in CROSSTABS* (IBM Support
    technote); *COUNT subcommand (CROSSTABS command)*, IBM SPSS Statistics
    Command Syntax Reference.

    SPSS Inc. (2004). *SPSS Base 13.0 user's guide* (Crosstabs Cell Display:
    Noninteger Weights, p. 335). SPSS Inc.

    Examples
    --------
    >>> df = pd.DataFrame({"g": [1, 1, 1, 1, 2, 2, 2, 2], "a": [1, 1, 1, 2, 1, 2, 2, 2]})
    >>> res = crosstab(df, "g", "a")
    >>> round(float(res.tests.loc["fisher_exact", "p_value"]), 3)
    0.486
    """
    if noninteger not in _NONINTEGER:
        raise StatisticInputError(f"noninteger must be one of {', '.join(_NONINTEGER)}, not {noninteger!r}.")
    if noninteger_by not in ("cell", "case"):
        raise StatisticInputError(f"noninteger_by must be 'cell' or 'case', not {noninteger_by!r}.")
    prep = prepare(data, [row, col], weights)
    rname, cname = prep.frame.columns
    valid = prep.valid()
    if not valid.any():
        raise EmptyTableError(f"No valid cases for {rname!r} by {cname!r}: every case is missing or has weight 0.")
    rv = prep.frame[rname].to_numpy()[valid]
    cv = prep.frame[cname].to_numpy()[valid]
    w = prep.weights[valid]
    survey = prep.survey
    r_codes, r_levels = _factorize(rv, survey, rname)
    c_codes, c_levels = _factorize(cv, survey, cname)
    nr, nc = len(r_levels), len(c_levels)
    flat = r_codes * nc + c_codes
    extra_notes: tuple[str, ...] = ()
    if prep.weighted:
        fractional_cases = not np.allclose(w, _whole(w, "round"), rtol=0.0, atol=_TOL)
        if fractional_cases and noninteger != "asis" and noninteger_by == "case":
            w = _whole(w, noninteger)
        table = np.bincount(flat, weights=w, minlength=nr * nc).reshape(nr, nc)
        fractional_cells = not np.allclose(table, _whole(table, "round"), rtol=0.0, atol=_TOL)
        if noninteger != "asis" and (fractional_cells or fractional_cases) and table.sum() <= _MAX_EXACT_N:
            table = _whole(table, "round" if noninteger_by == "case" else noninteger).astype(np.int64)
        extra_notes = _noninteger_note(noninteger, noninteger_by, fractional_cases, fractional_cells)
        if table.sum() <= 0:
            raise EmptyTableError(
                f"No cases are left for {rname!r} by {cname!r} after {_VERB[noninteger]} the "
                f"{'case weights' if noninteger_by == 'case' else 'weighted cell counts'}; "
                "use noninteger='asis' to keep fractional counts."
            )
    else:
        table = np.bincount(flat, minlength=nr * nc).reshape(nr, nc)
    r_index = _labelled_index(survey, rname, r_levels)
    c_index = _labelled_index(survey, cname, c_levels)
    rs = _scores(row_scores, r_levels, r_index, rname, codes_as_scores(survey, rname, r_levels))
    cs = _scores(col_scores, c_levels, c_index, cname, codes_as_scores(survey, cname, c_levels))
    return _analyse(
        table,
        r_index,
        c_index,
        rs,
        cs,
        exact,
        n_resamples,
        random_state,
        str(rname),
        str(cname),
        from_data=True,
        extra_notes=extra_notes,
    )


_NONINTEGER = ("round", "truncate", "asis")
_VERB = {"round": "rounding", "truncate": "truncating", "asis": "keeping"}
_TOL = 1e-9  # floating-point sums of fractional weights (0.1 + 0.2 + 0.2 is 0.5000000000000001)


def _whole(x: np.ndarray, how: str) -> np.ndarray:
    """Round half up (``floor(x + 0.5)``) or truncate non-negative values, tolerant of float noise."""
    x = np.asarray(x, dtype=float)
    return np.floor(x + 0.5 + _TOL) if how == "round" else np.floor(x + _TOL)


def _noninteger_note(how: str, by: str, fractional_cases: bool, fractional_cells: bool) -> tuple[str, ...]:
    if how == "asis":
        if fractional_cells:
            return (
                "Weighted cell counts are not whole numbers and are used as is (COUNT = ASIS); "
                "SPSS by default rounds them (COUNT = CELL ROUND).",
            )
        return ()
    if by == "case" and fractional_cases:
        what = "rounded to the nearest integer" if how == "round" else "truncated to integers"
        return (f"Non-integer case weights were {what} before the cells were counted (COUNT = CASE {how.upper()}).",)
    if by == "cell" and fractional_cells:
        what = "rounded to the nearest integer" if how == "round" else "truncated to integers"
        default = " as SPSS CROSSTABS does by default" if how == "round" else ""
        return (
            f"Non-integer weighted cell counts were {what} before any statistic was computed{default} "
            f"(COUNT = CELL {how.upper()}).",
        )
    return ()


def crosstab_from_counts(
    counts: Any,
    *,
    row_labels: Sequence[Any] | None = None,
    col_labels: Sequence[Any] | None = None,
    row_scores: Sequence[float] | Mapping[Any, float] | None = None,
    col_scores: Sequence[float] | Mapping[Any, float] | None = None,
    exact: bool = False,
    n_resamples: int = 10_000,
    random_state: int = 2_000_000,
) -> CrosstabResult:
    """The statistics of :func:`crosstab` for a ready table of counts.

    Parameters
    ----------
    counts : array-like or pandas.DataFrame
        Non-negative counts, rows x columns (a DataFrame's labels are kept).
    row_labels, col_labels : sequence, optional
        Category labels (default: the DataFrame's, or 1, 2, ...).
    row_scores, col_scores : sequence or mapping, optional
        Scores for the linear-by-linear association (default 1, 2, ...).
    exact, n_resamples, random_state
        As in :func:`crosstab`.

    Returns
    -------
    CrosstabResult

    Raises
    ------
    EmptyTableError
        Not a 2-D table, negative or non-finite counts, no cases, or fewer
        than two non-empty rows or columns.
    StatisticInputError
        N above 2**53 (about 9.007e15): counts are no longer exact in floating point.

    Notes
    -----
    All-zero rows and columns are kept in ``counts`` but left out of the tests
    and measures (as SPSS, which never shows them), with a footnote.

    Examples
    --------
    >>> res = crosstab_from_counts([[762, 327, 468], [484, 239, 477]])
    >>> round(float(res.tests.loc["pearson_chi2", "statistic"]), 1)
    30.1
    """
    if isinstance(counts, pd.DataFrame):
        arr = counts.to_numpy(dtype=float)
        r_index = pd.Index(row_labels if row_labels is not None else counts.index)
        c_index = pd.Index(col_labels if col_labels is not None else counts.columns)
    else:
        try:
            arr = np.asarray(counts, dtype=float)
        except (TypeError, ValueError):
            raise EmptyTableError("The table of counts must be numeric.") from None
        if arr.ndim != 2:
            raise EmptyTableError(f"A table of counts must be 2-dimensional, got {arr.ndim} dimension(s).")
        r_index = pd.Index(row_labels if row_labels is not None else range(1, arr.shape[0] + 1))
        c_index = pd.Index(col_labels if col_labels is not None else range(1, arr.shape[1] + 1))
    if arr.ndim != 2 or len(r_index) != arr.shape[0] or len(c_index) != arr.shape[1]:
        raise EmptyTableError(
            f"Table of shape {arr.shape} does not match {len(r_index)} row and {len(c_index)} column labels."
        )
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise EmptyTableError("Counts must be finite and >= 0; the table has a negative, missing or infinite cell.")
    if np.allclose(arr, np.round(arr)) and arr.sum() <= _MAX_EXACT_N:  # larger N: refused by _analyse
        arr = np.round(arr).astype(np.int64)
    r_levels = np.arange(1, arr.shape[0] + 1, dtype=float)
    c_levels = np.arange(1, arr.shape[1] + 1, dtype=float)
    rs = _scores(row_scores, r_levels, r_index, "row")
    cs = _scores(col_scores, c_levels, c_index, "column")
    return _analyse(arr, r_index, c_index, rs, cs, exact, n_resamples, random_state, "row", "column", from_data=False)


# --------------------------------------------------------------------------- internals


def _factorize(values: np.ndarray, survey: Any = None, name: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Category index of each case, with the categories in value-code order (:mod:`qualquant.quant._order`)."""
    codes, uniques = pd.factorize(values, sort=False)
    order = category_order(survey, name, list(uniques))
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    return position[codes.astype(np.int64)], np.asarray(uniques)[order]


def _labelled_index(survey: Any, name: str, levels: np.ndarray) -> pd.Index:
    labels = [survey.value_label(name, v) for v in levels]
    if all(lab is not None for lab in labels) and len(set(labels)) == len(labels):
        return pd.Index(labels, name=name)
    tidy = [int(v) if isinstance(v, float) and float(v).is_integer() else v for v in levels]
    return pd.Index(tidy, name=name)


def _scores(given: Any, levels: np.ndarray, index: pd.Index, what: str, codes: np.ndarray | None = None) -> np.ndarray:
    if given is None:
        if np.issubdtype(np.asarray(levels).dtype, np.number):
            return np.asarray(levels, dtype=float)
        if codes is not None:  # text categories with numeric value codes: score by the codes, as SPSS would
            return np.asarray(codes, dtype=float)
        return np.arange(1, len(levels) + 1, dtype=float)
    if isinstance(given, Mapping):
        out = []
        for lev, lab in zip(levels, index):
            key = lab if lab in given else (lev if lev in given else None)
            if key is None:
                raise StatisticInputError(f"No score for {what} category {lab!r}; give a score for every category.")
            out.append(float(given[key]))
        return np.asarray(out)
    arr = np.asarray(list(given), dtype=float)
    if arr.shape != (len(levels),):
        raise StatisticInputError(
            f"{len(arr)} {what} scores were given for {len(levels)} categories ({', '.join(map(str, index))})."
        )
    return arr


def _analyse(
    table: np.ndarray,
    r_index: pd.Index,
    c_index: pd.Index,
    rs: np.ndarray,
    cs: np.ndarray,
    exact: bool,
    n_resamples: int,
    random_state: int,
    rname: str,
    cname: str,
    *,
    from_data: bool,
    extra_notes: Sequence[str] = (),
) -> CrosstabResult:
    table = np.asarray(table)
    n = float(table.sum())
    if n <= 0:
        raise EmptyTableError(f"The table of {rname} by {cname} has no cases.")
    if n > _MAX_EXACT_N:
        raise StatisticInputError(
            f"The table of {rname} by {cname} has N = {n:.4g} cases; counts above 2**53 (about 9.007e15) "
            "cannot be held exactly in floating point, so the statistics would be wrong. Check the counts "
            "or weights (a weight in the wrong unit?)."
        )
    row_tot = table.sum(axis=1).astype(float)
    col_tot = table.sum(axis=0).astype(float)
    r_keep = row_tot > 0
    c_keep = col_tot > 0
    if r_keep.sum() < 2 or c_keep.sum() < 2:
        which, k = (rname, int(r_keep.sum())) if r_keep.sum() < 2 else (cname, int(c_keep.sum()))
        err = ConstantVariableError if from_data else EmptyTableError
        raise err(
            f"No statistics are computed because {which!r} has {k} non-empty categor{'y' if k == 1 else 'ies'} "
            f"(a chi-square test needs at least two non-empty rows and two non-empty columns)."
        )
    expected = np.outer(row_tot, col_tot) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = table - expected
        std_res = np.where(expected > 0, diff / np.sqrt(expected), np.nan)
        adj_den = np.sqrt(expected * np.outer(1 - row_tot / n, 1 - col_tot / n))
        adj_res = np.where(adj_den > 0, diff / adj_den, np.nan)
        row_pct = 100.0 * table / row_tot[:, None]
        col_pct = 100.0 * table / col_tot[None, :]
    total_pct = 100.0 * table / n

    sub = table[np.ix_(r_keep, c_keep)]
    sub_e = expected[np.ix_(r_keep, c_keep)]
    rsub, csub = rs[r_keep], cs[c_keep]
    nr, nc = sub.shape
    dof = (nr - 1) * (nc - 1)
    # Pearson and likelihood ratio from scipy (same expected counts).
    pearson = stats.chi2_contingency(sub, correction=False)
    lr = stats.chi2_contingency(sub, correction=False, lambda_="log-likelihood")
    rows: dict[str, dict[str, Any]] = {}
    rows["pearson_chi2"] = _test_row(float(pearson.statistic), dof, float(pearson.pvalue))
    rows["likelihood_ratio"] = _test_row(float(lr.statistic), dof, float(lr.pvalue))
    # Linear-by-linear association: (N - 1) r^2 with r the weighted Pearson correlation
    # of the scores (SPSS CROSSTABS; Agresti 2007, sec. 2.5.1). scipy has no M2 test.
    r_lin = _score_correlation(sub, rsub, csub)
    m2 = (n - 1) * r_lin**2 if np.isfinite(r_lin) else np.nan
    rows["linear_by_linear"] = _test_row(m2, 1, float(stats.chi2.sf(m2, 1)) if np.isfinite(m2) else np.nan)

    notes: list[str] = []
    below5 = int((sub_e < 5).sum())
    notes.append(
        f"{below5} cells ({100.0 * below5 / sub_e.size:.1f}%) have expected count less than 5. "
        f"The minimum expected count is {sub_e.min():.2f}."
    )
    dropped_r = [str(x) for x, k in zip(r_index, r_keep) if not k]
    dropped_c = [str(x) for x, k in zip(c_index, c_keep) if not k]
    if dropped_r or dropped_c:
        parts = []
        if dropped_r:
            parts.append(f"row(s) {', '.join(dropped_r)}")
        if dropped_c:
            parts.append(f"column(s) {', '.join(dropped_c)}")
        notes.append(f"Empty {' and '.join(parts)} (no cases) left out of the tests and measures, as SPSS does.")

    int_table = np.round(sub).astype(np.int64)
    rounded = not np.allclose(sub, int_table)
    if nr == 2 and nc == 2:
        yates = stats.chi2_contingency(sub, correction=True)
        rows["continuity_correction"] = _test_row(float(yates.statistic), 1, float(yates.pvalue))
        fisher = fisher_2x2(int_table)
        # Direction of the deviation from independence: a > r1 c1 / N, compared as
        # Python integers (a * N and r1 * c1 overflow int64 beyond N of about 3e9).
        (a, b), (c, d) = (int(x) for x in int_table[0]), (int(x) for x in int_table[1])
        excess = a * (a + b + c + d) - (a + b) * (a + c)
        one = fisher.greater if excess > 0 else fisher.less if excess < 0 else min(fisher.less, fisher.greater)
        rows["fisher_exact"] = _test_row(np.nan, np.nan, fisher.two_sided, one, method="exact")
        notes.append("Continuity correction and Fisher's exact test are computed only for a 2x2 table.")
    elif exact:
        try:
            res = fisher_rxc_exact(int_table)
        except TooLargeForExact:
            res = fisher_rxc_monte_carlo(int_table, n_resamples=n_resamples, random_state=random_state)
            note = (
                f"Fisher-Freeman-Halton p-value based on {n_resamples} Monte Carlo tables (seed {random_state}); "
                f"standard error {res.p_value_se:.4f}. The exact network was too large."
            )
            if res.p_value == 0:
                note += f" No simulated table was as extreme: p < {3.0 / n_resamples:.4f} (95% upper bound)."
            notes.append(note)
        rows["fisher_exact"] = _test_row(
            np.nan, np.nan, res.p_value, method=res.method, n_resamples=res.n_resamples, p_value_se=res.p_value_se
        )
    if rounded and "fisher_exact" in rows:
        notes.append("Fisher's exact test used the weighted counts rounded to integers.")
    notes.extend(extra_notes)

    tests = pd.DataFrame.from_dict(rows, orient="index")[TEST_COLUMNS]
    chi2_val = float(pearson.statistic)
    p_chi = float(pearson.pvalue)
    if nr == 2 and nc == 2:
        phi = _phi_2x2(sub)
    else:
        phi = np.sqrt(chi2_val / n)
    v = np.sqrt(chi2_val / (n * (min(nr, nc) - 1)))
    cc = np.sqrt(chi2_val / (chi2_val + n))
    measures = pd.DataFrame(
        {"value": [phi, v, cc], "p_value": [p_chi] * 3}, index=["phi", "cramers_v", "contingency_coefficient"]
    )

    def frame(x: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(x, index=r_index.copy(), columns=c_index.copy())

    return CrosstabResult(
        counts=frame(table),
        expected=frame(expected),
        row_percent=frame(row_pct),
        col_percent=frame(col_pct),
        total_percent=frame(total_pct),
        std_residuals=frame(std_res),
        adjusted_residuals=frame(adj_res),
        tests=tests,
        measures=measures,
        footnotes=tuple(notes),
        n=n,
        row_scores=tuple(float(x) for x in rs),
        col_scores=tuple(float(x) for x in cs),
        row_variable=rname,
        col_variable=cname,
    )


_MAX_EXACT_N = 2.0**53  # largest N whose every count is an exact float64 integer


def _phi_2x2(sub: np.ndarray) -> float:
    """Signed phi ``(ad - bc) / sqrt(r1 r2 c1 c2)`` without integer overflow.

    Whole-number counts are multiplied as Python integers (exact at any N; int64
    products of the four margins wrap around beyond N of about 110,000), the
    square root of the margin product is taken in floating point. Fractional
    (weighted, ``noninteger="asis"``) counts are multiplied as floats.
    """
    a: float
    b: float
    c: float
    d: float
    if np.issubdtype(sub.dtype, np.integer):
        (a, b), (c, d) = (int(x) for x in sub[0]), (int(x) for x in sub[1])
    else:
        (a, b), (c, d) = (float(x) for x in sub[0]), (float(x) for x in sub[1])
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    return float((a * d - b * c) / math.sqrt(margins))


def _test_row(
    statistic: float,
    dof: float,
    p: float,
    one: float = np.nan,
    *,
    method: str = "asymptotic",
    n_resamples: int = 0,
    p_value_se: float = 0.0,
) -> dict[str, Any]:
    return {
        "statistic": float(statistic),
        "df": float(dof),
        "p_value": float(p),
        "p_value_one_sided": float(one),
        "method": method,
        "n_resamples": int(n_resamples),
        "p_value_se": float(p_value_se),
    }


def _score_correlation(table: np.ndarray, rs: np.ndarray, cs: np.ndarray) -> float:
    n = table.sum()
    rm = (table.sum(axis=1) @ rs) / n
    cm = (table.sum(axis=0) @ cs) / n
    rd, cd = rs - rm, cs - cm
    sxy = rd @ table @ cd
    sxx = table.sum(axis=1) @ rd**2
    syy = table.sum(axis=0) @ cd**2
    if sxx <= 0 or syy <= 0:
        return np.nan
    return float(sxy / np.sqrt(sxx * syy))
