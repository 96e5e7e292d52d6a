"""SPSS/APA/seed layouts (quant/render.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from qualquant import quant
from qualquant.quant.render import (
    SIG_01,
    SIG_05,
    format_number,
    format_p,
    render_association_table,
    render_crosstab,
    render_frequencies,
    render_tests,
    stars,
)


def _corr_long(values, p, n=787):
    k = int(round((1 + np.sqrt(1 + 8 * len(values))) / 2))
    names = [f"v{i}" for i in range(k)]
    pairs = [(names[i], names[j]) for i in range(k) for j in range(i + 1, k)]
    rows = [
        {"var1": a, "var2": b, "statistic": r, "p_value": pv, "n": float(n)} for (a, b), r, pv in zip(pairs, values, p)
    ]
    df = pd.DataFrame(rows)
    df.attrs.update(variables=names, labels=names, method="spearman", missing="pairwise")
    return df


def test_seed_style_matches_table3_cells():
    # Seed Table 3 prints ,368** (p < .01), ,088* (p < .05), -,044 (n.s.).
    res = _corr_long([0.3684, 0.0876, -0.0441], [1e-20, 0.014, 0.214])
    rt = quant.render_correlation_matrix(res, style="seed")
    assert rt.table.iloc[1, 0] == ",368**"
    assert rt.table.iloc[2, 0] == ",088*"
    assert rt.table.iloc[2, 1] == "-,044"
    assert rt.table.iloc[0, 0] == "1" and rt.table.iloc[0, 1] == ""
    assert rt.footnotes == (SIG_01, SIG_05)
    assert SIG_01 == "**. Correlation is significant at the 0.01 level (2-tailed)."
    assert SIG_05 == "*. Correlation is significant at the 0.05 level (2-tailed)."
    spss = quant.render_correlation_matrix(res, style="spss")
    assert spss.table.iloc[1, 0] == ".368**"
    assert "N = 787" in spss.title


def test_only_used_footnotes():
    rt = quant.render_correlation_matrix(_corr_long([0.5], [0.001]))
    assert rt.footnotes == (SIG_01,)
    rt = quant.render_correlation_matrix(_corr_long([0.01], [0.8]))
    assert rt.footnotes == ()


def test_number_and_p_formats():
    assert format_number(-0.0004, 3) == "0.000"  # no "-0.000"
    assert format_number(np.nan) == "."
    assert format_p(0.05) == ".050" and format_p(0.0001, style="seed") == "<0.001"
    assert stars(0.0099) == "**" and stars(0.01) == "*" and stars(0.05) == "" and stars(np.nan) == ""


def test_crosstab_tests_and_frequency_layouts():
    res = quant.crosstab_from_counts([[3, 1], [1, 3]], row_labels=["a", "b"], col_labels=["x", "y"])
    t = render_tests(res)
    assert t.table.index.tolist() == [
        "Pearson Chi-Square",
        "Continuity Correction",
        "Likelihood Ratio",
        "Fisher's Exact Test",
        "Linear-by-Linear Association",
        "N of Valid Cases",
    ]
    assert t.table.loc["Fisher's Exact Test", "Exact Sig. (2-sided)"] == ".486"
    assert t.table.loc["Fisher's Exact Test", "Exact Sig. (1-sided)"] == ".243"
    assert t.table.loc["Pearson Chi-Square", "Value"] == "2.000"
    assert t.footnotes[0] == "a. 4 cells (100.0%) have expected count less than 5. The minimum expected count is 2.00."
    c = render_crosstab(res, percent="row")
    assert c.table.loc["a Count"].tolist() == ["3", "1", "4"]
    assert c.table.loc["a % within row"].tolist() == ["75.0%", "25.0%", "100.0%"]
    assert c.table.loc["Total Count"].tolist() == ["4", "4", "8"]
    f = render_frequencies(quant.frequencies(pd.DataFrame({"q": [1, 1, 2, np.nan]}), "q"))
    assert f.table.index.tolist() == ["Valid 1", "2", "Total", "Missing System", "Total", "Total"]
    assert f.table.iloc[0].tolist() == ["2", "50.0", "66.7", "66.7"]
    md = f.to_markdown()
    assert md.count("\n|") >= 6


def test_association_table_render():
    tab = pd.DataFrame(
        [
            {
                "factor": "g",
                "label": "Gender",
                "statistic": 22.144,
                "df": 4.0,
                "p_value": 0.0002,
                "cramers_v": 0.1677,
                "n": 787.0,
                "min_expected": 10.0,
                "cells_expected_below_5": 0.0,
            }
        ]
    )
    rt = render_association_table(tab, style="seed")
    assert rt.table.loc["Gender"].tolist() == ["22.14", "4", "<0.001", ".168", "787"]
