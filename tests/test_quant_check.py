"""Tests of quant.check: checks of reported statistics (statcheck rules).

References used below
---------------------
- statcheck R package test suite (Nuijten & Epskamp), tests/testthat/
  test-decisionerror.R and test-error.R: the example strings and whether each
  is an error / decision error.
- Critical values from the NIST/SEMATECH e-Handbook of Statistical Methods,
  section 1.3.6.7 (tables of the normal, t, F and chi-square distributions).
- Exact p values computed independently with scipy.stats 1.17
  (chi2.sf, t.sf, f.sf, norm.sf), named next to each number.
- The seed study's Table 1 and Table 2 and its legal-status paragraph,
  transcribed in tests/reference/quant_check/ (see the README there).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from qualquant.quant.check import CHECK_COLUMNS, check_reported, recompute_p
from qualquant.quant.errors import QualquantError, ReportedStatisticParseError

REF = Path(__file__).resolve().parent / "reference" / "quant_check"


def one(text: str, **kw) -> pd.Series:
    res = check_reported(text, **kw)
    assert len(res) == 1, res
    return res.iloc[0]


# --------------------------------------------------------------------------- recomputed p


@pytest.mark.parametrize(
    "test, stat, df1, df2, alpha",
    [
        ("chi2", 26.124, 8, None, 0.001),  # NIST 1.3.6.7.4: chi-square upper 0.001, df 8
        ("chi2", 26.296, 16, None, 0.05),  # NIST 1.3.6.7.4: upper 0.05, df 16
        ("t", 2.014, 45, None, 0.05),  # NIST 1.3.6.7.2: t one-tailed 0.025, df 45 (two-tailed .05)
        ("F", 3.087, 2, 100, 0.05),  # NIST 1.3.6.7.3: F 5% point, (2, 100)
        ("z", 1.960, None, None, 0.05),  # NIST 1.3.6.7.1: normal two-tailed .05
    ],
)
def test_recompute_p_at_tabled_critical_values(test, stat, df1, df2, alpha):
    assert recompute_p(test, stat, df1, df2) == pytest.approx(alpha, rel=2e-3)


def test_recompute_p_correlation_uses_t_with_n_minus_2():
    # r = .37 with df = 785: t = r sqrt(df / (1 - r^2)) = 11.2; scipy.stats.t.sf(11.2, 785) * 2
    assert recompute_p("r", 0.37, 785) == pytest.approx(6.11985659319179e-27, rel=1e-6)
    assert recompute_p("r", -0.37, 785) == recompute_p("r", 0.37, 785)
    assert recompute_p("r", 1.0, 10) == 0.0


# --------------------------------------------------------------------------- parsing forms


@pytest.mark.parametrize(
    "text, test, stat, df1, df2, p_text, comp, expected_p",
    [
        # expected_p: scipy.stats 1.17, the function named in each comment
        ("χ2(16) = 155.77, p = .406", "chi2", 155.77, 16, None, ".406", "=", 5.662826444899729e-25),  # chi2.sf
        ("χ^2 = 35.48, df = 8, p < 0.001", "chi2", 35.48, 8, None, "0.001", "<", 2.185739603999176e-05),
        ("$\\chi^2 = 35.48$, $df = 8$, $p < 0.001$", "chi2", 35.48, 8, None, "0.001", "<", 2.185739603999176e-05),
        ("chi-square = 35.48, df = 8, p < 0.001", "chi2", 35.48, 8, None, "0.001", "<", 2.185739603999176e-05),
        ("Chi-Square(8) = 35.48, P < .001", "chi2", 35.48, 8, None, ".001", "<", 2.185739603999176e-05),
        ("χ²(8, N = 787) = 35.48, p < .001", "chi2", 35.48, 8, None, ".001", "<", 2.185739603999176e-05),
        ("r(785) = .37, p < .001", "r", 0.37, 785, None, ".001", "<", 6.11985659319179e-27),  # t.sf
        ("t(45) = 2.10, p = .04", "t", 2.10, 45, None, ".04", "=", 0.04136627377921408),  # 2 * t.sf
        ("t(45) = −2.10, p = .04", "t", -2.10, 45, None, ".04", "=", 0.04136627377921408),  # Unicode minus
        ("t(45) = 2,10, p = ,04", "t", 2.10, 45, None, ",04", "=", 0.04136627377921408),  # decimal commas
        ("F(2, 100) = 3.2, p = .045", "F", 3.2, 2, 100, ".045", "=", 0.04496955624843264),  # f.sf
        ("F(2,100)=3.2,p=.045", "F", 3.2, 2, 100, ".045", "=", 0.04496955624843264),
        ("z = 2.1, p = .03", "z", 2.1, None, None, ".03", "=", 0.035728841125633085),  # 2 * norm.sf
        ("<i>t</i>(45) = 2.10, <i>p</i> = .04", "t", 2.10, 45, None, ".04", "=", 0.04136627377921408),
        ("t(45) = 2.10, p-value = .04", "t", 2.10, 45, None, ".04", "=", 0.04136627377921408),
    ],
)
def test_parses_reported_forms(text, test, stat, df1, df2, p_text, comp, expected_p):
    row = one(text)
    assert row["test"] == test
    assert row["statistic"] == pytest.approx(stat)
    assert pd.isna(row["df1"]) if df1 is None else row["df1"] == df1
    assert pd.isna(row["df2"]) if df2 is None else row["df2"] == df2
    assert row["reported_p"] == p_text
    assert row["reported_comparison"] == comp
    assert row["recomputed_p"] == pytest.approx(expected_p, rel=1e-9)
    assert list(check_reported(text).columns) == CHECK_COLUMNS


def test_finds_every_result_in_running_text_in_order():
    text = (
        "The effect was reliable, t(45) = 2.10, p = .04, and the groups differed, "
        "F(2, 100) = 3.2, p = .045; the association was weak (χ2(4) = 22.14, p < .001)."
    )
    res = check_reported(text)
    assert res["test"].tolist() == ["t", "F", "chi2"]
    assert res["source"].tolist() == ["t(45) = 2.10, p = .04", "F(2, 100) = 3.2, p = .045", "χ2(4) = 22.14, p < .001"]


def test_p_in_scientific_notation():
    row = one("χ2(16) = 155.77, p = 5.7e-25")
    assert row["verdict"] == "consistent"
    row = one("χ2(16) = 155.77, p < 1 × 10^-20")
    assert row["verdict"] == "consistent"


# --------------------------------------------------------------------------- statcheck rules


@pytest.mark.parametrize(
    "text",
    # statcheck test-decisionerror.R, "simple decision errors are classified as such"
    [
        "t(28) = 2.20, p = .06",
        "t(28) = 1.20, p = .03",
        "F(2, 28) = 22.20, p = .06",
        "F(2, 28) = 2.20, p = .03",
        "r(28) = .22, p = .03",
        "r(28) = .52, p = .06",
        "chi2(28) = 2.20, p = .03",
        "chi2(28) = 52.20, p = .06",
        " z = 1.20, p = .03",
        " z = 2.20, p = .06",
    ],
)
def test_statcheck_documented_decision_errors(text):
    assert one(text)["verdict"] == "gross_inconsistency"


def test_statcheck_documented_error_with_p_less_than():
    # statcheck test-error.R: "t(48) = 1.02, p < .05" is an error and a decision error
    assert one("The effect was very significant (t(48) = 1.02, p < .05)")["verdict"] == "gross_inconsistency"


def test_statcheck_p_equal_alpha_counts_as_significant():
    # statcheck test-decisionerror.R (pEqualAlphaSig = TRUE, the default): t(28) = 2.20, p = .05 is no
    # decision error (2 * t.sf(2.20, 28) = .036, which rounds to .04: an error, but not a gross one)
    row = one("t(28) = 2.20, p = .05")
    assert row["verdict"] == "inconsistent"
    # with alpha = .10, p = .10 and recomputed .036 are both significant
    assert one("t(28) = 2.20, p = .10", alpha=0.10)["verdict"] == "inconsistent"


def test_statcheck_threshold_cases_built_from_quantiles():
    # statcheck test-decisionerror.R builds t values whose p is exactly .04/.05/.06 (qt in R;
    # scipy.stats.t.isf here) and checks the classification of p = / p < / p > against them.
    from scipy import stats

    t04, t06 = (stats.t.isf(p / 2, 28) for p in (0.04, 0.06))
    assert one(f"t(28) = {t04}, p = .04")["verdict"] == "consistent"
    assert one(f"t(28) = {t06}, p = .04")["verdict"] == "gross_inconsistency"
    assert one(f"t(28) = {t04}, p = .06")["verdict"] == "gross_inconsistency"
    assert one(f"t(28) = {t06}, p < .05")["verdict"] == "gross_inconsistency"
    assert one(f"t(28) = {t04}, p < .06")["verdict"] == "consistent"
    assert one(f"t(28) = {t04}, p > .05")["verdict"] == "gross_inconsistency"
    assert one(f"t(28) = {t06}, p > .05")["verdict"] == "consistent"


def test_rounding_interval_of_the_statistic():
    # t(10) = 2.2: the true t may be anything in [2.15, 2.25], i.e. p in [.0482, .0571]
    # (scipy.stats 2 * t.sf); p = .06 is what 2.15 gives rounded, so it is consistent ...
    row = one("t(10) = 2.2, p = .06")
    assert row["verdict"] == "consistent"
    assert row["recomputed_p"] == pytest.approx(0.05244106844935316)
    assert row["recomputed_p_high"] == pytest.approx(0.05706446742597254)
    assert row["recomputed_p_low"] == pytest.approx(0.04817965025151188)
    # ... but with two decimals (t in [2.195, 2.205], p in [.0519, .0527]) it is not; both
    # sides of alpha agree (.06 and .052 are non-significant), so it is not gross
    assert one("t(10) = 2.20, p = .06")["verdict"] == "inconsistent"


def test_p_less_than_uses_the_smallest_p_of_the_interval():
    # t(28) = 2.0 could be 2.05: 2 * t.sf(2.05, 28) = .0498 < .05 (scipy.stats)
    assert one("t(28) = 2.0, p < .05")["verdict"] == "consistent"
    # t(28) = 2.00 is at most 2.005: p >= .0547, so "p < .05" is a gross inconsistency
    assert one("t(28) = 2.00, p < .05")["verdict"] == "gross_inconsistency"


def test_p_of_exactly_zero_is_an_error():
    row = one("t(28) = 5.20, p = .000")
    assert row["verdict"] == "inconsistent"
    assert "p cannot be exactly 0; report p < .001" in row["reason"]
    # and a gross inconsistency when the statistic is not significant at all
    assert one("t(28) = 0.50, p = .000")["verdict"] == "gross_inconsistency"


def test_correlation_df_from_n():
    # argument
    row = one("r = .368, p < .01", n=787)
    assert row["df1"] == 785 and row["n"] == 787 and row["verdict"] == "consistent"
    assert "N = 787 from the argument" in row["reason"]
    # N = 787 in the text, before the result
    res = check_reported("A survey of N = 787 repatriates. Belonging and friends: r = .368, p < .01.")
    assert res.loc[0, "df1"] == 785 and res.loc[0, "verdict"] == "consistent"
    # no N anywhere: the result cannot be checked
    row = one("r = .368, p < .01")
    assert row["verdict"] == "error"
    assert "needs N or df" in row["reason"]


def test_seed_table3_correlations_in_text_are_consistent():
    # The seed's Table 3 discussion (N = 787): values and p as printed. Recomputed with
    # scipy.stats (t.sf of r sqrt(785 / (1 - r^2))): r = .013 -> p = .716, -.044 -> .218,
    # .061 -> .087; each within the rounding interval of r (statcheck rule), so consistent.
    text = (
        "N = 787. ($r = 0.368$, $p < 0.01$) ... ($r = 0.013$, $p = 0.707$) ... ($r = -0.044$, $p = 0.214$) "
        "... ($r = 0.061$, $p = 0.089$) ... ($r = 0.078$, $p < 0.05$)"
    )
    res = check_reported(text)
    assert len(res) == 5
    assert set(res["verdict"]) == {"consistent"}
    assert res.loc[1, "recomputed_p"] == pytest.approx(0.7157598328170834)


def test_unusable_results_are_reported_as_errors_not_dropped():
    res = check_reported("t = 2.1, p = .04; F(2) = 3.1, p = .05; r(20) = 1.2, p = .01; χ2(3) = 5.1, p = 1.4")
    assert res["verdict"].tolist() == ["error"] * 4
    reasons = res["reason"].tolist()
    assert "needs its degrees of freedom" in reasons[0]
    assert "F needs two degrees of freedom" in reasons[1]
    assert "cannot exceed 1" in reasons[2]
    assert "p value cannot exceed 1" in reasons[3]


# --------------------------------------------------------------------------- df from category counts


def test_df_must_fit_category_counts():
    row = one("χ2(28) = 187.94, p < .001", counts={"*": (9, 5)})
    assert row["verdict"] == "inconsistent"
    assert row["expected_df"] == 32
    # scipy.stats.chi2.sf(187.94, 32) = 5.52e-24
    assert row["p_at_expected_df"] == pytest.approx(5.523317441494944e-24, rel=1e-9)
    assert "(9 - 1) x (5 - 1) = 32" in row["reason"]
    # a df that flips the decision: chi2.sf(22.0, 12) = .038 matches p = .04, but the counts
    # give df = 20 and chi2.sf(22.0, 20) = .34 (scipy.stats): not significant
    row = one("χ2(12) = 22.0, p = .04", counts={"*": (6, 5)})
    assert row["verdict"] == "gross_inconsistency"
    assert "flips the decision" in row["reason"]
    assert one("χ2(8) = 35.48, p < .001", counts={"*": (3, 5)})["verdict"] == "consistent"


# --------------------------------------------------------------------------- the seed's Table 2


def seed_counts() -> dict[str, tuple[int, int]]:
    """Category counts of each Table 2 factor from Table 1, by 5 belonging categories."""
    t1 = pd.read_csv(REF / "seed_table1.csv")
    k = t1.groupby("characteristic", sort=False).size()
    names = {
        "Gender": "Gender",
        "Age": "Age",
        "Place of residence": "Place of residence",
        "Marital status": "Marital status",
        "Number of children": "Children",
        "Education": "Education",
        "Employment status": "Employment status",
        "Material well-being": "Material situation",
        "Country of origin": "Country of residence before migration",
    }
    return {factor: (int(k[t1_name]), 5) for factor, t1_name in names.items()}


def test_seed_table2_verdicts_worked_out_by_hand():
    """What is wrong with Table 2, worked out by hand (chi-square upper tails from scipy.stats.chi2.sf):

    - Education: chi2(16) = 155.77 has p = 5.7e-25, far below .05 (the tabled .05 point for
      df 16 is 26.30); the printed p = .406 would need chi2 of about 16.6. Gross inconsistency.
    - Material well-being: chi2(20) = 92.88 has p = 2.3e-11 (.05 point for df 20: 31.41); the
      printed p = .152 would need about 26.6. Gross inconsistency.
    - Employment status: 9 categories in Table 1 x 5 belonging points give df = 8 x 4 = 32,
      not 28 (28 would need 8 employment categories). p < .001 holds with either df.
    - All other df equal (r - 1)(c - 1) from Table 1 (2, 6, 10, 4, 4, 5, 6 categories) and
      all other p < .001 agree with the statistic.
    """
    res = check_reported(REF / "seed_table2.csv", counts=seed_counts())
    verdicts = dict(zip(res["label"], res["verdict"]))
    assert verdicts == {
        "Gender": "consistent",
        "Age": "consistent",
        "Place of residence": "consistent",
        "Marital status": "consistent",
        "Number of children": "consistent",
        "Education": "gross_inconsistency",
        "Employment status": "inconsistent",
        "Material well-being": "gross_inconsistency",
        "Country of origin": "consistent",
    }
    by = res.set_index("label")
    assert by.loc["Education", "recomputed_p"] == pytest.approx(5.662826444899729e-25, rel=1e-9)
    assert by.loc["Material well-being", "recomputed_p"] == pytest.approx(2.3151212992279618e-11, rel=1e-9)
    assert by.loc["Employment status", "expected_df"] == 32
    assert "df = 28 does not fit" in by.loc["Employment status", "reason"]
    assert by.loc["Employment status", "reported_p"] == "0.001"
    assert by.loc["Education", "reported"] == "χ2(16) = 155.77, p = .406"
    # without the counts only the p-value problems can be seen
    plain = check_reported(REF / "seed_table2.csv")
    assert dict(zip(plain["label"], plain["verdict"]))["Employment status"] == "consistent"


def test_seed_legal_status_sentence():
    # legal status (citizenship / permanent / temporary) x 5 belonging points: df = 2 x 4 = 8;
    # chi2.sf(35.48, 8) = 2.19e-5 < .001 (scipy.stats). The likelihood-ratio result printed
    # without a statistic name "(43.848, df = 8, ...)" and the bare "p = 0.055" are not results.
    text = (REF / "seed_legal_status.txt").read_text(encoding="utf-8")
    res = check_reported(text, counts={"*": (3, 5)})
    assert len(res) == 1
    row = res.iloc[0]
    assert row["test"] == "chi2" and row["df1"] == 8 and row["statistic"] == 35.48
    assert row["verdict"] == "consistent"
    assert row["recomputed_p"] == pytest.approx(2.185739603999176e-05, rel=1e-9)
    assert row["source"].startswith("\\chi^2 = 35.48")


# --------------------------------------------------------------------------- tables


def test_table_with_flexible_column_names_and_decimal_commas(tmp_path):
    path = tmp_path / "stats.csv"
    path.write_text("Variable;Chi-Square;d.f.;Sig.\nSex;22,14;4;<,001\nEducation;155,77;16;,406\n", encoding="utf-8")
    res = check_reported(path)
    assert res["label"].tolist() == ["Sex", "Education"]
    assert res["verdict"].tolist() == ["consistent", "gross_inconsistency"]
    assert res.loc[1, "reported_p"] == ",406"


def test_dataframe_input_with_test_and_n_columns():
    df = pd.DataFrame(
        {
            "label": ["a", "b", "c"],
            "test": ["t", "F", "r"],
            "statistic": ["2.10", "3.2", ".37"],
            "df1": ["45", "2", ""],
            "df2": ["", "100", ""],
            "n": ["", "", "787"],
            "p": [".04", ".045", "<.001"],
        }
    )
    res = check_reported(df)
    assert res["test"].tolist() == ["t", "F", "r"]
    assert res["df1"].tolist() == [45, 2, 785]
    assert res["verdict"].tolist() == ["consistent"] * 3


def test_float_cells_keep_their_shortest_decimals():
    df = pd.DataFrame({"chi2": [155.77], "df": [16], "p": [0.406]})
    row = check_reported(df).iloc[0]
    assert row["reported"] == "χ2(16) = 155.77, p = 0.406"


def test_unreadable_table_cells_are_rows_with_error_verdicts():
    df = pd.DataFrame(
        {"factor": ["a", "b", "c"], "chi2": ["12.1", "abc", "5.0"], "df": ["2", "2", "2"], "p": [".002", ".01", ""]}
    )
    res = check_reported(df)
    assert res["verdict"].tolist() == ["consistent", "error", "error"]
    assert "row 2: cannot read the statistic 'abc' in column chi2" in res.loc[1, "reason"]
    assert "row 3: the p cell (p) is empty" in res.loc[2, "reason"]


def test_table_without_p_column_is_a_clear_error():
    with pytest.raises(
        ReportedStatisticParseError, match=r"cannot find a p column .* among the columns \['chi2', 'df'\]"
    ):
        check_reported(pd.DataFrame({"chi2": ["1.0"], "df": ["1"]}))


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ReportedStatisticParseError, match=r"nope\.csv: no such file"):
        check_reported(str(tmp_path / "nope.csv"))


# --------------------------------------------------------------------------- unparseable text


def test_unparseable_text_quotes_it_and_shows_an_example():
    with pytest.raises(ReportedStatisticParseError) as info:
        check_reported("The groups differed significantly.")
    msg = str(info.value)
    assert "'The groups differed significantly.'" in msg
    assert "χ2(16) = 155.77, p = .406" in msg
    assert isinstance(info.value, ValueError)


def test_p_without_statistic_gets_a_hint():
    with pytest.raises(ReportedStatisticParseError, match="mentions a p value"):
        check_reported("the linear relation is not significant (p = 0.055)")


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("χ2rtFzZpPN=<>(),.;:-−$\\^{} 0123456789dfchisquare\n²")), max_size=80)
    | st.text(max_size=80)
)
@example("t(10) = 2.0, p = 0e309")  # 0 * 10.0 ** 309 raised OverflowError
@example("t(10) = 2.0, p = 5 × 10^400")
@example("t(10) = 1e999, p = .05")  # statistic overflows to inf
@example("t(10) = 2.0, p = 1e-" + "9" * 5000)  # beyond int()'s digit limit
def test_parser_raises_only_project_errors(text):
    try:
        res = check_reported(text)
    except QualquantError:
        return
    assert list(res.columns) == CHECK_COLUMNS
    assert set(res["verdict"]) <= {"consistent", "inconsistent", "gross_inconsistency", "error"}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(max_size=8),
            st.text(alphabet="0123456789.,<>=-e ", max_size=7),
            st.text(alphabet="0123456789.,<>= ", max_size=5),
            st.text(alphabet="0123456789.,<>=pe ", max_size=7),
        ),
        min_size=1,
        max_size=4,
    )
)
@example([("x", "2.0", "10", "0e309")])  # 0 * 10.0 ** 309 raised OverflowError
@example([("x", "2.0", "10", "1e309")])  # p overflows to inf
@example([("x", "1e999", "10", ".05")])  # statistic overflows to inf
@example([("x", "2.0", "10", "9e-999")])  # p underflows to 0
def test_table_parser_raises_only_project_errors(rows):
    try:
        res = check_reported(pd.DataFrame(rows, columns=["factor", "chi2", "df", "p"]))
    except QualquantError:
        return
    assert len(res) == len(rows)


@settings(max_examples=200, deadline=None)
@given(
    test=st.sampled_from(["t", "F", "chi2", "z"]),
    stat=st.floats(0.01, 60),
    dec=st.integers(0, 3),
    df1=st.integers(1, 200),
    df2=st.integers(1, 500),
    p=st.floats(0.0005, 0.999),
    comma=st.booleans(),
)
def test_generated_results_parse_back(test, stat, dec, df1, df2, p, comma):
    stat_text = f"{stat:.{dec}f}"
    p_text = f"{p:.3f}"[1:]
    if comma:
        stat_text, p_text = stat_text.replace(".", ","), p_text.replace(".", ",")
    name = {"chi2": "χ2", "t": "t", "F": "F", "z": "z"}[test]
    dfs = {"chi2": f"({df1})", "t": f"({df1})", "F": f"({df1}, {df2})", "z": ""}[test]
    row = one(f"{name}{dfs} = {stat_text}, p = {p_text}")
    assert row["test"] == test
    assert row["statistic"] == pytest.approx(float(stat_text.replace(",", ".")))
    assert row["reported_p"] == p_text
    if test != "z":
        assert row["df1"] == df1
    assert row["verdict"] in {"consistent", "inconsistent", "gross_inconsistency"}


# --------------------------------------------------------------------------- command line


def _app():
    from qualquant.pipelines.cli._common import make_app
    from qualquant.pipelines.cli.quant_check import register

    app = make_app("quant test app")
    register(app)

    @app.command("noop")
    def noop() -> None:
        """Placeholder so that check stays a subcommand."""

    return app


def test_cli_check_seed_table2_flags_the_wrong_rows():
    runner = CliRunner()
    result = runner.invoke(
        _app(), ["check", str(REF / "seed_table2.csv"), "--counts", "Employment status=9x5"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("gross_inconsistency") == 3  # two rows + the summary line
    assert "df = 28 does not fit the category counts" in result.output
    assert "9 results: 6 consistent, 1 inconsistent, 2 gross_inconsistency" in result.output


def test_overflowing_numbers_are_error_rows_naming_row_and_text():
    table = pd.DataFrame(
        {
            "factor": ["x", "y", "z", "w"],
            "test": ["t"] * 4,
            "statistic": ["2.0", "2.0", "1e999", "2.0"],
            "df": ["10"] * 4,
            "p": ["0e309", "1e309", ".05", "2e-5"],
        }
    )
    res = check_reported(table)
    # p = 0e309 is 0: readable, and flagged because p cannot be exactly 0.
    assert res.loc[0, "verdict"] == "gross_inconsistency"
    assert "p cannot be exactly 0" in res.loc[0, "reason"]
    assert res.loc[1, "verdict"] == "error"
    assert res.loc[1, "reason"] == "row 2: a p value cannot exceed 1 (p = 1e309)"
    assert res.loc[2, "verdict"] == "error"
    assert res.loc[2, "reason"] == "row 3: the statistic '1e999' is not a finite number"
    # t(10) = 2.0 -> p = 2 * t.sf(2.0, 10) = 0.0734 (scipy.stats 1.17), so 2e-5 is inconsistent.
    assert res.loc[3, "recomputed_p"] == pytest.approx(0.07338803477074037)
    text = check_reported("t(10) = 2.0, p = 5 × 10^400")
    assert text.loc[0, "verdict"] == "error"
    assert "cannot exceed 1 (p = 5 × 10^400)" in text.loc[0, "reason"]


def test_cli_overflowing_p_in_a_csv_row_is_not_a_traceback(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("factor,test,statistic,df,p\nx,t,2.0,10,0e309\ny,t,2.0,10,1e309\n", encoding="utf-8")
    result = CliRunner().invoke(_app(), ["check", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "row 2: a p value cannot exceed 1 (p = 1e309)" in result.output
    assert "2 results: 1 gross_inconsistency, 1 error" in result.output


def test_cli_check_text_argument():
    result = CliRunner().invoke(_app(), ["check", "t(28) = 2.20, p = .06"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "gross_inconsistency" in result.output


def test_cli_unparseable_text_is_one_error_line():
    result = CliRunner().invoke(_app(), ["check", "nothing here"])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("Error: no reported statistic found in 'nothing here'.")


def test_cli_bad_counts_is_a_usage_error():
    result = CliRunner().invoke(_app(), ["check", "t(28) = 2.20, p = .06", "--counts", "Employment"])
    assert result.exit_code == 2
    assert "NAME=RxC" in result.output


def test_cli_writes_the_verdict_table(tmp_path):
    out = tmp_path / "verdicts.csv"
    result = CliRunner().invoke(_app(), ["check", str(REF / "seed_table2.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    assert written["verdict"].tolist().count("gross_inconsistency") == 2
    assert {"reported", "recomputed_p", "verdict", "reason"} <= set(written.columns)


def test_cli_help_text():
    result = CliRunner().invoke(_app(), ["check", "--help"])
    assert result.exit_code == 0
    assert "statcheck" in result.output and "--counts" in result.output


def test_cli_long_text_argument_is_text_not_a_path():
    text = (REF / "seed_legal_status.txt").read_text(encoding="utf-8")
    result = CliRunner().invoke(_app(), ["check", text, "--counts", "*=3x5"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "1 result: 1 consistent" in result.output
