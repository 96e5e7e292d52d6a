"""Topic prevalence by covariates, with confidence intervals that carry topic-model uncertainty.

:func:`estimate_effects` is the analogue of ``estimateEffect`` in R's ``stm``: it
regresses each topic's proportion (per case or per document) on covariates by OLS
and pools estimates by the *method of composition* (Tanner, 1996; Roberts,
Stewart & Tingley, 2019):

1. draw topic proportions for every document from the model's approximate
   posterior — for LDA the variational Dirichlet ``theta_d ~ Dirichlet(gamma_d)``
   (``TopicModel.gamma_``) — optionally from one of several refits with other
   seeds (topics matched to the main model by the Hungarian algorithm on the
   cosine similarity of their word distributions), aggregate to cases
   (token-weighted mean) when ``level="case"``;
2. fit OLS of each topic's proportions on the design matrix;
3. draw one coefficient vector from the OLS sampling distribution
   ``N(beta_hat, V_hat)``;

and repeat ``n_sims`` times. The estimate is the mean of the pooled draws, the
standard error their standard deviation, the interval their percentiles, and the
p-value two-sided from the normal approximation ``estimate / std_error`` (as
``summary.estimateEffect`` does with its t statistic). So an interval is wider than
the plain OLS interval on mean proportions by the uncertainty of the topic model.
:func:`effects_to_svg` draws the table as a self-contained SVG point-range plot.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from qualquant.coding.errors import TopicModelError

if TYPE_CHECKING:
    from qualquant.coding.topics._model import TopicModel

__all__ = [
    "EFFECTS_COLUMNS",
    "SET_ASIDE_COLUMNS",
    "align_topics",
    "effects_set_aside",
    "effects_to_svg",
    "estimate_effects",
]

EFFECTS_COLUMNS = (
    "topic",
    "label",
    "term",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "n",
    "n_sims",
    "method",
)
#: Columns of :func:`effects_set_aside`.
SET_ASIDE_COLUMNS = ("unit", "reason", "n_documents")
#: Reason of a unit without a row in the covariates table.
NO_COVARIATE_ROW = "no row in the covariates table"


def align_topics(reference: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Permutation matching ``other``'s topics to ``reference``'s (Hungarian, cosine similarity).

    Returns
    -------
    numpy.ndarray
        ``perm`` such that ``other[perm[k]]`` is the topic matched to reference topic ``k``.
    """
    from scipy.optimize import linear_sum_assignment

    a = reference / np.linalg.norm(reference, axis=1, keepdims=True)
    b = other / np.linalg.norm(other, axis=1, keepdims=True)
    rows, cols = linear_sum_assignment(-(a @ b.T))
    perm = np.empty(len(rows), dtype=np.int64)
    perm[rows] = cols
    return perm


def _clean_term(name: str) -> str:
    name = re.sub(r"Q\('([^']*)'\)", r"\1", name)
    return re.sub(r"C\(([^)]*)\)", r"\1", name)


def _design(frame: pd.DataFrame, rhs: str) -> tuple[np.ndarray, list[str]]:
    from patsy import PatsyError, dmatrix

    try:
        design = dmatrix(rhs, frame, return_type="dataframe", NA_action="raise")
    except PatsyError as exc:
        raise TopicModelError(f"Cannot build the design matrix for '~ {rhs}': {str(exc).splitlines()[0]}") from None
    return design.to_numpy(dtype=float), [_clean_term(c) for c in design.columns]


def estimate_effects(
    model: TopicModel,
    covariates: pd.DataFrame,
    *,
    by: str | None = None,
    formula: str | None = None,
    level: str = "case",
    n_sims: int = 200,
    refit_seeds: Sequence[int] = (),
    random_state: int = 0,
    ci: float = 0.95,
    topics: Sequence[int] | None = None,
    missing: str = "raise",
) -> pd.DataFrame:
    """Regress topic proportions on covariates, pooling over posterior draws and refits.

    Parameters
    ----------
    model : TopicModel
        A fitted model.
    covariates : pandas.DataFrame
        Case attributes, indexed by ``case_id`` or with a ``case_id`` column.
    by : str, optional
        One covariate (categorical when it holds text: treatment coding against its
        first level in sorted order).
    formula : str, optional
        Right-hand side in patsy syntax (``"treatment + pid_rep"``, leading ``~``
        optional); use instead of ``by``.
    level : {"case", "document"}
        Regress case proportions (token-weighted means over a case's documents) or
        document proportions (covariates copied from the document's case).
    n_sims : int
        Draws for the method of composition.
    refit_seeds : sequence of int
        Extra seeds to refit the model with; draws cycle over the main model and
        the refits (topics aligned to the main model).
    random_state : int
        Seed of the draws.
    ci : float
        Interval coverage.
    topics : sequence of int, optional
        Topics to estimate (default all).
    missing : {"raise", "drop"}
        What to do with a unit (case or document) of the model that has no row in
        ``covariates`` or a missing covariate value: raise an error, or leave it
        out of the regression (:func:`effects_set_aside` lists those units and
        why; ``n`` counts the rows used).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`EFFECTS_COLUMNS`: ``topic``, ``label``, ``term`` (design
        column, e.g. ``Intercept``, ``treatment``, ``legal_status[T.temporary stay]``),
        ``estimate``, ``std_error``, ``ci_low``, ``ci_high``, ``p_value``, ``n`` (rows
        in the regression), ``n_sims``, ``method`` (how uncertainty was carried).

    Raises
    ------
    TopicModelError
        A covariate not in the table, cases without a row or with missing values
        (with ``missing="raise"``), a bad formula, or too few rows.

    References
    ----------
    Roberts, M. E., Stewart, B. M., & Tingley, D. (2019). stm: An R package for
    structural topic models. *Journal of Statistical Software, 91*(2), 1-40.
    Tanner, M. A. (1996). *Tools for statistical inference* (3rd ed.). Springer.
    """
    from scipy.stats import norm

    if missing not in ("raise", "drop"):
        raise TopicModelError(f"Unknown missing={missing!r}; use 'raise' or 'drop'.")
    if n_sims < 2:
        raise TopicModelError(f"n_sims must be at least 2, got {n_sims}.")
    table, rhs, columns, keys = _effects_inputs(model, covariates, by=by, formula=formula, level=level)
    aside = _set_aside(table, columns, keys)
    if missing == "raise":
        no_row = [k for k, r in aside if r == NO_COVARIATE_ROW]
        if no_row:
            raise TopicModelError(
                f"{len(no_row)} case(s) of the model have no row in the covariates table "
                f"(first: {', '.join(no_row[:5])}). Add them, fit on matching cases or pass missing='drop'."
            )
        if aside:
            bad = [k for k, _ in aside[:5]]
            raise TopicModelError(
                f"{len(aside)} case(s) have missing covariate values (first: "
                f"{', '.join(map(str, bad))}); drop or impute them before estimating effects "
                "(or pass missing='drop')."
            )
    k_all = int(model.n_topics)
    topic_list = list(range(k_all)) if topics is None else [int(t) for t in topics]
    left_out = {k for k, _ in aside}
    used = np.array([k not in left_out for k in keys], dtype=bool)
    frame = table.loc[[k for k, u in zip(keys, used) if u], columns].reset_index(drop=True)
    X, terms = _design(frame, rhs)
    n, p = X.shape
    if n <= p:
        raise TopicModelError(f"{n} rows for {p} coefficients; need more cases than coefficients.")
    xtx_inv = np.linalg.pinv(X.T @ X)

    models = [(model, np.arange(k_all))]
    if refit_seeds:
        reference = model.topic_word_matrix()
        for seed in refit_seeds:
            other = model.refit(int(seed))
            models.append((other, align_topics(reference, other.topic_word_matrix())))
    rng = np.random.default_rng(random_state)
    draws = np.empty((n_sims, len(topic_list), p))
    for s in range(n_sims):
        m, perm = models[s % len(models)]
        gamma = m.gamma_[:, perm]
        theta = rng.gamma(gamma)
        theta /= theta.sum(axis=1, keepdims=True)
        if level == "case":
            _, theta, _ = model.case_matrix(theta)
        theta = theta[used]
        for j, k in enumerate(topic_list):
            y = theta[:, k]
            beta = xtx_inv @ (X.T @ y)
            resid = y - X @ beta
            sigma2 = float(resid @ resid) / (n - p)
            cov = sigma2 * xtx_inv
            draws[s, j] = rng.multivariate_normal(beta, cov, method="eigh")
    lo, hi = (1 - ci) / 2, 1 - (1 - ci) / 2
    method = (
        f"method of composition: {n_sims} draws of theta ~ Dirichlet(variational gamma) "
        + (
            f"over {len(models)} fits (seeds {model.random_state}, {', '.join(map(str, refit_seeds))}), "
            if refit_seeds
            else "from one fit, "
        )
        + "each with an OLS coefficient draw"
    )
    rows = []
    for j, k in enumerate(topic_list):
        for t, term in enumerate(terms):
            d = draws[:, j, t]
            est, se = float(d.mean()), float(d.std(ddof=1))
            pval = float(2 * norm.sf(abs(est) / se)) if se > 0 else float("nan")
            rows.append(
                (
                    k,
                    model.labels_[k],
                    term,
                    est,
                    se,
                    float(np.quantile(d, lo)),
                    float(np.quantile(d, hi)),
                    pval,
                    n,
                    n_sims,
                    method,
                )
            )
    out = pd.DataFrame(rows, columns=list(EFFECTS_COLUMNS))
    return out.astype({"topic": "int64", "n": "int64", "n_sims": "int64"})


def _effects_inputs(
    model: TopicModel, covariates: pd.DataFrame, *, by: str | None, formula: str | None, level: str
) -> tuple[pd.DataFrame, str, list[Any], list[str]]:
    """(covariates indexed by case id as text, patsy right-hand side, covariate columns, unit keys of the model)."""
    model._check_fitted()
    if (by is None) == (formula is None):
        raise TopicModelError("Give exactly one of by= (a covariate name) or formula= (e.g. 'treatment + age').")
    if level not in ("case", "document"):
        raise TopicModelError(f"Unknown level {level!r}; use 'case' or 'document'.")
    table = covariates
    if "case_id" in table.columns:
        table = table.set_index("case_id")
    table = table.copy()
    table.index = table.index.astype(str)
    if by is not None:
        if by not in table.columns:
            raise TopicModelError(
                f"Covariate {by!r} is not a column of the cases table (columns: {', '.join(map(str, table.columns))})."
            )
        numeric = pd.api.types.is_numeric_dtype(table[by]) and table[by].dtype != bool
        rhs = f"Q('{by}')" if numeric else f"C(Q('{by}'))"
        columns = [by]
    elif formula is not None:  # always, after the check above
        rhs = formula.strip().lstrip("~").strip()
        columns = [c for c in table.columns if re.search(rf"\b{re.escape(str(c))}\b", rhs)]
    docs = model.documents_
    if level == "case":
        keys, _, _ = model.case_matrix()
    else:
        keys = [c if c is not None else d for c, d in zip(docs["case_id"], docs["doc_id"])]
    return table, rhs, columns, [str(k) for k in keys]


def _set_aside(table: pd.DataFrame, columns: list, keys: list[str]) -> list[tuple[str, str]]:
    """(unit, reason) for every unit of the model that cannot enter the regression, in model order."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for k in keys:
        if k in seen:
            continue
        seen.add(k)
        if k not in table.index:
            out.append((k, NO_COVARIATE_ROW))
            continue
        row = table.loc[k, columns]
        na = [str(c) for c, v in zip(columns, np.atleast_1d(row.isna().to_numpy())) if v]
        if na:
            out.append((k, f"missing value of {', '.join(na)}"))
    return out


def effects_set_aside(
    model: TopicModel,
    covariates: pd.DataFrame,
    *,
    by: str | None = None,
    formula: str | None = None,
    level: str = "case",
) -> pd.DataFrame:
    """The units of ``model`` that :func:`estimate_effects` with ``missing="drop"`` leaves out, and why.

    Parameters
    ----------
    model, covariates, by, formula, level
        As for :func:`estimate_effects`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SET_ASIDE_COLUMNS`: ``unit`` (case id, or the transcript
        or document id of a document without a case), ``reason`` (``no row in
        the covariates table`` or ``missing value of <covariate>``) and
        ``n_documents`` (the unit's documents in the model). Empty when every
        unit is used.
    """
    table, _, columns, keys = _effects_inputs(model, covariates, by=by, formula=formula, level=level)
    aside = _set_aside(table, columns, keys)
    docs = model.documents_
    if level == "case":
        unit_of = [
            c if c is not None else (t if t is not None else d)
            for c, t, d in zip(docs["case_id"], docs["transcript_id"], docs["doc_id"])
        ]
    else:
        unit_of = keys
    counts = pd.Series([str(u) for u in unit_of]).value_counts()
    return pd.DataFrame(
        {
            "unit": [k for k, _ in aside],
            "reason": [r for _, r in aside],
            "n_documents": [int(counts.get(k, 0)) for k, _ in aside],
        },
        columns=list(SET_ASIDE_COLUMNS),
    ).astype({"n_documents": "int64"})


def effects_to_svg(
    table: pd.DataFrame, *, title: str | None = None, include_intercept: bool = False, width: int = 640
) -> str:
    """A self-contained SVG point-range plot of an effects table.

    One row per topic x term: a dot at ``estimate`` and a line from ``ci_low`` to
    ``ci_high``, with a dashed line at zero. No scripts, fonts or external links.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`estimate_effects` (needs ``topic, label, term, estimate,
        ci_low, ci_high``).
    title : str, optional
    include_intercept : bool
        Also draw the intercept rows.
    width : int
        Width in pixels.

    Returns
    -------
    str
        ``<svg ...>...</svg>``.
    """
    needed = {"topic", "term", "estimate", "ci_low", "ci_high"}
    if not needed <= set(table.columns):
        raise TopicModelError(f"The effects table lacks column(s) {', '.join(sorted(needed - set(table.columns)))}.")
    rows = table if include_intercept else table[table["term"] != "Intercept"]
    row_h, top, left, right = 22, 40 if title else 16, 260, 24
    height = top + row_h * max(len(rows), 1) + 40
    lo = float(min(rows["ci_low"].min(), 0.0)) if len(rows) else -1.0
    hi = float(max(rows["ci_high"].max(), 0.0)) if len(rows) else 1.0
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.05
    lo, hi = lo - pad, hi + pad
    plot_w = width - left - right

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * plot_w

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12" role="img">'
    ]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
        parts.append(f'<text x="{width / 2:.1f}" y="22" text-anchor="middle" font-size="14">{escape(title)}</text>')
    bottom = top + row_h * max(len(rows), 1)
    parts.append(
        f'<line x1="{x(0):.1f}" y1="{top - 4}" x2="{x(0):.1f}" y2="{bottom}" stroke="#888" stroke-dasharray="4 3"/>'
    )
    for i, r in enumerate(rows.itertuples(index=False)):
        y = top + row_h * i + row_h / 2
        label = getattr(r, "label", "") or f"Topic {r.topic}"
        text = f"{label}: {r.term}" if str(label).startswith("Topic") else f"Topic {r.topic} ({label}): {r.term}"
        parts.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{escape(text[:42])}</text>')
        parts.append(
            f'<line x1="{x(r.ci_low):.1f}" y1="{y:.1f}" x2="{x(r.ci_high):.1f}" y2="{y:.1f}" '
            'stroke="#1f4e79" stroke-width="2"/>'
        )
        parts.append(
            f'<circle cx="{x(r.estimate):.1f}" cy="{y:.1f}" r="4" fill="#1f4e79">'
            f"<title>{escape(f'{r.estimate:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]')}</title></circle>"
        )
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{left + plot_w}" y2="{bottom}" stroke="#333"/>')
    for v in np.linspace(lo + pad, hi - pad, 5):
        parts.append(f'<line x1="{x(v):.1f}" y1="{bottom}" x2="{x(v):.1f}" y2="{bottom + 5}" stroke="#333"/>')
        parts.append(f'<text x="{x(v):.1f}" y="{bottom + 18}" text-anchor="middle">{v:.2f}</text>')
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{bottom + 34}" text-anchor="middle">'
        "Difference in topic proportion (point estimate and interval)</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)
