"""qualquant.corpus: transcripts and cases.

Reading files with exact character offsets, speaker turns, pseudonymisation,
and (in :mod:`qualquant.corpus.nlp`, imported on first use) language-aware tokens and lemmas.
"""

from __future__ import annotations

import importlib
from typing import Any

from qualquant.corpus.anonymize import anonymize, inflected_forms, read_names, write_mapping
from qualquant.corpus.cases import read_cases
from qualquant.corpus.collection import Corpus, expand_paths, read_corpus
from qualquant.corpus.encoding import decode_bytes, normalize_text
from qualquant.corpus.errors import (
    AnonymizationError,
    CasesFileError,
    CorpusError,
    CorpusWarning,
    LanguagePipelineError,
    NamesFileError,
    NoSpeakerLabelsWarning,
    SpeakerPatternError,
    TranscriptReadError,
)
from qualquant.corpus.language import detect_language
from qualquant.corpus.model import ROLES, Segment, Transcript, count_words
from qualquant.corpus.readers import SUPPORTED_SUFFIXES, read_transcript
from qualquant.corpus.speakers import SpeakerPatterns, split_turns

__all__ = [
    "ROLES",
    "SUPPORTED_SUFFIXES",
    "AnonymizationError",
    "CasesFileError",
    "Corpus",
    "CorpusError",
    "CorpusWarning",
    "LanguagePipelineError",
    "NamesFileError",
    "NoSpeakerLabelsWarning",
    "Segment",
    "SpeakerPatternError",
    "SpeakerPatterns",
    "Transcript",
    "TranscriptReadError",
    "anonymize",
    "count_words",
    "decode_bytes",
    "detect_language",
    "expand_paths",
    "inflected_forms",
    "normalize_text",
    "read_cases",
    "read_corpus",
    "read_names",
    "read_transcript",
    "split_turns",
    "write_mapping",
]


def __getattr__(name: str) -> Any:
    # ``corpus.nlp`` imports spaCy; load it only when it is used.
    if name == "nlp":
        return importlib.import_module("qualquant.corpus.nlp")
    raise AttributeError(f"module 'qualquant.corpus' has no attribute {name!r}")
