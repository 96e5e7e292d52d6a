"""Qualitative x quantitative integration: linked cases, joint display, representativeness.

Two designs are supported (a study may use both):

*Linked cases* — the interviewees also answered a questionnaire (the demo's
``cases.csv``). :func:`linked_cases` joins the case x code matrix (presence,
count, coverage) with the case attributes and answers, tests every code x
attribute with a test suited to small N (Fisher's exact test / the
Fisher–Freeman–Halton test for categorical attributes, the Mann–Whitney U
test, exact for small groups without ties, for numeric ones), adjusts the p
values for multiple testing (Benjamini–Hochberg), lists every case set aside
and gives theme prevalence by group;
:func:`write_quantitized` writes the quantitized codes back as survey
variables (``.sav`` with labels and ``.csv``).

*Parallel samples* — interviews and survey come from different people and
are linked through shared constructs: the joint display
(:mod:`qualquant.pipelines.integrate._joint`, re-exported here).

:func:`representativeness` compares the interviewees with the survey on the
variables they share (chi-square goodness of fit with a seeded Monte Carlo p,
which is valid for the small N of an interview study); it lives in
:mod:`qualquant.pipelines.integrate._representativeness` and is re-exported here.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from qualquant.coding.stats import benjamini_hochberg, mann_whitney
from qualquant.pipelines.errors import IntegrationError

if TYPE_CHECKING:
    from qualquant.quant.crosstab import CrosstabResult

__all__ = [
    "LINKED_TESTS_COLUMNS",
    "LINKED_SET_ASIDE_COLUMNS",
    "LinkedCases",
    "case_code_table",
    "linked_cases",
    "write_quantitized",
]

LINKED_TESTS_COLUMNS = (
    "code",
    "attribute",
    "test",
    "statistic",
    "df",
    "p_value",
    "p_adjusted",
    "effect_size",
    "effect_measure",
    "n",
    "n_with_code",
    "method",
    "note",
)
PREVALENCE_COLUMNS = ("code", "attribute", "group", "n_cases", "n_with_code", "pct_cases")
LINKED_SET_ASIDE_COLUMNS = ("case_id", "reason")
#: Reason given for an interview case that has no row in the linked questionnaire.
NOT_IN_QUESTIONNAIRE = "interview case not in the linked questionnaire: left out of every linked-case test"

#: Numeric attributes with more distinct values than this are tested with Mann-Whitney U, not a crosstab.
MAX_CATEGORIES = 6


# --------------------------------------------------------------------------- case x code


def case_code_table(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    case_ids: Sequence[str],
    codes: Sequence[str],
    *,
    case_of: Mapping[str, str] | None = None,
    roles: Sequence[str] = ("participant",),
) -> pd.DataFrame:
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
        Roles of the segments used: codings on other segments (e.g. an
        interviewer turn) are left out, and these roles' characters are the
        coverage denominator.

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
    This is the same quantity as :func:`qualquant.coding.matrices.case_code_matrix`,
    computed directly so that the join does not depend on the shape of
    that table; coverage here is by characters.
    """
    case_of = dict(case_of or {})
    seg = segments[segments["role"].isin(list(roles))]
    denom = (seg["end"] - seg["start"]).groupby(seg["transcript_id"].map(lambda t: case_of.get(t, t))).sum()
    out = pd.DataFrame(index=pd.Index(list(case_ids), name="case_id"))
    # codings on turns of other roles are not used, as in coding.matrices (the codings stage lists them
    # with coding.matrices.excluded_codings)
    cod = codings[codings["segment_id"].isin(set(seg["segment_id"]))].copy()
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
    total = 0
    current: tuple[int, int] | None = None  # the merged span being grown
    for s, e in sorted(spans):
        if current is None or s > current[1]:
            if current is not None:
                total += current[1] - current[0]
            current = (s, e)
        else:
            current = (current[0], max(current[1], e))
    if current is not None:
        total += current[1] - current[0]
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
    set_aside : pandas.DataFrame
        Columns ``case_id, reason``: every interview case left out of a test:
        cases not found in the questionnaire (out of every test) and cases
        without a value for an attribute (out of that attribute's tests).
    """

    matrix: pd.DataFrame
    tests: pd.DataFrame
    prevalence: pd.DataFrame
    codes: tuple[str, ...]
    attributes: tuple[str, ...]
    set_aside: pd.DataFrame


def linked_cases(
    case_codes: pd.DataFrame,
    questionnaire: pd.DataFrame,
    *,
    attributes: Sequence[str],
    codes: Sequence[str],
    case_column: str = "case_id",
    exact: bool = True,
    seed: int = 0,
    n_resamples: int = 10_000,
) -> LinkedCases:
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
        ``tests`` columns: ``code, attribute, test`` (``fisher_exact``,
        ``fisher_freeman_halton``, ``pearson_chi2``, ``mann_whitney_u`` or
        ``none``), ``statistic, df, p_value``, ``p_adjusted``
        (Benjamini-Hochberg over every code x attribute test of the table,
        :func:`qualquant.coding.stats.benjamini_hochberg`; NaN where nothing was
        tested), ``effect_size, effect_measure, n, n_with_code``, ``method``
        (``exact``, ``monte_carlo``, ``asymptotic``) and ``note``.
        ``set_aside`` lists every case left out (never silently dropped).

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
    Fisher–Freeman–Halton test otherwise (:func:`qualquant.quant.crosstab` with
    ``exact=True``), effect size phi (2 x 2) or Cramér's V. A numeric
    attribute with more values is compared between cases with and without
    the code by the Mann–Whitney U test (:func:`qualquant.coding.stats.mann_whitney`:
    exact p when the smaller group has at most 8 cases and there are no
    ties, otherwise the normal approximation with tie correction; ``method``
    records which), effect size the rank-biserial correlation
    ``r = 2 U / (n1 n2) - 1`` (positive: higher values with the code).
    A code present in all or no cases cannot be tested: the row says so.
    Interview cases missing from the questionnaire are listed in
    ``set_aside`` (when none is found at all, that is an error).
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
    if q.index.has_duplicates:
        # A duplicated id would join one interview case to several questionnaire rows
        # and count it twice in every test.
        dup = q.index[q.index.duplicated()].unique()
        raise IntegrationError(
            f"The linked questionnaire has {len(dup)} duplicated case id(s) in {case_column!r}: "
            f"{', '.join(map(repr, dup[:5]))}{' ...' if len(dup) > 5 else ''}. Each case must have "
            "exactly one row; merge or remove the duplicates."
        )
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
    aside: list[dict[str, str]] = [
        dict(case_id=str(c), reason=NOT_IN_QUESTIONNAIRE) for c in case_codes.index if c not in q.index
    ]
    matrix = q.loc[common, list(attributes)].join(case_codes.loc[common])
    matrix.index.name = "case_id"
    for attr in attributes:
        for case in matrix.index[matrix[attr].isna()]:
            aside.append(dict(case_id=str(case), reason=f"no value for attribute {attr!r}: left out of its tests"))

    from qualquant.quant import crosstab

    rows: list[dict[str, Any]] = []
    prevalence: list[dict[str, Any]] = []
    for code in codes:
        presence = matrix[f"c_{code}"].astype(int)
        for attr in attributes:
            values = matrix[attr]
            valid = values.notna()
            rows.append(
                _test_code_attribute(
                    code,
                    attr,
                    presence[valid],
                    values[valid],
                    exact=exact,
                    seed=seed,
                    n_resamples=n_resamples,
                    crosstab=crosstab,
                )
            )
            if not _is_numeric_many(values[valid]):
                for group, sub in presence[valid].groupby(values[valid].astype(str), sort=True):
                    prevalence.append(
                        dict(
                            code=code,
                            attribute=attr,
                            group=group,
                            n_cases=len(sub),
                            n_with_code=int(sub.sum()),
                            pct_cases=100.0 * sub.sum() / len(sub) if len(sub) else math.nan,
                        )
                    )
    tests = pd.DataFrame(rows, columns=list(LINKED_TESTS_COLUMNS))
    tests["p_adjusted"] = benjamini_hochberg(tests["p_value"].to_numpy(dtype=float))
    return LinkedCases(
        matrix=matrix.reset_index(),
        tests=tests,
        prevalence=pd.DataFrame(prevalence, columns=list(PREVALENCE_COLUMNS)),
        codes=tuple(codes),
        attributes=tuple(attributes),
        set_aside=pd.DataFrame(aside, columns=list(LINKED_SET_ASIDE_COLUMNS)),
    )


def _is_numeric_many(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and values.nunique() > MAX_CATEGORIES


def _test_code_attribute(
    code: str,
    attr: str,
    presence: pd.Series,
    values: pd.Series,
    *,
    exact: bool,
    seed: int,
    n_resamples: int,
    crosstab: Callable[..., CrosstabResult],
) -> dict[str, Any]:
    n = len(presence)
    n_with = int(presence.sum())
    base = dict(
        code=code,
        attribute=attr,
        n=n,
        n_with_code=n_with,
        df=math.nan,
        statistic=math.nan,
        p_value=math.nan,
        p_adjusted=math.nan,
        effect_size=math.nan,
        effect_measure="",
        method="",
        note="",
    )
    if n_with == 0 or n_with == n:
        return {
            **base,
            "test": "none",
            "note": "code present in " + ("no" if n_with == 0 else "every") + " case: nothing to compare",
        }
    if _is_numeric_many(values):
        x = values[presence == 1].astype(float)
        y = values[presence == 0].astype(float)
        res = mann_whitney(x.to_numpy(), y.to_numpy())
        note = "ties: normal approximation with tie correction" if res.ties else ""
        return {
            **base,
            "test": "mann_whitney_u",
            "statistic": res.statistic,
            "p_value": res.p_value,
            "effect_size": res.rank_biserial,
            "effect_measure": "rank_biserial",
            "method": res.method,
            "note": note,
        }
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
    return {
        **base,
        "test": test,
        "statistic": statistic,
        "df": df,
        "p_value": float(row["p_value"]),
        "effect_size": effect,
        "effect_measure": effect_name,
        "method": method,
        "note": " ".join(result.footnotes),
    }


def write_quantitized(
    matrix: pd.DataFrame,
    codes: Sequence[str],
    directory: str | os.PathLike[str],
    *,
    stem: str = "quantitized_codes",
    code_labels: Mapping[str, str] | None = None,
    keep: Sequence[str] = (),
) -> tuple[Path, Path]:
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
    (:func:`qualquant.quant.write_survey`; the CSV via :func:`qualquant.io.write_table`).
    """
    from qualquant.io import write_table
    from qualquant.quant.survey import Survey, SurveyMeta, write_survey

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


# Representativeness and the joint display live in their own modules (size); their public names are
# re-exported here.
from qualquant.pipelines.integrate._joint import (  # noqa: E402
    JOINT_DISPLAY_COLUMNS,
    QUANT_EVIDENCE_COLUMNS,
    choose_quotes,
    joint_display,
    overridden_proposal,
    propose_convergence,
    read_overrides,
    survey_evidence,
    update_overrides,
    variable_verdict,
)
from qualquant.pipelines.integrate._representativeness import (  # noqa: E402
    DISTRIBUTION_COLUMNS,
    GOF_COLUMNS,
    SET_ASIDE_COLUMNS,
    Representativeness,
    chi2_gof_monte_carlo,
    representativeness,
    survey_labels,
)

__all__ += [
    "DISTRIBUTION_COLUMNS",
    "GOF_COLUMNS",
    "SET_ASIDE_COLUMNS",
    "Representativeness",
    "chi2_gof_monte_carlo",
    "representativeness",
    "survey_labels",
    "JOINT_DISPLAY_COLUMNS",
    "QUANT_EVIDENCE_COLUMNS",
    "choose_quotes",
    "joint_display",
    "overridden_proposal",
    "propose_convergence",
    "read_overrides",
    "survey_evidence",
    "update_overrides",
    "variable_verdict",
]
