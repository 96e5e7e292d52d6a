"""Intercoder agreement: percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha.

Label Studio's open-source edition computes no agreement, so qualquant does it
from the codings table (:mod:`qualquant.coding.codings`) and the corpus.

Segment level (``level="segment"``)
    The units are the corpus segments of the chosen roles (participant turns by
    default). For every code, each coder's value for a unit is 1 (the coder
    applied the code somewhere in the segment) or 0 (did not). A coder who did
    not code a transcript at all is *missing* for its segments, not 0: coverage
    comes from ``annotations`` (the ``.annotations`` table of
    :func:`qualquant.coding.labelstudio.read_export`, which also lists annotations with no
    spans; a non-empty ``segment_id`` there limits coverage to that segment) or,
    without it, from the codings themselves (a coder covers a transcript when
    they have at least one coding in it).
Span level (``level="span"``)
    The units are the characters of those segments, as NVivo's coding
    comparison counts them: coded by A only, B only, both, or neither
    (:func:`span_agreement` gives those counts per transcript and code).

Statistics (each row of :func:`agreement_table`)
    - ``percent_agreement``: percent of agreeing coder pairs, averaged over units
      coded by two or more coders (for two coders: percent of units where they agree);
    - ``cohen_kappa`` (exactly two coders; units both coded;
      :func:`sklearn.metrics.cohen_kappa_score`);
    - ``fleiss_kappa`` (three or more coders; units all coders coded;
      :func:`statsmodels.stats.inter_rater.fleiss_kappa`);
    - ``krippendorff_alpha`` (nominal; all units with two or more values, so
      missing codings are allowed; the ``krippendorff`` package);
    - percentile bootstrap confidence intervals for alpha (``ci_low``,
      ``ci_high``) and for the kappa reported (``kappa_ci_low``,
      ``kappa_ci_high``), resampling segments with replacement
      (``n_boot`` replicates, ``numpy.random.default_rng(seed)``; the same
      resamples for every code, so reruns are identical).

    The ``overall`` row pools every (unit, code) decision as one binary unit;
    its bootstrap resamples segments with all their codes.

    The bootstrap replicates are computed from per-segment sums with the
    closed forms of the statistics for binary data (alpha:
    ``1 - (n - 1) * o_01 / (n_0 * n_1)``, Krippendorff 2011; kappa:
    ``(p_o - p_e) / (1 - p_e)``), because refitting the packages thousands of
    times per code is slow; the tests check that these closed forms equal the
    packages' values on the full data.

A statistic that is undefined (no variation: every value the same) is NaN.

Coders and predictions
    By default the tables compare the *human* coders only (rows with
    ``source == "human"``); machine suggestions (Label Studio predictions,
    ``source == "prediction"``, coder = ``model_version``) stay out. A model
    enters as one more coder with ``include_predictions=True`` (every
    ``model_version`` after the human coders) or by naming it in ``coders``;
    percent agreement, Fleiss' kappa (three or more coders) and Krippendorff's
    alpha then treat it like any other coder.

References
----------
Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
Psychological Measurement, 20*(1), 37-46.

Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
*Psychological Bulletin, 76*(5), 378-382.

Krippendorff, K. (2011). *Computing Krippendorff's alpha-reliability*. Annenberg
School for Communication, University of Pennsylvania.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qualquant.coding.agreement._stats import (
    LEVELS,
    N_FEATURES,
    bootstrap_weights,
    cluster_sums,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    percentile_ci,
    point_estimates,
    stats_from_sums,
    unit_features,
)
from qualquant.coding.errors import AgreementError
from qualquant.coding.matrices import check_codings, code_order, facet_of, unit_segments

if TYPE_CHECKING:
    from qualquant.coding.codebook import Codebook
    from qualquant.corpus import Corpus

__all__ = [
    "AGREEMENT_COLUMNS",
    "DISAGREEMENT_COLUMNS",
    "LEVELS",
    "SPAN_AGREEMENT_COLUMNS",
    "agreement_table",
    "cohen_kappa",
    "disagreements",
    "fleiss_kappa",
    "krippendorff_alpha",
    "span_agreement",
]

AGREEMENT_COLUMNS = (
    "code",
    "facet",
    "level",
    "n_units",
    "n_units_complete",
    "n_coders",
    "n_applied",
    "percent_agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "ci_low",
    "ci_high",
    "kappa_ci_low",
    "kappa_ci_high",
    "ci_level",
    "n_boot",
    "n_boot_valid",
    "coders",
    "note",
)
SPAN_AGREEMENT_COLUMNS = (
    "coder_a",
    "coder_b",
    "transcript_id",
    "code",
    "facet",
    "n_chars",
    "chars_a_only",
    "chars_b_only",
    "chars_both",
    "chars_neither",
    "percent_agreement",
    "kappa",
)
DISAGREEMENT_COLUMNS = (
    "transcript_id",
    "segment_id",
    "code",
    "facet",
    "coders_applied",
    "coders_not_applied",
    "coders_missing",
    "text",
)
OVERALL = "overall"


# ------------------------------------------------------- codings -> data


def _found_coders(codings: pd.DataFrame, annotations: pd.DataFrame | None, source: str) -> set[str]:
    """Coders with rows of this ``source`` in the codings (and annotations); no source column = all human."""
    if "source" in codings:
        rows = codings[codings["source"].fillna("human") == source]
    else:
        rows = codings if source == "human" else codings.iloc[0:0]
    found = set(rows["coder"].dropna().astype(str)) - {"consensus"}
    if annotations is not None and "coder" in annotations:
        ann = annotations
        if "source" in ann:
            ann = ann[ann["source"].fillna("human") == source]
        elif source != "human":
            ann = ann.iloc[0:0]
        found |= set(ann["coder"].dropna().astype(str))
    return found


def _coders(
    codings: pd.DataFrame,
    coders: Sequence[str] | None,
    annotations: pd.DataFrame | None,
    include_predictions: bool = False,
) -> list[str]:
    if coders is not None:
        coders = list(dict.fromkeys(coders))
    else:
        human = _found_coders(codings, annotations, "human")
        coders = sorted(human)
        if include_predictions:
            machine = sorted(_found_coders(codings, annotations, "prediction") - human)
            if not machine:
                raise AgreementError(
                    "include_predictions=True, but the codings hold no predictions (rows with source "
                    "'prediction'). Pull the project with its predictions (LabelStudioClient.pull) or leave the "
                    "option off."
                )
            coders += machine
    if len(coders) < 2:
        raise AgreementError(
            f"Agreement needs at least two coders; found {len(coders)} ({', '.join(coders) or 'none'}). "
            "Import an export with several annotators or pass coders=[...]."
        )
    return coders


def _coverage(
    codings: pd.DataFrame, units: pd.DataFrame, coders: list[str], annotations: pd.DataFrame | None
) -> np.ndarray:
    """Bool (units x coders): did the coder code this segment (present or absent, not missing)."""
    cover = np.zeros((len(units), len(coders)), dtype=bool)
    transcript = units["transcript_id"].to_numpy()
    segment = units["segment_id"].to_numpy()
    if annotations is not None:
        need = [c for c in ("coder", "transcript_id") if c not in annotations.columns]
        if need:
            raise AgreementError(
                f"annotations lacks column(s) {', '.join(need)}; pass the annotations table read from "
                "the same Label Studio export as the codings."
            )
        ann = annotations
        seg_col = ann["segment_id"] if "segment_id" in ann else pd.Series(None, index=ann.index, dtype=object)
        for j, coder in enumerate(coders):
            mine = ann["coder"] == coder
            whole = set(ann.loc[mine & seg_col.isna(), "transcript_id"].dropna().astype(str))
            parts = set(seg_col[mine & seg_col.notna()].astype(str))
            cover[:, j] = np.isin(transcript, list(whole)) | np.isin(segment, list(parts))
    else:
        for j, coder in enumerate(coders):
            seen = set(codings.loc[codings["coder"] == coder, "transcript_id"].dropna().astype(str))
            cover[:, j] = np.isin(transcript, list(seen))
    return cover


def _presence(codings: pd.DataFrame, units: pd.DataFrame, coders: list[str], codes: list[str]) -> dict[str, np.ndarray]:
    """code -> bool (units x coders) presence in the segment."""
    pos = {s: i for i, s in enumerate(units["segment_id"])}
    col = {c: j for j, c in enumerate(coders)}
    out = {code: np.zeros((len(units), len(coders)), dtype=bool) for code in codes}
    rows = codings[codings["coder"].isin(col) & codings["segment_id"].isin(pos) & codings["code"].isin(out)]
    for seg, coder, code in zip(rows["segment_id"], rows["coder"], rows["code"]):
        out[code][pos[seg], col[coder]] = True
    return out


def _char_coverage(
    codings: pd.DataFrame, units: pd.DataFrame, coders: list[str], codes: list[str]
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Character units: code -> bool (chars x coders); plus the segment index of each char and offsets."""
    lengths = (units["end"] - units["start"]).to_numpy()
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    n_chars = int(offsets[-1])
    seg_of_char = np.repeat(np.arange(len(units)), lengths)
    pos = {s: i for i, s in enumerate(units["segment_id"])}
    starts = units["start"].to_numpy()
    col = {c: j for j, c in enumerate(coders)}
    out = {code: np.zeros((n_chars, len(coders)), dtype=bool) for code in codes}
    rows = codings[codings["coder"].isin(col) & codings["segment_id"].isin(pos) & codings["code"].isin(out)]
    for seg, coder, code, s, e in zip(rows["segment_id"], rows["coder"], rows["code"], rows["start"], rows["end"]):
        i = pos[seg]
        lo = offsets[i] + max(int(s) - starts[i], 0)
        hi = offsets[i] + min(int(e) - starts[i], lengths[i])
        if hi > lo:
            out[code][lo:hi, col[coder]] = True
    return out, seg_of_char, offsets


def _prepare(
    codings: pd.DataFrame,
    corpus: Corpus,
    coders: Sequence[str] | None,
    roles: Sequence[str] | None,
    codes: Sequence[str] | None,
    codebook: Codebook | None,
    annotations: pd.DataFrame | None,
    what: str,
    include_predictions: bool = False,
) -> tuple[list[str], pd.DataFrame, list[str], np.ndarray]:
    check_codings(codings, corpus, what=what)
    coder_list = _coders(codings, coders, annotations, include_predictions)
    units = unit_segments(corpus, roles)
    code_list = code_order(codings[codings["coder"].isin(coder_list)], codebook, codes)
    cover = _coverage(codings, units, coder_list, annotations)
    return coder_list, units, code_list, cover


# ---------------------------------------------------------------- tables


def agreement_table(
    codings: pd.DataFrame,
    corpus: Corpus,
    *,
    coders: Sequence[str] | None = None,
    level: str = "segment",
    roles: Sequence[str] | None = ("participant",),
    codebook: Codebook | None = None,
    codes: Sequence[str] | None = None,
    annotations: pd.DataFrame | None = None,
    include_predictions: bool = False,
    n_boot: int = 1000,
    seed: int = 0,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Agreement per code and overall (see the module docstring for definitions).

    Parameters
    ----------
    codings : pandas.DataFrame
        A codings table read with the corpus (``segment_id`` filled).
    corpus : corpus.Corpus
        The corpus the codings refer to.
    coders : sequence of str, optional
        Exactly these coders (at least two). A machine coder is named by its
        ``model_version`` (the ``coder`` of its rows with ``source ==
        "prediction"``), e.g. ``coders=["coder_a", "coder_b",
        "qualquant-lda-k8-seed0-segment"]``. Default: every *human* coder
        (rows with ``source == "human"``) in the codings and ``annotations``;
        predictions are left out unless ``include_predictions`` is set.
    level : {"segment", "span"}
        Units: segments (code present/absent) or characters (NVivo-style).
    roles : sequence of str or None
        Roles of the segments that are units (participant turns by default; None = all).
    codebook : coding.Codebook, optional
        Codes (in codebook order, including codes nobody applied) and facets.
    codes : sequence of str, optional
        Exactly these codes.
    annotations : pandas.DataFrame, optional
        Which coder coded which transcript (columns ``coder, transcript_id`` and
        optionally ``segment_id``; ``read_export(...).annotations``). Without it a
        coder covers the transcripts where they have codings.
    include_predictions : bool
        With the default ``coders``, also compare every prediction coder
        (``source == "prediction"``, one coder per ``model_version``) as one
        more coder, after the human coders; with three or more coders Fleiss'
        kappa is reported instead of Cohen's. Ignored when ``coders`` is
        given. Like a human coder, a model covers only the transcripts (or
        segments) where it has predictions (or annotation rows); elsewhere it
        is missing, not "absent".
    n_boot : int
        Bootstrap replicates (0 = no confidence intervals).
    seed : int
        Seed of the bootstrap.
    ci_level : float
        Confidence level of the percentile intervals.

    Returns
    -------
    pandas.DataFrame
        One row per code, then an ``overall`` row; columns :data:`AGREEMENT_COLUMNS`:

        - ``code``, ``facet`` (None without a codebook), ``level``;
        - ``n_units``: units coded by two or more coders (segments, or characters
          at span level; for ``overall``: units x codes);
        - ``n_units_complete``: units coded by every coder;
        - ``n_coders``; ``n_applied``: coder x unit values that are 1;
        - ``percent_agreement`` (0-100), ``cohen_kappa`` (two coders, else NaN),
          ``fleiss_kappa`` (three or more, else NaN), ``krippendorff_alpha``;
        - ``ci_low``, ``ci_high``: bootstrap interval of alpha;
          ``kappa_ci_low``, ``kappa_ci_high``: of the kappa reported;
        - ``ci_level``, ``n_boot``;
        - ``n_boot_valid``: resamples in which alpha is defined (the code both
          occurs and is absent in the resample); ``ci_low``/``ci_high`` are
          percentiles of these only;
        - ``coders``: the coders compared, ``"; "``-joined;
        - ``note``: empty, or a warning when ``n_boot_valid < n_boot`` (or the
          kappa interval rests on fewer resamples than ``n_boot``) saying how
          many resamples were set aside.

    Raises
    ------
    AgreementError
        Fewer than two coders, an unknown level, bad ``n_boot``/``ci_level``,
        or ``include_predictions=True`` with no prediction in the codings.
    CodingError
        The codings cannot be placed on the corpus (see :func:`qualquant.coding.matrices.check_codings`).

    Notes
    -----
    A resample in which a code does not vary (drawn segments where nobody, or
    everybody, applied it) has no defined alpha or kappa; such resamples are
    set aside, so the interval is *conditional on the code occurring (and
    varying) in the resample*. For a rare code (e.g. applied in 2 of 20
    segments) many resamples are set aside and the interval is narrower than
    an unconditional one would be; ``n_boot_valid`` and ``note`` say so.
    """
    if level not in ("segment", "span"):
        raise AgreementError(f"Unknown agreement level {level!r}; use 'segment' or 'span'.")
    if int(n_boot) != n_boot or n_boot < 0:
        raise AgreementError(f"n_boot must be a whole number >= 0, not {n_boot!r}.")
    if not 0 < ci_level < 1:
        raise AgreementError(f"ci_level must be between 0 and 1, not {ci_level!r}.")
    coder_list, units, code_list, cover = _prepare(
        codings, corpus, coders, roles, codes, codebook, annotations, "agreement_table", include_predictions
    )
    n_coders = len(coder_list)

    if level == "segment":
        data = _presence(codings, units, coder_list, code_list)
        clusters = np.arange(len(units))
        unit_cover = cover
    else:
        data, clusters, _ = _char_coverage(codings, units, coder_list, code_list)
        unit_cover = cover[clusters]
    # Resample only segments coded by two or more coders (the others carry no information).
    seg_pairable = cover.sum(axis=1) >= 2
    cluster_ids = np.cumsum(seg_pairable) - 1
    keep = seg_pairable[clusters]
    clusters = cluster_ids[clusters[keep]]
    unit_cover = unit_cover[keep]
    n_clusters = int(seg_pairable.sum())
    weights = bootstrap_weights(n_clusters, int(n_boot), seed)

    records = []
    total_sums = np.zeros((n_clusters, N_FEATURES))
    stacked = []
    for code in code_list:
        x = np.where(unit_cover, data[code][keep].astype(float), np.nan)
        feats = cluster_sums(unit_features(x), clusters, n_clusters)
        total_sums += feats
        stacked.append(x)
        records.append(
            _row(code, facet_of(codebook, code), level, x, feats, weights, n_coders, coder_list, ci_level, int(n_boot))
        )
    x_all = np.vstack(stacked) if stacked else np.zeros((0, n_coders))
    records.append(_row(OVERALL, None, level, x_all, total_sums, weights, n_coders, coder_list, ci_level, int(n_boot)))
    out = pd.DataFrame(records, columns=list(AGREEMENT_COLUMNS))
    for column in ("n_units", "n_units_complete", "n_coders", "n_applied", "n_boot", "n_boot_valid"):
        out[column] = out[column].astype("int64")
    return out


def _row(
    code: str,
    facet: str | None,
    level: str,
    x: np.ndarray,
    cluster_sums: np.ndarray,
    weights: np.ndarray,
    n_coders: int,
    coders: Sequence[str],
    ci_level: float,
    n_boot: int,
) -> dict[str, object]:
    m = (~np.isnan(x)).sum(axis=1)
    point = point_estimates(x, m)
    reps = stats_from_sums(weights @ cluster_sums, n_coders) if len(weights) else None
    a_lo = a_hi = k_lo = k_hi = float("nan")
    n_valid = 0
    note = ""
    if reps is not None:
        a_lo, a_hi = percentile_ci(reps["krippendorff_alpha"], ci_level)
        kappa = reps["cohen_kappa"] if n_coders == 2 else reps["fleiss_kappa"]
        k_lo, k_hi = percentile_ci(kappa, ci_level)
        n_valid = int((~np.isnan(reps["krippendorff_alpha"])).sum())
        k_valid = int((~np.isnan(kappa)).sum())
        note = _bootstrap_note(n_boot, n_valid, k_valid, "Cohen's" if n_coders == 2 else "Fleiss'")
    return {
        "code": code,
        "facet": facet,
        "level": level,
        "n_units": int((m >= 2).sum()),
        "n_units_complete": int((m == n_coders).sum()),
        "n_coders": n_coders,
        "n_applied": int(np.nansum(x[m >= 2])),
        **point,
        "ci_low": a_lo,
        "ci_high": a_hi,
        "kappa_ci_low": k_lo,
        "kappa_ci_high": k_hi,
        "ci_level": ci_level,
        "n_boot": n_boot,
        "n_boot_valid": n_valid,
        "coders": "; ".join(coders),
        "note": note,
    }


def _bootstrap_note(n_boot: int, n_valid: int, k_valid: int, kappa_name: str) -> str:
    """Warning for a row whose intervals rest on fewer than ``n_boot`` resamples ("" if none)."""
    parts = []
    if n_valid < n_boot:
        which = "alpha and kappa CIs" if k_valid == n_valid else "alpha CI"
        parts.append(
            f"{which} from {n_valid} of {n_boot} bootstrap resamples: in {n_boot - n_valid} the code "
            "did not vary (never or always applied), so agreement was undefined and they were set "
            "aside; the interval is conditional on the code occurring in the resample"
        )
    if k_valid < n_boot and k_valid != n_valid:
        parts.append(f"{kappa_name} kappa CI from {k_valid} of {n_boot} resamples (kappa undefined in the rest)")
    return "; ".join(parts)


def span_agreement(
    codings: pd.DataFrame,
    corpus: Corpus,
    *,
    coders: Sequence[str] | None = None,
    roles: Sequence[str] | None = ("participant",),
    codebook: Codebook | None = None,
    codes: Sequence[str] | None = None,
    annotations: pd.DataFrame | None = None,
    include_predictions: bool = False,
) -> pd.DataFrame:
    """Character-level agreement per coder pair, transcript and code (NVivo's coding comparison).

    For each pair of coders, each transcript both coded and each code, the
    characters of the transcript's ``roles`` segments are counted as coded by A
    only, by B only, by both or by neither.

    Parameters
    ----------
    codings, corpus, coders, roles, codebook, codes, annotations, include_predictions
        As in :func:`agreement_table`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SPAN_AGREEMENT_COLUMNS`: ``coder_a, coder_b,
        transcript_id, code, facet, n_chars, chars_a_only, chars_b_only,
        chars_both, chars_neither``, ``percent_agreement`` =
        ``100 * (both + neither) / n_chars`` and ``kappa`` =
        ``(p_o - p_e) / (1 - p_e)`` with ``p_e`` from the two coders' marginal
        proportions of coded characters (NaN when ``p_e == 1``, i.e. both coded
        nothing or everything). Pairs in coder order, transcripts in corpus
        order, codes in codebook order.

    Raises
    ------
    AgreementError, CodingError
        As :func:`agreement_table`.
    """
    coder_list, units, code_list, cover = _prepare(
        codings, corpus, coders, roles, codes, codebook, annotations, "span_agreement", include_predictions
    )
    data, seg_of_char, _ = _char_coverage(codings, units, coder_list, code_list)
    transcripts = units["transcript_id"].to_numpy()
    order = list(dict.fromkeys(transcripts))
    records = []
    for ia, ib in combinations(range(len(coder_list)), 2):
        both_cover = cover[:, ia] & cover[:, ib]
        for tid in order:
            segs = both_cover & (transcripts == tid)
            if not segs.any():
                continue
            chars = segs[seg_of_char]
            n = int(chars.sum())
            for code in code_list:
                a = data[code][chars, ia]
                b = data[code][chars, ib]
                both = int((a & b).sum())
                a_only = int((a & ~b).sum())
                b_only = int((~a & b).sum())
                neither = n - both - a_only - b_only
                po = (both + neither) / n if n else float("nan")
                pa, pb = (both + a_only) / n if n else 0.0, (both + b_only) / n if n else 0.0
                pe = pa * pb + (1 - pa) * (1 - pb)
                kappa = (po - pe) / (1 - pe) if n and pe < 1 - 1e-12 else float("nan")
                records.append(
                    (
                        coder_list[ia],
                        coder_list[ib],
                        tid,
                        code,
                        facet_of(codebook, code),
                        n,
                        a_only,
                        b_only,
                        both,
                        neither,
                        100.0 * po if n else float("nan"),
                        kappa,
                    )
                )
    out = pd.DataFrame(records, columns=list(SPAN_AGREEMENT_COLUMNS))
    for column in ("n_chars", "chars_a_only", "chars_b_only", "chars_both", "chars_neither"):
        out[column] = out[column].astype("int64")
    return out


def disagreements(
    codings: pd.DataFrame,
    corpus: Corpus,
    *,
    coders: Sequence[str] | None = None,
    roles: Sequence[str] | None = ("participant",),
    codebook: Codebook | None = None,
    codes: Sequence[str] | None = None,
    annotations: pd.DataFrame | None = None,
    include_predictions: bool = False,
    excerpt_chars: int = 300,
) -> pd.DataFrame:
    """Segments where the coders who coded them disagree on a code, for adjudication.

    Parameters
    ----------
    codings, corpus, coders, roles, codebook, codes, annotations, include_predictions
        As in :func:`agreement_table`.
    excerpt_chars : int
        The segment text is cut to this many characters (an ellipsis marks the cut).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DISAGREEMENT_COLUMNS`: ``transcript_id, segment_id, code,
        facet``, ``coders_applied`` / ``coders_not_applied`` / ``coders_missing``
        (coder names joined with ``"; "``; missing = did not code the
        transcript), and ``text`` (the segment excerpt). One row per segment and
        code with at least one coder applying and one not applying it; segments
        in corpus order, codes in codebook order.

    Raises
    ------
    AgreementError, CodingError
        As :func:`agreement_table`.
    """
    coder_list, units, code_list, cover = _prepare(
        codings, corpus, coders, roles, codes, codebook, annotations, "disagreements", include_predictions
    )
    data = _presence(codings, units, coder_list, code_list)
    records = []
    texts = units["text"].to_numpy()
    for i, (tid, sid) in enumerate(zip(units["transcript_id"], units["segment_id"])):
        covered = cover[i]
        if covered.sum() < 2:
            continue
        text = texts[i] if len(texts[i]) <= excerpt_chars else texts[i][:excerpt_chars].rstrip() + "…"
        for code in code_list:
            applied = data[code][i] & covered
            not_applied = ~data[code][i] & covered
            if applied.any() and not_applied.any():
                records.append(
                    (
                        tid,
                        sid,
                        code,
                        facet_of(codebook, code),
                        "; ".join(c for c, f in zip(coder_list, applied) if f),
                        "; ".join(c for c, f in zip(coder_list, not_applied) if f),
                        "; ".join(c for c, f in zip(coder_list, covered) if not f),
                        text,
                    )
                )
    return pd.DataFrame(records, columns=list(DISAGREEMENT_COLUMNS))
