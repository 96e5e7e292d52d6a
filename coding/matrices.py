"""Code matrices and theme frequencies from a codings table and its corpus.

Three views of the same codings (see :mod:`qualquant.coding.codings` for the table):

- :func:`segment_code_matrix`: one row per segment (participant turns by
  default), one column per code;
- :func:`case_code_matrix`: one row per case (interviewee), one column per code;
- :func:`theme_frequencies`: one row per code (or per code x group of a case
  attribute) with how many cases, segments and spans carry it and how much of
  the participants' talk it covers.

Which coder
-----------
A codings table usually holds several coders. Every function takes ``coder``:

- ``None``: the table must hold exactly one coder (human or machine), used as is;
- a coder name: only that coder's rows;
- ``"consensus"``: rows already marked ``coder == "consensus"`` when the
  table has them, otherwise :func:`qualquant.coding.consensus` with ``rule`` (majority by
  default) is applied to the human coders first.

Columns are the codes of the whole codings table (every coder), in codebook
order when a codebook is given (codes nobody applied included), so the matrices
of different coders line up.

Coverage
--------
Coverage is the share of the participant's *words* covered by a code. Words are
counted as :func:`qualquant.corpus.model.count_words` counts them (runs of letters, digits
or underscores, joined by hyphens or apostrophes); a word is covered when at
least one of its characters lies inside a span of the code. Denominators are the
words of the segments of the chosen roles (participant turns by default).

Codings outside the analysed roles
----------------------------------
Matrices, theme frequencies and co-occurrence count only segments of the
chosen roles. A coding placed on another segment (a coder coded an
interviewer's question) is therefore not used; :func:`excluded_codings` lists
every such row so that it can be reported rather than lost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from qualquant.coding.codebook import check_code_ids
from qualquant.coding.codings import consensus
from qualquant.coding.errors import CodingError

if TYPE_CHECKING:
    from qualquant.coding.codebook import Codebook
    from qualquant.corpus import Corpus

__all__ = [
    "MATRIX_VALUES",
    "THEME_FREQUENCY_COLUMNS",
    "EXCLUDED_CODINGS_COLUMNS",
    "case_code_matrix",
    "excluded_codings",
    "segment_code_matrix",
    "select_coder",
    "span_keys",
    "theme_frequencies",
]

MATRIX_VALUES = ("presence", "count", "coverage")
THEME_FREQUENCY_COLUMNS = (
    "code",
    "facet",
    "n_cases",
    "n_cases_total",
    "pct_cases",
    "n_segments",
    "n_spans",
    "coverage",
)
MISSING_GROUP = "(missing)"
EXCLUDED_CODINGS_COLUMNS = (
    "coder",
    "source",
    "transcript_id",
    "segment_id",
    "role",
    "code",
    "start",
    "end",
    "task_id",
    "annotation_id",
    "result_id",
    "reason",
)

# The same word pattern as corpus.model.count_words (checked by a test).
_WORD_RE = re.compile(r"\w+(?:[-'’]\w+)*")
_NEEDED = ("coder", "source", "transcript_id", "segment_id", "code", "start", "end")


# ----------------------------------------------------------------- helpers


def check_codings(codings: pd.DataFrame, corpus: Corpus, *, what: str) -> None:
    """Raise a :class:`CodingError` unless ``codings`` can be placed on ``corpus`` segments."""
    if not isinstance(codings, pd.DataFrame):
        raise CodingError(
            f"{what}: codings must be a pandas DataFrame (the codings table), not {type(codings).__name__}."
        )
    missing = [c for c in _NEEDED if c not in codings.columns]
    if missing:
        raise CodingError(
            f"{what}: the codings table lacks column(s) {', '.join(missing)}. "
            "Make it from a Label Studio export with `qualquant coding import EXPORT --out codings.csv`."
        )
    if len(codings) and codings["segment_id"].isna().any():
        n = int(codings["segment_id"].isna().sum())
        raise CodingError(
            f"{what}: {n} coding row(s) have no segment_id. Read the export with corpus=... "
            "(or `qualquant coding import --corpus ...`) so spans are mapped onto segments."
        )
    known = set(corpus.ids)
    unknown = sorted(set(codings["transcript_id"].dropna().astype(str)) - known)
    if unknown:
        shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        raise CodingError(
            f"{what}: {len(unknown)} transcript(s) in the codings are not in the corpus: {shown}. "
            "Pass the corpus the codings were read with."
        )


def select_coder(codings: pd.DataFrame, coder: str | None, *, rule: str = "majority") -> pd.DataFrame:
    """Return the rows of one coder (or the consensus); see the module docstring.

    Parameters
    ----------
    codings : pandas.DataFrame
        A codings table.
    coder : str or None
        ``None`` (the table's only coder), a coder name, or ``"consensus"``.
    rule : {"majority", "union", "intersection"}
        Consensus rule when the consensus has to be computed.

    Returns
    -------
    pandas.DataFrame
        The selected rows (a codings table).

    Raises
    ------
    CodingError
        ``coder=None`` with several coders in the table, or an unknown coder.
    """
    if coder == "consensus":
        if (codings["coder"] == "consensus").any():
            return codings[codings["coder"] == "consensus"]
        return consensus(codings, rule=rule)
    if coder is None:
        coders = sorted(set(codings["coder"].dropna().astype(str)))
        if len(coders) > 1:
            raise CodingError(
                f"The codings table holds {len(coders)} coders ({', '.join(coders)}); choose one with "
                "coder=NAME (--coder NAME) or use coder='consensus'."
            )
        return codings
    rows = codings[codings["coder"] == coder]
    if rows.empty:
        coders = sorted(set(codings["coder"].dropna().astype(str)))
        raise CodingError(f"Coder {coder!r} has no codings; coders in the table: {', '.join(coders) or 'none'}.")
    return rows


def code_order(
    codings: pd.DataFrame, codebook: Codebook | None = None, codes: Sequence[str] | None = None
) -> list[str]:
    """Codes to report: ``codes``, else the codebook's codes then any others, else sorted.

    Raises
    ------
    UnknownCodeError
        ``codes`` names an id that is not in ``codebook`` (checked when a
        codebook is given; a misspelt id would otherwise report a code nobody
        applied).
    """
    if codes is not None:
        if isinstance(codes, str):
            codes = [codes]
        if codebook is not None:
            check_code_ids(codes, codebook, where="The code list (codes=)")
        return list(dict.fromkeys(codes))
    seen = sorted(set(codings["code"].dropna().astype(str)))
    if codebook is None:
        return seen
    ordered = list(codebook.code_ids)
    return ordered + [c for c in seen if c not in set(ordered)]


def facet_of(codebook: Codebook | None, code: str) -> str | None:
    """Facet id of ``code`` in ``codebook`` (None without a codebook or for unknown codes)."""
    if codebook is None or code not in codebook:
        return None
    return codebook.facet_of(code)


def unit_segments(corpus: Corpus, roles: Sequence[str] | None) -> pd.DataFrame:
    """Segments used as units: the corpus segments of ``roles`` in corpus order, with ``case_id``.

    Returns
    -------
    pandas.DataFrame
        Columns ``transcript_id, case_id, segment_id, role, start, end, text, n_words``.
        ``case_id`` is the transcript's case id, or the transcript id when it has none.
    """
    roles = None if roles is None else tuple([roles] if isinstance(roles, str) else roles)
    rows = []
    for transcript in corpus:
        case = transcript.metadata.get("case_id") or transcript.id
        for seg in transcript.segments:
            if roles is None or seg.role in roles:
                rows.append(
                    (
                        transcript.id,
                        str(case),
                        seg.segment_id,
                        seg.role,
                        seg.start,
                        seg.end,
                        seg.text,
                        sum(1 for _ in _WORD_RE.finditer(seg.text)),
                    )
                )
    frame = pd.DataFrame(
        rows, columns=["transcript_id", "case_id", "segment_id", "role", "start", "end", "text", "n_words"]
    )
    for column in ("start", "end", "n_words"):
        frame[column] = frame[column].astype("int64")
    return frame


def span_keys(rows: pd.DataFrame) -> pd.Series:
    """A key per coded span: (task, annotation, result id); rows without a result id are their own span."""
    parts = []
    for column in ("coder", "task_id", "annotation_id", "result_id"):
        if column in rows:
            parts.append(rows[column].astype(object).where(rows[column].notna(), "").astype(str))
    key = parts[0].str.cat(parts[1:], sep="|") if parts else pd.Series("", index=rows.index)
    if "result_id" in rows:
        no_id = rows["result_id"].isna()
    else:
        no_id = pd.Series(True, index=rows.index)
    return key.where(~no_id, "row:" + pd.Series(rows.index.astype(str), index=rows.index))


def excluded_codings(
    codings: pd.DataFrame, corpus: Corpus, *, roles: Sequence[str] | None = ("participant",)
) -> pd.DataFrame:
    """The coding rows that the matrices leave out: codings on segments outside ``roles``.

    Parameters
    ----------
    codings : pandas.DataFrame
        A codings table read with the corpus (every coder; ``segment_id`` filled).
    corpus : corpus.Corpus
        The corpus the codings refer to.
    roles : sequence of str or None
        The analysed roles (participant turns by default; None = all, so nothing is excluded).

    Returns
    -------
    pandas.DataFrame
        One row per excluded coding row, in the input order, columns
        :data:`EXCLUDED_CODINGS_COLUMNS`: ``coder, source, transcript_id,
        segment_id``, ``role`` (of the coded segment), ``code, start, end,
        task_id, annotation_id, result_id`` (None where the codings table has no
        such column) and ``reason`` (``"coded segment is not a participant turn:
        not used for matrices"``, naming the analysed roles).

    Raises
    ------
    CodingError
        As :func:`segment_code_matrix` (missing columns, rows without
        ``segment_id``, transcripts not in the corpus).
    """
    check_codings(codings, corpus, what="excluded_codings")
    roles_t = None if roles is None else tuple([roles] if isinstance(roles, str) else roles)
    role_of: dict[str, str] = {}
    for transcript in corpus:
        for seg in transcript.segments:
            role_of[seg.segment_id] = seg.role
    if roles_t is None or codings.empty:
        return pd.DataFrame(columns=list(EXCLUDED_CODINGS_COLUMNS))
    seg_roles = codings["segment_id"].map(role_of)
    out_rows = codings[~seg_roles.isin(roles_t)]
    what = " or ".join(roles_t)
    what = ("an " if what[:1] in "aeiou" else "a ") + what if what else "an analysed"
    frame = pd.DataFrame(
        {
            c: (out_rows[c] if c in out_rows.columns else None)
            for c in EXCLUDED_CODINGS_COLUMNS
            if c not in ("role", "reason")
        },
        index=out_rows.index,
    )
    frame.insert(4, "role", seg_roles[out_rows.index].where(seg_roles[out_rows.index].notna(), "(unknown segment)"))
    frame["reason"] = f"coded segment is not {what} turn: not used for matrices"
    return frame.reset_index(drop=True)[list(EXCLUDED_CODINGS_COLUMNS)]


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for s, e in sorted(intervals):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def segment_code_long(rows: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """One row per (segment, code) present among ``units``.

    Returns
    -------
    pandas.DataFrame
        Columns ``segment_id, code, n_spans, covered_words``; ``n_spans`` counts
        distinct ``result_id`` values (rows without one count once each).
    """
    rows = rows[rows["segment_id"].isin(set(units["segment_id"]))]
    out_cols = ["segment_id", "code", "n_spans", "covered_words"]
    if rows.empty:
        return pd.DataFrame(
            {c: pd.Series([], dtype="int64" if c in ("n_spans", "covered_words") else object) for c in out_cols}
        )
    seg_start = dict(zip(units["segment_id"], units["start"]))
    seg_text = dict(zip(units["segment_id"], units["text"]))
    word_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    keys = span_keys(rows).to_numpy()
    starts = rows["start"].to_numpy(dtype=np.int64)
    ends = rows["end"].to_numpy(dtype=np.int64)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, (segment_id, code) in enumerate(zip(rows["segment_id"], rows["code"])):
        groups.setdefault((segment_id, code), []).append(i)
    records = []
    for segment_id, code in sorted(groups):
        idx = groups[(segment_id, code)]
        if segment_id not in word_cache:
            base = seg_start[segment_id]
            spans_w = [(m.start() + base, m.end() + base) for m in _WORD_RE.finditer(seg_text[segment_id])]
            word_cache[segment_id] = (
                np.array([w[0] for w in spans_w], dtype=np.int64),
                np.array([w[1] for w in spans_w], dtype=np.int64),
            )
        ws, we = word_cache[segment_id]
        covered = 0
        if len(ws):
            hit = np.zeros(len(ws), dtype=bool)
            for s, e in _merge([(int(starts[i]), int(ends[i])) for i in idx]):
                hit |= (we > s) & (ws < e)
            covered = int(hit.sum())
        records.append((segment_id, code, len(set(keys[idx])), covered))
    return pd.DataFrame(records, columns=out_cols)


def _check_value(value: str) -> None:
    if value not in MATRIX_VALUES:
        raise CodingError(f"Unknown matrix value {value!r}; use one of {', '.join(MATRIX_VALUES)}.")


def _prepare(
    codings: pd.DataFrame, corpus: Corpus, coder: str | None, rule: str, roles: Sequence[str] | None, what: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    check_codings(codings, corpus, what=what)
    rows = select_coder(codings, coder, rule=rule)
    units = unit_segments(corpus, roles)
    return rows, units


# ---------------------------------------------------------------- matrices


def segment_code_matrix(
    codings: pd.DataFrame,
    corpus: Corpus,
    *,
    coder: str | None = None,
    value: str = "presence",
    roles: Sequence[str] | None = ("participant",),
    codebook: Codebook | None = None,
    codes: Sequence[str] | None = None,
    rule: str = "majority",
) -> pd.DataFrame:
    """Segment x code matrix.

    Parameters
    ----------
    codings : pandas.DataFrame
        A codings table read with the corpus (``segment_id`` filled).
    corpus : corpus.Corpus
        The corpus the codings refer to.
    coder : str or None
        ``None`` (the only coder), a coder name or ``"consensus"`` (module docstring).
    value : {"presence", "count", "coverage"}
        1/0 presence; number of spans (distinct ``result_id``) in the segment; or
        the share of the segment's words covered by the code.
    roles : sequence of str or None
        Segment roles that are rows (participant turns by default; None = all).
    codebook : coding.Codebook, optional
        Column order, and zero columns for codes never applied.
    codes : sequence of str, optional
        Exactly these columns, in this order.
    rule : str
        Consensus rule for ``coder="consensus"``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``segment_id`` (every segment of ``roles``, corpus order), one
        column per code; ints for presence/count, floats in [0, 1] for coverage
        (0 for a segment without words).

    Raises
    ------
    CodingError
        Missing columns, rows without ``segment_id``, transcripts not in the corpus,
        several coders with ``coder=None``, unknown ``value``.
    """
    _check_value(value)
    rows, units = _prepare(codings, corpus, coder, rule, roles, "segment_code_matrix")
    cols = code_order(codings, codebook, codes)
    long = segment_code_long(rows, units)
    field = {"presence": "n_spans", "count": "n_spans", "coverage": "covered_words"}[value]
    wide = long.pivot(index="segment_id", columns="code", values=field) if len(long) else pd.DataFrame()
    wide = wide.reindex(index=units["segment_id"], columns=cols).fillna(0)
    if value == "presence":
        wide = (wide > 0).astype("int64")
    elif value == "count":
        wide = wide.astype("int64")
    else:
        n_words = units.set_index("segment_id")["n_words"].astype(float)
        wide = wide.astype(float).div(n_words.where(n_words > 0), axis=0).fillna(0.0)
    wide.index.name = "segment_id"
    wide.columns.name = "code"
    return wide


def case_code_matrix(
    codings: pd.DataFrame,
    corpus: Corpus,
    *,
    coder: str | None = None,
    value: str = "presence",
    roles: Sequence[str] | None = ("participant",),
    codebook: Codebook | None = None,
    codes: Sequence[str] | None = None,
    rule: str = "majority",
) -> pd.DataFrame:
    """Case x code matrix.

    A case is the transcript's ``case_id`` (from the cases table), or the
    transcript id when the transcript has no case; several transcripts of one
    case are pooled.

    Parameters
    ----------
    codings, corpus, coder, roles, codebook, codes, rule
        As in :func:`segment_code_matrix`.
    value : {"presence", "count", "coverage"}
        1/0 presence in any segment of the case; number of distinct spans
        (``result_id``; a span cut into several segments counts once); or the
        share of the case's words (in ``roles`` segments) covered by the code.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``case_id`` (cases in corpus order), one column per code.

    Raises
    ------
    CodingError
        As :func:`segment_code_matrix`.
    """
    _check_value(value)
    rows, units = _prepare(codings, corpus, coder, rule, roles, "case_code_matrix")
    cols = code_order(codings, codebook, codes)
    cases = list(dict.fromkeys(units["case_id"]))
    seg_case = units.set_index("segment_id")["case_id"]
    if value == "count":
        sub = rows[rows["segment_id"].isin(set(units["segment_id"]))].copy()
        sub["case_id"] = sub["segment_id"].map(seg_case)
        sub["_span"] = span_keys(sub)
        counts = sub.groupby(["case_id", "code"])["_span"].nunique()
        wide = counts.unstack("code") if len(counts) else pd.DataFrame()
        wide = wide.reindex(index=cases, columns=cols).fillna(0).astype("int64")
    else:
        long = segment_code_long(rows, units)
        long["case_id"] = long["segment_id"].map(seg_case)
        agg = long.groupby(["case_id", "code"]).agg(n_spans=("n_spans", "sum"), covered=("covered_words", "sum"))
        field = "n_spans" if value == "presence" else "covered"
        wide = agg[field].unstack("code") if len(agg) else pd.DataFrame()
        wide = wide.reindex(index=cases, columns=cols).fillna(0)
        if value == "presence":
            wide = (wide > 0).astype("int64")
        else:
            words = units.groupby("case_id")["n_words"].sum().reindex(cases).astype(float)
            wide = wide.astype(float).div(words.where(words > 0), axis=0).fillna(0.0)
    wide.index.name = "case_id"
    wide.columns.name = "code"
    return wide


# -------------------------------------------------------- theme frequencies


def theme_frequencies(
    codings: pd.DataFrame,
    corpus: Corpus,
    codebook: Codebook | None = None,
    *,
    by: str | None = None,
    coder: str | None = None,
    roles: Sequence[str] | None = ("participant",),
    rule: str = "majority",
) -> pd.DataFrame:
    """Theme-frequency table: how many cases, segments and spans carry each code.

    Parameters
    ----------
    codings : pandas.DataFrame
        A codings table read with the corpus.
    corpus : corpus.Corpus
        The corpus (its ``cases`` table supplies ``by``).
    codebook : coding.Codebook, optional
        Codes (in codebook order, including codes never applied) and facets.
    by : str, optional
        A column of ``corpus.cases`` (e.g. ``"legal_status"``): one row per code x
        group, each group with its own case denominator. Cases without a value
        form the group ``"(missing)"``.
    coder : str or None
        ``None`` (the only coder), a coder name or ``"consensus"``.
    roles : sequence of str or None
        Segment roles counted (participant turns by default).
    rule : str
        Consensus rule for ``coder="consensus"``.

    Returns
    -------
    pandas.DataFrame
        Columns (``by`` first when given) ``code, facet, n_cases, n_cases_total,
        pct_cases, n_segments, n_spans, coverage``:

        - ``n_cases``: cases with the code in at least one segment;
        - ``n_cases_total``: cases in the corpus (or in the group);
        - ``pct_cases``: ``100 * n_cases / n_cases_total`` (percent);
        - ``n_segments``: segments with the code;
        - ``n_spans``: distinct coded spans (``result_id``);
        - ``coverage``: words covered by the code / all words of the cases' ``roles``
          segments (a share in [0, 1]).

        Codebook order (groups in order of first appearance in the cases table
        when ``by`` is given).

    Raises
    ------
    CodingError
        ``by`` is not a column of the cases table, or as :func:`segment_code_matrix`.
    """
    rows, units = _prepare(codings, corpus, coder, rule, roles, "theme_frequencies")
    codes = code_order(codings, codebook)
    long = segment_code_long(rows, units)
    seg_case = units.set_index("segment_id")["case_id"]
    long["case_id"] = long["segment_id"].map(seg_case)
    sub = rows[rows["segment_id"].isin(set(units["segment_id"]))].copy()
    sub["case_id"] = sub["segment_id"].map(seg_case)
    sub["_span"] = span_keys(sub)

    cases = list(dict.fromkeys(units["case_id"]))
    groups: dict[str | None, list[Any]]
    if by is None:
        groups = {None: cases}
    else:
        table = getattr(corpus, "cases", None)
        if table is None or by not in getattr(table, "columns", ()):
            available = ", ".join(map(str, getattr(table, "columns", []))) or "none (no cases table)"
            raise CodingError(
                f"theme_frequencies: by={by!r} is not a column of the cases table; available: {available}."
            )
        values = table[by].reindex(cases)
        groups = {}
        for case, val in zip(cases, values):
            key = MISSING_GROUP if pd.isna(val) else str(val)
            groups.setdefault(key, []).append(case)

    words = units.groupby("case_id")["n_words"].sum()
    records = []
    for group, members in groups.items():
        members_set = set(members)
        g_long = long[long["case_id"].isin(members_set)]
        g_sub = sub[sub["case_id"].isin(members_set)]
        total_words = float(words.reindex(members).fillna(0).sum())
        for code in codes:
            c_long = g_long[g_long["code"] == code]
            n_cases = int(c_long["case_id"].nunique())
            rec = {
                "code": code,
                "facet": facet_of(codebook, code),
                "n_cases": n_cases,
                "n_cases_total": len(members),
                "pct_cases": 100.0 * n_cases / len(members) if members else float("nan"),
                "n_segments": int(c_long["segment_id"].nunique()),
                "n_spans": int(g_sub.loc[g_sub["code"] == code, "_span"].nunique()),
                "coverage": float(c_long["covered_words"].sum()) / total_words if total_words else 0.0,
            }
            if by is not None:
                rec = {by: group, **rec}
            records.append(rec)
    columns = ([by] if by is not None else []) + list(THEME_FREQUENCY_COLUMNS)
    out = pd.DataFrame(records, columns=columns)
    for column in ("n_cases", "n_cases_total", "n_segments", "n_spans"):
        out[column] = out[column].astype("int64")
    for column in ("pct_cases", "coverage"):
        out[column] = out[column].astype(float)
    return out
