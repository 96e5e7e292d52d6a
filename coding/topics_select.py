"""Choosing the number of topics by coherence over several seeds (:func:`select_n_topics`).

Re-exported by :mod:`coding.topics`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coding.errors import TopicModelError
from coding.topics_docs import prepare_documents

__all__ = ["SelectionResult", "select_n_topics"]


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
        The fit (a :class:`coding.topics.TopicModel`) with ``best_k`` and the first seed.
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
    from coding.topics import TopicModel

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
