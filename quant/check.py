"""Checks of reported statistics: recompute p from the reported test statistic.

:func:`check_reported` reads results such as ``χ2(16) = 155.77, p = .406`` from
text or a table, recomputes the p value from the statistic and its degrees of
freedom and classifies each result the way statcheck does (Nuijten et al.,
2016; Epskamp & Nuijten, statcheck R package): *consistent*, *inconsistent*,
*gross_inconsistency* (the significance decision at ``alpha`` flips) or
*error* (the result cannot be checked, e.g. a correlation without N).
Given the category counts of the crosstab behind a chi-square test, the
reported df is also compared with (r - 1)(c - 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from qualquant.quant._statparse import (
    ACCEPTED_EXAMPLE,
    ReportedResult,
    has_candidate,
    looks_like_file,
    number_decimals,
    number_value,
    p_number_value,
    parse_table,
    parse_text,
    read_reported_source,
)
from qualquant.quant.errors import ReportedStatisticParseError
from qualquant.quant.render import format_p

__all__ = ["check_reported", "recompute_p", "CHECK_COLUMNS"]

CHECK_COLUMNS = [
    "source",
    "label",
    "test",
    "statistic",
    "df1",
    "df2",
    "n",
    "reported",
    "reported_p",
    "reported_comparison",
    "recomputed_p",
    "recomputed_p_low",
    "recomputed_p_high",
    "expected_df",
    "p_at_expected_df",
    "verdict",
    "reason",
]

_SYMBOL = {"chi2": "χ2", "r": "r", "t": "t", "F": "F", "z": "z"}


def recompute_p(test: str, statistic: float, df1: float | None = None, df2: float | None = None) -> float:
    """Two-tailed p for t, z and r; upper-tail p for chi-square and F.

    Parameters
    ----------
    test : {"chi2", "r", "t", "F", "z"}
    statistic : float
        The test statistic (for ``r`` the correlation coefficient).
    df1, df2 : float, optional
        Degrees of freedom: chi-square and t use ``df1``; F uses both; for r,
        ``df1`` is N - 2.

    Returns
    -------
    float

    Notes
    -----
    As statcheck's ``compute_p``: ``r`` is converted with
    t = r sqrt(df / (1 - r^2)) and tested against t(df); |r| = 1 gives p = 0.
    """
    x = abs(statistic)
    if test == "chi2":
        return float(stats.chi2.sf(statistic, df1))
    if test == "F":
        return float(stats.f.sf(statistic, df1, df2))
    if test == "z":
        return float(2 * stats.norm.sf(x))
    if test == "t":
        return float(2 * stats.t.sf(x, df1))
    if test == "r":
        if df1 is None:
            raise ValueError("r needs its degrees of freedom: df1 = N - 2")
        if x >= 1:
            return 0.0
        t_value = x * math.sqrt(df1 / (1 - x * x))
        return float(2 * stats.t.sf(t_value, df1))
    raise ValueError(f"unknown test {test!r}")


def _fmt_df(df: float | None) -> str:
    if df is None:
        return ""
    return str(int(df)) if float(df).is_integer() else f"{df:g}"


def _decision_error(reported: float, computed: float, tcomp: str, pcomp: str, alpha: float) -> bool:
    """statcheck's decision_error_test with pEqualAlphaSig = TRUE (p = alpha is significant)."""
    if tcomp == "=":
        if pcomp == "=":
            return (reported <= alpha < computed) or (reported > alpha >= computed)
        if pcomp == "<":
            return reported <= alpha < computed
        return reported >= alpha and computed <= alpha
    if tcomp == "<":
        if pcomp in ("=", "<"):
            return reported <= alpha and computed >= alpha
        return False
    if pcomp == "<":
        return False
    return reported >= alpha and computed <= alpha if pcomp == ">" else reported > alpha and computed <= alpha


def _count_key(label: str | None, counts: Mapping[str, Sequence[int]]) -> tuple[int, ...] | None:
    if not counts:
        return None
    norm = {str(k).strip().casefold(): v for k, v in counts.items()}
    if label is not None and label.strip().casefold() in norm:
        return tuple(norm[label.strip().casefold()])
    return tuple(norm["*"]) if "*" in norm else None


def _check_one(rec: ReportedResult, alpha: float, counts: Mapping[str, Sequence[int]] | None) -> dict[str, Any]:
    row: dict[str, Any] = {c: None for c in CHECK_COLUMNS}
    row.update(
        source=rec.source,
        label=rec.label,
        test=rec.test,
        df1=rec.df1,
        df2=rec.df2,
        n=rec.n,
        reported_p=rec.p_text,
        reported_comparison=rec.p_comparison,
    )
    sym = _SYMBOL[rec.test]

    def error(reason: str) -> dict[str, Any]:
        row.update(verdict="error", reason=reason)
        return row

    if rec.statistic_text is not None:
        row["statistic"] = number_value(rec.statistic_text)
    if rec.problem:
        return error(rec.problem)
    stat_text, p_text, pcomp = rec.statistic_text, rec.p_text, rec.p_comparison
    if stat_text is None or p_text is None or pcomp is None:  # the parsers set a problem for these
        return error("the statistic, the p value or its comparison sign is missing")
    stat_value = number_value(stat_text)
    df1, df2 = rec.df1, rec.df2
    if rec.test == "r" and df1 is None:
        if rec.n is None:
            return error(
                "a correlation needs N or df: write r(785) = .37, or give N (N = 787 in the "
                "text, an n column, or the n argument)"
            )
        df1 = float(rec.n - 2)
        row["df1"] = df1
    needs = {"chi2": df1 is None, "t": df1 is None, "F": df1 is None or df2 is None, "r": False, "z": False}
    if needs[rec.test]:
        return error(f"{sym} needs its degrees of freedom, e.g. {'F(2, 100)' if rec.test == 'F' else sym + '(16)'}")
    if (df1 is not None and df1 <= 0) or (df2 is not None and df2 <= 0):
        return error("degrees of freedom must be positive")
    if rec.test in ("chi2", "F") and stat_value < 0:
        return error(f"{sym} cannot be negative")
    if rec.test == "r" and abs(stat_value) > 1:
        return error(f"a correlation cannot exceed 1 in absolute value (r = {rec.statistic_text})")
    p_rep = p_number_value(p_text)
    if p_rep > 1:
        return error(f"a p value cannot exceed 1 (p = {rec.p_text})")
    p_dec = number_decimals(p_text)
    stat_dec = number_decimals(stat_text)
    tcomp = rec.test_comparison
    dfs = f"({_fmt_df(df1)}{', ' + _fmt_df(df2) if df2 is not None else ''})" if rec.test != "z" else ""
    row["reported"] = f"{sym}{dfs} {tcomp} {rec.statistic_text}, p {pcomp} {rec.p_text}"

    computed = recompute_p(rec.test, stat_value, df1, df2)
    # The reported statistic stands for any value in its rounding interval
    # (statcheck: x +/- 0.5 * 10^-decimals); the p values at the interval's
    # ends bound the p values that are consistent with it.
    half = 0.5 * 10.0 ** (-stat_dec)
    mag = abs(stat_value)
    low_stat, up_stat = max(mag - half, 0.0), mag + half
    if rec.test == "r":
        up_stat = min(up_stat, 1.0)
    p_high = recompute_p(rec.test, low_stat, df1, df2)
    p_low = recompute_p(rec.test, up_stat, df1, df2)
    row.update(recomputed_p=computed, recomputed_p_low=p_low, recomputed_p_high=p_high)
    # p-values span many orders of magnitude: three significant digits
    shown, shown_low, shown_high = (format_p(v, style="sig3", missing="nan") for v in (computed, p_low, p_high))
    interval = (
        f"any {sym} in [{low_stat:.{stat_dec + 1}f}, {up_stat:.{stat_dec + 1}f}] gives p in [{shown_low}, {shown_high}]"
    )
    reasons: list[str] = []
    inconsistent = False
    if pcomp == "=" and p_rep <= 0:
        inconsistent = True
        reasons.append(f"p cannot be exactly 0; report p < .{'0' * (max(p_dec, 3) - 1)}1 (recomputed p = {shown})")
    else:
        h = 0.5 * 10.0 ** (-p_dec)
        tol = 1e-12
        if tcomp == "=":
            if pcomp == "=":
                ok = p_low <= p_rep + h + tol and p_high >= p_rep - h - tol
            elif pcomp == "<":
                ok = p_low < p_rep
            else:
                ok = p_high > p_rep
        elif tcomp == "<":  # the statistic is below the value: p is at least p(up)
            ok = (p_rep >= round(p_high, p_dec) - tol) if pcomp == "=" else (p_rep >= p_high if pcomp == "<" else True)
        else:  # statistic above the value: p is at most p(low)
            ok = (p_rep <= round(p_low, p_dec) + tol) if pcomp == "=" else (True if pcomp == "<" else p_rep <= p_low)
        if ok:
            reasons.append(f"reported p {pcomp} {rec.p_text} agrees with recomputed p = {shown} ({interval})")
        else:
            inconsistent = True
            reasons.append(f"reported p {pcomp} {rec.p_text} does not match recomputed p = {shown} ({interval})")
    gross = inconsistent and _decision_error(p_rep, computed, tcomp, pcomp, alpha)
    if gross:
        rep_sig = "significant" if (p_rep <= alpha and pcomp != ">") else "non-significant"
        new_sig = "significant" if computed <= alpha else "non-significant"
        reasons.append(
            f"gross inconsistency: reported as {rep_sig} but the recomputed p is {new_sig} at alpha = {alpha:g}"
        )

    if rec.test == "chi2" and counts:
        rc = _count_key(rec.label, counts)
        if rc is not None:
            r_cat, c_cat = int(rc[0]), int(rc[1])
            expected = (r_cat - 1) * (c_cat - 1)
            row["expected_df"] = expected
            if expected >= 1:
                p_exp = recompute_p("chi2", stat_value, expected)
                row["p_at_expected_df"] = p_exp
            if df1 != expected:
                inconsistent = True
                msg = (
                    f"df = {_fmt_df(df1)} does not fit the category counts: ({r_cat} - 1) x ({c_cat} - 1) = {expected}"
                )
                if expected >= 1:
                    shown_exp = format_p(row["p_at_expected_df"], style="sig3", missing="nan")
                    msg += f"; with df = {expected}, {sym} = {rec.statistic_text} gives p = {shown_exp}"
                    if _decision_error(p_rep, row["p_at_expected_df"], tcomp, pcomp, alpha):
                        gross = True
                        msg += f", which flips the decision at alpha = {alpha:g}"
                reasons.append(msg)
            else:
                reasons.append(f"df = {expected} fits the category counts ({r_cat} - 1) x ({c_cat} - 1)")
    if rec.n_origin in ("text", "argument") and rec.test == "r":
        reasons.append(f"df = N - 2 = {_fmt_df(df1)} with N = {rec.n} from the {rec.n_origin}")
    verdict = "gross_inconsistency" if gross else ("inconsistent" if inconsistent else "consistent")
    row.update(verdict=verdict, reason="; ".join(reasons))
    return row


def check_reported(
    text_or_table: str | Path | pd.DataFrame,
    *,
    alpha: float = 0.05,
    counts: Mapping[str, tuple[int, int]] | None = None,
    n: int | None = None,
) -> pd.DataFrame:
    """Recompute reported p values and classify each result (statcheck rules).

    Parameters
    ----------
    text_or_table : str, pathlib.Path or pandas.DataFrame
        Running text with results such as ``χ2(16) = 155.77, p = .406``; a
        table (DataFrame) with statistic, df and p columns; or the path of a
        CSV/TSV/XLSX table or a TXT/MD/TEX text file.
    alpha : float, default 0.05
        Significance level for gross inconsistencies (p = alpha counts as
        significant, as statcheck's default ``pEqualAlphaSig = TRUE``).
    counts : mapping of str to (int, int), optional
        Category counts (rows, columns) of the crosstab behind each chi-square
        test, keyed by the row label (table ``factor``/``label`` column, case
        insensitive); the key ``"*"`` applies to every other chi-square result,
        e.g. to text. A df other than (rows - 1)(columns - 1) is flagged.
    n : int, optional
        Sample size for correlations reported without df (df = n - 2). If not
        given, an ``N = ...`` in the text is used (the nearest one before the
        result).

    Returns
    -------
    pandas.DataFrame
        One row per reported result with columns ``source`` (matched text or
        table row), ``label``, ``test`` (chi2, r, t, F, z), ``statistic``,
        ``df1``, ``df2``, ``n``, ``reported`` (normalised APA form),
        ``reported_p`` (the p value as written), ``reported_comparison``
        (=, <, >), ``recomputed_p`` (p of the statistic as reported),
        ``recomputed_p_low``/``recomputed_p_high`` (p at the ends of the
        statistic's rounding interval), ``expected_df`` and
        ``p_at_expected_df`` (with ``counts``), ``verdict`` (consistent,
        inconsistent, gross_inconsistency, error) and ``reason``.

    Raises
    ------
    ReportedStatisticParseError
        If no reported result can be found in the text, a file cannot be read,
        or a table lacks a statistic or p column.

    Notes
    -----
    Rules of statcheck (Nuijten et al., 2016; statcheck R package, functions
    ``error_test`` and ``decision_error_test``):

    - A statistic written with k decimals stands for any value in
      [x - 0.5 * 10^-k, x + 0.5 * 10^-k]. ``p = v`` (written with d decimals)
      is consistent if some p in the resulting range rounds to v at d
      decimals; ``p < v`` if the smallest p of the range is below v; ``p > v``
      if the largest p is above v.
    - ``p = 0`` (``p = .000``) is always inconsistent: report p < .001.
    - An inconsistent result is a gross inconsistency when the reported and
      the recomputed p lie on different sides of alpha.
    - t, z and r are two-tailed; chi-square and F use the upper tail.
      statcheck's optional one-tailed correction is not applied.

    Recomputed p values agree with ``scipy.stats`` distribution functions
    (chi2.sf, f.sf, t.sf, norm.sf), which match R's pchisq/pf/pt/pnorm.

    References
    ----------
    Nuijten, M. B., Hartgerink, C. H. J., van Assen, M. A. L. M., Epskamp, S.,
    & Wicherts, J. M. (2016). The prevalence of statistical reporting errors in
    psychology (1985–2013). *Behavior Research Methods, 48*(4), 1205–1226.

    Epskamp, S., & Nuijten, M. B. (2016). *statcheck: Extract statistics from
    articles and recompute p values* [R package].

    Examples
    --------
    >>> res = check_reported("t(28) = 2.20, p = .06")
    >>> res.loc[0, "verdict"]
    'gross_inconsistency'
    >>> check_reported("χ2(16) = 155.77, p < .001").loc[0, "verdict"]
    'consistent'
    """
    if not 0 < alpha < 1:
        raise ReportedStatisticParseError(f"alpha must be between 0 and 1, got {alpha}")
    where = "table"
    if isinstance(text_or_table, Path) or (isinstance(text_or_table, str) and looks_like_file(text_or_table)):
        path = Path(text_or_table)
        try:
            exists = path.is_file()
        except (OSError, ValueError):  # a name too long or with NUL bytes
            exists = False
        if not exists:
            raise ReportedStatisticParseError(
                f"{path.name}: no such file. Give an existing CSV/TSV/XLSX table or TXT/MD file, "
                f"or the text itself; {ACCEPTED_EXAMPLE}."
            )
        where = path.name
        text_or_table = read_reported_source(path)
    if isinstance(text_or_table, pd.DataFrame):
        if text_or_table.empty:
            raise ReportedStatisticParseError(f"{where}: the table has no rows")
        records = parse_table(text_or_table, n=n, where=where)
    elif isinstance(text_or_table, str):
        records = parse_text(text_or_table, n=n)
        if not records:
            shown = " ".join(text_or_table.split())
            shown = shown if len(shown) <= 120 else shown[:117] + "..."
            hint = (
                " It mentions a p value, but no test statistic (χ2, r, t, F, z) with its value directly before it."
                if has_candidate(text_or_table)
                else ""
            )
            raise ReportedStatisticParseError(
                f"no reported statistic found in '{shown}'.{hint} {ACCEPTED_EXAMPLE[0].upper()}{ACCEPTED_EXAMPLE[1:]}."
            )
    else:
        raise ReportedStatisticParseError(
            f"check_reported takes text, a file path or a DataFrame, not {type(text_or_table).__name__}"
        )
    rows = [_check_one(rec, alpha, counts) for rec in records]
    out = pd.DataFrame(rows, columns=CHECK_COLUMNS)
    for col in ("statistic", "df1", "df2", "recomputed_p", "recomputed_p_low", "recomputed_p_high", "p_at_expected_df"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    out["n"] = pd.array(
        [None if v is None or (isinstance(v, float) and np.isnan(v)) else int(v) for v in out["n"]], dtype="Int64"
    )
    out["expected_df"] = pd.array(
        [None if v is None or (isinstance(v, float) and np.isnan(v)) else int(v) for v in out["expected_df"]],
        dtype="Int64",
    )
    return out
