"""Errors raised by study configuration, integration and reports."""

from __future__ import annotations

from qualquant.errors import QualquantError

__all__ = [
    "StudyConfigError",
    "PipelineError",
    "IntegrationError",
    "OverridesFileError",
]


class StudyConfigError(QualquantError, ValueError):
    """study.toml is invalid; the message names the key and its line."""


class PipelineError(QualquantError, RuntimeError):
    """A pipeline stage failed."""


class IntegrationError(QualquantError, ValueError):
    """Qualitative and quantitative results cannot be joined (names the file, column or construct)."""


class OverridesFileError(IntegrationError):
    """joint_display_overrides.csv is malformed (names the row and the value)."""
