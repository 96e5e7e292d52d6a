"""Logistic models checked against independent fits (quant/models.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, special, stats

from qualquant import quant
from qualquant.quant.errors import ConstantVariableError, StatisticInputError


@pytest.fixture(scope="module")
def anes():
    import statsmodels.datasets.anes96 as anes96

    return anes96.load_pandas().data


def _ordinal_mle(y, X):
    """Proportional-odds MLE written from the likelihood, fitted with scipy.optimize (independent check)."""
    levels = np.sort(np.unique(y))
    yi = np.searchsorted(levels, y)
    K = len(levels)
    p = X.shape[1]

    def nll(theta):
        beta, cuts = theta[:p], np.cumsum(np.r_[theta[p], np.exp(theta[p + 1 :])])
        eta = X @ beta
        cdf = np.column_stack([np.zeros(len(y)), special.expit(cuts[None, :] - eta[:, None]), np.ones(len(y))])
        prob = cdf[np.arange(len(y)), yi + 1] - cdf[np.arange(len(y)), yi]
        return -np.log(np.clip(prob, 1e-300, None)).sum()

    start = np.r_[np.zeros(p), -1.0, np.zeros(K - 2)]
    fit = optimize.minimize(nll, start, method="BFGS", options={"gtol": 1e-8, "maxiter": 5000})
    beta = fit.x[:p]
    cuts = np.cumsum(np.r_[fit.x[p], np.exp(fit.x[p + 1 :])])
    return beta, cuts, -fit.fun


def test_ordinal_logit_matches_independent_mle(anes):
    res = quant.ordinal_logit(anes, "PID", ["educ", "income", "age"])
    beta, cuts, ll = _ordinal_mle(anes["PID"].to_numpy(), anes[["educ", "income", "age"]].to_numpy(float))
    t = res.table
    pred = t[t.kind == "predictor"]
    np.testing.assert_allclose(pred["estimate"], beta, atol=2e-4)
    np.testing.assert_allclose(t[t.kind == "threshold"]["estimate"], cuts, atol=2e-3)
    assert res.log_likelihood == pytest.approx(ll, abs=1e-4)
    np.testing.assert_allclose(pred["odds_ratio"], np.exp(pred["estimate"]))
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(pred["odds_ratio_ci_low"], np.exp(pred["estimate"] - z * pred["std_error"]))
    assert res.n == len(anes) and res.outcome_levels == tuple(sorted(anes["PID"].unique()))
    assert list(t.columns) == [
        "term",
        "kind",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "ci_low",
        "ci_high",
        "odds_ratio",
        "odds_ratio_ci_low",
        "odds_ratio_ci_high",
    ]


def test_ordinal_standard_errors_match_numerical_hessian(anes):
    # Independent check of the delta-method cut-point SEs: invert a finite-difference
    # Hessian of the likelihood written directly in (beta, cut points).
    from statsmodels.tools.numdiff import approx_hess

    cols = ["educ", "income"]
    res = quant.ordinal_logit(anes, "PID", cols)
    y = anes["PID"].to_numpy()
    X = anes[cols].to_numpy(float)
    levels = np.sort(np.unique(y))
    yi = np.searchsorted(levels, y)
    p = X.shape[1]

    def nll(theta):
        beta, cuts = theta[:p], theta[p:]
        cdf = np.column_stack([np.zeros(len(y)), special.expit(cuts[None, :] - (X @ beta)[:, None]), np.ones(len(y))])
        return -np.log(cdf[np.arange(len(y)), yi + 1] - cdf[np.arange(len(y)), yi]).sum()

    theta = res.table["estimate"].to_numpy()
    se = np.sqrt(np.diag(np.linalg.inv(approx_hess(theta, nll))))
    np.testing.assert_allclose(res.table["std_error"], se, rtol=1e-3)


def test_binary_logit_matches_glm_and_sklearn(anes):
    import statsmodels.api as sm
    from sklearn.linear_model import LogisticRegression

    cols = ["educ", "income", "age", "selfLR"]
    res = quant.binary_logit(anes, "vote", cols)
    glm = sm.GLM(anes["vote"], sm.add_constant(anes[cols]), family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(res.table["estimate"], glm.params.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(res.table["std_error"], glm.bse.to_numpy(), rtol=1e-5)
    sk = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(anes[cols], anes["vote"])
    np.testing.assert_allclose(res.table["estimate"].iloc[1:], sk.coef_[0], rtol=1e-3)
    assert res.table["kind"].tolist() == ["intercept"] + ["predictor"] * 4


def test_weights_and_categorical_predictors(anes):
    rng = np.random.default_rng(1)
    d = anes.assign(w=rng.integers(1, 4, len(anes)), region=rng.choice(["north", "south", "west"], len(anes)))
    rep = d.loc[d.index.repeat(d["w"])]
    a = quant.binary_logit(d, "vote", ["income", "region"], weights="w")
    b = quant.binary_logit(rep, "vote", ["income", "region"])
    np.testing.assert_allclose(a.table["estimate"], b.table["estimate"], rtol=1e-6)
    np.testing.assert_allclose(a.table["std_error"], b.table["std_error"], rtol=1e-5)
    assert a.table["term"].tolist() == ["const", "income", "region[south]", "region[west]"]
    o = quant.ordinal_logit(d, "PID", ["income", "region"], weights="w")
    o2 = quant.ordinal_logit(rep, "PID", ["income", "region"])
    np.testing.assert_allclose(o.table["estimate"], o2.table["estimate"], atol=1e-4)


def test_bad_input(anes):
    with pytest.raises(StatisticInputError, match="exactly two values"):
        quant.binary_logit(anes, "PID", ["educ"])
    with pytest.raises(ConstantVariableError, match="at least 3"):
        quant.ordinal_logit(anes, "vote", ["educ"])
    with pytest.raises(ConstantVariableError, match="constant"):
        quant.binary_logit(anes.assign(k=1.0), "vote", ["k"])
    with pytest.raises(StatisticInputError, match="whole-number"):
        quant.ordinal_logit(anes.assign(w=0.5), "PID", ["educ"], weights="w")
