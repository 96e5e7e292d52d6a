"""Atomic file writing for the quant package.

``quant`` imports no other qualquant package, so it keeps its own helper
(``corpus`` has an equivalent one for corpus, coding and pipelines).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "default_file_mode"]


def _current_umask() -> int:
    """The process umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no way to read it otherwise: set and restore at once
    os.umask(mask)
    return mask


def default_file_mode() -> int:
    """``0o644`` minus the umask: what ``open(path, "w")`` would give a new file."""
    return 0o644 & ~_current_umask()


def _fsync_dir(directory: Path) -> None:
    """Flush the directory entry of a rename (POSIX; a no-op where not supported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None], *, mode: int | None = None,
                 overwrite: bool = True) -> Path:
    """Write a file atomically: ``write(tmp)`` fills a temporary file that then replaces ``path``.

    Parameters
    ----------
    path : path-like
        Destination; parent folders are created.
    write : callable
        Receives the temporary path (in the destination folder, same suffix)
        and writes the whole file there (it may reopen it by name, as
        pyreadstat does).
    mode : int, optional
        File permissions of the result (e.g. ``0o600`` for a private file,
        ``0o444`` for a read-only snapshot); default ``0o644`` minus the umask.
    overwrite : bool
        With ``False`` an existing ``path`` is never replaced: the file is
        hard-linked into place and :class:`FileExistsError` is raised if
        ``path`` exists.

    Returns
    -------
    pathlib.Path
        The destination path.

    Notes
    -----
    The temporary file is made with :func:`tempfile.mkstemp` in the
    destination folder (so :func:`os.replace` is a rename on one file
    system), flushed to disk with :func:`os.fsync`, given mode ``0o644``
    minus the umask (mkstemp creates owner-only files) and renamed over
    ``path``; the folder entry is then fsynced. On any error the temporary
    file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, default_file_mode() if mode is None else mode)
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if path exists
            tmp.unlink()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def atomic_write_bytes(path: str | os.PathLike[str], payload: bytes, *, mode: int | None = None,
                       overwrite: bool = True) -> Path:
    """Write ``payload`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(payload), mode=mode, overwrite=overwrite)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8",
                      mode: int | None = None) -> Path:
    """Write ``text`` to ``path`` atomically, newlines kept as given (see :func:`atomic_write`)."""
    return atomic_write_bytes(path, text.encode(encoding), mode=mode)
