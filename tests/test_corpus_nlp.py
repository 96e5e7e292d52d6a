"""Tokens and lemmas: identity with spaCy's stock Russian lemmatizer, stop words, bags of words.

The reference for Russian lemmas is spaCy's own pipeline (blank ``ru`` +
``lemmatizer`` in mode ``pymorphy3``): every token of the demo corpus, a
sample of pymorphy3's dictionary forms in several letter cases, and random
Cyrillic / Latin / mixed-case / hyphenated / numeric strings must get the same
lemma from ``make_pipeline("ru")`` as from the stock component.
"""

from __future__ import annotations

import random
from itertools import islice
from pathlib import Path

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.tokens import Doc

from qualquant import pipelines
from qualquant.corpus import lemmatizer as lemmatizer
from qualquant.corpus import read_corpus
from qualquant.corpus.lemmatizer import RU_LEMMATIZER
from qualquant.corpus.nlp import (
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


def _stock(mode: str = "pymorphy3", overwrite: bool = False):
    nlp = spacy.blank("ru")
    nlp.add_pipe("lemmatizer", config={"mode": mode, "overwrite": overwrite})
    nlp.initialize()
    return nlp


def _ours(mode: str = "pymorphy3", overwrite: bool = False):
    nlp = spacy.blank("ru")
    nlp.add_pipe(RU_LEMMATIZER, config={"mode": mode, "overwrite": overwrite})
    nlp.initialize()
    return nlp


def _lemmas(nlp, words, *, pos=None, batch=False, preset=None):
    """Lemmas of a Doc built from ``words`` (as a tokenizer would), through every component."""
    doc = Doc(nlp.vocab, words=words, pos=pos)
    for i, lemma in (preset or {}).items():
        doc[i].lemma_ = lemma
    for _, component in nlp.pipeline:
        doc = next(iter(component.pipe([doc]))) if batch else component(doc)
    return [t.lemma_ for t in doc]


@pytest.fixture(scope="module")
def stock_ru():
    return _stock()


@pytest.fixture(scope="module")
def ours_ru():
    return make_pipeline("ru")


def test_russian_lemmas_identical_to_stock_on_demo_corpus(demo_corpus, stock_ru):
    texts = [s.text for t in demo_corpus for s in t.segments]
    texts += [t.upper() for t in texts] + [t.lower() for t in texts] + [t.title() for t in texts]
    batched, single = make_pipeline("ru"), make_pipeline("ru")  # nlp.pipe and nlp(text) paths
    n = 0
    for text, a, b in zip(texts, stock_ru.pipe(texts), batched.pipe(texts), strict=True):
        assert [t.text for t in a] == [t.text for t in b]
        expected = [t.lemma_ for t in a]
        assert [t.lemma_ for t in b] == expected, text
        assert [t.lemma_ for t in single(text)] == expected, text
        n += len(a)
    assert n > 4 * 10_000
    component = batched.get_pipe(RU_LEMMATIZER)
    assert 0 < component.n_cached < n  # one analysis per form, not per token
    # case variants (Друзьями, ДРУЗЬЯМИ, друзьями) shared one analysis
    assert component.n_analysed < component.n_cached


@pytest.fixture(scope="module")
def dictionary_forms():
    """Forms from pymorphy3's dictionary, spread over prefixes (incl. е/ё and по-/наи-)."""
    from pymorphy3 import MorphAnalyzer

    words = MorphAnalyzer(lang="ru").dictionary.words
    forms = []
    for prefix in ("е", "ё", "пере", "по", "наи", "не", "сте", "мо", "тр", "при", "ко", "вы", "ж", "щ", "э", "ю", "я"):
        forms += list(islice(words.iterkeys(prefix), 0, 6000, 15))
    return forms + ["еще", "ещё", "все", "всё", "ее", "её", "елка", "ёлка", "осел", "осёл"]


def test_dictionary_forms_in_every_letter_case_match_stock(dictionary_forms, stock_ru, ours_ru):
    rng = random.Random(7)
    mixed = ["".join(c.upper() if rng.random() < 0.5 else c for c in w) for w in dictionary_forms]
    for words in (
        dictionary_forms,
        [w.upper() for w in dictionary_forms],
        [w.capitalize() for w in dictionary_forms],
        mixed,
    ):
        assert len(words) > 5000
        expected = _lemmas(stock_ru, words)
        assert _lemmas(ours_ru, words, batch=True) == expected
        assert _lemmas(ours_ru, words) == expected


_WORDS = [
    "друзьями",
    "искали",
    "квартиру",
    "стекло",
    "мыла",
    "раму",
    "ещё",
    "еще",
    "всё",
    "все",
    "её",
    "новой",
    "мои",
    "три",
    "мой",
    "красивая",
    "дети",
    "людей",
    "шли",
    "переехали",
    "Алматы",
    "Москва",
    "по-русски",
    "по-западному",
    "кто-то",
    "смотри-ка",
    "интернет-магазин",
    "человек-гора",
    "псевдокошка",
    "бутявкать",
    "двухъярусной",
    "релокантов",
    "сторис",
    "тинькофф",
    "баурсаки",
    "жұмыс",
    "қазақша",
    "бір",
    "pdf",
    "Zoom",
    "iPhone",
    "COVID-19",
]
_SPECIAL = [
    "А",
    "а",
    "В",
    "И",
    "Ы",
    "ы",
    "Ъ",
    "Й",
    "Ё",
    "ё",
    "I",
    "V",
    "XIV",
    "xiv",
    "Mix",
    "MCM",
    "inf",
    "INF",
    "Infinity",
    "nan",
    "NaN",
    "1e5",
    "1E5",
    "3,5",
    "1_000",
    "+7",
    "-",
    "--",
    "«",
    "»",
    "...",
    "—",
    "\n",
    "\n\n",
    "  ",
    "\t",
    "İ",
    "ı",
    "K",
    "ſ",
    "ß",
    "ǅ",
    "Σ",
    "ς",
    "по-",
    "-то",
    "кто-",
    "ПО-РУССКИ",
    "Кто-ТО",
    "ш",
    "Ш",
    "İки",
    "i\u0307ки",
    "Kİо",
]
_ALPHABET = (
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
    "abcefinrtxyzABCEFINRTXYZIVXLCDMivxlcdm0123456789-.,'!?_+/\u0301"
    "әғқңөұүһіІїєґİıKſßÉé"
)


def _random_case(word: str, mask: list[bool]) -> str:
    mask = mask + [False] * len(word)
    return "".join(c.upper() if upper else c.lower() for c, upper in zip(word, mask))


_TOKEN = st.one_of(
    st.text(alphabet=_ALPHABET, min_size=1, max_size=14),
    st.builds(_random_case, st.sampled_from(_WORDS), st.lists(st.booleans(), max_size=20)),
    st.sampled_from(_SPECIAL),
    st.builds(
        lambda a, b: f"{a}-{b}",
        st.sampled_from(_WORDS + ["то", "ка", "таки"]),
        st.sampled_from(_WORDS + ["то", "ка", "таки", "2"]),
    ),
    st.builds(
        lambda a, b: a + b, st.sampled_from(["по", "наи", "не", "пере", "супер", "анти", "ПО"]), st.sampled_from(_WORDS)
    ),
)


@settings(max_examples=300, deadline=None)
@given(words=st.lists(_TOKEN, min_size=1, max_size=25))
def test_random_tokens_match_stock(words, stock_ru, ours_ru):
    expected = _lemmas(stock_ru, words)
    assert _lemmas(ours_ru, words, batch=True) == expected
    assert _lemmas(ours_ru, words) == expected


@pytest.mark.parametrize("order", [1, -1])
def test_case_variants_that_pymorphy3_tells_apart(order, stock_ru):
    """Spellings of one lower-case form whose stock lemmas differ must not share a memo entry.

    ``Ш`` is also an initial (normal forms ш, широта: the text is kept) while ``ш``
    is only the abbreviation of широта; ``İ`` lower-cases to two characters, so
    ``İКИ`` is too short for pymorphy3's suffix guesser and ``i̇ки`` is not.
    """
    pairs = [("ш", "Ш"), ("i\u0307ки", "İКИ"), ("i\u0307ки", "İки"), ("i\u0307шв", "İшв"), ("ki\u0307о", "Kİо")]
    words = [w for pair in pairs for w in pair[::order]]
    expected = _lemmas(stock_ru, words)
    lemma = dict(zip(words, expected))
    assert (lemma["ш"], lemma["Ш"]) == ("широта", "Ш")  # the stock tells these spellings apart
    assert (lemma["i\u0307шв"], lemma["İшв"]) == ("i\u0307шва", "i\u0307шв")
    assert lemma["İКИ"] == "i\u0307ки"  # a normal form; for i̇ки the text itself
    for batch in (True, False):
        assert _lemmas(make_pipeline("ru"), words, batch=batch) == expected


@pytest.mark.parametrize(
    ("mode", "overwrite"),
    [
        ("pymorphy3", False),
        ("pymorphy3", True),
        ("pymorphy3_lookup", False),
    ],
)
def test_tagged_tokens_and_existing_lemmas_match_stock(mode, overwrite):
    """With POS tags (as a tagger would set them) and preset lemmas, results match stock."""
    words = [
        "стекло",
        "стекло",
        "мой",
        "мой",
        "три",
        "три",
        "красивая",
        "«",
        "стекло",
        "Мыла",
        "мыла",
        "быстро",
        "и",
        "ДРУЗЬЯМИ",
        "друзьями",
        "»",
        "Друзьями",
    ]
    pos = [
        "NOUN",
        "VERB",
        "DET",
        "VERB",
        "NUM",
        "VERB",
        "ADJ",
        "PUNCT",
        "ADV",
        "VERB",
        "NOUN",
        "ADV",
        "CCONJ",
        "NOUN",
        "X",
        "PUNCT",
        "INTJ",
    ]
    preset = {0: "предзаданная", 14: "тоже-предзаданная"}
    stock, ours = _stock(mode, overwrite), _ours(mode, overwrite)
    for batch in (False, True):
        expected = _lemmas(stock, words, pos=pos, preset=preset)
        assert _lemmas(ours, words, pos=pos, preset=preset, batch=batch) == expected
    assert (expected[0] == "предзаданная") is not overwrite
    plain = _lemmas(stock, words)  # no tags at all: the look-up path for every token
    assert _lemmas(ours, words) == plain
    assert _lemmas(ours, words, preset=preset) == _lemmas(stock, words, preset=preset)


def test_memory_zone_forgets_only_what_it_memoised(stock_ru):
    nlp = make_pipeline("ru")
    component = nlp.get_pipe(RU_LEMMATIZER)
    before = [t.lemma_ for t in nlp("Мама мыла раму")]
    n_before = component.n_cached
    with nlp.memory_zone():
        inside = [t.lemma_ for t in nlp("Друзьями искали квартирку")]
        assert component.n_cached > n_before
    assert component.n_cached == n_before
    text = "Друзьями искали квартирку, мама мыла раму"
    # lemma strings added inside the zone were freed with it; they must be found again
    assert [t.lemma_ for t in nlp(text)] == [t.lemma_ for t in stock_ru(text)]
    assert before == [t.lemma_ for t in stock_ru("Мама мыла раму")]
    assert inside == [t.lemma_ for t in stock_ru("Друзьями искали квартирку")]


def test_without_the_expected_pymorphy3_units_only_the_memo_is_used(monkeypatch, demo_corpus, stock_ru):
    monkeypatch.setattr(lemmatizer, "_units_as_expected", lambda analyzer: False)
    nlp = make_pipeline("ru")
    assert nlp.get_pipe(RU_LEMMATIZER)._dictionary_first is False
    texts = [s.text for t in demo_corpus for s in t.segments][:150]
    texts += [t.upper() for t in texts]
    for a, b in zip(stock_ru.pipe(texts), nlp.pipe(texts), strict=True):
        assert [t.lemma_ for t in a] == [t.lemma_ for t in b]
    assert _lemmas(nlp, _SPECIAL) == _lemmas(stock_ru, _SPECIAL)


def test_pipe_hands_only_the_failing_doc_to_the_error_handler(stock_ru):
    nlp = make_pipeline("ru")
    component = nlp.get_pipe(RU_LEMMATIZER)
    bad = nlp.vocab.strings.add("СБОЙ")
    original = component._new_lemmas

    def failing(orths):
        if bad in orths:
            raise RuntimeError("analysis failed")
        return original(orths)

    component._new_lemmas = failing
    errors = []
    nlp.set_error_handler(lambda name, proc, docs, e: errors.append((name, [d.text for d in docs])))
    texts = ["Мама мыла раму.", "Тут СБОЙ.", "Друзьями искали квартиру."]
    docs = list(nlp.pipe(texts))
    assert errors == [(RU_LEMMATIZER, ["Тут СБОЙ."])]
    assert [d.text for d in docs] == [texts[0], texts[2]]
    for doc in docs:
        assert [t.lemma_ for t in doc] == [t.lemma_ for t in stock_ru(doc.text)]


def test_other_languages():
    kk = make_pipeline("kk")
    assert [t.lemma_ for t in kk("Біз АЛМАТЫҒА көштік")] == ["біз", "алматыға", "көштік"]
    en = make_pipeline("en")
    assert [t.lemma_ for t in en("friends were looking")] == ["friend", "be", "look"]
    assert detect_language("Біз Алматыға күзде көштік, бәрі жақсы.") == "kk"
    assert detect_language("Мы переехали осенью.") == "ru"


def test_missing_trained_model_is_a_clear_error():
    from qualquant.corpus import LanguagePipelineError

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
    marked = [
        sid
        for sid, text in texts.items()
        if "[смеётся]" in text and text.replace("[смеётся]", "").count("смеётся") == 0
    ]
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
