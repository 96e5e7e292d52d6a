"""REFI-QDA (QDA-XML 1.0) schemas, shipped with the package so written files are validated at run time.

The two XML Schema documents in ``coding/schemas/`` are the QDA-XML 1.0 project
and codebook schemas (``Project-mrt2019.xsd``, ``Codebook-mrt2019.xsd``) published
by the Rotterdam Exchange Format Initiative (REFI, www.qdasoftware.org) under the
MIT licence (``coding/schemas/LICENSE-REFI-QDA-schemas.txt``); they are stored
verbatim.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

PROJECT_NAMESPACE = "urn:QDA-XML:project:1.0"
CODEBOOK_NAMESPACE = "urn:QDA-XML:codebook:1.0"

SCHEMA_DIR = Path(__file__).parent / "schemas"
SCHEMA_FILES = {"project": "Project-mrt2019.xsd", "codebook": "Codebook-mrt2019.xsd"}


@lru_cache(maxsize=2)
def schema_text(kind: str) -> str:
    """The XSD text of ``kind`` (``"project"`` or ``"codebook"``)."""
    return (SCHEMA_DIR / SCHEMA_FILES[kind]).read_text(encoding="utf-8")
