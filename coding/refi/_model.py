"""Records returned by the REFI-QDA readers: :class:`RefiSource`, :class:`RefiCodebook`, :class:`RefiProject`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from qualquant.coding.codebook import Codebook
from qualquant.coding.refi._codes import RefiCode, RefiSet

__all__ = ["REFI_ISSUES_COLUMNS", "RefiCodebook", "RefiProject", "RefiSource"]

#: Columns of the issues table of :func:`read_qdpx`.
REFI_ISSUES_COLUMNS: tuple[str, ...] = (
    "source",
    "selection_guid",
    "coding_guid",
    "code",
    "coder",
    "reason",
    "action",
    "detail",
)


@dataclass(frozen=True, slots=True)
class RefiSource:
    """One text source of a project.

    Attributes
    ----------
    guid : str
    name : str
        The name the tool shows.
    transcript_id : str
        ``name`` without a document extension, made safe as a file stem;
        the ``transcript_id`` of its codings.
    kind : str
        ``"text"`` (TextSource) or ``"pdf"`` (the text representation of a PDFSource).
    text : str or None
        Canonical text (NFC, ``\\n`` newlines), None when the file is missing.
    path : str or None
        ``plainTextPath`` as written (``internal://...``), None for inline text.
    offset_units : str or None
        How the tool counted offsets (``"codepoints"`` or ``"utf16"``).
    offset_reason : str
        Why those units were chosen.
    """

    guid: str
    name: str
    transcript_id: str
    kind: str = "text"
    text: str | None = None
    path: str | None = None
    offset_units: str | None = None
    offset_reason: str = ""


@dataclass(frozen=True)
class RefiCodebook:
    """Codes of a ``.qdc`` codebook (or of a project).

    Attributes
    ----------
    codes : tuple of RefiCode
        In document order (parents before children).
    sets : tuple of RefiSet
    codebook : Codebook or None
        The qualquant codebook (None when the file has no codes).
    origin : str
        The exporting program.
    source : str or None
        The file read.
    """

    codes: tuple[RefiCode, ...]
    sets: tuple[RefiSet, ...]
    codebook: Codebook | None
    origin: str = ""
    source: str | None = None

    @property
    def code_ids(self) -> Mapping[str, str]:
        """REFI GUID -> qualquant code id."""
        return MappingProxyType({c.guid: c.id for c in self.codes})


@dataclass(frozen=True)
class RefiProject(RefiCodebook):
    """What :func:`read_qdpx` returns (adds to :class:`RefiCodebook`).

    Attributes
    ----------
    name : str
        Project name.
    users : mapping of str to str
        User GUID -> user name.
    sources : tuple of RefiSource
        Text sources (with text, or ``text=None`` when missing).
    codings : pandas.DataFrame
        The codings table (:data:`qualquant.coding.CODINGS_COLUMNS`).
    issues : pandas.DataFrame
        Every coding not imported or repaired, every missing source and every
        part of the project not imported; columns :data:`REFI_ISSUES_COLUMNS`
        (``action`` is ``set_aside``, ``repaired`` or ``not_used``).
    counts : mapping
        n_codes, n_sources, n_text_sources, n_sources_missing, n_codings
        (codings in the file), n_text_codings (on text selections),
        n_codings_mapped, n_codings_repaired, n_codings_set_aside,
        n_codings_not_used, n_rows.
    """

    name: str = ""
    users: Mapping[str, str] = field(default_factory=dict)
    sources: tuple[RefiSource, ...] = ()
    codings: pd.DataFrame = field(default_factory=pd.DataFrame)
    issues: pd.DataFrame = field(default_factory=pd.DataFrame)
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def missing_sources(self) -> tuple[RefiSource, ...]:
        """Text sources whose text is not in the file."""
        return tuple(s for s in self.sources if s.text is None)
