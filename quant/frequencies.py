"""Frequency tables laid out like SPSS FREQUENCIES."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from qualquant.quant._order import category_order
from qualquant.quant._weights import prepare
from qualquant.quant.survey import as_survey, missing_mask

__all__ = ["frequencies"]

COLUMNS = ["section", "value", "label", "n", "percent", "valid_percent", "cumulative_percent"]


def frequencies(data: Any, variable: str, *, weights: Any = None) -> pd.DataFrame:
    """Frequency table of one variable, with the rows SPSS FREQUENCIES prints.

    Parameters
    ----------
    data : pandas.DataFrame or Survey
    variable : str
    weights : str or array-like, optional
        Frequency weight variable (or one weight per row).

    Returns
    -------
    pandas.DataFrame
        One row per table line, in SPSS order, with columns

        - ``section``: ``"valid"`` (a valid value), ``"valid_total"``,
          ``"missing"`` (a user-defined missing code, or ``"System"`` for
          system-missing), ``"missing_total"``, ``"total"``;
        - ``value``: the value (NaN for totals and system-missing);
        - ``label``: its value label (the value itself when unlabelled;
          ``"Total"``/``"System"`` on the summary lines);
        - ``n``: (weighted) count;
        - ``percent``: 100 * n / all cases;
        - ``valid_percent``: 100 * n / valid cases (NaN on missing lines);
        - ``cumulative_percent``: running sum of ``valid_percent`` (valid lines only).

        Missing lines and totals appear only when there are missing cases, as in SPSS.

    Raises
    ------
    VariableNotFoundError, WeightError

    Notes
    -----
    Values are sorted by their value codes (SPSS's default ``/FORMAT=AVALUE``;
    cells holding label text are placed at their label's code, see
    :mod:`qualquant.quant._order`). With
    weights, ``n`` is the sum of weights, not rounded (SPSS rounds only in the
    display). Checked against the seed study's Table 1 and SPSS's layout.

    Examples
    --------
    >>> df = pd.DataFrame({"q": [1, 2, 2, np.nan]})
    >>> print(frequencies(df, "q")[["section", "n", "valid_percent"]].to_string(index=False))
          section   n  valid_percent
            valid 1.0      33.333333
            valid 2.0      66.666667
      valid_total 3.0     100.000000
          missing 1.0            NaN
    missing_total 1.0            NaN
            total 4.0            NaN
    """
    survey = as_survey(data)
    prep = prepare(survey, [variable], weights)
    name = prep.frame.columns[0]
    raw = survey.data[name]
    w = prep.weights
    user_missing = missing_mask(raw, survey.meta.missing_values.get(name)) & raw.notna()
    system_missing = raw.isna().to_numpy()
    valid = ~(user_missing.to_numpy() | system_missing)
    total = float(w.sum())

    def grouped(mask: np.ndarray) -> pd.Series:
        s = pd.Series(w[mask], index=raw[mask].to_numpy())
        g = s.groupby(level=0, sort=False).sum()
        return g.iloc[category_order(survey, name, list(g.index))]

    rows: list[dict[str, Any]] = []
    vg = grouped(valid)
    valid_total = float(vg.sum())
    cum = 0.0
    for value, n in vg.items():
        vp = 100.0 * n / valid_total if valid_total > 0 else np.nan
        cum += vp
        rows.append(
            dict(
                section="valid",
                value=value,
                label=_label(survey, name, value),
                n=float(n),
                percent=100.0 * n / total if total > 0 else np.nan,
                valid_percent=vp,
                cumulative_percent=cum,
            )
        )
    missing_total = total - valid_total
    if missing_total > 0 or (~valid).any():
        rows.append(
            dict(
                section="valid_total",
                value=np.nan,
                label="Total",
                n=valid_total,
                percent=100.0 * valid_total / total if total > 0 else np.nan,
                valid_percent=100.0 if valid_total > 0 else np.nan,
                cumulative_percent=np.nan,
            )
        )
        for value, n in grouped(user_missing.to_numpy()).items():
            rows.append(
                dict(
                    section="missing",
                    value=value,
                    label=_label(survey, name, value),
                    n=float(n),
                    percent=100.0 * n / total if total > 0 else np.nan,
                    valid_percent=np.nan,
                    cumulative_percent=np.nan,
                )
            )
        if system_missing.any():
            n = float(w[system_missing].sum())
            rows.append(
                dict(
                    section="missing",
                    value=np.nan,
                    label="System",
                    n=n,
                    percent=100.0 * n / total if total > 0 else np.nan,
                    valid_percent=np.nan,
                    cumulative_percent=np.nan,
                )
            )
        rows.append(
            dict(
                section="missing_total",
                value=np.nan,
                label="Total",
                n=missing_total,
                percent=100.0 * missing_total / total if total > 0 else np.nan,
                valid_percent=np.nan,
                cumulative_percent=np.nan,
            )
        )
        rows.append(
            dict(
                section="total",
                value=np.nan,
                label="Total",
                n=total,
                percent=100.0 if total > 0 else np.nan,
                valid_percent=np.nan,
                cumulative_percent=np.nan,
            )
        )
    else:
        rows.append(
            dict(
                section="valid_total",
                value=np.nan,
                label="Total",
                n=valid_total,
                percent=100.0 if total > 0 else np.nan,
                valid_percent=100.0 if total > 0 else np.nan,
                cumulative_percent=np.nan,
            )
        )
    out = pd.DataFrame(rows, columns=COLUMNS)
    out.attrs["variable"] = str(name)
    out.attrs["variable_label"] = survey.variable_label(name)
    return out


def _label(survey: Any, name: str, value: Any) -> str:
    lab = survey.value_label(name, value)
    if lab is not None:
        return str(lab)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
