"""Topics against human codes, and topic-based machine suggestions for Label Studio.

:func:`compare_codes` asks, for every topic and code, whether segments coded with
the code carry more of the topic than segments not coded with it; topics that
match no code are candidate new themes. :func:`to_labelstudio_predictions` turns
the segments whose dominant topic is aligned with a code into Label Studio
predictions (pre-annotations with a ``model_version`` naming the model), which
:func:`push_predictions` sends to a server. Pulled back with
:func:`qualquant.coding.labelstudio.read_export` they keep ``source="prediction"`` and
``coder=<model_version>``, so they stay apart from human codings and can enter
the agreement tables as one more coder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qualquant.coding.errors import TopicModelError

# The shared statistics; re-exported here, where they were first public.
from qualquant.coding.stats import benjamini_hochberg, mann_whitney

if TYPE_CHECKING:
    from qualquant.coding.codebook import Codebook
    from qualquant.coding.labelstudio import ExportReadResult, LabelStudioClient
    from qualquant.coding.topics._model import TopicModel
    from qualquant.corpus import Corpus

__all__ = [
    "ALIGNMENT_COLUMNS",
    "CompareResult",
    "benjamini_hochberg",
    "compare_codes",
    "mann_whitney",
    "model_version",
    "pull_predictions",
    "push_predictions",
    "to_labelstudio_predictions",
]

ALIGNMENT_COLUMNS = (
    "rank",
    "topic",
    "label",
    "terms",
    "code",
    "n_coded",
    "n_uncoded",
    "mean_coded",
    "mean_uncoded",
    "difference",
    "cohen_d",
    "rank_biserial",
    "u_statistic",
    "p_value",
    "p_adjusted",
    "aligned",
)


def _cohen_d(x: np.ndarray, y: np.ndarray) -> float:
    nx, ny = len(x), len(y)
    if nx < 2 or ny < 2:
        return float("nan")
    pooled = ((nx - 1) * x.var(ddof=1) + (ny - 1) * y.var(ddof=1)) / (nx + ny - 2)
    return float((x.mean() - y.mean()) / np.sqrt(pooled)) if pooled > 0 else float("nan")


@dataclass(frozen=True, slots=True)
class CompareResult:
    """Result of :func:`compare_codes`.

    Attributes
    ----------
    alignment : pandas.DataFrame
        Every topic x code, ranked (columns :data:`ALIGNMENT_COLUMNS`).
    best : pandas.DataFrame
        The best-matching code per topic (same columns).
    candidates : pandas.DataFrame
        Topics aligned with no code: ``topic, label, terms, prevalence, best_code,
        best_rank_biserial``.
    candidate_segments : pandas.DataFrame
        Representative documents of those topics (see
        :meth:`TopicModel.representative_documents`).
    set_aside : pandas.DataFrame
        Coded rows not used, with the reason: ``code, transcript_id, segment_id, n_rows, reason``.
    """

    alignment: pd.DataFrame
    best: pd.DataFrame
    candidates: pd.DataFrame
    candidate_segments: pd.DataFrame
    set_aside: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The ranked alignment table."""
        return self.alignment

    def topic_codes(self) -> dict[int, str]:
        """Topic -> code for topics aligned with a code (their best aligned code)."""
        best = self.best[self.best["aligned"]]
        return {int(t): str(c) for t, c in zip(best["topic"], best["code"])}


def _segment_of_offsets(codings: pd.DataFrame, corpus: Corpus | None) -> pd.Series:
    """segment_id for rows without one, from offsets overlapping a segment of the transcript."""
    out = codings["segment_id"].copy()
    missing = out.isna()
    if not missing.any():
        return out
    if corpus is None:
        return out
    for i in np.flatnonzero(missing.to_numpy()):
        row = codings.iloc[i]
        transcript = corpus.get(row["transcript_id"]) if row["transcript_id"] is not None else None
        if transcript is None:
            continue
        for seg in transcript.segments:
            if seg.start < row["end"] and row["start"] < seg.end:
                out.iloc[i] = seg.segment_id
                break
    return out


def compare_codes(
    model: TopicModel,
    codings: pd.DataFrame,
    corpus: Corpus | None = None,
    *,
    source: str | None = "human",
    coders: Sequence[str] | None = None,
    min_coded: int = 3,
    alpha: float = 0.05,
    n_segments: int = 3,
) -> CompareResult:
    """Compare topics with human codes, segment by segment.

    Parameters
    ----------
    model : TopicModel
        A fitted model (unit ``segment`` or ``window``: documents carry segment ids;
        unit ``transcript``: a transcript counts as coded when any of its segments is).
    codings : pandas.DataFrame
        A codings table (:data:`qualquant.coding.CODINGS_COLUMNS`).
    corpus : corpus.Corpus, optional
        Needed only when codings lack ``segment_id`` (offsets are then matched to segments).
    source : str or None
        Keep only rows with this ``source`` (None keeps all).
    coders : sequence of str, optional
        Keep only these coders. A document counts as coded with a code when ANY kept
        coder applied it to its segment (union over coders).
    min_coded : int
        Codes applied to fewer documents are listed in ``set_aside`` and not tested.
    alpha : float
        Level for ``aligned`` (BH-adjusted p below ``alpha`` and a positive difference).
    n_segments : int
        Representative segments per candidate topic.

    Returns
    -------
    CompareResult
        ``alignment`` columns: ``rank`` (by rank-biserial correlation, highest
        first), ``topic``, ``label``, ``terms`` (top 6 lemmas), ``code``,
        ``n_coded``/``n_uncoded`` (documents), ``mean_coded``/``mean_uncoded`` (mean
        topic proportion), ``difference`` (coded minus uncoded), ``cohen_d`` (pooled
        SD), ``rank_biserial``, ``u_statistic``, ``p_value`` (two-sided Mann-Whitney
        U), ``p_adjusted`` (Benjamini-Hochberg over all topic x code tests),
        ``aligned``.

    Raises
    ------
    TopicModelError
        If the model is not fitted, the codings table lacks columns, or no code is
        applied to at least ``min_coded`` documents.
    """
    model._check_fitted()
    needed = {"code", "segment_id", "transcript_id"}
    if not needed <= set(codings.columns):
        raise TopicModelError(
            f"The codings table lacks column(s) {', '.join(sorted(needed - set(codings.columns)))}; "
            "pass a codings table (coding.CODINGS_COLUMNS)."
        )
    rows = codings
    if source is not None and "source" in rows.columns:
        rows = rows[rows["source"] == source]
    if coders is not None:
        rows = rows[rows["coder"].isin(list(coders))]
    rows = rows.reset_index(drop=True)
    if "start" in rows.columns:
        rows = rows.assign(segment_id=_segment_of_offsets(rows, corpus))
    docs = model.documents_
    by_transcript = model.unit == "transcript"
    key_col = "transcript_id" if by_transcript else "segment_id"
    doc_keys = docs[key_col].to_numpy(dtype=object)
    known = set(doc_keys.tolist())
    set_aside = []
    keyed = rows[key_col]
    unknown = rows[keyed.isna() | ~keyed.isin(known)]
    for (code, tid, sid), n in unknown.groupby(["code", "transcript_id", "segment_id"], dropna=False).size().items():
        reason = (
            "no segment id (pass the corpus to match offsets)"
            if sid is None or sid != sid
            else "segment is not a document of the model (not a participant turn, or set aside)"
        )
        set_aside.append((code, tid, None if sid != sid else sid, int(n), reason))
    rows = rows[keyed.notna() & keyed.isin(known)]
    coded_sets = {code: set(group[key_col]) for code, group in rows.groupby("code", sort=True)}
    codes = []
    for code, keys in coded_sets.items():
        n_coded = int(np.isin(doc_keys, list(keys)).sum())
        if n_coded < min_coded or n_coded == len(docs):
            set_aside.append(
                (
                    code,
                    None,
                    None,
                    n_coded,
                    f"applied to {n_coded} of {len(docs)} documents; need at least {min_coded} and some uncoded",
                )
            )
        else:
            codes.append(code)
    set_aside_frame = pd.DataFrame(set_aside, columns=["code", "transcript_id", "segment_id", "n_rows", "reason"])
    if not codes:
        raise TopicModelError(
            f"No code is applied to at least {min_coded} of the model's {len(docs)} documents; nothing to compare. "
            "Check that the codings belong to this corpus (segment ids) and the model's unit."
        )
    theta = model.doc_topics_
    terms = [", ".join(w) for w in model.top_words(6)]
    out = []
    for code in codes:
        mask = np.isin(doc_keys, list(coded_sets[code]))
        for k in range(int(model.n_topics)):
            x, y = theta[mask, k], theta[~mask, k]
            mw = mann_whitney(x, y)
            out.append(
                (
                    k,
                    model.labels_[k],
                    terms[k],
                    code,
                    int(mask.sum()),
                    int((~mask).sum()),
                    float(x.mean()),
                    float(y.mean()),
                    float(x.mean() - y.mean()),
                    _cohen_d(x, y),
                    mw.rank_biserial,
                    mw.statistic,
                    mw.p_value,
                )
            )
    table = pd.DataFrame(out, columns=list(ALIGNMENT_COLUMNS[1:-2]))
    table["p_adjusted"] = benjamini_hochberg(table["p_value"])
    table["aligned"] = (table["p_adjusted"] < alpha) & (table["difference"] > 0)
    table = table.sort_values(["rank_biserial", "topic", "code"], ascending=[False, True, True], kind="stable")
    table.insert(0, "rank", np.arange(1, len(table) + 1, dtype=np.int64))
    table = table.reset_index(drop=True)
    best = (
        table.sort_values(["topic", "aligned", "rank_biserial"], ascending=[True, False, False], kind="stable")
        .groupby("topic", sort=True)
        .head(1)
        .reset_index(drop=True)
    )
    summary = model.topic_summary(6)
    unmatched = best[~best["aligned"]]
    candidates = pd.DataFrame(
        {
            "topic": unmatched["topic"].to_numpy(dtype=np.int64),
            "label": unmatched["label"].to_numpy(dtype=object),
            "terms": unmatched["terms"].to_numpy(dtype=object),
            "prevalence": summary.set_index("topic").loc[unmatched["topic"], "prevalence"].to_numpy(),
            "best_code": unmatched["code"].to_numpy(dtype=object),
            "best_rank_biserial": unmatched["rank_biserial"].to_numpy(),
        }
    )
    reps = model.representative_documents(n_segments)
    candidate_segments = reps[reps["topic"].isin(candidates["topic"])].reset_index(drop=True)
    return CompareResult(table, best, candidates, candidate_segments, set_aside_frame)


def model_version(model: TopicModel) -> str:
    """The ``model_version`` string naming a fitted topic model: ``qualquant-lda-k<K>-seed<S>-<unit>``."""
    return f"qualquant-lda-k{int(model.n_topics)}-seed{int(model.random_state)}-{model.unit}"


def to_labelstudio_predictions(
    model: TopicModel,
    corpus: Corpus,
    codebook: Codebook,
    *,
    threshold: float = 0.5,
    topic_codes: Mapping[int, str] | CompareResult | None = None,
    unit: str = "transcript",
) -> list[dict]:
    """Label Studio predictions for segments whose dominant topic is aligned with a code.

    Parameters
    ----------
    model : TopicModel
        A fitted model with unit ``segment`` or ``window`` (windows vote by their
        token-weighted mean proportions per segment).
    corpus : corpus.Corpus
        The corpus the tasks were pushed from (same canonical text).
    codebook : Codebook
        Gives each code's facet (the ``from_name`` of the labels group).
    threshold : float
        Minimum proportion of the dominant topic.
    topic_codes : mapping or CompareResult, optional
        Topic -> code. Default: the labels of seeded topics.
    unit : {"transcript", "segment"}
        The unit the tasks were pushed with: transcript tasks get one prediction per
        transcript with one span per suggested segment (offsets in the transcript
        text); segment tasks one prediction per segment, spanning the whole turn.

    Returns
    -------
    list of dict
        One per task: ``{"unit", "transcript_id", "segment_id" (segment unit),
        "model_version", "score" (mean dominant proportion), "result": [...]}``;
        each result item is a ``labels`` span ``{"id", "from_name": facet,
        "to_name": "text", "type": "labels", "value": {"start", "end", "text",
        "labels": [code]}}``.

    Raises
    ------
    TopicModelError
        No topic-code mapping, a code missing from the codebook, or a transcript
        model.
    """
    model._check_fitted()
    if model.unit == "transcript":
        raise TopicModelError("Predictions need segment-level documents; fit with unit='segment' or 'window'.")
    if unit not in ("transcript", "segment"):
        raise TopicModelError(f"Unknown task unit {unit!r}; use 'transcript' or 'segment'.")
    if isinstance(topic_codes, CompareResult):
        topic_codes = topic_codes.topic_codes()
    if topic_codes is None:
        topic_codes = {k: label for k, label in enumerate(model.labels_) if label}
    if not topic_codes:
        raise TopicModelError(
            "No topic is aligned with a code: fit seeded topics (seed_words) or pass topic_codes / the result "
            "of compare_codes."
        )
    for code in topic_codes.values():
        if code not in codebook:
            raise TopicModelError(f"Code {code!r} is not in the codebook; check the topic-code mapping.")
    docs = model.documents_
    weights = docs["n_tokens"].to_numpy(dtype=float)
    seg_ids, inverse = np.unique(docs["segment_id"].to_numpy(dtype=object).astype(str), return_inverse=True)
    sums = np.zeros((len(seg_ids), model.doc_topics_.shape[1]))
    np.add.at(sums, inverse, model.doc_topics_ * weights[:, None])
    theta = sums / np.bincount(inverse, weights=weights)[:, None]
    dominant = {str(s): (int(theta[i].argmax()), float(theta[i].max())) for i, s in enumerate(seg_ids)}
    version = model_version(model)
    by_task: dict[tuple, dict] = {}
    for transcript in corpus:
        for seg in transcript.segments:
            hit = dominant.get(seg.segment_id)
            if hit is None or hit[1] < threshold or hit[0] not in topic_codes:
                continue
            code = topic_codes[hit[0]]
            if unit == "transcript":
                key = ("transcript", transcript.id)
                start, end = seg.start, seg.end
            else:
                key = ("segment", seg.segment_id)
                start, end = 0, len(seg.text)
            task = by_task.setdefault(
                key,
                {
                    "unit": unit,
                    "transcript_id": transcript.id,
                    "segment_id": seg.segment_id if unit == "segment" else None,
                    "model_version": version,
                    "scores": [],
                    "result": [],
                },
            )
            task["scores"].append(hit[1])
            task["result"].append(
                {
                    "id": f"t{hit[0]}_{seg.segment_id.replace(':', '_')}",
                    "from_name": codebook.facet_of(code),
                    "to_name": "text",
                    "type": "labels",
                    "value": {"start": start, "end": end, "text": seg.text, "labels": [code]},
                    "score": hit[1],
                }
            )
    out = []
    for task in by_task.values():
        scores = task.pop("scores")
        task["score"] = float(np.mean(scores))
        out.append(task)
    return out


def push_predictions(client: LabelStudioClient, project: int | str, predictions: Sequence[dict]) -> list[int]:
    """Create the predictions on a Label Studio server; return the prediction ids.

    Tasks are found by their data (``unit`` with ``transcript_id`` or ``segment_id``,
    as :meth:`qualquant.coding.labelstudio.LabelStudioClient.push` writes them). Uses the SDK's
    ``predictions.create(task=..., result=..., score=..., model_version=...)``.

    Raises
    ------
    TopicModelError
        When a prediction's task is not in the project (push the corpus with the same unit first).
    """
    project_id = client._resolve(project)
    index = {}
    for task in client.tasks(project_id):
        data = task.data or {}
        unit = data.get("unit")
        key = data.get("segment_id") if unit == "segment" else data.get("transcript_id")
        if unit and key:
            index[(unit, str(key))] = int(task.id)
    ids = []
    for pred in predictions:
        key = (pred["unit"], pred["segment_id"] if pred["unit"] == "segment" else pred["transcript_id"])
        task_id = index.get(key)
        if task_id is None:
            raise TopicModelError(
                f"Project {project_id} has no {key[0]} task for {key[1]}; push the corpus with "
                f"unit={key[0]!r} before pushing predictions."
            )
        created = client._call(
            f"creating a prediction on task {task_id}",
            client.sdk.predictions.create,
            task=task_id,
            result=pred["result"],
            score=pred["score"],
            model_version=pred["model_version"],
        )
        ids.append(int(created.id))
    return ids


def pull_predictions(
    client: LabelStudioClient,
    project: int | str,
    *,
    codebook: Codebook | None = None,
    corpus: Corpus | None = None,
) -> ExportReadResult:
    """Read a project's predictions back as validated codings (``source="prediction"``), without a snapshot.

    :meth:`qualquant.coding.labelstudio.LabelStudioClient.pull` now returns predictions
    with the human codings (it merges them into the full JSON export, which in
    Label Studio 1.23 lists them by id only) and keeps a snapshot; this reads
    only the predictions, through the same client code: the task texts from
    ``tasks.list`` and the predictions from
    :meth:`~qualquant.coding.labelstudio.LabelStudioClient.predictions` (one call), put
    into export form and checked by :func:`qualquant.coding.labelstudio._export.parse_export` like
    any export: each span validated against the task text (and the corpus),
    coder = ``model_version``.

    Returns
    -------
    ExportReadResult
        ``.codings`` holds only prediction rows; ``.issues`` lists anything set aside.
    """
    import json

    from qualquant.coding.labelstudio._export import parse_export

    project_id = client._resolve(project)
    by_task = client.predictions(project_id)
    tasks = [
        {
            "id": int(task.id),
            "data": task.data or {},
            "annotations": [],
            "drafts": [],
            "predictions": by_task.get(int(task.id), []),
            "project": project_id,
        }
        for task in client.tasks(project_id)
    ]
    raw = json.dumps(tasks, ensure_ascii=False, default=str).encode("utf-8")
    return parse_export(raw, name=f"predictions of project {project_id}", codebook=codebook, corpus=corpus)
