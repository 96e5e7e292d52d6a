"""The project's exception base class and the errors of the ground package :mod:`qualquant.io`.

Every package (``corpus``, ``coding``, ``quant``, ``pipelines``) derives its
errors from :class:`QualquantError`, so ``except QualquantError`` catches every
project error, and ``except ValueError`` (or ``OSError``) still works for the
ones that are also built-in errors. This module imports nothing of qualquant;
the packages re-export the classes they raise (``qualquant.quant.errors``
re-exports :class:`QualquantError` and :class:`OutputWriteError`,
``qualquant.corpus.errors`` the table errors).
"""

from __future__ import annotations

__all__ = ["ExportFormatError", "OutputWriteError", "QualquantError", "TableReadError", "TableValueError"]


class QualquantError(Exception):
    """Base class of every error qualquant raises on purpose."""


class OutputWriteError(QualquantError, OSError):
    """An output file or folder cannot be written (a folder in the way, no permission, no space).

    The message names the path, the operating system's reason and what to
    do; ``errno`` and ``filename`` are those of the underlying error, so
    ``except OSError`` still works.
    """

    def __str__(self) -> str:  # OSError would format "[Errno n] ..." from errno/filename
        return str(self.args[0]) if self.args else ""


class TableReadError(QualquantError, ValueError):
    """A table that qualquant wrote (CSV, XLSX, Parquet) cannot be read back: unreadable, or columns missing."""


class TableValueError(TableReadError):
    """A cell of such a table does not parse as its column's type (the file, row and column are named)."""


class ExportFormatError(QualquantError, ValueError):
    """A table cannot be written in the requested format."""
