"""Stage-by-stage counts of cases, transcripts and survey rows in a study run.

Every stage that reads, links or sets aside cases, transcripts or survey rows
stores a small ``counts`` table (:func:`counts_frame`): one row per step with
the number of each kind of record it used and a note naming what it left out
and why. The ``exports`` stage joins them, in stage order, into
``reconciliation_counts.csv`` (:func:`reconciliation_counts`), shown in the
report next to the corpus reconciliation. A reader can follow a transcript
without a case row, a case without a transcript or a survey row without an
interview from the files read to the last table that uses them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import pandas as pd

__all__ = ["COUNTS_COLUMNS", "STEP_COLUMNS", "counts_frame", "listing", "reconciliation_counts"]

#: Columns of a stage's ``counts`` table (a count is missing where the step does not concern that record).
STEP_COLUMNS = ("step", "cases", "transcripts", "survey_rows", "note")
#: Columns of ``reconciliation_counts.csv``.
COUNTS_COLUMNS = ("stage",) + STEP_COLUMNS


def counts_frame(rows: Iterable[dict]) -> pd.DataFrame:
    """A stage's ``counts`` table from dicts with some of :data:`STEP_COLUMNS` (counts as nullable integers)."""
    frame = pd.DataFrame(list(rows), columns=list(STEP_COLUMNS))
    for col in ("cases", "transcripts", "survey_rows"):
        frame[col] = pd.array([None if v is None or v != v else int(v) for v in frame[col]], dtype="Int64")
    frame["step"] = frame["step"].astype(object)
    frame["note"] = frame["note"].map(lambda v: "" if v is None or v != v else str(v)).astype(object)
    return frame


def listing(ids: Sequence[str], what: str, *, limit: int = 20) -> str:
    """``"2 transcripts without a case row: INT21, INT22"`` (at most ``limit`` ids, then ``...``); ``""`` if none."""
    ids = [str(i) for i in ids]
    if not ids:
        return ""
    shown = ", ".join(ids[:limit]) + (", ..." if len(ids) > limit else "")
    return f"{len(ids)} {what}: {shown}"


def reconciliation_counts(table: Callable[[str], pd.DataFrame | None], stages: Sequence[str]) -> pd.DataFrame:
    """Join the ``<stage>/counts`` tables of ``stages`` (in that order) into one table.

    Parameters
    ----------
    table : callable
        ``table("stage/name")`` returns a stored table or None.
    stages : sequence of str
        Stage names in run order.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COUNTS_COLUMNS`: ``stage``, ``step``, ``cases``,
        ``transcripts``, ``survey_rows`` (counts; missing where the step does
        not concern that record) and ``note`` (what was left out and why).
    """
    parts = []
    for name in stages:
        df = table(f"{name}/counts")
        if df is not None and len(df):
            parts.append(counts_frame(df.to_dict("records")).assign(stage=name))
    if not parts:
        return counts_frame([]).assign(stage=pd.Series([], dtype=object))[list(COUNTS_COLUMNS)]
    return pd.concat(parts, ignore_index=True)[list(COUNTS_COLUMNS)]
