"""Logistic regression models: ordinal (proportional odds) and binary."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from qualquant.quant._weights import Prepared, prepare
from qualquant.quant.errors import ConstantVariableError, ModelFitError, StatisticInputError

__all__ = ["ModelResult", "ordinal_logit", "binary_logit"]

COLUMNS = [
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


@dataclass(frozen=True, slots=True, eq=False)
class ModelResult:
    """A fitted logistic model in tidy form.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per parameter: ``term``, ``kind`` (``predictor``,
        ``intercept`` or ``threshold``), ``estimate`` (log-odds scale),
        ``std_error``, ``statistic`` (Wald z), ``p_value``, ``ci_low``,
        ``ci_high`` (Wald CI of the estimate), ``odds_ratio`` and its CI
        ``odds_ratio_ci_low``, ``odds_ratio_ci_high`` (NaN for thresholds).
    n : float
        Cases used (sum of weights when weighted).
    log_likelihood, log_likelihood_null : float
    pseudo_r2 : float
        McFadden's ``1 - LL / LL0``.
    aic : float
    outcome_levels : tuple
        Ordered outcome categories (ordinal) or ``(non-event, event)`` (binary).
    """

    table: pd.DataFrame
    n: float
    log_likelihood: float
    log_likelihood_null: float
    pseudo_r2: float
    aic: float
    outcome_levels: tuple

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table."""
        return self.table.copy()


def _design(prep: Prepared, predictors: Sequence[str], categorical: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    parts = []
    for name in predictors:
        col = prep.frame[name]
        if name in categorical or not pd.api.types.is_numeric_dtype(col.dtype):
            levels = sorted(col.dropna().unique(), key=lambda v: (str(type(v)), v))
            if len(levels) < 2:
                raise ConstantVariableError(f"Predictor {name!r} has fewer than two categories.")
            cat = pd.Categorical(col, categories=levels)
            dummies = pd.get_dummies(cat, drop_first=True, dtype=float)
            dummies.columns = [f"{name}[{_fmt(lev)}]" for lev in levels[1:]]
            dummies.index = col.index
            dummies[col.isna().to_numpy()] = np.nan
            parts.append(dummies)
        else:
            if col.dropna().nunique() < 2:
                raise ConstantVariableError(f"Predictor {name!r} is constant; it cannot be estimated.")
            parts.append(col.astype(float).to_frame(name))
    x = pd.concat(parts, axis=1)
    return x, list(x.columns)


def _fmt(v: Any) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _frequency_rows(w: np.ndarray, model: str) -> np.ndarray:
    if not np.allclose(w, np.round(w)):
        raise StatisticInputError(
            f"{model} accepts only whole-number frequency weights (cases are repeated); round or drop the weights."
        )
    return np.round(w).astype(np.int64)


def _tidy(
    names: Sequence[str],
    kinds: Sequence[str],
    est: np.ndarray,
    se: np.ndarray,
    level: float,
    with_or: np.ndarray,
) -> pd.DataFrame:
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        stat = est / se
        p = 2 * stats.norm.sf(np.abs(stat))
        lo, hi = est - z * se, est + z * se
        orr = np.where(with_or, np.exp(est), np.nan)
        or_lo = np.where(with_or, np.exp(lo), np.nan)
        or_hi = np.where(with_or, np.exp(hi), np.nan)
    return pd.DataFrame(
        {
            "term": names,
            "kind": kinds,
            "estimate": est,
            "std_error": se,
            "statistic": stat,
            "p_value": p,
            "ci_low": lo,
            "ci_high": hi,
            "odds_ratio": orr,
            "odds_ratio_ci_low": or_lo,
            "odds_ratio_ci_high": or_hi,
        },
        columns=COLUMNS,
    )


def ordinal_logit(
    data: Any,
    outcome: str,
    predictors: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    weights: Any = None,
    ci: float = 0.95,
) -> ModelResult:
    """Proportional-odds (ordinal logistic) regression of a Likert outcome.

    Parameters
    ----------
    data : pandas.DataFrame or Survey
    outcome : str
        Ordered outcome; its sorted distinct values are the categories.
    predictors : sequence of str
        Numeric predictors enter as they are; non-numeric ones and those in
        ``categorical`` are dummy-coded against their first (lowest) category.
    categorical : sequence of str
        Numeric predictors to treat as categorical.
    weights : str or array-like, optional
        Whole-number frequency weights (cases are repeated).
    ci : float
        Confidence level of the Wald intervals.

    Returns
    -------
    ModelResult
        Predictor rows (with odds ratios, ``exp(beta)``) and threshold rows
        (the cut points ``theta_k`` with delta-method standard errors).

    Raises
    ------
    StatisticInputError, ConstantVariableError, ModelFitError,
    VariableNotFoundError, WeightError

    Notes
    -----
    Model: ``logit P(Y <= k) = theta_k - x'beta`` (statsmodels OrderedModel;
    the same parametrisation as SPSS PLUM), so a positive ``beta`` shifts
    answers towards higher categories. Cases with any missing value are
    left out. Checked by maximising the same likelihood independently with
    scipy.optimize in the tests (ANES 1996 data).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=300)
    >>> y = np.digitize(x + rng.logistic(size=300), [-1, 0, 1])
    >>> res = ordinal_logit(pd.DataFrame({"y": y, "x": x}), "y", ["x"])
    >>> res.table["kind"].tolist()
    ['predictor', 'threshold', 'threshold', 'threshold']
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    prep = prepare(data, [outcome, *predictors], weights)
    yname = prep.frame.columns[0]
    x, terms = _design(prep, list(prep.frame.columns[1:]), categorical)
    ok = prep.valid([yname]) & x.notna().to_numpy().all(axis=1)
    y = prep.frame[yname][ok]
    x = x[ok]
    reps = _frequency_rows(prep.weights[ok], "ordinal_logit")
    if (reps != 1).any():
        x = x.loc[x.index.repeat(reps)]
        y = y.loc[y.index.repeat(reps)]
    levels = sorted(y.unique())
    if len(levels) < 3:
        raise ConstantVariableError(
            f"Outcome {yname!r} has {len(levels)} categor{'y' if len(levels) == 1 else 'ies'}; "
            "ordinal_logit needs at least 3 (use binary_logit for 2)."
        )
    yc = pd.Series(pd.Categorical(y, categories=levels, ordered=True), index=y.index)
    model = OrderedModel(yc, x.astype(float), distr="logit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = model.fit(method="bfgs", disp=False, maxiter=2000)
        except Exception as exc:  # numerical failure inside the optimiser
            raise ModelFitError(f"ordinal_logit of {yname!r} failed: {exc}") from None
    if not fit.mle_retvals.get("converged", True):
        raise ModelFitError(f"ordinal_logit of {yname!r} did not converge; check for separation or rescale predictors.")
    params = np.asarray(fit.params, dtype=float)
    cov = np.asarray(fit.cov_params(), dtype=float)
    kx = len(terms)
    beta, th = params[:kx], params[kx:]
    se_beta = np.sqrt(np.diag(cov)[:kx])
    # Thresholds are estimated as theta_1 and log increments; transform back
    # with the delta method: theta_k = t_1 + sum_{j<=k} exp(t_j).
    cuts = np.cumsum(np.concatenate(([th[0]], np.exp(th[1:]))))
    jac = np.zeros((len(th), len(th)))
    for kk in range(len(th)):
        jac[kk, 0] = 1.0
        for j in range(1, kk + 1):
            jac[kk, j] = np.exp(th[j])
    cov_th = jac @ cov[kx:, kx:] @ jac.T
    se_cuts = np.sqrt(np.diag(cov_th))
    names = terms + [f"{_fmt(levels[k])}|{_fmt(levels[k + 1])}" for k in range(len(levels) - 1)]
    kinds = ["predictor"] * kx + ["threshold"] * len(cuts)
    table = _tidy(
        names,
        kinds,
        np.concatenate([beta, cuts]),
        np.concatenate([se_beta, se_cuts]),
        ci,
        np.array([True] * kx + [False] * len(cuts)),
    )
    counts = yc.value_counts(sort=False).to_numpy(dtype=float)
    ll0 = float(np.sum(counts * np.log(counts / counts.sum())))
    llf = float(fit.llf)
    return ModelResult(table, float(len(yc)), llf, ll0, 1 - llf / ll0, float(fit.aic), tuple(levels))


def binary_logit(
    data: Any,
    outcome: str,
    predictors: Sequence[str],
    *,
    event: Any = None,
    categorical: Sequence[str] = (),
    weights: Any = None,
    ci: float = 0.95,
) -> ModelResult:
    """Binary logistic regression with odds ratios.

    Parameters
    ----------
    data : pandas.DataFrame or Survey
    outcome : str
        A variable with exactly two valid values.
    predictors : sequence of str
        As in :func:`ordinal_logit`.
    event : value, optional
        The outcome value modelled as 1 (default: the larger value).
    categorical : sequence of str
    weights : str or array-like, optional
        Frequency weights (GLM ``freq_weights``; any non-negative numbers).
    ci : float

    Returns
    -------
    ModelResult
        ``intercept`` and ``predictor`` rows.

    Raises
    ------
    StatisticInputError, ConstantVariableError, ModelFitError,
    VariableNotFoundError, WeightError

    Notes
    -----
    ``logit P(Y = event) = b0 + x'b`` by maximum likelihood (statsmodels
    Logit; GLM Binomial with frequency weights when weighted). Checked
    against statsmodels' GLM (IRLS) and scikit-learn's unpenalised
    LogisticRegression in the tests.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=400)
    >>> y = (x + rng.logistic(size=400) > 0).astype(int)
    >>> binary_logit(pd.DataFrame({"y": y, "x": x}), "y", ["x"]).table["term"].tolist()
    ['const', 'x']
    """
    import statsmodels.api as sm

    prep = prepare(data, [outcome, *predictors], weights)
    yname = prep.frame.columns[0]
    x, terms = _design(prep, list(prep.frame.columns[1:]), categorical)
    ok = prep.valid([yname]) & x.notna().to_numpy().all(axis=1)
    y = prep.frame[yname][ok]
    x = x[ok]
    w = prep.weights[ok]
    levels = sorted(y.unique())
    if len(levels) != 2:
        raise StatisticInputError(
            f"binary_logit needs an outcome with exactly two values; {yname!r} has {len(levels)}: "
            f"{', '.join(map(_fmt, levels[:10]))}."
        )
    ev = levels[1] if event is None else event
    if ev not in levels:
        raise StatisticInputError(f"event {event!r} is not a value of {yname!r} ({', '.join(map(_fmt, levels))}).")
    yy = (y == ev).astype(float).to_numpy()
    xx = sm.add_constant(x.to_numpy(), has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if prep.weighted:
                fit = sm.GLM(yy, xx, family=sm.families.Binomial(), freq_weights=w).fit()
                llf = float(fit.llf)
                converged = bool(fit.converged)
                aic = float(fit.aic)
            else:
                fit = sm.Logit(yy, xx).fit(disp=False, maxiter=200)
                llf = float(fit.llf)
                converged = bool(fit.mle_retvals.get("converged", True))
                aic = float(fit.aic)
        except Exception as exc:  # PerfectSeparationError, singular matrix
            raise ModelFitError(
                f"binary_logit of {yname!r} failed: {exc}. Check for separation or collinear predictors."
            ) from None
    if not converged:
        raise ModelFitError(f"binary_logit of {yname!r} did not converge; check for separation.")
    est = np.asarray(fit.params, dtype=float)
    se = np.asarray(fit.bse, dtype=float)
    names = ["const"] + terms
    kinds = ["intercept"] + ["predictor"] * len(terms)
    table = _tidy(names, kinds, est, se, ci, np.ones(len(names), dtype=bool))
    nw = float(w.sum()) if prep.weighted else float(len(yy))
    p1 = float((yy * (w if prep.weighted else 1)).sum() / nw)
    ll0 = nw * (p1 * np.log(p1) + (1 - p1) * np.log(1 - p1))
    other = levels[0] if ev == levels[1] else levels[1]
    return ModelResult(table, nw, llf, float(ll0), 1 - llf / float(ll0), aic, (other, ev))
