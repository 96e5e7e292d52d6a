"""Coded spans and the codings table shared by the coding package.

The codings table
-----------------
A :class:`pandas.DataFrame` with the columns :data:`CODINGS_COLUMNS`:

``coder``
    Who coded: a coder name (server user e-mail/username, a pseudonym
    ``coder_1``...), the model version for predictions, or ``"consensus"``.
``source``
    ``"human"`` or ``"prediction"``.
``transcript_id``, ``segment_id``
    Where the span lies. With a corpus, ``segment_id`` is the id of the
    corpus segment the row lies in. Without a corpus, ``segment_id`` is None
    (``transcript_id`` is taken from the task data when present).
``code``
    The code id (one row per code when a span carries several labels).
``start``, ``end``
    With a corpus: code-point offsets into the CANONICAL transcript text, so
    ``text == transcript.text[start:end]``. A span is cut at segment
    boundaries: one row per (span x segment it overlaps), clipped to that
    segment, so a span over parts of three segments gives three rows sharing
    ``result_id``. Parts of a span that fall outside every segment (speaker
    labels, blank lines) are not in any row. Without a corpus: offsets into
    the task text and one row per span and code.
``text``
    The coded text of the row.
``task_id``, ``annotation_id``, ``result_id``
    Label Studio ids (``annotation_id`` is the prediction id for predictions;
    ``result_id`` is synthesised as ``"<annotation>:<from_name>:<n>"`` when
    the export format has none, e.g. JSON_MIN and CSV).
``created_at``, ``updated_at``
    ISO 8601 timestamps of the annotation as exported (text).
``ground_truth``
    True when the annotation was marked as ground truth in Label Studio.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qualquant.coding.errors import CodingError
from qualquant.io import Column, TableSchema, read_table

if TYPE_CHECKING:
    import os

    from qualquant.corpus import Transcript

__all__ = [
    "CODINGS_COLUMNS",
    "CODINGS_SCHEMA",
    "CONSENSUS_RULES",
    "CodedSpan",
    "codings_frame",
    "consensus",
    "empty_codings",
    "read_codings_table",
    "split_by_segments",
]

#: The codings table's columns and their types, for reading it back from CSV/XLSX/Parquet
#: (:func:`read_codings_table`). A file must have the ``required`` columns; the others
#: are filled in when absent (``source`` "human", ``ground_truth`` False, the rest empty).
CODINGS_SCHEMA = TableSchema(
    "codings table",
    (
        Column("coder", "str"),
        Column("source", "str", required=False, default="human"),
        Column("transcript_id", "str", nullable=True),
        Column("segment_id", "str", nullable=True),
        Column("code", "str"),
        Column("start", "int"),
        Column("end", "int"),
        Column("text", "str", nullable=True, required=False),
        Column("task_id", "int", nullable=True, required=False),
        Column("annotation_id", "int", nullable=True, required=False),
        Column("result_id", "str", nullable=True, required=False),
        Column("created_at", "str", nullable=True, required=False),
        Column("updated_at", "str", nullable=True, required=False),
        Column("ground_truth", "bool", required=False, default=False),
    ),
)

CODINGS_COLUMNS: tuple[str, ...] = CODINGS_SCHEMA.names

CONSENSUS_RULES = ("majority", "union", "intersection")


@dataclass(frozen=True, slots=True)
class CodedSpan:
    """One row of the codings table (see the module docstring for the fields)."""

    coder: str
    source: str
    transcript_id: str | None
    segment_id: str | None
    code: str
    start: int
    end: int
    text: str
    task_id: int | None = None
    annotation_id: int | None = None
    result_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    ground_truth: bool = False


_DTYPES = CODINGS_SCHEMA.dtypes


def empty_codings() -> pd.DataFrame:
    """An empty codings table with the right columns and dtypes."""
    return codings_frame([])


def read_codings_table(path: str | os.PathLike[str], *, sheet: str | int = 0, hint: str = "") -> pd.DataFrame:
    """Read a codings table written by qualquant (CSV, XLSX or Parquet) with every column typed.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.xlsx`` or ``.parquet`` file with the codings columns.
    sheet : str or int
        The XLSX sheet (default: the first).
    hint : str
        What to do when the file is not a codings table (added to that message).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CODINGS_COLUMNS` with the dtypes of :data:`CODINGS_SCHEMA`
        (ids and text as ``str`` or None, ``start``/``end`` int64, ``task_id``/
        ``annotation_id`` Int64, ``ground_truth`` bool), then any other columns
        of the file. Columns the file may lack are filled in: ``source``
        "human", ``ground_truth`` False, the others empty.

    Raises
    ------
    corpus.errors.TableReadError
        The file cannot be read or lacks one of ``coder, transcript_id,
        segment_id, code, start, end``.
    corpus.errors.TableValueError
        A cell does not parse (``ground_truth`` not True/False/1/0, ``start``
        not a whole number, an empty ``code``...); the message names the
        file, row and column.
    """
    return read_table(path, CODINGS_SCHEMA, sheet=sheet, hint=hint)


def _bool_column(frame: pd.DataFrame, column: str, what: str) -> pd.Series:
    """``frame[column]`` as booleans; a :class:`CodingError` when it holds anything but True/False.

    Text such as ``"False"`` (a codings table read from CSV without its
    schema) would be true under ``astype(bool)``; it is refused here.
    """
    values = frame[column]
    if pd.api.types.is_bool_dtype(values.dtype) and not values.isna().any():
        return values.astype(bool)
    bad = [v for v in values.tolist() if not isinstance(v, (bool, np.bool_))]
    if not bad:
        return pd.Series([bool(v) for v in values.tolist()], index=values.index, dtype=bool)
    raise CodingError(
        f"{what}: column {column!r} must hold True/False, but holds {bad[0]!r} (dtype {values.dtype}). "
        "Read codings tables with coding.read_codings_table (or `qualquant coding ...` commands), which parse "
        "the booleans."
    )


def codings_frame(spans: Iterable[CodedSpan]) -> pd.DataFrame:
    """Build a codings table from :class:`CodedSpan` records.

    Rows are sorted by transcript_id, segment_id, start, end, code, coder,
    source, task_id, annotation_id, result_id so that the same input always
    gives the same table.

    Parameters
    ----------
    spans : iterable of CodedSpan

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CODINGS_COLUMNS`.
    """
    rows = [astuple(span) for span in spans]
    df = pd.DataFrame(rows, columns=list(CODINGS_COLUMNS)) if rows else pd.DataFrame(columns=list(CODINGS_COLUMNS))
    df = df.astype({k: v for k, v in _DTYPES.items()})
    df = df.astype({k: "object" for k, v in _DTYPES.items() if v == "object"})
    for col in ("transcript_id", "segment_id", "result_id", "created_at", "updated_at"):
        df[col] = df[col].where(df[col].notna(), None)
    if len(df):
        key = df[["transcript_id", "segment_id", "result_id"]].fillna("").astype(str)
        df = (
            df.assign(
                _t=key["transcript_id"],
                _s=key["segment_id"],
                _r=key["result_id"],
                _task=df["task_id"].fillna(-1),
                _ann=df["annotation_id"].fillna(-1),
            )
            .sort_values(
                ["_t", "_s", "start", "end", "code", "coder", "source", "_task", "_ann", "_r"], kind="mergesort"
            )
            .drop(columns=["_t", "_s", "_r", "_task", "_ann"])
            .reset_index(drop=True)
        )
    return df


def split_by_segments(transcript: Transcript, start: int, end: int) -> list[tuple[str, int, int]]:
    """Cut a transcript span at segment boundaries.

    Parameters
    ----------
    transcript : corpus.Transcript
        Anything with ``segments`` whose items have ``segment_id``, ``start``, ``end``.
    start, end : int
        Code-point offsets into ``transcript.text``.

    Returns
    -------
    list of (segment_id, start, end)
        One entry per segment the span overlaps, clipped to the segment, in
        text order; empty when the span touches no segment.
    """
    parts = []
    for segment in transcript.segments:
        s = max(start, segment.start)
        e = min(end, segment.end)
        if s < e:
            parts.append((segment.segment_id, s, e))
    return parts


def _stitch(rows: pd.DataFrame) -> list[tuple[int, int, str]]:
    """Merge overlapping or touching intervals and rebuild their text from the rows."""
    pieces = sorted(zip(rows["start"], rows["end"], rows["text"]), key=lambda x: (x[0], -x[1]))
    merged: list[list] = []
    for s, e, t in pieces:
        if merged and s <= merged[-1][1]:
            cur = merged[-1]
            if e > cur[1]:
                cur[2] = cur[2] + t[cur[1] - s :]
                cur[1] = e
        else:
            merged.append([s, e, t])
    return [(s, e, t) for s, e, t in merged]


def consensus(
    codings: pd.DataFrame,
    *,
    rule: str = "majority",
    ground_truth: bool = True,
    coders: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Consensus coding at the segment x code level.

    For every segment and code, the code is in the consensus when

    - ``rule="majority"``: more than half of the coders applied it in that segment;
    - ``rule="union"``: at least one coder applied it;
    - ``rule="intersection"``: every coder applied it.

    The coders counted are ``coders`` (default: every human coder in the
    table). With ``ground_truth=True``, for each task that has a ground-truth
    annotation the decision for all segments of that task is the ground-truth
    annotation's codes instead of the rule (several ground-truth annotations
    on one task: their union).

    The span of a consensus row is the union of the spans of the coders who
    applied the code in that segment (overlapping or touching spans merged;
    disjoint parts give separate rows), so ``text`` stays an exact substring.

    Parameters
    ----------
    codings : pandas.DataFrame
        A codings table with ``segment_id`` filled (read with a corpus).
        Prediction rows are ignored.
    rule : {"majority", "union", "intersection"}
    ground_truth : bool
        Let ground-truth annotations decide where present.
    coders : sequence of str, optional
        The coders whose votes count.

    Returns
    -------
    pandas.DataFrame
        A codings table (:data:`CODINGS_COLUMNS`) with ``coder="consensus"``,
        ``source="human"``, ``annotation_id`` empty, ``result_id`` =
        ``"consensus:<segment_id>:<code>:<n>"`` and ``ground_truth`` True for
        rows decided by ground truth.

    Raises
    ------
    CodingError
        Unknown rule, missing columns, rows without ``segment_id``, or a
        ``ground_truth`` column that holds anything but True/False (e.g. the
        text ``"False"`` of a CSV read without its schema: read codings tables
        with :func:`read_codings_table`).
    """
    if rule not in CONSENSUS_RULES:
        raise CodingError(f"Unknown consensus rule {rule!r}; use one of {', '.join(CONSENSUS_RULES)}.")
    missing = [c for c in CODINGS_COLUMNS if c not in codings.columns]
    if missing:
        raise CodingError(f"consensus: the codings table lacks column(s) {', '.join(missing)}.")
    human = codings[codings["source"] == "human"]
    if human["segment_id"].isna().any():
        raise CodingError(
            "consensus works at segment level, but some codings have no segment_id. "
            "Read the export with corpus=... so spans are mapped onto segments."
        )
    if coders is None:
        coders = sorted(human["coder"].unique())
    else:
        coders = list(dict.fromkeys(coders))
        human = human[human["coder"].isin(coders)]
    n_coders = len(coders)
    out: list[CodedSpan] = []
    if n_coders == 0 or human.empty:
        return codings_frame(out)

    gt_tasks: set = set()
    human = human.assign(_gt=_bool_column(human, "ground_truth", "consensus").to_numpy())
    if ground_truth:
        gt_tasks = set(human.loc[human["_gt"], "task_id"].dropna())

    for (segment_id, code), rows in human.groupby(["segment_id", "code"], sort=True):
        task_ids = set(rows["task_id"].dropna())
        decided_by_gt = bool(task_ids & gt_tasks)
        if decided_by_gt:
            support = rows[rows["_gt"] & rows["task_id"].isin(gt_tasks)]
            present = not support.empty
        else:
            n = rows["coder"].nunique()
            if rule == "majority":
                present = n > n_coders / 2
            elif rule == "union":
                present = n >= 1
            else:
                present = n == n_coders
            support = rows
        if not present:
            continue
        first = support.iloc[0]
        tasks = sorted(set(support["task_id"].dropna()))
        for k, (s, e, text) in enumerate(_stitch(support)):
            out.append(
                CodedSpan(
                    coder="consensus",
                    source="human",
                    transcript_id=first["transcript_id"],
                    segment_id=segment_id,
                    code=code,
                    start=int(s),
                    end=int(e),
                    text=text,
                    task_id=int(tasks[0]) if len(tasks) == 1 else None,
                    result_id=f"consensus:{segment_id}:{code}:{k}",
                    ground_truth=decided_by_gt,
                )
            )
    return codings_frame(out)
