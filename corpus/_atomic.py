"""Atomic file writing for corpus, coding and pipelines.

The file helpers are those of :mod:`qualquant.quant._atomic` (``quant`` imports no
other qualquant package, so the one implementation lives there; ``corpus``
may import ``quant``). Every module outside ``quant`` writes its outputs
through this module.

- :func:`atomic_write` ``(path, write, *, mode=None, overwrite=True)``:
  ``write(tmp)`` fills a temporary file in the destination folder
  (:func:`tempfile.mkstemp`), which is fsynced, given ``mode`` (default
  ``0o644`` minus the umask) and renamed over ``path``; on any error the
  temporary file is removed and ``path`` is left as it was.
- :func:`atomic_write_bytes` ``(path, payload, *, mode=None, overwrite=True)``.
- :func:`atomic_write_text` ``(path, text, *, encoding="utf-8", mode=None)``:
  newlines are written as given (no platform translation).
- :func:`atomic_write_dir` ``(path, write)``: the same for a whole folder.
- :func:`make_dirs` ``(path)``: create an output folder and its parents.

A write that fails in the operating system (a folder where the file should
go, a file where a folder should be, no permission, no space) raises
:class:`qualquant.quant.errors.OutputWriteError` naming the path and the reason
(:func:`output_write_error` builds it).
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from qualquant.quant._atomic import (atomic_write, atomic_write_bytes, atomic_write_text, default_file_mode, make_dirs,
                           output_write_error)
from qualquant.quant.errors import QualquantError

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_dir", "atomic_write_text", "default_file_mode",
           "make_dirs", "output_write_error"]


def atomic_write_dir(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Write a folder atomically: ``write(tmp)`` fills a temporary folder that then replaces ``path``.

    Parameters
    ----------
    path : path-like
        Destination folder; parent folders are created.
    write : callable
        Receives the temporary folder (next to ``path``) and writes every file
        into it.

    Returns
    -------
    pathlib.Path
        The destination folder.

    Raises
    ------
    OutputWriteError
        The folder cannot be written (``path`` is a file, a parent is a file,
        no permission...); the message names ``path``, the reason and what to
        do. An :class:`OSError` raised inside ``write`` becomes this error too.

    Notes
    -----
    An existing ``path`` is first renamed aside, the temporary folder is
    renamed into place and the old one removed, so a reader sees either the
    old or the new folder, never a half-written one. On any error the
    temporary folder is removed.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise output_write_error(path, NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR)), folder=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    except OSError as exc:
        raise output_write_error(path, exc, folder=True) from exc
    try:
        write(tmp)
        old = None
        if path.exists():
            old = path.with_name(f".{path.name}.old-{os.getpid()}")
            os.replace(path, old)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and not isinstance(exc, QualquantError):
            raise output_write_error(path, exc, folder=True) from exc
        raise
    return path
