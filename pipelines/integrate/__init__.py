"""qualquant.pipelines.integrate: Integration of interviews and survey.

Linked cases, joint displays, representativeness.
"""

from qualquant.pipelines.integrate._joint import (
    OVERRIDES_COLUMNS,
)
from qualquant.pipelines.integrate._linked import (
    DISTRIBUTION_COLUMNS,
    GOF_COLUMNS,
    JOINT_DISPLAY_COLUMNS,
    LINKED_SET_ASIDE_COLUMNS,
    LINKED_TESTS_COLUMNS,
    QUANT_EVIDENCE_COLUMNS,
    SET_ASIDE_COLUMNS,
    LinkedCases,
    Representativeness,
    case_code_table,
    chi2_gof_monte_carlo,
    choose_quotes,
    joint_display,
    linked_cases,
    overridden_proposal,
    propose_convergence,
    read_overrides,
    representativeness,
    survey_evidence,
    survey_labels,
    update_overrides,
    variable_verdict,
    write_quantitized,
)
from qualquant.pipelines.integrate._representativeness import (
    survey_weights,
)

__all__ = [
    "case_code_table",
    "chi2_gof_monte_carlo",
    "choose_quotes",
    "DISTRIBUTION_COLUMNS",
    "GOF_COLUMNS",
    "joint_display",
    "JOINT_DISPLAY_COLUMNS",
    "linked_cases",
    "LINKED_SET_ASIDE_COLUMNS",
    "LINKED_TESTS_COLUMNS",
    "LinkedCases",
    "overridden_proposal",
    "OVERRIDES_COLUMNS",
    "propose_convergence",
    "QUANT_EVIDENCE_COLUMNS",
    "read_overrides",
    "Representativeness",
    "representativeness",
    "SET_ASIDE_COLUMNS",
    "survey_evidence",
    "survey_labels",
    "survey_weights",
    "update_overrides",
    "variable_verdict",
    "write_quantitized",
]
