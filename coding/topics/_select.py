"""Choosing the number of topics: the search over K and seeds behind
:func:`qualquant.coding.topics.select_n_topics` and
:meth:`qualquant.coding.topics.TopicModel.select_n_topics`, and its result
(:class:`SelectionResult`).

The search is given a factory of unfitted models (``make(k, seed)``), as
scikit-learn's model selection is given an estimator, so this module does not
import the model: :mod:`~qualquant.coding.topics._model` imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from qualquant.coding.errors import TopicModelError
from qualquant.coding.topics._documents import prepare_documents

__all__ = ["SelectionResult", "search_n_topics"]


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
    model: Any  # a fitted TopicModel (not imported here: the model module imports this one)

    def to_frame(self) -> pd.DataFrame:
        """The per-K summary table."""
        return self.summary


def search_n_topics(
    make: Callable[[int, int], Any],
    docs: Any,
    k_range: Iterable[int],
    *,
    seeds: Sequence[int],
    coherence: str,
    rule: str = "max",
) -> SelectionResult:
    """Fit ``make(k, seed)`` for every K of ``k_range`` and every seed, and choose K by mean coherence.

    Parameters
    ----------
    make : callable
        ``make(k, seed)`` returns an unfitted :class:`~qualquant.coding.topics.TopicModel`
        with ``k`` topics and ``random_state=seed`` (all other settings fixed).
    docs : corpus.Corpus, pandas.DataFrame or iterable of token lists
        Prepared once (with the settings of ``make(min K, first seed)``) and reused for every fit.
    k_range : iterable of int
        Candidate K values (each >= 2).
    seeds : sequence of int
    coherence : str
        The models' coherence measure (named in the result and its rule).
    rule : {"max", "one_se"}
        As for :func:`qualquant.coding.topics.select_n_topics`.

    Returns
    -------
    SelectionResult
    """
    ks = sorted({int(k) for k in k_range})
    if not ks or ks[0] < 2:
        raise TopicModelError(f"k_range must hold integers >= 2, got {list(k_range)!r}.")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise TopicModelError("Give at least one seed.")
    if rule not in ("max", "one_se"):
        raise TopicModelError(f"Unknown selection rule {rule!r}; use 'max' or 'one_se'.")
    template = make(ks[0], seeds[0])
    template._validate()
    prepared = prepare_documents(
        docs,
        unit=template.unit,
        roles=template.roles,
        window=template.window,
        no_below=template.no_below,
        no_above=template.no_above,
        stop_words=template.stop_words,
    )
    rows = []
    first_models: dict[int, Any] = {}
    for k in ks:
        for seed in seeds:
            model = make(k, seed)._fit_prepared(prepared)
            rows.append((k, seed, model.coherence_))
            if seed == seeds[0]:
                first_models[k] = model
    curve = pd.DataFrame(rows, columns=["k", "seed", "coherence"]).astype({"k": "int64", "seed": "int64"})
    grouped = curve.groupby("k")["coherence"]
    summary = pd.DataFrame(
        {
            "k": ks,
            "mean": grouped.mean().reindex(ks).to_numpy(),
            "sd": grouped.std(ddof=1).reindex(ks).to_numpy() if len(seeds) > 1 else np.nan,
            "n_seeds": len(seeds),
        }
    )
    best_mean = summary["mean"].max()
    if rule == "max":
        best_k = int(summary.loc[summary["mean"] == best_mean, "k"].min())
        text = f"highest mean {coherence} over seeds {seeds}; ties -> smaller K"
    else:
        top = summary.loc[summary["mean"] == best_mean].iloc[0]
        se = float(top["sd"]) / np.sqrt(len(seeds)) if len(seeds) > 1 else 0.0
        best_k = int(summary.loc[summary["mean"] >= best_mean - se, "k"].min())
        text = (
            f"smallest K whose mean {coherence} over seeds {seeds} is within one standard error "
            f"({se:.4f}) of the highest mean (K={int(top['k'])})"
        )
    summary["chosen"] = summary["k"] == best_k
    return SelectionResult(curve, summary, best_k, text, coherence, first_models[best_k])
