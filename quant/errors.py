"""The project's exception base class.

It lives in :mod:`qualquant.quant` because ``quant`` is the one package that imports no
other qualquant package; ``corpus``, ``coding`` and ``pipelines`` derive their
errors from it, so ``except QualquantError`` catches every project error and
``except ValueError`` still works for the ones that are also value errors.
"""

from __future__ import annotations

__all__ = [
    "QualquantError", "SurveyFormatError", "VariableNotFoundError", "StatisticInputError",
    "ReportedStatisticParseError", "WeightError", "ConstantVariableError", "EmptyTableError", "ModelFitError",
    "OutputWriteError",
]


class QualquantError(Exception):
    """Base class of every error qualquant raises on purpose."""


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


class OutputWriteError(QualquantError, OSError):
    """An output file or folder cannot be written (a folder in the way, no permission, no space).

    The message names the path, the operating system's reason and what to
    do; ``errno`` and ``filename`` are those of the underlying error, so
    ``except OSError`` still works.
    """

    def __str__(self) -> str:  # OSError would format "[Errno n] ..." from errno/filename
        return str(self.args[0]) if self.args else ""
