"""spaCy components for lemmas without downloads.

``qualquant_ru_lemmatizer`` is spaCy's Russian pymorphy3 lemmatizer
(``spacy/lang/ru/lemmatizer.py``) with memos and a cheaper analysis of each new
word form; its lemmas are identical to the stock component token for token.
``qualquant_lowercase_lemmatizer`` sets each lemma to the lower-cased form (the
fallback for Kazakh and other languages without an offline lemmatizer).

Why the Russian lemmas are identical
------------------------------------
The stock component reads ``token.text``, ``token.pos_`` and ``token.morph``
and nothing else. When the part of speech is not one of ``PUNCT ADJ DET NOUN
NUM PRON PROPN VERB`` (always so in a blank pipeline, where it is empty) it
takes the *look-up path*: the set of pymorphy3 normal forms of the text; one
distinct form is the lemma, otherwise the text itself is. Everything here
follows from pymorphy3's ``MorphAnalyzer.parse(word)`` (pymorphy3 2.x), which
runs the analyzer units of ``pymorphy3.lang.ru.DEFAULT_UNITS`` in order on
``(word, word.lower())`` and stops after the first group of units that found
something:

1. **Memo per form.** The look-up lemma depends on the text only, so it is
   cached per ``ORTH``. Tokens on the full path are cached per
   ``(ORTH, POS, MORPH)`` and computed by the stock code.
2. **Case variants share one analysis.** Every unit works on ``word.lower()``
   except five checks on the original ``word``: the initials units
   (``word`` is one capital letter of ``АБВ...Я``), the number unit
   (``int(word)`` / ``float(word)``), the punctuation, Roman-number and Latin
   shape tests, and the known-suffix unit's ``len(word) >= 4``. For a word of
   two or more characters, all ASCII or basic Cyrillic (``А-я Ёё``), none of
   these depends on case: ``lower()`` changes only letters there and keeps the
   length; ``int`` rejects letters, ``float``, the Roman-number pattern
   (``re.IGNORECASE``) and the Latin test are case-blind, and a letter is never
   punctuation. Such words share one entry keyed on ``word.lower()``: the
   normal form when it is unique, else a marker that sends each token back to
   its own text, as the stock fallback ``return [string]`` does. Other words
   (one letter, other scripts) are analysed under their exact text.
3. **Dictionary words skip the analyzer.** The first unit group is the
   dictionary plus the two initials units, and the initials units only answer
   a word that is one of their letters. For any other word that the dictionary
   knows, the analysis is exactly the dictionary's entries, so the normal
   forms are built straight from ``words.similar_items(word.lower(),
   char_substitutes)`` with the dictionary's own ``build_normal_form``, with
   no tags, ``Parse`` tuples or probability re-ranking (which only re-orders
   and re-scores parses, never adds or drops one), stopping at the second
   distinct form. Every other word goes through a complete
   ``MorphAnalyzer.parse`` that differs from the stock one only in returning
   plain tuples (same units, same probability estimator, so the sub-word
   parses that the prefix and hyphen units reuse come in the same order).

The component checks at start-up that the analyzer's units are the ones this
reasoning is about; with any other pymorphy3 configuration it falls back to a
plain per-form memo over the complete analysis. The tests compare every token
of the demo corpus, thousands of dictionary forms in three cases, and random
strings against the stock component.
"""

from __future__ import annotations

import re
from itertools import compress, repeat
from operator import is_
from functools import lru_cache
from typing import Callable, Iterable, Iterator, Optional

import numpy as np
from spacy.attrs import LEMMA, LOWER, MORPH, ORTH, POS
from spacy.lang.ru import Russian
from spacy.lang.ru.lemmatizer import RussianLemmatizer
from spacy.language import Language
from spacy.symbols import IDS
from spacy.tokens import Doc
from spacy.util import minibatch
from thinc.api import Model

__all__ = ["LOWERCASE_LEMMATIZER", "RU_LEMMATIZER", "MemoRussianLemmatizer", "register"]

RU_LEMMATIZER = "qualquant_ru_lemmatizer"
LOWERCASE_LEMMATIZER = "qualquant_lowercase_lemmatizer"

# POS ids for which the stock component does more than the normal-form look-up
# (``RussianLemmatizer._pymorphy_lemmatize``): punctuation rules and the POS-filtered path.
_FULL_PATH_POS = frozenset(
    IDS[name] for name in ("PUNCT", "ADJ", "DET", "NOUN", "NUM", "PRON", "PROPN", "VERB")
)
# Words whose analysis does not depend on letter case (module docstring, point 2).
_CASE_BLIND = re.compile(r"[\x00-\x7f\u0401\u0410-\u044f\u0451]{2,}").fullmatch
# Words of basic Cyrillic letters only: the units between the dictionary and the
# known-prefix unit (initials, shapes, hyphens) never answer them (module docstring, point 3).
_PLAIN_CYRILLIC = re.compile(r"[\u0401\u0410-\u044f\u0451]{2,}").fullmatch
# Marker in the per-lower-case-form memo: "no unique normal form, use the token's own text".
_OWN_TEXT = -1
# The unit layout of pymorphy3.lang.ru.DEFAULT_UNITS the reasoning above is about:
# (class name, is_terminal) in order.
_EXPECTED_UNITS = (
    ("DictionaryAnalyzer", False),
    ("AbbreviatedFirstNameAnalyzer", False),
    ("AbbreviatedPatronymicAnalyzer", True),
    ("NumberAnalyzer", True),
    ("PunctuationAnalyzer", True),
    ("RomanNumberAnalyzer", False),
    ("LatinAnalyzer", True),
    ("HyphenSeparatedParticleAnalyzer", True),
    ("HyphenAdverbAnalyzer", True),
    ("HyphenatedWordsAnalyzer", True),
    ("KnownPrefixAnalyzer", True),
    ("UnknownPrefixAnalyzer", False),
    ("KnownSuffixAnalyzer", True),
    ("UnknAnalyzer", True),
)


class MemoRussianLemmatizer(RussianLemmatizer):
    """:class:`spacy.lang.ru.lemmatizer.RussianLemmatizer` with memos and a fast look-up path.

    Parameters
    ----------
    vocab : spacy.vocab.Vocab
        The pipeline's vocabulary.
    model : None
        Unused (spaCy's lemmatizer signature).
    name : str
        Component name.
    mode : str
        ``"pymorphy3"`` (default) or ``"pymorphy3_lookup"``, as for the stock
        component; other modes of the stock component work with a plain memo.
    overwrite : bool
        Replace lemmas that are already set (stock semantics).
    scorer : callable, optional
        Passed to spaCy's lemmatizer.
    max_cache : int
        The memos are emptied when they hold more entries than this (bounded
        memory on very large corpora); lemmas do not depend on it.

    Notes
    -----
    See the module docstring for why every lemma equals the stock component's.
    Like the stock component with ``overwrite=False``, a token whose lemma is
    already set keeps it. Tokens are read and written in bulk
    (``Doc.to_array`` / ``Doc.from_array``); a new lemma string is added to the
    vocabulary's string store, exactly as ``token.lemma_ = ...`` does. The memos
    belong to the component: a new pipeline starts empty.
    """

    def __init__(self, vocab, model: Optional[Model], name: str = RU_LEMMATIZER, *,
                 mode: str = "pymorphy3", overwrite: bool = False,
                 scorer: Optional[Callable] = None, max_cache: int = 2_000_000) -> None:
        fast = mode in ("pymorphy3", "pymorphy3_lookup")
        if fast:
            # the stock __init__ keeps an existing analyzer: share the loaded dictionaries
            self._morph = _analyzer("parse")
        super().__init__(vocab, model, name, mode=mode, overwrite=overwrite, scorer=scorer)
        self.max_cache = max_cache
        self.memo: dict[tuple[int, int, int], int] = {}  # (orth, pos, morph) -> lemma, full path
        self._orth_memo: dict[int, int] = {}  # orth -> lemma, look-up path
        self._form_memo: dict[str, int] = {}  # lower-case form -> lemma or _OWN_TEXT
        self._hashes: dict[str, int] = {}  # normal form -> its string-store hash
        self._analyzer = _analyzer("tuple") if fast else None
        self._dictionary_first = False
        if self._analyzer is not None and _units_as_expected(self._analyzer):
            words = self._analyzer.dictionary.words
            self._similar_items = words.similar_items
            self._substitutes = self._analyzer.char_substitutes
            dictionary = self._analyzer.dictionary
            self._paradigms = dictionary.paradigms
            self._suffixes = dictionary.suffixes
            self._prefixes = dictionary.paradigm_prefixes
            self._units = self._analyzer._units
            self._analogy_units = self._units[10:]  # from KnownPrefixAnalyzer on
            self._initials = frozenset().union(*(
                unit.analyzer._letters_set for unit in self._analyzer._units[1:3]
            ))
            self._dictionary_first = all(len(letter) == 1 for letter in self._initials)

    def __call__(self, doc: Doc) -> Doc:
        """Set the lemma of every token of ``doc`` (see the class notes)."""
        if not self._validated:
            self._validate_tables()
        error_handler = self.get_error_handler()
        try:
            self._lemmatize([doc])
            return doc
        except Exception as e:
            error_handler(self.name, self, [doc], e)

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        """Lemmatize a stream of docs in batches (``nlp.pipe`` calls this).

        A batch is read and written with one memo pass over all its tokens. If
        a batch fails, its docs are redone one by one so that the pipeline's
        error handler sees the failing doc, as with the stock component.
        """
        if not self._validated:
            self._validate_tables()
        error_handler = self.get_error_handler()
        for docs in minibatch(stream, size=batch_size):
            try:
                self._lemmatize(docs)
            except Exception:
                for doc in docs:
                    try:
                        self._lemmatize([doc])
                    except Exception as e:
                        error_handler(self.name, self, [doc], e)
                        continue
                    yield doc
                continue
            yield from docs

    def _lemmatize(self, docs: list[Doc]) -> None:
        docs = [doc for doc in docs if len(doc)]
        if not docs:
            return
        arrays = [doc.to_array([ORTH, POS, LEMMA]) for doc in docs]
        array = arrays[0] if len(arrays) == 1 else np.concatenate(arrays)
        if self._analyzer is not None and not np.count_nonzero(array[:, 1:]):
            # blank pipeline (no POS, no lemma yet): every token takes the look-up path
            self._write(docs, self._lookup_lemmas(array[:, 0].tolist()))
        else:
            for doc, doc_array in zip(docs, arrays):
                self._write([doc], self._doc_lemmas(doc, doc_array))

    @staticmethod
    def _write(docs: list[Doc], lemmas: list[int]) -> None:
        values = np.asarray(lemmas, dtype=np.uint64).reshape(-1, 1)
        start = 0
        for doc in docs:
            end = start + len(doc)
            doc.from_array([LEMMA], values[start:end])
            start = end

    def _doc_lemmas(self, doc: Doc, array: np.ndarray) -> list[int]:
        """Lemma hashes of one doc that may have POS tags or lemmas already."""
        lookup_all = self._analyzer is not None and (
            self.mode == "pymorphy3_lookup" or not np.count_nonzero(array[:, 1])
        )
        if lookup_all and (self.overwrite or not np.count_nonzero(array[:, 2])):
            return self._lookup_lemmas(array[:, 0].tolist())
        morphs = doc.to_array(MORPH).tolist()
        lemmas = []
        for i, (orth, pos, lemma) in enumerate(array.tolist()):
            if lemma and not self.overwrite:
                lemmas.append(lemma)
            elif lookup_all or (self._analyzer is not None and pos not in _FULL_PATH_POS):
                lemmas.extend(self._lookup_lemmas([orth]))
            else:
                key = (orth, pos, morphs[i])
                value = self.memo.get(key)
                if value is None:
                    value = self.memo[key] = self.vocab.strings.add(self.lemmatize(doc[i])[0])
                lemmas.append(value)
        self._trim()
        return lemmas

    def _lookup_lemmas(self, orths: list[int]) -> list[int]:
        """Look-up path lemma hashes for token ``orths``, filling the memos."""
        memo = self._orth_memo
        lemmas = list(map(memo.get, orths))
        if None not in lemmas:
            return lemmas
        strings = self.vocab.strings
        forms = self._form_memo
        hashes = self._hashes
        share = self._dictionary_first
        unique_normal_form = self._unique_normal_form
        for orth in set(compress(orths, map(is_, lemmas, repeat(None)))):
            text = strings[orth]
            if share and _CASE_BLIND(text):
                lower = text.lower()
                value = forms.get(lower)
                if value is None:
                    normal_form = unique_normal_form(text, lower)
                    if normal_form is None:
                        value = _OWN_TEXT
                    else:
                        value = hashes.get(normal_form) or hashes.setdefault(
                            normal_form, strings.add(normal_form))
                    forms[lower] = value
                memo[orth] = orth if value == _OWN_TEXT else value
            else:
                normal_form = unique_normal_form(text, text.lower())
                memo[orth] = orth if normal_form is None else strings.add(normal_form)
        lemmas = list(map(memo.__getitem__, orths))
        self._trim()
        return lemmas

    def _unique_normal_form(self, word: str, word_lower: str) -> Optional[str]:
        """The one pymorphy3 normal form of ``word``, or None if it has several."""
        if self._dictionary_first and word not in self._initials:
            first = None
            for fixed_word, parses in self._similar_items(word_lower, self._substitutes):
                for para_id, idx in parses:
                    if idx:  # Dictionary.build_normal_form, unrolled
                        paradigm = self._paradigms[para_id]
                        size = len(paradigm) // 3
                        suffix = self._suffixes[paradigm[idx]]
                        stem = fixed_word[len(self._prefixes[paradigm[2 * size + idx]]):
                                          len(fixed_word) - len(suffix)]
                        normal_form = (self._prefixes[paradigm[2 * size]] + stem
                                       + self._suffixes[paradigm[0]])
                    else:
                        normal_form = fixed_word
                    if first is None:
                        first = normal_form
                    elif normal_form != first:
                        return None
            if first is not None:
                return first
            if _PLAIN_CYRILLIC(word):
                return self._parse_normal_form(word, word_lower, self._analogy_units)
            return self._parse_normal_form(word, word_lower, self._units)
        normal_forms = {parse[2] for parse in self._analyzer.parse(word)}
        return normal_forms.pop() if len(normal_forms) == 1 else None

    def _parse_normal_form(self, word: str, word_lower: str, units) -> Optional[str]:
        """``MorphAnalyzer.parse`` reduced to its normal forms, stopping at a second one.

        The units' results only accumulate, so once two distinct normal forms
        are seen the answer is known; the final probability re-ranking is left
        out because it never changes the set. Units are the analyzer's own bound
        units, so their inner ``parse`` calls on sub-words are the stock ones.
        """
        result: list = []
        seen: set = set()
        first = None
        for unit, is_terminal in units:
            found = unit.parse(word, word_lower, seen)
            if found:
                result.extend(found)
                for parse in found:
                    if first is None:
                        first = parse[2]
                    elif parse[2] != first:
                        return None
            if is_terminal and result:
                break
        return first

    @property
    def n_cached(self) -> int:
        """Number of memo entries."""
        return len(self.memo) + len(self._orth_memo) + len(self._form_memo)

    def clear_cache(self) -> None:
        """Empty the memos (lemmas do not change; for benchmarks and memory)."""
        self.memo.clear()
        self._orth_memo.clear()
        self._form_memo.clear()
        self._hashes.clear()

    def _trim(self) -> None:
        if self.n_cached > self.max_cache:
            self.clear_cache()


@lru_cache(maxsize=2)
def _analyzer(kind: str):
    """One loaded pymorphy3 analyzer per result type (its dictionaries are read-only)."""
    from pymorphy3 import MorphAnalyzer

    if kind == "tuple":
        return MorphAnalyzer(lang="ru", result_type=None)
    return MorphAnalyzer(lang="ru")


def _units_as_expected(analyzer) -> bool:
    """True if ``analyzer`` runs exactly the unit layout the module docstring reasons about."""
    layout = tuple((type(unit.analyzer).__name__, unit.is_terminal) for unit in analyzer._units)
    return (
        layout == _EXPECTED_UNITS
        and all(type(u.analyzer).__module__.startswith("pymorphy3.units.") for u in analyzer._units)
        and analyzer.lang == "ru"
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
