"""Reading back the tables qualquant writes, with an explicit schema.

qualquant writes its tables as CSV (UTF-8 with a byte-order mark), XLSX or
Parquet. Read back naively, CSV and XLSX lose their types: a boolean comes
back as the text ``"False"`` (which is *true* in Python), an id such as
``"01"`` as the number ``1`` and a nullable integer as ``1.0``. A
:class:`TableSchema` names every column's type, and :func:`read_table` parses
each cell by it, so a table reads back exactly as it was written; a cell that
does not parse is a :class:`~qualquant.errors.TableValueError` naming the file,
the row (as a spreadsheet numbers it: the header is row 1) and the column.

Column kinds
------------
``"str"``
    Text and ids (``transcript_id``, ``segment_id``, ``case_id``, ``coder``...):
    kept as Python ``str``, never turned into numbers. A number in an XLSX
    cell becomes its text (``1`` and ``1.0`` both ``"1"``).
``"int"``
    Whole numbers (``start``, ``end``): ``12`` or ``12.0``; anything else
    (``12.5``, ``abc``, ``True``) is an error.
``"bool"``
    ``True``/``False``, ``true``/``false`` (any case), ``1``/``0`` and XLSX's
    native booleans; anything else is an error.
``"float"``
    Numbers; an empty cell is NaN.

An empty cell is a missing value: ``None`` in a ``str`` column, ``<NA>`` in a
nullable ``int`` column (pandas ``Int64``), ``<NA>`` in a nullable ``bool``
column (pandas ``boolean``). In a column that is not nullable it is an error.

Formula cells
-------------
The writer (:func:`qualquant.io.write_table`) puts an apostrophe before
a text cell that a spreadsheet would run as a formula (one starting with
``= + - @``, a tab or a carriage return) or that starts with an apostrophe
itself (:func:`escape_formula`) in CSV and XLSX files; :func:`read_table`
takes it off again there (:func:`unescape_formula`), so ``"- Да"`` reads back
as ``"- Да"``. Parquet keeps values unchanged and is read as it is.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qualquant.errors import TableReadError, TableValueError

__all__ = ["FORMULA_START", "Column", "TableSchema", "escape_formula", "read_table", "unescape_formula"]

#: First characters that make a spreadsheet run a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_KINDS = ("str", "int", "bool", "float")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})
_INT_TEXT = re.compile(r"[+-]?\d+(?:\.0*)?")


def escape_formula(value: Any) -> Any:
    """Put an apostrophe before text a spreadsheet would run as a formula (or that starts with one).

    Numbers and other non-text values are returned unchanged. The escape is
    undone exactly by :func:`unescape_formula`.

    Examples
    --------
    >>> escape_formula("=1+1"), escape_formula("ok"), escape_formula("'quoted"), escape_formula(-1)
    ("'=1+1", 'ok', "''quoted", -1)
    """
    if isinstance(value, str) and value.startswith((*FORMULA_START, "'")):
        return "'" + value
    return value


def unescape_formula(value: Any) -> Any:
    """Undo :func:`escape_formula`: drop the apostrophe it added.

    Examples
    --------
    >>> unescape_formula("'=1+1"), unescape_formula("''quoted"), unescape_formula("'plain")
    ('=1+1', "'quoted", "'plain")
    """
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1:].startswith((*FORMULA_START, "'")):
        return value[1:]
    return value


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a :class:`TableSchema`.

    Parameters
    ----------
    name : str
    kind : {"str", "int", "bool", "float"}
    nullable : bool
        Whether an empty cell is allowed (a missing value).
    required : bool
        Whether the file must have the column. An optional column that the
        file lacks is added with ``default`` in every row.
    default : object
        Value of an absent optional column; None: missing values (in the
        nullable dtype of the kind: object, Int64, boolean or float64).
    """

    name: str
    kind: str
    nullable: bool = False
    required: bool = True
    default: Any = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"Column {self.name!r}: kind {self.kind!r} is not one of {', '.join(_KINDS)}.")

    @property
    def dtype(self) -> str:
        """The pandas dtype of the column in memory."""
        if self.kind == "int":
            return "Int64" if self.nullable else "int64"
        if self.kind == "bool":
            return "boolean" if self.nullable else "bool"
        if self.kind == "float":
            return "float64"
        return "object"


@dataclass(frozen=True, slots=True)
class TableSchema:
    """The columns of a table qualquant writes and reads back.

    Parameters
    ----------
    name : str
        What the table is, for messages (``"codings table"``).
    columns : tuple of Column
        In the order the table has them.
    """

    name: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(c.name for c in self.columns)

    @property
    def dtypes(self) -> dict[str, str]:
        """Column name -> pandas dtype in memory."""
        return {c.name: c.dtype for c in self.columns}

    @property
    def required(self) -> tuple[str, ...]:
        """The columns a file must have."""
        return tuple(c.name for c in self.columns if c.required)


# --------------------------------------------------------------------------- reading


def _column_letter(position: int) -> str:
    """Spreadsheet letter of the 0-based column ``position`` (0 -> A, 26 -> AA)."""
    letters = ""
    n = position + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return value == ""
    return isinstance(value, float) and math.isnan(value)


class _BadCell(Exception):
    """A cell does not parse; carries what it should be and what to write instead."""

    def __init__(self, expected: str | None, todo: str) -> None:
        super().__init__(expected)
        self.expected, self.todo = expected, todo


def _parse_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return str(int(float(value)))  # an XLSX number cell: 1.0 is the id "1", never "1.0"
    return str(value)


def _parse_int(value: Any) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise _BadCell("a whole number", "write a whole number such as 12")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return int(float(value))
    if isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
        return int(value.strip().split(".")[0])
    raise _BadCell("a whole number", "write a whole number such as 12")


def _parse_bool(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Real) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise _BadCell("True or False", "write True or False (or 1/0)")


def _parse_float(value: Any) -> float:
    if isinstance(value, (bool, np.bool_)):
        raise _BadCell("a number", "write a number such as 0.25")
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise _BadCell("a number", "write a number such as 0.25")


_PARSERS = {"str": _parse_str, "int": _parse_int, "bool": _parse_bool, "float": _parse_float}
_MISSING = {"str": None, "int": pd.NA, "bool": pd.NA, "float": float("nan")}


def _read_raw(path: Path, sheet: str | int) -> pd.DataFrame:
    """Every cell as the file holds it: text for CSV, openpyxl's values for XLSX, typed for Parquet."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig").astype(object)
    if suffix == ".xlsx":
        return pd.read_excel(path, sheet_name=sheet, dtype=object, na_filter=False, engine="openpyxl")
    if suffix == ".parquet":
        return pd.read_parquet(path).astype(object)
    raise TableReadError(
        f"{path}: tables are read from .csv, .xlsx or .parquet files, not {suffix or '(no extension)'!r}."
    )


def read_table(
    path: str | os.PathLike[str], schema: TableSchema, *, sheet: str | int = 0, hint: str = ""
) -> pd.DataFrame:
    """Read a table qualquant wrote (CSV, XLSX or Parquet), every column typed by ``schema``.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` (UTF-8, with or without byte-order mark), ``.xlsx`` or
        ``.parquet`` file.
    schema : TableSchema
        The columns and their kinds.
    sheet : str or int
        The XLSX sheet (name or 0-based position); ignored for other formats.
    hint : str
        What to do when the file is not such a table (appended to the
        message about missing columns).

    Returns
    -------
    pandas.DataFrame
        The schema's columns in schema order with the dtypes of
        :attr:`TableSchema.dtypes` (optional columns the file lacks filled
        with their default), then any other columns of the file as they were
        read (text from CSV).

    Raises
    ------
    TableReadError
        The file cannot be read, has another extension, or lacks a required
        column.
    TableValueError
        A cell does not parse as its column's kind, or is empty in a column
        that is not nullable; the message names the file, the row (header =
        row 1), the column (name and spreadsheet letter), the value and what
        to write instead.

    Examples
    --------
    >>> import tempfile
    >>> schema = TableSchema("example", (Column("id", "str"), Column("n", "int"), Column("flag", "bool")))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "t.csv"
    ...     _ = path.write_text("id,n,flag\\n01,3,False\\n", encoding="utf-8")
    ...     table = read_table(path, schema)
    >>> table["id"].tolist(), table["n"].tolist(), table["flag"].tolist(), table["flag"].dtype
    (['01'], [3], [False], dtype('bool'))
    """
    path = Path(path)
    if not path.is_file():
        raise TableReadError(f"{path}: no such file. Check the path.")
    try:
        raw = _read_raw(path, sheet)
    except TableReadError:
        raise
    except (OSError, ValueError, KeyError, ImportError) as exc:  # parse errors of pandas, openpyxl, pyarrow
        raise TableReadError(
            f"{path}: cannot read it as a {schema.name} ({exc}). Check that it is a "
            f"{path.suffix.lower().lstrip('.').upper()} file written by qualquant."
        ) from None
    if path.suffix.lower() in (".csv", ".xlsx"):  # the writer escapes formula-like text there, not in Parquet
        raw = raw.map(unescape_formula)
        raw.columns = [unescape_formula(c) if isinstance(c, str) else c for c in raw.columns]
    missing = [c for c in schema.required if c not in raw.columns]
    if missing:
        message = f"{path}: not a {schema.name} (missing column(s) {', '.join(missing)})."
        raise TableReadError(message + (f" {hint}" if hint else ""))
    positions = {name: k for k, name in enumerate(raw.columns)}
    out: dict[str, pd.Series] = {}
    for column in schema.columns:
        if column.name not in raw.columns:
            if column.default is None:  # empty: the nullable dtype of the kind
                dtype = Column(column.name, column.kind, nullable=True).dtype
                out[column.name] = pd.Series([_MISSING[column.kind]] * len(raw), dtype=dtype, index=raw.index)
            else:
                out[column.name] = pd.Series([column.default] * len(raw), dtype=column.dtype, index=raw.index)
            continue
        out[column.name] = _parse_column(path, raw[column.name], column, positions[column.name])
    for name in raw.columns:
        if name not in out:
            out[name] = raw[name]
    return pd.DataFrame(out, index=pd.RangeIndex(len(raw)))


def _parse_column(path: Path, cells: pd.Series, column: Column, position: int) -> pd.Series:
    parse = _PARSERS[column.kind]
    values = []
    for row, value in enumerate(cells.tolist()):
        if _is_missing(value):
            if not column.nullable:
                raise _cell_error(path, row, column, position, value, _BadCell(None, ""))
            values.append(_MISSING[column.kind])
            continue
        try:
            values.append(parse(value))
        except _BadCell as bad:
            raise _cell_error(path, row, column, position, value, bad) from None
    if column.kind == "str":
        return pd.Series(values, dtype=object, index=cells.index)
    return pd.Series(values, dtype=column.dtype, index=cells.index)


def _cell_error(path: Path, row: int, column: Column, position: int, value: Any, bad: _BadCell) -> TableValueError:
    where = f"{path}: row {row + 2}, column {column.name!r} ({_column_letter(position)})"
    if bad.expected is None:
        return TableValueError(
            f"{where} is empty, but the column cannot be: fill it in, or write the table again with qualquant."
        )
    return TableValueError(
        f"{where}: {value!r} is not {bad.expected}; {bad.todo}, or write the table again with qualquant."
    )
