"""Tests of coding.stats: the shared Mann-Whitney U test and Benjamini-Hochberg adjustment.

Reference values:
- Hollander & Wolfe (1973), *Nonparametric Statistical Methods*, p. 69 (the example
  of R's ``wilcox.test``): U = 35, exact two-sided p = 0.2544
  (tests/reference/topics/mann_whitney_hollander_wolfe.csv, README there).
- Exact p for larger samples: the null distribution of U computed here by full
  enumeration of the rank assignments (independently computed), two-sided
  p = 2 min(P(U <= u), P(U >= u)) as R's ``wilcox.test(exact = TRUE)``.
- Asymptotic p with ties: the normal approximation written out here
  (independently computed) with the tie-corrected variance
  var(U) = n1 n2 / 12 [(n + 1) - sum(t^3 - t) / (n (n - 1))] and a continuity
  correction of 1/2.
- Benjamini & Hochberg (1995), Section 4: the 15 p-values of their example
  (tests/reference/topics/bh1995_pvalues.csv).
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from qualquant.coding.errors import CodingError
from qualquant.coding.stats import EXACT_MAX_N, benjamini_hochberg, mann_whitney

REFERENCE = Path(__file__).resolve().parent / "reference" / "topics"


def _hollander_wolfe():
    ref = pd.read_csv(REFERENCE / "mann_whitney_hollander_wolfe.csv")
    return (ref.loc[ref["group"] == "x", "value"].to_numpy(), ref.loc[ref["group"] == "y", "value"].to_numpy())


def _exact_two_sided(x, y) -> tuple[float, float]:
    """U of x and the exact two-sided p by enumerating every split of the pooled ranks (no ties)."""
    pooled = np.concatenate([x, y])
    ranks = sps.rankdata(pooled)
    n1, n = len(x), len(pooled)
    u_obs = ranks[:n1].sum() - n1 * (n1 + 1) / 2
    us = np.array([sum(ranks[list(c)]) - n1 * (n1 + 1) / 2 for c in itertools.combinations(range(n), n1)])
    lower, upper = float((us <= u_obs + 1e-9).mean()), float((us >= u_obs - 1e-9).mean())
    return float(u_obs), min(1.0, 2 * min(lower, upper))


def test_hollander_wolfe_exact():
    x, y = _hollander_wolfe()
    res = mann_whitney(x, y)
    assert res.statistic == 35  # Hollander & Wolfe (1973, p. 69)
    assert res.p_value == pytest.approx(0.2544, abs=5e-5)  # exact two-sided
    assert res.rank_biserial == pytest.approx(0.4)
    assert (res.method, res.n_x, res.n_y, res.ties) == ("exact", 10, 5, False)


def test_exact_when_small_group_at_most_eight_even_with_large_n():
    rng = np.random.default_rng(7)
    values = rng.permutation(np.arange(1, 21) + 0.5 * rng.random(20))
    x, y = values[:5] + 3.0, values[5:]  # n = 20 > 16, smaller group 5 <= 8, no ties
    res = mann_whitney(x, y)
    u_ref, p_ref = _exact_two_sided(x, y)
    assert res.method == "exact"
    assert res.statistic == pytest.approx(u_ref)
    assert res.p_value == pytest.approx(p_ref, rel=1e-9)
    # the smaller group may be either argument
    assert mann_whitney(y, x).method == "exact"
    assert mann_whitney(y, x).p_value == pytest.approx(p_ref, rel=1e-9)


def test_asymptotic_with_ties_matches_tie_corrected_normal_approximation():
    x = [3, 4, 4, 5, 6, 7, 7]
    y = [1, 2, 2, 3, 4, 5, 5, 6]
    res = mann_whitney(x, y)
    assert res.method == "asymptotic" and res.ties
    n1, n2 = len(x), len(y)
    n = n1 + n2
    _, counts = np.unique(x + y, return_counts=True)
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - (counts**3 - counts).sum() / (n * (n - 1))))
    u = sum((a > b) + 0.5 * (a == b) for a in x for b in y)
    z = (abs(u - n1 * n2 / 2) - 0.5) / sigma
    assert res.statistic == u
    assert res.p_value == pytest.approx(2 * sps.norm.sf(z), rel=1e-12)


def test_asymptotic_without_ties_when_both_groups_exceed_eight():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=EXACT_MAX_N + 1), rng.normal(0.5, size=EXACT_MAX_N + 4)
    assert mann_whitney(x, y).method == "asymptotic"
    assert mann_whitney(x[:EXACT_MAX_N], y).method == "exact"


def test_bad_input_is_a_coding_error():
    with pytest.raises(CodingError, match="at least one value"):
        mann_whitney([], [1.0])
    with pytest.raises(CodingError, match="missing value"):
        mann_whitney([1.0, float("nan")], [2.0])


def test_benjamini_hochberg_1995_example():
    ref = pd.read_csv(REFERENCE / "bh1995_pvalues.csv")
    adjusted = benjamini_hochberg(ref["p"].to_numpy())
    np.testing.assert_allclose(adjusted, ref["p_bh"].to_numpy(), rtol=1e-5)
    assert int((adjusted <= 0.05).sum()) == 4  # Benjamini & Hochberg (1995), Section 4
    with_nan = benjamini_hochberg(np.append(ref["p"].to_numpy(), np.nan))
    assert np.isnan(with_nan[-1])  # an untested row stays NaN and is not counted
    np.testing.assert_allclose(with_nan[:-1], ref["p_bh"].to_numpy(), rtol=1e-5)
    assert benjamini_hochberg([]).shape == (0,)
