"""Codings from outside Label Studio: a plain codings table, and REFI-QDA codings mapped onto a study.

A codings table (CSV or XLSX) has one row per coded span, with the columns

``coder, transcript_id, code, start, end`` (``text`` optional)
    ``start``/``end`` are code-point offsets into the study's transcript text
    (the pseudonymised text when the study pseudonymises); ``text``, when
    present and not empty, must equal ``transcript.text[start:end]``.

or one row per coded segment, with the columns

``coder, segment_id, code``
    The span is the whole segment (speaker turn) of the segments table.

Every row ends up either in the codings table (cut at segment boundaries, as
for Label Studio exports) or in the issues table
(:data:`qualquant.coding.ISSUES_COLUMNS`) with its reason:
``unknown_transcript``, ``unknown_segment``, ``unknown_code``,
``malformed_span``, ``offset_out_of_range``, ``text_mismatch``,
``span_outside_segments``. :func:`check_codings` applies the same checks to
codings read from a REFI-QDA project, after :func:`map_codes` and the
transcript mapping have put them in the study's terms.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from qualquant.coding.codings import CodedSpan, codings_frame, split_by_segments
from qualquant.coding.errors import CodingError
from qualquant.coding.labelstudio import ISSUES_COLUMNS

if TYPE_CHECKING:
    from qualquant.coding.codebook import Codebook
    from qualquant.corpus import Corpus

__all__ = [
    "SPAN_TABLE_COLUMNS",
    "SEGMENT_TABLE_COLUMNS",
    "SourceCodings",
    "check_codings",
    "map_codes",
    "read_mapping",
    "read_table_codings",
]

#: The columns a span-level codings table must have (``text`` is optional).
SPAN_TABLE_COLUMNS: tuple[str, ...] = ("coder", "transcript_id", "code", "start", "end")
#: The columns a segment-level codings table must have.
SEGMENT_TABLE_COLUMNS: tuple[str, ...] = ("coder", "segment_id", "code")


@dataclass(frozen=True)
class SourceCodings:
    """Codings read from one source: the codings table and one issues row per record set aside or repaired."""

    codings: pd.DataFrame
    issues: pd.DataFrame


def _cell(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_frame(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xls"):
            return pd.read_excel(path, dtype=object)
        if suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CodingError(f"{path}: cannot read the codings table ({exc}).") from None


def read_mapping(path: str | os.PathLike[str] | None) -> dict[str, str]:
    """A mapping file: a CSV table with the columns ``from,to`` (a name or id in the source -> the study's id).

    Returns an empty mapping for None.

    Raises
    ------
    CodingError
        The file is missing or lacks the two columns.
    """
    if path is None:
        return {}
    p = Path(path)
    if not p.is_file():
        raise CodingError(f"{p}: no such mapping file (a CSV table with the columns from,to).")
    frame = _read_frame(p)
    missing = [c for c in ("from", "to") if c not in frame.columns]
    if missing:
        raise CodingError(f"{p}: a mapping file needs the columns from,to; {', '.join(missing)} missing.")
    return {_cell(a): _cell(b) for a, b in zip(frame["from"], frame["to"]) if _cell(a) and _cell(b)}


class _Issues:
    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []

    def add(
        self, coder: str | None, result_id: str | None, reason: str, detail: str, action: str = "set_aside"
    ) -> None:
        self.rows.append((None, None, result_id, coder, reason, action, detail))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=list(ISSUES_COLUMNS))


def _code_lookup(codebook: Codebook, codes: Mapping[str, str]) -> dict[str, str]:
    """Source code (id, or any of a code's names, case-insensitive) -> codebook code id."""
    lookup: dict[str, str] = {}
    for code in codebook.codes:
        for name in code.names.values():
            lookup.setdefault(name.strip().casefold(), code.id)
    for code in codebook.codes:
        lookup[code.id.casefold()] = code.id
    for key, value in codes.items():
        lookup[key.strip().casefold()] = value
    return lookup


def check_codings(
    rows: pd.DataFrame,
    *,
    corpus: Corpus,
    codebook: Codebook,
    transcripts: Mapping[str, str] | None = None,
    codes: Mapping[str, str] | None = None,
    where: str = "",
) -> SourceCodings:
    """Validate span-level codings against the study's transcripts and codebook and cut them at segments.

    Parameters
    ----------
    rows : pandas.DataFrame
        Columns ``coder, transcript_id, code, start, end`` and optionally
        ``text`` (checked when not empty), ``result_id``, ``created_at``,
        ``updated_at``.
    corpus : corpus.Corpus
        The study's (pseudonymised) corpus.
    codebook : Codebook
    transcripts, codes : mapping, optional
        Source transcript name -> transcript id; source code (id or name) ->
        code id. Codes are otherwise matched by id, then by name.
    where : str
        Prefix of every issue detail (the file and row).

    Returns
    -------
    SourceCodings
        ``codings`` with :data:`qualquant.coding.CODINGS_COLUMNS`; ``issues``
        with :data:`qualquant.coding.ISSUES_COLUMNS`.
    """
    transcripts = dict(transcripts or {})
    lookup = _code_lookup(codebook, codes or {})
    by_id = {t.id: t for t in corpus.transcripts}
    issues = _Issues()
    spans: list[CodedSpan] = []
    has_text = "text" in rows.columns
    for n, r in enumerate(rows.to_dict("records"), start=1):
        coder = _cell(r.get("coder"))
        result_id = _cell(r.get("result_id")) or f"{where or 'row'}:{n}"
        at = f"{where} row {n}" if where else f"row {n}"
        if not coder:
            issues.add(None, result_id, "malformed_span", f"{at}: the coder is empty")
            continue
        source_tid = _cell(r.get("transcript_id"))
        tid = transcripts.get(source_tid, source_tid)
        transcript = by_id.get(tid)
        if transcript is None:
            issues.add(
                coder,
                result_id,
                "unknown_transcript",
                f"{at}: transcript {source_tid!r} is not in the study's corpus; "
                "fix the name or map it in the source's transcripts file",
            )
            continue
        source_code = _cell(r.get("code"))
        code = lookup.get(source_code.casefold())
        if code is None or code not in codebook:
            issues.add(
                coder,
                result_id,
                "unknown_code",
                f"{at}: code {source_code!r} is not in the codebook; add it there or map it in the source's codes file",
            )
            continue
        try:
            start, end = int(_cell(r.get("start"))), int(_cell(r.get("end")))
        except ValueError:
            issues.add(
                coder,
                result_id,
                "malformed_span",
                f"{at}: offsets are not whole numbers (start={r.get('start')!r}, end={r.get('end')!r})",
            )
            continue
        text = transcript.text
        if not (0 <= start < end <= len(text)):
            issues.add(
                coder,
                result_id,
                "offset_out_of_range",
                f"{at}: span {start}-{end} is outside transcript {tid} (length {len(text)})",
            )
            continue
        given = _cell(r.get("text")) if has_text else ""
        if given and given != text[start:end].strip() and given != text[start:end]:
            issues.add(
                coder,
                result_id,
                "text_mismatch",
                f"{at}: {tid}[{start}:{end}] is {text[start:end][:60]!r} but the row says {given[:60]!r}",
            )
            continue
        parts = split_by_segments(transcript, start, end)
        if not parts:
            issues.add(
                coder, result_id, "span_outside_segments", f"{at}: span {start}-{end} of {tid} touches no segment"
            )
            continue
        for segment_id, s, e in parts:
            spans.append(
                CodedSpan(
                    coder=coder,
                    source=_cell(r.get("source")) or "human",
                    transcript_id=tid,
                    segment_id=segment_id,
                    code=code,
                    start=s,
                    end=e,
                    text=text[s:e],
                    result_id=result_id,
                    created_at=_cell(r.get("created_at")) or None,
                    updated_at=_cell(r.get("updated_at")) or None,
                )
            )
    return SourceCodings(codings_frame(spans), issues.frame())


def read_table_codings(
    path: str | os.PathLike[str],
    *,
    corpus: Corpus,
    codebook: Codebook,
    transcripts: Mapping[str, str] | None = None,
    codes: Mapping[str, str] | None = None,
) -> SourceCodings:
    """Read a plain codings table (CSV or XLSX), span-level or segment-level, validated against the study.

    Parameters
    ----------
    path : path-like
        A table with the columns :data:`SPAN_TABLE_COLUMNS` (and optionally
        ``text``), or :data:`SEGMENT_TABLE_COLUMNS`.
    corpus, codebook, transcripts, codes
        As for :func:`check_codings`.

    Returns
    -------
    SourceCodings

    Raises
    ------
    CodingError
        The file cannot be read or has neither set of columns.
    """
    p = Path(path)
    frame = _read_frame(p)
    frame.columns = [str(c).strip() for c in frame.columns]
    if set(SPAN_TABLE_COLUMNS) <= set(frame.columns):
        return check_codings(
            frame, corpus=corpus, codebook=codebook, transcripts=transcripts, codes=codes, where=p.name
        )
    if not set(SEGMENT_TABLE_COLUMNS) <= set(frame.columns):
        raise CodingError(
            f"{p}: a codings table needs the columns {', '.join(SPAN_TABLE_COLUMNS)} (text optional), "
            f"or {', '.join(SEGMENT_TABLE_COLUMNS)}; it has {', '.join(map(str, frame.columns)) or 'none'}."
        )
    segments = {s.segment_id: (t, s) for t in corpus.transcripts for s in t.segments}
    issues = _Issues()
    rows: list[dict[str, Any]] = []
    for n, r in enumerate(frame.to_dict("records"), start=1):
        sid = _cell(r.get("segment_id"))
        found = segments.get(sid)
        if found is None:
            issues.add(
                _cell(r.get("coder")) or None,
                f"{p.name}:{n}",
                "unknown_segment",
                f"{p.name} row {n}: segment {sid!r} is not in the study's segments table (segments.csv)",
            )
            continue
        transcript, segment = found
        rows.append(
            dict(
                coder=r.get("coder"),
                transcript_id=transcript.id,
                code=r.get("code"),
                start=segment.start,
                end=segment.end,
                result_id=f"{p.name}:{n}",
            )
        )
    checked = check_codings(
        pd.DataFrame(rows, columns=["coder", "transcript_id", "code", "start", "end", "result_id"]),
        corpus=corpus,
        codebook=codebook,
        codes=codes,
        where=p.name,
    )
    issues_frame = pd.concat([issues.frame(), checked.issues], ignore_index=True) if issues.rows else checked.issues
    return SourceCodings(checked.codings, issues_frame)


def map_codes(
    codings: pd.DataFrame,
    refi_codes: Mapping[str, str],
    codebook: Codebook,
    codes: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Put REFI codings' codes in the study's terms: by the mapping, else by id, else by the code's name.

    Parameters
    ----------
    codings : pandas.DataFrame
        Codings read from a REFI-QDA project (``code`` is the project's code id).
    refi_codes : mapping
        The project's code id -> the code's name in the QDA program.
    codebook : Codebook
        The study's codebook.
    codes : mapping, optional
        Source code (id or name) -> the study's code id.

    Returns
    -------
    pandas.DataFrame
        ``codings`` with ``code`` replaced by the mapped id when the mapping
        names the project's id or name, kept when the codebook has that id,
        else replaced by the code's name (which :func:`check_codings` matches
        against the codebook's names, or reports as ``unknown_code``).
    """
    folded = {k.strip().casefold(): v for k, v in (codes or {}).items()}
    out = []
    for code in codings["code"]:
        name = refi_codes.get(code, code)
        mapped = folded.get(str(code).casefold()) or folded.get(name.strip().casefold())
        out.append(mapped or (code if code in codebook else name))
    return codings.assign(code=out) if len(codings) else codings
