"""Topic coherence (:func:`topic_coherence`) and the measures it knows (:data:`COHERENCE_MEASURES`).

Used by :class:`qualquant.coding.topics.TopicModel` (``coherence_``) and by the
choice of the number of topics; re-exported by :mod:`qualquant.coding.topics`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from qualquant.coding.errors import TopicModelError

if TYPE_CHECKING:
    from gensim.corpora import Dictionary

__all__ = ["COHERENCE_MEASURES", "topic_coherence"]

COHERENCE_MEASURES = ("c_v", "u_mass", "c_npmi")


def topic_coherence(
    topics: Sequence[Sequence[str]],
    texts: Iterable[Sequence[str]],
    dictionary: Dictionary,
    *,
    measure: str = "c_v",
    corpus: Iterable[Any] | None = None,
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
