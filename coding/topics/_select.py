"""Topic coherence and choosing the number of topics (:func:`topic_coherence`, :func:`select_n_topics`).

Re-exported by :mod:`qualquant.coding.topics`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from qualquant.coding.errors import TopicModelError
from qualquant.coding.topics._documents import prepare_documents

__all__ = ["COHERENCE_MEASURES", "SelectionResult", "select_n_topics", "topic_coherence"]

COHERENCE_MEASURES = ("c_v", "u_mass", "c_npmi")


def topic_coherence(
    topics: Sequence[Sequence[str]],
    texts: Iterable[Sequence[str]],
    dictionary,
    *,
    measure: str = "c_v",
    corpus: Iterable | None = None,
) -> np.ndarray:
    """Coherence of each topic (a list of top words) on reference texts.

    Parameters
    ----------
    topics : sequence of sequence of str
        Top words per topic (all in ``dictionary``).
    texts : iterable of token lists
        Reference texts (re-iterable); sliding windows for ``c_v`` and ``c_npmi``.
    dictionary : gensim.corpora.Dictionary
    measure : {"c_v", "u_mass", "c_npmi"}
    corpus : iterable of bag-of-words, optional
        Document co-occurrence corpus for ``u_mass`` (built from ``texts`` if omitted).

    Returns
    -------
    numpy.ndarray
        One value per topic.

    Notes
    -----
    Computed by :class:`gensim.models.CoherenceModel` in one process, so values
    are reproducible (Röder, Both & Hinneburg, 2015).

    References
    ----------
    Röder, M., Both, A., & Hinneburg, A. (2015). Exploring the space of topic
    coherence measures. *Proceedings of WSDM '15*, 399-408.
    """
    from gensim.models import CoherenceModel

    if measure not in COHERENCE_MEASURES:
        raise TopicModelError(f"Unknown coherence measure {measure!r}; use one of {', '.join(COHERENCE_MEASURES)}.")
    topics = [list(t) for t in topics]
    topn = min(len(t) for t in topics)
    if topn < 2:
        raise TopicModelError("Coherence needs at least two words per topic.")
    kwargs = {"topics": topics, "dictionary": dictionary, "coherence": measure, "topn": topn, "processes": 1}
    if measure == "u_mass":
        kwargs["corpus"] = corpus if corpus is not None else [dictionary.doc2bow(list(t)) for t in texts]
    else:
        kwargs["texts"] = texts
    cm = CoherenceModel(**kwargs)
    return np.asarray(cm.get_coherence_per_topic(), dtype=float)


@dataclass(frozen=True, slots=True)
class SelectionResult:
    """Result of :func:`select_n_topics`.

    Attributes
    ----------
    curve : pandas.DataFrame
        One row per fit: ``k, seed, coherence``.
    summary : pandas.DataFrame
        One row per K: ``k, mean, sd, n_seeds, chosen``.
    best_k : int
        The chosen number of topics.
    rule : str
        The rule that chose it, in words.
    measure : str
        Coherence measure.
    model : TopicModel
        The fit (a :class:`qualquant.coding.topics.TopicModel`) with ``best_k`` and the first seed.
    """

    curve: pd.DataFrame
    summary: pd.DataFrame
    best_k: int
    rule: str
    measure: str
    model: object

    def to_frame(self) -> pd.DataFrame:
        """The per-K summary table."""
        return self.summary


def select_n_topics(
    docs,
    k_range: Iterable[int],
    *,
    seeds: Sequence[int] = (0, 1, 2),
    coherence: str = "c_v",
    rule: str = "max",
    **params,
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
    """
    from qualquant.coding.topics import TopicModel

    ks = sorted({int(k) for k in k_range})
    if not ks or ks[0] < 2:
        raise TopicModelError(f"k_range must hold integers >= 2, got {list(k_range)!r}.")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise TopicModelError("Give at least one seed.")
    if rule not in ("max", "one_se"):
        raise TopicModelError(f"Unknown selection rule {rule!r}; use 'max' or 'one_se'.")
    template = TopicModel(ks[0], coherence=coherence, **params)
    template._validate()
    prepared = prepare_documents(docs, unit=template.unit, roles=template.roles, window=template.window,
                                 no_below=template.no_below, no_above=template.no_above,
                                 stop_words=template.stop_words)
    rows = []
    first_models: dict[int, TopicModel] = {}
    for k in ks:
        for seed in seeds:
            model = TopicModel(k, random_state=seed, coherence=coherence, **params)._fit_prepared(prepared)
            rows.append((k, seed, model.coherence_))
            if seed == seeds[0]:
                first_models[k] = model
    curve = pd.DataFrame(rows, columns=["k", "seed", "coherence"]).astype({"k": "int64", "seed": "int64"})
    grouped = curve.groupby("k")["coherence"]
    summary = pd.DataFrame({"k": ks, "mean": grouped.mean().reindex(ks).to_numpy(),
                            "sd": grouped.std(ddof=1).reindex(ks).to_numpy() if len(seeds) > 1 else np.nan,
                            "n_seeds": len(seeds)})
    best_mean = summary["mean"].max()
    if rule == "max":
        best_k = int(summary.loc[summary["mean"] == best_mean, "k"].min())
        text = f"highest mean {coherence} over seeds {seeds}; ties -> smaller K"
    else:
        top = summary.loc[summary["mean"] == best_mean].iloc[0]
        se = float(top["sd"]) / np.sqrt(len(seeds)) if len(seeds) > 1 else 0.0
        best_k = int(summary.loc[summary["mean"] >= best_mean - se, "k"].min())
        text = (f"smallest K whose mean {coherence} over seeds {seeds} is within one standard error "
                f"({se:.4f}) of the highest mean (K={int(top['k'])})")
    summary["chosen"] = summary["k"] == best_k
    return SelectionResult(curve, summary, best_k, text, coherence, first_models[best_k])
