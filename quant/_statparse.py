"""Parsing of reported statistical results from running text and from tables.

This is the reading half of :func:`qualquant.quant.check.check_reported`; the checking
half (recomputing p and classifying the result) lives in :mod:`qualquant.quant.check`.

Recognised forms in text (APA and the common deviations of published papers):

- ``χ2(16) = 155.77, p = .406``, ``χ²(2, N = 100) = 5.20, p = .07``,
  ``χ^2 = 35.48, df = 8, p < 0.001``, LaTeX ``$\\chi^2 = 35.48$, $df = 8$, $p < 0.001$``,
  ``chi-square = 35.48, df = 8, p < 0.001``, ``G2(8) = 43.85, p < .001``;
- ``r(785) = .37, p < .001`` and ``r = .368, p < .01`` (df = N - 2, N from the
  result, the ``n`` argument or an ``N = 787`` elsewhere in the text);
  ``rs``/``rho``/``ρ`` are read as correlations too;
- ``t(45) = 2.10, p = .04``, ``F(2, 100) = 3.2, p = .045``, ``z = 2.1, p = .03``;
- decimal commas (``t(45) = 2,10, p = ,04``; ``r = ,368``), Unicode minus signs,
  ``≤``/``≥`` (read as ``<``/``>``), ``P``/``p-value`` for ``p`` and p in
  scientific notation (``p = 2.3e-5``, ``p < 1 × 10^-6``).

Tables (CSV/TSV/XLSX files or DataFrames) need a statistic column (``chi2``,
``χ2``, ``chi-square``, ``t``, ``F``, ``z``, ``r`` or a generic ``statistic``
column, read as chi-square unless a ``test`` column says otherwise), a ``p``
column (``p``, ``p-value``, ``sig.``, ...) and, where the test needs them, ``df``
(or ``df1``/``df2``) and ``n`` columns; a ``factor``/``label``/``variable``
column names each row.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from qualquant.quant.errors import ReportedStatisticParseError

__all__ = ["ReportedResult", "parse_text", "parse_table", "read_reported_source", "ACCEPTED_EXAMPLE"]

ACCEPTED_EXAMPLE = (
    "accepted forms look like 'χ2(16) = 155.77, p = .406', "
    "'chi-square = 35.48, df = 8, p < 0.001', 'r(785) = .37, p < .001', "
    "'t(45) = 2.10, p = .04' or 'F(2, 100) = 3.2, p = .045'"
)


@dataclass(frozen=True, slots=True)
class ReportedResult:
    """One reported result as written, before any recomputation.

    Attributes
    ----------
    source : str
        The matched text (or a description of the table row).
    label : str or None
        The factor/label of a table row (None for text).
    test : str
        One of ``chi2``, ``r``, ``t``, ``F``, ``z``.
    statistic_text : str or None
        The statistic as written (keeps its decimals), None if missing.
    test_comparison : str
        ``=``, ``<`` or ``>`` between the statistic's name and its value.
    df1, df2 : float or None
        Degrees of freedom as reported (``df2`` only for F).
    n : int or None
        Sample size reported with the result (or set from the text / argument).
    n_origin : str or None
        Where ``n`` came from (``result``, ``argument``, ``text``).
    p_text : str or None
        The p value as written (without its comparison sign).
    p_comparison : str or None
        ``=``, ``<`` or ``>``.
    problem : str or None
        Why this result cannot be checked (then the verdict is ``error``).
    """

    source: str
    label: str | None
    test: str
    statistic_text: str | None
    test_comparison: str
    df1: float | None
    df2: float | None
    n: int | None
    n_origin: str | None
    p_text: str | None
    p_comparison: str | None
    problem: str | None = None


# ----------------------------------------------------------------------------- numbers

_NUM_RE = re.compile(r"^[-+]?(?:\d+(?:[.,]\d+)?|[.,]\d+)(?:[eE][-+]?\d+)?$")
_P_SCI_RE = re.compile(
    r"^(?P<mant>\d+(?:[.,]\d+)?|[.,]\d+)\s*(?:[eE]\s*(?P<e1>[-+]?\d+)|[×x*·]\s*10\s*\^?\s*\{?\s*(?P<e2>[-+]?\d+)\s*\}?)$"
)


def number_value(text: str) -> float:
    """Return the float of a reported number (decimal point or decimal comma)."""
    return float(text.replace(",", ".").replace(" ", ""))


def number_decimals(text: str) -> int:
    """Number of decimals a reported number was written with (``.406`` -> 3).

    In scientific notation the decimals of the mantissa minus the exponent
    (``2.3e-5`` -> 6), i.e. the position of the last written digit.
    """
    text = text.strip()
    m = _P_SCI_RE.match(text)
    if m:
        mant = m.group("mant").replace(",", ".")
        exp = _exponent(m.group("e1") or m.group("e2"))
        mant_dec = len(mant.split(".")[1]) if "." in mant else 0
        return max(mant_dec - exp, 0)
    body = text.lstrip("+-").replace(",", ".")
    if "e" in body.lower():
        mant, exp_text = re.split("[eE]", body)
        mant_dec = len(mant.split(".")[1]) if "." in mant else 0
        return max(mant_dec - _exponent(exp_text), 0)
    return len(body.split(".")[1]) if "." in body else 0


# Exponents beyond this overflow or underflow a float for any written mantissa
# shorter than ~9,000 digits; clamping keeps ``int()`` away from its digit
# limit and the decimals count finite.
_MAX_EXPONENT = 10_000


def _exponent(text: str) -> int:
    """The integer of an exponent as written, clamped to +/- ``_MAX_EXPONENT``."""
    text = re.sub(r"\s+", "", text)
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-").lstrip("0") or "0"
    if len(digits) > len(str(_MAX_EXPONENT)):
        return sign * _MAX_EXPONENT
    return sign * min(int(digits), _MAX_EXPONENT)


def p_number_value(text: str) -> float:
    """Return the float of a reported p value, including scientific notation."""
    text = text.strip()
    m = _P_SCI_RE.match(text)
    if m:
        mant = m.group("mant").replace(",", ".")
        # float() of the written form gives inf or 0.0 where mant * 10.0 ** exp
        # would raise OverflowError (``0e309``, ``5 x 10^400``).
        return float(f"{mant}e{_exponent(m.group('e1') or m.group('e2'))}")
    return number_value(text)


def value_problem(statistic_text: str | None, p_text: str | None) -> str | None:
    """Why a reported statistic or p value cannot be a real result, or None.

    A statistic must be a finite number and a p value a number in [0, 1]
    (``1e999`` overflows to infinity, ``p = 2e3`` is not a probability).
    """
    if statistic_text is not None:
        try:
            stat = number_value(statistic_text)
        except ValueError:
            return f"cannot read the statistic '{statistic_text}'"
        if not math.isfinite(stat):
            return f"the statistic '{statistic_text}' is not a finite number"
    if p_text is not None:
        try:
            p = p_number_value(p_text)
        except ValueError:
            return f"cannot read the p value '{p_text}'"
        if p > 1.0:
            return f"a p value cannot exceed 1 (p = {p_text})"
        if not p >= 0.0:  # negative or NaN
            return f"the p value '{p_text}' is not between 0 and 1"
    return None


# ----------------------------------------------------------------------------- normalisation


def _normalise(text: str) -> tuple[str, list[int]]:
    """Rewrite notation variants into one form, keeping a map to original offsets.

    Returns the normalised text and, for every character of it, the offset of
    the original character it came from (plus one final entry for the end).
    """
    chars = list(text)
    index = list(range(len(text)))

    def sub(pattern: str, repl: str | Callable[[re.Match[str]], str], flags: int = 0) -> None:
        nonlocal chars, index
        current = "".join(chars)
        new_chars: list[str] = []
        new_index: list[int] = []
        pos = 0
        for m in re.finditer(pattern, current, flags):
            new_chars.extend(current[pos : m.start()])
            new_index.extend(index[pos : m.start()])
            rep = repl(m) if callable(repl) else repl
            new_chars.extend(rep)
            anchor = index[m.start()] if m.start() < len(index) else len(text)
            new_index.extend([anchor] * len(rep))
            pos = m.end()
        new_chars.extend(current[pos:])
        new_index.extend(index[pos:])
        chars, index = new_chars, new_index

    sub(r"[\u00a0\u2009\u202f\u2007\u2002\u2003\t]", " ")
    sub(r"</?(?:i|em|b|strong|sub|sup|span)\b[^>]*>", "", re.IGNORECASE)
    sub(r"\\(?:textit|mathit|mathrm|text|emph|mathbf|textbf)\s*\{([^{}]*)\}", lambda m: m.group(1))
    sub(r"\\chi\s*(?:\^\s*\{?\s*2\s*\}?|²)", "χ2")
    sub(r"\\(?:leq?|leqslant)(?![A-Za-z])", "<")
    sub(r"\\(?:geq?|geqslant)(?![A-Za-z])", ">")
    sub(r"\\[,;:! ]|~", " ")
    sub(r"\$", "")
    sub(r"[\u2212\u2012\u2013\u2014]", "-")
    sub(r"≤|<=|⩽", "<")
    sub(r"≥|>=|⩾", ">")
    sub(r"＝", "=")
    sub(r"[χΧ]\s*(?:\^\s*\{?\s*2\s*\}?|²|2)", "χ2")
    sub(r"(?<![A-Za-z0-9])(?:chi[-\s_]*(?:squared?|sq\.?|\^?\s*\{?2\}?|²))", "χ2", re.IGNORECASE)
    sub(r"(?<![A-Za-z0-9])(?:X\s*(?:\^\s*\{?\s*2\s*\}?|²|2)|G\s*(?:\^\s*\{?\s*2\s*\}?|²|2))(?![0-9])", "χ2")
    sub(r"(?<![A-Za-z0-9])(?:r_?s|rho|ρ)(?![A-Za-z])", "r")
    sub(r"(?<![A-Za-z0-9])[pP][-\s]?values?(?![A-Za-z])", "p")
    sub(r"(?<![A-Za-z0-9])\*([A-Za-z]{1,2})\*", lambda m: m.group(1))
    index.append(len(text))
    return "".join(chars), index


# ----------------------------------------------------------------------------- text

_NUM = r"[-+]?(?:\d+(?:[.,]\d+)?|[.,]\d+)(?:[eE][-+]?\d+)?"
_PNUM = r"(?:\d+(?:[.,]\d+)?|[.,]\d+)(?:\s*(?:[eE]\s*[-+]?\d+|[×x*·]\s*10\s*\^?\s*\{?\s*[-+]?\d+\s*\}?))?"
_INT_N = r"\d{1,3}(?:,\d{3})+(?!\d)|\d+"

_RESULT_RE = re.compile(
    rf"""
    (?<![A-Za-z0-9_.])
    (?P<test>χ2|r|t|F|z|Z)
    \s*(?:\((?P<paren>[^()]{{0,40}})\))?
    \s*(?P<tcomp>[=<>])\s*
    (?P<stat>{_NUM})(?![\d])
    (?P<mid>(?:\s*[,;]?\s*(?:df|d\.f\.)\s*=\s*\d+(?:[.,]\d+)?(?:\s*[,;]\s*\d+(?:\.\d+)?(?=\s*[,;)]))?
              |\s*[,;]?\s*[Nn]\s*=\s*(?:{_INT_N}))*)
    \s*[,;:]?\s*(?:and\s+|with\s+)?
    [pP]\s*(?P<pcomp>[=<>])\s*(?P<p>{_PNUM})
    """,
    re.VERBOSE,
)
_MID_DF_RE = re.compile(r"(?:df|d\.f\.)\s*=\s*(\d+(?:[.,]\d+)?)(?:\s*[,;]\s*(\d+(?:\.\d+)?))?")
_MID_N_RE = re.compile(rf"[Nn]\s*=\s*({_INT_N})")
_GLOBAL_N_RE = re.compile(rf"(?<![A-Za-z0-9_])N\s*=\s*({_INT_N})")
_CANDIDATE_RE = re.compile(r"(?<![A-Za-z])[pP]\s*[=<>]\s*[.,]?\d")


def _int_n(text: str) -> int:
    return int(text.replace(",", "").replace(" ", ""))


def _parse_paren(test: str, paren: str) -> tuple[list[float], int | None, str | None]:
    """Split ``(2, N = 100)`` into dfs and N; returns (dfs, n, problem)."""
    n = None
    m = _MID_N_RE.search(paren)
    if m:
        n = _int_n(m.group(1))
        paren = paren[: m.start()] + paren[m.end() :]
    paren = paren.strip().strip(",;").strip()
    if not paren:
        return [], n, None
    if test in ("t", "r") and re.fullmatch(r"\d+,\d+", paren):
        paren = paren.replace(",", ".")  # t(45,3): a decimal comma in a single df
    parts = [p.strip() for p in re.split(r"[,;]", paren) if p.strip()]
    dfs: list[float] = []
    for part in parts:
        part = re.sub(r"^(?:df\s*=\s*)", "", part)
        if not re.fullmatch(r"\d+(?:\.\d+)?", part):
            return [], n, f"cannot read the degrees of freedom '({paren})'"
        dfs.append(float(part))
    return dfs, n, None


def parse_text(text: str, *, n: int | None = None) -> list[ReportedResult]:
    """Find every reported result in ``text``.

    Parameters
    ----------
    text : str
        Running text, e.g. a paragraph of a paper.
    n : int, optional
        Sample size for correlations reported without df (df = n - 2); it takes
        precedence over an ``N = ...`` found elsewhere in the text.

    Returns
    -------
    list of ReportedResult
        In order of appearance; empty if nothing is found.
    """
    norm, index = _normalise(text)
    global_ns = [(m.start(), _int_n(m.group(1))) for m in _GLOBAL_N_RE.finditer(norm)]
    results: list[ReportedResult] = []
    for m in _RESULT_RE.finditer(norm):
        source = text[index[m.start()] : index[m.end() - 1] + 1].strip()
        test = {"Z": "z", "χ2": "chi2"}.get(m.group("test"), m.group("test"))
        problem = None
        dfs: list[float] = []
        res_n = None
        if m.group("paren") is not None:
            dfs, res_n, problem = _parse_paren(test, m.group("paren"))
        mid = m.group("mid") or ""
        dm = _MID_DF_RE.search(mid)
        if dm:
            dfs = [float(dm.group(1).replace(",", "."))] + ([float(dm.group(2))] if dm.group(2) else [])
        nm = _MID_N_RE.search(mid)
        if nm:
            res_n = _int_n(nm.group(1))
        n_origin = "result" if res_n is not None else None
        if test == "r" and not dfs and res_n is None:
            if n is not None:
                res_n, n_origin = int(n), "argument"
            else:
                before = [v for pos, v in global_ns if pos < m.start()]
                if before:
                    res_n, n_origin = before[-1], "text"
                elif len({v for _, v in global_ns}) == 1:
                    res_n, n_origin = global_ns[0][1], "text"
        df1 = df2 = None
        if problem is None:
            problem, df1, df2 = _assign_dfs(test, dfs)
        p_written = re.sub(r"\s+", " ", m.group("p"))
        if problem is None:
            problem = value_problem(m.group("stat"), p_written)
        results.append(
            ReportedResult(
                source=source,
                label=None,
                test=test,
                statistic_text=m.group("stat"),
                test_comparison=m.group("tcomp"),
                df1=df1,
                df2=df2,
                n=res_n,
                n_origin=n_origin,
                p_text=p_written,
                p_comparison=m.group("pcomp"),
                problem=problem,
            )
        )
    return results


def _assign_dfs(test: str, dfs: list[float]) -> tuple[str | None, float | None, float | None]:
    if test == "F":
        if len(dfs) == 2:
            return None, dfs[0], dfs[1]
        if dfs:
            return "F needs two degrees of freedom, e.g. F(2, 100)", dfs[0], None
        return None, None, None
    if test == "z":
        if dfs:
            return "z has no degrees of freedom", None, None
        return None, None, None
    if len(dfs) > 1:
        return f"{test} takes one degrees-of-freedom value, found {len(dfs)}", None, None
    return None, (dfs[0] if dfs else None), None


def has_candidate(text: str) -> bool:
    """True when the text contains something that looks like a p value."""
    norm, _ = _normalise(text)
    return bool(_CANDIDATE_RE.search(norm))


# ----------------------------------------------------------------------------- tables


def _canon(name: object) -> str:
    s = str(name).strip().lower()
    s = re.sub(r"\s+", " ", s)
    return s


_CHI_NAMES = {
    "chi2",
    "χ2",
    "χ^2",
    "χ²",
    "chi^2",
    "chi²",
    "chi-square",
    "chi square",
    "chi_square",
    "chisquare",
    "chi-squared",
    "chisq",
    "x2",
    "x^2",
    "x²",
    "pearson chi-square",
    "pearson chi2",
    "pearson χ2",
    "value",
}
_STAT_NAMES = {
    "chi2": _CHI_NAMES,
    "t": {"t", "t value", "t-value", "t_value"},
    "F": {"f", "f value", "f-value", "f_value"},
    "z": {"z", "z value", "z-value", "z_value"},
    "r": {"r", "rho", "ρ", "r_s", "rs", "pearson r", "spearman rho", "correlation"},
}
_GENERIC_STAT = {"statistic", "stat", "test statistic", "test_statistic"}
_DF_NAMES = {"df", "d.f.", "d.f", "degrees of freedom", "df1"}
_DF2_NAMES = {"df2"}
_P_NAMES = {
    "p",
    "p-value",
    "p value",
    "p_value",
    "pvalue",
    "p-level",
    "sig",
    "sig.",
    "significance",
    "asymp. sig. (2-sided)",
    "asymptotic significance (2-sided)",
    "sig. (2-tailed)",
    "p (2-tailed)",
}
_N_NAMES = {"n", "sample size", "valid n"}
_TEST_NAMES = {"test", "test_type", "statistic_type"}
_LABEL_HINTS = ("factor", "label", "variable", "characteristic", "name", "item", "predictor")
_TEST_ALIASES = {
    "chi2": "chi2",
    "χ2": "chi2",
    "chi-square": "chi2",
    "chisq": "chi2",
    "chi square": "chi2",
    "g2": "chi2",
    "likelihood ratio": "chi2",
    "t": "t",
    "f": "F",
    "z": "z",
    "r": "r",
    "rho": "r",
    "spearman": "r",
    "pearson": "r",
}
_CELL_P_RE = re.compile(rf"^\s*(?:[pP]\s*)?(?P<comp>[=<>≤≥]|<=|>=)?\s*(?P<p>{_PNUM})\s*$")
_CELL_STAT_RE = re.compile(rf"^\s*(?P<comp>[=<>])?\s*(?P<stat>{_NUM})\s*$")


def _find_columns(columns: list[str]) -> dict[str, str | None]:
    canon = {c: _canon(c) for c in columns}
    found: dict[str, str | None] = {
        "stat": None,
        "stat_test": None,
        "df": None,
        "df2": None,
        "p": None,
        "n": None,
        "test": None,
        "label": None,
    }
    for col, name in canon.items():
        norm_name, _ = _normalise(name)
        norm_name = norm_name.lower()
        if found["stat"] is None:
            for test, names in _STAT_NAMES.items():
                if name in names or (norm_name in {"χ2", "chi2"} and test == "chi2"):
                    found["stat"], found["stat_test"] = col, test
                    break
            else:
                if name in _GENERIC_STAT:
                    found["stat"], found["stat_test"] = col, None
            if found["stat"] == col:
                continue
        if found["df"] is None and name in _DF_NAMES:
            found["df"] = col
        elif found["df2"] is None and name in _DF2_NAMES:
            found["df2"] = col
        elif found["p"] is None and (name in _P_NAMES or norm_name == "p"):
            found["p"] = col
        elif found["n"] is None and name in _N_NAMES:
            found["n"] = col
        elif found["test"] is None and name in _TEST_NAMES:
            found["test"] = col
        elif found["label"] is None and any(h in name for h in _LABEL_HINTS):
            found["label"] = col
    return found


def parse_table(table: pd.DataFrame, *, n: int | None = None, where: str = "table") -> list[ReportedResult]:
    """Read one reported result per row of a table of statistics.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns as described in the module docstring. Cells are best given as
        text so that trailing zeros (decimals) are kept; numbers are written
        with their shortest representation.
    n : int, optional
        Sample size for correlations without df or n column.
    where : str
        Name of the table (file name) used in messages.

    Returns
    -------
    list of ReportedResult
        One per row; a row that cannot be read carries a ``problem``.

    Raises
    ------
    ReportedStatisticParseError
        If the statistic or p column cannot be found.
    """
    columns = [str(c) for c in table.columns]
    table = table.copy()
    table.columns = columns
    found = _find_columns(columns)
    if found["stat"] is None or found["p"] is None:
        missing = [k for k in ("stat", "p") if found[k] is None]
        what = " and ".join(
            {
                "stat": "a statistic column (chi2, χ2, chi-square, t, F, z, r or statistic)",
                "p": "a p column (p, p-value, sig.)",
            }[k]
            for k in missing
        )
        raise ReportedStatisticParseError(
            f"{where}: cannot find {what} among the columns {columns}. "
            "Name the columns e.g. 'factor, chi2, df, p' (one reported result per row)."
        )
    label_col = found["label"]
    if label_col is None:
        used = {v for k, v in found.items() if k != "stat_test" and v is not None}
        for col in columns:
            if (
                col not in used
                and table[col].map(lambda v: isinstance(v, str) and not _NUM_RE.match(v.strip())).mean() > 0.5
            ):
                label_col = col
                break
    results = []
    for i, row in enumerate(table.itertuples(index=False), start=1):
        cells = dict(zip(columns, row))
        results.append(_row_result(i, cells, found, label_col, n, where))
    return results


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return repr(value) if not value.is_integer() else str(int(value))
    text = str(value).strip()
    return text or None


def _row_result(
    i: int, cells: dict, found: dict, label_col: str | None, n_arg: int | None, where: str
) -> ReportedResult:
    label = _cell_text(cells[label_col]) if label_col else None
    stat_cell = _cell_text(cells[found["stat"]])
    p_cell = _cell_text(cells[found["p"]])
    df_cell = _cell_text(cells[found["df"]]) if found["df"] else None
    df2_cell = _cell_text(cells[found["df2"]]) if found["df2"] else None
    n_cell = _cell_text(cells[found["n"]]) if found["n"] else None
    test = found["stat_test"]
    if found["test"]:
        tcell = (_cell_text(cells[found["test"]]) or "").lower()
        tcell_norm = _normalise(tcell)[0].lower()
        test = _TEST_ALIASES.get(tcell) or _TEST_ALIASES.get(tcell_norm) or test
    test = test or "chi2"
    parts = [f"{test} = {stat_cell}"]
    if df_cell:
        parts.append(f"df = {df_cell}" + (f", {df2_cell}" if df2_cell else ""))
    if n_cell:
        parts.append(f"N = {n_cell}")
    parts.append(f"p = {p_cell}" if p_cell and p_cell[0] not in "<>=≤≥" else f"p {p_cell}")
    source = f"{where} row {i}" + (f" ({label})" if label else "") + ": " + ", ".join(parts)
    problem = None
    stat_text = None
    tcomp = "="
    sm = _CELL_STAT_RE.match(stat_cell or "")
    if stat_cell is None:
        problem = f"row {i}: the statistic cell ({found['stat']}) is empty"
    elif not sm:
        problem = f"row {i}: cannot read the statistic '{stat_cell}' in column {found['stat']}"
    else:
        stat_text, tcomp = sm.group("stat"), sm.group("comp") or "="
    p_text = p_comp = None
    pm = _CELL_P_RE.match(p_cell or "")
    if problem is None:
        if p_cell is None:
            problem = f"row {i}: the p cell ({found['p']}) is empty"
        elif not pm:
            problem = f"row {i}: cannot read the p value '{p_cell}' in column {found['p']}"
    if pm:
        p_text = pm.group("p")
        p_comp = {"≤": "<", "<=": "<", "≥": ">", ">=": ">"}.get(pm.group("comp") or "=", pm.group("comp") or "=")
    dfs: list[float] = []
    for cell, col in ((df_cell, found["df"]), (df2_cell, found["df2"])):
        if cell is None:
            continue
        pieces = [c.strip() for c in re.split(r"[,;]\s+|;", cell)] if re.search(r"[,;]\s", cell) else [cell]
        for piece in pieces:
            try:
                dfs.append(number_value(piece))
            except ValueError:
                problem = problem or f"row {i}: cannot read the df '{cell}' in column {col}"
    n_val = None
    n_origin = None
    if n_cell is not None:
        try:
            n_val, n_origin = _int_n(n_cell), "result"
        except ValueError:
            problem = problem or f"row {i}: cannot read N '{n_cell}' in column {found['n']}"
    elif n_arg is not None:
        n_val, n_origin = int(n_arg), "argument"
    df1 = df2 = None
    if problem is None:
        problem, df1, df2 = _assign_dfs(test, dfs)
    if problem is None:
        bad = value_problem(stat_text, p_text)
        problem = f"row {i}: {bad}" if bad else None
    return ReportedResult(
        source=source,
        label=label,
        test=test,
        statistic_text=stat_text,
        test_comparison=tcomp,
        df1=df1,
        df2=df2,
        n=n_val,
        n_origin=n_origin,
        p_text=p_text,
        p_comparison=p_comp,
        problem=problem,
    )


_TABLE_SUFFIXES = {".csv", ".tsv", ".xlsx", ".xls"}
_TEXT_SUFFIXES = {".txt", ".md", ".tex"}


def read_reported_source(source: str | Path) -> pd.DataFrame | str:
    """Load a file of reported results: a table (CSV/TSV/XLSX) or text (TXT/MD/TEX).

    Raises
    ------
    ReportedStatisticParseError
        If the file cannot be read (the message names it).
    """
    path = Path(source)
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xls"):
            return pd.read_excel(path, dtype=str, keep_default_na=False)
        if suffix in (".csv", ".tsv"):
            sep = "\t" if suffix == ".tsv" else None
            return pd.read_csv(path, dtype=str, keep_default_na=False, sep=sep, engine="python", encoding="utf-8-sig")
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        raise ReportedStatisticParseError(
            f"{path.name}: cannot read the file ({exc}). Give a UTF-8 CSV/TSV/XLSX table with "
            "statistic, df and p columns, or a UTF-8 text file."
        ) from None


def looks_like_file(text: str) -> bool:
    """True if ``text`` is a single line ending in a supported file suffix."""
    return "\n" not in text and len(text) < 1000 and Path(text).suffix.lower() in (_TABLE_SUFFIXES | _TEXT_SUFFIXES)
