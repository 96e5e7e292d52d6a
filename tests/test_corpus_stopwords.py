"""Content lemmas leave out numerals and the verbs that frame answers (corpus.nlp)."""

from __future__ import annotations

from qualquant.corpus.nlp import content_lemmas, lemmas_and_tokens


def test_numerals_and_framing_verbs_are_not_content():
    text = "Я говорю: двадцать тысяч тенге за комнату, не знаю, мне кажется, что хозяйка подняла цену."
    (lemmas,) = content_lemmas([text], "ru")
    assert "комната" in lemmas and "хозяйка" in lemmas and "цена" in lemmas
    for word in ("двадцать", "тысяча", "говорить", "знать", "казаться"):
        assert word not in lemmas


def test_lemmas_and_tokens_are_aligned():
    ((lemmas, tokens),) = list(lemmas_and_tokens(["Соседи помогали с квартирами."], "ru"))
    assert len(lemmas) == len(tokens)
    assert dict(zip(tokens, lemmas))["квартирами"] == "квартира"


def test_russian_particles_prepositions_and_phrases_are_not_content():
    text = (
        "Ни копейки не было, всё равно сюда ехал против воли, в основном из-за работы, "
        "пять лет назад, как раз тогда, то есть давай, возле вокзала квартиру снимал."
    )
    (lemmas,) = content_lemmas([text], "ru")
    assert lemmas == ["копейка", "ехать", "воля", "работа", "вокзал", "квартира", "снимать"]


def test_added_function_words_are_stop_words_but_content_words_are_not():
    from qualquant.corpus.nlp import FILLERS, stop_words

    sw = stop_words("ru")
    for word in ("ни", "же", "ли", "бы", "вон", "аж", "сюда", "против", "возле", "всё равно", "в основном"):
        assert word in sw, word
    for word in ("работа", "квартира", "друг", "граница", "чат", "деньга", "местный"):
        assert word not in sw, word
    assert all(w == w.lower() and w.strip() == w for w in FILLERS["ru"])
