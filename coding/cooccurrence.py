"""Code co-occurrence: which codes appear together in the same segment or on overlapping spans.

For every pair of codes (a, b) the segments of the chosen roles (participant
turns by default) are cross-classified by the presence of a and of b (from
:func:`qualquant.coding.matrices.segment_code_matrix`), giving the 2 x 2 table::

                 b present   b absent
    a present    n_both      n_a - n_both
    a absent     n_b - n_both  rest

Segment-level co-occurrence is summarised by the Jaccard index
``n_both / (n_a + n_b - n_both)`` and tested with Fisher's exact test
(:func:`scipy.stats.fisher_exact`, two-sided; the odds ratio is the sample odds
ratio ``(n_both * rest) / ((n_a - n_both) * (n_b - n_both))``, infinite or NaN
when a cell is 0). ``p_adjusted`` corrects the p values of all pairs for
multiple testing (Benjamini-Hochberg false discovery rate,
:func:`qualquant.coding.stats.benjamini_hochberg`).

Span-level co-occurrence, ``n_overlapping_spans``, counts the pairs of coded
spans (one of code a, one of code b, by the same coder) whose character ranges
overlap inside a segment; a span cut into several segments is still one span,
and one Label Studio span carrying both labels counts as an overlapping pair.

References
----------
Fisher, R. A. (1922). On the interpretation of chi-square from contingency
tables, and the calculation of P. *Journal of the Royal Statistical Society,
85*(1), 87-94.

Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate.
*Journal of the Royal Statistical Society: Series B, 57*(1), 289-300.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING

import pandas as pd
from scipy.stats import fisher_exact

from qualquant.coding.matrices import (
    check_codings,
    code_order,
    segment_code_matrix,
    select_coder,
    span_keys,
    unit_segments,
)
from qualquant.coding.stats import benjamini_hochberg

if TYPE_CHECKING:
    from qualquant.coding.codebook import Codebook
    from qualquant.corpus import Corpus

__all__ = ["COOCCURRENCE_COLUMNS", "cooccurrence"]

COOCCURRENCE_COLUMNS = (
    "code_a",
    "code_b",
    "n_segments",
    "n_both",
    "n_a",
    "n_b",
    "jaccard",
    "odds_ratio",
    "p_value",
    "p_adjusted",
    "n_overlapping_spans",
)


def _overlap_counts(rows: pd.DataFrame, code_list: list[str]) -> dict[tuple[str, str], int]:
    """(code_a, code_b) in code order -> number of distinct overlapping span pairs."""
    position = {code: i for i, code in enumerate(code_list)}
    cols = ["segment_id", "coder", "code", "start", "end", "_span"]
    part = rows.loc[rows["code"].isin(position), cols]
    if part.empty:
        return {}
    merged = part.merge(part, on=["segment_id", "coder"], suffixes=("_a", "_b"))
    pos_a = merged["code_a"].map(position)
    pos_b = merged["code_b"].map(position)
    hit = (pos_a < pos_b) & (merged["start_a"] < merged["end_b"]) & (merged["start_b"] < merged["end_a"])
    pairs = merged.loc[hit, ["code_a", "code_b", "_span_a", "_span_b"]].drop_duplicates()
    return {key: int(n) for key, n in pairs.groupby(["code_a", "code_b"]).size().items()}


def cooccurrence(
    codings: pd.DataFrame,
    corpus: Corpus,
    *,
    coder: str | None = None,
    roles: Sequence[str] | None = ("participant",),
    codebook: Codebook | None = None,
    codes: Sequence[str] | None = None,
    rule: str = "majority",
) -> pd.DataFrame:
    """Co-occurrence of every pair of codes (see the module docstring).

    Parameters
    ----------
    codings : pandas.DataFrame
        A codings table read with the corpus.
    corpus : corpus.Corpus
        The corpus the codings refer to.
    coder : str or None
        ``None`` (the only coder), a coder name, or ``"consensus"``
        (:func:`qualquant.coding.matrices.select_coder`).
    roles : sequence of str or None
        Roles of the segments counted (participant turns by default; None = all).
    codebook : coding.Codebook, optional
        Codes in codebook order, including codes never applied.
    codes : sequence of str, optional
        Exactly these codes.
    rule : str
        Consensus rule for ``coder="consensus"``.

    Returns
    -------
    pandas.DataFrame
        One row per unordered pair (``code_a`` before ``code_b`` in code order);
        columns :data:`COOCCURRENCE_COLUMNS`: ``code_a, code_b``, ``n_segments``
        (segments counted), ``n_both``, ``n_a``, ``n_b`` (segments with both /
        with a / with b), ``jaccard`` (NaN when neither code occurs),
        ``odds_ratio``, ``p_value`` (two-sided Fisher exact test),
        ``p_adjusted`` (Benjamini-Hochberg over all pairs),
        ``n_overlapping_spans``.

    Raises
    ------
    CodingError
        As :func:`qualquant.coding.matrices.segment_code_matrix`.
    """
    check_codings(codings, corpus, what="cooccurrence")
    rows = select_coder(codings, coder, rule=rule)
    matrix = segment_code_matrix(
        rows, corpus, roles=roles, codebook=codebook, codes=code_order(codings, codebook, codes)
    )
    units = unit_segments(corpus, roles)
    rows = rows[rows["segment_id"].isin(set(units["segment_id"]))].copy()
    rows["_span"] = span_keys(rows)
    code_list = list(matrix.columns)
    overlaps = _overlap_counts(rows, code_list)
    values = matrix.to_numpy(dtype=bool)
    n_segments = values.shape[0]
    records = []
    for code_a, code_b in combinations(code_list, 2):
        a = values[:, matrix.columns.get_loc(code_a)]
        b = values[:, matrix.columns.get_loc(code_b)]
        n_both = int((a & b).sum())
        n_a, n_b = int(a.sum()), int(b.sum())
        table = [[n_both, n_a - n_both], [n_b - n_both, n_segments - n_a - n_b + n_both]]
        union = n_a + n_b - n_both
        if n_segments:
            result = fisher_exact(table, alternative="two-sided")
            odds, p = float(result.statistic), float(result.pvalue)
        else:
            odds, p = float("nan"), float("nan")
        records.append(
            {
                "code_a": code_a,
                "code_b": code_b,
                "n_segments": n_segments,
                "n_both": n_both,
                "n_a": n_a,
                "n_b": n_b,
                "jaccard": n_both / union if union else float("nan"),
                "odds_ratio": odds,
                "p_value": p,
                "p_adjusted": float("nan"),
                "n_overlapping_spans": overlaps.get((code_a, code_b), 0),
            }
        )
    out = pd.DataFrame(records, columns=list(COOCCURRENCE_COLUMNS))
    if len(out):
        out["p_adjusted"] = benjamini_hochberg(out["p_value"].to_numpy(dtype=float))
    for column in ("n_segments", "n_both", "n_a", "n_b", "n_overlapping_spans"):
        out[column] = out[column].astype("int64")
    return out
