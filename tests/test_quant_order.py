"""Category order of frequencies and crosstabs (quant/_order.py): by value code, as SPSS.

SPSS FREQUENCIES and CROSSTABS list the observed categories by ascending value
code (``/FORMAT=AVALUE``); categories with a value label but no cases are not
shown in CROSSTABS.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qualquant import quant
from qualquant.quant._order import category_order
from qualquant.quant.render import crosstab_layout, render_crosstab_cells
from qualquant.quant.survey import Survey, SurveyMeta, read_survey

LIKERT = {1: "strongly disagree", 2: "disagree", 3: "neutral", 4: "agree", 5: "strongly agree"}


def _data(n_per_cell: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    g = np.repeat([1, 2], 5 * n_per_cell)
    a = np.tile(np.repeat([1, 2, 3, 4, 5], n_per_cell), 2)
    a[:3] = 5  # an association for the linear-by-linear test
    order = rng.permutation(len(g))
    return pd.DataFrame({"g": g[order], "a": a[order]})


def _csv(tmp_path, cells: str) -> Survey:
    data = _data()
    if cells == "labels":
        data["a"] = data["a"].map(LIKERT)
    data.to_csv(tmp_path / "s.csv", index=False)
    pd.DataFrame({"variable": ["a"], "value_labels": ["; ".join(f"{k}={v}" for k, v in LIKERT.items())]}).to_csv(
        tmp_path / "cb.csv", index=False
    )
    return read_survey(tmp_path / "s.csv", codebook=tmp_path / "cb.csv")


@pytest.mark.parametrize("cells", ["codes", "labels"])
def test_crosstab_and_frequencies_of_a_csv_with_codebook_are_in_code_order(tmp_path, cells):
    survey = _csv(tmp_path, cells)
    res = quant.crosstab(survey, "g", "a")
    assert list(res.counts.columns) == list(LIKERT.values())
    assert res.col_scores == (1.0, 2.0, 3.0, 4.0, 5.0)  # the codes, also when the cells hold the labels
    freq = quant.frequencies(survey, "a")
    assert freq.loc[freq["section"] == "valid", "label"].tolist() == list(LIKERT.values())
    assert freq["cumulative_percent"].dropna().is_monotonic_increasing


def test_label_text_gives_the_statistics_of_the_codes(tmp_path):
    codes, labels = _csv(tmp_path, "codes"), _csv(tmp_path, "labels")
    a, b = quant.crosstab(codes, "g", "a"), quant.crosstab(labels, "g", "a")
    assert np.array_equal(a.counts.to_numpy(), b.counts.to_numpy())
    pd.testing.assert_frame_equal(a.tests, b.tests)


def test_unobserved_labelled_category_is_left_out_as_in_spss_crosstabs():
    data = _data()
    data = data[data["a"] != 3]
    s = Survey(data, SurveyMeta(value_labels={"a": LIKERT}))
    res = quant.crosstab(s, "g", "a")
    assert list(res.counts.columns) == ["strongly disagree", "disagree", "agree", "strongly agree"]


def test_string_codes_numbers_as_numbers_others_in_label_definition_order():
    s = Survey(
        pd.DataFrame({"q": []}),
        SurveyMeta(
            value_labels={
                "n": {"1": "one", "2": "two", "10": "ten"},
                "t": {"SD": "strongly disagree", "D": "disagree", "N": "neutral", "A": "agree", "SA": "strongly agree"},
            }
        ),
    )
    vals = ["10", "2", "1"]
    assert [vals[i] for i in category_order(s, "n", vals)] == ["1", "2", "10"]
    vals = ["A", "N", "SA", "SD", "other", "D"]
    assert [vals[i] for i in category_order(s, "t", vals)] == ["SD", "D", "N", "A", "SA", "other"]
    # mixed numbers and text in one plain column never raise
    vals = ["b", 2.0, "a", 1]
    assert [vals[i] for i in category_order(None, "x", vals)] == [1, 2.0, "a", "b"]


def test_layout_keeps_the_order_of_the_cells_and_has_totals():
    res = quant.crosstab(Survey(_data(), SurveyMeta(value_labels={"a": LIKERT})), "g", "a")
    cells = res.to_frame()
    layout = crosstab_layout(cells)
    assert list(layout.columns) == ["row", "cell", *LIKERT.values(), "Total"]
    assert layout["row"].tolist() == ["1", "1", "2", "2", "Total", "Total"]
    pct = layout[layout["cell"] == "row_percent"]
    assert np.allclose(pct[list(LIKERT.values())].sum(axis=1), 100.0)
    assert layout.iloc[-2]["Total"] == 20.0
    rt = render_crosstab_cells(cells, row_variable="g", col_variable="a")
    assert list(rt.table.columns) == ["", *LIKERT.values(), "Total"]
    assert rt.table[""].tolist() == ["Count", "% within g"] * 3
    assert rt.table.index.tolist() == ["1", "", "2", "", "Total", ""]
