"""Errors raised while reading transcripts, cases and running NLP."""

from __future__ import annotations

from quant.errors import QualquantError


class CorpusError(QualquantError, ValueError):
    """Base class of corpus errors."""


class TranscriptReadError(CorpusError):
    """A transcript file cannot be read (binary, undecodable, empty, broken format)."""


class CasesFileError(CorpusError):
    """A cases file is malformed (no id column, duplicate ids, unreadable)."""
