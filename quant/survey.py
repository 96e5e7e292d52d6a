"""Survey files with their metadata: SPSS, Stata, CSV/XLSX plus a codebook.

A :class:`Survey` carries the raw data (user-defined missing codes are kept as
values, exactly as in SPSS) together with :class:`SurveyMeta`: variable labels,
value labels, user-defined missing values/ranges and measurement levels. Every
statistic in :mod:`qualquant.quant` accepts either a ``Survey`` (then user-defined missing
values are treated as missing) or a plain ``pandas.DataFrame`` (then only
system-missing ``NaN`` is missing).
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qualquant.io import atomic_write
from qualquant.quant.errors import EmptyTableError, QualquantError, SurveyFormatError, VariableNotFoundError

__all__ = ["Survey", "SurveyMeta", "read_survey", "write_survey", "read_codebook"]

_MEASURES = ("nominal", "ordinal", "scale", "unknown")


@dataclass(frozen=True, slots=True)
class SurveyMeta:
    """Metadata of a survey file.

    Attributes
    ----------
    variable_labels : dict
        Variable name -> label (variables without a label are absent).
    value_labels : dict
        Variable name -> {value: label}.
    missing_values : dict
        Variable name -> list of ``(low, high)`` tuples of user-defined missing
        values; a single value is ``(v, v)``. SPSS allows up to three values or
        one range plus one value.
    measure_levels : dict
        Variable name -> ``"nominal"``, ``"ordinal"``, ``"scale"`` or ``"unknown"``.
    file_label : str
        The file label, if any.
    source : str
        Name of the file the survey was read from (empty when built in memory).
    delimiter : str or None
        The field delimiter a CSV file was read with (None for other sources).
    """

    variable_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    missing_values: dict[str, list[tuple[Any, Any]]] = field(default_factory=dict)
    measure_levels: dict[str, str] = field(default_factory=dict)
    file_label: str = ""
    source: str = ""
    delimiter: str | None = None

    @property
    def where(self) -> str:
        """The source as named in messages, with the CSV delimiter it was read with."""
        if self.delimiter is None:
            return self.source
        return f"{self.source} (read with delimiter {delimiter_name(self.delimiter)})"


@dataclass(frozen=True, slots=True, eq=False)
class Survey:
    """A survey: the data and its metadata together.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; user-defined missing codes are kept as values.
    meta : SurveyMeta
        Labels, missing values and measurement levels.

    Examples
    --------
    >>> import pandas as pd
    >>> s = Survey(pd.DataFrame({"q1": [1, 2, 9]}),
    ...            SurveyMeta(missing_values={"q1": [(9, 9)]}))
    >>> s.is_missing("q1").tolist()
    [False, False, True]
    """

    data: pd.DataFrame
    meta: SurveyMeta = field(default_factory=SurveyMeta)

    @property
    def variables(self) -> list[str]:
        """Variable names in file order."""
        return [str(c) for c in self.data.columns]

    def column(self, name: str) -> pd.Series:
        """Return a column, raising :class:`VariableNotFoundError` with close matches."""
        return self.data[check_variable(self.data, name, self.meta.where)]

    def variable_label(self, name: str) -> str:
        """The variable label, or the name when there is none."""
        return self.meta.variable_labels.get(name) or name

    def value_label(self, name: str, value: Any) -> str | None:
        """The label of one value of a variable, or None."""
        labels = self.meta.value_labels.get(name) or {}
        if value in labels:
            return labels[value]
        if isinstance(value, (int, float, np.integer, np.floating)) and not pd.isna(value):
            for k, v in labels.items():
                if isinstance(k, (int, float)) and float(k) == float(value):
                    return v
        return None

    def is_missing(self, name: str) -> pd.Series:
        """Boolean Series: system-missing or user-defined missing."""
        return missing_mask(self.column(name), self.meta.missing_values.get(name))

    def is_user_missing(self, name: str) -> pd.Series:
        """Boolean Series: a user-defined missing code (not system-missing)."""
        col = self.column(name)
        return missing_mask(col, self.meta.missing_values.get(name)) & col.notna()


def check_variable(df: pd.DataFrame, name: Any, source: str = "") -> Any:
    """Return ``name`` if it is a column of ``df``, else raise with close matches."""
    if name in df.columns:
        return name
    import difflib

    names = [str(c) for c in df.columns]
    close = difflib.get_close_matches(str(name), names, n=5, cutoff=0.5)
    if not close:
        lowered = {n.lower(): n for n in names}
        close = [lowered[m] for m in difflib.get_close_matches(str(name).lower(), list(lowered), n=5, cutoff=0.5)]
    where = f" in {source}" if source else ""
    hint = (
        f" Close matches: {', '.join(close)}."
        if close
        else f" Variables: {', '.join(names[:20])}{' ...' if len(names) > 20 else ''}."
    )
    raise VariableNotFoundError(f"Variable {name!r} not found{where}.{hint}")


def missing_mask(series: pd.Series, ranges: list[tuple[Any, Any]] | None) -> pd.Series:
    """System-missing or inside one of the user-defined missing ``(low, high)`` ranges."""
    mask = series.isna()
    if not ranges:
        return mask
    numeric = pd.api.types.is_numeric_dtype(series.dtype)
    for lo, hi in ranges:
        if numeric and isinstance(lo, (int, float)) and isinstance(hi, (int, float)):
            mask |= (series >= lo) & (series <= hi)
        else:
            if lo == hi:
                mask |= series == lo
            else:
                mask |= (series >= lo) & (series <= hi)
    return mask.fillna(True).astype(bool)


# --------------------------------------------------------------------------- reading


def read_survey(path: str | os.PathLike[str], *, codebook: str | os.PathLike[str] | None = None) -> Survey:
    """Read a survey file with its labels.

    Parameters
    ----------
    path : path-like
        ``.sav``, ``.zsav`` (SPSS), ``.por`` (SPSS portable), ``.dta`` (Stata),
        ``.csv`` or ``.xlsx``.
    codebook : path-like, optional
        For CSV/XLSX only: a codebook file (see :func:`read_codebook`).

    Returns
    -------
    Survey
        Data with user-defined missing codes kept as values, and metadata.

    Raises
    ------
    SurveyFormatError
        The file is missing, of an unknown type, or cannot be parsed; the
        message names the file (and, for CSV, the delimiter used).
    EmptyTableError
        A CSV/XLSX file has a header row but no data rows.

    Notes
    -----
    The delimiter of a CSV file is detected from its first lines
    (:class:`csv.Sniffer`, among comma, semicolon, tab and ``|``; comma when
    nothing can be detected) and recorded in ``meta.delimiter``.
    SPSS files are read with pyreadstat and ``user_missing=True`` so that user
    missing codes stay visible (SPSS FREQUENCIES lists them as missing rows).
    Stata extended missing values (``.a`` ... ``.z``) become system missing.
    SPSS portable files do not expose user-missing definitions through
    pyreadstat; they are read without them.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> s = Survey(pd.DataFrame({"sex": [1.0, 2.0, 9.0]}),
    ...            SurveyMeta(variable_labels={"sex": "Gender"},
    ...                       value_labels={"sex": {1.0: "Male", 2.0: "Female"}},
    ...                       missing_values={"sex": [(9.0, 9.0)]}))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     back = read_survey(write_survey(s, pathlib.Path(d) / "s.sav"))
    >>> back.meta.variable_labels["sex"], back.is_missing("sex").tolist()
    ('Gender', [False, False, True])
    """
    import pyreadstat

    p = Path(path)
    if not p.is_file():
        raise SurveyFormatError(f"{p}: no such survey file. Check the path.")
    suffix = p.suffix.lower()
    try:
        if suffix in (".sav", ".zsav"):
            df, m = pyreadstat.read_sav(str(p), user_missing=True)
        elif suffix == ".por":
            df, m = pyreadstat.read_por(str(p))
        elif suffix == ".dta":
            df, m = pyreadstat.read_dta(str(p))
        elif suffix in (".csv", ".xlsx"):
            return _read_table(p, codebook)
        else:
            raise SurveyFormatError(
                f"{p}: unknown survey file type {suffix!r}; use .sav, .zsav, .por, .dta, .csv or .xlsx."
            )
    except QualquantError:
        raise
    except Exception as exc:  # pyreadstat raises its own ReadstatError/PyreadstatError
        raise SurveyFormatError(
            f"{p}: cannot be read as a {suffix} survey file ({type(exc).__name__}: {exc}). "
            "The file may be corrupted or truncated; export it again."
        ) from None
    missing: dict[str, list[tuple[Any, Any]]] = {}
    for var, rngs in (getattr(m, "missing_ranges", None) or {}).items():
        missing[var] = [(r["lo"], r["hi"]) for r in rngs]
    for var, vals in (getattr(m, "missing_user_values", None) or {}).items():
        if var not in missing and suffix != ".dta":
            missing[var] = [(v, v) for v in vals]
    meta = SurveyMeta(
        variable_labels={k: v for k, v in (m.column_names_to_labels or {}).items() if v},
        value_labels={k: dict(v) for k, v in (m.variable_value_labels or {}).items()},
        missing_values=missing,
        measure_levels={k: v for k, v in (getattr(m, "variable_measure", None) or {}).items()},
        file_label=m.file_label or "",
        source=p.name,
    )
    return Survey(df, meta)


CSV_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "',' (comma)", ";": "';' (semicolon)", "\t": "tab", "|": "'|' (pipe)"}


def delimiter_name(delimiter: str) -> str:
    """How a delimiter is named in messages (``';' (semicolon)``, ``tab``)."""
    return _DELIMITER_NAMES.get(delimiter, repr(delimiter))


def sniff_delimiter(path: str | os.PathLike[str], *, max_lines: int = 50) -> str:
    """Detect the field delimiter of a CSV file from its first lines.

    Parameters
    ----------
    path : path-like
        A CSV file (UTF-8; other encodings are read with replacement
        characters for the detection only).
    max_lines : int
        Lines looked at.

    Returns
    -------
    str
        One of ``,``, ``;``, tab or ``|``: :class:`csv.Sniffer`'s choice among
        them; if it cannot decide, the candidate found most often in the header
        line; ``,`` when there is none (a one-column file).
    """
    with open(path, "rb") as fh:
        raw = fh.read(1 << 16)
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = text.splitlines()
    if len(raw) == 1 << 16 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    lines = [ln for ln in lines[:max_lines] if ln.strip()]
    if not lines:
        return ","
    try:
        found = csv.Sniffer().sniff("\n".join(lines), delimiters="".join(CSV_DELIMITERS)).delimiter
    except csv.Error:
        found = None
    if found in CSV_DELIMITERS:
        return found
    counts = {d: lines[0].count(d) for d in CSV_DELIMITERS}
    best = max(CSV_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_table(p: Path, codebook: str | os.PathLike[str] | None) -> Survey:
    delimiter = None
    try:
        if p.suffix.lower() == ".csv":
            delimiter = sniff_delimiter(p)
            df = pd.read_csv(p, sep=delimiter)
        else:
            df = pd.read_excel(p)
    except Exception as exc:
        how = f" with delimiter {delimiter_name(delimiter)}" if delimiter else ""
        raise SurveyFormatError(f"{p}: cannot be read as a table{how} ({type(exc).__name__}: {exc}).") from None
    how = f" (read with delimiter {delimiter_name(delimiter)})" if delimiter else ""
    if len(df) == 0:
        raise EmptyTableError(
            f"{p}: the file has a header row ({len(df.columns)} column(s)) but no data rows{how}. "
            "Add one row per respondent below the header."
        )
    meta = SurveyMeta(source=p.name, delimiter=delimiter)
    if codebook is not None:
        meta = read_codebook(codebook, columns=list(df.columns), source=p.name)
        meta = SurveyMeta(
            meta.variable_labels,
            meta.value_labels,
            meta.missing_values,
            meta.measure_levels,
            meta.file_label,
            meta.source,
            delimiter,
        )
    return Survey(df, meta)


def read_codebook(path: str | os.PathLike[str], *, columns: list[str] | None = None, source: str = "") -> SurveyMeta:
    """Read a variable codebook (CSV or XLSX) into :class:`SurveyMeta`.

    Parameters
    ----------
    path : path-like
        A table with one row per variable and the columns ``variable``
        (required), ``label``, ``value_labels`` (``"1=Male; 2=Female"``),
        ``missing`` (``"-9; 97-99"``: single values or ``low-high`` ranges) and
        ``measure`` (nominal, ordinal or scale). Empty cells mean "none".
    columns : list of str, optional
        The data's columns; a codebook row naming an unknown variable is an error.
    source : str
        Name recorded in the metadata.

    Returns
    -------
    SurveyMeta

    Raises
    ------
    SurveyFormatError
        Missing ``variable`` column, an unknown variable, or a cell that
        cannot be parsed (the message names the codebook row).
    """
    p = Path(path)
    try:
        cb = (
            pd.read_csv(p, dtype=str, sep=sniff_delimiter(p))
            if p.suffix.lower() == ".csv"
            else pd.read_excel(p, dtype=str)
        )
    except Exception as exc:
        raise SurveyFormatError(f"{p}: cannot be read as a codebook ({type(exc).__name__}: {exc}).") from None
    if "variable" not in cb.columns:
        raise SurveyFormatError(f"{p}: a codebook needs a 'variable' column; found {', '.join(map(str, cb.columns))}.")
    var_labels: dict[str, str] = {}
    val_labels: dict[str, dict[Any, str]] = {}
    missing: dict[str, list[tuple[Any, Any]]] = {}
    measures: dict[str, str] = {}
    for i, row in cb.iterrows():
        line = int(i) + 2  # header is line 1
        var = str(row["variable"]).strip()
        if columns is not None and var not in columns:
            raise SurveyFormatError(f"{p} line {line}: variable {var!r} is not in the data file.")
        if _cell(row, "label"):
            var_labels[var] = _cell(row, "label")
        if _cell(row, "value_labels"):
            labels: dict[Any, str] = {}
            for part in _cell(row, "value_labels").split(";"):
                if not part.strip():
                    continue
                if "=" not in part:
                    raise SurveyFormatError(f"{p} line {line}: value label {part.strip()!r} is not 'value=label'.")
                k, v = part.split("=", 1)
                labels[_number(k.strip())] = v.strip()
            val_labels[var] = labels
        if _cell(row, "missing"):
            rngs = []
            for part in _cell(row, "missing").split(";"):
                part = part.strip()
                if not part:
                    continue
                lo, sep, hi = part[1:].partition("-") if part.startswith("-") else part.partition("-")
                if part.startswith("-"):
                    lo = "-" + lo
                try:
                    rngs.append(
                        (_number(lo, strict=True), _number(hi, strict=True)) if sep else (_number(part), _number(part))
                    )
                except ValueError:
                    raise SurveyFormatError(
                        f"{p} line {line}: missing value {part!r} is not a number or 'low-high' range."
                    ) from None
            missing[var] = rngs
        if _cell(row, "measure"):
            level = _cell(row, "measure").lower()
            if level not in _MEASURES:
                raise SurveyFormatError(f"{p} line {line}: measure {level!r} must be nominal, ordinal or scale.")
            measures[var] = level
    return SurveyMeta(var_labels, val_labels, missing, measures, "", source or p.name)


def _cell(row: pd.Series, key: str) -> str:
    if key not in row.index:
        return ""
    v = row[key]
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v) else str(v).strip()


def _number(text: str, strict: bool = False) -> Any:
    try:
        f = float(text)
    except ValueError:
        if strict:
            raise
        return text
    return int(f) if f.is_integer() else f


# --------------------------------------------------------------------------- writing


# The SAV file header record stores a creation date ("dd Mmm yy", 9 bytes at offset
# 92) and time ("hh:mm:ss", 8 bytes at 101), after rec_type (4), prod_name (60),
# layout_code, nominal_case_size, compression, weight_index, ncases (4 each) and
# bias (8). pyreadstat writes the wall clock there, so two writes of the same data
# differ; a fixed stamp makes them byte-identical.
SAV_DATE_OFFSET, SAV_TIME_OFFSET = 92, 101


def stamp_sav_header(path: str | os.PathLike[str], when: datetime | None = None) -> None:
    """Overwrite the creation stamp in a ``.sav``/``.zsav`` header so reruns give identical bytes.

    The stamp is ``when``; else the time in ``SOURCE_DATE_EPOCH`` (the
    reproducible-builds convention) when that is set; else 1 Jan 2000 00:00:00.
    """
    if when is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        when = datetime.fromtimestamp(int(epoch), tz=UTC) if epoch.isdigit() else datetime(2000, 1, 1, tzinfo=UTC)
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    date = f"{when.day:02d} {months[when.month - 1]} {when.year % 100:02d}".encode("ascii")
    clock = when.strftime("%H:%M:%S").encode("ascii")
    with open(path, "r+b") as fh:
        fh.seek(SAV_DATE_OFFSET)
        fh.write(date)
        fh.seek(SAV_TIME_OFFSET)
        fh.write(clock)


def write_survey(survey: Survey, path: str | os.PathLike[str]) -> Path:
    """Write a survey with its labels, atomically (see :func:`qualquant.io.atomic_write`).

    Parameters
    ----------
    survey : Survey
    path : path-like
        ``.sav``, ``.zsav`` (compressed SPSS) or ``.dta``.

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    SurveyFormatError
        Unsupported file type or metadata SPSS cannot hold (e.g. more than
        three missing values), naming the file.

    Notes
    -----
    Variable labels, value labels, user-defined missing values/ranges and
    measurement levels are written; reading the file back with
    :func:`read_survey` gives the same metadata. Stata files cannot hold
    user-defined missing values or measurement levels.
    """
    import pyreadstat

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".sav", ".zsav", ".dta"):
        raise SurveyFormatError(f"{p}: write_survey writes .sav, .zsav or .dta, not {suffix!r}.")
    meta = survey.meta
    df = survey.data
    cols = set(map(str, df.columns))
    labels = {c: meta.variable_labels.get(c) for c in df.columns}
    value_labels = {k: v for k, v in meta.value_labels.items() if k in cols}

    def write(tmp: Path) -> None:
        if suffix == ".dta":
            pyreadstat.write_dta(
                df,
                str(tmp),
                file_label=meta.file_label,
                column_labels=labels,
                variable_value_labels={k: {int(a): b for a, b in v.items()} for k, v in value_labels.items()},
            )
        else:
            missing: dict[str, list[Any]] = {}
            for var, rngs in meta.missing_values.items():
                if var not in cols:
                    continue
                missing[var] = [lo if lo == hi else {"lo": lo, "hi": hi} for lo, hi in rngs]
            measures = {
                k: v for k, v in meta.measure_levels.items() if k in cols and v in ("nominal", "ordinal", "scale")
            }
            pyreadstat.write_sav(
                df,
                str(tmp),
                file_label=meta.file_label,
                column_labels=labels,
                compress=suffix == ".zsav",
                variable_value_labels=value_labels,
                missing_ranges=missing or None,
                variable_measure=measures or None,
            )
            stamp_sav_header(tmp)

    try:
        atomic_write(p, write)
    except SurveyFormatError:
        raise
    except Exception as exc:
        raise SurveyFormatError(f"{p}: cannot write the survey ({type(exc).__name__}: {exc}).") from None
    return p


def as_survey(data: pd.DataFrame | Survey) -> Survey:
    """Wrap a DataFrame as a Survey without metadata (a Survey is returned as is)."""
    if isinstance(data, Survey):
        return data
    if isinstance(data, pd.DataFrame):
        return Survey(data, SurveyMeta())
    raise TypeError(f"expected a pandas DataFrame or a quant.Survey, got {type(data).__name__}")


def value_label_map(survey: Survey, name: str) -> Mapping[Any, str]:
    """Value labels of one variable ({} when none)."""
    return survey.meta.value_labels.get(name) or {}
