"""The cases table: one row per interviewee, keyed by case id."""

from __future__ import annotations

import difflib
import io
import os
from pathlib import Path

import pandas as pd

from qualquant.corpus.encoding import decode_bytes
from qualquant.corpus.errors import CasesFileError, TranscriptReadError

__all__ = [
    "CASE_SUFFIXES",
    "read_cases",
    "coerce_cases",
]

CASE_SUFFIXES = (".csv", ".tsv", ".xlsx")


def read_cases(path: str | os.PathLike[str], *, id_column: str = "case_id") -> pd.DataFrame:
    """Read a cases table from CSV, TSV or XLSX.

    Parameters
    ----------
    path : str or path-like
        ``.csv``/``.tsv`` (UTF-8, UTF-8 with BOM, UTF-16 with BOM or
        Windows-1251; comma or semicolon separated) or ``.xlsx`` (first sheet).
    id_column : str
        Column holding the case ids.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``case_id`` (string ids, surrounding spaces removed; the index
        is always named ``case_id``), with the other columns as read. The input
        row order is kept.

    Raises
    ------
    CasesFileError
        If the file is missing or unreadable, has no ``id_column``, has empty
        ids, or repeats an id (the message gives the lines).

    Examples
    --------
    >>> from qualquant import pipelines
    >>> import pathlib
    >>> cases = read_cases(pathlib.Path(pipelines.__file__).parent / "demo_data" / "cases.csv")
    >>> cases.index.name, len(cases), cases.loc["INT03", "city"]
    ('case_id', 20, 'Almaty')
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in CASE_SUFFIXES:
        raise CasesFileError(
            f"{path}: unsupported cases file type {suffix or '(no extension)'!r}; use {', '.join(CASE_SUFFIXES)}."
        )
    if not path.is_file():
        raise CasesFileError(f"{path}: no such file. Check the path of the cases table.")
    row_word = "row" if suffix == ".xlsx" else "line"
    try:
        if suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=object)
        else:
            try:
                text, _ = decode_bytes(path.read_bytes(), source=str(path), hint="Re-save it as UTF-8.")
            except TranscriptReadError as exc:
                raise CasesFileError(str(exc)) from None
            sep = "\t" if suffix == ".tsv" else _sniff_separator(text)
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype={id_column: str})
    except CasesFileError:
        raise
    except Exception as exc:  # pandas/openpyxl parse errors have many types
        raise CasesFileError(f"{path}: cannot read the cases table ({exc}).") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if id_column not in frame.columns:
        close = difflib.get_close_matches(id_column, frame.columns, n=3, cutoff=0.5)
        raise CasesFileError(
            f"{path}: no column {id_column!r} (columns: {', '.join(frame.columns)})"
            + (f"; did you mean {' or '.join(map(repr, close))}?" if close else ".")
            + " Name the column that holds the case ids (case_column in study.toml, id_column=..., "
            "or --case-id-column on the command line)."
        )
    ids = [_clean_id(v) for v in frame[id_column].tolist()]
    empty = [i + 2 for i, value in enumerate(ids) if value is None]
    if empty:
        raise CasesFileError(
            f"{path} {row_word}{'s' if len(empty) > 1 else ''} {_numbers(empty)}: empty case id in "
            f"column {id_column!r}. Fill in the id or delete the row."
        )
    case_ids = [value for value in ids if value is not None]  # all of them: none is empty
    seen: dict[str, int] = {}
    for i, value in enumerate(case_ids):
        if value in seen:
            raise CasesFileError(
                f"{path} {row_word}s {seen[value] + 2} and {i + 2}: duplicate case id {value!r}. "
                "Each case must have exactly one row; merge or remove the duplicate."
            )
        seen[value] = i
    frame = frame.drop(columns=[id_column])
    frame.index = pd.Index(case_ids, name="case_id", dtype=object)
    return frame


def coerce_cases(cases: pd.DataFrame | str | os.PathLike[str] | None) -> pd.DataFrame:
    """Return a cases table indexed by ``case_id`` from a path, a frame, or None."""
    if cases is None:
        return pd.DataFrame(index=pd.Index([], name="case_id", dtype=object))
    if isinstance(cases, pd.DataFrame):
        if cases.index.name == "case_id":
            frame = cases.copy()
        elif "case_id" in cases.columns:
            frame = cases.set_index("case_id")
        else:
            raise CasesFileError(
                "The cases table has neither an index nor a column named 'case_id'. Read it with "
                "read_cases(path, id_column=...) or rename the id column."
            )
        if frame.index.has_duplicates:
            dup = frame.index[frame.index.duplicated()][0]
            raise CasesFileError(f"The cases table repeats case id {dup!r}; ids must be unique.")
        frame.index = pd.Index([str(v) for v in frame.index], name="case_id", dtype=object)
        return frame
    return read_cases(cases)


def _clean_id(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _sniff_separator(text: str) -> str:
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _numbers(values: list[int]) -> str:
    shown = ", ".join(str(v) for v in values[:10])
    return shown + (f" and {len(values) - 10} more" if len(values) > 10 else "")
