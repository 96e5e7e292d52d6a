"""Fisher–Freeman–Halton test for r x c tables.

Written here because scipy has no exact r x c Fisher test: ``scipy.stats.fisher_exact``
is exact only for 2 x 2 tables (larger tables only through generic permutation /
Monte Carlo methods that shuffle individual cases). SPSS Exact Tests and R's
``fisher.test`` use the network algorithm of Mehta & Patel (1983); this module
computes the same p-value:

    p = sum of P(T) over all tables T with the observed margins and
        P(T) <= P(observed) * (1 + 1e-7)

where ``P(T) = prod(r_i!) prod(c_j!) / (N! prod(t_ij!))`` (the multivariate
hypergeometric probability; the relative tolerance is R's).

Exact algorithm (a column-wise network with merged past paths): columns are
filled one at a time; a node is the vector of row totals still to fill. Nodes
reached by partial tables with the same value of ``sum log(1/t_ij!)`` are merged
(their multiplicities add), so the work grows with the number of distinct
nodes and values, not with the number of tables. The last two columns are
summed in one vectorised step (the next-to-last column determines the last).
When the network would be too large the caller falls back to Monte Carlo:
tables are drawn from the same hypergeometric null with
``scipy.stats.random_table`` and the p-value is the share of draws with
``P(T) <= P(observed)``, with its binomial standard error.

References
----------
Freeman, G. H., & Halton, J. H. (1951). Note on an exact treatment of contingency,
goodness of fit and other problems of significance. *Biometrika*, 38, 141–149.
Mehta, C. R., & Patel, N. R. (1983). A network algorithm for performing Fisher's
exact test in r x c contingency tables. *JASA*, 78, 427–434.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln
from scipy.stats import hypergeom

__all__ = ["Fisher2x2", "FisherRxC", "fisher_2x2", "fisher_rxc_exact", "fisher_rxc_monte_carlo", "TooLargeForExact"]

_REL_TOL = 1e-7


class TooLargeForExact(Exception):
    """Internal signal: the exact network is larger than the work limit."""


@dataclass(frozen=True, slots=True)
class FisherRxC:
    """Result of a Fisher–Freeman–Halton test."""

    p_value: float
    method: str  # "exact" or "monte_carlo"
    n_resamples: int  # 0 when exact
    p_value_se: float  # 0.0 when exact


@dataclass(frozen=True, slots=True)
class Fisher2x2:
    """Fisher's exact test of a 2 x 2 table: two-sided and both one-sided p-values."""

    two_sided: float
    less: float  # P(X <= a): the table's first cell at or below the observed one
    greater: float  # P(X >= a)


def fisher_2x2(table: ArrayLike) -> Fisher2x2:
    """Fisher's exact test of a 2 x 2 table with margins held as Python integers.

    The same test as :func:`scipy.stats.fisher_exact` (two-sided: the tables no
    more probable than the observed one, with scipy's relative tolerance
    1e-14), written here because scipy computes the mode of the hypergeometric
    distribution as an int64 product ``(n + 1) * (n1 + 1)``: beyond N of about
    6e9 the product wraps around and the two-sided p-value is wrong (scipy
    1.17 gives 0.5 instead of 1 for ``[[2e9, 2e9], [2e9, 2e9]]``). Here the
    mode and the direction of the observed deviation use exact integer
    arithmetic; the probabilities come from :data:`scipy.stats.hypergeom`.
    """
    (a, b), (c, d) = ((int(round(float(x))) for x in row) for row in np.asarray(table))
    n1, n2, k = a + b, c + d, a + c  # row 1, row 2, column 1
    total = n1 + n2
    if min(n1, n2, k, b + d) == 0:
        return Fisher2x2(1.0, 1.0, 1.0)  # one outcome only: every table has the observed margins
    less = float(hypergeom.cdf(a, total, n1, k))
    greater = float(hypergeom.sf(a - 1, total, n1, k))

    def pmf(x: int) -> float:
        return float(hypergeom.pmf(x, total, n1, k))

    mode = (k + 1) * (n1 + 1) // (total + 2)
    p_obs, p_mode = pmf(a), pmf(mode)
    gamma = 1.0 + 1e-14
    if abs(p_obs - p_mode) / max(p_obs, p_mode) <= 1e-14:
        return Fisher2x2(1.0, less, greater)
    lo_x, hi_x = max(0, k - n2), min(k, n1)
    if a < mode:
        if pmf(hi_x) > p_obs * gamma:
            return Fisher2x2(min(less, 1.0), less, greater)
        x = _last_at_most(lambda t: -pmf(t), -p_obs * gamma, mode, hi_x)
        two = less + float(hypergeom.sf(x, total, n1, k))
    else:
        if pmf(lo_x) > p_obs * gamma:
            return Fisher2x2(min(greater, 1.0), less, greater)
        x = _last_at_most(pmf, p_obs * gamma, lo_x, mode)
        two = greater + float(hypergeom.cdf(x, total, n1, k))
    return Fisher2x2(min(two, 1.0), less, greater)


def _last_at_most(f: Callable[[int], float], target: float, lo: int, hi: int) -> int:
    """Largest x in [lo - 1, hi] with f(x) <= target, for f increasing on [lo, hi]."""
    while lo < hi:
        mid = lo + (hi - lo) // 2
        val = f(mid)
        if val < target:
            lo = mid + 1
        elif val > target:
            hi = mid - 1
        else:
            return mid
    return lo if f(lo) <= target else lo - 1


def _log_table_prob_const(rows: np.ndarray, cols: np.ndarray) -> float:
    n = rows.sum()
    return float(gammaln(rows + 1).sum() + gammaln(cols + 1).sum() - gammaln(n + 1))


def _compositions(total: int, bounds: np.ndarray) -> np.ndarray:
    """All integer vectors x with 0 <= x <= bounds and sum(x) == total (one per row)."""
    k = len(bounds)
    if k == 1:
        return np.array([[total]]) if 0 <= total <= bounds[0] else np.zeros((0, 1), dtype=np.int64)
    # Enumerate all but the largest bound on a grid; the largest absorbs the rest.
    last = int(np.argmax(bounds))
    others = [i for i in range(k) if i != last]
    ranges = [np.arange(min(int(bounds[i]), total) + 1) for i in others]
    size = int(np.prod([len(r) for r in ranges], dtype=np.float64))
    if size > 5_000_000:
        raise TooLargeForExact
    grids = np.meshgrid(*ranges, indexing="ij")
    flat = np.stack([g.ravel() for g in grids], axis=1)
    rest = total - flat.sum(axis=1)
    ok = (rest >= 0) & (rest <= bounds[last])
    out = np.empty((int(ok.sum()), k), dtype=np.int64)
    out[:, others] = flat[ok]
    out[:, last] = rest[ok]
    return out


def fisher_rxc_exact(table: np.ndarray, *, max_nodes: int = 250_000) -> FisherRxC:
    """Exact Fisher–Freeman–Halton p-value (raises TooLargeForExact beyond the limit)."""
    t = np.asarray(table, dtype=np.int64)
    # Nodes are vectors of remaining row totals, so the side with the smaller
    # node space prod(total + 1) becomes the rows.
    if np.prod(t.sum(axis=1) + 1.0) > np.prod(t.sum(axis=0) + 1.0):
        t = t.T
    rows = t.sum(axis=1)
    if np.prod(rows + 1.0) > max_nodes or t.shape[1] > 12:
        raise TooLargeForExact  # the node space alone is too big: decide before any work
    # Small columns first: early nodes have few children (measured faster on 4x4 tables).
    order = np.argsort(t.sum(axis=0), kind="stable")
    t = t[:, order]
    cols = t.sum(axis=0)
    const = _log_table_prob_const(rows, cols)
    obs = const - gammaln(t + 1).sum()
    threshold = obs + np.log1p(_REL_TOL) - const  # compare sum(-log t!) against this

    # stage: dict node(tuple of remaining row totals) -> dict(rounded past -> [past, multiplicity])
    stage: dict[tuple[int, ...], dict[float, list[float]]] = {tuple(int(r) for r in rows): {0.0: [0.0, 1.0]}}
    n_cols = len(cols)
    for j in range(n_cols - 2):
        nxt: dict[tuple[int, ...], dict[float, list[float]]] = {}
        for node, pasts in stage.items():
            rem = np.array(node)
            xs = _compositions(int(cols[j]), rem)
            vals = -gammaln(xs + 1).sum(axis=1)
            children = rem[None, :] - xs
            for child, v in zip(map(tuple, children.tolist()), vals.tolist()):
                bucket = nxt.setdefault(child, {})
                for past, mult in pasts.values():
                    s = past + v
                    key = round(s, 9)
                    entry = bucket.get(key)
                    if entry is None:
                        bucket[key] = [s, mult]
                    else:
                        entry[1] += mult
            if len(nxt) > max_nodes:
                raise TooLargeForExact
        stage = nxt
        if sum(len(b) for b in stage.values()) > 4 * max_nodes:
            raise TooLargeForExact

    p = 0.0
    for node, pasts in stage.items():
        rem = np.array(node)
        if n_cols >= 2:
            xs = _compositions(int(cols[n_cols - 2]), rem)
            vals = -gammaln(xs + 1).sum(axis=1) - gammaln(rem[None, :] - xs + 1).sum(axis=1)
        else:
            vals = np.array([-gammaln(rem + 1).sum()])
        vals = np.sort(vals)
        cum = np.cumsum(np.exp(vals + const))  # probability mass of the completions, ascending
        past_sums = np.array([pm[0] for pm in pasts.values()])
        mults = np.array([pm[1] for pm in pasts.values()])
        idx = np.searchsorted(vals, threshold - past_sums, side="right")
        has = idx > 0
        p += float(np.sum(mults[has] * np.exp(past_sums[has]) * cum[idx[has] - 1]))
    return FisherRxC(min(1.0, p), "exact", 0, 0.0)


def fisher_rxc_monte_carlo(table: np.ndarray, *, n_resamples: int, random_state: int) -> FisherRxC:
    """Monte Carlo Fisher–Freeman–Halton p-value with its standard error."""
    from scipy.stats import random_table

    t = np.asarray(table, dtype=np.int64)
    rows, cols = t.sum(axis=1), t.sum(axis=0)
    obs = -gammaln(t + 1).sum()
    dist = random_table(rows, cols, seed=np.random.default_rng(random_state))
    hits = 0
    done = 0
    batch = 20_000
    while done < n_resamples:
        m = min(batch, n_resamples - done)
        sims = dist.rvs(size=m)
        stat = -gammaln(sims + 1).sum(axis=(1, 2))
        hits += int(np.sum(stat <= obs + np.log1p(_REL_TOL)))
        done += m
    p = hits / n_resamples
    return FisherRxC(p, "monte_carlo", n_resamples, float(np.sqrt(p * (1 - p) / n_resamples)))
