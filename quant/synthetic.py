"""The synthetic demo survey: 787 repatriates modelled on the seed study's tables.

:func:`make_repatriate_survey` builds, deterministically from a seed, a survey
that reproduces the published marginal counts of the seed study's Table 1
exactly, the Spearman correlation matrix of its Table 3 within 0.05, and
associations between the sense of belonging and the socio-demographic factors
that are significant in the directions the paper describes (Table 2 and the
legal-status test). :func:`write_demo_survey` writes it as an SPSS ``.sav``
with labels and as a ``.csv`` with value labels as text.

The data are synthetic: no respondent of the study is in them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from qualquant.io import atomic_write, atomic_write_bytes
from qualquant.quant.errors import ModelFitError
from qualquant.quant.survey import Survey, SurveyMeta

__all__ = [
    "DEFAULT_SEED",
    "FACTORS",
    "ITEMS",
    "TABLE3_SPEARMAN",
    "make_repatriate_survey",
    "write_demo_survey",
]

DEFAULT_SEED = 787
N_RESPONDENTS = 787


@dataclass(frozen=True, slots=True)
class Category:
    """One answer category: code, label, count (factors) or share (items), belonging score."""

    code: int
    label: str
    size: float
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class Variable:
    """One survey variable of the demo survey."""

    name: str
    label: str
    measure: str
    categories: tuple[Category, ...]
    target_chi2: float = 0.0


def _cats(*rows: tuple) -> tuple[Category, ...]:
    return tuple(Category(*row) for row in rows)


# Socio-demographic factors. Counts: seed Table 1 (N = 787). Scores: the order
# of belonging the paper reports (higher score = stronger belonging; equal
# scores = no order reported). target_chi2: the seed's Table 2 (legal status:
# the text, chi2 = 35.48); the generator tunes the strength of each
# association towards it.
FACTORS: tuple[Variable, ...] = (
    Variable("gender", "Gender", "nominal", _cats((1, "Male", 295, 1), (2, "Female", 492, 2)), 22.14),
    Variable(
        "age_group",
        "Age",
        "ordinal",
        _cats(
            (1, "18–24", 41, 6),
            (2, "25–34", 103, 5),
            (3, "35–44", 333, 4),
            (4, "45–54", 130, 3),
            (5, "55–64", 158, 2),
            (6, "65+", 22, 1),
        ),
        475.47,
    ),
    Variable(
        "residence",
        "Place of residence",
        "nominal",
        _cats(
            (1, "Taldykorgan (urban – regional capital)", 219, 3),
            (2, "Tekeli (urban – city of regional significance)", 100, 3),
            (3, "Panfilov district (Zharkent) (semi-urban – district centre)", 40, 2),
            (4, "Sarkand (semi-urban – district centre)", 15, 2),
            (5, "Alakol District (Usharal) (semi-urban – district centre)", 50, 2),
            (6, "Karatal District (Ushtobe) (semi-urban – district centre)", 226, 2),
            (7, "Aksu District (rural)", 19, 1),
            (8, "Eskeldi District (rural)", 56, 1),
            (9, "Kerbulak District (rural)", 14, 1),
            (10, "Koksu District (rural)", 48, 1),
        ),
        210.33,
    ),
    Variable(
        "marital_status",
        "Marital status",
        "nominal",
        _cats(
            (1, "Single (never married)", 131, 2), (2, "Married", 549, 3), (3, "Divorced", 73, 1), (4, "Widowed", 34, 1)
        ),
        101.51,
    ),
    Variable(
        "children",
        "Number of children",
        "ordinal",
        _cats(
            (1, "No children", 141, 1),
            (2, "1–2 children", 234, 2),
            (3, "3–4 children", 272, 3),
            (4, "More than 4 children", 140, 4),
        ),
        80.22,
    ),
    Variable(
        "education",
        "Education",
        "ordinal",
        _cats(
            (1, "No formal education", 17, 1),
            (2, "Primary and general secondary education", 91, 2),
            (3, "Secondary vocational education (college)", 169, 3),
            (4, "Higher education (bachelor's degree)", 426, 4),
            (5, "Postgraduate education (master's, doctoral)", 84, 5),
        ),
        155.77,
    ),
    Variable(
        "employment",
        "Employment status",
        "nominal",
        _cats(
            (1, "Employee in the public sector", 237, 4),
            (2, "Employee in the private sector", 74, 3),
            (3, "Entrepreneur", 108, 3),
            (4, "Self-employed", 52, 2),
            (5, "Student", 138, 4),
            (6, "Homemaker", 60, 2),
            (7, "Pensioner", 29, 1),
            (8, "Unemployed", 37, 1),
            (9, "Other", 52, 2),
        ),
        187.94,
    ),
    Variable(
        "material_situation",
        "Material situation",
        "ordinal",
        _cats(
            (1, "Insufficient even for food", 40, 1),
            (2, "Enough for food, but buying clothes is difficult", 91, 2),
            (3, "Enough for daily expenses, but large purchases are difficult", 247, 3),
            (4, "Enough for all necessities, but cannot afford a car or housing", 218, 4),
            (5, "Enough for everything, including expensive purchases (car, housing, etc.)", 125, 5),
            (9, "Difficult to answer", 66, 3),
        ),
        92.88,
    ),
    Variable(
        "country_of_origin",
        "Country of residence before migration",
        "nominal",
        _cats(
            (1, "China (PRC)", 568, 3),
            (2, "Uzbekistan", 85, 1),
            (3, "Mongolia", 50, 3),
            (4, "Russia", 56, 1),
            (5, "Kyrgyzstan", 20, 2),
            (6, "Turkmenistan", 8, 2),
        ),
        160.65,
    ),
    # Legal status: the paper reports no counts; these are invented.
    Variable(
        "legal_status",
        "Legal status in Kazakhstan",
        "nominal",
        _cats(
            (1, "Citizenship of Kazakhstan", 512, 3),
            (2, "Permanent residence permit", 181, 2),
            (3, "Temporary residence permit", 94, 1),
        ),
        35.48,
    ),
)

# The ten Table 3 indicators in the table's order; belonging first. Wording:
# the seed's Table 3 (belonging: the note under Table 2). Answer scales and
# their shares are not published; they are plausible inventions, coded so that
# a higher code is the more integrated answer (which is what makes the
# published positive correlations among access to services, administrative
# difficulties and discrimination coherent).
ITEMS: tuple[Variable, ...] = (
    Variable(
        "belonging",
        "Do you feel yourself to be part of the local community?",
        "ordinal",
        _cats(
            (1, "Not at all", 0.09),
            (2, "Rather not", 0.15),
            (3, "Partly", 0.22),
            (4, "Rather yes", 0.31),
            (5, "Completely", 0.23),
        ),
    ),
    Variable(
        "close_local_friends",
        "How many close friends do you have among local residents?",
        "ordinal",
        _cats((1, "None", 0.18), (2, "One or two", 0.34), (3, "Three to five", 0.30), (4, "More than five", 0.18)),
    ),
    Variable(
        "understand_cultural_norms",
        "How well do you understand local cultural norms and traditions?",
        "ordinal",
        _cats(
            (1, "Not at all", 0.04), (2, "Poorly", 0.10), (3, "Partly", 0.24), (4, "Well", 0.39), (5, "Very well", 0.23)
        ),
    ),
    Variable(
        "free_time_with_locals",
        "How often do you spend your free time with local residents?",
        "ordinal",
        _cats(
            (1, "Never", 0.07), (2, "Rarely", 0.20), (3, "Sometimes", 0.34), (4, "Often", 0.27), (5, "Very often", 0.12)
        ),
    ),
    Variable(
        "cultural_events",
        "How often do you participate in local cultural events?",
        "ordinal",
        _cats((1, "Never", 0.22), (2, "Rarely", 0.35), (3, "Sometimes", 0.30), (4, "Often", 0.13)),
    ),
    Variable(
        "ngo_participation",
        "Do you participate in the activities of local public or non-governmental organizations?",
        "ordinal",
        _cats((1, "No, never", 0.62), (2, "Occasionally", 0.28), (3, "Regularly", 0.10)),
    ),
    Variable(
        "gov_services_access",
        "How do you assess the accessibility of government services?",
        "ordinal",
        _cats(
            (1, "Very difficult to access", 0.08),
            (2, "Rather difficult to access", 0.19),
            (3, "Neither easy nor difficult", 0.30),
            (4, "Rather easy to access", 0.30),
            (5, "Very easy to access", 0.13),
        ),
    ),
    Variable(
        "admin_difficulties",
        "Have you experienced difficulties in completing administrative procedures or obtaining legal status?",
        "ordinal",
        _cats((1, "Yes, often", 0.17), (2, "Yes, sometimes", 0.33), (3, "Rarely", 0.25), (4, "No, never", 0.25)),
    ),
    Variable(
        "discrimination",
        "Have you experienced discrimination because you are a repatriate?",
        "ordinal",
        _cats((1, "Yes, often", 0.08), (2, "Yes, sometimes", 0.22), (3, "Rarely", 0.25), (4, "No, never", 0.45)),
    ),
    Variable(
        "identity_comfort",
        "How comfortable do you feel expressing your cultural identity?",
        "ordinal",
        _cats(
            (1, "Very uncomfortable", 0.05),
            (2, "Rather uncomfortable", 0.12),
            (3, "Neutral", 0.25),
            (4, "Rather comfortable", 0.35),
            (5, "Very comfortable", 0.23),
        ),
    ),
)

# Seed Table 3 (lower triangle, SPSS ",368" written as .368), items in ITEMS order.
_TABLE3_LOWER = (
    (),
    (0.368,),
    (0.351, 0.280),
    (0.184, 0.088, 0.227),
    (0.013, 0.013, 0.197, 0.287),
    (-0.044, 0.037, 0.189, 0.208, 0.230),
    (0.116, -0.015, 0.084, 0.085, 0.036, 0.053),
    (0.061, 0.010, 0.007, -0.002, -0.021, -0.005, 0.301),
    (0.105, 0.004, 0.022, 0.029, 0.008, 0.003, 0.308, 0.324),
    (0.078, -0.045, 0.028, 0.038, 0.039, 0.011, 0.237, 0.294, 0.266),
)


def _table3() -> np.ndarray:
    k = len(_TABLE3_LOWER)
    m = np.eye(k)
    for i, row in enumerate(_TABLE3_LOWER):
        for j, v in enumerate(row):
            m[i, j] = m[j, i] = v
    return m


TABLE3_SPEARMAN: np.ndarray = _table3()


# --------------------------------------------------------------------------- building blocks


def _exact_counts(shares: list[float], n: int) -> list[int]:
    """Largest-remainder rounding of shares to counts that sum to n."""
    raw = np.asarray(shares, dtype=float) / sum(shares) * n
    counts = np.floor(raw).astype(int)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts.tolist()


def _discretise(latent: np.ndarray, counts: list[int]) -> np.ndarray:
    """Category index 0..k-1 by rank, so that category i gets exactly counts[i] cases."""
    order = np.argsort(latent, kind="stable")
    out = np.empty(len(latent), dtype=int)
    out[order] = np.repeat(np.arange(len(counts)), counts)
    return out


def _assign_by_score(latent: np.ndarray, var: Variable, rng: np.random.Generator) -> np.ndarray:
    """Codes with exact counts; higher latent -> categories with a higher score.

    Categories with equal scores share one rank block whose members are split
    among them at random (no order between them).
    """
    scores = sorted({c.score for c in var.categories})
    blocks = [[c for c in var.categories if c.score == s] for s in scores]
    block_idx = _discretise(latent, [int(sum(c.size for c in b)) for b in blocks])
    codes = np.empty(len(latent), dtype=int)
    for b, cats in enumerate(blocks):
        members = np.flatnonzero(block_idx == b)
        members = members[rng.permutation(len(members))]
        codes[members] = np.repeat([c.code for c in cats], [int(c.size) for c in cats])
    return codes


def _pearson_chi2(x: np.ndarray, y: np.ndarray) -> float:
    table = pd.crosstab(x, y).to_numpy()
    return float(stats.chi2_contingency(table, correction=False)[0])


def _nearest_correlation(m: np.ndarray, floor: float = 1e-3) -> np.ndarray:
    """Clip eigenvalues and rescale to unit diagonal (a valid correlation matrix)."""
    vals, vecs = np.linalg.eigh((m + m.T) / 2)
    fixed = vecs @ np.diag(np.maximum(vals, floor)) @ vecs.T
    d = np.sqrt(np.diag(fixed))
    return fixed / np.outer(d, d)


def _spearman(codes: np.ndarray) -> np.ndarray:
    return np.asarray(stats.spearmanr(codes).statistic)


def _items(rng: np.random.Generator, n: int, max_iter: int = 80, tol: float = 0.003) -> tuple[np.ndarray, np.ndarray]:
    """Latent Gaussian items and their discretised codes matching Table 3's Spearman matrix.

    The latent sample is whitened so its sample correlation equals the target
    latent matrix exactly; the latent matrix is then adjusted until the
    Spearman matrix of the discretised items is within ``tol`` of Table 3.
    """
    k = len(ITEMS)
    w = rng.standard_normal((n, k))
    w -= w.mean(axis=0)
    w = w @ np.linalg.inv(np.linalg.cholesky(np.cov(w, rowvar=False))).T
    target = TABLE3_SPEARMAN
    latent_r = 2 * np.sin(np.pi * target / 6)  # Spearman -> Pearson for bivariate normal data
    counts = [_exact_counts([c.size for c in item.categories], n) for item in ITEMS]
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for step in range(max_iter):
        z = w @ np.linalg.cholesky(latent_r).T
        idx = np.column_stack([_discretise(z[:, j], counts[j]) for j in range(k)])
        diff = target - _spearman(idx)
        worst = float(np.abs(diff).max())
        if best is None or worst < best[0]:
            best = (worst, z, idx)
        if worst < tol:
            break
        # Damped, decreasing steps: re-ranking makes the discretised matrix jump
        # a little with every change, so full steps oscillate around the target.
        latent_r = _nearest_correlation(latent_r + diff / (1 + step / 4))
    if best is None:
        raise ValueError(f"max_iter must be at least 1, not {max_iter}.")
    _, z, idx = best
    codes = np.column_stack([np.asarray([c.code for c in ITEMS[j].categories])[idx[:, j]] for j in range(k)])
    return z, codes


def _ordered_as_scored(codes: np.ndarray, belonging: np.ndarray, var: Variable, min_size: int = 30) -> bool:
    """True if belonging follows the categories' scores.

    Mean belonging must rise strictly from one score group to the next, and
    every category of at least ``min_size`` respondents must lie above every
    such category with a lower score (smaller categories are too noisy to
    order one by one).
    """
    score_of = {c.code: c.score for c in var.categories}
    b = pd.Series(belonging)
    group_means = b.groupby(pd.Series(codes).map(score_of)).mean().sort_index().to_numpy()
    if not np.all(np.diff(group_means) > 0):
        return False
    cat_means = b.groupby(codes).mean()
    big = [c for c in var.categories if c.size >= min_size]
    return all(cat_means[hi.code] > cat_means[lo.code] for hi in big for lo in big if hi.score > lo.score)


def _factor_codes(
    belong_latent: np.ndarray, belonging: np.ndarray, var: Variable, rng: np.random.Generator, max_draws: int = 50
) -> np.ndarray:
    """Codes of one factor, its association with belonging tuned to the target chi-square.

    latent = a * belonging latent + sqrt(1 - a^2) * noise; a is found by
    bisection so that the Pearson chi-square with belonging is close to the
    published value (the noise and the split of tied categories are drawn once
    per attempt). An attempt whose score groups do not come out in the
    reported order of mean belonging (possible for weak associations and small
    groups) is drawn again from the same generator.
    """
    for _ in range(max_draws):
        noise = rng.standard_normal(len(belong_latent))
        split_seed = int(rng.integers(2**32))

        def build(a: float) -> np.ndarray:
            latent = a * belong_latent + np.sqrt(1 - a * a) * noise  # noqa: B023 - called in this iteration
            return _assign_by_score(latent, var, np.random.default_rng(split_seed))  # noqa: B023 - called in this iteration

        lo, hi = 0.0, 0.98
        for _ in range(30):
            mid = (lo + hi) / 2
            if _pearson_chi2(build(mid), belonging) < var.target_chi2:
                lo = mid
            else:
                hi = mid
        codes = build((lo + hi) / 2)
        if _ordered_as_scored(codes, belonging, var):
            return codes
    raise ModelFitError(
        f"could not generate {var.name} with belonging in the reported order in {max_draws} draws; use another seed"
    )


# --------------------------------------------------------------------------- public API


def make_repatriate_survey(seed: int = DEFAULT_SEED) -> Survey:
    """Generate the synthetic survey of 787 repatriates (deterministic for a seed).

    Parameters
    ----------
    seed : int, default 787
        Seed of the random generator (numpy PCG64). The same seed gives the
        same data on the same numpy version.

    Returns
    -------
    Survey
        ``data``: one row per respondent with integer codes in the columns
        ``respondent_id``, the socio-demographic factors ``gender``,
        ``age_group``, ``residence``, ``marital_status``, ``children``,
        ``education``, ``employment``, ``material_situation``,
        ``country_of_origin``, ``legal_status`` and the Table 3 items
        ``belonging``, ``close_local_friends``, ``understand_cultural_norms``,
        ``free_time_with_locals``, ``cultural_events``, ``ngo_participation``,
        ``gov_services_access``, ``admin_difficulties``, ``discrimination``,
        ``identity_comfort``. ``meta``: variable labels (question wording),
        value labels (English) and measurement levels.

    Notes
    -----
    1. Items: a 787 x 10 standard normal sample is whitened (sample
       covariance = identity) and multiplied by the Cholesky factor of a latent
       correlation matrix, started at r = 2 sin(pi rho / 6) from Table 3's
       Spearman rho; each column is cut into categories by rank with fixed
       shares (exact counts). The latent matrix is corrected by the remaining
       difference (with decreasing steps) until the Spearman matrix of the
       categories is within 0.003 of Table 3 (or the best of 80 rounds is kept).
    2. Factors: for each factor a latent a * z_belonging + sqrt(1 - a^2) * e is
       ranked and cut into the Table 1 counts exactly, categories ordered by
       the belonging order the paper reports (ties split at random). a is
       tuned by bisection so that the Pearson chi-square with belonging is
       near the published Table 2 value (35.48 for legal status); a draw in
       which the groups' mean belonging is not in the reported order is
       repeated with fresh noise.
    3. Factors are independent of each other given belonging, so their joint
       distribution (e.g. age by employment) is not realistic.

    Examples
    --------
    >>> s = make_repatriate_survey()
    >>> len(s.data), int((s.data["gender"] == 2).sum())
    (787, 492)
    """
    rng = np.random.default_rng(seed)
    n = N_RESPONDENTS
    z, item_codes = _items(rng, n)
    belonging = item_codes[:, 0]
    data: dict[str, np.ndarray] = {"respondent_id": np.arange(1, n + 1)}
    factor_codes = {var.name: _factor_codes(z[:, 0], belonging, var, rng) for var in FACTORS}
    data.update(factor_codes)
    for j, item in enumerate(ITEMS):
        data[item.name] = item_codes[:, j]
    df = pd.DataFrame({k: np.asarray(v, dtype="int64") for k, v in data.items()})
    variables = FACTORS + ITEMS
    meta = SurveyMeta(
        variable_labels={"respondent_id": "Respondent number", **{v.name: v.label for v in variables}},
        value_labels={v.name: {c.code: c.label for c in v.categories} for v in variables},
        missing_values={},
        measure_levels={"respondent_id": "nominal", **{v.name: v.measure for v in variables}},
        file_label="Synthetic repatriate survey (N = 787) modelled on published tables",
        source="",
    )
    return Survey(df, meta)


# The shipped demo file's header carries this creation stamp (see quant.survey.stamp_sav_header).
_SAV_STAMP_WHEN = (2026, 1, 1)


def write_demo_survey(directory: str | os.PathLike[str], seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write ``repatriates_survey.sav`` and ``repatriates_survey.csv`` to ``directory``.

    Parameters
    ----------
    directory : path-like
        Created if missing.
    seed : int, default 787
        Passed to :func:`make_repatriate_survey`.

    Returns
    -------
    dict
        ``{"sav": path, "csv": path}``.

    Notes
    -----
    The ``.sav`` holds integer codes with value labels, variable labels
    (question wording) and measurement levels; its header date is fixed so
    that the same seed gives identical bytes. The ``.csv`` (UTF-8, comma
    separated) holds the value labels as text, one column per variable, which
    is what opens readably in a spreadsheet; the codes and question wording
    are in the ``.sav``. Both are written atomically.
    """
    import pyreadstat

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    survey = make_repatriate_survey(seed)
    df, meta = survey.data, survey.meta
    sav_path = out / "repatriates_survey.sav"

    def write_sav(tmp: Path) -> None:
        widths = {c: max(3, len(str(int(df[c].max())))) for c in df.columns}
        pyreadstat.write_sav(
            df.astype(float),
            str(tmp),
            file_label=meta.file_label,
            column_labels=[meta.variable_labels[c] for c in df.columns],
            variable_value_labels={k: {float(a): b for a, b in v.items()} for k, v in meta.value_labels.items()},
            variable_measure=dict(meta.measure_levels),
            variable_format={c: f"F{len(str(int(df[c].max())))}.0" for c in df.columns},
            variable_display_width=widths,
        )
        from datetime import datetime

        from qualquant.quant.survey import stamp_sav_header

        stamp_sav_header(tmp, datetime(*_SAV_STAMP_WHEN, tzinfo=UTC))  # same seed, same bytes

    atomic_write(sav_path, write_sav)

    labelled = pd.DataFrame({"respondent_id": df["respondent_id"]})
    for col in df.columns[1:]:
        labelled[col] = df[col].map(meta.value_labels[col])
    csv_path = out / "repatriates_survey.csv"
    atomic_write_bytes(csv_path, labelled.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return {"sav": sav_path, "csv": csv_path}
