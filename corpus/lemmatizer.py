"""spaCy components for lemmas without downloads.

``qualquant_ru_lemmatizer`` is spaCy's Russian pymorphy3 lemmatizer with a
memo: the stock component computes each token's lemma from the token text, its
part of speech and its morphology (``spacy/lang/ru/lemmatizer.py`` reads
``token.text``, ``token.pos_`` and ``token.morph``) and nothing else, so the
result is cached per ``(ORTH, POS, MORPH)`` hash triple. Lemmas are identical to
the stock component token for token (``bench/bench_lemmas.py`` counts the
mismatches); tokens are read and written in bulk with ``Doc.to_array`` /
``Doc.from_array`` instead of Python ``Token`` objects. For a token without a
part of speech (a blank pipeline) the stock component only takes the set of
pymorphy3 normal forms (one distinct form -> that form, else the token text); a
memo miss computes exactly that with an analyzer that returns plain tuples and
skips the probability re-ranking, neither of which changes the set.

``qualquant_lowercase_lemmatizer`` sets each lemma to the lower-cased form (the
fallback for Kazakh and other languages without an offline lemmatizer).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, Optional

import numpy as np
from spacy.attrs import LEMMA, LOWER, MORPH, ORTH, POS
from spacy.lang.ru import Russian
from spacy.lang.ru.lemmatizer import RussianLemmatizer
from spacy.language import Language
from spacy.symbols import IDS
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
        self._orth_memo: dict[int, int] = {}
        # Same dictionaries, but plain tuples and no probability re-ranking: the
        # look-up path only needs the *set* of normal forms, which neither changes.
        self._plain_morph = (
            _plain_analyzer() if mode in ("pymorphy3", "pymorphy3_lookup") else None
        )

    def __call__(self, doc: Doc) -> Doc:
        if not self._validated:
            self._validate_tables()
        n = len(doc)
        if n == 0:
            return doc
        array = doc.to_array([ORTH, POS, MORPH, LEMMA])
        if not array[:, 1:].any():
            # blank pipeline: no POS, no morphology, no lemma yet -> key on ORTH alone
            # (the memo key (orth, 0, 0) written as orth)
            orths = array[:, 0].tolist()
            lemmas = list(map(self._orth_memo.get, orths))
            if None in lemmas:
                for i, value in enumerate(lemmas):
                    if value is None:
                        lemmas[i] = self._miss(doc, i, orths[i], 0, 0, key=orths[i], memo=self._orth_memo)
        else:
            lemmas = []
            for i, (orth, pos, morph, lemma) in enumerate(array.tolist()):
                if lemma and not self.overwrite:
                    lemmas.append(lemma)
                    continue
                value = self.memo.get((orth, pos, morph))
                if value is None:
                    value = self._miss(doc, i, orth, pos, morph, key=(orth, pos, morph), memo=self.memo)
                lemmas.append(value)
        doc.from_array([LEMMA], np.asarray(lemmas, dtype=np.uint64).reshape(-1, 1))
        return doc

    @property
    def n_cached(self) -> int:
        """Number of memo entries."""
        return len(self.memo) + len(self._orth_memo)

    def clear_cache(self) -> None:
        """Empty the memo (lemmas do not change; for benchmarks and memory)."""
        self.memo.clear()
        self._orth_memo.clear()

    def _miss(self, doc: Doc, i: int, orth: int, pos: int, morph: int, *, key, memo: dict) -> int:
        strings = self.vocab.strings
        if self._plain_morph is not None and (
            self.mode == "pymorphy3_lookup" or pos not in _FULL_PATH_POS
        ):
            value = strings.add(self._lookup(strings[orth]))
        else:
            value = strings.add(self.lemmatize(doc[i])[0])
        if self.n_cached >= self.max_cache:
            self.clear_cache()
        memo[key] = value
        return value

    def _lookup(self, string: str) -> str:
        """``RussianLemmatizer._pymorphy_lookup_lemmatize`` on a string."""
        normal_forms = {parse[2] for parse in self._plain_morph.parse(string)}
        if len(normal_forms) == 1:
            return next(iter(normal_forms))
        return string


@lru_cache(maxsize=1)
def _plain_analyzer():
    from pymorphy3 import MorphAnalyzer

    return MorphAnalyzer(lang="ru", result_type=None, probability_estimator_cls=None)


# POS ids for which the stock component does more than the normal-form look-up
# (``RussianLemmatizer._pymorphy_lemmatize``): punctuation rules and the POS-filtered path.
_FULL_PATH_POS = frozenset(
    IDS[name] for name in ("PUNCT", "ADJ", "DET", "NOUN", "NUM", "PRON", "PROPN", "VERB")
)


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
