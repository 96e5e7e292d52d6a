"""Shared input handling: variables, user/system missing values and case weights.

Every statistic goes through :func:`prepare`, so missing values and weights
are treated the same way everywhere:

- a ``Survey``'s user-defined missing codes and system-missing ``NaN`` are
  missing; a plain DataFrame has only ``NaN`` as missing;
- weights are SPSS frequency weights (WEIGHT BY): a case counts ``w`` times.
  SPSS silently drops cases with negative or missing weights; qualquant
  refuses them instead, naming the rows, because a silently smaller sample is
  how published tables go wrong. Zero weights are allowed (the case is out).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from qualquant.quant.errors import WeightError
from qualquant.quant.survey import Survey, as_survey, check_variable, missing_mask

__all__ = ["Prepared", "prepare"]


@dataclass(frozen=True, slots=True, eq=False)
class Prepared:
    """Columns with every missing value as NaN/None, and the case weights.

    Attributes
    ----------
    frame : pandas.DataFrame
        The requested columns (original index); missing values are NaN.
    weights : numpy.ndarray
        Float weights, one per row (ones when unweighted).
    weighted : bool
        True when a weight variable was given.
    survey : Survey
        The input as a Survey (for labels).
    """

    frame: pd.DataFrame
    weights: np.ndarray
    weighted: bool
    survey: Survey

    def valid(self, columns: Sequence[Any] | None = None) -> np.ndarray:
        """Boolean mask: all given columns valid and weight > 0."""
        cols = list(self.frame.columns) if columns is None else list(columns)
        ok = self.frame[cols].notna().to_numpy().all(axis=1)
        return ok & (self.weights > 0)


def prepare(data: Any, columns: Sequence[Any], weights: Any = None) -> Prepared:
    """Resolve variables, set missing values to NaN and validate weights.

    Parameters
    ----------
    data : pandas.DataFrame or Survey
    columns : sequence of str
        Variables to use (each checked; unknown names list close matches).
    weights : str, array-like or None
        Name of a weight variable, or one weight per row.

    Returns
    -------
    Prepared

    Raises
    ------
    VariableNotFoundError
        A variable (or the weight variable) is not in the data.
    WeightError
        A weight is missing, negative, infinite or not numeric.
    """
    survey = as_survey(data)
    df = survey.data
    source = survey.meta.where
    cols = [check_variable(df, c, source) for c in columns]
    out = {}
    for c in cols:
        s = df[c]
        ranges = survey.meta.missing_values.get(c)
        if ranges:  # system-missing is NaN already; only user-missing codes need masking
            mask = missing_mask(s, ranges)
            if mask.any():
                s = s.where(~mask)
        out[c] = s
    frame = pd.DataFrame(out, index=df.index) if cols else pd.DataFrame(index=df.index)
    if weights is None:
        w = np.ones(len(df), dtype=float)
        weighted = False
    else:
        if isinstance(weights, str):
            name = check_variable(df, weights, source)
            ws = df[name]
            label = f"weight variable {name!r}"
        else:
            ws = pd.Series(np.asarray(weights), index=df.index if len(df) == len(np.asarray(weights)) else None)
            label = "weights"
            if len(ws) != len(df):
                raise WeightError(f"{len(ws)} weights were given for {len(df)} rows; give one weight per row.")
        if not pd.api.types.is_numeric_dtype(ws.dtype) or pd.api.types.is_bool_dtype(ws.dtype):
            raise WeightError(f"The {label} is not numeric ({ws.dtype}); use a numeric frequency weight.")
        w = ws.to_numpy(dtype=float, na_value=np.nan)
        _check_weights(w, df.index, label)
        weighted = True
    return Prepared(frame, w, weighted, survey)


def _check_weights(w: np.ndarray, index: pd.Index, label: str) -> None:
    bad_missing = ~np.isfinite(w)
    bad_negative = np.isfinite(w) & (w < 0)
    for mask, what in ((bad_missing, "missing or infinite"), (bad_negative, "negative")):
        if mask.any():
            rows = [str(r) for r in index[mask][:10]]
            more = f" and {int(mask.sum()) - 10} more" if mask.sum() > 10 else ""
            raise WeightError(
                f"The {label} is {what} in {int(mask.sum())} row(s) (row {', '.join(rows)}{more}). "
                "Fix or drop these cases before weighting; a weight must be a number >= 0."
            )
