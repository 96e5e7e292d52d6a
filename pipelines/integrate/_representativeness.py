"""Representativeness: do the interviewees look like the survey on the variables they share?

:func:`representativeness` compares the interviewees with the survey on each
shared variable (chi-square goodness of fit with a seeded Monte Carlo p,
:func:`chi2_gof_monte_carlo`, which is valid for the small N of an interview
study). Interviewees whose value has no survey category are listed as set
aside. Survey weights go through quant's weight preparation, so a misspelt,
negative or missing weight is the same clear error as in every survey table.

The names are also importable from :mod:`qualquant.pipelines.integrate`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from qualquant.pipelines.errors import IntegrationError

__all__ = [
    "DISTRIBUTION_COLUMNS",
    "GOF_COLUMNS",
    "SET_ASIDE_COLUMNS",
    "Representativeness",
    "chi2_gof_monte_carlo",
    "representativeness",
    "survey_labels",
    "survey_weights",
]

DISTRIBUTION_COLUMNS = (
    "variable",
    "survey_variable",
    "category",
    "n_interviews",
    "pct_interviews",
    "n_survey",
    "pct_survey",
    "expected",
)
GOF_COLUMNS = (
    "variable",
    "survey_variable",
    "test",
    "statistic",
    "df",
    "p_value",
    "p_value_asymptotic",
    "n_resamples",
    "n",
    "n_set_aside",
    "method",
)
SET_ASIDE_COLUMNS = ("case_id", "variable", "value", "reason")


def survey_weights(survey: Any, weights: str | None) -> pd.Series:
    """The survey's case weights as a Series on the survey's index (ones when ``weights`` is None).

    Parameters
    ----------
    survey : quant.Survey or pandas.DataFrame
    weights : str or None
        Name of the weight variable.

    Returns
    -------
    pandas.Series
        One float weight per survey row.

    Raises
    ------
    quant.errors.VariableNotFoundError
        The weight variable is not in the survey (the message lists close matches).
    quant.errors.WeightError
        A weight is missing, negative, infinite or not numeric (the message names the rows).

    Notes
    -----
    Uses :func:`qualquant.quant._weights.prepare`, the weight handling of every quant
    statistic (SPSS frequency weights; missing or negative weights are refused,
    not silently dropped).
    """
    from qualquant.quant._weights import prepare

    prepared = prepare(survey, [], weights)
    index = prepared.survey.data.index
    return pd.Series(prepared.weights, index=index, dtype=float)


def survey_labels(survey: Any, variable: str) -> pd.Series:
    """The survey variable as text labels (value labels where defined), missing values as NA."""
    data = survey.data if hasattr(survey, "data") else survey
    if variable not in data.columns:
        import difflib

        close = difflib.get_close_matches(variable, list(map(str, data.columns)), n=3)
        raise IntegrationError(
            f"Survey variable {variable!r} not found" + (f"; did you mean {', '.join(close)}?" if close else ".")
        )
    col = data[variable]
    if hasattr(survey, "is_missing"):
        col = col.where(~survey.is_missing(variable))
    labels = survey.meta.value_labels.get(variable, {}) if hasattr(survey, "meta") else {}

    def lab(v: Any) -> Any:
        if pd.isna(v):
            return pd.NA
        if v in labels:
            return str(labels[v])
        if isinstance(v, float) and v.is_integer() and int(v) in labels:
            return str(labels[int(v)])
        return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)

    return col.map(lab)


def chi2_gof_monte_carlo(
    observed: Sequence[float], probabilities: Sequence[float], *, n_resamples: int = 10_000, seed: int = 0
) -> tuple[float, float, float]:
    """Pearson chi-square goodness of fit with a Monte Carlo p.

    Parameters
    ----------
    observed : sequence of int
        Observed counts per category.
    probabilities : sequence of float
        Hypothesised category probabilities (all > 0; normalised to sum 1).
    n_resamples : int
    seed : int

    Returns
    -------
    (statistic, p_value, p_value_asymptotic)

    Notes
    -----
    ``X2 = sum (O - E)^2 / E`` with ``E = n p``. The Monte Carlo p draws
    ``n_resamples`` samples of size n from the multinomial(n, p) null and is
    ``(1 + #{X2* >= X2}) / (n_resamples + 1)`` (Davison & Hinkley, 1997,
    eq. 4.11; the same estimate as R's ``chisq.test(simulate.p.value=TRUE)``).
    Written here because :func:`scipy.stats.chisquare` has only the
    asymptotic p, which is unreliable for the expected counts of an
    interview sample.
    """
    obs = np.asarray(observed, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    if obs.shape != p.shape or obs.size < 2:
        raise IntegrationError("Goodness of fit needs at least two categories with a probability each.")
    if (p <= 0).any():
        raise IntegrationError("Goodness of fit: every category needs a probability above 0.")
    p = p / p.sum()
    n = int(round(obs.sum()))
    expected = n * p
    stat = float(((obs - expected) ** 2 / expected).sum())
    rng = np.random.default_rng(seed)
    sims = rng.multinomial(n, p, size=n_resamples)
    sim_stats = ((sims - expected) ** 2 / expected).sum(axis=1)
    p_mc = (1.0 + float((sim_stats >= stat - 1e-9 * max(1.0, stat)).sum())) / (n_resamples + 1.0)
    p_asym = float(stats.chi2.sf(stat, obs.size - 1))
    return stat, p_mc, p_asym


@dataclass(frozen=True, slots=True)
class Representativeness:
    """Result of :func:`representativeness`.

    Attributes
    ----------
    distribution : pandas.DataFrame
        Columns ``variable, survey_variable, category, n_interviews,
        pct_interviews, n_survey, pct_survey, expected`` (expected count of
        interviewees under the survey's distribution).
    tests : pandas.DataFrame
        Columns ``variable, survey_variable, test, statistic, df, p_value``
        (Monte Carlo), ``p_value_asymptotic, n_resamples, n`` (interviewees
        compared), ``n_set_aside, method``.
    set_aside : pandas.DataFrame
        Columns ``case_id, variable, value, reason``: every interviewee left
        out of a comparison (missing value, value with no survey category).
    """

    distribution: pd.DataFrame
    tests: pd.DataFrame
    set_aside: pd.DataFrame


def representativeness(
    cases: pd.DataFrame,
    survey: Any,
    mappings: Sequence[Any],
    *,
    n_resamples: int = 10_000,
    seed: int = 0,
    weights: str | None = None,
) -> Representativeness:
    """Compare the interviewees with the survey on the variables they share.

    Parameters
    ----------
    cases : pandas.DataFrame
        The interviewees' attributes (index or column ``case_id``).
    survey : quant.Survey or pandas.DataFrame
    mappings : sequence
        Objects with ``case_column``, ``survey_variable``, ``bins``,
        ``labels`` and ``map`` (:class:`qualquant.pipelines.study.RepresentativenessRow`):
        how a case value becomes a survey category (survey value label).
    n_resamples, seed : int
        Monte Carlo settings.
    weights : str, optional
        Survey weight variable for the survey's distribution.

    Returns
    -------
    Representativeness

    Raises
    ------
    IntegrationError
        A case column or survey variable is missing.
    quant.errors.VariableNotFoundError, quant.errors.WeightError
        The weight variable is not in the survey, or a weight is missing,
        negative or not numeric (see :func:`survey_weights`).

    Notes
    -----
    For each shared variable: the survey's category shares (weighted when
    ``weights`` is given) are the null distribution; the interviewees'
    counts are tested with :func:`chi2_gof_monte_carlo`. Survey categories
    are kept even when no interviewee falls in them (they count towards the
    statistic). Interviewees whose value has no survey category are set
    aside and listed, never silently dropped.
    """
    c = cases.reset_index() if "case_id" not in cases.columns else cases.copy()
    w = survey_weights(survey, weights)
    dist_rows: list[dict] = []
    test_rows: list[dict] = []
    aside: list[dict] = []
    for k, m in enumerate(mappings):
        if m.case_column not in c.columns:
            raise IntegrationError(f"[[representativeness]] #{k + 1}: the cases table has no column {m.case_column!r}.")
        s = survey_labels(survey, m.survey_variable)
        valid = s.notna() & (w > 0)
        survey_counts = w[valid].groupby(s[valid]).sum()
        order = _category_order(survey, m.survey_variable, survey_counts.index)
        survey_counts = survey_counts.reindex(order, fill_value=0.0)
        survey_counts = survey_counts[survey_counts > 0]
        mapped: list[str] = []
        for case_id, value in zip(c["case_id"].astype(str), c[m.case_column]):
            cat, reason = _map_value(value, m)
            if cat is not None and cat not in survey_counts.index:
                cat, reason = None, f"category {cat!r} does not occur in the survey variable {m.survey_variable!r}"
            if cat is None:
                aside.append(dict(case_id=case_id, variable=m.case_column, value=value, reason=reason))
            else:
                mapped.append(cat)
        obs = pd.Series(mapped, dtype=object).value_counts().reindex(survey_counts.index, fill_value=0)
        n = int(obs.sum())
        shares = survey_counts / survey_counts.sum()
        for cat in survey_counts.index:
            dist_rows.append(
                dict(
                    variable=m.case_column,
                    survey_variable=m.survey_variable,
                    category=cat,
                    n_interviews=int(obs[cat]),
                    pct_interviews=100.0 * obs[cat] / n if n else math.nan,
                    n_survey=float(survey_counts[cat]),
                    pct_survey=100.0 * float(shares[cat]),
                    expected=n * float(shares[cat]),
                )
            )
        n_aside = sum(1 for a in aside if a["variable"] == m.case_column)
        if n >= 1 and len(shares) >= 2:
            stat, p_mc, p_asym = chi2_gof_monte_carlo(
                obs.to_numpy(), shares.to_numpy(), n_resamples=n_resamples, seed=seed + k
            )
            test_rows.append(
                dict(
                    variable=m.case_column,
                    survey_variable=m.survey_variable,
                    test="chi2_goodness_of_fit",
                    statistic=stat,
                    df=len(shares) - 1,
                    p_value=p_mc,
                    p_value_asymptotic=p_asym,
                    n_resamples=n_resamples,
                    n=n,
                    n_set_aside=n_aside,
                    method="monte_carlo",
                )
            )
        else:
            test_rows.append(
                dict(
                    variable=m.case_column,
                    survey_variable=m.survey_variable,
                    test="chi2_goodness_of_fit",
                    statistic=math.nan,
                    df=math.nan,
                    p_value=math.nan,
                    p_value_asymptotic=math.nan,
                    n_resamples=0,
                    n=n,
                    n_set_aside=n_aside,
                    method="not tested: fewer than two survey categories or no interviewee",
                )
            )
    return Representativeness(
        distribution=pd.DataFrame(dist_rows, columns=list(DISTRIBUTION_COLUMNS)),
        tests=pd.DataFrame(test_rows, columns=list(GOF_COLUMNS)),
        set_aside=pd.DataFrame(aside, columns=list(SET_ASIDE_COLUMNS)),
    )


def _category_order(survey: Any, variable: str, present: Iterable[str]) -> list[str]:
    labels = survey.meta.value_labels.get(variable, {}) if hasattr(survey, "meta") else {}
    ordered = [str(v) for _, v in sorted(labels.items(), key=lambda kv: _sort_key(kv[0]))]
    rest = sorted(str(p) for p in present if str(p) not in ordered)
    return [o for o in ordered if o in set(map(str, present))] + rest


def _sort_key(value: Any) -> tuple[int, float, str]:
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(value))


def _map_value(value: Any, m: Any) -> tuple[str | None, str]:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None, "missing value"
    if m.bins:
        try:
            x = float(value)
        except (TypeError, ValueError):
            return None, "not a number (bins are numeric)"
        for lo, hi, label in zip(m.bins[:-1], m.bins[1:], m.labels):
            if lo <= x < hi:
                return label, ""
        return None, f"outside the bins {m.bins[0]}..{m.bins[-1]}"
    key = str(value)
    if key in m.map:
        return (m.map[key] or None), ("" if m.map[key] else "mapped to no survey category")
    return None, f"no survey category given for {key!r} in map"
