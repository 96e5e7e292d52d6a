"""Documents for topic models: from a corpus, a table of texts or token lists to compact arrays.

A topic model sees *documents*: participant turns (``unit="segment"``), whole
transcripts (``unit="transcript"``) or fixed-size windows of long turns
(``unit="window"``). :func:`prepare_documents` turns any of the accepted inputs
into a :class:`PreparedDocuments` in one streaming pass:

- the vocabulary and bag-of-words come from :class:`qualquant.corpus.nlp.BowBuilder`
  (gensim ``Dictionary`` filtered with ``no_below``/``no_above``);
- each document's lemma sequence is kept once, as ``int32`` ids in one
  concatenated array (needed for sliding-window coherence such as ``c_v``);
- the bag-of-words is compiled into CSR-like arrays (``indptr``, ``ids``,
  ``counts``) that :class:`ArrayBow` streams to gensim pass after pass.

Token strings are never held twice: the input is consumed one document at a
time (a generator is fine), and only integer arrays plus one vocabulary remain.
Documents left without any in-vocabulary lemma are set aside and listed in
``PreparedDocuments.dropped`` with the reason.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from qualquant.coding.errors import TopicModelError

if TYPE_CHECKING:
    from gensim.corpora import Dictionary

    from qualquant.corpus import Corpus, Transcript

__all__ = [
    "DOCUMENT_COLUMNS",
    "UNITS",
    "ArrayBow",
    "ArrayTexts",
    "PreparedDocuments",
    "documents_from_texts",
    "excerpt",
    "prepare_documents",
]

UNITS = ("segment", "transcript", "window")

#: Columns of ``PreparedDocuments.documents`` (and ``TopicModel.documents_``).
DOCUMENT_COLUMNS = ("doc_id", "transcript_id", "segment_id", "case_id", "n_tokens", "excerpt")

_EXCERPT_CHARS = 160
_BLOCK = 256  # documents converted to Python objects at a time when streaming


def excerpt(text: str | None, limit: int = _EXCERPT_CHARS) -> str:
    """Return ``text`` with whitespace collapsed, cut to ``limit`` characters (``…`` marks a cut).

    Examples
    --------
    >>> excerpt("Мы  с ребятами\\nсняли квартиру", 12)
    'Мы с ребята…'
    """
    if not text:
        return ""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class ArrayBow:
    """A re-iterable gensim bag-of-words corpus over CSR-like arrays.

    Parameters
    ----------
    indptr : ndarray of int64, shape (n_docs + 1,)
    ids, counts : ndarray of int32
        Token ids (sorted within each document) and their counts.
    """

    __slots__ = ("counts", "ids", "indptr")

    def __init__(self, indptr: np.ndarray, ids: np.ndarray, counts: np.ndarray) -> None:
        self.indptr = indptr
        self.ids = ids
        self.counts = counts

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def __getitem__(self, i: int) -> list[tuple[int, int]]:
        a, b = self.indptr[i], self.indptr[i + 1]
        return list(zip(self.ids[a:b].tolist(), self.counts[a:b].tolist()))

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        # converted to Python ints a block of documents at a time, so iterating
        # never holds the whole corpus as Python objects
        bounds = self.indptr.tolist()
        for first in range(0, len(bounds) - 1, _BLOCK):
            last = min(first + _BLOCK, len(bounds) - 1)
            base = bounds[first]
            ids = self.ids[base : bounds[last]].tolist()
            counts = self.counts[base : bounds[last]].tolist()
            for a, b in zip(bounds[first:last], bounds[first + 1 : last + 1]):
                yield list(zip(ids[a - base : b - base], counts[a - base : b - base]))

    def subset(self, rows: Sequence[int] | np.ndarray) -> ArrayBow:
        """Return the documents ``rows`` (in that order; repeats allowed, as in a bootstrap)."""
        index = np.asarray(rows, dtype=np.int64)
        lengths = self.indptr[index + 1] - self.indptr[index]
        indptr = np.zeros(len(index) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        take = (
            np.concatenate([np.arange(self.indptr[r], self.indptr[r + 1]) for r in index])
            if len(index)
            else np.zeros(0, dtype=np.int64)
        )
        return ArrayBow(indptr, self.ids[take], self.counts[take])


class ArrayTexts:
    """A re-iterable sequence of token lists stored as ids (for sliding-window coherence)."""

    __slots__ = ("id2token", "ids", "indptr")

    def __init__(self, indptr: np.ndarray, ids: np.ndarray, id2token: Sequence[str]) -> None:
        self.indptr = indptr
        self.ids = ids
        self.id2token = list(id2token)

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def __iter__(self) -> Iterator[list[str]]:
        words = self.id2token
        bounds = self.indptr.tolist()
        for first in range(0, len(bounds) - 1, _BLOCK):
            last = min(first + _BLOCK, len(bounds) - 1)
            base = bounds[first]
            ids = self.ids[base : bounds[last]].tolist()
            for a, b in zip(bounds[first:last], bounds[first + 1 : last + 1]):
                yield [words[i] for i in ids[a - base : b - base]]


@dataclass(frozen=True, slots=True)
class PreparedDocuments:
    """Documents ready for gensim (see the module docstring).

    Attributes
    ----------
    dictionary : gensim.corpora.Dictionary
        The filtered vocabulary.
    bow : ArrayBow
        Bag-of-words per kept document.
    texts : ArrayTexts
        In-vocabulary lemma sequences per kept document (original order; empty
        sequences when prepared with ``keep_texts=False``).
    documents : pandas.DataFrame
        One row per kept document, columns :data:`DOCUMENT_COLUMNS`
        (``n_tokens`` counts in-vocabulary lemmas).
    dropped : pandas.DataFrame
        Documents set aside: ``doc_id, transcript_id, segment_id, case_id, reason``.
    surface : dict
        Lemma -> list of ``(surface form, count)``, most frequent first (only for
        documents given with aligned surface tokens; otherwise the lemma is its
        own form).
    unit : str
        The document unit.
    """

    dictionary: Dictionary
    bow: ArrayBow
    texts: ArrayTexts
    documents: pd.DataFrame
    dropped: pd.DataFrame
    surface: dict
    unit: str

    def __len__(self) -> int:
        return len(self.bow)


@dataclass(frozen=True, slots=True)
class _Doc:
    doc_id: str
    transcript_id: str | None
    segment_id: str | None
    case_id: str | None
    text: str | None
    lemmas: Iterable[str]
    tokens: Sequence[str] | None


_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def documents_from_texts(
    texts: Iterable[str],
    *,
    language: str = "en",
    ids: Iterable[object] | None = None,
    case_ids: Iterable[object] | None = None,
    extra_stop_words: Iterable[str] = (),
) -> pd.DataFrame:
    """Turn plain texts (survey answers, notes) into a documents table for :meth:`TopicModel.fit`.

    Parameters
    ----------
    texts : iterable of str
        One text per document.
    language : str
        Language for :func:`qualquant.corpus.nlp.content_lemmas` (content lemmas, stop words dropped).
    ids : iterable, optional
        Document ids (default ``"0"``, ``"1"``, ...).
    case_ids : iterable, optional
        Case ids for per-case proportions and covariates (default: the document ids).
    extra_stop_words : iterable of str
        Extra words to drop.

    Returns
    -------
    pandas.DataFrame
        Columns ``doc_id, case_id, text, lemmas, tokens`` (lists of str in the
        last two: the allowed exception for token data).
    """
    from qualquant.corpus.nlp import lemmas_and_tokens

    texts = ["" if t is None or (isinstance(t, float) and t != t) else str(t) for t in texts]
    doc_ids = [str(i) for i in (ids if ids is not None else range(len(texts)))]
    if len(doc_ids) != len(texts):
        raise TopicModelError(f"{len(doc_ids)} ids for {len(texts)} texts; give one id per text.")
    cases = [str(c) for c in case_ids] if case_ids is not None else list(doc_ids)
    lemmas, tokens = [], []
    for lem, tok in lemmas_and_tokens(texts, language, tuple(extra_stop_words)):
        lemmas.append(lem)
        tokens.append(tok)
    frame = pd.DataFrame({"doc_id": doc_ids, "case_id": cases, "text": texts})
    frame["lemmas"] = pd.Series(lemmas, dtype=object)
    frame["tokens"] = pd.Series(tokens, dtype=object)
    return frame


def _iter_corpus(corpus: Iterable[Transcript], unit: str, roles: Sequence[str], window: int) -> Iterator[_Doc]:
    from qualquant.corpus.nlp import segment_lemmas

    for transcript in corpus:
        case_id = transcript.metadata.get("case_id") if hasattr(transcript.metadata, "get") else None
        case_id = transcript.id if case_id in (None, "") else str(case_id)
        texts = {s.segment_id: s.text for s in transcript.segments}
        table = segment_lemmas([transcript], roles=tuple(roles))
        if unit == "transcript":
            lemmas: list[str] = []
            tokens: list[str] = []
            first = ""
            for seg_id, lem, tok in zip(table["segment_id"], table["lemmas"], table["tokens"]):
                lemmas.extend(lem)
                tokens.extend(tok)
                first = first or (texts[seg_id] if lem else "")
            yield _Doc(transcript.id, transcript.id, None, case_id, first, lemmas, tokens)
            continue
        for seg_id, lem, tok in zip(table["segment_id"], table["lemmas"], table["tokens"]):
            if unit == "segment" or len(lem) <= window:
                yield _Doc(seg_id, transcript.id, seg_id, case_id, texts[seg_id], lem, tok)
                continue
            bounds = list(range(0, len(lem), window))
            if len(bounds) > 1 and len(lem) - bounds[-1] < window // 2:
                bounds.pop()  # a short remainder joins the previous window
            for n, a in enumerate(bounds):
                b = bounds[n + 1] if n + 1 < len(bounds) else len(lem)
                yield _Doc(f"{seg_id}/w{n}", transcript.id, seg_id, case_id, texts[seg_id], lem[a:b], tok[a:b])


def _iter_frame(frame: pd.DataFrame) -> Iterator[_Doc]:
    if "lemmas" not in frame.columns:
        raise TopicModelError(
            "A documents table needs a column 'lemmas' (lists of lemmas); build one with "
            "qualquant.coding.topics.documents_from_texts or corpus.nlp.segment_lemmas."
        )
    n = len(frame)

    def column(name: str, default: object = None) -> list[Any]:
        return frame[name].tolist() if name in frame.columns else [default] * n

    seg = column("segment_id")
    doc = column("doc_id")
    doc = [d if d is not None else (s if s is not None else str(i)) for i, (d, s) in enumerate(zip(doc, seg))]
    for i, (d, t, s, c, text, lem, tok) in enumerate(
        zip(
            doc,
            column("transcript_id"),
            seg,
            column("case_id"),
            column("text"),
            frame["lemmas"].tolist(),
            column("tokens"),
        )
    ):
        if isinstance(lem, str) or not isinstance(lem, Iterable):
            raise TopicModelError(
                f"Documents table row {i} (doc {d}): 'lemmas' must be a list of lemmas, not {type(lem).__name__}."
            )
        yield _Doc(
            str(d),
            None if t is None else str(t),
            None if s is None else str(s),
            None if c is None else str(c),
            text,
            lem,
            tok,
        )


def _iter_lists(docs: Iterable[Any]) -> Iterator[_Doc]:
    for i, doc in enumerate(docs):
        if isinstance(doc, str) or not isinstance(doc, Iterable):
            raise TopicModelError(
                f"Document {i} is a {type(doc).__name__}, not a list of tokens. Tokenise texts first "
                "(coding.topics.documents_from_texts) or pass a Corpus."
            )
        doc = list(doc)
        yield _Doc(str(i), None, None, None, None, doc, None)


def prepare_documents(
    docs: Corpus | pd.DataFrame | Iterable[Any],
    *,
    unit: str = "segment",
    roles: Sequence[str] = ("participant",),
    window: int = 100,
    no_below: int = 2,
    no_above: float = 0.5,
    keep_n: int | None = None,
    stop_words: Iterable[str] = (),
    keep_texts: bool = True,
) -> PreparedDocuments:
    """Build the gensim inputs for ``docs`` in one streaming pass.

    Parameters
    ----------
    docs : corpus.Corpus, pandas.DataFrame or iterable of token lists
        A corpus (content lemmas of ``roles`` turns via :func:`qualquant.corpus.nlp.segment_lemmas`),
        a documents table with a ``lemmas`` column (optional ``doc_id``, ``segment_id``,
        ``transcript_id``, ``case_id``, ``text``, ``tokens``), or token lists.
    unit : {"segment", "transcript", "window"}
        Document unit for a corpus: one turn, one transcript (its ``roles`` turns
        joined), or turns cut into windows of ``window`` lemmas (a remainder shorter
        than half a window joins the previous window).
    roles : sequence of str
        Segment roles that make documents (corpus input).
    window : int
        Window length in lemmas (``unit="window"``).
    no_below, no_above, keep_n
        Vocabulary filter (:meth:`gensim.corpora.Dictionary.filter_extremes`).
    stop_words : iterable of str
        Lemmas to leave out (on top of the language's stop words), e.g. numerals or
        words of the interview guide that every participant repeats.
    keep_texts : bool
        Keep each document's lemma sequence (needed for ``c_v``/``c_npmi`` coherence);
        without it ``texts`` is empty.

    Returns
    -------
    PreparedDocuments

    Raises
    ------
    TopicModelError
        Unknown unit, malformed input, or no document left with any token.
    """
    from qualquant.corpus.model import Transcript
    from qualquant.corpus.nlp import BowBuilder

    if unit not in UNITS:
        raise TopicModelError(f"Unknown document unit {unit!r}; use one of {', '.join(UNITS)}.")
    if window < 2:
        raise TopicModelError(f"window must be at least 2 lemmas, got {window}.")
    if isinstance(docs, pd.DataFrame):
        stream = _iter_frame(docs)
    elif hasattr(docs, "transcripts") or (isinstance(docs, (list, tuple)) and docs and isinstance(docs[0], Transcript)):
        stream = _iter_corpus(docs, unit, roles, window)
    else:
        if unit != "segment":
            raise TopicModelError(f"unit={unit!r} needs a Corpus; token lists are used as documents as they are.")
        stream = _iter_lists(docs)

    builder = BowBuilder(no_below=no_below, no_above=no_above, keep_n=keep_n)
    vocab: dict[str, int] = {}
    seq_chunks: list[np.ndarray] = []
    seq_lengths: list[int] = []
    pairs: Counter = Counter()
    meta: list[tuple] = []
    stops = frozenset(str(w).lower() for w in stop_words)
    for doc in stream:
        lemmas = list(doc.lemmas)
        tokens = doc.tokens
        if stops:
            aligned = tokens is not None and not isinstance(tokens, str) and len(tokens) == len(lemmas)
            keep = [i for i, w in enumerate(lemmas) if w not in stops]
            lemmas = [lemmas[i] for i in keep]
            tokens = [tokens[i] for i in keep] if aligned and tokens is not None else None
        builder.add(lemmas)
        if keep_texts:
            seq_chunks.append(
                np.fromiter((vocab.setdefault(w, len(vocab)) for w in lemmas), dtype=np.int32, count=len(lemmas))
            )
        seq_lengths.append(len(lemmas))
        if tokens is not None and not isinstance(tokens, str) and len(tokens) == len(lemmas):
            pairs.update(zip(lemmas, (str(t).lower() for t in tokens)))
        meta.append((doc.doc_id, doc.transcript_id, doc.segment_id, doc.case_id, excerpt(doc.text)))
    if not meta:
        raise TopicModelError("No documents to fit: the input is empty (no participant turns?).")
    dictionary, bow = builder.build()

    # token sequences -> final dictionary ids, dropping filtered words
    if keep_texts:
        remap = np.full(len(vocab), -1, dtype=np.int64)
        for word, i in vocab.items():
            remap[i] = dictionary.token2id.get(word, -1)
        all_seq = np.concatenate(seq_chunks) if seq_chunks else np.zeros(0, dtype=np.int32)
        del seq_chunks
        mapped = remap[all_seq] if len(all_seq) else np.zeros(0, dtype=np.int64)
        keep_tok = mapped >= 0
        doc_of_token = np.repeat(np.arange(len(seq_lengths)), seq_lengths)
        n_in_vocab = np.bincount(doc_of_token[keep_tok], minlength=len(seq_lengths))

    # bag-of-words of documents with at least one token, compiled into CSR arrays in one pass
    bow_ids: list[np.ndarray] = []
    bow_counts: list[np.ndarray] = []
    bow_lengths = []
    bow_tokens = np.zeros(len(meta), dtype=np.int64)
    for i in range(len(meta)):
        bag = bow[i]
        if not bag:
            continue
        counts = np.fromiter((c for _, c in bag), dtype=np.int32, count=len(bag))
        bow_tokens[i] = int(counts.sum())
        bow_lengths.append(len(bag))
        bow_ids.append(np.fromiter((t for t, _ in bag), dtype=np.int32, count=len(bag)))
        bow_counts.append(counts)
    del bow, builder
    if not keep_texts:
        n_in_vocab = bow_tokens
    kept_rows = np.flatnonzero(n_in_vocab > 0)
    dropped = [
        (
            *meta[i][:4],
            "no lemma left in the vocabulary after filtering (no_below/no_above)"
            if seq_lengths[i]
            else "no content lemmas",
        )
        for i in np.flatnonzero(n_in_vocab == 0)
    ]
    if len(kept_rows) == 0:
        raise TopicModelError(
            f"None of the {len(meta)} documents has a lemma left after filtering (no_below={no_below}, "
            f"no_above={no_above}); lower no_below or raise no_above."
        )
    text_indptr = np.zeros(len(kept_rows) + 1, dtype=np.int64)
    if keep_texts:
        text_ids = mapped[keep_tok].astype(np.int32)
        np.cumsum(n_in_vocab[kept_rows], out=text_indptr[1:])
    else:
        text_ids = np.zeros(0, dtype=np.int32)

    bow_indptr = np.zeros(len(kept_rows) + 1, dtype=np.int64)
    np.cumsum(bow_lengths, out=bow_indptr[1:])
    array_bow = ArrayBow(bow_indptr, np.concatenate(bow_ids), np.concatenate(bow_counts))
    del bow_ids, bow_counts

    id2token = [dictionary[i] for i in range(len(dictionary))]
    texts = ArrayTexts(text_indptr, text_ids, id2token)

    documents = pd.DataFrame(
        [meta[i] for i in kept_rows.tolist()], columns=["doc_id", "transcript_id", "segment_id", "case_id", "excerpt"]
    )
    documents.insert(4, "n_tokens", n_in_vocab[kept_rows].astype("int64"))
    documents = documents[list(DOCUMENT_COLUMNS)].astype({c: object for c in DOCUMENT_COLUMNS if c != "n_tokens"})
    if documents["doc_id"].duplicated().any():
        dup = documents.loc[documents["doc_id"].duplicated(), "doc_id"].iloc[0]
        raise TopicModelError(f"Document id {dup!r} occurs twice; document ids must be unique.")
    dropped_frame = pd.DataFrame(
        dropped, columns=["doc_id", "transcript_id", "segment_id", "case_id", "reason"], dtype=object
    )

    surface: dict[str, list[tuple[str, int]]] = {}
    for (lemma, form), count in pairs.items():
        if lemma in dictionary.token2id:
            surface.setdefault(lemma, []).append((form, count))
    for lemma in surface:
        surface[lemma].sort(key=lambda fc: (-fc[1], fc[0]))
    return PreparedDocuments(dictionary, array_bow, texts, documents, dropped_frame, surface, unit)
