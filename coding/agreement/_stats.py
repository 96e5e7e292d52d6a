"""Agreement statistics on plain data: long tables and binary unit matrices.

The public functions (:func:`krippendorff_alpha`, :func:`cohen_kappa`,
:func:`fleiss_kappa`) take a long table (one row per unit x coder) and are
re-exported by :mod:`qualquant.coding.agreement`, which applies them to codings.

The rest serves :func:`qualquant.coding.agreement.agreement_table`: for binary data
(units x coders, 1/0, NaN = missing) each unit contributes additive features
(:func:`unit_features`), so a statistic over any weighted set of units -- in
particular a bootstrap resample -- follows from weighted sums of the features
(:func:`stats_from_sums`) without refitting. The point estimates themselves come
from the reference packages (:func:`point_estimates`); the tests check that the
closed forms and the packages agree.

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

import warnings
from typing import Literal, TypeGuard

import krippendorff
import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as _sm_fleiss_kappa

from qualquant.coding.errors import AgreementError

__all__ = [
    "LEVELS",
    "bootstrap_weights",
    "cluster_sums",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "percentile_ci",
    "point_estimates",
    "stats_from_sums",
    "unit_features",
]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")


def _is_level(level: str) -> TypeGuard[Level]:
    return level in LEVELS


# ------------------------------------------------------------ long tables


def _plain(value: object) -> object:
    """A numpy scalar as the plain Python value (for messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _long_matrix(data: pd.DataFrame, unit: str, coder: str, value: str, what: str) -> pd.DataFrame:
    """Pivot a long table (one row per unit x coder) to coders x units, NaN = missing."""
    if not isinstance(data, pd.DataFrame):
        raise AgreementError(f"{what}: data must be a pandas DataFrame in long form, not {type(data).__name__}.")
    missing = [c for c in (unit, coder, value) if c not in data.columns]
    if missing:
        raise AgreementError(
            f"{what}: column(s) {', '.join(map(repr, missing))} not in the data; it has "
            f"{', '.join(map(str, data.columns))}."
        )
    rows = data[[unit, coder, value]]
    rows = rows[rows[value].notna()]
    dup = rows.duplicated([unit, coder], keep=False)
    if dup.any():
        first = rows[dup].iloc[0]
        n = int((dup & (rows[unit] == first[unit]) & (rows[coder] == first[coder])).sum())
        raise AgreementError(
            f"{what}: coder {_plain(first[coder])!r} has {n} values for unit {_plain(first[unit])!r}; "
            "give one value per unit and coder."
        )
    return rows.pivot(index=coder, columns=unit, values=value)


def krippendorff_alpha(
    data: pd.DataFrame,
    *,
    unit: str,
    coder: str,
    value: str,
    level: str = "nominal",
) -> float:
    """Krippendorff's alpha from a long table (one row per unit x coder).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per value: the unit, the coder and the value. A missing value
        (NaN/None) or an absent row means the coder did not code the unit.
    unit, coder, value : str
        Column names.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement (the distance metric). Nominal values may be any
        hashable labels; ordinal values must be numbers or an ordered
        categorical (its category order is the rank order); interval and ratio
        values must be numbers.

    Returns
    -------
    float
        Alpha; NaN when it is undefined (fewer than two distinct values among
        units coded by at least two coders).

    Raises
    ------
    AgreementError
        Missing columns, an unknown level, several values of one coder for one
        unit, or non-numeric values for ordinal/interval/ratio.

    Notes
    -----
    ``alpha = 1 - D_o / D_e`` (observed over expected disagreement, from the
    coincidence matrix of pairable values), computed with the ``krippendorff``
    package. Checked against the worked example of Krippendorff (2011): 4
    observers x 12 units with missing values, nominal alpha = 0.743 (also the
    ordinal, interval and ratio values given there).

    References
    ----------
    Krippendorff, K. (2011). *Computing Krippendorff's alpha-reliability*.
    Annenberg School for Communication, University of Pennsylvania.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"unit": [1, 1, 2, 2, 3, 3], "coder": list("ABABAB"),
    ...                      "value": ["x", "x", "y", "y", "x", "y"]})
    >>> round(krippendorff_alpha(long, unit="unit", coder="coder", value="value"), 3)
    0.444
    """
    if not _is_level(level):
        raise AgreementError(f"Unknown level {level!r}; use one of {', '.join(LEVELS)}.")
    what = "krippendorff_alpha"
    values = data[value] if isinstance(data, pd.DataFrame) and value in data.columns else None
    if values is not None and level != "nominal":
        if isinstance(values.dtype, pd.CategoricalDtype):
            if level != "ordinal" or not values.cat.ordered:
                raise AgreementError(
                    f"{what}: column {value!r} is categorical; use an ordered categorical for "
                    "level='ordinal' or numbers for interval/ratio."
                )
            codes = values.cat.codes.astype(float).where(values.notna())
            data = data.assign(**{value: codes})
        else:
            numeric = pd.to_numeric(values, errors="coerce")
            bad = values.notna() & numeric.isna()
            if bad.any():
                raise AgreementError(
                    f"{what}: level={level!r} needs numbers, but column {value!r} holds "
                    f"{_plain(values[bad].iloc[0])!r} (row {_plain(values[bad].index[0])!r})."
                )
            data = data.assign(**{value: numeric.astype(float)})
    matrix = _long_matrix(data, unit, coder, value, what)
    if level == "nominal":
        observed = pd.Series(matrix.to_numpy(dtype=object).ravel()).dropna()
        labels = sorted(pd.unique(observed), key=lambda v: (str(type(v)), v))
        mapping = {v: float(i) for i, v in enumerate(labels)}
        numeric = matrix.apply(lambda col: col.map(mapping)).to_numpy(dtype=float)
    else:
        numeric = matrix.to_numpy(dtype=float)
    pairable = (~np.isnan(numeric)).sum(axis=0) >= 2
    numeric = numeric[:, pairable]
    domain = np.unique(numeric[~np.isnan(numeric)])
    if numeric.shape[1] == 0 or len(domain) < 2:
        return float("nan")
    return float(krippendorff.alpha(reliability_data=numeric, value_domain=domain, level_of_measurement=level))


def _complete_matrix(data: pd.DataFrame, unit: str, coder: str, value: str, what: str) -> pd.DataFrame:
    matrix = _long_matrix(data, unit, coder, value, what).T  # units x coders
    return matrix.dropna(axis=0, how="any")


def cohen_kappa(data: pd.DataFrame, *, unit: str, coder: str, value: str) -> float:
    """Cohen's kappa for two coders from a long table.

    Units not coded by both coders are left out.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit x coder.
    unit, coder, value : str
        Column names.

    Returns
    -------
    float
        ``(p_o - p_e) / (1 - p_e)`` (:func:`sklearn.metrics.cohen_kappa_score`);
        NaN when ``p_e == 1``.

    Raises
    ------
    AgreementError
        Not exactly two coders, or no unit coded by both.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"unit": [1, 1, 2, 2, 3, 3, 4, 4], "coder": list("ABABABAB"),
    ...                      "value": [1, 1, 0, 0, 1, 0, 0, 0]})
    >>> round(cohen_kappa(long, unit="unit", coder="coder", value="value"), 3)
    0.5
    """
    matrix = _complete_matrix(data, unit, coder, value, "cohen_kappa")
    if matrix.shape[1] != 2:
        raise AgreementError(
            f"cohen_kappa needs exactly two coders with shared units; found {matrix.shape[1]} "
            "(use fleiss_kappa or krippendorff_alpha for more)."
        )
    if matrix.empty:
        raise AgreementError("cohen_kappa: no unit was coded by both coders.")
    a, b = matrix.iloc[:, 0].to_numpy(), matrix.iloc[:, 1].to_numpy()
    return _cohen(a, b)


def _cohen(a: np.ndarray, b: np.ndarray) -> float:
    labels = sorted(set(a.tolist()) | set(b.tolist()), key=lambda v: (str(type(v)), v))
    if len(labels) < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(cohen_kappa_score(a, b, labels=labels))


def fleiss_kappa(data: pd.DataFrame, *, unit: str, coder: str, value: str) -> float:
    """Fleiss' kappa for any number of coders from a long table.

    Units not coded by every coder are left out (Fleiss' kappa needs the same
    number of ratings per unit).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit x coder.
    unit, coder, value : str
        Column names.

    Returns
    -------
    float
        ``(P_bar - P_e) / (1 - P_e)`` (:func:`statsmodels.stats.inter_rater.fleiss_kappa`);
        NaN when ``P_e == 1``.

    Raises
    ------
    AgreementError
        Fewer than two coders, or no unit coded by all of them.

    Notes
    -----
    Checked against Fleiss (1971): 30 patients x 6 psychiatrists, 5 diagnoses,
    kappa = 0.430; and the 10 subjects x 14 raters example reproduced on
    Wikipedia's "Fleiss' kappa" page, kappa = 0.210.
    """
    matrix = _complete_matrix(data, unit, coder, value, "fleiss_kappa")
    if matrix.shape[1] < 2:
        raise AgreementError(f"fleiss_kappa needs at least two coders; found {matrix.shape[1]}.")
    if matrix.empty:
        raise AgreementError("fleiss_kappa: no unit was coded by every coder.")
    table, _ = aggregate_raters(matrix.to_numpy())
    return _fleiss_from_table(table)


def _fleiss_from_table(table: np.ndarray) -> float:
    table = np.asarray(table, dtype=float)
    p = table.sum(axis=0) / table.sum()
    if np.isclose((p**2).sum(), 1.0):
        return float("nan")
    return float(_sm_fleiss_kappa(table, method="fleiss"))


# ---------------------------------------------------- binary closed forms

_F_PAIR, _F_PA, _F_N, _F_N1, _F_O01, _F_COMPLETE, _F_PU, _F_ONES_C, _F_A, _F_B, _F_C, _F_D = range(12)
N_FEATURES = 12


def unit_features(x: np.ndarray) -> np.ndarray:
    """Per-unit additive features of binary data ``x`` (units x coders, NaN = missing)."""
    n_units, n_coders = x.shape
    present = ~np.isnan(x)
    m = present.sum(axis=1).astype(float)
    k = np.nansum(x, axis=1)
    pair = m >= 2
    complete = m == n_coders
    f = np.zeros((n_units, N_FEATURES))
    with np.errstate(divide="ignore", invalid="ignore"):
        agree_pairs = (k * (k - 1) + (m - k) * (m - k - 1)) / (m * (m - 1))
        o01 = k * (m - k) / (m - 1)
    f[:, _F_PAIR] = pair
    f[:, _F_PA] = np.where(pair, agree_pairs, 0.0)
    f[:, _F_N] = np.where(pair, m, 0.0)
    f[:, _F_N1] = np.where(pair, k, 0.0)
    f[:, _F_O01] = np.where(pair, o01, 0.0)
    f[:, _F_COMPLETE] = complete
    if n_coders >= 2:
        pu = (k * (k - 1) + (n_coders - k) * (n_coders - k - 1)) / (n_coders * (n_coders - 1))
        f[:, _F_PU] = np.where(complete, pu, 0.0)
    f[:, _F_ONES_C] = np.where(complete, k, 0.0)
    if n_coders == 2:
        a, b = np.nan_to_num(x[:, 0]), np.nan_to_num(x[:, 1])
        f[:, _F_A] = np.where(complete, a * b, 0.0)
        f[:, _F_B] = np.where(complete, a * (1 - b), 0.0)
        f[:, _F_C] = np.where(complete, (1 - a) * b, 0.0)
        f[:, _F_D] = np.where(complete, (1 - a) * (1 - b), 0.0)
    return f


def stats_from_sums(s: np.ndarray, n_coders: int) -> dict[str, np.ndarray]:
    """Percent agreement, alpha, Cohen's and Fleiss' kappa from summed features (..., F)."""
    s = np.asarray(s, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pa = 100.0 * s[..., _F_PA] / s[..., _F_PAIR]
        n, n1 = s[..., _F_N], s[..., _F_N1]
        n0 = n - n1
        denom = n0 * n1
        alpha = np.where(denom > 0, 1.0 - (n - 1.0) * s[..., _F_O01] / denom, np.nan)
        nc = s[..., _F_COMPLETE]
        pbar = s[..., _F_PU] / nc
        p1 = s[..., _F_ONES_C] / (nc * n_coders)
        pe_f = p1**2 + (1 - p1) ** 2
        fleiss = np.where((nc > 0) & (pe_f < 1 - 1e-12), (pbar - pe_f) / (1 - pe_f), np.nan)
        a, b, c, d = s[..., _F_A], s[..., _F_B], s[..., _F_C], s[..., _F_D]
        tot = a + b + c + d
        po = (a + d) / tot
        pe_c = ((a + b) * (a + c) + (c + d) * (b + d)) / tot**2
        cohen = np.where((tot > 0) & (pe_c < 1 - 1e-12), (po - pe_c) / (1 - pe_c), np.nan)
    if n_coders != 2:
        cohen = np.full_like(alpha, np.nan)
    if n_coders < 3:
        fleiss = np.full_like(alpha, np.nan)
    return {"percent_agreement": pa, "krippendorff_alpha": alpha, "fleiss_kappa": fleiss, "cohen_kappa": cohen}


def cluster_sums(features: np.ndarray, clusters: np.ndarray, n_clusters: int) -> np.ndarray:
    """Sum the rows of ``features`` per cluster: an ``(n_clusters, n_features)`` array (clusters 0..n-1)."""
    out = np.zeros((n_clusters, features.shape[1]))
    for j in range(features.shape[1]):
        out[:, j] = np.bincount(clusters, weights=features[:, j], minlength=n_clusters)
    return out


def bootstrap_weights(n_clusters: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n_clusters) resampling counts: clusters drawn with replacement."""
    if n_boot <= 0 or n_clusters == 0:
        return np.zeros((0, n_clusters))
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_clusters, size=(n_boot, n_clusters))
    flat = (draws + np.arange(n_boot)[:, None] * n_clusters).ravel()
    return np.bincount(flat, minlength=n_boot * n_clusters).reshape(n_boot, n_clusters).astype(float)


def point_estimates(x: np.ndarray, m: np.ndarray | None = None) -> dict[str, float]:
    """Statistics of binary ``x`` (units x coders, NaN = missing) with the reference packages.

    Percent agreement (no package needed: a mean of agreeing-pair shares) comes
    from the unit features.
    """
    n_coders = x.shape[1]
    if m is None:
        m = (~np.isnan(x)).sum(axis=1)
    pairable = x[m >= 2]
    complete = x[m == n_coders]
    pa = float("nan")
    if len(pairable):
        k = np.nansum(pairable, axis=1)
        mm = m[m >= 2].astype(float)
        pa = float(100.0 * np.mean((k * (k - 1) + (mm - k) * (mm - k - 1)) / (mm * (mm - 1))))
    values = pairable[~np.isnan(pairable)]
    if len(pairable) and 0 < values.sum() < len(values):
        alpha = float(
            krippendorff.alpha(reliability_data=pairable.T, value_domain=[0.0, 1.0], level_of_measurement="nominal")
        )
    else:
        alpha = float("nan")
    cohen = fleiss = float("nan")
    if len(complete):
        if n_coders == 2:
            cohen = _cohen(complete[:, 0].astype(int), complete[:, 1].astype(int))
        elif n_coders >= 3:
            ones = complete.sum(axis=1)
            fleiss = _fleiss_from_table(np.column_stack([n_coders - ones, ones]))
    return {"percent_agreement": pa, "krippendorff_alpha": alpha, "cohen_kappa": cohen, "fleiss_kappa": fleiss}


def percentile_ci(reps: np.ndarray, ci_level: float) -> tuple[float, float]:
    """Percentile interval of the defined (non-NaN) bootstrap replicates.

    Notes
    -----
    Replicates where the statistic is undefined (the code does not vary in the
    resample) are set aside, so the interval is conditional on the code
    occurring in the resample; callers report how many replicates were used
    (``n_boot_valid`` in :func:`qualquant.coding.agreement.agreement_table`).
    """
    reps = reps[~np.isnan(reps)]
    if len(reps) == 0:
        return float("nan"), float("nan")
    tail = 100.0 * (1.0 - ci_level) / 2.0
    low, high = np.percentile(reps, [tail, 100.0 - tail])
    return float(low), float(high)
