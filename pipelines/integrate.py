"""Qualitative x quantitative integration: linked cases and representativeness.

Two designs are supported (a study may use both):

*Linked cases* — the interviewees also answered a questionnaire (the demo's
``cases.csv``). :func:`linked_cases` joins the case x code matrix (presence,
count, coverage) with the case attributes and answers, tests every code x
attribute with a test suited to small N (Fisher's exact test / the
Fisher–Freeman–Halton test for categorical attributes, the exact
Mann–Whitney U test for numeric ones) and gives theme prevalence by group;
:func:`write_quantitized` writes the quantitized codes back as survey
variables (``.sav`` with labels and ``.csv``).

*Parallel samples* — interviews and survey come from different people and
are linked through shared constructs: the joint display
(:mod:`pipelines.integrate_joint`, re-exported here).

:func:`representativeness` compares the interviewees with the survey on the
variables they share (chi-square goodness of fit with a seeded Monte Carlo p,
which is valid for the small N of an interview study).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from pipelines.errors import IntegrationError

__all__ = [
    "LINKED_TESTS_COLUMNS",
    "LinkedCases",
    "Representativeness",
    "case_code_table",
    "chi2_gof_monte_carlo",
    "linked_cases",
    "representativeness",
    "survey_labels",
    "write_quantitized",
]

LINKED_TESTS_COLUMNS = (
    "code", "attribute", "test", "statistic", "df", "p_value", "effect_size", "effect_measure",
    "n", "n_with_code", "method", "note",
)
PREVALENCE_COLUMNS = ("code", "attribute", "group", "n_cases", "n_with_code", "pct_cases")
DISTRIBUTION_COLUMNS = ("variable", "survey_variable", "category", "n_interviews", "pct_interviews",
                        "n_survey", "pct_survey", "expected")
GOF_COLUMNS = ("variable", "survey_variable", "test", "statistic", "df", "p_value", "p_value_asymptotic",
               "n_resamples", "n", "n_set_aside", "method")
SET_ASIDE_COLUMNS = ("case_id", "variable", "value", "reason")

#: Numeric attributes with more distinct values than this are tested with Mann-Whitney U, not a crosstab.
MAX_CATEGORIES = 6


# --------------------------------------------------------------------------- case x code


def case_code_table(codings: pd.DataFrame, segments: pd.DataFrame, case_ids: Sequence[str],
                    codes: Sequence[str], *, case_of: Mapping[str, str] | None = None,
                    roles: Sequence[str] = ("participant",)) -> pd.DataFrame:
    """Case x code matrix with presence, count and coverage, one row per case.

    Parameters
    ----------
    codings : pandas.DataFrame
        A codings table (one coder, e.g. the consensus): ``transcript_id,
        segment_id, code, start, end, result_id``.
    segments : pandas.DataFrame
        ``corpus.segments_frame()`` (``transcript_id, segment_id, role, start, end``).
    case_ids : sequence of str
        All cases, in output order (cases without codings get zeros).
    codes : sequence of str
        Codes, in column order (codes nobody applied get zeros).
    case_of : mapping, optional
        transcript_id -> case_id (default: the same id).
    roles : sequence of str
        Roles whose characters are the coverage denominator.

    Returns
    -------
    pandas.DataFrame
        Index ``case_id``; for every code three columns: ``c_<code>``
        (presence, 0/1), ``n_<code>`` (number of coded spans: distinct
        ``result_id``) and ``cov_<code>`` (share of the case's characters in
        turns of ``roles`` covered by the code, 0-1; overlapping spans counted
        once). The prefixes keep code columns apart from case attributes of
        the same name (a code ``legal_status`` and the attribute
        ``legal_status``).

    Notes
    -----
    This is the same quantity as :func:`coding.matrices.case_code_matrix`,
    computed directly so that the join does not depend on the shape of
    that table; coverage here is by characters.
    """
    case_of = dict(case_of or {})
    seg = segments[segments["role"].isin(list(roles))]
    denom = (seg["end"] - seg["start"]).groupby(seg["transcript_id"].map(lambda t: case_of.get(t, t))).sum()
    out = pd.DataFrame(index=pd.Index(list(case_ids), name="case_id"))
    cod = codings.copy()
    cod["case_id"] = cod["transcript_id"].map(lambda t: case_of.get(t, t))
    for code in codes:
        rows = cod[cod["code"] == code]
        present = rows.groupby("case_id").size()
        count = rows.groupby("case_id")["result_id"].nunique()
        covered: dict[str, int] = {}
        for case, grp in rows.groupby("case_id"):
            covered[case] = _union_length(zip(grp["start"].astype(int), grp["end"].astype(int)))
        out[f"c_{code}"] = [int(present.get(c, 0) > 0) for c in out.index]
        out[f"n_{code}"] = [int(count.get(c, 0)) for c in out.index]
        out[f"cov_{code}"] = [
            (covered.get(c, 0) / denom[c]) if c in denom.index and denom[c] > 0 else 0.0 for c in out.index
        ]
    return out


def _union_length(spans: Iterable[tuple[int, int]]) -> int:
    total, cur_s, cur_e = 0, None, None
    for s, e in sorted(spans):
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        total += cur_e - cur_s
    return total


@dataclass(frozen=True, slots=True)
class LinkedCases:
    """Result of :func:`linked_cases`.

    Attributes
    ----------
    matrix : pandas.DataFrame
        One row per case: ``case_id``, the attributes, then per code
        ``c_<code>``, ``n_<code>``, ``cov_<code>`` (see :func:`case_code_table`).
    tests : pandas.DataFrame
        One row per code x attribute, columns :data:`LINKED_TESTS_COLUMNS`.
    prevalence : pandas.DataFrame
        Theme prevalence by group: ``code, attribute, group, n_cases,
        n_with_code, pct_cases``.
    codes : tuple of str
    attributes : tuple of str
    """

    matrix: pd.DataFrame
    tests: pd.DataFrame
    prevalence: pd.DataFrame
    codes: tuple[str, ...]
    attributes: tuple[str, ...]


def linked_cases(case_codes: pd.DataFrame, questionnaire: pd.DataFrame, *, attributes: Sequence[str],
                 codes: Sequence[str], case_column: str = "case_id", exact: bool = True,
                 seed: int = 0, n_resamples: int = 10_000) -> LinkedCases:
    """Join the case x code matrix with the questionnaire and test every code x attribute.

    Parameters
    ----------
    case_codes : pandas.DataFrame
        From :func:`case_code_table` (index ``case_id``).
    questionnaire : pandas.DataFrame
        The interviewees' attributes and answers; ``case_column`` holds the
        case id (a column or the index).
    attributes : sequence of str
        Columns to cross with every code.
    codes : sequence of str
    case_column : str
    exact : bool
        Exact tests (Fisher / Fisher–Freeman–Halton by enumeration or seeded
        Monte Carlo when the table is too large). False: Pearson chi-square.
    seed, n_resamples : int
        Monte Carlo settings for the Fisher–Freeman–Halton test.

    Returns
    -------
    LinkedCases

    Raises
    ------
    IntegrationError
        The case column or an attribute is not in the questionnaire, or no
        case of the matrix is found in it.

    Notes
    -----
    Test per code x attribute: a categorical attribute (text, or numeric with
    at most :data:`MAX_CATEGORIES` values) gives the crosstab code presence x
    attribute; its test is Fisher's exact test for 2 x 2 tables and the
    Fisher–Freeman–Halton test otherwise (:func:`quant.crosstab` with
    ``exact=True``), effect size phi (2 x 2) or Cramér's V. A numeric
    attribute with more values is compared between cases with and without
    the code by the Mann–Whitney U test (exact p for small samples without
    ties, scipy), effect size the rank-biserial correlation
    ``r = 2 U / (n1 n2) - 1`` (positive: higher values with the code).
    A code present in all or no cases cannot be tested: the row says so.
    """
    q = questionnaire.copy()
    if case_column in q.columns:
        q = q.set_index(case_column)
    elif q.index.name != case_column:
        raise IntegrationError(
            f"The linked questionnaire has no column {case_column!r} (columns: {', '.join(map(str, q.columns))}). "
            "Set [linkage] case_column to the column holding the case id."
        )
    q.index = q.index.astype(str)
    missing = [a for a in attributes if a not in q.columns]
    if missing:
        raise IntegrationError(
            f"[linkage] attributes not in the linked questionnaire: {', '.join(missing)} "
            f"(it has: {', '.join(map(str, q.columns))})."
        )
    common = [c for c in case_codes.index if c in q.index]
    if not common:
        raise IntegrationError(
            "No interview case is found in the linked questionnaire: check [linkage] case_column "
            f"(first cases: {', '.join(list(case_codes.index[:3]))}; first questionnaire ids: "
            f"{', '.join(list(q.index[:3]))})."
        )
    matrix = q.loc[common, list(attributes)].join(case_codes.loc[common])
    matrix.index.name = "case_id"

    from quant import crosstab

    rows: list[dict[str, Any]] = []
    prevalence: list[dict[str, Any]] = []
    for code in codes:
        presence = matrix[f"c_{code}"].astype(int)
        for attr in attributes:
            values = matrix[attr]
            valid = values.notna()
            rows.append(_test_code_attribute(code, attr, presence[valid], values[valid], exact=exact,
                                             seed=seed, n_resamples=n_resamples, crosstab=crosstab))
            if not _is_numeric_many(values[valid]):
                for group, sub in presence[valid].groupby(values[valid].astype(str), sort=True):
                    prevalence.append(dict(code=code, attribute=attr, group=group, n_cases=int(len(sub)),
                                           n_with_code=int(sub.sum()),
                                           pct_cases=100.0 * sub.sum() / len(sub) if len(sub) else math.nan))
    return LinkedCases(
        matrix=matrix.reset_index(),
        tests=pd.DataFrame(rows, columns=list(LINKED_TESTS_COLUMNS)),
        prevalence=pd.DataFrame(prevalence, columns=list(PREVALENCE_COLUMNS)),
        codes=tuple(codes),
        attributes=tuple(attributes),
    )


def _is_numeric_many(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and values.nunique() > MAX_CATEGORIES


def _test_code_attribute(code, attr, presence, values, *, exact, seed, n_resamples, crosstab) -> dict:
    n = int(len(presence))
    n_with = int(presence.sum())
    base = dict(code=code, attribute=attr, n=n, n_with_code=n_with, df=math.nan, statistic=math.nan,
                p_value=math.nan, effect_size=math.nan, effect_measure="", method="", note="")
    if n_with == 0 or n_with == n:
        return {**base, "test": "none", "note": "code present in " + ("no" if n_with == 0 else "every") +
                " case: nothing to compare"}
    if _is_numeric_many(values):
        x = values[presence == 1].astype(float)
        y = values[presence == 0].astype(float)
        res = stats.mannwhitneyu(x, y, alternative="two-sided", method="auto")
        r = 2.0 * res.statistic / (len(x) * len(y)) - 1.0
        has_ties = values.duplicated().any()
        return {**base, "test": "mann_whitney_u", "statistic": float(res.statistic), "p_value": float(res.pvalue),
                "effect_size": float(r), "effect_measure": "rank_biserial",
                "method": "asymptotic (ties)" if has_ties or n > 16 else "exact"}
    frame = pd.DataFrame({"code": presence.map({0: "absent", 1: "present"}), attr: values.astype(str)})
    if frame[attr].nunique() < 2:
        return {**base, "test": "none", "note": f"{attr} has a single value among these cases"}
    result = crosstab(frame, "code", attr, exact=exact, n_resamples=n_resamples, random_state=seed)
    tests = result.tests
    two_by_two = result.counts.shape == (2, 2)
    effect_name = "phi" if two_by_two else "cramers_v"
    effect = float(result.measures.loc[effect_name, "value"])
    if exact and "fisher_exact" in tests.index:
        row = tests.loc["fisher_exact"]
        test = "fisher_exact" if two_by_two else "fisher_freeman_halton"
        method = str(row.get("method", "exact"))
        statistic = float(row["statistic"]) if pd.notna(row["statistic"]) else math.nan
        df = math.nan
    else:
        row = tests.loc["pearson_chi2"]
        test, method = "pearson_chi2", "asymptotic"
        statistic, df = float(row["statistic"]), float(row["df"])
    if two_by_two and effect_name == "phi":
        # sign of phi: positive when the code goes with the second category (sorted) of the attribute
        effect = float(result.measures.loc["phi", "value"])
    return {**base, "test": test, "statistic": statistic, "df": df, "p_value": float(row["p_value"]),
            "effect_size": effect, "effect_measure": effect_name, "method": method,
            "note": " ".join(result.footnotes)}


def write_quantitized(matrix: pd.DataFrame, codes: Sequence[str], directory: str | os.PathLike[str], *,
                      stem: str = "quantitized_codes", code_labels: Mapping[str, str] | None = None,
                      keep: Sequence[str] = ()) -> tuple[Path, Path]:
    """Write the quantitized codes as survey variables: ``<stem>.sav`` (labelled) and ``<stem>.csv``.

    Parameters
    ----------
    matrix : pandas.DataFrame
        :attr:`LinkedCases.matrix` or a case x code table with ``case_id``.
    codes : sequence of str
    directory : path-like
    stem : str
    code_labels : mapping, optional
        code -> display name for the variable labels.
    keep : sequence of str
        Other columns to carry over (e.g. attributes).

    Returns
    -------
    (pathlib.Path, pathlib.Path)
        The ``.sav`` and ``.csv`` paths.

    Notes
    -----
    Variables per code: ``c_<code>`` (0 "not coded" / 1 "coded", nominal),
    ``n_<code>`` (number of coded passages, scale) and ``cov_<code>``
    (percent of the participant's text covered, scale). Written atomically
    (:func:`quant.write_survey`; the CSV via :func:`pipelines.exports.write_table`).
    """
    from pipelines.exports import write_table
    from quant.survey import Survey, SurveyMeta, write_survey

    code_labels = dict(code_labels or {})
    frame = matrix.reset_index() if "case_id" not in matrix.columns else matrix.copy()
    out = pd.DataFrame({"case_id": frame["case_id"].astype(str)})
    meta = SurveyMeta(variable_labels={"case_id": "Case id (interview)"}, measure_levels={"case_id": "nominal"})
    for col in keep:
        out[col] = frame[col]
        meta.measure_levels[col] = "scale" if pd.api.types.is_numeric_dtype(frame[col]) else "nominal"
    for code in codes:
        name = code_labels.get(code, code)
        c, n, cov = f"c_{code}", f"n_{code}", f"cov_{code}"
        out[c] = frame[c].astype(int)
        out[n] = frame[n].astype(int)
        out[cov] = (100.0 * frame[cov].astype(float)).round(4)
        meta.variable_labels[c] = f"Interview code: {name} (coded in the interview)"
        meta.variable_labels[n] = f"Interview code: {name} (number of coded passages)"
        meta.variable_labels[cov] = f"Interview code: {name} (% of participant text covered)"
        meta.value_labels[c] = {0: "not coded", 1: "coded"}
        meta.measure_levels[c] = "nominal"
        meta.measure_levels[n] = "scale"
        meta.measure_levels[cov] = "scale"
    directory = Path(directory)
    sav = write_survey(Survey(out, meta), directory / f"{stem}.sav")
    csv = write_table(out, directory / f"{stem}.csv")
    return Path(sav), Path(csv)


# --------------------------------------------------------------------------- representativeness


def survey_labels(survey: Any, variable: str) -> pd.Series:
    """The survey variable as text labels (value labels where defined), missing values as NA."""
    data = survey.data if hasattr(survey, "data") else survey
    if variable not in data.columns:
        import difflib

        close = difflib.get_close_matches(variable, list(map(str, data.columns)), n=3)
        raise IntegrationError(
            f"Survey variable {variable!r} not found" + (f"; did you mean {', '.join(close)}?" if close else ".")
        )
    col = data[variable]
    if hasattr(survey, "is_missing"):
        col = col.where(~survey.is_missing(variable))
    labels = survey.meta.value_labels.get(variable, {}) if hasattr(survey, "meta") else {}

    def lab(v):
        if pd.isna(v):
            return pd.NA
        if v in labels:
            return str(labels[v])
        if isinstance(v, float) and v.is_integer() and int(v) in labels:
            return str(labels[int(v)])
        return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)

    return col.map(lab)


def chi2_gof_monte_carlo(observed: Sequence[float], probabilities: Sequence[float], *,
                         n_resamples: int = 10_000, seed: int = 0) -> tuple[float, float, float]:
    """Pearson chi-square goodness of fit with a Monte Carlo p.

    Parameters
    ----------
    observed : sequence of int
        Observed counts per category.
    probabilities : sequence of float
        Hypothesised category probabilities (all > 0; normalised to sum 1).
    n_resamples : int
    seed : int

    Returns
    -------
    (statistic, p_value, p_value_asymptotic)

    Notes
    -----
    ``X2 = sum (O - E)^2 / E`` with ``E = n p``. The Monte Carlo p draws
    ``n_resamples`` samples of size n from the multinomial(n, p) null and is
    ``(1 + #{X2* >= X2}) / (n_resamples + 1)`` (Davison & Hinkley, 1997,
    eq. 4.11; the same estimate as R's ``chisq.test(simulate.p.value=TRUE)``).
    Written here because :func:`scipy.stats.chisquare` has only the
    asymptotic p, which is unreliable for the expected counts of an
    interview sample.
    """
    obs = np.asarray(observed, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    if obs.shape != p.shape or obs.size < 2:
        raise IntegrationError("Goodness of fit needs at least two categories with a probability each.")
    if (p <= 0).any():
        raise IntegrationError("Goodness of fit: every category needs a probability above 0.")
    p = p / p.sum()
    n = int(round(obs.sum()))
    expected = n * p
    stat = float(((obs - expected) ** 2 / expected).sum())
    rng = np.random.default_rng(seed)
    sims = rng.multinomial(n, p, size=n_resamples)
    sim_stats = ((sims - expected) ** 2 / expected).sum(axis=1)
    p_mc = (1.0 + float((sim_stats >= stat - 1e-9 * max(1.0, stat)).sum())) / (n_resamples + 1.0)
    p_asym = float(stats.chi2.sf(stat, obs.size - 1))
    return stat, p_mc, p_asym


@dataclass(frozen=True, slots=True)
class Representativeness:
    """Result of :func:`representativeness`.

    Attributes
    ----------
    distribution : pandas.DataFrame
        Columns ``variable, survey_variable, category, n_interviews,
        pct_interviews, n_survey, pct_survey, expected`` (expected count of
        interviewees under the survey's distribution).
    tests : pandas.DataFrame
        Columns ``variable, survey_variable, test, statistic, df, p_value``
        (Monte Carlo), ``p_value_asymptotic, n_resamples, n`` (interviewees
        compared), ``n_set_aside, method``.
    set_aside : pandas.DataFrame
        Columns ``case_id, variable, value, reason``: every interviewee left
        out of a comparison (missing value, value with no survey category).
    """

    distribution: pd.DataFrame
    tests: pd.DataFrame
    set_aside: pd.DataFrame


def representativeness(cases: pd.DataFrame, survey: Any, mappings: Sequence[Any], *,
                       n_resamples: int = 10_000, seed: int = 0, weights: str | None = None) -> Representativeness:
    """Compare the interviewees with the survey on the variables they share.

    Parameters
    ----------
    cases : pandas.DataFrame
        The interviewees' attributes (index or column ``case_id``).
    survey : quant.Survey or pandas.DataFrame
    mappings : sequence
        Objects with ``case_column``, ``survey_variable``, ``bins``,
        ``labels`` and ``map`` (:class:`pipelines.study.RepresentativenessRow`):
        how a case value becomes a survey category (survey value label).
    n_resamples, seed : int
        Monte Carlo settings.
    weights : str, optional
        Survey weight variable for the survey's distribution.

    Returns
    -------
    Representativeness

    Raises
    ------
    IntegrationError
        A case column or survey variable is missing.

    Notes
    -----
    For each shared variable: the survey's category shares (weighted when
    ``weights`` is given) are the null distribution; the interviewees'
    counts are tested with :func:`chi2_gof_monte_carlo`. Survey categories
    are kept even when no interviewee falls in them (they count towards the
    statistic). Interviewees whose value has no survey category are set
    aside and listed, never silently dropped.
    """
    c = cases.reset_index() if "case_id" not in cases.columns else cases.copy()
    data = survey.data if hasattr(survey, "data") else survey
    dist_rows: list[dict] = []
    test_rows: list[dict] = []
    aside: list[dict] = []
    for k, m in enumerate(mappings):
        if m.case_column not in c.columns:
            raise IntegrationError(
                f"[[representativeness]] #{k + 1}: the cases table has no column {m.case_column!r}."
            )
        s = survey_labels(survey, m.survey_variable)
        w = data[weights].astype(float) if weights else pd.Series(1.0, index=s.index)
        valid = s.notna() & w.notna()
        survey_counts = w[valid].groupby(s[valid]).sum()
        order = _category_order(survey, m.survey_variable, survey_counts.index)
        survey_counts = survey_counts.reindex(order, fill_value=0.0)
        survey_counts = survey_counts[survey_counts > 0]
        mapped: list[str] = []
        for case_id, value in zip(c["case_id"].astype(str), c[m.case_column]):
            cat, reason = _map_value(value, m)
            if cat is not None and cat not in survey_counts.index:
                cat, reason = None, f"category {cat!r} does not occur in the survey variable {m.survey_variable!r}"
            if cat is None:
                aside.append(dict(case_id=case_id, variable=m.case_column, value=value, reason=reason))
            else:
                mapped.append(cat)
        obs = pd.Series(mapped, dtype=object).value_counts().reindex(survey_counts.index, fill_value=0)
        n = int(obs.sum())
        shares = survey_counts / survey_counts.sum()
        for cat in survey_counts.index:
            dist_rows.append(dict(variable=m.case_column, survey_variable=m.survey_variable, category=cat,
                                  n_interviews=int(obs[cat]), pct_interviews=100.0 * obs[cat] / n if n else math.nan,
                                  n_survey=float(survey_counts[cat]), pct_survey=100.0 * float(shares[cat]),
                                  expected=n * float(shares[cat])))
        n_aside = sum(1 for a in aside if a["variable"] == m.case_column)
        if n >= 1 and len(shares) >= 2:
            stat, p_mc, p_asym = chi2_gof_monte_carlo(obs.to_numpy(), shares.to_numpy(),
                                                      n_resamples=n_resamples, seed=seed + k)
            test_rows.append(dict(variable=m.case_column, survey_variable=m.survey_variable,
                                  test="chi2_goodness_of_fit", statistic=stat, df=len(shares) - 1, p_value=p_mc,
                                  p_value_asymptotic=p_asym, n_resamples=n_resamples, n=n, n_set_aside=n_aside,
                                  method="monte_carlo"))
        else:
            test_rows.append(dict(variable=m.case_column, survey_variable=m.survey_variable,
                                  test="chi2_goodness_of_fit", statistic=math.nan, df=math.nan, p_value=math.nan,
                                  p_value_asymptotic=math.nan, n_resamples=0, n=n, n_set_aside=n_aside,
                                  method="not tested: fewer than two survey categories or no interviewee"))
    return Representativeness(
        distribution=pd.DataFrame(dist_rows, columns=list(DISTRIBUTION_COLUMNS)),
        tests=pd.DataFrame(test_rows, columns=list(GOF_COLUMNS)),
        set_aside=pd.DataFrame(aside, columns=list(SET_ASIDE_COLUMNS)),
    )


def _category_order(survey: Any, variable: str, present: Iterable[str]) -> list[str]:
    labels = survey.meta.value_labels.get(variable, {}) if hasattr(survey, "meta") else {}
    ordered = [str(v) for _, v in sorted(labels.items(), key=lambda kv: _sort_key(kv[0]))]
    rest = sorted(str(p) for p in present if str(p) not in ordered)
    return [o for o in ordered if o in set(map(str, present))] + rest


def _sort_key(value: Any):
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(value))


def _map_value(value: Any, m: Any) -> tuple[str | None, str]:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None, "missing value"
    if m.bins:
        try:
            x = float(value)
        except (TypeError, ValueError):
            return None, f"not a number (bins are numeric)"
        for lo, hi, label in zip(m.bins[:-1], m.bins[1:], m.labels):
            if lo <= x < hi:
                return label, ""
        return None, f"outside the bins {m.bins[0]}..{m.bins[-1]}"
    key = str(value)
    if key in m.map:
        return (m.map[key] or None), ("" if m.map[key] else "mapped to no survey category")
    return None, f"no survey category given for {key!r} in map"


# The joint display lives in its own module (size); its public names are re-exported here.
from pipelines.integrate_joint import (  # noqa: E402
    JOINT_DISPLAY_COLUMNS,
    QUANT_EVIDENCE_COLUMNS,
    choose_quotes,
    joint_display,
    propose_convergence,
    read_overrides,
    survey_evidence,
    update_overrides,
    variable_verdict,
)

__all__ += [
    "JOINT_DISPLAY_COLUMNS", "QUANT_EVIDENCE_COLUMNS", "choose_quotes", "joint_display", "propose_convergence",
    "read_overrides", "survey_evidence", "update_overrides", "variable_verdict",
]
