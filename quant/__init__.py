"""qualquant.quant: survey data with labels and SPSS-grade statistics.

Read a survey with its labels (:func:`read_survey`), then compute tidy,
full-precision tables: :func:`frequencies`, :func:`crosstab`,
:func:`association_table`, :func:`correlation_matrix`,
:func:`cronbach_alpha`, :func:`ordinal_logit`, :func:`binary_logit`.
Layout (rounding, stars, SPSS/APA tables) happens only in :mod:`qualquant.quant.render`.
"""

from qualquant.quant.association import association_table
from qualquant.quant.check import check_reported
from qualquant.quant.correlation import correlation_matrix
from qualquant.quant.crosstab import CrosstabResult, crosstab, crosstab_from_counts
from qualquant.quant.frequencies import frequencies
from qualquant.quant.models import ModelResult, binary_logit, ordinal_logit
from qualquant.quant.reliability import CronbachAlphaResult, cronbach_alpha, reverse_code
from qualquant.quant.render import RenderedTable, render_correlation_matrix
from qualquant.quant.survey import Survey, SurveyMeta, read_survey, write_survey

__all__ = [
    "Survey",
    "SurveyMeta",
    "read_survey",
    "write_survey",
    "frequencies",
    "crosstab",
    "crosstab_from_counts",
    "CrosstabResult",
    "association_table",
    "correlation_matrix",
    "render_correlation_matrix",
    "RenderedTable",
    "cronbach_alpha",
    "CronbachAlphaResult",
    "reverse_code",
    "ordinal_logit",
    "binary_logit",
    "ModelResult",
    "check_reported",
]
