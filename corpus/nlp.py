"""Tokens, lemmas and bags of words, built offline.

Pipelines per language (:func:`make_pipeline`):

- ``ru``: blank ``ru`` + the memoising pymorphy3 lemmatizer
  (:mod:`qualquant.corpus.lemmatizer`), lemmas identical to spaCy's stock ``lemmatizer``
  in mode ``pymorphy3``;
- ``en``: blank ``en`` + the lookup lemmatizer (tables from spacy-lookups-data);
- anything else (Kazakh included): spaCy's multi-language tokenizer with
  lower-cased forms as lemmas;
- or an installed trained spaCy pipeline, when the user names one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from qualquant.corpus.errors import LanguagePipelineError
from qualquant.corpus.language import detect_language
from qualquant.corpus.lemmatizer import LOWERCASE_LEMMATIZER, RU_LEMMATIZER
from qualquant.corpus.model import Transcript

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = [
    "BowBuilder",
    "BowCorpus",
    "FILLERS",
    "build_bow",
    "content_lemmas",
    "detect_language",
    "lemmas_and_tokens",
    "make_pipeline",
    "segment_lemmas",
    "stop_words",
]

#: Interview fillers per language, added to spaCy's stop words. Phrases are
#: removed as token sequences.
FILLERS: dict[str, frozenset[str]] = {
    "ru": frozenset(
        {
            "ну",
            "вот",
            "как бы",
            "типа",
            "короче",
            "это самое",
            "значит",
            "собственно",
            "в общем",
            "вообще",
            "вообще-то",
            "блин",
            "ладно",
            "так сказать",
            "получается",
            "это",
            "угу",
            "ага",
            "мм",
            "ммм",
            "эм",
            "эмм",
            "э",
            "ээ",
            "эээ",
            "хм",
            "ой",
            "да",
            "нет",
            "ок",
            "окей",
            "слушай",
            "слушайте",
            "понимаешь",
            "понимаете",
            "знаешь",
            "знаете",
            "скажем",
            "допустим",
            "наверное",
            "просто",
            "реально",
            "прям",
            "чисто",
            "какой-то",
            "как-то",
            "что-то",
            "кто-то",
            "где-то",
            "вроде",
            "вроде бы",
            # verbs of speaking and knowing that frame almost every answer ("я говорю", "не знаю",
            # "мне кажется"); as lemmas they dominate topic models without telling topics apart
            "говорить",
            "сказать",
            "рассказать",
            "рассказывать",
            "знать",
            "думать",
            "казаться",
            "спросить",
            "спрашивать",
            # evaluative fillers and counting words ("честно", "нормально", "раз", "день", "неделя")
            # that mark time and frequency in every story rather than what it is about
            "честно",
            "нормально",
            "конечно",
            "раз",
            "день",
            "неделя",
            "месяц",
            "год",
            "лет",  # the genitive plural of "год" ("пять лет"), which the lemmatizer keeps as its own lemma
            # function words missing from spaCy's Russian list: particles, prepositions,
            # conjunctions and pronominal adverbs ("ни копейки", "против", "сюда", "всё равно")
            "ни",
            "ль",
            "пускай",
            "небось",
            "дескать",
            "давай",
            "давайте",
            "всё-таки",
            "все-таки",
            "то-то",
            "ну-ка",
            "ну-ну",
            "неа",
            "прямо",
            "против",
            "возле",
            "вдоль",
            "внутри",
            "насчёт",
            "вследствие",
            "ввиду",
            "путём",
            "подле",
            "позади",
            "впереди",
            "поперёк",
            "из-за",
            "из-под",
            "ото",
            "изо",
            "обо",
            "подо",
            "предо",
            "безо",
            "причём",
            "причем",
            "словно",
            "нежели",
            "абы",
            "сюда",
            "некого",
            "кое-что",
            "кое-кто",
            "кое-где",
            "кое-как",
            "нипочём",
            "итого",
            "всё равно",
            "все равно",
            "в основном",
            "как раз",
            "то есть",
            "в смысле",
        }
    ),
    "en": frozenset(
        {
            "um",
            "uh",
            "uhm",
            "erm",
            "er",
            "hmm",
            "mm",
            "yeah",
            "yes",
            "okay",
            "ok",
            "like",
            "you know",
            "i mean",
            "kind of",
            "sort of",
            "basically",
            "actually",
            "really",
            "well",
            "right",
            "so",
            "just",
            "literally",
        }
    ),
    "kk": frozenset(
        {
            "енді",
            "яғни",
            "әлгі",
            "мына",
            "ғой",
            "қой",
            "ой",
            "иә",
            "жоқ",
            "да",
            "де",
            "сонымен",
            "негізі",
            "бәлкім",
        }
    ),
}

_MARK_RE = re.compile(r"\[[^\[\]\n]{0,80}\]|\{[^{}\n]{0,80}\}|<[^<>\n]{0,80}>")


def make_pipeline(language: str, *, model: str | None = None) -> Language:
    """Return a new spaCy ``Language`` for ``language``.

    Parameters
    ----------
    language : str
        ``"ru"``, ``"en"``, ``"kk"`` or another code.
    model : str, optional
        Name or path of an installed trained spaCy pipeline to use instead.

    Returns
    -------
    spacy.language.Language
        Initialised and ready; nothing is downloaded.

    Raises
    ------
    LanguagePipelineError
        If ``model`` is not installed or English lookup tables are missing.

    Examples
    --------
    >>> nlp = make_pipeline("ru")
    >>> [t.lemma_ for t in nlp("Друзьями")]
    ['друг']
    """
    import spacy

    if model:
        try:
            return spacy.load(model)
        except OSError:
            raise LanguagePipelineError(
                f"spaCy pipeline {model!r} is not installed. Install it (python -m spacy download "
                f"{model}) or leave out the model to use the built-in {language!r} pipeline."
            ) from None
    if language == "ru":
        nlp = spacy.blank("ru")
        nlp.add_pipe(RU_LEMMATIZER)
    elif language == "en":
        nlp = spacy.blank("en")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        try:
            nlp.initialize()
        except (ValueError, ImportError, OSError) as exc:
            raise LanguagePipelineError(
                "English lemmas need the spacy-lookups-data package: pip install "
                f"'qualquant[en]' (or spacy-lookups-data). ({exc})"
            ) from None
        return nlp
    else:
        nlp = spacy.blank("xx")
        nlp.add_pipe(LOWERCASE_LEMMATIZER)
    nlp.initialize()
    return nlp


@lru_cache(maxsize=8)
def shared_pipeline(language: str) -> Language:
    """Return one cached pipeline per language (its lemma memo is shared)."""
    return make_pipeline(language)


def stop_words(language: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Return the stop words for ``language``: spaCy's list, interview fillers, and ``extra``.

    Parameters
    ----------
    language : str
        Language code; unknown languages get only ``extra``.
    extra : iterable of str
        User additions (words or phrases), lower-cased.

    Returns
    -------
    frozenset of str
        Lower-case words and multi-word phrases.

    Examples
    --------
    >>> sw = stop_words("ru", extra=["миграция"])
    >>> {"ну", "как бы", "и", "миграция"} <= sw
    True
    """
    return _base_stop_words(language) | frozenset(" ".join(w.lower().split()) for w in extra)


@lru_cache(maxsize=16)
def _base_stop_words(language: str) -> frozenset[str]:
    words: set[str] = set()
    try:
        import importlib

        module = importlib.import_module(f"spacy.lang.{language}.stop_words")
        words |= {w.lower() for w in module.STOP_WORDS}
    except ModuleNotFoundError:
        pass
    words |= FILLERS.get(language, frozenset())
    return frozenset(words)


def _mask_marks(text: str) -> str:
    """Blank out transcriber marks and placeholders (``[смеётся]``, ``[NAME_1]``), same length."""
    return _MARK_RE.sub(lambda m: " " * len(m.group(0)), text)


def _content(doc: Doc, stops: frozenset[str], phrases: tuple[tuple[str, ...], ...]) -> tuple[list[str], list[str]]:
    lowers = [t.lower_ for t in doc]
    drop = [False] * len(lowers)
    for phrase in phrases:
        size = len(phrase)
        for i in range(len(lowers) - size + 1):
            if lowers[i] == phrase[0] and tuple(lowers[i : i + size]) == phrase:
                for j in range(i, i + size):
                    drop[j] = True
    lemmas, tokens = [], []
    for i, token in enumerate(doc):
        if drop[i] or not token.is_alpha or token.like_num:  # numerals ("двадцать", "тысяча") are not content
            continue
        lemma = token.lemma_.lower()
        if len(lemma) < 2 or lemma in stops or lowers[i] in stops:
            continue
        lemmas.append(lemma)
        tokens.append(token.text)
    return lemmas, tokens


def _phrases(stops: frozenset[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted((tuple(s.split()) for s in stops if " " in s), key=len, reverse=True))


def lemmas_and_tokens(
    texts: Iterable[str], language: str, extra_stop_words: Iterable[str] = ()
) -> Iterator[tuple[list[str], list[str]]]:
    """Yield ``(content lemmas, their surface forms)`` per text, aligned token for token.

    The same filtering as :func:`content_lemmas`; the surface forms let a topic
    model show the words as respondents said them.
    """
    nlp = shared_pipeline(language)
    stops = stop_words(language, extra_stop_words)
    phrases = _phrases(stops)
    for doc in nlp.pipe(_mask_marks(t) for t in texts):
        yield _content(doc, stops, phrases)


def content_lemmas(texts: Iterable[str], language: str, *, extra_stop_words: Iterable[str] = ()) -> list[list[str]]:
    """Return the content-word lemmas of each text.

    Parameters
    ----------
    texts : iterable of str
        Texts (segment texts, answers, ...).
    language : str
        Language code for :func:`make_pipeline`.
    extra_stop_words : iterable of str
        Words or phrases to drop as well.

    Returns
    -------
    list of list of str
        Per text: lower-cased lemmas of alphabetic tokens of at least two
        characters that are not stop words (by surface form or lemma, see
        :func:`stop_words`; filler phrases such as ``как бы`` are removed as a
        whole), with transcriber marks and placeholders in square, curly or angle
        brackets (``[смеётся]``, ``[NAME_1]``) left out.

    Notes
    -----
    The pipeline is shared per language, so its lemma memo makes repeated word
    forms cost a dictionary look-up.

    Examples
    --------
    >>> content_lemmas(["Ну, мы с друзьями [смеётся] как бы искали квартиру."], "ru")
    [['друг', 'искать', 'квартира']]
    """
    return [lemmas for lemmas, _ in lemmas_and_tokens(texts, language, extra_stop_words)]


def segment_lemmas(
    corpus: Iterable[Transcript],
    *,
    roles: Sequence[str] | None = ("participant",),
    extra_stop_words: Iterable[str] = (),
) -> pd.DataFrame:
    """Return the content lemmas of every segment with one of ``roles``.

    Parameters
    ----------
    corpus : Corpus or iterable of Transcript
        Transcripts; each uses its own ``language``.
    roles : sequence of str or None
        Segment roles to keep (None keeps all).
    extra_stop_words : iterable of str
        Added to every language's stop words.

    Returns
    -------
    pandas.DataFrame
        Columns ``segment_id``, ``transcript_id``, ``lemmas`` (list of str) and
        ``tokens`` (list of the surface forms the lemmas come from, aligned), one
        row per segment in corpus order (segments without content words keep
        empty lists). Lists in cells are the one allowed exception for token data.
    """
    extra = tuple(extra_stop_words)
    rows: list[tuple[str, str, list[str], list[str]]] = []
    for transcript in corpus:
        segments = [s for s in transcript.segments if roles is None or s.role in roles]
        results = lemmas_and_tokens((s.text for s in segments), transcript.language, extra)
        for seg, (lemmas, tokens) in zip(segments, results):
            rows.append((seg.segment_id, seg.transcript_id, lemmas, tokens))
    frame = pd.DataFrame.from_records(rows, columns=["segment_id", "transcript_id", "lemmas", "tokens"])
    for column in ("lemmas", "tokens"):
        frame[column] = frame[column].astype(object)
    return frame


class BowCorpus:
    """A re-iterable bag-of-words corpus over compact per-document id arrays.

    Each document is stored once as two ``int32`` arrays (distinct token ids of
    the unfiltered vocabulary and their counts); iteration maps them to the
    filtered :class:`gensim.corpora.Dictionary` ids and yields gensim's
    ``[(token_id, count), ...]`` lists sorted by id. Token strings are not kept.
    """

    def __init__(self, docs: list[tuple[np.ndarray, np.ndarray]], remap: np.ndarray) -> None:
        self._docs = docs
        self._remap = remap

    def __len__(self) -> int:
        return len(self._docs)

    def __getitem__(self, i: int) -> list[tuple[int, int]]:
        ids, counts = self._docs[i]
        new = self._remap[ids] if len(ids) else ids
        keep = new >= 0
        order = np.argsort(new[keep], kind="stable")
        return list(zip(new[keep][order].tolist(), counts[keep][order].tolist()))

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        for i in range(len(self._docs)):
            yield self[i]


class BowBuilder:
    """Build a gensim ``Dictionary`` and bag-of-words corpus in one streaming pass.

    Parameters
    ----------
    no_below : int
        Keep tokens in at least this many documents.
    no_above : float
        Keep tokens in at most this share of documents.
    keep_n : int or None
        Keep at most this many most frequent tokens (None: no limit).

    Notes
    -----
    Documents are consumed one at a time (any iterable, including a generator);
    each is converted to ids immediately, so the token lists are never held
    twice. Filtering (:meth:`gensim.corpora.Dictionary.filter_extremes`) happens
    in :meth:`build`; documents left without tokens stay as empty bags so rows
    stay aligned with the input.

    Examples
    --------
    >>> builder = BowBuilder(no_below=1, no_above=1.0)
    >>> builder.add_documents([["дом", "работа"], ["дом", "дом"]])
    >>> dictionary, bow = builder.build()
    >>> [sorted((dictionary[i], n) for i, n in doc) for doc in bow]
    [[('дом', 1), ('работа', 1)], [('дом', 2)]]
    """

    def __init__(self, *, no_below: int = 2, no_above: float = 0.5, keep_n: int | None = None) -> None:
        from gensim.corpora import Dictionary

        self.no_below = no_below
        self.no_above = no_above
        self.keep_n = keep_n
        self._dictionary = Dictionary()
        self._docs: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, doc: Sequence[str]) -> None:
        """Add one document (a sequence of tokens)."""
        if isinstance(doc, str):
            raise TypeError("A document must be a sequence of tokens, not a string.")
        bow = self._dictionary.doc2bow(list(doc), allow_update=True)
        ids = np.fromiter((i for i, _ in bow), dtype=np.int32, count=len(bow))
        counts = np.fromiter((n for _, n in bow), dtype=np.int32, count=len(bow))
        self._docs.append((ids, counts))

    def add_documents(self, docs: Iterable[Sequence[str]]) -> None:
        """Add documents one by one."""
        for doc in docs:
            self.add(doc)

    def build(self) -> tuple[Any, BowCorpus]:  # (gensim Dictionary, BowCorpus); gensim has no type information
        """Filter the vocabulary and return ``(dictionary, bow_corpus)``.

        Returns
        -------
        (gensim.corpora.Dictionary, BowCorpus)
            The filtered dictionary and a re-iterable corpus aligned with the input
            documents.
        """
        dictionary = self._dictionary
        old_tokens = {i: token for token, i in dictionary.token2id.items()}
        size = max(old_tokens, default=-1) + 1
        kwargs: dict[str, float | None] = {"no_below": self.no_below, "no_above": self.no_above}
        if self.keep_n is not None:
            kwargs["keep_n"] = self.keep_n
        else:
            kwargs["keep_n"] = None
        dictionary.filter_extremes(**kwargs)
        remap = np.full(size, -1, dtype=np.int64)
        for old_id, token in old_tokens.items():
            new_id = dictionary.token2id.get(token)
            if new_id is not None:
                remap[old_id] = new_id
        return dictionary, BowCorpus(self._docs, remap)


def build_bow(
    docs_iterable: Iterable[Sequence[str]], *, no_below: int = 2, no_above: float = 0.5, keep_n: int | None = None
) -> tuple[Any, BowCorpus]:
    """Return ``(gensim Dictionary, streamed bag-of-words corpus)`` for token lists.

    See :class:`BowBuilder` for the parameters and the memory behaviour.
    """
    builder = BowBuilder(no_below=no_below, no_above=no_above, keep_n=keep_n)
    builder.add_documents(docs_iterable)
    return builder.build()
