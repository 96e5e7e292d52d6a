"""Crosstab statistics at large N: no integer overflow (quant/crosstab.py, quant/_fisher.py).

A fixed table scaled by 10^k keeps its proportions, so the reference values are
known exactly: expected counts and the Pearson and likelihood-ratio chi-squares
scale by 10^k, phi, Cramer's V and the contingency coefficient do not change.
The references are computed independently of quant:

- closed forms in exact rational arithmetic (Python integers and
  ``fractions.Fraction``): expected counts ``r_i c_j / N``, Pearson chi-square,
  phi ``(ad - bc) / sqrt(r1 r2 c1 c2)``, Yates' corrected chi-square
  ``N (|ad - bc| - N/2)^2 / (r1 r2 c1 c2)`` and the linear-by-linear
  ``(N - 1) r^2`` with ``r`` the Pearson correlation of the scores;
- ``scipy.stats.chi2_contingency`` (with and without the continuity
  correction, and ``lambda_="log-likelihood"``) and
  ``scipy.stats.contingency.association`` (Cramer's V, Tschuprow's T, Pearson's
  contingency coefficient), scipy 1.17;
- the published values of Agresti (2007, Tables 2.5 and 2.7; in
  tests/reference/quant), multiplied by 10^k;
- for Fisher's exact test at N = 8e9, the hypergeometric tails of
  ``scipy.stats.hypergeom`` and the symmetry of a table with equal margins.

N = 10^6, 10^7 and 10^9 (the product of the four margins of a 2 x 2 table
passes 2^63 from N of about 110,000, so an int64 product gives phi = 96.28 at
N = 10^6 and NaN at N = 10^7).
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats.contingency import association

from qualquant import quant
from qualquant.quant.errors import StatisticInputError

REF = Path(__file__).resolve().parent / "reference" / "quant"

# Base tables of N = 100, so that scaling by 10^4, 10^5 and 10^7 gives N = 10^6, 10^7 and 10^9.
BASE = {
    "2x2": [[30, 10], [15, 45]],
    "2x3": [[20, 15, 15], [10, 15, 25]],
    "3x3": [[20, 10, 5], [5, 10, 20], [10, 10, 10]],
}
SCALES = {"N=1e6": 10**4, "N=1e7": 10**5, "N=1e9": 10**7}
CASES = [(name, scale) for name in BASE for scale in SCALES.values()]
IDS = [f"{name}-{label}" for name in BASE for label in SCALES]


def scaled(name: str, scale: int) -> np.ndarray:
    return np.array(BASE[name], dtype=np.int64) * scale


# ----------------------------------------------------------- exact closed forms (Python ints / fractions)


def _margins(t):
    rows = [sum(r) for r in t]
    cols = [sum(c) for c in zip(*t)]
    return rows, cols, sum(rows)


def exact_expected(t) -> list[list[Fraction]]:
    rows, cols, n = _margins(t)
    return [[Fraction(r * c, n) for c in cols] for r in rows]


def exact_pearson(t) -> Fraction:
    e = exact_expected(t)
    return sum(((o - ee) ** 2 / ee for ro, re in zip(t, e) for o, ee in zip(ro, re)), Fraction(0))


def exact_lr(t) -> float:
    """G2 = 2 sum O ln(O N / (r c)); the ratio inside the log is an exact fraction."""
    rows, cols, n = _margins(t)
    return 2.0 * sum(o * math.log(Fraction(o * n, r * c)) for ro, r in zip(t, rows) for o, c in zip(ro, cols) if o)


def exact_phi_2x2(t) -> float:
    (a, b), (c, d) = t
    num = a * d - b * c
    sq = Fraction(num * num, (a + b) * (c + d) * (a + c) * (b + d))
    return math.copysign(math.sqrt(sq), num)


def exact_yates_2x2(t) -> Fraction:
    (a, b), (c, d) = t
    n = a + b + c + d
    dev = max(Fraction(abs(a * d - b * c)) - Fraction(n, 2), Fraction(0))
    return n * dev**2 / ((a + b) * (c + d) * (a + c) * (b + d))


def exact_linear_by_linear(t, rs, cs) -> Fraction:
    """(N - 1) r^2 with r the Pearson correlation of integer scores, as an exact fraction."""
    rows, cols, n = _margins(t)
    sx = sum(r * s for r, s in zip(rows, rs))
    sy = sum(c * s for c, s in zip(cols, cs))
    sxx = sum(r * s * s for r, s in zip(rows, rs)) - Fraction(sx * sx, n)
    syy = sum(c * s * s for c, s in zip(cols, cs)) - Fraction(sy * sy, n)
    sxy = sum(t[i][j] * rs[i] * cs[j] for i in range(len(rows)) for j in range(len(cols))) - Fraction(sx * sy, n)
    return (n - 1) * sxy * sxy / (sxx * syy)


def as_ints(t: np.ndarray) -> list[list[int]]:
    return [[int(x) for x in row] for row in t]


# ----------------------------------------------------------- scaled tables


@pytest.mark.parametrize("name,scale", CASES, ids=IDS)
def test_expected_counts_and_chi_squares_scale_with_n(name, scale):
    t = scaled(name, scale)
    exact = as_ints(t)
    base = BASE[name]
    res = quant.crosstab_from_counts(t)
    assert res.n == float(t.sum())
    expected = np.array([[float(e) for e in row] for row in exact_expected(exact)])
    np.testing.assert_allclose(res.expected.to_numpy(), expected, rtol=1e-14)
    tests = res.tests["statistic"]
    # Pearson: exact fraction, scipy, and the base table's value times the scale.
    assert tests["pearson_chi2"] == pytest.approx(float(exact_pearson(exact)), rel=1e-10)
    assert tests["pearson_chi2"] == pytest.approx(float(exact_pearson(base)) * scale, rel=1e-10)
    sp = stats.chi2_contingency(t, correction=False)
    assert tests["pearson_chi2"] == pytest.approx(float(sp.statistic), rel=1e-10)
    assert res.tests.loc["pearson_chi2", "p_value"] == pytest.approx(float(sp.pvalue), abs=1e-300)
    # Likelihood ratio.
    lr = stats.chi2_contingency(t, correction=False, lambda_="log-likelihood")
    assert tests["likelihood_ratio"] == pytest.approx(float(lr.statistic), rel=1e-10)
    assert tests["likelihood_ratio"] == pytest.approx(exact_lr(base) * scale, rel=1e-10)
    # Linear-by-linear association with the default scores 1, 2, ...
    rs = list(range(1, len(base) + 1))
    cs = list(range(1, len(base[0]) + 1))
    assert tests["linear_by_linear"] == pytest.approx(float(exact_linear_by_linear(exact, rs, cs)), rel=1e-9)


@pytest.mark.parametrize("name,scale", CASES, ids=IDS)
def test_measures_are_scale_invariant(name, scale):
    t = scaled(name, scale)
    base = BASE[name]
    res = quant.crosstab_from_counts(t)
    small = quant.crosstab_from_counts(base)
    m = res.measures["value"]
    nr, nc = t.shape
    for measure in ("phi", "cramers_v", "contingency_coefficient"):
        assert np.isfinite(m[measure]), measure
        assert m[measure] == pytest.approx(small.measures.loc[measure, "value"], rel=1e-12), measure
    assert m["cramers_v"] == pytest.approx(association(t, method="cramer", correction=False), rel=1e-12)
    assert m["contingency_coefficient"] == pytest.approx(association(t, method="pearson", correction=False), rel=1e-12)
    # Tschuprow's T^2 = phi^2 / sqrt((r-1)(c-1)); for square tables T equals V.
    tschuprow = association(t, method="tschuprow", correction=False)
    phi2 = float(exact_pearson(base)) / sum(map(sum, base))
    assert tschuprow == pytest.approx(math.sqrt(phi2 / math.sqrt((nr - 1) * (nc - 1))), rel=1e-12)
    if nr == nc:
        assert m["cramers_v"] == pytest.approx(tschuprow, rel=1e-12)
    if (nr, nc) == (2, 2):
        assert abs(m["phi"]) <= 1.0
        assert m["phi"] == pytest.approx(exact_phi_2x2(as_ints(t)), rel=1e-12)
        assert m["phi"] == pytest.approx(exact_phi_2x2(base), rel=1e-12)
        assert m["phi"] ** 2 == pytest.approx(res.tests.loc["pearson_chi2", "statistic"] / res.n, rel=1e-10)
    else:
        assert m["phi"] == pytest.approx(math.sqrt(phi2), rel=1e-12)


@pytest.mark.parametrize("scale", list(SCALES.values()), ids=list(SCALES))
def test_phi_at_one_billion_equals_phi_of_the_base_table(scale):
    (a, b), (c, d) = BASE["2x2"]
    phi_base = (a * d - b * c) / math.sqrt((a + b) * (c + d) * (a + c) * (b + d))  # 1200 / sqrt(40*60*45*55)
    res = quant.crosstab_from_counts(scaled("2x2", scale))
    assert res.measures.loc["phi", "value"] == pytest.approx(phi_base, rel=1e-12)
    assert phi_base == pytest.approx(0.4923659639173309, rel=1e-15)


@pytest.mark.parametrize("scale", list(SCALES.values()), ids=list(SCALES))
def test_continuity_correction_and_fisher_at_large_n(scale):
    t = scaled("2x2", scale)
    res = quant.crosstab_from_counts(t)
    yates = stats.chi2_contingency(t, correction=True)
    assert res.tests.loc["continuity_correction", "statistic"] == pytest.approx(float(yates.statistic), rel=1e-10)
    assert res.tests.loc["continuity_correction", "statistic"] == pytest.approx(
        float(exact_yates_2x2(as_ints(t))), rel=1e-10
    )
    f = res.tests.loc["fisher_exact"]
    # Far from independence at this N: both p-values underflow to 0 (scipy.stats.fisher_exact agrees).
    assert f["p_value"] == pytest.approx(float(stats.fisher_exact(t).pvalue), abs=1e-300)
    assert f["p_value_one_sided"] == pytest.approx(
        float(stats.fisher_exact(t, alternative="greater").pvalue), abs=1e-300
    )


def test_published_chi_squares_times_ten_to_the_k():
    """Agresti (2007) Table 2.5: X2 = 30.1, G2 = 30.0; Table 2.7: M2 = 6.57 (scores 0, .5, 1.5, 4, 7)."""
    party = json.loads((REF / "agresti2007_table2_5_party_gender.json").read_text(encoding="utf-8"))
    k = 10**5  # N = 2757 * 10^5 = 275,700,000
    res = quant.crosstab_from_counts(np.array(party["counts"], dtype=np.int64) * k)
    pub, tol = party["published"], party["published_rounding"]
    assert abs(res.tests.loc["pearson_chi2", "statistic"] - pub["pearson_chi2"] * k) <= tol["pearson_chi2"] * k
    assert abs(res.tests.loc["likelihood_ratio", "statistic"] - pub["likelihood_ratio"] * k) <= (
        tol["likelihood_ratio"] * k
    )
    np.testing.assert_allclose(
        res.adjusted_residuals.to_numpy() / math.sqrt(k),
        pub["adjusted_residuals"],
        atol=tol["adjusted_residuals"] + 1e-9,
    )

    alcohol = json.loads((REF / "agresti2007_table2_7_alcohol_malformation.json").read_text(encoding="utf-8"))
    k = 10**4  # N = 32,574 * 10^4 = 325,740,000
    counts = np.array(alcohol["counts"], dtype=np.int64)
    res = quant.crosstab_from_counts(counts * k, row_scores=alcohol["row_scores"])
    n0 = int(counts.sum())
    # M2 = (N - 1) r^2 and r does not change with the scale.
    m2 = alcohol["published"]["linear_by_linear"] * (n0 * k - 1) / (n0 - 1)
    tol = alcohol["published_rounding"]["linear_by_linear"] * (n0 * k - 1) / (n0 - 1)
    assert abs(res.tests.loc["linear_by_linear", "statistic"] - m2) <= tol
    halves = [int(2 * s) for s in alcohol["row_scores"]]  # 0, 1, 3, 8, 14: r is unchanged by rescaling scores
    exact = exact_linear_by_linear(as_ints(counts * k), halves, [1, 2])
    assert res.tests.loc["linear_by_linear", "statistic"] == pytest.approx(float(exact), rel=1e-9)


# ----------------------------------------------------------- Fisher's exact test past int64 products


def test_fisher_two_sided_at_eight_billion():
    """N = 8e9: products of margins pass 2^63 (scipy 1.17's fisher_exact gives the one-sided p as two-sided).

    With equal row and column totals the hypergeometric distribution of the
    first cell is symmetric about its mean, so the two-sided p-value is twice the
    upper tail, ``2 P(X >= a)``. (A table within a few counts of the mean is
    avoided: scipy's hypergeometric tail there takes seconds at this N.)
    """
    h = 2 * 10**9
    dev = 25_000
    a, b = h + dev, h - dev
    t = np.array([[a, b], [b, a]], dtype=np.int64)
    res = quant.crosstab_from_counts(t)
    n, r1 = 2 * (a + b), a + b
    upper = float(stats.hypergeom.sf(a - 1, n, r1, r1))
    f = res.tests.loc["fisher_exact"]
    assert f["p_value_one_sided"] == pytest.approx(upper, rel=1e-9)
    assert f["p_value"] == pytest.approx(2 * upper, rel=1e-9)
    # Sanity: at this N Fisher's p is close to the continuity-corrected chi-square p.
    assert f["p_value"] == pytest.approx(res.tests.loc["continuity_correction", "p_value"], rel=1e-3)
    assert res.measures.loc["phi", "value"] == pytest.approx(exact_phi_2x2(as_ints(t)), rel=1e-12)

    # The mirrored table deviates the other way: the one-sided p is then the lower tail.
    res = quant.crosstab_from_counts(t[::-1])
    assert res.tests.loc["fisher_exact", "p_value_one_sided"] == pytest.approx(upper, rel=1e-9)
    assert res.measures.loc["phi", "value"] == pytest.approx(-exact_phi_2x2(as_ints(t)), rel=1e-12)


# ----------------------------------------------------------- case data and weights


def test_case_data_with_a_million_rows():
    """Unweighted case data: the cell counts are int64 (one million cases)."""
    reps = 10**4
    g, a = [], []
    for (i, j), n in np.ndenumerate(np.array(BASE["2x2"])):
        g += [i + 1] * (n * reps)
        a += [j + 1] * (n * reps)
    df = pd.DataFrame({"g": np.array(g, dtype=np.int8), "a": np.array(a, dtype=np.int8)})
    assert len(df) == 10**6
    res = quant.crosstab(df, "g", "a")
    assert res.measures.loc["phi", "value"] == pytest.approx(exact_phi_2x2(BASE["2x2"]), rel=1e-12)
    assert res.tests.loc["pearson_chi2", "statistic"] == pytest.approx(
        float(exact_pearson(BASE["2x2"])) * reps, rel=1e-10
    )


def test_rounded_weighted_counts_at_one_billion():
    """Fractional weights rounded per cell (SPSS COUNT = CELL ROUND) give an int64 table of N = 10^9."""
    scale = 10**7
    rows = [(i + 1, j + 1, n * scale + 0.4) for (i, j), n in np.ndenumerate(np.array(BASE["2x2"]))]
    df = pd.DataFrame(rows, columns=["g", "a", "w"])
    res = quant.crosstab(df, "g", "a", weights="w")
    assert res.n == 10**9
    assert res.measures.loc["phi", "value"] == pytest.approx(exact_phi_2x2(BASE["2x2"]), rel=1e-12)
    assert res.tests.loc["pearson_chi2", "statistic"] == pytest.approx(
        float(exact_pearson(BASE["2x2"])) * scale, rel=1e-10
    )


def test_counts_beyond_exact_floating_point_are_refused():
    with pytest.raises(StatisticInputError, match=r"2\*\*53"):
        quant.crosstab_from_counts([[2**53, 1], [1, 1]])
    df = pd.DataFrame({"g": [1, 1, 2, 2], "a": [1, 2, 1, 2], "w": [1e19, 0.5, 1.5, 2.0]})
    with pytest.raises(StatisticInputError, match=r"2\*\*53"):
        quant.crosstab(df, "g", "a", weights="w")
