"""The joint display: one row per construct, qualitative and survey evidence side by side.

Each ``[[constructs]]`` entry of ``study.toml`` names codes (and/or topics),
survey variables, the outcome they relate to and the direction the
interviews suggest. :func:`joint_display` puts the qualitative evidence
(cases mentioning it n/N, coded segments, short quotes) next to the survey
evidence (statistic, p, effect size, direction, N per variable) and proposes
a convergence label from the triangulation protocol of O'Cathain, Murphy and
Nicholl (2010): agreement, partial agreement, silence, dissonance.

Convergence rules (applied in this order)
-----------------------------------------
Qualitative evidence is *present* when the construct's codes (or topics)
occur in at least ``max(min_cases, ceil(min_share * N))`` of the N cases.
Survey evidence is *present* when at least one survey variable could be
tested against the outcome.

Each survey variable gets a verdict against the expected direction
(p < alpha is "significant"):

- ``positive``/``negative``: *confirms* if significant with that sign;
  *contradicts* if significant with the opposite sign; *undirected* if
  significant but the test has no direction (a nominal variable: chi-square);
  *not shown* if not significant.
- ``association``: *confirms* if significant, else *not shown*.
- ``none`` (the interviews suggest no relation): *confirms* if not
  significant, *contradicts* if significant.

Then the construct's label:

1. **silence** — qualitative or survey evidence is absent (one component
   does not cover the construct); the rule text says which side is silent.
2. **agreement** — every variable *confirms*.
3. **dissonance** — no variable *confirms*, and every variable either
   *contradicts* or is *not shown* (the survey does not show, or shows the
   opposite of, what the interviews describe).
4. **partial agreement** — anything else: some variables confirm and others
   do not, or the survey relation is significant but has no direction to
   compare.

The proposed label and the rule that fired are kept in ``proposed`` and
``rule``. A researcher overrides the label and adds a meta-inference in
``joint_display_overrides.csv`` (columns ``construct, label, proposed,
override, meta_inference, proposed_when_overridden``). A rerun keeps every
override, meta-inference and any column the researcher added, appends rows
for new constructs, and sets ``proposed`` to the label proposed now. When
the new proposal differs from the one the researcher overrode, that earlier
proposal is recorded in ``proposed_when_overridden`` and the joint display
flags the row (``proposal_changed``; "proposal changed since your override
(was X, now Y)" in the report). Emptying ``proposed_when_overridden``
accepts the override for the current proposal. ``convergence`` is the
override when given, else the proposal.

Quote rule
----------
Up to ``quotes`` quotes per construct, from different cases. Candidate
passages are the coded spans (of the coder used for the matrices, normally
the consensus) of the construct's codes in participant turns. They are
ranked by (1) the number of the construct's codes applied to the same
segment, (2) the number of human coders who applied one of those codes to
the segment, (3) whether the span fits within ``quote_chars`` characters,
(4) segment order. The best passage of each case is taken, cases ordered
by the same ranking; a passage longer than ``quote_chars`` is cut at a word
boundary and ends with "…". Quotes come from the pseudonymised corpus.

References
----------
O'Cathain, A., Murphy, E., & Nicholl, J. (2010). Three techniques for
integrating data in mixed methods research. *BMJ*, 341, c4587.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from qualquant.pipelines.errors import IntegrationError, OverridesFileError
from qualquant.pipelines.study import CONVERGENCE_LABELS

__all__ = [
    "JOINT_DISPLAY_COLUMNS",
    "OVERRIDES_COLUMNS",
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

JOINT_DISPLAY_COLUMNS = (
    "construct",
    "label",
    "codes",
    "topics",
    "n_cases",
    "n_cases_total",
    "pct_cases",
    "n_segments",
    "quotes",
    "quote_sources",
    "survey_variables",
    "outcome",
    "quant_evidence",
    "expected_direction",
    "verdicts",
    "proposed",
    "rule",
    "override",
    "proposed_when_overridden",
    "proposal_changed",
    "convergence",
    "meta_inference",
)
QUANT_EVIDENCE_COLUMNS = (
    "construct",
    "variable",
    "outcome",
    "test",
    "statistic",
    "df",
    "p_value",
    "effect_size",
    "effect_measure",
    "direction",
    "n",
    "verdict",
)
OVERRIDES_COLUMNS = ("construct", "label", "proposed", "override", "meta_inference", "proposed_when_overridden")


# --------------------------------------------------------------------------- survey side


def survey_evidence(
    survey: Any, variable: str, outcome: str, *, alpha: float = 0.05, weights: str | None = None
) -> dict[str, Any]:
    """Test one survey variable against the outcome.

    Parameters
    ----------
    survey : quant.Survey
    variable, outcome : str
    alpha : float
    weights : str, optional

    Returns
    -------
    dict
        ``variable, outcome, test, statistic, df, p_value, effect_size,
        effect_measure, direction, n``. ``direction`` is ``positive`` or
        ``negative`` (sign of a significant rank correlation), ``none`` (not
        significant) or ``undirected`` (significant chi-square).

    Notes
    -----
    Both variables ordinal or scale (the file's measurement levels; numeric
    codes): Spearman's rho (:func:`qualquant.quant.correlation_matrix`, pairwise
    deletion, two-tailed p), the seed study's Table 3 statistic. Either
    variable nominal: Pearson chi-square of the crosstab
    (:func:`qualquant.quant.crosstab`) with Cramér's V, the seed's Table 2 statistic.
    """
    from qualquant.quant import correlation_matrix, crosstab

    levels = survey.meta.measure_levels if hasattr(survey, "meta") else {}
    data = survey.data if hasattr(survey, "data") else survey
    for name in (variable, outcome):
        if name not in data.columns:
            import difflib

            close = difflib.get_close_matches(name, list(map(str, data.columns)), n=3)
            raise IntegrationError(
                f"Construct survey variable {name!r} is not in the survey"
                + (f"; did you mean {', '.join(close)}?" if close else ".")
            )
    nominal = any(levels.get(v) == "nominal" or not pd.api.types.is_numeric_dtype(data[v]) for v in (variable, outcome))
    if nominal:
        res = crosstab(survey, variable, outcome, weights=weights)
        row = res.tests.loc["pearson_chi2"]
        p = float(row["p_value"])
        return dict(
            variable=variable,
            outcome=outcome,
            test="pearson_chi2",
            statistic=float(row["statistic"]),
            df=float(row["df"]),
            p_value=p,
            effect_size=float(res.measures.loc["cramers_v", "value"]),
            effect_measure="cramers_v",
            direction="undirected" if p < alpha else "none",
            n=float(res.n),
        )
    res = correlation_matrix(survey, [variable, outcome], method="spearman", weights=weights)
    row = res.iloc[0]
    rho, p = float(row["statistic"]), float(row["p_value"])
    direction = "none" if not (p < alpha) else ("positive" if rho > 0 else "negative")
    return dict(
        variable=variable,
        outcome=outcome,
        test="spearman",
        statistic=rho,
        df=float(row["n"]) - 2,
        p_value=p,
        effect_size=rho,
        effect_measure="rho",
        direction=direction,
        n=float(row["n"]),
    )


def variable_verdict(direction: str, expected: str) -> str:
    """Verdict of one survey variable against the expected direction (see the module rules).

    Examples
    --------
    >>> variable_verdict("positive", "positive"), variable_verdict("none", "positive")
    ('confirms', 'not shown')
    >>> variable_verdict("negative", "positive"), variable_verdict("none", "none")
    ('contradicts', 'confirms')
    """
    significant = direction in ("positive", "negative", "undirected")
    if expected == "none":
        return "contradicts" if significant else "confirms"
    if expected == "association":
        return "confirms" if significant else "not shown"
    if not significant:
        return "not shown"
    if direction == "undirected":
        return "undirected"
    return "confirms" if direction == expected else "contradicts"


def propose_convergence(
    qual_present: bool, verdicts: Sequence[str], *, qual_reason: str = "", quant_reason: str = ""
) -> tuple[str, str]:
    """Propose a convergence label and say which rule fired.

    Parameters
    ----------
    qual_present : bool
    verdicts : sequence of str
        One verdict per tested survey variable (empty: no survey evidence).

    Returns
    -------
    (label, rule)

    Examples
    --------
    >>> propose_convergence(True, ["confirms", "confirms"])[0]
    'agreement'
    >>> propose_convergence(True, ["confirms", "not shown"])[0]
    'partial agreement'
    >>> propose_convergence(True, ["not shown"])[0], propose_convergence(False, ["confirms"])[0]
    ('dissonance', 'silence')
    """
    if not qual_present and not verdicts:
        return "silence", "1: neither the interviews nor the survey cover the construct"
    if not qual_present:
        return "silence", "1: the interviews are silent" + (f" ({qual_reason})" if qual_reason else "")
    if not verdicts:
        return "silence", "1: the survey is silent" + (f" ({quant_reason})" if quant_reason else "")
    if all(v == "confirms" for v in verdicts):
        return "agreement", "2: every survey variable confirms the expected relation"
    if not any(v == "confirms" for v in verdicts) and all(v in ("contradicts", "not shown") for v in verdicts):
        return "dissonance", "3: no survey variable confirms; the survey does not show or contradicts the relation"
    return "partial agreement", "4: mixed verdicts or a significant relation without a direction to compare"


# --------------------------------------------------------------------------- qualitative side


def choose_quotes(
    codings: pd.DataFrame,
    codes: Sequence[str],
    *,
    segment_roles: Mapping[str, str] | None = None,
    human_codings: pd.DataFrame | None = None,
    n_quotes: int = 3,
    max_chars: int = 200,
) -> list[tuple[str, str]]:
    """Pick up to ``n_quotes`` short quotes from different cases (the rule in the module docstring).

    Parameters
    ----------
    codings : pandas.DataFrame
        Codings of the coder used for the display (``transcript_id,
        segment_id, code, start, text``).
    codes : sequence of str
    segment_roles : mapping, optional
        segment_id -> role; only participant segments are used when given.
    human_codings : pandas.DataFrame, optional
        All human coders' codings, to count how many coders applied the codes.
    n_quotes, max_chars : int

    Returns
    -------
    list of (segment_id, quote)
    """
    rows = codings[codings["code"].isin(list(codes))]
    if segment_roles is not None:
        rows = rows[rows["segment_id"].map(lambda s: segment_roles.get(s) == "participant")]
    if rows.empty or n_quotes == 0:
        return []
    n_codes = rows.groupby("segment_id")["code"].nunique()
    if human_codings is not None and not human_codings.empty:
        h = human_codings[human_codings["code"].isin(list(codes))]
        n_coders = h.groupby("segment_id")["coder"].nunique()
    else:
        n_coders = pd.Series(dtype=float)
    cands = rows.assign(
        _text=rows["text"].astype(str).map(lambda t: " ".join(t.split())),
    )
    cands = cands[cands["_text"].str.len() > 0]
    cands = cands.assign(
        _codes=cands["segment_id"].map(n_codes).fillna(0),
        _coders=cands["segment_id"].map(n_coders).fillna(0),
        _fits=(cands["_text"].str.len() <= max_chars).astype(int),
        _len=cands["_text"].str.len(),
    )
    cands = cands.sort_values(
        ["_codes", "_coders", "_fits", "segment_id", "_len", "start"],
        ascending=[False, False, False, True, False, True],
        kind="mergesort",
    )
    best = cands.drop_duplicates("transcript_id", keep="first")
    out = []
    for _, r in best.head(n_quotes).iterrows():
        out.append((str(r["segment_id"]), _shorten(r["_text"], max_chars)))
    return out


def _shorten(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    if " " in cut[max_chars // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:—-") + "…"


# --------------------------------------------------------------------------- the display


def joint_display(
    constructs: Sequence[Any],
    *,
    codings: pd.DataFrame,
    case_ids: Sequence[str],
    survey: Any | None,
    default_outcome: str = "",
    alpha: float = 0.05,
    min_cases: int = 2,
    min_share: float = 0.1,
    n_quotes: int = 3,
    quote_chars: int = 200,
    segment_roles: Mapping[str, str] | None = None,
    human_codings: pd.DataFrame | None = None,
    topic_cases: Mapping[int, set] | None = None,
    overrides: pd.DataFrame | None = None,
    weights: str | None = None,
    case_of: Mapping[str, str] | None = None,
    codebook: Any | None = None,
    n_topics: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the joint display.

    Parameters
    ----------
    constructs : sequence of :class:`qualquant.pipelines.study.Construct`
    codings : pandas.DataFrame
        Codings of one coder (normally the consensus).
    case_ids : sequence of str
        All interview cases (the denominator N).
    survey : quant.Survey or None
    default_outcome : str
        Outcome for constructs that name none.
    alpha, min_cases, min_share, n_quotes, quote_chars
        See the module docstring.
    segment_roles : mapping, optional
        segment_id -> role (quotes only from participant turns).
    human_codings : pandas.DataFrame, optional
        All human codings (quote ranking by coder support).
    topic_cases : mapping, optional
        topic number -> set of case ids where that topic is prominent.
    overrides : pandas.DataFrame, optional
        From :func:`read_overrides`.
    weights : str, optional
        Survey weight variable.
    case_of : mapping, optional
        transcript_id -> case_id.
    codebook : coding.Codebook, optional
        When given, every code a construct names must be in it.
    n_topics : int, optional
        K of the fitted topic model; when given, every topic a construct
        names must be in ``0 .. K-1``.

    Returns
    -------
    (display, evidence)
        ``display``: one row per construct, columns
        :data:`JOINT_DISPLAY_COLUMNS` (lists joined with ``"; "``, quotes
        with ``" | "``); ``evidence``: one row per construct x survey
        variable, columns :data:`QUANT_EVIDENCE_COLUMNS`.
        ``proposed_when_overridden`` is the proposal the researcher overrode
        when it differs from ``proposed`` (else empty) and
        ``proposal_changed`` says whether it does.

    Raises
    ------
    IntegrationError
        A construct names a survey variable that is not in the survey, or a
        topic outside ``0 .. n_topics-1``.
    UnknownCodeError
        A construct names a code that is not in ``codebook`` (with the
        closest code ids).
    """
    if codebook is not None:
        from qualquant.coding.codebook import check_code_ids

        for c in constructs:
            if c.codes:
                check_code_ids(c.codes, codebook, where=f"Construct {c.id!r} codes")
    if n_topics is not None:
        for c in constructs:
            bad = [t for t in c.topics if not 0 <= int(t) < n_topics]
            if bad:
                raise IntegrationError(
                    f"Construct {c.id!r} names topic(s) {', '.join(map(str, bad))}, but the topic model has "
                    f"{n_topics} topics, numbered 0 to {n_topics - 1} (topics.csv). Fix the construct's topics "
                    "in study.toml."
                )
    case_of = dict(case_of or {})
    n_total = len(case_ids)
    threshold = max(min_cases, math.ceil(min_share * n_total))
    over = {}
    if overrides is not None and not overrides.empty:
        over = {str(r["construct"]): r for _, r in overrides.iterrows()}
    rows: list[dict] = []
    evidence: list[dict] = []
    for c in constructs:
        sub = codings[codings["code"].isin(list(c.codes))] if c.codes else codings.iloc[0:0]
        if segment_roles is not None and not sub.empty:
            sub = sub[sub["segment_id"].map(lambda s: segment_roles.get(s) == "participant")]
        cases = {case_of.get(t, t) for t in sub["transcript_id"]}
        for t in c.topics:
            cases |= set((topic_cases or {}).get(int(t), set()))
        n_cases = len(cases & set(case_ids)) if case_ids else len(cases)
        has_qual_source = bool(c.codes or c.topics)
        qual_present = has_qual_source and n_cases >= threshold
        qual_reason = (
            "no codes or topics named"
            if not has_qual_source
            else f"{n_cases} of {n_total} cases, fewer than the {threshold} required"
        )
        quotes = (
            choose_quotes(
                codings,
                c.codes,
                segment_roles=segment_roles,
                human_codings=human_codings,
                n_quotes=n_quotes,
                max_chars=quote_chars,
            )
            if c.codes
            else []
        )
        outcome = c.outcome or default_outcome
        verdicts: list[str] = []
        texts: list[str] = []
        quant_reason = "no survey variables named" if not c.survey_variables else ""
        if c.survey_variables and survey is None:
            quant_reason = "no survey in the study"
        elif c.survey_variables and not outcome:
            raise IntegrationError(f"Construct {c.id!r}: no outcome (set outcome or [survey] outcome).")
        elif c.survey_variables:
            for v in c.survey_variables:
                ev = survey_evidence(
                    _excluding(survey, v, c.exclude_values.get(v, [])), v, outcome, alpha=alpha, weights=weights
                )
                verdict = variable_verdict(ev["direction"], c.expected_direction)
                verdicts.append(verdict)
                evidence.append({"construct": c.id, **ev, "verdict": verdict})
                texts.append(_evidence_text(ev))
        label, rule = propose_convergence(qual_present, verdicts, qual_reason=qual_reason, quant_reason=quant_reason)
        ov = over.get(c.id)
        override = _clean(ov["override"]) if ov is not None else ""
        meta = _clean(ov["meta_inference"]) if ov is not None else ""
        was = overridden_proposal(ov, label)
        rows.append(
            dict(
                construct=c.id,
                label=c.label or c.id,
                codes="; ".join(c.codes),
                topics="; ".join(map(str, c.topics)),
                n_cases=n_cases,
                n_cases_total=n_total,
                pct_cases=100.0 * n_cases / n_total if n_total else math.nan,
                n_segments=int(sub["segment_id"].nunique()) if not sub.empty else 0,
                quotes=" | ".join(q for _, q in quotes),
                quote_sources="; ".join(s for s, _ in quotes),
                survey_variables="; ".join(c.survey_variables),
                outcome=outcome if c.survey_variables else "",
                quant_evidence="; ".join(texts),
                expected_direction=c.expected_direction,
                verdicts="; ".join(verdicts),
                proposed=label,
                rule=rule,
                override=override,
                proposed_when_overridden=was,
                proposal_changed=bool(was),
                convergence=override or label,
                meta_inference=meta,
            )
        )
    return (
        pd.DataFrame(rows, columns=list(JOINT_DISPLAY_COLUMNS)),
        pd.DataFrame(evidence, columns=list(QUANT_EVIDENCE_COLUMNS)),
    )


def _excluding(survey: Any, variable: str, values: Sequence[float]) -> Any:
    """The survey with ``values`` of ``variable`` set to missing (the input is not modified)."""
    if not values:
        return survey
    data = survey.data.copy() if hasattr(survey, "data") else survey.copy()
    data[variable] = data[variable].where(~data[variable].isin(list(values)))
    if hasattr(survey, "meta"):
        from qualquant.quant.survey import Survey

        return Survey(data, survey.meta)
    return data


def _evidence_text(ev: Mapping[str, Any]) -> str:
    p = ev["p_value"]
    p_text = "p < .001" if p < 0.001 else f"p = {p:.3f}".replace("0.", ".", 1)
    n = int(ev["n"]) if not math.isnan(ev["n"]) else 0
    if ev["test"] == "spearman":
        return f"{ev['variable']}: rho = {ev['statistic']:.3f}, {p_text}, N = {n}"
    return (
        f"{ev['variable']}: chi2({int(ev['df'])}) = {ev['statistic']:.2f}, {p_text}, "
        f"V = {ev['effect_size']:.3f}, N = {n}"
    )


def _clean(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value).strip()


def overridden_proposal(row: Mapping[str, Any] | None, proposed: str) -> str:
    """The proposal a researcher overrode, when it is not the label ``proposed`` now (else ``""``).

    Parameters
    ----------
    row : mapping or None
        The construct's row of the overrides file (:func:`read_overrides`).
    proposed : str
        The label proposed now.

    Returns
    -------
    str
        Empty without an override. Otherwise the row's
        ``proposed_when_overridden``, or (when that is empty) its ``proposed``,
        i.e. the proposal the file showed when the override was written; empty
        when that equals ``proposed`` or is unknown.

    Examples
    --------
    >>> overridden_proposal({"override": "dissonance", "proposed": "agreement"}, "silence")
    'agreement'
    >>> overridden_proposal({"override": "dissonance", "proposed": "silence"}, "silence")
    ''
    >>> overridden_proposal({"override": "", "proposed": "agreement"}, "silence")
    ''
    """
    if row is None or not _clean(row.get("override")):
        return ""
    was = _clean(row.get("proposed_when_overridden")) or _clean(row.get("proposed"))
    return was if was and was != proposed else ""


# --------------------------------------------------------------------------- overrides


def read_overrides(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read ``joint_display_overrides.csv`` (empty frame when the file does not exist).

    Raises
    ------
    OverridesFileError
        Missing columns, a duplicated construct, or an override (or
        ``proposed_when_overridden``) that is not one of the four convergence
        labels (the row and value are named).
    """
    p = Path(path)
    if not p.exists():
        return pd.DataFrame(columns=list(OVERRIDES_COLUMNS))
    try:
        frame = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise OverridesFileError(f"{p.name} cannot be read as UTF-8 CSV: {exc}.") from None
    missing = [c for c in ("construct", "override", "meta_inference") if c not in frame.columns]
    if missing:
        raise OverridesFileError(
            f"{p.name} lacks column(s) {', '.join(missing)}; expected {', '.join(OVERRIDES_COLUMNS)}. "
            "Delete the file to get a fresh template on the next run."
        )
    checked = [("override", "leave it empty to keep the proposed label")]
    if "proposed_when_overridden" in frame.columns:
        checked.append(
            (
                "proposed_when_overridden",
                "it is the proposal you overrode; leave it empty to accept your override for the current proposal",
            )
        )
    for i, r in frame.iterrows():
        for column, advice in checked:
            value = r[column].strip().lower()
            if value and value not in CONVERGENCE_LABELS:
                raise OverridesFileError(
                    f"{p.name} row {i + 2} (construct {r['construct']!r}): {column} {r[column]!r} is not one of "
                    f"{', '.join(CONVERGENCE_LABELS)} ({advice})."
                )
            frame.loc[i, column] = value
    dup = frame["construct"][frame["construct"].duplicated()]
    if not dup.empty:
        raise OverridesFileError(f"{p.name}: construct {dup.iloc[0]!r} appears twice; keep one row per construct.")
    for col in OVERRIDES_COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    return frame


def update_overrides(path: str | os.PathLike[str], display: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Create the overrides file, or bring it up to date; never change the researcher's entries.

    On a rerun ``proposed`` becomes the label proposed now; overrides,
    meta-inferences, labels and any column the researcher added are kept as
    written; rows for new constructs are appended. For a row with an override
    whose proposal changed, the proposal that was overridden is kept in
    ``proposed_when_overridden`` (see :func:`overridden_proposal`); it is
    emptied when the proposal is back to that label or the override is
    removed. The file is written (atomically) only when something changed.

    Returns
    -------
    (frame, warnings)
        The overrides now in the file, and warnings: rows naming constructs
        that are no longer in the study (kept, but unused), and overrides whose
        proposal changed since they were written.
    """
    from qualquant.io import atomic_write_text, neutralize_formulas

    p = Path(path)
    existing = read_overrides(p)
    frame = existing.copy()
    proposed_now = {str(c): str(v) for c, v in zip(display["construct"], display["proposed"])}
    warnings: list[str] = []
    for i, r in frame.iterrows():
        construct = str(r["construct"])
        if construct not in proposed_now:
            continue
        now = proposed_now[construct]
        was = overridden_proposal(r, now)
        frame.loc[i, "proposed_when_overridden"] = was
        frame.loc[i, "proposed"] = now
        if was:
            warnings.append(
                f"{p.name}: construct {construct!r}: proposal changed since your override (was {was!r}, now "
                f"{now!r}); your override {r['override']!r} is kept. Review it, then empty its "
                "proposed_when_overridden cell to accept it for the new proposal."
            )
    known = set(existing["construct"]) if not existing.empty else set()
    new = [
        dict(
            construct=r["construct"],
            label=r["label"],
            proposed=r["proposed"],
            override="",
            meta_inference="",
            proposed_when_overridden="",
        )
        for _, r in display.iterrows()
        if r["construct"] not in known
    ]
    warnings += [
        f"{p.name}: construct {c!r} is not in study.toml any more; its row is kept but not used."
        for c in sorted(known - set(display["construct"]))
    ]
    if new:
        # new rows come from study.toml: neutralise spreadsheet formulas there, never in the researcher's cells
        added = neutralize_formulas(pd.DataFrame(new, columns=list(OVERRIDES_COLUMNS)).astype(object))
        frame = pd.concat([frame, added], ignore_index=True).fillna("")
    if new or not p.exists() or not frame.equals(existing):
        atomic_write_text(p, frame.to_csv(index=False, lineterminator="\n"), encoding="utf-8-sig")
    return frame, warnings
