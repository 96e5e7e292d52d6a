"""qualquant.coding.agreement: Intercoder agreement: per-code tables from codings, and the coefficients behind them."""

from qualquant.coding.agreement._stats import (
    bootstrap_weights,
    cluster_sums,
    percentile_ci,
    point_estimates,
    stats_from_sums,
    unit_features,
)
from qualquant.coding.agreement._table import (
    AGREEMENT_COLUMNS,
    DISAGREEMENT_COLUMNS,
    LEVELS,
    SPAN_AGREEMENT_COLUMNS,
    agreement_table,
    cohen_kappa,
    disagreements,
    fleiss_kappa,
    krippendorff_alpha,
    span_agreement,
)

__all__ = [
    "AGREEMENT_COLUMNS",
    "agreement_table",
    "bootstrap_weights",
    "cluster_sums",
    "cohen_kappa",
    "DISAGREEMENT_COLUMNS",
    "disagreements",
    "fleiss_kappa",
    "krippendorff_alpha",
    "LEVELS",
    "percentile_ci",
    "point_estimates",
    "span_agreement",
    "SPAN_AGREEMENT_COLUMNS",
    "stats_from_sums",
    "unit_features",
]
