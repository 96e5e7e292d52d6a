"""Cronbach's alpha against Hoyt's ANOVA and textbook formulas (quant/reliability.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qualquant import quant
from qualquant.quant.errors import ConstantVariableError, StatisticInputError


def _likert(seed=4, n=150, k=5):
    rng = np.random.default_rng(seed)
    trait = rng.normal(size=n)
    items = {f"i{j}": np.clip(np.round(3 + trait + rng.normal(scale=1.0 + 0.3 * j, size=n)), 1, 5) for j in range(k)}
    return pd.DataFrame(items)


def _hoyt_alpha(x: np.ndarray) -> float:
    """Hoyt (1941): alpha = 1 - MS_residual / MS_persons from a persons x items two-way ANOVA."""
    n, k = x.shape
    grand = x.mean()
    ss_p = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_i = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_t = ((x - grand) ** 2).sum()
    ms_p = ss_p / (n - 1)
    ms_e = (ss_t - ss_p - ss_i) / ((n - 1) * (k - 1))
    return 1 - ms_e / ms_p


def test_alpha_equals_hoyt_anova():
    df = _likert()
    res = quant.cronbach_alpha(df, list(df.columns))
    assert res.alpha == pytest.approx(_hoyt_alpha(df.to_numpy()), abs=1e-12)
    assert res.n == 150 and res.n_items == 5


def test_standardized_alpha_and_item_total():
    df = _likert(seed=9)
    items = list(df.columns)
    res = quant.cronbach_alpha(df, items)
    r = df.corr().to_numpy()
    k = len(items)
    rbar = (r.sum() - k) / (k * (k - 1))
    assert res.alpha_standardized == pytest.approx(k * rbar / (1 + (k - 1) * rbar), abs=1e-12)
    it = res.item_total.set_index("item")
    for item in items:
        rest = df.drop(columns=item)
        assert it.loc[item, "corrected_item_total_correlation"] == pytest.approx(
            np.corrcoef(df[item], rest.sum(axis=1))[0, 1], abs=1e-12
        )
        assert it.loc[item, "alpha_if_deleted"] == pytest.approx(_hoyt_alpha(rest.to_numpy()), abs=1e-12)
        assert it.loc[item, "scale_mean_if_deleted"] == pytest.approx(rest.sum(axis=1).mean())
        assert it.loc[item, "scale_variance_if_deleted"] == pytest.approx(rest.sum(axis=1).var(ddof=1))
        # SMC = R^2 of the item regressed on the other items (least squares).
        X = np.column_stack([np.ones(len(df)), rest.to_numpy()])
        beta, *_ = np.linalg.lstsq(X, df[item].to_numpy(), rcond=None)
        resid = df[item].to_numpy() - X @ beta
        r2 = 1 - resid.var() / df[item].var(ddof=0)
        assert it.loc[item, "squared_multiple_correlation"] == pytest.approx(r2, abs=1e-10)


def test_listwise_missing_and_weights():
    df = _likert(seed=1, n=80)
    df.iloc[3, 1] = np.nan
    df.iloc[10, 4] = 9  # user-missing code
    s = quant.Survey(df, quant.SurveyMeta(missing_values={"i4": [(9, 9)]}))
    res = quant.cronbach_alpha(s, list(df.columns))
    clean = df.drop(index=[3, 10])
    assert res.n == 78
    assert res.alpha == pytest.approx(_hoyt_alpha(clean.to_numpy()), abs=1e-12)
    w = np.random.default_rng(2).integers(0, 3, len(clean))
    wres = quant.cronbach_alpha(clean.assign(w=w), list(df.columns), weights="w")
    rep = clean.loc[clean.index.repeat(w)]
    assert wres.alpha == pytest.approx(_hoyt_alpha(rep.to_numpy()), abs=1e-12)
    assert wres.n == w.sum()


def test_reversed_item_lowers_alpha_and_reverse_code_restores_it():
    df = _likert(seed=3)
    bad = df.assign(i0=6 - df["i0"])
    assert quant.cronbach_alpha(bad, list(df.columns)).alpha < quant.cronbach_alpha(df, list(df.columns)).alpha
    fixed = bad.assign(i0=quant.reverse_code(bad["i0"], 1, 5))
    assert quant.cronbach_alpha(fixed, list(df.columns)).alpha == pytest.approx(
        quant.cronbach_alpha(df, list(df.columns)).alpha
    )


def test_reverse_code():
    s = pd.Series([1, 2, 5, 9], index=list("abcd"))
    assert quant.reverse_code(s, 1, 5, keep=[9]).tolist() == [5, 4, 1, 9]
    assert s.tolist() == [1, 2, 5, 9]  # input untouched
    assert quant.reverse_code(pd.Series([1.0, np.nan]), 1, 7).isna().tolist() == [False, True]
    with pytest.raises(StatisticInputError, match=r"value\(s\) 9 outside 1..5 \(rows d\)"):
        quant.reverse_code(s, 1, 5)
    with pytest.raises(StatisticInputError, match="minimum < maximum"):
        quant.reverse_code(s, 5, 1)


def test_bad_input():
    df = pd.DataFrame({"a": [1, 1, 1], "b": [2, 2, 2]})
    with pytest.raises(ConstantVariableError):
        quant.cronbach_alpha(df, ["a", "b"])
    with pytest.raises(StatisticInputError, match="two items"):
        quant.cronbach_alpha(df, ["a"])
