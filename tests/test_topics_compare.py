"""Tests of coding.topics_compare: topics against codes, and Label Studio predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qualquant import pipelines
from qualquant.coding import CODINGS_COLUMNS, read_codebook
from qualquant.coding.errors import TopicModelError
from qualquant.coding.topics import TopicModel
from qualquant.coding.topics._compare import (
    benjamini_hochberg,
    compare_codes,
    mann_whitney,
    model_version,
    to_labelstudio_predictions,
)
from qualquant.corpus.collection import read_corpus

DEMO = Path(pipelines.__file__).parent / "demo_data"
REFERENCE = Path(__file__).resolve().parent / "reference" / "topics"
SEEDS = ("bonding", "bridging", "linking", "online", "legal_status", "housing")


@pytest.fixture(scope="module")
def demo_corpus():
    return read_corpus(DEMO / "transcripts", cases=DEMO / "cases.csv")


@pytest.fixture(scope="module")
def codebook():
    return read_codebook(DEMO / "codebook.toml")


@pytest.fixture(scope="module")
def seeded_model(demo_corpus, codebook):
    seeds = {c: codebook.seed_words[c] for c in SEEDS}
    return TopicModel(8, seed_words=seeds, passes=8, coherence=None).fit(demo_corpus)


def test_mann_whitney_matches_hollander_wolfe():
    ref = pd.read_csv(REFERENCE / "mann_whitney_hollander_wolfe.csv")
    x = ref.loc[ref["group"] == "x", "value"].to_numpy()
    y = ref.loc[ref["group"] == "y", "value"].to_numpy()
    res = mann_whitney(x, y)
    u, p, rb = res.statistic, res.p_value, res.rank_biserial
    assert u == 35  # Hollander & Wolfe (1973, p. 69); R wilcox.test: W = 35
    assert p == pytest.approx(0.2544, abs=5e-5)  # exact two-sided (R: one-sided 0.1272)
    assert rb == pytest.approx(0.4)
    assert res.method == "exact" and not res.ties
    # U counts pairs x > y: checked by brute force
    assert u == sum((a > b) + 0.5 * (a == b) for a in x for b in y)


def test_benjamini_hochberg_matches_the_1995_example():
    ref = pd.read_csv(REFERENCE / "bh1995_pvalues.csv")
    adjusted = benjamini_hochberg(ref["p"].to_numpy())
    np.testing.assert_allclose(adjusted, ref["p_bh"].to_numpy(), rtol=1e-5)
    assert int((adjusted <= 0.05).sum()) == 4  # Benjamini & Hochberg (1995), Section 4: four rejections
    shuffled = ref["p"].sample(frac=1.0, random_state=1)
    np.testing.assert_allclose(
        benjamini_hochberg(shuffled.to_numpy()),
        ref.set_index("p").loc[shuffled.to_numpy(), "p_bh"].to_numpy(),
        rtol=1e-5,
    )
    assert np.isnan(benjamini_hochberg([0.01, np.nan])[1])


def _codings(rows):
    frame = pd.DataFrame(rows)
    for column in CODINGS_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    return frame[list(CODINGS_COLUMNS)]


def _code_rows(corpus, segment_ids, code, coder="coder_a", with_ids=True):
    out = []
    for sid in segment_ids:
        tid, index = sid.split(":")
        seg = corpus[tid].segments[int(index)]
        out.append(
            {
                "coder": coder,
                "source": "human",
                "transcript_id": tid,
                "segment_id": sid if with_ids else None,
                "code": code,
                "start": seg.start,
                "end": seg.end,
                "text": seg.text,
            }
        )
    return out


def test_compare_codes_finds_the_planted_alignment(demo_corpus, seeded_model):
    docs = seeded_model.documents_
    theta = seeded_model.doc_topics_
    # "housing_talk": the 30 segments with most of the housing topic (topic 5);
    # "noise": 30 segments drawn at random, unrelated to any topic
    housing = docs["segment_id"].to_numpy()[np.argsort(-theta[:, 5])[:30]]
    rng = np.random.default_rng(0)
    noise = rng.choice(docs["segment_id"].to_numpy(), 30, replace=False)
    interviewer = [s.segment_id for s in demo_corpus.segments(roles=("interviewer",))][:2]
    rows = (
        _code_rows(demo_corpus, housing[:20], "housing_talk")
        + _code_rows(demo_corpus, housing[20:], "housing_talk", coder="coder_b", with_ids=False)
        + _code_rows(demo_corpus, noise, "noise")
        + _code_rows(demo_corpus, interviewer, "noise")
        + _code_rows(demo_corpus, housing[:2], "rare")
    )
    codings = _codings(rows)
    result = compare_codes(seeded_model, codings, demo_corpus)
    table = result.alignment
    assert len(table) == 2 * 8  # rare (2 documents) is set aside
    top = table.iloc[0]
    assert (top["topic"], top["code"], top["rank"]) == (5, "housing_talk", 1)
    assert top["aligned"] and top["n_coded"] == 30 and top["p_adjusted"] < 1e-6
    assert top["mean_coded"] > top["mean_uncoded"] and top["rank_biserial"] > 0.8
    # the numbers, recomputed here from the model's proportions
    mask = docs["segment_id"].isin(housing).to_numpy()
    assert top["mean_coded"] == pytest.approx(theta[mask, 5].mean())
    assert top["difference"] == pytest.approx(theta[mask, 5].mean() - theta[~mask, 5].mean())
    x, y = theta[mask, 5], theta[~mask, 5]
    sp = np.sqrt(((len(x) - 1) * x.var(ddof=1) + (len(y) - 1) * y.var(ddof=1)) / (len(x) + len(y) - 2))
    assert top["cohen_d"] == pytest.approx((x.mean() - y.mean()) / sp)
    assert (table["p_adjusted"] >= table["p_value"]).all()
    assert list(table.columns) == [
        "rank",
        "topic",
        "label",
        "terms",
        "code",
        "n_coded",
        "n_uncoded",
        "mean_coded",
        "mean_uncoded",
        "difference",
        "cohen_d",
        "rank_biserial",
        "u_statistic",
        "p_value",
        "p_adjusted",
        "aligned",
    ]
    noise_rows = table[table["code"] == "noise"]
    assert noise_rows["p_adjusted"].min() > 0.01
    # topics aligned with no code are candidate themes, with representative segments
    assert result.topic_codes() == {5: "housing_talk"}
    assert sorted(result.candidates["topic"]) == [0, 1, 2, 3, 4, 6, 7]
    assert set(result.candidate_segments["topic"]) == set(result.candidates["topic"])
    assert (result.candidate_segments.groupby("topic").size() == 3).all()
    aside = result.set_aside
    assert set(aside["reason"].str[:20]) == {"segment is not a doc", "applied to 2 of 380 "[:20]}
    assert aside.loc[aside["code"] == "noise", "segment_id"].tolist() == interviewer


def test_compare_codes_errors(seeded_model, demo_corpus):
    with pytest.raises(TopicModelError, match="lacks column"):
        compare_codes(seeded_model, pd.DataFrame({"code": ["a"]}))
    few = _codings(_code_rows(demo_corpus, seeded_model.documents_["segment_id"][:2], "x"))
    with pytest.raises(TopicModelError, match="No code is applied to at least 3"):
        compare_codes(seeded_model, few)
    with pytest.raises(TopicModelError, match="call fit"):
        compare_codes(TopicModel(3), few)


def test_predictions_for_seeded_topics(seeded_model, demo_corpus, codebook):
    preds = to_labelstudio_predictions(seeded_model, demo_corpus, codebook, threshold=0.5)
    assert preds and model_version(seeded_model) == "qualquant-lda-k8-seed0-segment"
    theta = dict(zip(seeded_model.documents_["segment_id"], seeded_model.doc_topics_))
    n_spans = 0
    for pred in preds:
        assert pred["model_version"] == "qualquant-lda-k8-seed0-segment" and pred["unit"] == "transcript"
        transcript = demo_corpus[pred["transcript_id"]]
        for item in pred["result"]:
            value = item["value"]
            assert transcript.text[value["start"] : value["end"]] == value["text"]
            code = value["labels"][0]
            assert item["from_name"] == codebook.facet_of(code) and item["to_name"] == "text"
            seg_id = next(s.segment_id for s in transcript.segments if s.start == value["start"])
            dominant = int(theta[seg_id].argmax())
            assert seeded_model.labels_[dominant] == code and theta[seg_id].max() >= 0.5
            n_spans += 1
    expected = sum(1 for t in seeded_model.doc_topics_ if t.max() >= 0.5 and t.argmax() < len(SEEDS))
    assert n_spans == expected
    per_segment = to_labelstudio_predictions(seeded_model, demo_corpus, codebook, threshold=0.5, unit="segment")
    assert sum(len(p["result"]) for p in per_segment) == expected
    assert all(p["result"][0]["value"]["start"] == 0 for p in per_segment)
    plain = TopicModel(3, passes=2, coherence=None).fit(demo_corpus)
    with pytest.raises(TopicModelError, match="No topic is aligned with a code"):
        to_labelstudio_predictions(plain, demo_corpus, codebook)
    with pytest.raises(TopicModelError, match="not in the codebook"):
        to_labelstudio_predictions(plain, demo_corpus, codebook, topic_codes={0: "nope"})


@pytest.mark.labelstudio
def test_predictions_round_trip_through_label_studio(labelstudio_server, seeded_model, demo_corpus, codebook, tmp_path):
    from qualquant.coding.topics._compare import pull_predictions, push_predictions

    client = labelstudio_server.client()
    small = demo_corpus.with_transcripts(demo_corpus.transcripts[:3])
    project = client.ensure_project("qualquant topic predictions test", codebook)
    client.push(small, unit="transcript", project=project)
    preds = to_labelstudio_predictions(seeded_model, small, codebook, threshold=0.5)
    ids = push_predictions(client, project, preds)
    assert len(ids) == len(preds)
    pulled = pull_predictions(client, project, codebook=codebook, corpus=small)
    codings = pulled.codings
    assert len(pulled.issues) == 0, pulled.issues
    assert set(codings["source"]) == {"prediction"}
    assert set(codings["coder"]) == {model_version(seeded_model)}
    assert len(codings) == sum(len(p["result"]) for p in preds)
    expected = {(item["value"]["start"], item["value"]["labels"][0]) for p in preds for item in p["result"]}
    assert set(zip(codings["start"], codings["code"])) == expected
    # the full JSON export of Label Studio 1.23 lists predictions by id only; pull merges them in
    full = client.pull(project, snapshot_dir=tmp_path, codebook=codebook, corpus=small)
    assert full.n_predictions == len(ids) and full.merged is not None and full.issues.empty
    exported = full.codings[full.codings["source"] == "prediction"]
    cols = ["coder", "transcript_id", "segment_id", "code", "start", "end", "annotation_id"]
    pd.testing.assert_frame_equal(exported[cols].reset_index(drop=True), codings[cols].reset_index(drop=True))
