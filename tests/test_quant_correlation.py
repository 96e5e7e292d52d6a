"""Correlation matrices against scipy and textbook formulas (quant/correlation.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qualquant import quant
from qualquant.quant.correlation import weighted_midranks
from qualquant.quant.errors import StatisticInputError

VARS = ["PID", "educ", "income", "selfLR", "ClinLR", "age"]


@pytest.fixture(scope="module")
def anes():
    # ANES 1996 (American National Election Study), bundled with statsmodels: real survey data.
    import statsmodels.datasets.anes96 as anes96

    d = anes96.load_pandas().data.copy()
    d.loc[d.index % 7 == 0, "educ"] = np.nan  # make pairwise and listwise deletion differ
    d.loc[d.index % 5 == 0, "selfLR"] = np.nan
    return d


def _pairs(res):
    return {(r.var1, r.var2): r for r in res.itertuples(index=False)}


@pytest.mark.parametrize(
    "method,func", [("pearson", stats.pearsonr), ("spearman", stats.spearmanr), ("kendall", stats.kendalltau)]
)
def test_pairwise_matches_scipy_on_anes(anes, method, func):
    res = quant.correlation_matrix(anes, VARS, method=method)
    assert len(res) == len(VARS) * (len(VARS) - 1) // 2
    for (a, b), row in _pairs(res).items():
        sub = anes[[a, b]].dropna()
        ref = func(sub[a], sub[b])
        assert row.n == len(sub)
        assert row.statistic == pytest.approx(ref.statistic, abs=1e-12)
        assert row.p_value == pytest.approx(ref.pvalue, rel=1e-6, abs=1e-300)


def test_listwise_uses_common_cases(anes):
    res = quant.correlation_matrix(anes, VARS, method="spearman", missing="listwise")
    sub = anes[VARS].dropna()
    assert set(res["n"]) == {len(sub)}
    rho = stats.spearmanr(sub).statistic
    for (a, b), row in _pairs(res).items():
        assert row.statistic == pytest.approx(rho[VARS.index(a), VARS.index(b)], abs=1e-12)


def test_kendall_tau_b_from_definition():
    # Independent O(n^2) tau-b: (C - D) / sqrt((n0 - n1)(n0 - n2)).
    rng = np.random.default_rng(5)
    x = rng.integers(1, 5, 60)
    y = x + rng.integers(-2, 3, 60)
    c = d = tx = ty = 0
    for i in range(60):
        for j in range(i + 1, 60):
            sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
            c += sx * sy > 0
            d += sx * sy < 0
            tx += sx == 0
            ty += sy == 0
    n0 = 60 * 59 / 2
    tau_b = (c - d) / np.sqrt((n0 - tx) * (n0 - ty))
    res = quant.correlation_matrix(pd.DataFrame({"x": x, "y": y}), ["x", "y"], method="kendall")
    assert res.loc[0, "statistic"] == pytest.approx(tau_b, abs=1e-12)


def test_spearman_is_pearson_of_midranks_and_t_test_p():
    rng = np.random.default_rng(2)
    x, y = rng.integers(1, 6, 80), rng.integers(1, 6, 80)
    rx, ry = stats.rankdata(x), stats.rankdata(y)
    r = np.corrcoef(rx, ry)[0, 1]
    t = r * np.sqrt(78 / (1 - r * r))
    res = quant.correlation_matrix(pd.DataFrame({"x": x, "y": y}), ["x", "y"], method="spearman")
    assert res.loc[0, "statistic"] == pytest.approx(r, abs=1e-12)
    assert res.loc[0, "p_value"] == pytest.approx(2 * stats.t.sf(abs(t), 78), rel=1e-9)


def test_weighted_equals_replicated_cases(anes):
    rng = np.random.default_rng(0)
    d = anes.assign(w=rng.integers(0, 4, len(anes)))
    rep = d.loc[d.index.repeat(d["w"])]
    for method in ("pearson", "spearman", "kendall"):
        a = quant.correlation_matrix(d, VARS[:4], method=method, weights="w")
        b = quant.correlation_matrix(rep, VARS[:4], method=method)
        np.testing.assert_allclose(a["statistic"], b["statistic"], atol=1e-10)
        np.testing.assert_allclose(a["p_value"], b["p_value"], rtol=1e-6)
        np.testing.assert_allclose(a["n"], b["n"])


def test_weighted_midranks_equal_rankdata_of_replicated():
    v = np.array([3.0, 1.0, 3.0, 2.0])
    w = np.array([2.0, 1.0, 1.0, 3.0])
    rep = np.repeat(v, w.astype(int))
    full = stats.rankdata(rep)
    expect = [full[rep == val][0] for val in v]
    np.testing.assert_allclose(weighted_midranks(v, w), expect)


def test_user_missing_excluded_via_survey():
    df = pd.DataFrame({"a": [1, 2, 3, 4, 99], "b": [2, 1, 4, 3, 50]})
    s = quant.Survey(df, quant.SurveyMeta(missing_values={"a": [(99, 99)]}))
    res = quant.correlation_matrix(s, ["a", "b"])
    assert res.loc[0, "n"] == 4
    assert res.loc[0, "statistic"] == pytest.approx(0.6)


def test_constant_variable_gives_nan_and_a_rendered_footnote():
    df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [5, 5, 5, 5], "c": [1, 3, 2, 4]})
    res = quant.correlation_matrix(df, ["a", "b", "c"])
    assert res[(res.var1 == "a") & (res.var2 == "b")]["statistic"].isna().all()
    rt = quant.render_correlation_matrix(res)
    assert rt.table.iloc[1, 0] == "."
    assert any("constant" in n for n in rt.footnotes)


def test_bad_input():
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"], "w": [0.5, 1, 1]})
    with pytest.raises(StatisticInputError, match="not numeric"):
        quant.correlation_matrix(df, ["a", "b"])
    with pytest.raises(StatisticInputError, match="method"):
        quant.correlation_matrix(df, ["a", "a"], method="biserial")
    with pytest.raises(StatisticInputError, match="two variables"):
        quant.correlation_matrix(df, ["a"])
    with pytest.raises(StatisticInputError, match="whole-number"):
        quant.correlation_matrix(df.assign(c=[3, 1, 2]), ["a", "c"], method="kendall", weights="w")
