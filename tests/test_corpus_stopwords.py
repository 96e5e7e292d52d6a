"""Content lemmas leave out numerals and the verbs that frame answers (corpus.nlp)."""

from __future__ import annotations

from corpus.nlp import content_lemmas, lemmas_and_tokens


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
