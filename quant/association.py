"""One outcome against many factors: the chi-square association table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from qualquant.quant.crosstab import crosstab
from qualquant.quant.errors import StatisticInputError
from qualquant.quant.survey import as_survey

__all__ = ["association_table"]

COLUMNS = ["factor", "label", "statistic", "df", "p_value", "cramers_v", "n", "min_expected", "cells_expected_below_5"]


def association_table(
    data: Any,
    outcome: str,
    factors: Sequence[str],
    *,
    weights: Any = None,
) -> pd.DataFrame:
    """Pearson chi-square of ``outcome`` against each factor, one row per factor.

    The layout of the seed study's Table 2 ("Association between
    socio-demographic characteristics and sense of belonging").

    Parameters
    ----------
    data : pandas.DataFrame or Survey
    outcome : str
        The variable crossed with every factor (columns of each crosstab).
    factors : sequence of str
        Row variables, one table row each.
    weights : str or array-like, optional
        Frequency weight variable.

    Returns
    -------
    pandas.DataFrame
        Columns ``factor`` (variable name), ``label`` (variable label),
        ``statistic`` (Pearson chi-square), ``df``, ``p_value``,
        ``cramers_v``, ``n`` (valid cases of that pair),
        ``min_expected`` and ``cells_expected_below_5`` (share of cells, 0-1,
        so a reader can see where the chi-square approximation is weak).

    Raises
    ------
    StatisticInputError
        No factors given.
    VariableNotFoundError, WeightError, ConstantVariableError
        As in :func:`qualquant.quant.crosstab`.

    Notes
    -----
    Each row is :func:`qualquant.quant.crosstab` (pairwise deletion per factor, as a
    series of SPSS CROSSTABS commands would do).

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1, 2, 1, 2, 1, 2], "a": [1, 1, 1, 2, 2, 2]})
    >>> association_table(df, "y", ["a"])[["factor", "df", "n"]].to_dict("records")
    [{'factor': 'a', 'df': 1.0, 'n': 6.0}]
    """
    if not factors:
        raise StatisticInputError("association_table needs at least one factor.")
    survey = as_survey(data)
    rows = []
    for factor in factors:
        res = crosstab(survey, factor, outcome, weights=weights)
        e = res.expected.to_numpy()[res.counts.to_numpy().sum(axis=1) > 0][:, res.counts.to_numpy().sum(axis=0) > 0]
        rows.append(
            {
                "factor": res.row_variable,
                "label": survey.variable_label(res.row_variable),
                "statistic": res.tests.loc["pearson_chi2", "statistic"],
                "df": res.tests.loc["pearson_chi2", "df"],
                "p_value": res.tests.loc["pearson_chi2", "p_value"],
                "cramers_v": res.measures.loc["cramers_v", "value"],
                "n": res.n,
                "min_expected": float(e.min()),
                "cells_expected_below_5": float((e < 5).mean()),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
