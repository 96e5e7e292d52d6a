"""Tests of coding.topics: the LDA estimator, documents, seeds, coherence selection, save/load."""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qualquant import pipelines
from qualquant.coding import read_codebook
from qualquant.coding.errors import TopicModelError
from qualquant.coding.topics import TopicModel, documents_from_texts, select_n_topics, topic_coherence
from qualquant.coding.topics._documents import prepare_documents
from qualquant.corpus.collection import read_corpus

DEMO = Path(pipelines.__file__).parent / "demo_data"
GADARIAN = Path(__file__).resolve().parent / "data" / "open_ended" / "gadarian.csv"


@pytest.fixture(scope="module")
def demo_corpus():
    return read_corpus(DEMO / "transcripts", cases=DEMO / "cases.csv")


@pytest.fixture(scope="module")
def demo_model(demo_corpus):
    return TopicModel(5, passes=5, random_state=3).fit(demo_corpus)


def test_fit_is_deterministic_for_a_fixed_seed(demo_corpus, demo_model):
    again = TopicModel(5, passes=5, random_state=3).fit(demo_corpus)
    pd.testing.assert_frame_equal(demo_model.topics_, again.topics_)
    np.testing.assert_array_equal(demo_model.doc_topics_, again.doc_topics_)
    assert demo_model.coherence_ == again.coherence_
    other = TopicModel(5, passes=5, random_state=4).fit(demo_corpus)
    assert not np.array_equal(other.doc_topics_, demo_model.doc_topics_)


def test_fitted_attributes_describe_participant_segments(demo_corpus, demo_model):
    participant = [s.segment_id for s in demo_corpus.segments(roles=("participant",))]
    docs = demo_model.documents_
    assert list(docs.columns) == ["doc_id", "transcript_id", "segment_id", "case_id", "n_tokens", "excerpt"]
    # every participant turn is a document or is listed as set aside, nothing else
    assert sorted(docs["segment_id"].tolist() + demo_model.dropped_["segment_id"].tolist()) == sorted(participant)
    assert demo_model.doc_topics_.shape == (len(docs), 5)
    np.testing.assert_allclose(demo_model.doc_topics_.sum(axis=1), 1.0)
    assert set(docs["case_id"]) <= set(demo_corpus.cases.index)
    first = docs.iloc[0]
    seg_text = demo_corpus[first["transcript_id"]].segments[int(first["segment_id"].split(":")[1])].text
    assert " ".join(seg_text.split()).startswith(first["excerpt"].rstrip("…"))
    topics = demo_model.topics_
    assert list(topics.columns) == ["topic", "label", "rank", "lemma", "weight", "surface_form", "surface_forms"]
    assert (
        len(topics) == 5 * 10
        and topics.groupby("topic")["rank"].apply(list).map(lambda r: r == list(range(1, 11))).all()
    )
    # each surface form is a word form seen in the participant turns
    text = " ".join(s.text.lower() for s in demo_corpus.segments(roles=("participant",)))
    for form in topics["surface_form"]:
        assert re.search(rf"(?<!\w){re.escape(form)}(?!\w)", text), form
    assert 0 < demo_model.coherence_ < 1 and len(demo_model.topic_coherence_) == 5


def test_case_and_document_tables(demo_model):
    cases = demo_model.case_topics()
    assert list(cases.columns) == ["case_id", "topic", "proportion", "n_tokens"]
    assert cases["case_id"].nunique() == 20
    np.testing.assert_allclose(cases.groupby("case_id")["proportion"].sum(), 1.0)
    # token-weighted mean of the case's documents, computed here independently
    docs = demo_model.documents_
    mask = (docs["case_id"] == "INT05").to_numpy()
    w = docs.loc[mask, "n_tokens"].to_numpy(float)
    expected = (demo_model.doc_topics_[mask] * w[:, None]).sum(0) / w.sum()
    got = cases[cases["case_id"] == "INT05"].sort_values("topic")["proportion"].to_numpy()
    np.testing.assert_allclose(got, expected)
    long = demo_model.document_topics()
    assert len(long) == len(docs) * 5
    reps = demo_model.representative_documents(2)
    assert len(reps) == 10
    for k, group in reps.groupby("topic"):
        assert group["proportion"].iloc[0] == pytest.approx(demo_model.doc_topics_[:, k].max())
        assert group["segment_id"].notna().all() and (group["excerpt"].str.len() > 0).all()


def test_unfitted_model_says_call_fit():
    model = TopicModel(3)
    for use in (
        lambda: model.topics_,
        lambda: model.doc_topics_,
        lambda: model.coherence_,
        lambda: model.top_words(),
        lambda: model.case_topics(),
        lambda: model.save("x"),
        lambda: model.representative_documents(),
    ):
        with pytest.raises(TopicModelError, match="call fit"):
            use()
    assert not hasattr(model, "topics_")  # also an AttributeError
    assert "not fitted" in repr(model)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = model.nope


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_topics": 1}, "n_topics must be an integer >= 2"),
        ({"n_topics": 3, "unit": "page"}, "Unknown document unit 'page'"),
        ({"n_topics": 3, "workers": 2, "alpha": "auto"}, "alpha='auto' is not available with workers > 1"),
        ({"n_topics": 3, "coherence": "c_uci"}, "Unknown coherence measure 'c_uci'"),
    ],
)
def test_bad_parameters_raise_clear_errors(kwargs, message):
    docs = [["a", "b", "c"], ["a", "b", "d"]] * 5
    with pytest.raises(TopicModelError, match=re.escape(message)):
        TopicModel(**kwargs).fit(docs)


def test_bad_documents_raise_clear_errors():
    with pytest.raises(TopicModelError, match="Document 1 is a str, not a list of tokens"):
        TopicModel(2).fit([["a", "b"], "a b c"])
    with pytest.raises(TopicModelError, match="None of the 3 documents has a lemma left"):
        TopicModel(2).fit([["a"], ["b"], ["c"]])
    with pytest.raises(TopicModelError, match="needs a column 'lemmas'"):
        TopicModel(2).fit(pd.DataFrame({"text": ["x"]}))


def test_documents_without_vocabulary_are_reported_not_dropped_silently():
    docs = [["дом", "квартира"], [], ["дом", "работа"], ["уникальное"], ["работа", "квартира"]] * 1
    docs = docs + [["дом", "работа", "квартира"]] * 3
    model = TopicModel(2, no_above=1.0, coherence="u_mass", topn=3).fit(docs)
    assert model.dropped_["doc_id"].tolist() == ["1", "3"]
    assert model.dropped_["reason"].tolist() == [
        "no content lemmas",
        "no lemma left in the vocabulary after filtering (no_below/no_above)",
    ]
    assert len(model.documents_) == len(docs) - 2


def test_units_transcript_and_window(demo_corpus):
    per_transcript = prepare_documents(demo_corpus, unit="transcript")
    assert per_transcript.documents["doc_id"].tolist() == list(demo_corpus.ids)
    windows = prepare_documents(demo_corpus, unit="window", window=20)
    segments = prepare_documents(demo_corpus, unit="segment")
    assert len(windows) > len(segments)
    assert windows.documents["doc_id"].str.contains("/w").any()
    # windows of a long turn cover all its in-vocabulary lemmas, in order
    seg_id = windows.documents.loc[windows.documents["doc_id"].str.endswith("/w1"), "segment_id"].iloc[0]
    w_rows = np.flatnonzero((windows.documents["segment_id"] == seg_id).to_numpy())
    s_row = int(np.flatnonzero((segments.documents["segment_id"] == seg_id).to_numpy())[0])
    w_texts = list(windows.texts)
    s_texts = list(segments.texts)
    assert [word for i in w_rows for word in w_texts[i]] == s_texts[s_row]
    assert all(len(w_texts[i]) <= 30 for i in w_rows)  # window 20, remainder < 10 joins
    with pytest.raises(TopicModelError, match="needs a Corpus"):
        prepare_documents([["a"]], unit="window")


def test_stop_words_are_left_out(demo_corpus):
    prepared = prepare_documents(demo_corpus, stop_words=["двадцать", "тысяча"])
    assert "двадцать" not in prepared.dictionary.token2id and "тысяча" not in prepared.dictionary.token2id


def test_save_and_load_round_trip(tmp_path, demo_model):
    path = demo_model.save(tmp_path / "model")
    loaded = TopicModel.load(path)
    pd.testing.assert_frame_equal(loaded.topics_, demo_model.topics_)
    np.testing.assert_array_equal(loaded.doc_topics_, demo_model.doc_topics_)
    pd.testing.assert_frame_equal(loaded.documents_, demo_model.documents_)
    assert loaded.coherence_ == demo_model.coherence_ and loaded.get_params() == demo_model.get_params()
    pd.testing.assert_frame_equal(loaded.case_topics(), demo_model.case_topics())
    demo_model.save(path)  # overwriting an existing model directory works
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    with pytest.raises(TopicModelError, match="not a saved topic model"):
        TopicModel.load(tmp_path / "nothing")


def test_seeded_topics_follow_the_codebook(demo_corpus):
    codebook = read_codebook(DEMO / "codebook.toml")
    codes = ["bonding", "bridging", "linking", "online", "legal_status", "housing"]
    seeds = {c: codebook.seed_words[c] for c in codes}
    seeded = TopicModel(8, seed_words=seeds, coherence=None).fit(demo_corpus)
    plain = TopicModel(8, coherence=None).fit(demo_corpus)
    assert seeded.labels_ == codes + ["", ""]
    assert set(seeded.topics_.loc[seeded.topics_["topic"] < 6, "label"]) == set(codes)
    report = seeded.seed_report_
    assert len(report) == sum(len(v) for v in seeds.values())
    assert not report["in_vocabulary"].all()  # some seed lemmas never occur: reported, not hidden
    seeded_words, plain_words = seeded.top_words(10), plain.top_words(10)
    for topic, code in enumerate(codes):
        hits = len(set(seeded_words[topic]) & set(seeds[code]))
        best_plain = max(len(set(words) & set(seeds[code])) for words in plain_words)
        assert hits >= 1 and hits >= best_plain, (code, seeded_words[topic])
    # the seeds pull in the documents that use them, not only the topic's word list
    texts = [{seeded.dictionary_[i] for i, _ in doc} for doc in seeded.prepared_.bow]
    for topic, code in enumerate(codes):
        uses = np.array([bool(t & set(seeds[code])) for t in texts])
        theta = seeded.doc_topics_[:, topic]
        assert theta[uses].mean() > 3 * theta[~uses].mean(), code
    with pytest.raises(TopicModelError, match="6 codes have seed words but the model has only 4 topics"):
        TopicModel(4, seed_words=seeds).fit(demo_corpus)


def _planted_corpus(seed: int = 0):
    """Documents drawn from three known word groups (80% own group, 20% any word)."""
    rng = np.random.default_rng(seed)
    groups = {
        "housing": ["квартира", "аренда", "хозяйка", "комната", "залог", "риелтор", "район", "снимать"],
        "work": ["работа", "зарплата", "офис", "проект", "коллега", "начальник", "заказ", "удалёнка"],
        "leisure": ["горы", "футбол", "кафе", "прогулка", "концерт", "скалодром", "парк", "кино"],
    }
    vocab = [word for words in groups.values() for word in words]
    docs, truth = [], []
    for i in range(120):
        name = list(groups)[i % 3]
        words = [rng.choice(groups[name]) if rng.random() < 0.8 else rng.choice(vocab) for _ in range(25)]
        docs.append([str(w) for w in words])
        truth.append(name)
    return docs, np.array(truth)


def test_seed_words_fix_which_topic_is_which():
    docs, truth = _planted_corpus()
    seeds = {"work": ["работа", "зарплата"], "housing": ["квартира", "аренда"]}
    for random_state in (0, 1, 2):
        model = TopicModel(3, seed_words=seeds, no_above=1.0, random_state=random_state, coherence=None).fit(docs)
        assert model.labels_ == ["work", "housing", ""]
        dominant = model.doc_topics_.argmax(axis=1)
        assert (dominant[truth == "work"] == 0).mean() > 0.95
        assert (dominant[truth == "housing"] == 1).mean() > 0.95
        assert (dominant[truth == "leisure"] == 2).mean() > 0.95


def test_select_n_topics_on_the_demo_corpus(demo_corpus):
    result = select_n_topics(demo_corpus, range(3, 6), seeds=(0, 1), passes=5)
    assert result.curve.shape == (6, 3) and list(result.curve.columns) == ["k", "seed", "coherence"]
    summary = result.summary
    assert summary["k"].tolist() == [3, 4, 5]
    expected = result.curve.groupby("k")["coherence"].mean()
    np.testing.assert_allclose(summary["mean"], expected.to_numpy())
    np.testing.assert_allclose(summary["sd"], result.curve.groupby("k")["coherence"].std().to_numpy())
    assert result.best_k == int(expected.idxmax())
    assert summary.loc[summary["chosen"], "k"].tolist() == [result.best_k]
    assert "highest mean c_v" in result.rule and "smaller K" in result.rule
    assert result.model.n_topics == result.best_k and result.model.random_state == 0
    # the curve's value for (best K, seed 0) is the returned model's coherence
    row = result.curve[(result.curve["k"] == result.best_k) & (result.curve["seed"] == 0)]
    assert row["coherence"].iloc[0] == pytest.approx(result.model.coherence_)
    one_se = select_n_topics(demo_corpus, range(3, 6), seeds=(0, 1), passes=5, rule="one_se")
    assert one_se.best_k <= result.best_k and "one standard error" in one_se.rule


def _lee_texts():
    from gensim.test.utils import datapath

    with open(datapath("lee_background.cor"), encoding="utf-8") as fh:
        docs = [re.findall(r"[a-z]+", line.lower()) for line in fh]
    from gensim.parsing.preprocessing import STOPWORDS

    return [[w for w in d if len(w) > 2 and w not in STOPWORDS] for d in docs]


def test_lee_corpus_coherence_beats_shuffled_models():
    """A real model's c_v beats models whose word co-occurrences are destroyed.

    Two nulls on gensim's bundled Lee corpus: a model fitted on the same tokens
    shuffled across documents, and topics of frequency-matched random words (each top
    word replaced by a word of similar document frequency). Uniformly random
    vocabulary words are NOT a fair null for c_v: rare words get high c_v (a known
    weakness of the measure), which is why the nulls keep word frequencies.
    """
    texts = _lee_texts()
    assert len(texts) == 300  # gensim's bundled Lee background corpus
    model = TopicModel(10, passes=10, no_below=3, no_above=0.4, random_state=1).fit(texts)
    d, ref = model.dictionary_, model.prepared_.texts
    real = model.coherence_

    tokens = [w for t in texts for w in t]
    random.Random(0).shuffle(tokens)
    shuffled, start = [], 0
    for t in texts:
        shuffled.append(tokens[start : start + len(t)])
        start += len(t)
    null = TopicModel(10, passes=10, no_below=3, no_above=0.4, random_state=1, coherence=None).fit(shuffled)
    null_cv = topic_coherence(null.top_words(), ref, d, measure="c_v").mean()
    assert real > null_cv + 0.15, (real, null_cv)

    dfs = np.array([d.dfs[i] for i in range(len(d))])
    order = np.argsort(-dfs, kind="stable")
    rank = {int(w): r for r, w in enumerate(order)}
    rng = np.random.default_rng(0)

    def near(word):  # a random word among the 21 nearest in document-frequency rank
        r = rank[d.token2id[word]]
        return d[int(order[rng.integers(max(0, r - 10), min(len(order), r + 11))])]

    matched = [[near(w) for w in words] for words in model.top_words()]
    matched_cv = topic_coherence(matched, ref, d, measure="c_v").mean()
    assert real > matched_cv + 0.1, (real, matched_cv)
    npmi_real = topic_coherence(model.top_words(), ref, d, measure="c_npmi").mean()
    npmi_null = topic_coherence(null.top_words(), ref, d, measure="c_npmi").mean()
    assert npmi_real > npmi_null


def test_gadarian_fit_and_choose_k():
    data = pd.read_csv(GADARIAN)
    assert len(data) == 341
    docs = documents_from_texts(data["open.ended.response"], language="en")
    result = select_n_topics(docs, range(3, 6), seeds=(0, 1), passes=10)
    model = result.model
    assert 3 <= result.best_k <= 5
    # four answers have no content word left: set aside, with the reason
    assert len(model.documents_) + len(model.dropped_) == 341
    assert len(model.dropped_) <= 10 and model.dropped_["reason"].notna().all()
    # the immigration vocabulary shows up in the topics; surface forms keep the inflection
    lemmas = set(model.topics_["lemma"])
    assert {"illegal", "immigrant"} <= lemmas
    forms = model.topics_.set_index("lemma")["surface_forms"].to_dict()
    assert "immigrants" in forms["immigrant"]


def test_streamed_bag_of_words_equals_gensim_doc2bow():
    """The compact arrays stream exactly gensim's bags of words (several blocks of documents)."""
    from gensim.corpora import Dictionary

    rng = random.Random(0)
    docs = [[rng.choice("abcdefghijkl") + rng.choice("xyz") for _ in range(rng.randint(0, 12))] for _ in range(700)]
    prepared = prepare_documents(iter(docs), no_below=3, no_above=0.9)
    reference = Dictionary(docs)
    reference.filter_extremes(no_below=3, no_above=0.9, keep_n=None)
    assert dict(prepared.dictionary.token2id) == dict(reference.token2id)
    expected = [reference.doc2bow(d) for d in docs]
    kept = [i for i, b in enumerate(expected) if b]
    assert list(prepared.bow) == [expected[i] for i in kept]
    assert [prepared.bow[j] for j in (0, 300, len(kept) - 1)] == [expected[kept[j]] for j in (0, 300, len(kept) - 1)]
    assert list(prepared.texts) == [[w for w in docs[i] if w in reference.token2id] for i in kept]
    assert prepared.documents["doc_id"].tolist() == [str(i) for i in kept]
    assert len(prepared.dropped) == len(docs) - len(kept)


def test_select_n_topics_method_uses_the_model_settings():
    """The method is the module function with this model's settings (same curve, same choice)."""
    from qualquant.coding.topics import TopicModel, select_n_topics

    rng = __import__("random").Random(3)
    vocab_a = ["чат", "наши", "помощь", "квартира", "вместе", "ребята"]
    vocab_b = ["банк", "карта", "иин", "цон", "документ", "регистрация"]
    docs = [[rng.choice(vocab_a if i % 2 else vocab_b) for _ in range(12)] for i in range(60)]
    model = TopicModel(2, passes=3, iterations=30, random_state=5, no_below=1, no_above=1.0)
    via_method = model.select_n_topics(docs, range(2, 4))
    direct = select_n_topics(
        docs, range(2, 4), seeds=(5, 6, 7), coherence="c_v", passes=3, iterations=30, no_below=1, no_above=1.0
    )
    assert via_method.best_k == direct.best_k
    assert via_method.curve["coherence"].tolist() == direct.curve["coherence"].tolist()
    assert not hasattr(model, "topics_")  # the model itself stays unfitted
