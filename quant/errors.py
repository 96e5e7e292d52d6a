"""Errors of the quant package.

The project's base class :class:`QualquantError` and :class:`OutputWriteError`
live in the ground module :mod:`qualquant.errors` (which imports no qualquant
package) and are re-exported here, so ``except QualquantError`` catches every
project error and ``except ValueError`` still works for the ones that are also
value errors.
"""

from __future__ import annotations

from qualquant.errors import OutputWriteError, QualquantError

__all__ = [
    "QualquantError",
    "SurveyFormatError",
    "VariableNotFoundError",
    "StatisticInputError",
    "ReportedStatisticParseError",
    "WeightError",
    "ConstantVariableError",
    "EmptyTableError",
    "ModelFitError",
    "OutputWriteError",
]


class SurveyFormatError(QualquantError, ValueError):
    """A survey file cannot be read or is malformed."""


class VariableNotFoundError(QualquantError, KeyError):
    """A variable name is not in the data; the message lists close matches."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class StatisticInputError(QualquantError, ValueError):
    """Data cannot be used for a statistic (constant variable, bad weights, ...)."""


class ReportedStatisticParseError(QualquantError, ValueError):
    """Text cannot be parsed as a reported statistical result."""


class WeightError(StatisticInputError):
    """A weight variable holds negative, missing or non-numeric values."""


class ConstantVariableError(StatisticInputError):
    """A variable has fewer than two distinct valid values, so the statistic is undefined."""


class EmptyTableError(StatisticInputError):
    """A table of counts has no cases, or fewer than two non-empty rows or columns."""


class ModelFitError(QualquantError, RuntimeError):
    """A regression model could not be estimated (no convergence, separation, singular design)."""
