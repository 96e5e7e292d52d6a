"""spaCy components for lemmas without downloads.

``qualquant_ru_lemmatizer`` is spaCy's Russian pymorphy3 lemmatizer
(``spacy/lang/ru/lemmatizer.py``) with memos and a cheaper analysis of each new
word form; its lemmas are identical to the stock component's, token for token.
``qualquant_lowercase_lemmatizer`` sets each lemma to the lower-cased form (the
fallback for Kazakh and other languages without an offline lemmatizer).

Why the Russian lemmas are identical
------------------------------------
The stock component reads ``token.text``, ``token.pos_`` and ``token.morph``
and nothing else. When the part of speech is not one of ``PUNCT ADJ DET NOUN
NUM PRON PROPN VERB`` (always so in a blank pipeline, where it is empty) it
takes the *look-up path*: the set of normal forms of pymorphy3's analyses of
the text; one distinct form is the lemma, otherwise the text itself is.
pymorphy3's ``MorphAnalyzer.parse(word)`` (pymorphy3 2.x) runs the analyzer
units of ``pymorphy3.lang.ru.DEFAULT_UNITS`` in order on ``(word,
word.lower())``, stops after the first group of units that found something,
and finally re-ranks the parses by probability, which re-orders and re-scores
them but never adds or drops one. Hence:

1. **One analysis per form.** The look-up lemma depends on the text only, so
   it is memoised per ``ORTH``. Tokens on the full path are memoised per
   ``(ORTH, POS, MORPH)`` and computed by the stock code.
2. **Case variants share one analysis.** Every unit works on ``word.lower()``
   except five checks on the original ``word``: the initials units (``word``
   is one capital letter of ``АБВ...Я``), the number unit (``int(word)`` /
   ``float(word)``), the punctuation, Roman-number and Latin shape tests, and
   the known-suffix unit's ``len(word) >= 4``. For a word of two or more
   characters, all ASCII or basic Cyrillic (``А-я Ёё``), none of these depends
   on case: ``lower()`` changes only letters there and keeps the length;
   ``int`` rejects letters; ``float``, the Roman-number pattern
   (``re.IGNORECASE``) and the Latin test are case-blind on these letters; a
   letter is never punctuation; no such word is a single initial. Two such
   spellings of one lower-case form therefore have the same normal forms and
   share the result: the normal form when it is unique, else a marker that
   sends each token back to its own text, as the stock fallback ``return
   [string]`` does. Other words (one character, other scripts) are analysed
   under their own text.
3. **Dictionary words skip the analyzer.** The first unit group is the
   dictionary plus the two initials units, and the initials units only answer
   a word that is one of their letters. For any other word the dictionary
   knows, the analysis is exactly the dictionary's entries, so the normal
   forms are built straight from ``words.similar_items(word.lower(),
   char_substitutes)`` (the unit's own call) with the arithmetic of
   ``Dictionary.build_normal_form``, without tags, ``Parse`` tuples or
   re-ranking, stopping at the second distinct form.
4. **Other words run the units directly.** A word the dictionary does not know
   goes through the analyzer's own bound units in order, as ``parse`` does,
   without the final re-ranking and stopping at a second distinct normal form
   (results only accumulate, so the answer is then known). The units' inner
   ``parse`` calls on sub-words (prefix and hyphen units) are those of a
   ``MorphAnalyzer(result_type=None)``, which keeps the probability estimator,
   so sub-word parses come in the stock order. A word of basic Cyrillic letters
   only (no hyphen) starts at the known-prefix unit: the initials, number,
   punctuation, Roman, Latin and hyphen units between cannot answer it (no
   single letter, no digit, no hyphen, a letter that is not Latin).

The component checks at start-up that the analyzer's units are the ones this
reasoning is about; with any other pymorphy3 configuration it keeps only the
per-form memo over the complete analysis. The tests compare every token of the
demo corpus, dictionary forms in three letter cases, and random strings with
the stock component.

Lemma strings are added to the vocabulary's string store as ``token.lemma_ =
...`` does; entries memoised inside an ``nlp.memory_zone()`` are dropped when
the zone ends, because their strings may be freed with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from itertools import islice
from typing import Any

import numpy as np
import pandas as pd
from spacy.attrs import LEMMA, LOWER, MORPH, ORTH, POS
from spacy.lang.ru import Russian
from spacy.lang.ru.lemmatizer import RussianLemmatizer
from spacy.language import Language
from spacy.symbols import IDS
from spacy.tokens import Doc
from spacy.util import minibatch
from spacy.vocab import Vocab
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
# Words that start at the known-prefix unit when the dictionary misses them (point 4).
_PLAIN_CYRILLIC = re.compile(r"[\u0401\u0410-\u044f\u0451]{2,}").fullmatch
# Marker in the per-lower-case-form memo: "no unique normal form, use the token's own text".
_OWN_TEXT = -1
# The unit layout of pymorphy3.lang.ru.DEFAULT_UNITS the reasoning is about:
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
_KNOWN_PREFIX_UNIT = 10


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
        component; the stock component's other modes work with a plain memo.
    overwrite : bool
        Replace lemmas that are already set (stock semantics).
    scorer : callable, optional
        Passed to spaCy's lemmatizer.
    max_cache : int
        The memos are emptied when they hold more entries than this (bounded
        memory on very large corpora); lemmas do not depend on it.

    Attributes
    ----------
    n_analysed : int
        Word forms analysed on the look-up path so far; case variants that
        shared an analysis count once (for benchmarks and tests).

    Notes
    -----
    See the module docstring for why every lemma equals the stock component's.
    Like the stock component with ``overwrite=False``, a token whose lemma is
    already set keeps it. Tokens are read and written in bulk
    (``Doc.to_array`` / ``Doc.from_array``), a batch of ``nlp.pipe`` at a time.
    The memos belong to the component: a new pipeline starts empty.
    """

    def __init__(
        self,
        vocab: Vocab,
        model: Model | None,
        name: str = RU_LEMMATIZER,
        *,
        mode: str = "pymorphy3",
        overwrite: bool = False,
        scorer: Callable | None = None,
        max_cache: int = 2_000_000,
    ) -> None:
        fast = mode in ("pymorphy3", "pymorphy3_lookup")
        if fast:
            # the stock __init__ keeps an existing analyzer: share the loaded dictionaries
            self._morph = _analyzer("parse")
        super().__init__(vocab, model, name, mode=mode, overwrite=overwrite, scorer=scorer)
        self.max_cache = max_cache
        self.memo: dict[tuple[int, int, int], int] = {}  # (orth, pos, morph) -> lemma, full path
        # look-up path: sorted ORTH hashes with their lemma hashes alongside
        self._keys: np.ndarray = np.empty(0, dtype=np.uint64)
        self._values: np.ndarray = np.empty(0, dtype=np.uint64)
        self._forms: dict[str, tuple[int, str]] = {}  # lower -> (lemma or _OWN_TEXT, spelling)
        self._hashes: dict[str, int] = {}  # normal form -> string-store hash
        self._generation = 0  # counts clear_cache() calls (memory zones)
        self.n_analysed = 0
        self._analyzer = _analyzer("tuple") if fast else None
        self._dictionary_first = False
        if self._analyzer is not None and _units_as_expected(self._analyzer):
            dictionary = self._analyzer.dictionary
            self._similar_items = dictionary.words.similar_items
            self._substitutes = self._analyzer.char_substitutes
            self._paradigms = dictionary.paradigms
            self._suffixes = dictionary.suffixes
            self._prefixes = dictionary.paradigm_prefixes
            units = self._analyzer._units
            self._shape_units = units[1:]  # the dictionary unit has already answered []
            self._analogy_units = units[_KNOWN_PREFIX_UNIT:]
            self._initials = frozenset().union(*(unit.analyzer._letters_set for unit in units[1:3]))
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

        If a batch fails, its docs are redone one by one so that the pipeline's
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

    @contextmanager
    def memory_zone(self, mem: object = None) -> Iterator[object]:
        """Forget, at the end of an ``nlp.memory_zone()``, what was memoised inside it.

        Strings added inside a zone are transient; a memoised lemma hash whose
        string is gone would not resolve. Entries from before the zone stay.
        """
        saved = (self._generation, self._keys, self._values, len(self.memo), len(self._forms), len(self._hashes))
        try:
            yield mem
        finally:
            generation, keys, values, *sizes = saved
            if generation != self._generation:  # emptied inside the zone
                self.clear_cache()
            else:
                self._keys, self._values = keys, values
                tables: tuple[dict[Any, Any], ...] = (self.memo, self._forms, self._hashes)
                for table, size in zip(tables, sizes):
                    for key in list(islice(table, size, None)):
                        del table[key]

    def _lemmatize(self, docs: list[Doc]) -> None:
        docs = [doc for doc in docs if len(doc)]
        if not docs:
            return
        arrays = [doc.to_array([ORTH, POS, LEMMA]) for doc in docs]
        array = arrays[0] if len(arrays) == 1 else np.concatenate(arrays)
        if self._analyzer is not None and not np.count_nonzero(array[:, 1:]):
            # blank pipeline (no POS, no lemma yet): every token takes the look-up path
            lemmas = self._lookup(array[:, 0]).reshape(-1, 1)
            start = 0
            for doc in docs:
                end = start + len(doc)
                doc.from_array([LEMMA], lemmas[start:end])  # type: ignore[arg-type]  # see _lowercase_lemmas
                start = end
        else:
            for doc, doc_array in zip(docs, arrays):
                lemma_column = self._doc_lemmas(doc, doc_array).reshape(-1, 1)
                doc.from_array([LEMMA], lemma_column)  # type: ignore[arg-type]  # see _lowercase_lemmas

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

        A batch is reduced to its distinct forms (one hash-table pass); those
        are found in the sorted memo with one vectorised search, and only forms
        not seen before reach Python.
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
        """Look-up path lemma hashes of forms (``ORTH`` hashes) not memoised yet.

        Points 2-4 of the module docstring; the case-blind check runs only when
        a second spelling of a lower-case form turns up. This loop is where a
        new corpus spends its time, so the dictionary look-up is inlined.
        """
        strings = self.vocab.strings
        forms, hashes = self._forms, self._hashes
        full = not self._dictionary_first
        if not full:
            similar_items, substitutes = self._similar_items, self._substitutes
            paradigms, suffixes, prefixes = self._paradigms, self._suffixes, self._prefixes
            initials = self._initials
        lemmas: list[int] = []
        analysed = 0
        value: int | None  # a lemma hash, _OWN_TEXT, or None while not known yet
        normal_form: str | None
        for orth in orths:
            text = strings[orth]
            lower = text.lower()
            entry = forms.get(lower)
            if entry is not None and not full and _CASE_BLIND(text) and _CASE_BLIND(entry[1]):
                value = entry[0]
            else:
                analysed += 1
                value = normal_form = None
                if full or text in initials:
                    normal_form = self._full_normal_form(text)
                else:
                    for fixed_word, parses in similar_items(lower, substitutes):
                        for para_id, idx in parses:
                            if idx:  # Dictionary.build_normal_form(para_id, idx, fixed_word)
                                paradigm = paradigms[para_id]
                                size = len(paradigm) // 3
                                form = (
                                    prefixes[paradigm[2 * size]]
                                    + fixed_word[
                                        len(prefixes[paradigm[2 * size + idx]]) : len(fixed_word)
                                        - len(suffixes[paradigm[idx]])
                                    ]
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
                        units = self._analogy_units if _PLAIN_CYRILLIC(text) else self._shape_units
                        normal_form = self._parse_normal_form(text, lower, units)
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
        self.n_analysed += analysed
        return lemmas

    def _full_normal_form(self, word: str) -> str | None:
        """The one normal form of ``word`` by a complete pymorphy3 analysis, or None."""
        if self._analyzer is None:
            raise RuntimeError(f"{self.name}: a complete analysis needs pymorphy3 (mode {self.mode!r} has none).")
        normal_forms = {parse[2] for parse in self._analyzer.parse(word)}
        return normal_forms.pop() if len(normal_forms) == 1 else None

    @staticmethod
    def _parse_normal_form(word: str, word_lower: str, units: Sequence[tuple[Any, bool]]) -> str | None:
        """``MorphAnalyzer.parse`` over ``units``, reduced to its one normal form or None."""
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
        """Number of memoised forms (look-up path) and ``(form, POS, MORPH)`` keys."""
        return len(self.memo) + len(self._keys)

    def clear_cache(self) -> None:
        """Empty the memos (lemmas do not change; for benchmarks and memory)."""
        self.memo.clear()
        self._keys = np.empty(0, dtype=np.uint64)
        self._values = np.empty(0, dtype=np.uint64)
        self._forms.clear()
        self._hashes.clear()
        self._generation += 1

    def _trim(self) -> None:
        if len(self.memo) + len(self._keys) + len(self._forms) > self.max_cache:
            self.clear_cache()


@lru_cache(maxsize=2)
def _analyzer(kind: str) -> Any:  # a pymorphy3.MorphAnalyzer (pymorphy3 has no type information)
    """One loaded pymorphy3 analyzer per result type (its dictionaries are read-only)."""
    from pymorphy3 import MorphAnalyzer

    if kind == "tuple":
        return MorphAnalyzer(lang="ru", result_type=None)
    return MorphAnalyzer(lang="ru")


def _units_as_expected(analyzer: Any) -> bool:
    """True if ``analyzer`` runs exactly the unit layout the module docstring reasons about."""
    layout = tuple((type(unit.analyzer).__name__, unit.is_terminal) for unit in analyzer._units)
    return (
        layout == _EXPECTED_UNITS
        and all(type(u.analyzer).__module__.startswith("pymorphy3.units.") for u in analyzer._units)
        and analyzer.lang == "ru"
        and all(hasattr(u.analyzer, "_letters_set") for u in analyzer._units[1:3])
    )


def _make_ru(
    nlp: Language, model: Model | None, name: str, mode: str, overwrite: bool, max_cache: int
) -> MemoRussianLemmatizer:
    return MemoRussianLemmatizer(nlp.vocab, model, name, mode=mode, overwrite=overwrite, max_cache=max_cache)


def _lowercase_lemmas(doc: Doc) -> Doc:
    if len(doc):
        lemmas = doc.to_array([LOWER, LEMMA])
        keep = lemmas[:, 1] != 0
        lemmas[keep, 0] = lemmas[keep, 1]
        # spaCy's stubs name thinc's Ints2d (a typing-only class no numpy array is an instance of)
        # and type to_array's result as float64 (it is uint64); any 2-D numpy array of hashes is right.
        doc.from_array([LEMMA], lemmas[:, :1].copy())  # type: ignore[arg-type]
    return doc


def register() -> None:
    """Register the components with spaCy (idempotent)."""
    if not Russian.has_factory(RU_LEMMATIZER):
        Russian.factory(
            RU_LEMMATIZER,
            assigns=["token.lemma"],
            default_config={"model": None, "mode": "pymorphy3", "overwrite": False, "max_cache": 2_000_000},
        )(_make_ru)
    if not Language.has_factory(LOWERCASE_LEMMATIZER):
        Language.component(LOWERCASE_LEMMATIZER, assigns=["token.lemma"])(_lowercase_lemmas)


register()
