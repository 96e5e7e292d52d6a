"""Writing tables for people: CSV (Excel-friendly), XLSX, Parquet and Markdown.

:func:`write_table` is the one place that decides formats, so every table a
user sees is written the same way: atomically (temporary file, then rename),
CSV as UTF-8 with a byte-order mark so Excel shows Cyrillic correctly, and
spreadsheet-formula injection neutralised in CSV and XLSX.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from qualquant.errors import ExportFormatError
from qualquant.io._atomic import atomic_write, atomic_write_text
from qualquant.io._tables import escape_formula

__all__ = [
    "TABLE_SUFFIXES",
    "neutralize_formulas",
    "to_markdown",
    "write_table",
    "sheet_names",
    "write_workbook",
    "write_markdown_tables",
]


#: Formats :func:`write_table` writes, by file extension.
TABLE_SUFFIXES = (".csv", ".xlsx", ".parquet", ".md")


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy where text cells (and column names) that a spreadsheet would run
    as a formula start with an apostrophe.

    A string starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    gets a leading ``'``; so does one that starts with ``'`` itself, so that
    :func:`qualquant.io.read_table` reads every cell back exactly as it was
    (:func:`qualquant.io.escape_formula`). Numbers are left alone.

    Examples
    --------
    >>> out = neutralize_formulas(pd.DataFrame({"a": ["=1+1", "ok", "-x"], "b": [-1, 2, 3]}))
    >>> out["a"].tolist(), out["b"].tolist()
    (["'=1+1", 'ok', "'-x"], [-1, 2, 3])
    """
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(escape_formula).astype(object)
    out.columns = [escape_formula(str(c)) if isinstance(c, str) else c for c in out.columns]
    return out


def to_markdown(frame: pd.DataFrame, *, index: bool = False) -> str:
    """Render ``frame`` as a GitHub-flavoured Markdown table (``|`` and newlines escaped).

    Examples
    --------
    >>> print(to_markdown(pd.DataFrame({"measure": ["words"], "value": [12]})), end="")
    | measure | value |
    | --- | ---: |
    | words | 12 |
    """
    if index:
        frame = frame.reset_index()

    def cell(value: object) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return ""
        if isinstance(value, (list, tuple)):
            value = ", ".join(map(str, value))
        return str(value).replace("|", "\\|").replace("\n", "<br>")

    numeric = [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in frame.columns
    ]
    lines = [
        "| " + " | ".join(cell(c) for c in frame.columns) + " |",
        "| " + " | ".join("---:" if n else "---" for n in numeric) + " |",
    ]
    for row in frame.itertuples(index=False, name=None):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def write_table(df: pd.DataFrame, path: str | os.PathLike[str], *, index: bool = False) -> Path:
    """Write a table atomically in the format its extension names.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    path : str or path-like
        ``.csv`` (UTF-8 with byte-order mark), ``.xlsx``, ``.parquet`` or ``.md``.
        Parent folders are created.
    index : bool
        Also write the index.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ExportFormatError
        For another extension.

    Notes
    -----
    CSV and XLSX cells that start with ``= + - @`` (or tab/CR) get a leading
    apostrophe, so a spreadsheet shows them as text instead of running them
    (CSV/formula injection). Parquet and Markdown keep values unchanged.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ExportFormatError(
            f"{path}: cannot write a table as {suffix or '(no extension)'!r}; use one of {', '.join(TABLE_SUFFIXES)}."
        )

    def write(tmp: Path) -> None:
        if suffix == ".csv":
            neutralize_formulas(df).to_csv(tmp, index=index, encoding="utf-8-sig", lineterminator="\n")
        elif suffix == ".xlsx":
            neutralize_formulas(df).to_excel(tmp, index=index, engine="openpyxl")
        elif suffix == ".parquet":
            df.to_parquet(tmp, index=index)
        else:
            tmp.write_text(to_markdown(df, index=index), encoding="utf-8")

    return atomic_write(path, write)


# --------------------------------------------------------------------------- workbooks and text files

#: Characters Excel does not allow in a sheet name.
_SHEET_FORBIDDEN = set("[]:*?/\\")


def sheet_names(names: Iterable[object]) -> list[str]:
    """Valid, unique Excel sheet names for ``names`` (in order).

    Excel sheet names are at most 31 characters, cannot contain ``[ ] : * ? / \\``,
    cannot start or end with an apostrophe and are unique regardless of case.
    Offending characters become ``_``; long or clashing names are cut and get a
    ``~2``, ``~3``... suffix.

    Examples
    --------
    >>> sheet_names(["theme_frequencies_by_legal_status", "a/b", "A/B"])
    ['theme_frequencies_by_legal_stat', 'a_b', 'A_B~2']
    """
    out: list[str] = []
    seen: set[str] = set()
    for raw in names:
        name = "".join("_" if ch in _SHEET_FORBIDDEN else ch for ch in str(raw)).strip("'") or "sheet"
        base = name[:31]
        candidate, k = base, 1
        while candidate.lower() in seen:
            k += 1
            suffix = f"~{k}"
            candidate = base[: 31 - len(suffix)] + suffix
        seen.add(candidate.lower())
        out.append(candidate)
    return out


def write_workbook(sheets: dict[str, pd.DataFrame], path: str | os.PathLike[str], *, index: bool = False) -> Path:
    """Write several tables as one XLSX workbook, one sheet each, atomically.

    Parameters
    ----------
    sheets : dict of str to pandas.DataFrame
        Sheet name -> table, in sheet order. Names are made valid and unique
        with :func:`sheet_names`.
    path : str or path-like
        The ``.xlsx`` file (parent folders are created).
    index : bool
        Also write each table's index.

    Returns
    -------
    Path

    Raises
    ------
    ExportFormatError
        The path does not end in ``.xlsx``, or ``sheets`` is empty.

    Notes
    -----
    Text cells that a spreadsheet would run as a formula (starting with
    ``= + - @``, tab or CR) get a leading apostrophe, as in
    :func:`write_table`. Column widths are set from the content (at most 60
    characters) and the header row is frozen. The file is written to a
    temporary file in the same folder and renamed over ``path``.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ExportFormatError(f"{path}: a workbook must be an .xlsx file.")
    if not sheets:
        raise ExportFormatError(f"{path}: no tables to write.")

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, (_, frame) in zip(sheet_names(sheets.keys()), sheets.items()):
                safe = neutralize_formulas(frame.reset_index() if index else frame)
                safe.to_excel(writer, sheet_name=name, index=False)
                ws = writer.sheets[name]
                ws.freeze_panes = "A2"
                for j, column in enumerate(safe.columns, start=1):
                    values = [str(column)] + [str(v) for v in safe[column].head(200).tolist()]
                    width = min(60, max(8, max(len(v) for v in values) + 2))
                    ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = width
        _fix_zip_times(tmp)

    return atomic_write(path, write)


def _fix_zip_times(path: Path) -> None:
    """Rewrite an XLSX in place so its zip entries and document properties carry a fixed time.

    openpyxl stamps the current time into ``docProps/core.xml`` and the zip
    entries; fixing both makes two runs on the same tables give identical bytes.
    ``path`` is the temporary file of an atomic write, so it is rewritten directly.
    """
    import io
    import re
    import zipfile

    fixed = (1980, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(path) as zin:
        items = [(info, zin.read(info.filename)) for info in zin.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>2000-01-01T00:00:00Z\2", data)
            zi = zipfile.ZipInfo(info.filename, date_time=fixed)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            zout.writestr(zi, data)
    path.write_bytes(buffer.getvalue())


def write_markdown_tables(
    sections: dict[str, pd.DataFrame], path: str | os.PathLike[str], *, title: str = "Tables"
) -> Path:
    """Write several tables into one Markdown file, one ``##`` section each, atomically."""
    parts = [f"# {title}\n"]
    for name, frame in sections.items():
        parts.append(f"\n## {name}\n\n" + to_markdown(frame))
    return atomic_write_text(path, "".join(parts))
