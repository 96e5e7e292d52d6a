"""The two small statistics shared by the coding and integration analyses.

- :func:`mann_whitney`: the two-sided Mann-Whitney U test with the
  rank-biserial correlation, recording whether the p-value is exact or
  asymptotic (topics against codes, numeric attributes of linked cases);
- :func:`benjamini_hochberg`: Benjamini-Hochberg adjusted p-values
  (topic x code alignment, code co-occurrence, linked-case tests).

Every caller in the project uses these two functions, so a p-value is computed
and adjusted the same way in every table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qualquant.coding.errors import CodingError

__all__ = ["EXACT_MAX_N", "MannWhitneyResult", "benjamini_hochberg", "mann_whitney"]

#: The exact Mann-Whitney distribution is used when the smaller group has at most this many values (and no ties).
EXACT_MAX_N = 8


@dataclass(frozen=True, slots=True)
class MannWhitneyResult:
    """Result of :func:`mann_whitney`.

    Attributes
    ----------
    statistic : float
        ``U`` of ``x``: pairs with x > y, ties counting one half.
    p_value : float
        Two-sided p-value.
    rank_biserial : float
        ``2 U / (n_x n_y) - 1`` (+1: every x above every y).
    method : str
        ``"exact"`` (the exact null distribution of U) or ``"asymptotic"``
        (normal approximation with tie and continuity corrections).
    n_x, n_y : int
        Group sizes.
    ties : bool
        True when the pooled values have ties.
    """

    statistic: float
    p_value: float
    rank_biserial: float
    method: str
    n_x: int
    n_y: int
    ties: bool


def mann_whitney(x: Sequence[float], y: Sequence[float]) -> MannWhitneyResult:
    """Two-sided Mann-Whitney U test of ``x`` against ``y`` with the rank-biserial correlation.

    Parameters
    ----------
    x, y : sequence of float
        The two samples (each with at least one value; no NaN).

    Returns
    -------
    MannWhitneyResult
        ``statistic`` (U of ``x``), ``p_value`` (two-sided), ``rank_biserial``,
        ``method`` (``"exact"`` or ``"asymptotic"``), ``n_x``, ``n_y``, ``ties``.

    Raises
    ------
    CodingError
        A group is empty or holds a missing value.

    Notes
    -----
    The method is chosen explicitly and recorded: the exact distribution of
    U when the smaller group has at most :data:`EXACT_MAX_N` (8) values and
    there are no ties (the rule of scipy's ``method="auto"``, which does not
    depend on the total n), otherwise the normal approximation with the tie
    correction of the variance and a continuity correction
    (:func:`scipy.stats.mannwhitneyu` with ``method="asymptotic"``). Checked
    against Hollander & Wolfe (1973, p. 69; the example of R's
    ``wilcox.test``): U = 35, exact two-sided p = 0.2544.

    References
    ----------
    Hollander, M., & Wolfe, D. A. (1973). *Nonparametric statistical methods*.
    Wiley.

    Kerby, D. S. (2014). The simple difference formula: An approach to teaching
    nonparametric correlation. *Comprehensive Psychology, 3*, 11.IT.3.1.

    Examples
    --------
    >>> r = mann_whitney([3.1, 4.2, 5.0], [1.0, 2.5])
    >>> r.statistic, round(r.p_value, 3), r.rank_biserial, r.method
    (6.0, 0.2, 1.0, 'exact')
    """
    from scipy.stats import mannwhitneyu

    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if len(xa) == 0 or len(ya) == 0:
        raise CodingError("The Mann-Whitney test needs at least one value in each group.")
    if np.isnan(xa).any() or np.isnan(ya).any():
        raise CodingError("The Mann-Whitney test got a missing value (NaN); drop missing values first.")
    pooled = np.concatenate([xa, ya])
    ties = bool(len(np.unique(pooled)) < len(pooled))
    method = "exact" if min(len(xa), len(ya)) <= EXACT_MAX_N and not ties else "asymptotic"
    res = mannwhitneyu(xa, ya, alternative="two-sided", method=method, use_continuity=True)
    u = float(res.statistic)
    return MannWhitneyResult(
        statistic=u,
        p_value=float(res.pvalue),
        rank_biserial=2.0 * u / (len(xa) * len(ya)) - 1.0,
        method=method,
        n_x=len(xa),
        n_y=len(ya),
        ties=ties,
    )


def benjamini_hochberg(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (as R's ``p.adjust(p, "BH")``; NaN stays NaN).

    Parameters
    ----------
    p_values : sequence of float
        Raw p-values; NaN (a test that could not be run) is kept as NaN and
        does not count towards the number of tests.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the input order: ``min over j >= i of p_(j) m / j``,
        capped at 1.

    Notes
    -----
    Checked against the worked example of Benjamini & Hochberg (1995,
    Section 4): at q = 0.05 the four smallest of the 15 p-values are rejected.

    References
    ----------
    Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate.
    *Journal of the Royal Statistical Society: Series B, 57*(1), 289-300.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.02]).round(3).tolist()
    [0.04, 0.04, 0.04, 0.04]
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = len(q)
    if m == 0:
        return out
    order = np.argsort(q, kind="stable")
    ranked = q[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    result = np.empty(m)
    result[order] = np.minimum(adjusted, 1.0)
    out[ok] = result
    return out
