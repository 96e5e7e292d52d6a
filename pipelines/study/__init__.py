"""qualquant.pipelines.study: A study: its ``study.toml`` configuration, checks and errors."""

from qualquant.pipelines.study._check import (
    StudyProblem,
    check_construct_codes,
    check_study,
    check_survey_variables,
    survey_variable_names,
    survey_variable_references,
)
from qualquant.pipelines.study._config import (
    CONVERGENCE_LABELS,
    DIRECTIONS,
    Construct,
    Study,
    StudyConfig,
    find_key_line,
    read_study,
)
from qualquant.pipelines.study._errors import (
    format_error,
)

__all__ = [
    "check_construct_codes",
    "check_study",
    "check_survey_variables",
    "Construct",
    "CONVERGENCE_LABELS",
    "DIRECTIONS",
    "find_key_line",
    "format_error",
    "read_study",
    "Study",
    "StudyConfig",
    "StudyProblem",
    "survey_variable_names",
    "survey_variable_references",
]
