"""Tokens and lemmas: identity with spaCy's stock Russian lemmatizer, stop words, bags of words.

The reference for Russian lemmas is spaCy's own pipeline (blank ``ru`` +
``lemmatizer`` in mode ``pymorphy3``), an independent implementation of the
same look-up: every token of the demo corpus must get the same lemma.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

import pipelines
from corpus import read_corpus
from corpus.lemmatizer import RU_LEMMATIZER
from corpus.nlp import (
    BowBuilder,
    build_bow,
    content_lemmas,
    detect_language,
    make_pipeline,
    segment_lemmas,
    stop_words,
)

DEMO = Path(pipelines.__file__).parent / "demo_data"


@pytest.fixture(scope="module")
def demo_corpus():
    return read_corpus(DEMO / "transcripts")


def _stock():
    nlp = spacy.blank("ru")
    nlp.add_pipe("lemmatizer", config={"mode": "pymorphy3"})
    nlp.initialize()
    return nlp


def test_russian_lemmas_identical_to_stock_on_demo_corpus(demo_corpus):
    texts = [s.text for t in demo_corpus for s in t.segments]
    texts += [t.upper() for t in texts[:20]]  # case variants are separate memo keys
    stock, ours = _stock(), make_pipeline("ru")
    n = 0
    for a, b in zip(stock.pipe(texts), ours.pipe(texts), strict=True):
        assert [t.text for t in a] == [t.text for t in b]
        assert [t.lemma_ for t in a] == [t.lemma_ for t in b]
        n += len(a)
    memo = ours.get_pipe(RU_LEMMATIZER)
    assert 0 < memo.n_cached < n  # the memo was used


def test_memo_respects_pos_and_existing_lemmas():
    """With a POS set (as a tagger would), the memo key includes it and results match stock."""
    words = ["стекло", "стекло", "мой", "мой", "три", "три", "красивая", "красивая"]
    pos = ["NOUN", "VERB", "DET", "VERB", "NUM", "VERB", "ADJ", "PUNCT"]
    stock, ours = _stock(), make_pipeline("ru")
    results = []
    for nlp in (stock, ours):
        doc = spacy.tokens.Doc(nlp.vocab, words=words, pos=pos)
        doc[0].lemma_ = "предзаданная"  # an existing lemma is kept (overwrite=False)
        for _, component in nlp.pipeline:
            doc = component(doc)
        results.append([t.lemma_ for t in doc])
    assert results[0] == results[1]
    assert results[1][0] == "предзаданная"
    assert results[1][1] != results[1][0]


def test_other_languages():
    kk = make_pipeline("kk")
    assert [t.lemma_ for t in kk("Біз АЛМАТЫҒА көштік")] == ["біз", "алматыға", "көштік"]
    en = make_pipeline("en")
    assert [t.lemma_ for t in en("friends were looking")] == ["friend", "be", "look"]
    assert detect_language("Біз Алматыға күзде көштік, бәрі жақсы.") == "kk"
    assert detect_language("Мы переехали осенью.") == "ru"


def test_missing_trained_model_is_a_clear_error():
    from corpus import LanguagePipelineError

    with pytest.raises(LanguagePipelineError, match="spaCy pipeline 'ru_core_news_zz' is not installed"):
        make_pipeline("ru", model="ru_core_news_zz")


def test_stop_words_and_content_lemmas():
    sw = stop_words("ru", extra=["Квартира"])
    assert {"ну", "вот", "как бы", "типа", "короче", "это самое", "и", "квартира"} <= sw
    texts = [
        "Ну, типа, мы с [NAME_1] как бы искали квартиру [смеётся], короче.",
        "Это самое... Друзьями помогали, вот.",
    ]
    assert content_lemmas(texts, "ru") == [["искать", "квартира"], ["друг", "помогать"]]
    assert content_lemmas(texts, "ru", extra_stop_words=["квартира"]) == [["искать"], ["друг", "помогать"]]
    assert content_lemmas(["You know, we were basically looking for flats."], "en") == [["look", "flat"]]


def test_segment_lemmas_table(demo_corpus):
    frame = segment_lemmas(demo_corpus)
    assert list(frame.columns) == ["segment_id", "transcript_id", "lemmas", "tokens"]
    participant = [s for s in demo_corpus.segments(roles=("participant",))]
    assert frame["segment_id"].tolist() == [s.segment_id for s in participant]
    for lemmas, tokens in zip(frame["lemmas"], frame["tokens"]):
        assert len(lemmas) == len(tokens)
        assert all(lemma == lemma.lower() and len(lemma) >= 2 for lemma in lemmas)
    texts = {s.segment_id: s.text for s in participant}
    marked = [sid for sid, text in texts.items()
              if "[смеётся]" in text and text.replace("[смеётся]", "").count("смеётся") == 0]
    assert marked, "the demo corpus has transcriber marks"
    by_id = dict(zip(frame["segment_id"], frame["tokens"]))
    assert all("смеётся" not in by_id[sid] for sid in marked)
    both = segment_lemmas(demo_corpus, roles=None)
    assert len(both) == sum(len(t.segments) for t in demo_corpus)


def test_bow_builder_streams_and_matches_gensim():
    from gensim.corpora import Dictionary

    docs = [["дом", "работа", "дом"], ["дом", "друг"], ["друг", "работа"], ["редкое"], []]

    def generator():  # a one-shot iterator is enough
        yield from docs

    dictionary, bow = build_bow(generator(), no_below=2, no_above=0.9)
    reference = Dictionary(docs)
    reference.filter_extremes(no_below=2, no_above=0.9, keep_n=None)
    assert dict(dictionary.token2id) == dict(reference.token2id)
    assert list(bow) == [reference.doc2bow(d) for d in docs]
    assert list(bow) == list(bow)  # re-iterable
    assert len(bow) == 5 and bow[3] == [] and bow[4] == []
    with pytest.raises(TypeError):
        BowBuilder().add("не список")
