"""Atomic file writing: the one writer every package uses.

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
:class:`qualquant.errors.OutputWriteError` naming the path and the reason
(:func:`output_write_error` builds it).
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from qualquant.errors import OutputWriteError, QualquantError

__all__ = [
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_dir",
    "atomic_write_text",
    "default_file_mode",
    "make_dirs",
    "output_write_error",
]


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


def _write_reason(path: Path, exc: OSError, *, folder: bool) -> str:
    """The reason a write to ``path`` failed, in words a user can act on."""
    if not folder and path.is_dir():
        return "it is a folder"
    if folder and path.exists() and not path.is_dir():
        return "it is a file, not a folder"
    for ancestor in path.parents:
        if ancestor.exists():
            if not ancestor.is_dir():
                return f"{ancestor} is a file, not a folder"
            break
    return exc.strerror or str(exc) or type(exc).__name__


def output_write_error(path: str | os.PathLike[str], exc: OSError, *, folder: bool = False) -> OutputWriteError:
    """Turn an :class:`OSError` met while writing ``path`` into a project error.

    Parameters
    ----------
    path : path-like
        The output file (or folder, with ``folder=True``) being written.
    exc : OSError
        The operating system's error.
    folder : bool
        ``path`` is meant to be a folder.

    Returns
    -------
    OutputWriteError
        Message ``"<path>: cannot write the file (<reason>). Choose another
        --out path ..."``; ``errno``, ``strerror`` and ``filename`` are copied
        from ``exc`` (``filename`` is ``path``).
    """
    path = Path(path)
    what = "folder" if folder else "file"
    err = OutputWriteError(
        f"{path}: cannot write the {what} ({_write_reason(path, exc, folder=folder)}). "
        "Choose another --out path, or a folder you can write to."
    )
    err.errno, err.strerror, err.filename = exc.errno, exc.strerror, str(path)
    return err


def make_dirs(path: str | os.PathLike[str]) -> Path:
    """Create the folder ``path`` and its parents (no error if it exists).

    Raises
    ------
    OutputWriteError
        The folder cannot be created (a file is in the way, no permission);
        the message names it and the reason.
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_write_error(path, exc, folder=True) from exc
    return path


def atomic_write(
    path: str | os.PathLike[str], write: Callable[[Path], object], *, mode: int | None = None, overwrite: bool = True
) -> Path:
    """Write a file atomically: ``write(tmp)`` fills a temporary file that then replaces ``path``.

    Parameters
    ----------
    path : path-like
        Destination; parent folders are created.
    write : callable
        Receives the temporary path (in the destination folder, same suffix)
        and writes the whole file there (it may reopen it by name, as
        pyreadstat does); what it returns is ignored.
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

    Raises
    ------
    OutputWriteError
        The file cannot be written: ``path`` is a folder, a parent is a file,
        no permission, no space left... The message names ``path``, the
        reason and what to do. (An :class:`OSError` raised inside ``write``
        is turned into this error too; project errors pass unchanged.)
    FileExistsError
        With ``overwrite=False``, when ``path`` already exists.

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
    if path.is_dir():
        raise output_write_error(path, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise output_write_error(path, exc) from exc
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
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        refused = not overwrite and isinstance(exc, FileExistsError)  # the documented refusal: kept as is
        if isinstance(exc, OSError) and not isinstance(exc, QualquantError) and not refused:
            raise output_write_error(path, exc) from exc
        raise
    _fsync_dir(path.parent)
    return path


def atomic_write_bytes(
    path: str | os.PathLike[str], payload: bytes, *, mode: int | None = None, overwrite: bool = True
) -> Path:
    """Write ``payload`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(payload), mode=mode, overwrite=overwrite)


def atomic_write_text(
    path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8", mode: int | None = None
) -> Path:
    """Write ``text`` to ``path`` atomically, newlines kept as given (see :func:`atomic_write`)."""
    return atomic_write_bytes(path, text.encode(encoding), mode=mode)


def atomic_write_dir(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
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
