"""Tests of coding.topics_effects: topic prevalence by covariates and its SVG plot."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qualquant import pipelines
from qualquant.coding.errors import TopicModelError
from qualquant.coding.topics import TopicModel, documents_from_texts, select_n_topics
from qualquant.coding.topics._effects import (
    EFFECTS_COLUMNS,
    align_topics,
    effects_set_aside,
    effects_to_svg,
    estimate_effects,
)
from qualquant.corpus.collection import read_corpus

DEMO = Path(pipelines.__file__).parent / "demo_data"
GADARIAN = Path(__file__).resolve().parent / "data" / "open_ended" / "gadarian.csv"

GROUPS = {
    "housing": ["квартира", "аренда", "хозяйка", "комната", "залог", "риелтор", "район", "снимать"],
    "work": ["работа", "зарплата", "офис", "проект", "коллега", "начальник", "заказ", "удалёнка"],
    "leisure": ["горы", "футбол", "кафе", "прогулка", "концерт", "скалодром", "парк", "кино"],
}


def _simulated(n_cases=160, seed=0):
    """An LDA generative corpus whose housing share is 0.2 higher in group B (the known truth)."""
    rng = np.random.default_rng(seed)
    names = list(GROUPS)
    rows, docs, true_theta = [], [], []
    for i in range(n_cases):
        group = "B" if i % 2 else "A"
        mean = np.array([0.5, 0.25, 0.25]) if group == "B" else np.array([0.3, 0.35, 0.35])
        theta = rng.dirichlet(mean * 3)
        words = []
        for _ in range(40):
            topic = names[rng.choice(3, p=theta)]
            words.append(str(rng.choice(GROUPS[topic])))
        docs.append(words)
        true_theta.append(theta)
        rows.append({"case_id": str(i), "group": group, "x": float(rng.normal())})
    frame = pd.DataFrame(
        {
            "doc_id": [r["case_id"] for r in rows],
            "case_id": [r["case_id"] for r in rows],
            "lemmas": pd.Series(docs, dtype=object),
        }
    )
    return frame, pd.DataFrame(rows), np.array(true_theta)


@pytest.fixture(scope="module")
def simulated():
    docs, cases, truth = _simulated()
    model = TopicModel(3, passes=20, no_above=1.0, coherence=None, random_state=0).fit(docs)
    return model, cases, truth


def _housing_topic(model):
    return int(
        np.argmax(
            [
                sum(model.topic_word_matrix()[k, model.dictionary_.token2id[w]] for w in GROUPS["housing"])
                for k in range(model.n_topics)
            ]
        )
    )


def test_effects_recover_a_planted_difference(simulated):
    model, cases, truth = simulated
    table = estimate_effects(model, cases, by="group", n_sims=200, random_state=1)
    assert list(table.columns) == list(EFFECTS_COLUMNS)
    assert len(table) == 3 * 2 and set(table["term"]) == {"Intercept", "group[T.B]"}
    k = _housing_topic(model)
    row = table[(table["topic"] == k) & (table["term"] == "group[T.B]")].iloc[0]
    # the difference in the realised proportions of the simulation (the truth of this sample)
    b = cases["group"].eq("B").to_numpy()
    realised = truth[b, 0].mean() - truth[~b, 0].mean()
    assert row["ci_low"] < realised < row["ci_high"]
    assert row["ci_low"] > 0.05 and row["p_value"] < 0.001 and row["n"] == 160
    # the point estimate is the OLS estimate on the posterior-mean proportions (statsmodels, independently)
    import statsmodels.formula.api as smf

    ols = smf.ols("y ~ group", data=cases.assign(y=model.doc_topics_[:, k])).fit()
    assert row["estimate"] == pytest.approx(ols.params["group[T.B]"], abs=0.01)
    # and its interval is at least as wide as the plain OLS interval (it adds the topic model's uncertainty)
    low, high = ols.conf_int().loc["group[T.B]"]
    assert row["ci_high"] - row["ci_low"] >= 0.95 * (high - low)


def test_effects_with_formula_refits_and_document_level(simulated):
    model, cases, _ = simulated
    table = estimate_effects(model, cases, formula="~ group + x", n_sims=30, refit_seeds=(5,), random_state=2)
    assert set(table["term"]) == {"Intercept", "group[T.B]", "x"}
    assert "over 2 fits (seeds 0, 5)" in table["method"].iloc[0]
    docs = estimate_effects(model, cases, by="x", level="document", n_sims=20)
    assert set(docs["term"]) == {"Intercept", "x"} and (docs["n"] == 160).all()
    again = estimate_effects(model, cases, by="x", level="document", n_sims=20)
    pd.testing.assert_frame_equal(docs, again)  # same seed, same table


def test_align_topics_recovers_a_permutation():
    rng = np.random.default_rng(0)
    ref = rng.dirichlet(np.ones(30), size=5)
    perm = np.array([3, 0, 4, 1, 2])
    other = np.empty_like(ref)
    other[perm] = ref
    np.testing.assert_array_equal(align_topics(ref, other), perm)


def test_effects_errors(simulated):
    model, cases, _ = simulated
    with pytest.raises(TopicModelError, match="exactly one of by="):
        estimate_effects(model, cases)
    with pytest.raises(TopicModelError, match="Covariate 'nope' is not a column"):
        estimate_effects(model, cases, by="nope")
    with pytest.raises(TopicModelError, match="2 case\\(s\\) of the model have no row"):
        estimate_effects(model, cases.iloc[2:], by="group")
    holes = cases.copy()
    holes.loc[3, "x"] = np.nan
    with pytest.raises(TopicModelError, match="1 case\\(s\\) have missing covariate values \\(first: 3\\)"):
        estimate_effects(model, holes, by="x")
    with pytest.raises(TopicModelError, match="Cannot build the design matrix"):
        estimate_effects(model, cases, formula="group + undefined_thing")


def test_effects_leave_out_cases_without_a_row_or_value_when_asked(simulated):
    model, cases, _ = simulated
    holes = cases.iloc[2:].copy()  # the first two cases have no row
    holes.loc[holes.index[1], "x"] = np.nan  # and one more has no value of x
    aside = effects_set_aside(model, holes, by="x")
    first = [str(c) for c in (cases["case_id"] if "case_id" in cases.columns else cases.index)[:4]]
    assert aside[["unit", "reason"]].values.tolist() == [
        [first[0], "no row in the covariates table"],
        [first[1], "no row in the covariates table"],
        [first[3], "missing value of x"],
    ]
    assert (aside["n_documents"] > 0).all()
    dropped = estimate_effects(model, holes, by="x", n_sims=20, missing="drop")
    assert set(dropped["n"]) == {len(cases) - 3}
    assert effects_set_aside(model, cases, by="x").empty
    with pytest.raises(TopicModelError, match="Unknown missing='skip'"):
        estimate_effects(model, cases, by="x", missing="skip")


def test_effects_by_legal_status_on_the_demo_study():
    corpus = read_corpus(DEMO / "transcripts", cases=DEMO / "cases.csv")
    model = TopicModel(4, passes=5, coherence=None).fit(corpus)
    table = estimate_effects(model, corpus.cases, by="legal_status", n_sims=50)
    levels = sorted(corpus.cases["legal_status"].unique())
    assert set(table["term"]) == {"Intercept"} | {f"legal_status[T.{lv}]" for lv in levels[1:]}
    assert (table["n"] == 20).all() and (table["ci_low"] <= table["estimate"]).all()
    assert (table["estimate"] <= table["ci_high"]).all()


def test_gadarian_effects_by_treatment():
    data = pd.read_csv(GADARIAN)
    docs = documents_from_texts(data["open.ended.response"], language="en")
    model = select_n_topics(docs, range(3, 5), seeds=(0, 1), passes=10).model
    cases = pd.DataFrame({"case_id": docs["case_id"], "treatment": data["treatment"], "pid_rep": data["pid_rep"]})
    table = estimate_effects(model, cases, formula="treatment + pid_rep", n_sims=100)
    assert len(table) == model.n_topics * 3
    assert (table["n"] == len(model.documents_)).all()
    # topic proportions sum to one, so the treatment effects sum to (about) zero over topics
    treat = table[table["term"] == "treatment"]["estimate"]
    assert abs(treat.sum()) < 0.02
    svg = effects_to_svg(table[table["term"] == "treatment"], title="Gadarian: treatment")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg") and len(root.findall(".//{http://www.w3.org/2000/svg}circle")) == model.n_topics


def test_effects_to_svg_is_self_contained_and_escaped():
    table = pd.DataFrame(
        {
            "topic": [0, 0, 1],
            "label": ["", "", "a<b&c"],
            "term": ["Intercept", "group[T.B]", "group[T.B]"],
            "estimate": [0.3, 0.1, -0.05],
            "ci_low": [0.2, 0.02, -0.1],
            "ci_high": [0.4, 0.2, 0.01],
        }
    )
    svg = effects_to_svg(table, title="Prevalence <by> group")
    root = ET.fromstring(svg)  # well-formed XML: labels are escaped
    circles = root.findall(".//{http://www.w3.org/2000/svg}circle")
    assert len(circles) == 2  # intercept left out
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "") and "<script" not in svg
    assert "a&lt;b&amp;c" in svg
    with pytest.raises(TopicModelError, match="lacks column"):
        effects_to_svg(pd.DataFrame({"topic": [0]}))
