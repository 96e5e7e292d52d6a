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
from functools import lru_cache
from typing import Callable, Iterable, Iterator, Optional

import numpy as np
import pandas as pd
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
_FULL_PATH_POS_IDS = np.array(
    [IDS[name] for name in ("PUNCT", "ADJ", "DET", "NOUN", "NUM", "PRON", "PROPN", "VERB")],
    dtype=np.uint64,
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
        # look-up path memo: sorted ORTH hashes and their lemma hashes
        self._keys = np.empty(0, dtype=np.uint64)
        self._values = np.empty(0, dtype=np.uint64)
        self._form_memo: dict[str, tuple[int, str]] = {}  # lower -> (lemma or _OWN_TEXT, text)
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
            lemmas = self._lookup(array[:, 0])
            start = 0
            for doc in docs:
                end = start + len(doc)
                doc.from_array([LEMMA], lemmas[start:end].reshape(-1, 1))
                start = end
        else:
            for doc, doc_array in zip(docs, arrays):
                doc.from_array([LEMMA], self._doc_lemmas(doc, doc_array).reshape(-1, 1))

    def _doc_lemmas(self, doc: Doc, array: np.ndarray) -> np.ndarray:
        """Lemma hashes of one doc that may have POS tags or lemmas already."""
        lemmas = array[:, 2].copy()
        todo = np.ones(len(lemmas), dtype=bool) if self.overwrite else lemmas == 0
        if self._analyzer is not None:
            lookup = todo.copy()
            if self.mode != "pymorphy3_lookup":
                lookup &= ~np.isin(array[:, 1], _FULL_PATH_POS_IDS)
            if lookup.any():
                lemmas[lookup] = self._lookup(array[lookup, 0])
            todo &= ~lookup
        if todo.any():
            morphs = doc.to_array(MORPH)
            strings = self.vocab.strings
            for i in np.flatnonzero(todo).tolist():
                key = (int(array[i, 0]), int(array[i, 1]), int(morphs[i]))
                value = self.memo.get(key)
                if value is None:
                    value = self.memo[key] = strings.add(self.lemmatize(doc[i])[0])
                lemmas[i] = value
            self._trim()
        return lemmas

    def _lookup(self, orths: np.ndarray) -> np.ndarray:
        """Look-up path lemma hashes for the token ``orths`` (uint64), filling the memos.

        The per-form memo is a sorted array of ``ORTH`` hashes with the lemma
        hashes alongside: a batch of tokens is reduced to its distinct forms
        (one hash-table pass), those are found with one vectorised search, and
        only forms not seen before reach Python.
        """
        codes, forms = pd.factorize(orths)
        keys, values = self._keys, self._values
        pos = np.searchsorted(keys, forms)
        if len(keys):
            np.minimum(pos, len(keys) - 1, out=pos)
            known = keys[pos] == forms
            if known.all():
                return values[pos][codes]
        else:
            known = np.zeros(len(forms), dtype=bool)
        new = forms[~known]
        new_values = np.array(self._new_lemmas(new.tolist()), dtype=np.uint64)
        lemmas = np.empty(len(forms), dtype=np.uint64)
        lemmas[known] = values[pos[known]]
        lemmas[~known] = new_values
        order = np.argsort(new)
        at = np.searchsorted(keys, new[order])
        self._keys = np.insert(keys, at, new[order])
        self._values = np.insert(values, at, new_values[order])
        self._trim()
        return lemmas[codes]

    def _new_lemmas(self, orths: list[int]) -> list[int]:
        """Look-up path lemma hashes of forms not in the per-form memo.

        Case variants share one analysis when both spellings are case-blind
        (module docstring, point 2); the check runs only when a second
        spelling of a lower-case form turns up. The dictionary part of
        :meth:`_unique_normal_form` is inlined here: this loop is where a new
        corpus spends its time.
        """
        strings = self.vocab.strings
        forms, hashes = self._form_memo, self._hashes
        if not self._dictionary_first:
            lemmas = []
            for orth in orths:
                text = strings[orth]
                normal_form = self._unique_normal_form(text, text.lower())
                lemmas.append(orth if normal_form is None else strings.add(normal_form))
            return lemmas
        similar_items, substitutes = self._similar_items, self._substitutes
        paradigms, suffixes, prefixes = self._paradigms, self._suffixes, self._prefixes
        initials = self._initials
        lemmas = []
        for orth in orths:
            text = strings[orth]
            lower = text.lower()
            entry = forms.get(lower)
            if entry is not None and _CASE_BLIND(text) and _CASE_BLIND(entry[1]):
                value = entry[0]
            else:
                value = normal_form = None
                if text not in initials:
                    for fixed_word, parses in similar_items(lower, substitutes):
                        for para_id, idx in parses:
                            if idx:  # Dictionary.build_normal_form, unrolled
                                paradigm = paradigms[para_id]
                                size = len(paradigm) // 3
                                form = (
                                    prefixes[paradigm[2 * size]]
                                    + fixed_word[len(prefixes[paradigm[2 * size + idx]]):
                                                 len(fixed_word) - len(suffixes[paradigm[idx]])]
                                    + suffixes[paradigm[0]]
                                )
                            else:
                                form = fixed_word
                            if normal_form is None:
                                normal_form = form
                            elif form != normal_form:
                                value = _OWN_TEXT
                                break
                        if value is not None:
                            break
                    if value is None and normal_form is None:  # not in the dictionary
                        normal_form = self._parse_normal_form(
                            text, lower,
                            self._analogy_units if _PLAIN_CYRILLIC(text) else self._units,
                        )
                else:
                    normal_form = self._unique_normal_form(text, lower)
                if value is None:
                    if normal_form is None:
                        value = _OWN_TEXT
                    else:
                        value = hashes.get(normal_form)
                        if value is None:
                            value = hashes[normal_form] = strings.add(normal_form)
                if entry is None:
                    forms[lower] = (value, text)
            lemmas.append(orth if value == _OWN_TEXT else value)
        return lemmas

    def _unique_normal_form(self, word: str, word_lower: str) -> Optional[str]:
        """The one pymorphy3 normal form of ``word``, or None if it has several."""
        if self._dictionary_first and word not in self._initials:
            first = None
            paradigms, suffixes, prefixes = self._paradigms, self._suffixes, self._prefixes
            for fixed_word, parses in self._similar_items(word_lower, self._substitutes):
                for para_id, idx in parses:
                    if idx:  # Dictionary.build_normal_form, unrolled
                        paradigm = paradigms[para_id]
                        size = len(paradigm) // 3
                        normal_form = (
                            prefixes[paradigm[2 * size]]
                            + fixed_word[len(prefixes[paradigm[2 * size + idx]]):
                                         len(fixed_word) - len(suffixes[paradigm[idx]])]
                            + suffixes[paradigm[0]]
                        )
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
        return len(self.memo) + len(self._keys) + len(self._form_memo)

    def clear_cache(self) -> None:
        """Empty the memos (lemmas do not change; for benchmarks and memory)."""
        self.memo.clear()
        self._keys = np.empty(0, dtype=np.uint64)
        self._values = np.empty(0, dtype=np.uint64)
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
