"""Scale reliability: Cronbach's alpha with SPSS RELIABILITY's item-total statistics."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from qualquant.quant._weights import prepare
from qualquant.quant.errors import ConstantVariableError, StatisticInputError

__all__ = ["CronbachAlphaResult", "cronbach_alpha", "reverse_code"]

ITEM_COLUMNS = [
    "item",
    "scale_mean_if_deleted",
    "scale_variance_if_deleted",
    "corrected_item_total_correlation",
    "squared_multiple_correlation",
    "alpha_if_deleted",
]


@dataclass(frozen=True, slots=True, eq=False)
class CronbachAlphaResult:
    """Cronbach's alpha of a scale.

    Attributes
    ----------
    alpha : float
        Raw alpha, ``k/(k-1) (1 - sum(var_i)/var_total)``.
    alpha_standardized : float
        Alpha of standardized items, ``k rbar / (1 + (k-1) rbar)``.
    n : float
        (Weighted) number of cases valid on every item (listwise, as SPSS).
    n_items : int
    item_total : pandas.DataFrame
        SPSS "Item-Total Statistics": ``item, scale_mean_if_deleted,
        scale_variance_if_deleted, corrected_item_total_correlation,
        squared_multiple_correlation, alpha_if_deleted``.
    """

    alpha: float
    alpha_standardized: float
    n: float
    n_items: int
    item_total: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """One-row summary: ``alpha, alpha_standardized, n_items, n``."""
        return pd.DataFrame(
            [{"alpha": self.alpha, "alpha_standardized": self.alpha_standardized, "n_items": self.n_items, "n": self.n}]
        )


def cronbach_alpha(data: Any, items: Sequence[str], *, weights: Any = None) -> CronbachAlphaResult:
    """Cronbach's alpha, standardized alpha and item-total statistics.

    Parameters
    ----------
    data : pandas.DataFrame or Survey
    items : sequence of str
        At least two numeric items, already coded in the same direction
        (see :func:`reverse_code`).
    weights : str or array-like, optional
        Frequency weights (covariances use ``sum(w) - 1`` as SPSS).

    Returns
    -------
    CronbachAlphaResult

    Raises
    ------
    StatisticInputError
        Fewer than two items or two valid cases, or a non-numeric item.
    ConstantVariableError
        The scale total has zero variance.
    VariableNotFoundError, WeightError

    Notes
    -----
    Cases with a missing value on any item are left out (listwise, SPSS's
    RELIABILITY default). Corrected item-total correlation: item with the sum
    of the other items. Squared multiple correlation: ``1 - 1/(R^-1)_ii``.
    Checked against Hoyt's (1941) ANOVA form of alpha,
    ``1 - MS_residual / MS_persons``, computed independently in the tests.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16, 297–334.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 4], "c": [1, 3, 3, 4, 5]})
    >>> round(cronbach_alpha(df, ["a", "b", "c"]).alpha, 4)
    0.9451
    """
    if len(items) < 2:
        raise StatisticInputError("Cronbach's alpha needs at least two items.")
    prep = prepare(data, items, weights)
    names = list(prep.frame.columns)
    for c in names:
        if not pd.api.types.is_numeric_dtype(prep.frame[c].dtype):
            raise StatisticInputError(f"Item {c!r} is not numeric ({prep.frame[c].dtype}).")
    ok = prep.valid()
    x = prep.frame.to_numpy(dtype=float, na_value=np.nan)[ok]
    w = prep.weights[ok]
    n = float(w.sum())
    if n < 2 or len(x) < 2:
        raise StatisticInputError(f"Cronbach's alpha needs at least two cases valid on all items; found {n:g}.")
    k = len(names)
    cov = _weighted_cov(x, w)
    total_var = cov.sum()
    if total_var <= 0:
        raise ConstantVariableError("The scale total is constant (zero variance); alpha is undefined.")
    item_var = np.diag(cov)
    alpha = k / (k - 1) * (1 - item_var.sum() / total_var)
    sd = np.sqrt(item_var)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
        rbar = (corr.sum() - np.trace(corr)) / (k * (k - 1))
        alpha_std = k * rbar / (1 + (k - 1) * rbar)
    means = np.average(x, axis=0, weights=w)
    rows = []
    try:
        inv_diag = np.diag(np.linalg.inv(corr))
        smc = 1 - 1 / inv_diag
    except np.linalg.LinAlgError:
        smc = np.full(k, np.nan)
    if not np.all(np.isfinite(smc)):
        smc = np.where(np.isfinite(smc), smc, np.nan)
    for i, name in enumerate(names):
        rest = [j for j in range(k) if j != i]
        rest_var = cov[np.ix_(rest, rest)].sum()
        cov_item_rest = cov[i, rest].sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            r_it = cov_item_rest / np.sqrt(item_var[i] * rest_var)
            a_del = (k - 1) / (k - 2) * (1 - item_var[rest].sum() / rest_var) if k > 2 else np.nan
        rows.append(
            {
                "item": name,
                "scale_mean_if_deleted": float(means[rest].sum()),
                "scale_variance_if_deleted": float(rest_var),
                "corrected_item_total_correlation": float(r_it),
                "squared_multiple_correlation": float(smc[i]) if k > 2 else np.nan,
                "alpha_if_deleted": float(a_del),
            }
        )
    table = pd.DataFrame(rows, columns=ITEM_COLUMNS)
    return CronbachAlphaResult(float(alpha), float(alpha_std), n, k, table)


def _weighted_cov(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    m = np.average(x, axis=0, weights=w)
    xc = x - m
    return (xc * w[:, None]).T @ xc / (w.sum() - 1)


def reverse_code(series: Any, minimum: float, maximum: float, *, keep: Iterable[Any] = ()) -> pd.Series:
    """Reverse a rating item: ``minimum + maximum - x``.

    Parameters
    ----------
    series : pandas.Series or array-like
    minimum, maximum : number
        The scale's end points (e.g. 1 and 5).
    keep : iterable
        Codes left unchanged, e.g. user-missing codes such as 9 or 99.

    Returns
    -------
    pandas.Series
        A new Series (the input is not modified); NaN stays NaN.

    Raises
    ------
    StatisticInputError
        ``minimum >= maximum``, or a value outside [minimum, maximum] that is
        not in ``keep`` (the message lists such values).

    Examples
    --------
    >>> reverse_code(pd.Series([1, 2, 5, 9]), 1, 5, keep=[9]).tolist()
    [5, 4, 1, 9]
    """
    if not minimum < maximum:
        raise StatisticInputError(f"reverse_code needs minimum < maximum, got {minimum} and {maximum}.")
    s = series.copy() if isinstance(series, pd.Series) else pd.Series(series)
    keep_set = list(keep)
    kept = s.isin(keep_set) if keep_set else pd.Series(False, index=s.index)
    vals = pd.to_numeric(s.where(~kept), errors="coerce")
    bad = s[(s.notna() & ~kept) & (vals.isna() | (vals < minimum) | (vals > maximum))]
    if len(bad):
        shown = ", ".join(map(str, pd.unique(bad)[:10]))
        raise StatisticInputError(
            f"reverse_code: value(s) {shown} outside {minimum}..{maximum} "
            f"(rows {', '.join(map(str, bad.index[:10]))}). "
            "Pass missing-value codes in keep=."
        )
    out = s.where(kept, minimum + maximum - vals)
    if pd.api.types.is_integer_dtype(s.dtype) and float(minimum + maximum).is_integer():
        return out.astype(s.dtype)
    return out
