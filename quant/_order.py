"""The order categories are shown in: by their value codes, as SPSS does.

SPSS FREQUENCIES and CROSSTABS list categories by ascending value
(``/FORMAT=AVALUE``, the default), so a Likert item coded 1 "strongly
disagree" ... 5 "strongly agree" is shown in code order, never in the
alphabetical order of its labels. Two kinds of files need more than a plain
sort of the values:

- a CSV/XLSX file that stores the label text in its cells ("agree") with a
  codebook giving the codes (``1=strongly disagree; ...``): each text is
  placed at the code its label has;
- string variables (SPSS string variables with value labels; codes read from
  a codebook that are not numbers): codes that read as numbers are ordered as
  numbers (``"2"`` before ``"10"``); other labelled codes keep the order their
  value labels are defined in (the codebook's or the file's order); unlabelled
  text comes last, alphabetically.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["category_codes", "category_order", "codes_as_scores"]


def _value_labels(survey: Any, name: Any) -> dict:
    meta = getattr(survey, "meta", None)
    return dict((meta.value_labels.get(name) or {}) if meta is not None else {})


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def category_codes(survey: Any, name: Any, values: Iterable[Any]) -> list[Any]:
    """The value code behind each value.

    A value that is a code of the variable's value labels is its own code; a
    text value that is not a code but is the label of exactly one code (data
    stored as label text) gets that code; anything else is its own code.
    """
    labels = _value_labels(survey, name)
    by_label: dict[str, Any] = {}
    repeated = set()
    for code, label in labels.items():
        key = str(label)
        if key in by_label:
            repeated.add(key)
        by_label[key] = code
    out = []
    for v in values:
        if isinstance(v, str) and v not in labels and v in by_label and v not in repeated:
            out.append(by_label[v])
        else:
            out.append(v)
    return out


def category_order(survey: Any, name: Any, values: Sequence[Any]) -> np.ndarray:
    """Positions that put distinct ``values`` of variable ``name`` in value-code order.

    Parameters
    ----------
    survey : Survey or None
        Supplies the value labels (none for a plain DataFrame).
    name : str
        The variable.
    values : sequence
        Distinct values as they occur in the data.

    Returns
    -------
    numpy.ndarray
        Integer positions: ``[values[i] for i in order]`` is in code order.

    Examples
    --------
    >>> import pandas as pd
    >>> from qualquant.quant.survey import Survey, SurveyMeta
    >>> s = Survey(pd.DataFrame({"q": []}), SurveyMeta(value_labels={"q": {1: "disagree", 2: "neutral", 3: "agree"}}))
    >>> vals = ["agree", "disagree", "neutral"]
    >>> [vals[i] for i in category_order(s, "q", vals)]
    ['disagree', 'neutral', 'agree']
    """
    labels = _value_labels(survey, name)
    defined: dict[Any, int] = {}
    for i, code in enumerate(labels):
        defined.setdefault(code, i)
    codes = category_codes(survey, name, values)

    def key(code: Any) -> tuple:
        if _is_number(code):
            f = float(code)
            return (0, f if not np.isnan(f) else np.inf, 0, "")
        text = str(code)
        try:
            return (0, float(text.strip()), 0, text)
        except ValueError:
            pass
        if code in defined:
            return (1, 0.0, defined[code], "")
        return (2, 0.0, 0, text)

    keys = [key(c) for c in codes]
    return np.asarray(sorted(range(len(keys)), key=lambda i: keys[i]), dtype=np.int64)


def codes_as_scores(survey: Any, name: Any, values: Iterable[Any]) -> np.ndarray | None:
    """The numeric codes of ``values`` as scores, or None when any value has no numeric code."""
    codes = category_codes(survey, name, values)
    out = []
    for c in codes:
        if _is_number(c):
            out.append(float(c))
            continue
        try:
            out.append(float(str(c).strip()))
        except ValueError:
            return None
    arr = np.asarray(out, dtype=float)
    return arr if np.isfinite(arr).all() else None
