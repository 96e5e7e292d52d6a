"""Tests of pipelines.integrate: linked cases, joint display rules, quotes, overrides, representativeness.

Reference values:
- Mann-Whitney U: Hollander & Wolfe (1973, p. 69), U = 35, exact two-sided p = 0.2544
  (tests/reference/topics/mann_whitney_hollander_wolfe.csv); the exact p of a
  completely separated 4 vs 14 split is 2 / C(18, 4) (full enumeration).
- Fisher's tea-tasting table (Agresti, 2007, *An Introduction to Categorical Data
  Analysis*, 2nd ed., Table 2.8): 3,1 / 1,3, two-sided exact p = 0.486.
- Chi-square goodness-of-fit statistic: checked against scipy.stats.chisquare (an
  independent implementation); the Monte Carlo p against the exact multinomial p
  computed here by full enumeration (independently computed).
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qualquant.pipelines.errors import IntegrationError, OverridesFileError
from qualquant.pipelines.integrate import (
    case_code_table,
    chi2_gof_monte_carlo,
    choose_quotes,
    joint_display,
    linked_cases,
    propose_convergence,
    read_overrides,
    representativeness,
    update_overrides,
    variable_verdict,
    write_quantitized,
)
from qualquant.pipelines.study import Construct
from qualquant.pipelines.study._config import RepresentativenessRow
from qualquant.quant.errors import QualquantError, VariableNotFoundError, WeightError
from qualquant.quant.survey import Survey, SurveyMeta, read_survey

REFERENCE = Path(__file__).resolve().parent / "reference"


def _codings(rows):
    cols = ["coder", "source", "transcript_id", "segment_id", "code", "start", "end", "text", "result_id"]
    return pd.DataFrame(rows, columns=cols)


def _segments():
    rows = []
    for t in ("A", "B", "C", "D"):
        rows.append((t, f"{t}:0000", "interviewer", 0, 10))
        rows.append((t, f"{t}:0001", "participant", 11, 111))
    return pd.DataFrame(rows, columns=["transcript_id", "segment_id", "role", "start", "end"])


# --------------------------------------------------------------------------- case x code


def test_case_code_table_presence_count_coverage():
    cod = _codings(
        [
            ("consensus", "human", "A", "A:0001", "x", 11, 31, "t" * 20, "r1"),
            ("consensus", "human", "A", "A:0001", "x", 21, 41, "t" * 20, "r2"),  # overlaps r1: 11..41 = 30 chars
            ("consensus", "human", "B", "B:0001", "y", 50, 60, "t" * 10, "r3"),
        ]
    )
    m = case_code_table(cod, _segments(), ["A", "B", "C"], ["x", "y"])
    assert m.loc["A", "c_x"] == 1 and m.loc["A", "n_x"] == 2
    assert m.loc["A", "cov_x"] == pytest.approx(30 / 100)
    assert m.loc["B", "c_x"] == 0 and m.loc["B", "cov_y"] == pytest.approx(0.10)
    assert m.loc["C"].sum() == 0


def _matrix_from_table(table, attr_values=("tea", "milk")):
    """Cases with code presence x attribute arranged as a 2 x 2 table [[a, b], [c, d]]."""
    rows = []
    k = 0
    for present, row in zip((1, 0), table):
        for attr, n in zip(attr_values, row):
            for _ in range(n):
                rows.append(dict(case_id=f"C{k:02d}", c_x=present, n_x=present, cov_x=0.1 * present, guess=attr))
                k += 1
    df = pd.DataFrame(rows).set_index("case_id")
    return df[["c_x", "n_x", "cov_x"]], df[["guess"]].reset_index()


def test_linked_cases_fisher_tea_tasting_agresti():
    codes_m, q = _matrix_from_table([[3, 1], [1, 3]])
    res = linked_cases(codes_m, q, attributes=["guess"], codes=["x"])
    row = res.tests.iloc[0]
    assert row["test"] == "fisher_exact"
    assert row["p_value"] == pytest.approx(0.486, abs=5e-4)  # Agresti (2007) Table 2.8
    assert abs(row["effect_size"]) == pytest.approx(0.5)  # phi of 3,1/1,3 = (9-1)/sqrt(4^4) = 0.5
    prev = res.prevalence.set_index("group")
    assert prev.loc["tea", "n_with_code"] == 3 and prev.loc["tea", "n_cases"] == 4


def test_linked_cases_fisher_matches_scipy_on_uneven_table():
    codes_m, q = _matrix_from_table([[5, 0], [2, 6]])
    res = linked_cases(codes_m, q, attributes=["guess"], codes=["x"])
    expected = stats.fisher_exact([[5, 0], [2, 6]]).pvalue
    assert res.tests.iloc[0]["p_value"] == pytest.approx(expected, rel=1e-9)


def _numeric_linked(with_code, without_code):
    """Cases with the code carry the values ``with_code``, cases without it ``without_code``."""
    values = list(with_code) + list(without_code)
    ids = pd.Index([f"C{i:02d}" for i in range(len(values))], name="case_id")
    codes_m = pd.DataFrame({"c_x": [1] * len(with_code) + [0] * len(without_code), "n_x": 1, "cov_x": 0.1}, index=ids)
    q = pd.DataFrame({"case_id": ids, "value": np.asarray(values, dtype=float)})
    return codes_m, q


def test_linked_cases_mann_whitney_hollander_wolfe():
    ref = pd.read_csv(REFERENCE / "topics" / "mann_whitney_hollander_wolfe.csv")
    codes_m, q = _numeric_linked(ref.loc[ref["group"] == "x", "value"], ref.loc[ref["group"] == "y", "value"])
    row = linked_cases(codes_m, q, attributes=["value"], codes=["x"]).tests.iloc[0]
    assert row["test"] == "mann_whitney_u"
    assert row["statistic"] == 35  # Hollander & Wolfe (1973, p. 69): U = 35
    assert row["p_value"] == pytest.approx(0.2544, abs=5e-5)  # exact two-sided
    assert row["effect_size"] == pytest.approx(0.4)  # rank-biserial 2U/(n1 n2) - 1
    assert row["method"] == "exact"


def test_linked_cases_mann_whitney_exact_for_small_group_in_large_sample():
    # n = 18 > 16 but the coded group has 4 cases and there are no ties: the exact test (scipy's
    # rule), so the method must say "exact". The exact p is the full enumeration of the C(18, 4)
    # splits of the ranks (independently computed): U = 4 * 14 = 56, every coded case highest,
    # so P(U >= 56) = 1 / C(18, 4) and the two-sided p is 2 / 3060.
    codes_m, q = _numeric_linked([40.5, 41.5, 42.5, 43.5], [20.0 + i for i in range(14)])
    row = linked_cases(codes_m, q, attributes=["value"], codes=["x"]).tests.iloc[0]
    assert row["n"] == 18
    assert row["method"] == "exact"
    assert row["statistic"] == 56
    assert row["p_value"] == pytest.approx(2 / math.comb(18, 4), rel=1e-9)
    assert row["effect_size"] == pytest.approx(1.0)


def test_linked_cases_mann_whitney_ties_use_the_asymptotic_test():
    codes_m, q = _numeric_linked([31, 35, 40, 38, 38], [22, 24, 25, 27, 31, 29, 33])
    row = linked_cases(codes_m, q, attributes=["value"], codes=["x"]).tests.iloc[0]
    assert row["method"] == "asymptotic" and "ties" in row["note"]


def test_linked_cases_p_adjusted_is_benjamini_hochberg_over_every_test():
    rng = np.random.default_rng(5)
    n = 14
    ids = pd.Index([f"C{i:02d}" for i in range(n)], name="case_id")
    codes_m = pd.DataFrame(index=ids)
    for code in ("a", "b", "z"):
        present = rng.integers(0, 2, n) if code != "z" else np.zeros(n, dtype=int)  # z: nowhere, untested
        codes_m[f"c_{code}"], codes_m[f"n_{code}"], codes_m[f"cov_{code}"] = present, present, 0.1 * present
    q = pd.DataFrame(
        {
            "case_id": ids,
            "age": rng.permutation(np.arange(20, 20 + n)).astype(float),
            "status": rng.choice(["u", "v"], n),
        }
    )
    tests = linked_cases(codes_m, q, attributes=["age", "status"], codes=["a", "b", "z"]).tests
    assert "p_adjusted" in tests.columns and len(tests) == 6
    tested = tests["p_value"].notna()
    assert tested.sum() == 4 and tests.loc[~tested, "p_adjusted"].isna().all()
    # Benjamini-Hochberg by hand over the four tested rows: min over j >= i of p_(j) m / j
    p = tests.loc[tested, "p_value"].to_numpy()
    order = np.argsort(p)
    m = len(p)
    by_hand = np.empty(m)
    running = 1.0
    for rank in range(m, 0, -1):
        running = min(running, p[order[rank - 1]] * m / rank)
        by_hand[order[rank - 1]] = running
    np.testing.assert_allclose(tests.loc[tested, "p_adjusted"].to_numpy(), by_hand, rtol=1e-12)


def test_linked_cases_sets_aside_cases_missing_from_questionnaire():
    codes_m, q = _matrix_from_table([[3, 1], [1, 3]])
    q = q[~q["case_id"].isin(["C00", "C05"])]  # two interviewees did not answer the questionnaire
    q.loc[q["case_id"] == "C01", "guess"] = None  # one answered but left the attribute empty
    res = linked_cases(codes_m, q, attributes=["guess"], codes=["x"])
    aside = res.set_aside.set_index("case_id")
    assert list(res.set_aside.columns) == ["case_id", "reason"]
    assert set(aside.index) == {"C00", "C05", "C01"}
    assert "not in the linked questionnaire" in aside.loc["C00", "reason"]
    assert "'guess'" in aside.loc["C01", "reason"]
    assert "C00" not in set(res.matrix["case_id"]) and res.tests.iloc[0]["n"] == 5


def test_linked_cases_code_everywhere_is_reported_not_tested():
    codes_m = pd.DataFrame({"c_x": [1, 1, 1], "n_x": 1, "cov_x": 0.1}, index=pd.Index(["A", "B", "C"], name="case_id"))
    q = pd.DataFrame({"case_id": ["A", "B", "C"], "g": ["u", "v", "u"]})
    row = linked_cases(codes_m, q, attributes=["g"], codes=["x"]).tests.iloc[0]
    assert row["test"] == "none" and "every case" in row["note"]


def test_linked_cases_errors_name_the_column():
    codes_m = pd.DataFrame({"c_x": [1]}, index=pd.Index(["A"], name="case_id"))
    with pytest.raises(IntegrationError, match="no column 'id'"):
        linked_cases(codes_m, pd.DataFrame({"case_id": ["A"]}), attributes=[], codes=["x"], case_column="id")
    with pytest.raises(IntegrationError, match="plans"):
        linked_cases(codes_m, pd.DataFrame({"case_id": ["A"]}), attributes=["plans"], codes=["x"])
    with pytest.raises(IntegrationError, match="No interview case"):
        linked_cases(codes_m, pd.DataFrame({"case_id": ["Z"], "g": [1]}), attributes=["g"], codes=["x"])


def test_write_quantitized_round_trip_keeps_labels(tmp_path):
    codes_m, q = _matrix_from_table([[2, 1], [1, 2]])
    res = linked_cases(codes_m, q, attributes=["guess"], codes=["x"])
    sav, csv = write_quantitized(res.matrix, ["x"], tmp_path, code_labels={"x": "Bridging capital"})
    back = read_survey(sav)
    assert back.meta.value_labels["c_x"] == {0: "not coded", 1: "coded"}
    assert "Bridging capital" in back.meta.variable_labels["c_x"]
    assert back.data["c_x"].tolist() == res.matrix["c_x"].tolist()
    assert pd.read_csv(csv, encoding="utf-8-sig")["case_id"].tolist() == res.matrix["case_id"].tolist()


# --------------------------------------------------------------------------- convergence rules


@pytest.mark.parametrize(
    "direction,expected,verdict",
    [
        ("positive", "positive", "confirms"),
        ("negative", "positive", "contradicts"),
        ("none", "positive", "not shown"),
        ("undirected", "positive", "undirected"),
        ("undirected", "association", "confirms"),
        ("none", "association", "not shown"),
        ("none", "none", "confirms"),
        ("positive", "none", "contradicts"),
        ("negative", "negative", "confirms"),
    ],
)
def test_variable_verdict(direction, expected, verdict):
    assert variable_verdict(direction, expected) == verdict


@pytest.mark.parametrize(
    "qual,verdicts,label",
    [
        (False, [], "silence"),
        (False, ["confirms"], "silence"),
        (True, [], "silence"),
        (True, ["confirms", "confirms"], "agreement"),
        (True, ["confirms", "not shown"], "partial agreement"),
        (True, ["undirected"], "partial agreement"),
        (True, ["contradicts"], "dissonance"),
        (True, ["not shown", "contradicts"], "dissonance"),
        (True, ["confirms", "contradicts"], "partial agreement"),
    ],
)
def test_propose_convergence(qual, verdicts, label):
    got, rule = propose_convergence(qual, verdicts)
    assert got == label and rule[0] in "1234"


# --------------------------------------------------------------------------- joint display


def _survey(n=200, seed=1):
    rng = np.random.default_rng(seed)
    friends = rng.integers(1, 5, n)
    belonging = np.clip(friends + rng.integers(-1, 2, n), 1, 5)
    noise = rng.integers(1, 5, n)
    status = rng.choice([1, 2, 3], n)
    data = pd.DataFrame(
        {
            "friends": friends.astype(float),
            "belonging": belonging.astype(float),
            "noise": noise.astype(float),
            "status": status.astype(float),
        }
    )
    meta = SurveyMeta(
        measure_levels={"friends": "ordinal", "belonging": "ordinal", "noise": "ordinal", "status": "nominal"},
        value_labels={"status": {1: "citizen", 2: "permanent", 3: "temporary"}},
    )
    return Survey(data, meta)


def _demo_codings():
    rows = []
    for i, t in enumerate("ABCD"):
        rows.append(("consensus", "human", t, f"{t}:0001", "ties", 11, 40, f"Мои соседи помогли мне {i}", f"r{i}"))
    rows.append(("consensus", "human", "A", "A:0001", "lang", 50, 60, "<script>alert(1)</script>", "r9"))
    return _codings(rows)


def test_joint_display_rules_and_columns():
    constructs = [
        Construct(id="ties", label="Local ties", codes=["ties"], survey_variables=["friends"], outcome="belonging"),
        Construct(id="noise", codes=["ties"], survey_variables=["noise"], outcome="belonging"),
        Construct(
            id="status",
            codes=["ties"],
            survey_variables=["status"],
            expected_direction="association",
            outcome="belonging",
        ),
        Construct(id="lang", codes=["lang"], survey_variables=["friends"], outcome="belonging"),
        Construct(id="no_survey", codes=["ties"]),
    ]
    display, evidence = joint_display(
        constructs, codings=_demo_codings(), case_ids=list("ABCD"), survey=_survey(), min_cases=2, min_share=0.1
    )
    d = display.set_index("construct")
    assert d.loc["ties", "convergence"] == "agreement"
    assert d.loc["ties", "n_cases"] == 4 and d.loc["ties", "pct_cases"] == 100.0
    assert d.loc["noise", "convergence"] == "dissonance"
    assert d.loc["lang", "convergence"] == "silence"  # 1 of 4 cases < min_cases 2
    assert d.loc["no_survey", "convergence"] == "silence" and "survey is silent" in d.loc["no_survey", "rule"]
    ev = evidence.set_index("construct")
    ref = stats.spearmanr(_survey().data["friends"], _survey().data["belonging"])
    assert ev.loc["ties", "statistic"] == pytest.approx(ref.statistic)
    assert ev.loc["ties", "p_value"] == pytest.approx(ref.pvalue, rel=1e-6)
    assert ev.loc["status", "test"] == "pearson_chi2"
    chi = stats.chi2_contingency(pd.crosstab(_survey().data["status"], _survey().data["belonging"]), correction=False)
    assert ev.loc["status", "statistic"] == pytest.approx(chi.statistic)
    assert set(display["convergence"]) <= {"agreement", "partial agreement", "silence", "dissonance"}


def test_joint_display_unknown_survey_variable_is_named():
    c = [Construct(id="x", codes=["ties"], survey_variables=["friendz"], outcome="belonging")]
    with pytest.raises(IntegrationError, match=r"friendz.*friends"):
        joint_display(c, codings=_demo_codings(), case_ids=list("ABCD"), survey=_survey())


def test_exclude_values_treated_as_missing():
    s = _survey()
    data = s.data.copy()
    data.loc[:9, "friends"] = 9.0  # a "difficult to answer" code
    s9 = Survey(data, s.meta)
    c = Construct(
        id="x", codes=["ties"], survey_variables=["friends"], outcome="belonging", exclude_values={"friends": [9]}
    )
    _, ev = joint_display([c], codings=_demo_codings(), case_ids=list("ABCD"), survey=s9)
    assert ev.iloc[0]["n"] == len(data) - 10


def test_quotes_rule_prefers_segments_with_more_codes_and_distinct_cases():
    cod = _codings(
        [
            ("consensus", "human", "A", "A:0001", "x", 11, 20, "short A one", "r1"),
            ("consensus", "human", "A", "A:0002", "x", 30, 40, "A two", "r2"),
            ("consensus", "human", "A", "A:0002", "y", 30, 40, "A two", "r3"),
            ("consensus", "human", "B", "B:0001", "x", 11, 20, "B " + "word " * 80, "r4"),
            ("consensus", "human", "C", "C:0001", "x", 11, 20, "C quote", "r5"),
        ]
    )
    roles = {"A:0001": "participant", "A:0002": "participant", "B:0001": "participant", "C:0001": "interviewer"}
    quotes = choose_quotes(cod, ["x", "y"], segment_roles=roles, n_quotes=3, max_chars=60)
    assert [s for s, _ in quotes] == ["A:0002", "B:0001"]  # C is the interviewer; A's two-code segment first
    assert quotes[1][1].endswith("…") and len(quotes[1][1]) <= 60


# --------------------------------------------------------------------------- overrides


def test_overrides_are_preserved_and_validated(tmp_path):
    display = pd.DataFrame({"construct": ["a", "b"], "label": ["A", "B"], "proposed": ["agreement", "silence"]})
    path = tmp_path / "joint_display_overrides.csv"
    frame, warns = update_overrides(path, display)
    assert list(frame["construct"]) == ["a", "b"] and warns == []
    edited = read_overrides(path)
    edited.loc[0, "override"] = "dissonance"
    edited.loc[0, "meta_inference"] = "Locals matter more than the survey shows."
    edited.to_csv(path, index=False)
    before = path.read_bytes()
    update_overrides(path, display)  # rerun, same constructs: file untouched
    assert path.read_bytes() == before
    display2 = pd.concat([display, pd.DataFrame({"construct": ["c"], "label": ["C"], "proposed": ["agreement"]})])
    frame, _ = update_overrides(path, display2.iloc[[0, 2]])
    kept = read_overrides(path).set_index("construct")
    assert kept.loc["a", "override"] == "dissonance"
    assert kept.loc["a", "meta_inference"] == "Locals matter more than the survey shows."
    assert "c" in kept.index and "b" in kept.index  # b no longer in the study: kept, with a warning
    _, warns = update_overrides(path, display2.iloc[[0, 2]])
    assert any("'b'" in w for w in warns)
    c = [Construct(id="a", codes=["ties"])]
    out, _ = joint_display(
        c, codings=_demo_codings(), case_ids=list("ABCD"), survey=None, overrides=read_overrides(path)
    )
    assert out.iloc[0]["convergence"] == "dissonance" and out.iloc[0]["proposed"] == "silence"


def test_rerun_refreshes_proposed_keeps_override_and_records_the_overridden_proposal(tmp_path):
    path = tmp_path / "joint_display_overrides.csv"
    first = pd.DataFrame({"construct": ["a", "b"], "label": ["A", "B"], "proposed": ["agreement", "silence"]})
    update_overrides(path, first)
    edited = read_overrides(path)
    edited.loc[0, "override"] = "dissonance"
    edited.loc[0, "meta_inference"] = "- Locals matter more than the survey shows."  # a leading '-' kept as typed
    edited["my_notes"] = ["checked with co-author", ""]  # a column of the researcher's own
    edited.to_csv(path, index=False)
    # the data changed: 'a' is now proposed 'partial agreement', 'b' 'agreement'
    second = first.assign(proposed=["partial agreement", "agreement"])
    _frame, warns = update_overrides(path, second)
    kept = read_overrides(path).set_index("construct")
    assert kept.loc["a", "proposed"] == "partial agreement" and kept.loc["b", "proposed"] == "agreement"
    assert kept.loc["a", "override"] == "dissonance"
    assert kept.loc["a", "meta_inference"] == "- Locals matter more than the survey shows."
    assert kept.loc["a", "my_notes"] == "checked with co-author"
    assert kept.loc["a", "proposed_when_overridden"] == "agreement"
    assert kept.loc["b", "proposed_when_overridden"] == ""  # no override: nothing to flag
    assert any(
        "'a'" in w and "proposal changed since your override (was 'agreement', now 'partial agreement')" in w
        for w in warns
    )
    # the display flags the row, whichever proposal the next run makes
    c = [Construct(id="a", codes=["ties"])]
    out, _ = joint_display(
        c, codings=_demo_codings(), case_ids=list("ABCD"), survey=None, overrides=read_overrides(path)
    )
    row = out.iloc[0]
    assert row["proposed"] == "silence" and row["convergence"] == "dissonance"
    assert bool(row["proposal_changed"]) and row["proposed_when_overridden"] == "agreement"
    # an unchanged rerun leaves the file as it is and keeps the record
    before = path.read_bytes()
    update_overrides(path, second)
    assert path.read_bytes() == before
    # the proposal is back to the one overridden: the record is cleared, no flag
    update_overrides(path, first)
    assert read_overrides(path).set_index("construct").loc["a", "proposed_when_overridden"] == ""
    out, _ = joint_display(
        [Construct(id="a", codes=["nothing"])],
        codings=_demo_codings(),
        case_ids=list("ABCD"),
        survey=None,
        overrides=read_overrides(path).assign(proposed="silence"),
    )
    assert not bool(out.iloc[0]["proposal_changed"]) and out.iloc[0]["proposed_when_overridden"] == ""


def test_joint_display_checks_codes_against_the_codebook_and_topics_against_k():
    from qualquant.coding import Code, Codebook, UnknownCodeError

    book = Codebook([Code(cid, "f", {"": cid}, {"": "d"}, {}, {}) for cid in ("ties", "lang")], source="cb.toml")
    c = [Construct(id="x", codes=["ties", "tise"], survey_variables=[])]
    with pytest.raises(
        UnknownCodeError,
        match=r"Construct 'x' codes names 'tise', which is not a code of the "
        r"codebook cb\.toml; did you mean 'ties'\?",
    ):
        joint_display(c, codings=_demo_codings(), case_ids=list("ABCD"), survey=None, codebook=book)
    with pytest.raises(
        IntegrationError,
        match=r"Construct 'y' names topic\(s\) 5, but the topic model has 5 "
        r"topics, numbered 0 to 4",
    ):
        joint_display(
            [Construct(id="y", topics=[1, 5])], codings=_demo_codings(), case_ids=list("ABCD"), survey=None, n_topics=5
        )


def test_bad_override_names_row_and_value(tmp_path):
    path = tmp_path / "joint_display_overrides.csv"
    pd.DataFrame({"construct": ["a", "b"], "override": ["", "agree"], "meta_inference": ["", ""]}).to_csv(
        path, index=False
    )
    with pytest.raises(OverridesFileError, match=r"row 3 \(construct 'b'\): override 'agree'"):
        read_overrides(path)


# --------------------------------------------------------------------------- representativeness


def _exact_multinomial_p(obs, p):
    """Exact p of the chi-square GOF: sum of multinomial probabilities of tables with X2 >= observed."""
    n, k = sum(obs), len(obs)
    p = np.asarray(p) / sum(p)
    exp = n * p
    x2_obs = ((np.asarray(obs) - exp) ** 2 / exp).sum()
    total = 0.0
    for cut in itertools.combinations(range(n + k - 1), k - 1):
        counts = np.diff((-1,) + cut + (n + k - 1,)) - 1
        x2 = ((counts - exp) ** 2 / exp).sum()
        if x2 >= x2_obs - 1e-9:
            total += stats.multinomial.pmf(counts, n, p)
    return total


def test_chi2_gof_statistic_and_monte_carlo_p():
    obs, p = [7, 1, 2], [0.5, 0.3, 0.2]
    stat, p_mc, p_asym = chi2_gof_monte_carlo(obs, p, n_resamples=20000, seed=3)
    ref = stats.chisquare(obs, np.array(p) * sum(obs))
    assert stat == pytest.approx(ref.statistic) and p_asym == pytest.approx(ref.pvalue)
    exact = _exact_multinomial_p(obs, p)
    se = math.sqrt(exact * (1 - exact) / 20000)
    assert abs(p_mc - exact) < 4 * se + 1e-4
    assert chi2_gof_monte_carlo(obs, p, n_resamples=500, seed=3) == chi2_gof_monte_carlo(
        obs, p, n_resamples=500, seed=3
    )


def test_representativeness_sets_aside_unmapped_cases():
    cases = pd.DataFrame(
        {"case_id": ["A", "B", "C", "D"], "age": [22, 30, 41, 30], "status": ["citizen", "temporary", "stay", None]}
    )
    survey = _survey()
    survey.data["age_group"] = np.tile([1.0, 2.0, 3.0, 4.0], len(survey.data) // 4)
    survey.meta.value_labels["age_group"] = {1: "18–24", 2: "25–34", 3: "35–44", 4: "45+"}
    rows = [
        RepresentativenessRow(
            case_column="age",
            survey_variable="age_group",
            bins=[18, 25, 35, 45, 120],
            labels=["18–24", "25–34", "35–44", "45+"],
        ),
        RepresentativenessRow(
            case_column="status", survey_variable="status", map={"citizen": "citizen", "temporary": "temporary"}
        ),
    ]
    res = representativeness(cases, survey, rows, n_resamples=2000, seed=0)
    age = res.distribution[res.distribution["variable"] == "age"].set_index("category")
    assert age["n_interviews"].tolist() == [1, 2, 1, 0] and age["pct_survey"].tolist() == [25.0] * 4
    t = res.tests.set_index("variable")
    assert t.loc["age", "n"] == 4 and t.loc["status", "n"] == 2 and t.loc["status", "n_set_aside"] == 2
    aside = res.set_aside.set_index("case_id")
    assert set(aside.index) == {"C", "D"}
    assert "missing" in aside.loc["D", "reason"] and "'stay'" in aside.loc["C", "reason"]
    with pytest.raises(IntegrationError, match="agegroup"):
        representativeness(
            cases, survey, [RepresentativenessRow(case_column="age", survey_variable="agegroup", map={"x": "y"})]
        )


def test_case_code_table_leaves_out_codings_on_interviewer_turns():
    cod = _codings(
        [
            ("consensus", "human", "A", "A:0001", "x", 11, 31, "t" * 20, "r1"),
            ("consensus", "human", "B", "B:0000", "x", 0, 10, "question", "r2"),  # the interviewer's turn
        ]
    )
    m = case_code_table(cod, _segments(), ["A", "B"], ["x"])
    assert m.loc["A", "c_x"] == 1
    assert (m.loc["B", "c_x"], m.loc["B", "n_x"], m.loc["B", "cov_x"]) == (0, 0, 0.0)


def _rep_setup():
    cases = pd.DataFrame({"case_id": ["A", "B", "C", "D"], "status": ["citizen", "temporary", "citizen", "citizen"]})
    survey = _survey(n=8)
    survey.data["status"] = [1.0, 1.0, 2.0, 3.0, 3.0, 3.0, 1.0, 2.0]
    rows = [
        RepresentativenessRow(
            case_column="status", survey_variable="status", map={"citizen": "citizen", "temporary": "temporary"}
        )
    ]
    return cases, survey, rows


def test_representativeness_weighted_shares():
    cases, survey, rows = _rep_setup()
    survey.data["w"] = [1.0, 2.0, 0.5, 1.0, 1.0, 1.0, 0.5, 1.0]
    res = representativeness(cases, survey, rows, n_resamples=200, seed=0, weights="w")
    d = res.distribution.set_index("category")
    # weighted counts by hand: citizen 1 + 2 + 0.5 = 3.5, permanent 0.5 + 1 = 1.5, temporary 3; total 8
    assert d.loc["citizen", "n_survey"] == pytest.approx(3.5)
    assert d.loc["citizen", "pct_survey"] == pytest.approx(100 * 3.5 / 8)
    assert d.loc["temporary", "expected"] == pytest.approx(4 * 3 / 8)


@pytest.mark.parametrize(
    "name,values,error,message",
    [
        ("wieght", [1.0] * 8, VariableNotFoundError, r"'wieght' not found.*weight"),
        ("weight", [1.0, -1.0, 1, 1, 1, 1, 1, 1], WeightError, r"negative in 1 row\(s\) \(row 1\)"),
        ("weight", [1.0, 1, 1, np.nan, 1, 1, 1, 1], WeightError, r"missing or infinite in 1 row\(s\) \(row 3\)"),
    ],
)
def test_representativeness_weights_errors_are_clear(name, values, error, message):
    cases, survey, rows = _rep_setup()
    survey.data["weight"] = values
    with pytest.raises(error, match=message) as info:
        representativeness(cases, survey, rows, n_resamples=200, weights=name)
    assert isinstance(info.value, QualquantError)  # one clear project error, not a raw KeyError


def test_representativeness_is_re_exported_from_integrate():
    from qualquant.pipelines import integrate as integrate
    from qualquant.pipelines.integrate import _representativeness as rep

    for name in ("representativeness", "Representativeness", "chi2_gof_monte_carlo", "survey_labels"):
        assert getattr(integrate, name) is getattr(rep, name)


def test_linked_cases_refuses_a_duplicated_questionnaire_id():
    """A case id twice in the questionnaire would count that interview twice in every test."""
    codes_m, q = _matrix_from_table([[3, 1], [1, 3]])
    q = pd.concat([q, q.iloc[[0]]], ignore_index=True)
    with pytest.raises(IntegrationError, match=r"1 duplicated case id\(s\) in 'case_id': 'C00'"):
        linked_cases(codes_m, q, attributes=["guess"], codes=["x"])
