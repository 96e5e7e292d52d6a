"""qualquant.coding.topics: Topic models on segments: the model, the choice of K, documents, comparison, effects."""

from qualquant.coding.topics._coherence import COHERENCE_MEASURES, topic_coherence
from qualquant.coding.topics._compare import (
    ALIGNMENT_COLUMNS,
    CompareResult,
    benjamini_hochberg,
    compare_codes,
    mann_whitney,
    model_version,
    pull_predictions,
    push_predictions,
    to_labelstudio_predictions,
)
from qualquant.coding.topics._documents import (
    DOCUMENT_COLUMNS,
    UNITS,
    ArrayBow,
    ArrayTexts,
    PreparedDocuments,
    documents_from_texts,
    excerpt,
    prepare_documents,
)
from qualquant.coding.topics._effects import (
    EFFECTS_COLUMNS,
    SET_ASIDE_COLUMNS,
    align_topics,
    effects_set_aside,
    effects_to_svg,
    estimate_effects,
)
from qualquant.coding.topics._model import TOPICS_COLUMNS, NotFittedError, TopicModel, select_n_topics
from qualquant.coding.topics._select import SelectionResult

__all__ = [
    "align_topics",
    "ALIGNMENT_COLUMNS",
    "ArrayBow",
    "ArrayTexts",
    "benjamini_hochberg",
    "COHERENCE_MEASURES",
    "compare_codes",
    "CompareResult",
    "DOCUMENT_COLUMNS",
    "documents_from_texts",
    "EFFECTS_COLUMNS",
    "effects_set_aside",
    "effects_to_svg",
    "estimate_effects",
    "excerpt",
    "mann_whitney",
    "model_version",
    "NotFittedError",
    "prepare_documents",
    "PreparedDocuments",
    "pull_predictions",
    "push_predictions",
    "select_n_topics",
    "SelectionResult",
    "SET_ASIDE_COLUMNS",
    "to_labelstudio_predictions",
    "topic_coherence",
    "TopicModel",
    "TOPICS_COLUMNS",
    "UNITS",
]
