"""qualquant.coding: codebook, Label Studio round trip, validated codings, consensus.

Public names:

- :class:`Codebook`, :class:`Code`, :class:`Facet`, :func:`read_codebook`, :func:`check_code_ids`
  (:mod:`qualquant.coding.codebook`)
- :data:`CODINGS_COLUMNS`, :class:`CodedSpan`, :func:`codings_frame`, :func:`consensus`
  (:mod:`qualquant.coding.codings`; the codings table is described there)
- :func:`read_export`, :class:`ExportReadResult`, :data:`ISSUES_COLUMNS` (:mod:`qualquant.coding.labelstudio._export`,
  also ``coding.labelstudio.read_export``)
- :class:`qualquant.coding.labelstudio.LabelStudioClient` and
  :class:`qualquant.coding.labelstudio._server.LabelStudioServer` (imported from their modules;
  they need ``label-studio-sdk`` / a Label Studio server)

Agreement and matrices live in :mod:`qualquant.coding.agreement` and :mod:`qualquant.coding.matrices`.
"""

from qualquant.coding.codebook import Code, Codebook, Facet, check_code_ids, read_codebook
from qualquant.coding.codings import (
    CODINGS_COLUMNS,
    CONSENSUS_RULES,
    CodedSpan,
    codings_frame,
    consensus,
    empty_codings,
)
from qualquant.coding.errors import (
    CodebookError,
    CodingError,
    ExportFormatError,
    LabelStudioError,
    LabelStudioNotInstalledError,
    LabelStudioTokenError,
    PushConflictError,
    UnknownCodeError,
)
from qualquant.coding.labelstudio._export import ANNOTATIONS_COLUMNS, ISSUES_COLUMNS, ExportReadResult, read_export

__all__ = [
    "ANNOTATIONS_COLUMNS",
    "CODINGS_COLUMNS",
    "CONSENSUS_RULES",
    "Code",
    "CodedSpan",
    "Codebook",
    "CodebookError",
    "CodingError",
    "ExportFormatError",
    "ExportReadResult",
    "Facet",
    "ISSUES_COLUMNS",
    "LabelStudioError",
    "LabelStudioNotInstalledError",
    "LabelStudioTokenError",
    "PushConflictError",
    "UnknownCodeError",
    "check_code_ids",
    "codings_frame",
    "consensus",
    "empty_codings",
    "read_codebook",
    "read_export",
]
