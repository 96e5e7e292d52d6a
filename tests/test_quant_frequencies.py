"""SPSS FREQUENCIES layout (quant/frequencies.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qualquant import quant
from qualquant.quant.errors import WeightError

REF = Path(__file__).resolve().parent / "reference" / "quant"
REAL = Path(__file__).resolve().parent / "data" / "survey"


@pytest.mark.parametrize("variable", ["employment", "country"])
def test_percentages_match_seed_table1(variable):
    # Seed study Table 1 (N = 787): counts and percentages as printed (one decimal).
    ref = pd.read_csv(REF / "seed_table1_counts.csv")
    ref = ref[ref["variable"] == variable].reset_index(drop=True)
    codes = np.repeat(np.arange(1, len(ref) + 1), ref["n"].to_numpy())
    df = pd.DataFrame({variable: codes})
    labels = {float(i + 1): c for i, c in enumerate(ref["category"])}
    s = quant.Survey(df, quant.SurveyMeta(value_labels={variable: labels}))
    f = quant.frequencies(s, variable)
    valid = f[f["section"] == "valid"].reset_index(drop=True)
    assert valid["label"].tolist() == ref["category"].tolist()
    assert valid["n"].tolist() == ref["n"].astype(float).tolist()
    assert valid["percent"].round(1).tolist() == ref["percent"].tolist()
    assert f.iloc[-1]["n"] == 787 and f.iloc[-1]["section"] == "valid_total"
    assert valid["cumulative_percent"].iloc[-1] == pytest.approx(100.0)


def test_user_and_system_missing_rows_like_spss():
    s = quant.read_survey(REAL / "sample_missing.sav")
    f = quant.frequencies(s, "myord")
    # Values 1,2,3 valid; -1 and -3 user-missing; SPSS rows: valid..., Total, missing codes, Total, Total.
    assert f["section"].tolist() == [
        "valid",
        "valid",
        "valid",
        "valid_total",
        "missing",
        "missing",
        "missing_total",
        "total",
    ]
    assert f["label"].tolist()[:3] == ["low", "medium", "high"]
    assert f["n"].tolist() == [3, 1, 1, 5, 1, 1, 2, 7]
    assert f.loc[0, "percent"] == pytest.approx(100 * 3 / 7)
    assert f.loc[0, "valid_percent"] == pytest.approx(60.0)
    assert f["cumulative_percent"].tolist()[:3] == pytest.approx([60.0, 80.0, 100.0])
    assert f.loc[4:5, "label"].tolist() == ["-3", "missing"]  # ascending; -1 is labelled "missing"
    f2 = quant.frequencies(s, "mylabl")
    assert f2[f2["section"] == "missing"]["label"].tolist() == ["undetermined", "System"]


def test_weighted_counts_equal_replicated_cases():
    df = pd.DataFrame({"q": [1, 2, 3, np.nan], "w": [2.0, 1.0, 0.0, 3.0]})
    f = quant.frequencies(df, "q", weights="w")
    rep = pd.DataFrame({"q": [1, 1, 2, np.nan, np.nan, np.nan]})
    g = quant.frequencies(rep, "q")
    cols = ["n", "percent", "valid_percent"]
    pd.testing.assert_frame_equal(f[f.n > 0][cols].reset_index(drop=True), g[cols].reset_index(drop=True))


@pytest.mark.parametrize("bad", [[1.0, -1.0, 1.0], [1.0, np.nan, 1.0]])
def test_bad_weights_are_refused(bad):
    df = pd.DataFrame({"q": [1, 2, 3], "w": bad})
    with pytest.raises(WeightError, match="row 1"):
        quant.frequencies(df, "q", weights="w")


def test_string_weights_refused():
    df = pd.DataFrame({"q": [1, 2], "w": ["a", "b"]})
    with pytest.raises(WeightError, match="not numeric"):
        quant.frequencies(df, "q", weights="w")
