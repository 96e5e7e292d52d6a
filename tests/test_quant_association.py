"""Association table of one outcome against many factors (quant/association.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qualquant import quant
from qualquant.quant.errors import StatisticInputError, VariableNotFoundError


@pytest.fixture(scope="module")
def anes():
    import statsmodels.datasets.anes96 as anes96

    return anes96.load_pandas().data


def test_rows_match_scipy_chi2_contingency(anes):
    labels = {"educ": "Education", "vote": "Vote"}
    s = quant.Survey(anes, quant.SurveyMeta(variable_labels=labels))
    tab = quant.association_table(s, "PID", ["educ", "vote", "TVnews"])
    assert list(tab.columns) == [
        "factor",
        "label",
        "statistic",
        "df",
        "p_value",
        "cramers_v",
        "n",
        "min_expected",
        "cells_expected_below_5",
    ]
    assert tab["label"].tolist() == ["Education", "Vote", "TVnews"]
    for row in tab.itertuples(index=False):
        ct = pd.crosstab(anes[row.factor], anes["PID"])
        ref = stats.chi2_contingency(ct, correction=False)
        assert row.statistic == pytest.approx(ref.statistic, rel=1e-12)
        assert row.df == ref.dof
        assert row.p_value == pytest.approx(ref.pvalue, rel=1e-9)
        assert row.n == len(anes)
        k = min(ct.shape) - 1
        assert row.cramers_v == pytest.approx(np.sqrt(ref.statistic / (len(anes) * k)))
        assert row.min_expected == pytest.approx(ref.expected_freq.min())
        assert row.cells_expected_below_5 == pytest.approx((ref.expected_freq < 5).mean())


def test_bad_input(anes):
    with pytest.raises(StatisticInputError, match="at least one factor"):
        quant.association_table(anes, "PID", [])
    with pytest.raises(VariableNotFoundError, match="Close matches: educ"):
        quant.association_table(anes, "PID", ["educa"])
