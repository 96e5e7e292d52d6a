"""Errors raised by study configuration, integration and reports."""

from __future__ import annotations

from quant.errors import QualquantError


class StudyConfigError(QualquantError, ValueError):
    """study.toml is invalid; the message names the key and its line."""


class PipelineError(QualquantError, RuntimeError):
    """A pipeline stage failed."""
