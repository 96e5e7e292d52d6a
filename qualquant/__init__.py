"""qualquant: coded interviews and survey statistics in one reproducible pipeline.

The four capabilities are subpackages, imported on first use:

- :mod:`qualquant.corpus`: transcripts and cases (offsets, speaker turns,
  pseudonymisation, tokens and lemmas);
- :mod:`qualquant.coding`: codebook, Label Studio, codings, agreement, matrices,
  topic models, REFI-QDA;
- :mod:`qualquant.quant`: survey data with labels and SPSS-grade statistics;
- :mod:`qualquant.pipelines`: study runs, integration, exports, the report and
  the command line.

:func:`open_study` opens a study in Python: its attributes are the tables of
``qualquant run`` (``segments``, ``codings``, ``theme_frequencies``, ...), computed
on first use by the same cached stages
(:class:`~qualquant.pipelines.study_run.StudyRun`).

Examples
--------
>>> import qualquant
>>> qualquant.quant.frequencies.__name__
'frequencies'
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("qualquant")
except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
    __version__ = "0+unknown"

_SUBPACKAGES = ("corpus", "coding", "quant", "pipelines")
#: Functions and classes of the subpackages offered here, loaded on first use: name -> module.
_LAZY = {"open_study": "qualquant.pipelines.study_run", "StudyRun": "qualquant.pipelines.study_run"}

__all__ = ["__version__", "corpus", "coding", "quant", "pipelines", "open_study", "StudyRun"]


def __getattr__(name: str) -> Any:
    # Subpackages load on first use, so `import qualquant` stays cheap (no pandas,
    # spaCy or scipy until a capability is used).
    if name in _SUBPACKAGES:
        return importlib.import_module(f"qualquant.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'qualquant' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBPACKAGES) | set(_LAZY))
