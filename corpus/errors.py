"""Errors raised while reading transcripts, cases and running NLP."""

from __future__ import annotations

from qualquant.errors import QualquantError, TableReadError, TableValueError

__all__ = [
    "CorpusError",
    "TranscriptReadError",
    "CasesFileError",
    "SpeakerPatternError",
    "NamesFileError",
    "AnonymizationError",
    "LanguagePipelineError",
    "CorpusWarning",
    "NoSpeakerLabelsWarning",
    "TableReadError",
    "TableValueError",
]


class CorpusError(QualquantError, ValueError):
    """Base class of corpus errors."""


class TranscriptReadError(CorpusError):
    """A transcript file cannot be read (binary, undecodable, empty, broken format)."""


class CasesFileError(CorpusError):
    """A cases file is malformed (no id column, duplicate ids, unreadable)."""


class SpeakerPatternError(CorpusError):
    """Speaker-label configuration is invalid (bad regular expression, unknown key)."""


class NamesFileError(CorpusError):
    """A names file for pseudonymisation is malformed or unreadable."""


class AnonymizationError(CorpusError):
    """Pseudonymisation cannot be applied (bad arguments, conflicting counters)."""


class LanguagePipelineError(CorpusError):
    """A spaCy pipeline for a language cannot be built (missing package or model)."""


class CorpusWarning(UserWarning):
    """Base class of warnings about transcripts that were read but need attention."""


class NoSpeakerLabelsWarning(CorpusWarning):
    """A transcript has no recognisable speaker labels and was read as one turn."""
