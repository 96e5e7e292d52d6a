"""REFI-QDA exchange: move codes and codings between qualquant and NVivo, ATLAS.ti, MAXQDA.

REFI-QDA (the Rotterdam Exchange Format Initiative's QDA-XML 1.0) has two
file types:

``.qdpx`` project
    A zip archive with one ``.qde`` XML document (``project.qde``; ATLAS.ti 8
    writes ``Project.qde``, some programs name it after the project) and the
    sources' plain texts in ``Sources/`` (NVivo for Mac: ``sources/``).
``.qdc`` codebook
    One XML document with the codes (nested for a hierarchy) and code sets.

Public functions
----------------
:func:`read_qdpx` -> :class:`RefiProject`
    codes (GUID, name, colour, description, parent), sets, the qualquant
    :class:`~qualquant.coding.codebook.Codebook`, text sources with their canonical
    text, a codings table (:data:`qualquant.coding.CODINGS_COLUMNS`) and an issues
    table (:data:`REFI_ISSUES_COLUMNS`) that lists every coding not imported
    exactly, every missing source and every part of the project qualquant
    does not import.
:func:`read_qdc` -> :class:`RefiCodebook`
:func:`write_qdpx`, :func:`write_qdc`
    Files validated against the QDA-XML 1.0 schemas before they are written
    atomically; deterministic (GUIDs derived from ids, fixed zip times).
:func:`validate_refi_xml`, :func:`codebook_to_toml`

Offsets
-------
REFI positions count characters of the plain-text file as the tool stores
it (with ``\\r\\n`` newlines, no NFC), and NVivo counts UTF-16 code units.
They are mapped onto qualquant's canonical text (NFC, ``\\n``) as described
in :mod:`qualquant.coding.refi._text`; how each source's positions were counted is
reported in :attr:`RefiSource.offset_units` and ``offset_reason``. Codes
are translated to snake_case ids and facets as described in
:mod:`qualquant.coding.refi._codes`.

Examples
--------
>>> from pathlib import Path
>>> from qualquant import pipelines
>>> from qualquant.coding.refi import read_qdc
>>> ref = Path(pipelines.__file__).resolve().parents[1] / "tests" / "reference" / "refi"
>>> book = read_qdc(ref / "atlasti23.4_win_codebook__from_requal_test.qdc")
>>> [(c.id, c.name, c.color) for c in book.codes]
[('code1', 'code1', '#46AA00')]
>>> [f.id for f in book.codebook.facets]
['code_group_1']
"""

from __future__ import annotations

from qualquant.coding.refi._codes import RefiCode, RefiSet, codebook_to_toml
from qualquant.coding.refi._read import REFI_ISSUES_COLUMNS, RefiCodebook, RefiProject, RefiSource, read_qdc, read_qdpx
from qualquant.coding.refi._text import OFFSET_UNITS
from qualquant.coding.refi._write import validate_refi_xml, write_qdc, write_qdpx

__all__ = [
    "OFFSET_UNITS",
    "REFI_ISSUES_COLUMNS",
    "RefiCode",
    "RefiCodebook",
    "RefiProject",
    "RefiSet",
    "RefiSource",
    "codebook_to_toml",
    "read_qdc",
    "read_qdpx",
    "validate_refi_xml",
    "write_qdc",
    "write_qdpx",
]
