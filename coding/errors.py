"""Errors raised by the coding package."""

from __future__ import annotations

from qualquant.errors import QualquantError

__all__ = [
    "CodingError",
    "CodebookError",
    "UnknownCodeError",
    "ExportFormatError",
    "LabelStudioError",
    "TopicModelError",
    "LabelStudioNotInstalledError",
    "LabelStudioTokenError",
    "PushConflictError",
    "AgreementError",
    "RefiError",
]


class CodingError(QualquantError, ValueError):
    """Base class of coding errors."""


class CodebookError(CodingError):
    """A codebook is invalid (duplicate ids, unknown parent, cycle, bad TOML)."""


class UnknownCodeError(CodebookError):
    """A study, a filter or a command line names a code id that is not in the codebook."""


class ExportFormatError(CodingError):
    """A Label Studio export file cannot be parsed."""


class LabelStudioError(QualquantError, RuntimeError):
    """Talking to a Label Studio server failed."""


class TopicModelError(CodingError):
    """A topic model cannot be fitted or used (e.g. not fitted yet)."""


class LabelStudioNotInstalledError(LabelStudioError):
    """No ``label-studio`` executable was found (tests skip locally, fail in CI)."""


class LabelStudioTokenError(LabelStudioError):
    """The API token is missing or rejected; the message names the variable, never the token."""


class PushConflictError(LabelStudioError):
    """A task already on the server holds a different text than the transcript being pushed."""


class AgreementError(CodingError):
    """Agreement cannot be computed as asked (fewer than two coders, bad long table, unknown level)."""


class RefiError(CodingError):
    """A REFI-QDA file (.qdpx project, .qdc codebook) cannot be read or written as asked."""
