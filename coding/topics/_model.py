"""Topic models of interview segments: LDA with coherence-chosen K, seeded topics, save and load.

A topic model gives a second, machine reading of the transcripts. :class:`TopicModel`
fits gensim's LDA (``LdaModel`` for one worker, ``LdaMulticore`` otherwise) on
content lemmas of participant turns (or whole transcripts, or windows of long
turns) and exposes, in the estimator shape:

``topics_``
    Top terms per topic: ``topic, label, rank, lemma, weight, surface_form,
    surface_forms`` (the lemma's most frequent surface form, and up to three
    forms joined with ``", "``).
``doc_topics_``
    Topic proportions per document, an array ``(n_documents, n_topics)`` whose
    rows follow ``documents_`` (``doc_id, transcript_id, segment_id, case_id,
    n_tokens, excerpt``).
``gamma_``
    The variational Dirichlet parameters of each document's topic proportions
    (used to carry topic-model uncertainty into covariate effects).
``coherence_``, ``topic_coherence_``
    Mean and per-topic coherence (``coherence=`` measure: ``c_v``, ``u_mass`` or
    ``c_npmi``) by gensim's ``CoherenceModel``.
``dictionary_``, ``model_``, ``dropped_``, ``seed_report_``, ``labels_``
    The vocabulary, the gensim model, documents set aside (with reasons), seed
    words and whether they are in the vocabulary, and topic labels (the code id of
    a seeded topic, ``""`` otherwise).

:func:`select_n_topics` fits every K of a range over several seeds and picks K
by mean coherence with the rule stated. Comparisons with human codes are in
:mod:`qualquant.coding.topics._compare`; prevalence by covariates in :mod:`qualquant.coding.topics._effects`.

Determinism: with ``workers=1`` two fits with the same ``random_state`` give
identical topics and proportions. ``LdaMulticore`` (``workers > 1``) hands chunks to
worker processes in arrival order, so its results may differ in the last digits
between runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import pandas as pd

from qualquant.coding.errors import TopicModelError
from qualquant.coding.topics._coherence import COHERENCE_MEASURES, topic_coherence
from qualquant.coding.topics._documents import (
    DOCUMENT_COLUMNS,
    UNITS,
    ArrayBow,
    ArrayTexts,
    PreparedDocuments,
    prepare_documents,
)
from qualquant.coding.topics._select import SelectionResult, search_n_topics
from qualquant.io import atomic_write_dir

if TYPE_CHECKING:
    from gensim.corpora import Dictionary

    from qualquant.coding.codebook import Codebook
    from qualquant.corpus import Corpus

__all__ = ["NotFittedError", "TOPICS_COLUMNS", "TopicModel", "select_n_topics"]


class NotFittedError(TopicModelError, AttributeError):
    """A learned attribute or method of a :class:`TopicModel` was used before ``fit``.

    Also an ``AttributeError``, so ``hasattr(model, "topics_")`` stays False.
    """


TOPICS_COLUMNS = ("topic", "label", "rank", "lemma", "weight", "surface_form", "surface_forms")
_FORMAT_VERSION = 1


class TopicModel:
    """LDA topic model of interview segments (estimator shape: ``fit`` returns self).

    Parameters
    ----------
    n_topics : int
        Number of topics K.
    passes, iterations : int
        gensim training passes over the corpus, and E-step iterations per document.
    alpha : {"symmetric", "asymmetric", "auto"} or float or array
        Document-topic prior (``"auto"`` is learned; only with ``workers=1``).
    eta : None, float, "symmetric", "auto" or array
        Topic-word prior; with ``seed_words`` a float or None (base value, default 1/K).
    random_state : int
        Seed; the same seed gives the same model (``workers=1``).
    workers : int
        1 uses ``LdaModel``; more uses ``LdaMulticore`` with that many workers.
    unit : {"segment", "transcript", "window"}
        Document unit when fitting a :class:`qualquant.corpus.Corpus`.
    roles : sequence of str
        Segment roles that make documents (participant turns by default).
    window : int
        Window length in lemmas for ``unit="window"``.
    no_below, no_above : int, float
        Vocabulary filter: keep lemmas in at least ``no_below`` documents and at most
        ``no_above`` of them.
    stop_words : sequence of str
        Extra lemmas to leave out (numerals, words of the interview guide).
    seed_words : mapping or Codebook, optional
        Code id -> seed lemmas (``Codebook.seed_words``); topic ``i`` is seeded by the
        ``i``-th code and labelled with its id.
    seed_weight : float
        Prior pseudo-count added to a seed word in its own topic's ``eta`` row (the
        other entries keep the base value); the same amount is added to the seed
        word's count in the topic's random starting point, so the first E-step
        already sends documents that use seed words towards their topic.
    coherence : {"c_v", "u_mass", "c_npmi"} or None
        Measure for ``coherence_`` (None skips it).
    topn : int
        Top terms per topic in ``topics_`` and for coherence.
    chunksize : int
        Documents per training chunk.

    Examples
    --------
    >>> docs = [["дом", "квартира", "аренда"], ["работа", "зарплата", "офис"]] * 20
    >>> model = TopicModel(2, passes=5, no_above=1.0, topn=3, coherence="u_mass").fit(docs)
    >>> model.doc_topics_.shape
    (40, 2)
    """

    def __init__(
        self,
        n_topics: int,
        *,
        passes: int = 10,
        iterations: int = 200,
        alpha: str | float | Sequence[float] | np.ndarray = "symmetric",
        eta: str | float | Sequence[float] | np.ndarray | None = None,
        random_state: int = 0,
        workers: int = 1,
        unit: str = "segment",
        roles: Sequence[str] = ("participant",),
        window: int = 100,
        no_below: int = 2,
        no_above: float = 0.5,
        stop_words: Sequence[str] = (),
        seed_words: Mapping[str, Iterable[str]] | Codebook | None = None,
        seed_weight: float = 5.0,
        coherence: str | None = "c_v",
        topn: int = 10,
        chunksize: int = 2000,
    ) -> None:
        self.n_topics = n_topics
        self.passes = passes
        self.iterations = iterations
        self.alpha = alpha
        self.eta = eta
        self.random_state = random_state
        self.workers = workers
        self.unit = unit
        self.roles = roles
        self.window = window
        self.no_below = no_below
        self.no_above = no_above
        self.stop_words = stop_words
        self.seed_words = seed_words
        self.seed_weight = seed_weight
        self.coherence = coherence
        self.topn = topn
        self.chunksize = chunksize

    # ------------------------------------------------------------------ params
    def get_params(self) -> dict:
        """The constructor parameters (seed words as a plain dict)."""
        seeds = self.seed_words
        if seeds is not None and hasattr(seeds, "seed_words") and not isinstance(seeds, Mapping):
            seeds = seeds.seed_words
        return {
            "n_topics": self.n_topics,
            "passes": self.passes,
            "iterations": self.iterations,
            "alpha": self.alpha,
            "eta": self.eta,
            "random_state": self.random_state,
            "workers": self.workers,
            "unit": self.unit,
            "roles": list(self.roles),
            "window": self.window,
            "no_below": self.no_below,
            "no_above": self.no_above,
            "stop_words": list(self.stop_words),
            "seed_words": None if seeds is None else {str(k): list(v) for k, v in seeds.items()},
            "seed_weight": self.seed_weight,
            "coherence": self.coherence,
            "topn": self.topn,
            "chunksize": self.chunksize,
        }

    def _validate(self) -> None:
        if not isinstance(self.n_topics, (int, np.integer)) or self.n_topics < 2:
            raise TopicModelError(f"n_topics must be an integer >= 2, got {self.n_topics!r}.")
        for name in ("passes", "iterations", "workers", "topn", "chunksize"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise TopicModelError(f"{name} must be a positive integer, got {value!r}.")
        if self.unit not in UNITS:
            raise TopicModelError(f"Unknown document unit {self.unit!r}; use one of {', '.join(UNITS)}.")
        if self.coherence is not None and self.coherence not in COHERENCE_MEASURES:
            raise TopicModelError(
                f"Unknown coherence measure {self.coherence!r}; use one of {', '.join(COHERENCE_MEASURES)} or None."
            )
        if self.workers > 1 and (isinstance(self.alpha, str) and self.alpha == "auto"):
            raise TopicModelError(
                "alpha='auto' is not available with workers > 1 (gensim LdaMulticore cannot learn alpha); "
                "use alpha='symmetric' or 'asymmetric', or workers=1."
            )
        if self.seed_words is not None and isinstance(self.eta, (str, np.ndarray, list)):
            raise TopicModelError("With seed_words, eta must be None or a number (the base prior value).")

    # --------------------------------------------------------------------- fit
    def select_n_topics(
        self,
        docs: Corpus | pd.DataFrame | Iterable[Any],
        k_range: Iterable[int],
        *,
        seeds: Sequence[int] | None = None,
        rule: str = "max",
    ) -> SelectionResult:
        """Fit each K in ``k_range`` with this model's other settings and choose K by coherence.

        A convenience around :func:`select_n_topics`: the
        coherence measure, passes, unit, priors and so on are this model's; the
        seeds default to ``(random_state, random_state + 1, random_state + 2)``.
        This model itself is not changed; the chosen, fitted model is
        ``result.model``.

        Returns
        -------
        SelectionResult
            ``curve`` (k, seed, coherence), ``summary`` (mean and sd per K),
            ``best_k``, ``rule`` (stated in words) and ``model``.
        """
        settings = {
            name: getattr(self, name)
            for name in (
                "passes",
                "iterations",
                "alpha",
                "eta",
                "workers",
                "unit",
                "roles",
                "window",
                "no_below",
                "no_above",
                "stop_words",
                "seed_words",
                "seed_weight",
                "topn",
                "chunksize",
            )
        }
        if seeds is None:
            seeds = tuple(self.random_state + i for i in range(3))
        coherence = self.coherence or "c_v"
        return search_n_topics(
            lambda k, seed: TopicModel(k, random_state=seed, coherence=coherence, **settings),
            docs,
            k_range,
            seeds=seeds,
            coherence=coherence,
            rule=rule,
        )

    def fit(self, docs: Corpus | pd.DataFrame | Iterable[Any]) -> TopicModel:
        """Fit the model.

        Parameters
        ----------
        docs : corpus.Corpus, pandas.DataFrame or iterable of token lists
            See :func:`qualquant.coding.topics._documents.prepare_documents`; a corpus uses content
            lemmas of ``roles`` turns cut by ``unit``.

        Returns
        -------
        TopicModel
            ``self``, fitted.

        Raises
        ------
        TopicModelError
            Invalid parameters, no usable documents, or more seeded codes than topics.
        """
        self._validate()
        prepared = prepare_documents(
            docs,
            unit=self.unit,
            roles=self.roles,
            window=self.window,
            no_below=self.no_below,
            no_above=self.no_above,
            stop_words=self.stop_words,
            keep_texts=self.coherence is not None,
        )
        return self._fit_prepared(prepared)

    def _seeds(self) -> dict[str, tuple[str, ...]]:
        seeds = self.seed_words
        if seeds is None:
            return {}
        if hasattr(seeds, "seed_words") and not isinstance(seeds, Mapping):
            seeds = seeds.seed_words
        out = {str(code): tuple(str(w).lower() for w in words) for code, words in seeds.items() if words}
        if len(out) > self.n_topics:
            raise TopicModelError(
                f"{len(out)} codes have seed words but the model has only {self.n_topics} topics; "
                "raise n_topics or pass fewer codes."
            )
        return out

    def _base_eta(self) -> float:
        """The topic-word prior under the seed words: ``eta`` (a number), or 1/K without one."""
        if self.eta is None:
            return 1.0 / int(self.n_topics)
        if isinstance(self.eta, (int, float, np.number)):
            return float(self.eta)
        raise TopicModelError("With seed_words, eta must be None or a number (the base prior value).")

    def _eta(self, dictionary: Dictionary) -> tuple[Any, pd.DataFrame, list[str]]:
        k = int(self.n_topics)
        labels = [""] * k
        report = pd.DataFrame(columns=["code", "topic", "word", "in_vocabulary"])
        seeds = self._seeds()
        if not seeds:
            return self.eta, report, labels
        base = self._base_eta()
        eta = np.full((k, len(dictionary)), base, dtype=np.float64)
        rows = []
        for topic, (code, words) in enumerate(seeds.items()):
            labels[topic] = code
            for word in words:
                wid = dictionary.token2id.get(word)
                rows.append((code, topic, word, wid is not None))
                if wid is not None:
                    eta[topic, wid] += float(self.seed_weight)
        report = pd.DataFrame(rows, columns=["code", "topic", "word", "in_vocabulary"])
        return eta, report, labels

    def _train(
        self,
        bow: ArrayBow,
        dictionary: Dictionary,
        *,
        random_state: int,
        eta: Any,
        seed_init: np.ndarray | None = None,
    ) -> Any:  # a gensim LdaModel
        from gensim.matutils import dirichlet_expectation
        from gensim.models import LdaModel, LdaMulticore

        common = dict(
            id2word=dictionary,
            num_topics=int(self.n_topics),
            passes=int(self.passes),
            iterations=int(self.iterations),
            alpha=self.alpha,
            eta=eta,
            random_state=int(random_state),
            chunksize=int(self.chunksize),
            eval_every=None,
        )
        cls = LdaModel if self.workers == 1 else LdaMulticore
        if self.workers > 1:
            common["workers"] = int(self.workers)
        try:
            if seed_init is None:
                return cls(corpus=bow, **common)
            # Seeded start: the first E-step already sees each seed word in its topic.
            model = cls(corpus=None, **common)
            model.state.sstats += seed_init.astype(model.state.sstats.dtype)
            model.expElogbeta = np.exp(dirichlet_expectation(model.state.sstats)).astype(model.dtype)
            model.update(bow)
            return model
        except (ValueError, NotImplementedError, RuntimeError) as exc:
            raise TopicModelError(f"gensim could not fit the LDA model: {exc}") from None

    def _fit_prepared(self, prepared: PreparedDocuments) -> TopicModel:
        self._validate()
        eta, report, labels = self._eta(prepared.dictionary)
        seed_init = None
        if isinstance(eta, np.ndarray) and any(labels):
            seed_init = eta - self._base_eta()  # seed_weight at each seed word of its own topic, 0 elsewhere
        model = self._train(
            prepared.bow, prepared.dictionary, random_state=self.random_state, eta=eta, seed_init=seed_init
        )
        self.model_ = model
        self.dictionary_ = prepared.dictionary
        self.documents_ = prepared.documents.reset_index(drop=True)
        self.dropped_ = prepared.dropped
        self.seed_report_ = report
        self.labels_ = labels
        self._prepared = prepared
        self.gamma_ = infer_gamma(model, prepared.bow, self.chunksize)
        self.doc_topics_ = self.gamma_ / self.gamma_.sum(axis=1, keepdims=True)
        self.topics_ = self._topics_table()
        self._score()
        return self

    def _score(self) -> None:
        if self.coherence is None:
            self.topic_coherence_ = np.full(int(self.n_topics), np.nan)
            self.coherence_ = float("nan")
            return
        words = self.top_words()
        self.topic_coherence_ = topic_coherence(
            words, self._prepared.texts, self.dictionary_, measure=self.coherence, corpus=self._prepared.bow
        )
        self.coherence_ = float(np.mean(self.topic_coherence_))

    # ----------------------------------------------------------------- outputs
    def __getattr__(self, name: str) -> NoReturn:
        # only reached when normal lookup fails: a learned attribute before fit
        if name.endswith("_") and not name.startswith("__"):
            raise NotFittedError(
                f"This TopicModel is not fitted yet ({name} is learned); call fit(docs) first (or TopicModel.load)."
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _check_fitted(self) -> None:
        if "model_" not in self.__dict__:
            raise NotFittedError("This TopicModel is not fitted yet; call fit(docs) first (or TopicModel.load).")

    def top_words(self, topn: int | None = None) -> list[list[str]]:
        """Top lemmas of each topic, most probable first."""
        self._check_fitted()
        topn = int(topn or self.topn)
        return [
            [self.dictionary_[i] for i, _ in self.model_.get_topic_terms(k, topn=topn)]
            for k in range(int(self.n_topics))
        ]

    def topic_word_matrix(self) -> np.ndarray:
        """Topic-word probabilities, shape ``(n_topics, n_words)``."""
        self._check_fitted()
        return self.model_.get_topics()

    def _topics_table(self) -> pd.DataFrame:
        surface = self._prepared.surface
        rows = []
        for k in range(int(self.n_topics)):
            for rank, (wid, weight) in enumerate(self.model_.get_topic_terms(k, topn=int(self.topn)), start=1):
                lemma = self.dictionary_[wid]
                forms = surface.get(lemma) or [(lemma, 0)]
                rows.append(
                    (k, self.labels_[k], rank, lemma, float(weight), forms[0][0], ", ".join(f for f, _ in forms[:3]))
                )
        frame = pd.DataFrame(rows, columns=list(TOPICS_COLUMNS))
        return frame.astype({"topic": "int64", "rank": "int64", "weight": "float64"})

    def topic_summary(self, n_terms: int = 8) -> pd.DataFrame:
        """One row per topic: ``topic, label, terms, prevalence, coherence``.

        ``terms`` joins the top lemmas; ``prevalence`` is the token-weighted mean
        topic proportion over documents.
        """
        self._check_fitted()
        weights = self.documents_["n_tokens"].to_numpy(dtype=float)
        prevalence = (self.doc_topics_ * weights[:, None]).sum(axis=0) / weights.sum()
        rows = []
        for k, words in enumerate(self.top_words(n_terms)):
            rows.append((k, self.labels_[k], ", ".join(words), float(prevalence[k]), float(self.topic_coherence_[k])))
        return pd.DataFrame(rows, columns=["topic", "label", "terms", "prevalence", "coherence"])

    def document_topics(self) -> pd.DataFrame:
        """Topic proportions per document, long: ``doc_id, transcript_id, segment_id, case_id, topic, proportion``."""
        self._check_fitted()
        k = int(self.n_topics)
        docs = self.documents_
        out = pd.DataFrame(
            {
                col: np.repeat(docs[col].to_numpy(dtype=object), k)
                for col in ("doc_id", "transcript_id", "segment_id", "case_id")
            }
        )
        out["topic"] = np.tile(np.arange(k, dtype=np.int64), len(docs))
        out["proportion"] = self.doc_topics_.reshape(-1)
        return out

    def case_matrix(self, theta: np.ndarray | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Case-level proportions: ``(case_ids, matrix (n_cases, K), n_tokens per case)``.

        A case's proportion is the token-weighted mean of its documents' proportions
        (``theta`` replaces ``doc_topics_``, e.g. a posterior draw). Documents without
        a case id are grouped under their transcript id or, failing that, doc id.
        """
        self._check_fitted()
        theta = self.doc_topics_ if theta is None else theta
        docs = self.documents_
        keys = [
            c if c is not None else (t if t is not None else d)
            for c, t, d in zip(docs["case_id"], docs["transcript_id"], docs["doc_id"])
        ]
        cases, inverse = np.unique(np.asarray(keys, dtype=object).astype(str), return_inverse=True)
        order = {c: i for i, c in enumerate(dict.fromkeys(np.asarray(keys, dtype=str)))}
        weights = docs["n_tokens"].to_numpy(dtype=float)
        sums = np.zeros((len(cases), theta.shape[1]))
        np.add.at(sums, inverse, theta * weights[:, None])
        tokens = np.bincount(inverse, weights=weights, minlength=len(cases))
        matrix = sums / tokens[:, None]
        perm = np.argsort([order[c] for c in cases], kind="stable")  # first-appearance order
        return [str(c) for c in cases[perm]], matrix[perm], tokens[perm]

    def case_topics(self) -> pd.DataFrame:
        """Topic proportions per case, long: ``case_id, topic, proportion, n_tokens``."""
        cases, matrix, tokens = self.case_matrix()
        k = int(self.n_topics)
        return pd.DataFrame(
            {
                "case_id": np.repeat(np.asarray(cases, dtype=object), k),
                "topic": np.tile(np.arange(k, dtype=np.int64), len(cases)),
                "proportion": matrix.reshape(-1),
                "n_tokens": np.repeat(tokens.astype("int64"), k),
            }
        )

    def representative_documents(self, n: int = 3) -> pd.DataFrame:
        """The ``n`` documents with the highest proportion of each topic.

        Returns
        -------
        pandas.DataFrame
            ``topic, label, rank, doc_id, segment_id, transcript_id, case_id,
            proportion, excerpt``; ties broken by document order.
        """
        self._check_fitted()
        docs = self.documents_
        rows = []
        for k in range(int(self.n_topics)):
            order = np.lexsort((np.arange(len(docs)), -self.doc_topics_[:, k]))[:n]
            for rank, i in enumerate(order, start=1):
                d = docs.iloc[i]
                rows.append(
                    (
                        k,
                        self.labels_[k],
                        rank,
                        d["doc_id"],
                        d["segment_id"],
                        d["transcript_id"],
                        d["case_id"],
                        float(self.doc_topics_[i, k]),
                        d["excerpt"],
                    )
                )
        return pd.DataFrame(
            rows,
            columns=[
                "topic",
                "label",
                "rank",
                "doc_id",
                "segment_id",
                "transcript_id",
                "case_id",
                "proportion",
                "excerpt",
            ],
        )

    @property
    def prepared_(self) -> PreparedDocuments:
        """The documents the model was fitted on (vocabulary, bag-of-words, texts)."""
        self._check_fitted()
        return self._prepared

    def refit(self, random_state: int, rows: Sequence[int] | None = None) -> TopicModel:
        """Fit a copy with another seed, optionally on a subset/resample of the documents (``rows``)."""
        self._check_fitted()
        clone = TopicModel(
            **{**self.get_params(), "random_state": int(random_state), "coherence": None, "seed_words": self.seed_words}
        )
        prepared = self._prepared
        if rows is not None:
            index = np.asarray(rows, dtype=np.int64)
            texts = prepared.texts
            lengths = texts.indptr[index + 1] - texts.indptr[index]
            indptr = np.zeros(len(index) + 1, dtype=np.int64)
            np.cumsum(lengths, out=indptr[1:])
            take = np.concatenate([np.arange(texts.indptr[r], texts.indptr[r + 1]) for r in index])
            docs = prepared.documents.iloc[index].reset_index(drop=True)
            prepared = PreparedDocuments(
                prepared.dictionary,
                prepared.bow.subset(index),
                ArrayTexts(indptr, texts.ids[take], texts.id2token),
                docs,
                prepared.dropped,
                prepared.surface,
                prepared.unit,
            )
        return clone._fit_prepared(prepared)

    # -------------------------------------------------------------- save/load
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the fitted model to a directory (written to a temporary folder, then swapped in).

        Returns
        -------
        Path
            The directory.
        """
        self._check_fitted()

        def write(tmp: Path) -> None:
            p = self._prepared
            self.model_.save(str(tmp / "lda.gensim"))
            np.savez(
                tmp / "arrays.npz",
                bow_indptr=p.bow.indptr,
                bow_ids=p.bow.ids,
                bow_counts=p.bow.counts,
                text_indptr=p.texts.indptr,
                text_ids=p.texts.ids,
                gamma=self.gamma_,
                topic_coherence=self.topic_coherence_,
            )
            self.documents_.to_parquet(tmp / "documents.parquet", index=False)
            self.dropped_.to_parquet(tmp / "dropped.parquet", index=False)
            self.seed_report_.astype({"code": object, "word": object}).to_parquet(
                tmp / "seed_report.parquet", index=False
            )
            meta = {
                "format_version": _FORMAT_VERSION,
                "params": self.get_params(),
                "labels": self.labels_,
                "unit": p.unit,
                "coherence": self.coherence_,
                "surface": {k: [[f, c] for f, c in v] for k, v in p.surface.items()},
            }
            (tmp / "topic_model.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")

        return atomic_write_dir(path, write)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TopicModel:
        """Load a model saved with :meth:`save`.

        Raises
        ------
        TopicModelError
            If the directory is missing or is not a saved topic model.
        """
        from gensim.models import LdaModel

        path = Path(path)
        meta_path = path / "topic_model.json"
        if not meta_path.is_file():
            raise TopicModelError(f"{path}: not a saved topic model (no topic_model.json). Run `topics fit` first.")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("format_version") != _FORMAT_VERSION:
            raise TopicModelError(
                f"{path}: saved with format version {meta.get('format_version')}, "
                f"this version reads {_FORMAT_VERSION}; refit the model."
            )
        params = meta["params"]
        self = cls(**params)
        model = LdaModel.load(str(path / "lda.gensim"))
        arrays = np.load(path / "arrays.npz")
        dictionary = model.id2word
        surface = {k: [(f, int(c)) for f, c in v] for k, v in meta["surface"].items()}
        documents = pd.read_parquet(path / "documents.parquet")
        documents = documents.astype({c: object for c in DOCUMENT_COLUMNS if c != "n_tokens"})
        documents = documents.where(documents.notna(), None)
        dropped = pd.read_parquet(path / "dropped.parquet").astype(object)
        dropped = dropped.where(dropped.notna(), None)
        id2token = [dictionary[i] for i in range(len(dictionary))]
        prepared = PreparedDocuments(
            dictionary,
            ArrayBow(arrays["bow_indptr"], arrays["bow_ids"], arrays["bow_counts"]),
            ArrayTexts(arrays["text_indptr"], arrays["text_ids"], id2token),
            documents,
            dropped,
            surface,
            meta["unit"],
        )
        self.model_ = model
        self.dictionary_ = dictionary
        self.documents_ = documents
        self.dropped_ = dropped
        self.seed_report_ = pd.read_parquet(path / "seed_report.parquet")
        self.labels_ = list(meta["labels"])
        self._prepared = prepared
        self.gamma_ = arrays["gamma"]
        self.doc_topics_ = self.gamma_ / self.gamma_.sum(axis=1, keepdims=True)
        self.topic_coherence_ = arrays["topic_coherence"]
        self.coherence_ = float(meta["coherence"]) if meta["coherence"] is not None else float("nan")
        self.topics_ = self._topics_table()
        return self

    def __repr__(self) -> str:
        fitted = "fitted" if "model_" in self.__dict__ else "not fitted"
        return f"TopicModel(n_topics={self.n_topics}, random_state={self.random_state}, unit={self.unit!r}; {fitted})"


def select_n_topics(
    docs: Corpus | pd.DataFrame | Iterable[Any],
    k_range: Iterable[int],
    *,
    seeds: Sequence[int] = (0, 1, 2),
    coherence: str = "c_v",
    rule: str = "max",
    **params: Any,
) -> SelectionResult:
    """Choose the number of topics by coherence over several seeds.

    Parameters
    ----------
    docs : corpus.Corpus, pandas.DataFrame or iterable of token lists
        As for :meth:`TopicModel.fit` (prepared once and reused for every fit).
    k_range : iterable of int
        Candidate K values (each >= 2).
    seeds : sequence of int
        Random states; each K is fitted once per seed.
    coherence : {"c_v", "u_mass", "c_npmi"}
    rule : {"max", "one_se"}
        ``"max"``: highest mean coherence, ties to the smaller K. ``"one_se"``: the
        smallest K whose mean is within one standard error (sd / sqrt(n_seeds)) of
        the highest mean.
    **params
        Other :class:`TopicModel` parameters (``passes``, ``unit``, ``no_below``...).

    Returns
    -------
    SelectionResult
        ``curve`` (k, seed, coherence), ``summary`` (k, mean, sd, n_seeds,
        chosen), ``best_k``, ``rule`` (stated in words), ``measure`` and
        ``model`` (the fit with ``best_k`` and the first seed). The search
        itself is :func:`qualquant.coding.topics._select.search_n_topics`.
    """
    return search_n_topics(
        lambda k, seed: TopicModel(k, random_state=seed, coherence=coherence, **params),
        docs,
        k_range,
        seeds=seeds,
        coherence=coherence,
        rule=rule,
    )


def infer_gamma(model: Any, bow: Iterable[Any], chunksize: int = 2000) -> np.ndarray:
    """Variational Dirichlet parameters of each document's topic proportions."""
    out = []
    chunk: list = []
    for doc in bow:
        chunk.append(doc)
        if len(chunk) >= chunksize:
            out.append(model.inference(chunk)[0])
            chunk = []
    if chunk:
        out.append(model.inference(chunk)[0])
    return np.vstack(out).astype(np.float64)
