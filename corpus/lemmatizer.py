"""spaCy components for lemmas without downloads.

``qualquant_ru_lemmatizer`` is spaCy's Russian pymorphy3 lemmatizer with a
memo: the stock component computes each token's lemma from the token text, its
part of speech and its morphology (``spacy/lang/ru/lemmatizer.py`` reads
``token.text``, ``token.pos_`` and ``token.morph``) and nothing else, so the
result is cached per ``(ORTH, POS, MORPH)`` hash triple. Lemmas are identical to
the stock component token for token (``bench/bench_lemmas.py`` counts the
mismatches); tokens are read and written in bulk with ``Doc.to_array`` /
``Doc.from_array`` instead of Python ``Token`` objects.

``qualquant_lowercase_lemmatizer`` sets each lemma to the lower-cased form (the
fallback for Kazakh and other languages without an offline lemmatizer).
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
from spacy.attrs import LEMMA, LOWER, MORPH, ORTH, POS
from spacy.lang.ru import Russian
from spacy.lang.ru.lemmatizer import RussianLemmatizer
from spacy.language import Language
from spacy.tokens import Doc
from thinc.api import Model

RU_LEMMATIZER = "qualquant_ru_lemmatizer"
LOWERCASE_LEMMATIZER = "qualquant_lowercase_lemmatizer"


class MemoRussianLemmatizer(RussianLemmatizer):
    """:class:`spacy.lang.ru.lemmatizer.RussianLemmatizer` with a per-form memo.

    Parameters
    ----------
    max_cache : int
        The memo is cleared when it holds this many entries (bounded memory on
        very large corpora); lemmas do not depend on it.

    Notes
    -----
    Like the stock component with ``overwrite=False``, a token whose lemma is
    already set keeps it. The memo key is ``(orth, pos, morph)`` — every input of
    :meth:`RussianLemmatizer.pymorphy3_lemmatize` — and the value is the hash of
    the lemma string, which is added to the vocabulary's string store on the
    first computation, exactly as ``token.lemma_ = ...`` does.
    """

    def __init__(self, vocab, model: Optional[Model], name: str = RU_LEMMATIZER, *,
                 mode: str = "pymorphy3", overwrite: bool = False,
                 scorer: Optional[Callable] = None, max_cache: int = 2_000_000) -> None:
        super().__init__(vocab, model, name, mode=mode, overwrite=overwrite, scorer=scorer)
        self.max_cache = max_cache
        self.memo: dict[tuple[int, int, int], int] = {}
        self.hits = 0
        self.misses = 0

    def __call__(self, doc: Doc) -> Doc:
        if not self._validated:
            self._validate_tables()
        n = len(doc)
        if n == 0:
            return doc
        rows = doc.to_array([ORTH, POS, MORPH, LEMMA]).tolist()
        memo = self.memo
        strings = self.vocab.strings
        lemmas = [0] * n
        overwrite = self.overwrite
        misses = 0
        for i, (orth, pos, morph, lemma) in enumerate(rows):
            if lemma and not overwrite:
                lemmas[i] = lemma
                continue
            key = (orth, pos, morph)
            value = memo.get(key)
            if value is None:
                misses += 1
                value = strings.add(self.lemmatize(doc[i])[0])
                if len(memo) >= self.max_cache:
                    memo.clear()
                memo[key] = value
            lemmas[i] = value
        self.misses += misses
        self.hits += n - misses
        doc.from_array([LEMMA], np.asarray(lemmas, dtype=np.uint64).reshape(-1, 1))
        return doc


def _make_ru(nlp: Language, model: Optional[Model], name: str, mode: str, overwrite: bool,
             max_cache: int) -> MemoRussianLemmatizer:
    return MemoRussianLemmatizer(nlp.vocab, model, name, mode=mode, overwrite=overwrite,
                                 max_cache=max_cache)


def _lowercase_lemmas(doc: Doc) -> Doc:
    if len(doc):
        lemmas = doc.to_array([LOWER, LEMMA])
        keep = lemmas[:, 1] != 0
        lemmas[keep, 0] = lemmas[keep, 1]
        doc.from_array([LEMMA], lemmas[:, :1].copy())
    return doc


def register() -> None:
    """Register the components with spaCy (idempotent)."""
    if not Russian.has_factory(RU_LEMMATIZER):
        Russian.factory(
            RU_LEMMATIZER,
            assigns=["token.lemma"],
            default_config={"model": None, "mode": "pymorphy3", "overwrite": False,
                            "max_cache": 2_000_000},
        )(_make_ru)
    if not Language.has_factory(LOWERCASE_LEMMATIZER):
        Language.component(LOWERCASE_LEMMATIZER, assigns=["token.lemma"])(_lowercase_lemmas)


register()
