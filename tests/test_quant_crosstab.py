"""Crosstabs and their tests against published values (quant/crosstab.py, quant/_fisher.py)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import gammaln

from qualquant import quant
from qualquant.quant._fisher import fisher_2x2, fisher_rxc_exact, fisher_rxc_monte_carlo
from qualquant.quant.errors import ConstantVariableError, EmptyTableError, StatisticInputError, WeightError

REF = Path(__file__).resolve().parent / "reference" / "quant"


def load(name):
    return json.loads((REF / name).read_text(encoding="utf-8"))


def test_agresti_party_identification_by_gender():
    ref = load("agresti2007_table2_5_party_gender.json")
    res = quant.crosstab_from_counts(ref["counts"], row_labels=ref["rows"], col_labels=ref["cols"])
    pub = ref["published"]
    assert res.tests.loc["pearson_chi2", "statistic"] == pytest.approx(pub["pearson_chi2"], abs=0.05)
    assert res.tests.loc["likelihood_ratio", "statistic"] == pytest.approx(pub["likelihood_ratio"], abs=0.05)
    assert res.tests.loc["pearson_chi2", "df"] == pub["df"]
    np.testing.assert_allclose(res.adjusted_residuals.to_numpy(), pub["adjusted_residuals"], atol=0.005)
    assert list(res.counts.index) == ref["rows"]
    assert res.n == 2757
    assert "continuity_correction" not in res.tests.index and "fisher_exact" not in res.tests.index
    assert res.footnotes[0] == "0 cells (0.0%) have expected count less than 5. The minimum expected count is 246.35."


def test_agresti_linear_by_linear_with_scores():
    ref = load("agresti2007_table2_7_alcohol_malformation.json")
    res = quant.crosstab_from_counts(ref["counts"], row_scores=ref["row_scores"])
    lin = res.tests.loc["linear_by_linear"]
    assert lin["statistic"] == pytest.approx(ref["published"]["linear_by_linear"], abs=0.005)
    assert lin["df"] == 1
    ind = ref["independently_computed"]
    equal = quant.crosstab_from_counts(ref["counts"])
    assert equal.tests.loc["linear_by_linear", "statistic"] == pytest.approx(
        ind["linear_by_linear_scores_1_to_5"], rel=1e-6
    )
    assert res.tests.loc["pearson_chi2", "statistic"] == pytest.approx(ind["pearson_chi2"], rel=1e-6)
    assert res.tests.loc["likelihood_ratio", "statistic"] == pytest.approx(ind["likelihood_ratio"], rel=1e-6)
    # 3 of 10 cells have expected count < 5 (present x 1-2, 3-5, >=6).
    assert res.footnotes[0].startswith("3 cells (30.0%) have expected count less than 5.")


def test_linear_by_linear_is_n_minus_1_r_squared_on_case_data():
    # SPSS defines M2 = (N-1) r^2 on the variables' values.
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"a": rng.integers(1, 5, 300), "b": rng.integers(0, 3, 300)})
    r = np.corrcoef(df["a"], df["b"])[0, 1]
    res = quant.crosstab(df, "a", "b")
    assert res.tests.loc["linear_by_linear", "statistic"] == pytest.approx(299 * r * r, rel=1e-10)


def test_fisher_tea_tasting_one_and_two_sided():
    ref = load("agresti2007_table2_8_tea_tasting.json")
    res = quant.crosstab_from_counts(ref["counts"])
    f = res.tests.loc["fisher_exact"]
    assert f["p_value"] == pytest.approx(ref["published"]["fisher_two_sided"], abs=5e-4)
    assert f["p_value_one_sided"] == pytest.approx(ref["published"]["fisher_one_sided"], abs=5e-4)
    assert np.isnan(f["statistic"]) and f["method"] == "exact"
    # signed phi for 2x2: (ad - bc)/sqrt(r1 r2 c1 c2) = 8/16
    assert res.measures.loc["phi", "value"] == pytest.approx(0.5)
    # Yates: N(|ad-bc| - N/2)^2 / (r1 r2 c1 c2) = 8 * (8 - 4)^2 / 256
    assert res.tests.loc["continuity_correction", "statistic"] == pytest.approx(8 * 16 / 256)


def test_fisher_one_sided_follows_the_observed_direction():
    res = quant.crosstab_from_counts([[1, 3], [3, 1]])
    assert res.tests.loc["fisher_exact", "p_value_one_sided"] == pytest.approx(0.2428571, abs=1e-6)
    assert res.measures.loc["phi", "value"] == pytest.approx(-0.5)
    assert res.measures.loc["cramers_v", "value"] == pytest.approx(0.5)


def test_fisher_freeman_halton_job_satisfaction():
    ref = load("r_fisher_test_job_satisfaction.json")
    res = quant.crosstab_from_counts(ref["counts"], exact=True)
    f = res.tests.loc["fisher_exact"]
    assert f["method"] == "exact"
    assert f["p_value"] == pytest.approx(ref["published"]["fisher_exact"], abs=5e-5)
    # Transposing or permuting rows/columns does not change the test.
    t = np.array(ref["counts"])[[2, 0, 3, 1]].T
    assert fisher_rxc_exact(t).p_value == pytest.approx(f["p_value"], rel=1e-9)


def test_monte_carlo_agrees_within_its_error_and_is_reproducible():
    ref = load("r_fisher_test_job_satisfaction.json")
    mc = fisher_rxc_monte_carlo(np.array(ref["counts"]), n_resamples=50_000, random_state=11)
    assert mc.method == "monte_carlo" and mc.n_resamples == 50_000
    assert abs(mc.p_value - ref["published"]["fisher_exact"]) < 4 * mc.p_value_se
    again = fisher_rxc_monte_carlo(np.array(ref["counts"]), n_resamples=50_000, random_state=11)
    assert again == mc


def test_large_table_falls_back_to_monte_carlo_with_footnote():
    rng = np.random.default_rng(3)
    table = rng.integers(5, 40, size=(6, 8))
    res = quant.crosstab_from_counts(table, exact=True, n_resamples=2000, random_state=5)
    f = res.tests.loc["fisher_exact"]
    assert f["method"] == "monte_carlo" and f["n_resamples"] == 2000
    assert f["p_value_se"] == pytest.approx(np.sqrt(f["p_value"] * (1 - f["p_value"]) / 2000))
    assert any("2000 Monte Carlo tables" in n for n in res.footnotes)


def _brute_force_ffh(table):
    """Enumerate every table with the same margins (itertools) - independent of the network code."""
    table = np.asarray(table)
    rows, cols = table.sum(1), table.sum(0)
    r, c = table.shape

    def logp(t):
        return gammaln(rows + 1).sum() + gammaln(cols + 1).sum() - gammaln(table.sum() + 1) - gammaln(t + 1).sum()

    obs = logp(table)
    total = 0.0
    free = [range(min(rows[i], cols[j]) + 1) for i in range(r - 1) for j in range(c - 1)]
    for cells in itertools.product(*free):
        t = np.zeros((r, c), dtype=int)
        t[: r - 1, : c - 1] = np.array(cells).reshape(r - 1, c - 1)
        t[: r - 1, c - 1] = rows[: r - 1] - t[: r - 1, : c - 1].sum(1)
        t[r - 1, :] = cols - t[: r - 1, :].sum(0)
        if (t < 0).any():
            continue
        lp = logp(t)
        if lp <= obs + 1e-7:
            total += np.exp(lp)
    return total


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=6, max_size=6), st.booleans())
def test_exact_network_equals_brute_force_enumeration(cells, transpose):
    table = np.array(cells).reshape(2, 3)
    if transpose:
        table = table.T
    if (table.sum(0) == 0).any() or (table.sum(1) == 0).any():
        return
    assert fisher_rxc_exact(table).p_value == pytest.approx(_brute_force_ffh(table), rel=1e-9, abs=1e-12)


def test_three_by_three_brute_force():
    table = np.array([[3, 0, 2], [1, 4, 0], [0, 2, 5]])
    assert fisher_rxc_exact(table).p_value == pytest.approx(_brute_force_ffh(table), rel=1e-9)


def test_all_tables_and_percentages_from_case_data():
    df = pd.DataFrame({"sex": [1, 1, 2, 2, 2, 1], "ans": ["y", "n", "y", "y", "n", "y"]})
    s = quant.Survey(df, quant.SurveyMeta(value_labels={"sex": {1: "Male", 2: "Female"}}))
    res = quant.crosstab(s, "sex", "ans")
    assert list(res.counts.index) == ["Male", "Female"]
    assert list(res.counts.columns) == ["n", "y"]
    assert res.counts.to_numpy().tolist() == [[1, 2], [1, 2]]
    np.testing.assert_allclose(res.row_percent.to_numpy(), [[100 / 3, 200 / 3]] * 2)
    np.testing.assert_allclose(res.col_percent.to_numpy(), [[50, 50], [50, 50]])
    np.testing.assert_allclose(res.total_percent.to_numpy().sum(), 100)
    np.testing.assert_allclose(res.expected.to_numpy(), [[1, 2], [1, 2]])
    np.testing.assert_allclose(res.std_residuals.to_numpy(), 0)
    cells = res.to_frame()
    assert list(cells.columns) == [
        "row",
        "col",
        "count",
        "expected",
        "row_percent",
        "col_percent",
        "total_percent",
        "std_residual",
        "adjusted_residual",
    ]
    assert len(cells) == 4
    # String categories get scores 1, 2 for linear-by-linear.
    assert res.col_scores == (1.0, 2.0) and res.row_scores == (1.0, 2.0)


def test_weighted_equals_replicated_cases():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"a": rng.integers(1, 4, 60), "b": rng.integers(1, 3, 60), "w": rng.integers(0, 4, 60)})
    rep = df.loc[df.index.repeat(df["w"])]
    a = quant.crosstab(df, "a", "b", weights="w")
    b = quant.crosstab(rep, "a", "b")
    pd.testing.assert_frame_equal(a.tests[["statistic", "df", "p_value"]], b.tests[["statistic", "df", "p_value"]])
    np.testing.assert_allclose(a.counts.to_numpy(), b.counts.to_numpy())
    assert a.n == b.n == df["w"].sum()


def test_user_missing_codes_are_excluded():
    df = pd.DataFrame({"a": [1, 1, 2, 2, 9, 9, np.nan], "b": [1, 2, 1, 2, 1, 2, 1]})
    s = quant.Survey(df, quant.SurveyMeta(missing_values={"a": [(9, 9)]}))
    res = quant.crosstab(s, "a", "b")
    assert res.n == 4 and list(res.counts.index) == [1, 2]
    # A plain DataFrame has no user-missing definition: 9 is a category.
    assert 9 in list(quant.crosstab(df, "a", "b").counts.index)


def test_empty_rows_and_columns_are_left_out_with_a_footnote():
    res = quant.crosstab_from_counts(
        [[10, 0, 5], [0, 0, 0], [4, 0, 9]], row_labels=["a", "b", "c"], col_labels=["x", "y", "z"]
    )
    ref = quant.crosstab_from_counts([[10, 5], [4, 9]])
    assert res.tests.loc["pearson_chi2", "statistic"] == pytest.approx(ref.tests.loc["pearson_chi2", "statistic"])
    assert res.tests.loc["pearson_chi2", "df"] == 1
    assert "fisher_exact" in res.tests.index  # the reduced table is 2x2
    assert any("row(s) b and column(s) y" in n for n in res.footnotes)
    assert res.counts.shape == (3, 3)
    assert np.isnan(res.adjusted_residuals.loc["b", "x"])


def test_degenerate_tables_raise_clear_errors():
    with pytest.raises(EmptyTableError, match="non-empty"):
        quant.crosstab_from_counts([[3, 4], [0, 0]])
    with pytest.raises(EmptyTableError, match="no cases"):
        quant.crosstab_from_counts([[0, 0], [0, 0]])
    with pytest.raises(EmptyTableError, match="negative"):
        quant.crosstab_from_counts([[1, -1], [2, 3]])
    with pytest.raises(EmptyTableError, match="2-dimensional"):
        quant.crosstab_from_counts([1, 2, 3])
    df = pd.DataFrame({"a": [1, 1, 1], "b": [1, 2, 1]})
    with pytest.raises(ConstantVariableError, match="'a' has 1 non-empty category"):
        quant.crosstab(df, "a", "b")
    with pytest.raises(StatisticInputError, match="3 row scores were given for 2 categories"):
        quant.crosstab_from_counts([[1, 2], [3, 4]], row_scores=[1, 2, 3])
    with pytest.raises(WeightError):
        quant.crosstab(df.assign(w=[1, -2, 1]), "a", "b", weights="w")


def test_measures_formulas():
    res = quant.crosstab_from_counts([[20, 10, 5], [5, 10, 20], [10, 10, 10]])
    chi2 = res.tests.loc["pearson_chi2", "statistic"]
    n = res.n
    assert res.measures.loc["phi", "value"] == pytest.approx(np.sqrt(chi2 / n))
    assert res.measures.loc["cramers_v", "value"] == pytest.approx(np.sqrt(chi2 / (2 * n)))
    assert res.measures.loc["contingency_coefficient", "value"] == pytest.approx(np.sqrt(chi2 / (chi2 + n)))
    assert list(res.tests.columns[:4]) == ["statistic", "df", "p_value", "p_value_one_sided"]


def test_monte_carlo_zero_hits_reports_an_upper_bound():
    table = [[80, 10, 5, 5, 0], [10, 80, 10, 0, 5], [0, 5, 10, 80, 90]]
    res = quant.crosstab_from_counts(table, exact=True, n_resamples=1000, random_state=1)
    assert res.tests.loc["fisher_exact", "p_value"] == 0.0
    assert any("p < 0.0030 (95% upper bound)" in n for n in res.footnotes)


# --------------------------------------------------------------------------- non-integer weights (SPSS /COUNT)

# Cases (a, b, weight). Cell sums of the weights: (1,1) 2.4 + 1.3 = 3.7; (1,2) 1.25 + 1.25 = 2.5;
# (2,1) 0.5 + 0.7 + 0.4 = 1.6; (2,2) 5.5. Tables worked out by hand from these numbers:
#   COUNT = CELL ROUND (half up):  [[4, 3], [2, 6]]   (2.5 -> 3, 5.5 -> 6; banker's rounding would give 2)
#   COUNT = CELL TRUNCATE:         [[3, 2], [1, 5]]
#   COUNT = CASE ROUND:            [[2+1, 1+1], [1+1+0, 6]] = [[3, 2], [2, 6]]
#   COUNT = CASE TRUNCATE:         [[2+1, 1+1], [0, 5]]     = [[3, 2], [0, 5]]
#   COUNT = ASIS:                  [[3.7, 2.5], [1.6, 5.5]]
# Pearson chi-square by hand with the 2 x 2 shortcut X2 = N (ad - bc)^2 / (r1 r2 c1 c2)
# (Agresti 2007, eq. for 2 x 2 tables), not with the code under test:
#   round:    15 * 18^2 / (7 * 8 * 6 * 9)      = 4860 / 3024 = 1.607142857
#   truncate: 11 * 13^2 / (5 * 6 * 4 * 7)      = 1859 / 840  = 2.213095238
#   case round: 13 * 14^2 / (5 * 8 * 5 * 8)    = 2548 / 1600 = 1.5925
#   case truncate: 10 * 15^2 / (5 * 5 * 3 * 7) = 2250 / 525  = 4.285714286
#   asis: 13.3 * 16.35^2 / (6.2 * 7.1 * 5.3 * 8.0)
FRACTIONAL = pd.DataFrame(
    {
        "a": [1, 1, 1, 1, 2, 2, 2, 2],
        "b": [1, 1, 2, 2, 1, 1, 1, 2],
        "w": [2.4, 1.3, 1.25, 1.25, 0.5, 0.7, 0.4, 5.5],
    }
)


@pytest.mark.parametrize(
    "how, by, table, chi2",
    [
        ("round", "cell", [[4, 3], [2, 6]], 4860 / 3024),
        ("truncate", "cell", [[3, 2], [1, 5]], 1859 / 840),
        ("round", "case", [[3, 2], [2, 6]], 2548 / 1600),
        ("truncate", "case", [[3, 2], [0, 5]], 2250 / 525),
        ("asis", "cell", [[3.7, 2.5], [1.6, 5.5]], 13.3 * 16.35**2 / (6.2 * 7.1 * 5.3 * 8.0)),
    ],
)
def test_noninteger_weights_follow_spss_count(how, by, table, chi2):
    res = quant.crosstab(FRACTIONAL, "a", "b", weights="w", noninteger=how, noninteger_by=by)
    np.testing.assert_allclose(res.counts.to_numpy(), table, rtol=0, atol=1e-12)
    assert res.n == pytest.approx(np.sum(table))
    assert res.tests.loc["pearson_chi2", "statistic"] == pytest.approx(chi2, rel=1e-12)
    if how != "asis":
        # Every statistic comes from the integer table, as if those were the observed counts.
        ref = quant.crosstab_from_counts(table)
        pd.testing.assert_frame_equal(res.tests, ref.tests)
        pd.testing.assert_frame_equal(res.measures, ref.measures)
        word = "rounded to the nearest integer" if how == "round" else "truncated to integers"
        assert any(word in n and f"COUNT = {by.upper()} {how.upper()}" in n for n in res.footnotes)
    else:
        assert any("used as is (COUNT = ASIS)" in n for n in res.footnotes)
        assert any("Fisher's exact test used the weighted counts rounded" in n for n in res.footnotes)


def test_noninteger_default_is_spss_round_cell():
    default = quant.crosstab(FRACTIONAL, "a", "b", weights="w")
    np.testing.assert_array_equal(default.counts.to_numpy(), [[4, 3], [2, 6]])
    assert any("as SPSS CROSSTABS does by default (COUNT = CELL ROUND)" in n for n in default.footnotes)


def test_whole_weights_and_unweighted_tables_have_no_rounding_note():
    df = FRACTIONAL.assign(w=[1.0, 2.0, 0.0, 3.0, 1.0, 1.0, 2.0, 4.0])
    for how in ("round", "truncate", "asis"):
        res = quant.crosstab(df, "a", "b", weights="w", noninteger=how)
        assert not any("COUNT =" in n for n in res.footnotes), how
    # Fractional case weights whose cell sums are whole: nothing to round at cell level.
    halves = FRACTIONAL.assign(w=[0.5, 0.5, 1.5, 0.5, 1.0, 1.0, 1.0, 2.0])
    res = quant.crosstab(halves, "a", "b", weights="w")
    np.testing.assert_array_equal(res.counts.to_numpy(), [[1, 2], [3, 2]])
    assert not any("COUNT =" in n for n in res.footnotes)
    # ... but at case level 0.5 rounds up to 1 (half up).
    case = quant.crosstab(halves, "a", "b", weights="w", noninteger_by="case")
    np.testing.assert_array_equal(case.counts.to_numpy(), [[2, 3], [3, 2]])


def test_noninteger_bad_options_and_emptied_table():
    with pytest.raises(StatisticInputError, match="noninteger must be one of round, truncate, asis"):
        quant.crosstab(FRACTIONAL, "a", "b", weights="w", noninteger="ceil")
    with pytest.raises(StatisticInputError, match="noninteger_by must be 'cell' or 'case'"):
        quant.crosstab(FRACTIONAL, "a", "b", weights="w", noninteger_by="row")
    tiny = FRACTIONAL.assign(w=0.3)
    with pytest.raises(EmptyTableError, match="after truncating the weighted cell counts"):
        quant.crosstab(tiny, "a", "b", weights="w", noninteger="truncate")


def test_fisher_2x2_equals_scipy_on_every_small_table():
    """Every 2 x 2 table with cells 0..5 (1296 tables) against scipy.stats.fisher_exact, all three alternatives.

    At these N scipy's int64 arithmetic is exact, so it is the reference; at
    large N see tests/test_quant_overflow.py.
    """
    for cells in itertools.product(range(6), repeat=4):
        t = np.array(cells).reshape(2, 2)
        res = fisher_2x2(t)
        for got, alternative in ((res.two_sided, "two-sided"), (res.less, "less"), (res.greater, "greater")):
            ref = float(stats.fisher_exact(t, alternative=alternative).pvalue)
            assert got == pytest.approx(ref, rel=1e-9, abs=1e-15), (cells, alternative)
