"""Docstring examples of the package modules run as doctests, under their installed names.

The repository keeps one folder per capability (corpus/, coding/, quant/,
pipelines/) and installs them as ``qualquant.corpus`` and so on. pytest's own
``--doctest-modules`` would import ``corpus/cases.py`` a second time as a
top-level module ``corpus.cases``; here each file is imported once, by the name
a user imports it with, and its Examples run there.
"""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest
from _pytest.doctest import DoctestModule

ROOT = Path(__file__).resolve().parent
# Repository folder -> installed package name, read from setuptools' package-dir
# in pyproject.toml (the one place the mapping is written).
_PACKAGE_DIR = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-dir"]
PACKAGE_FOLDERS = {folder: name for name, folder in _PACKAGE_DIR.items()}


def installed_name(path: Path) -> str | None:
    """``qualquant.corpus.cases`` for ``corpus/cases.py``; None outside the package folders."""
    try:
        parts = path.resolve().relative_to(ROOT).with_suffix("").parts
    except ValueError:
        return None
    if len(parts) < 2 or parts[0] not in PACKAGE_FOLDERS or path.suffix != ".py":
        return None
    if not all((ROOT.joinpath(*parts[:i]) / "__init__.py").is_file() for i in range(1, len(parts))):
        return None  # a script in a data folder, not a module of the package
    inner = parts[1:-1] if parts[-1] == "__init__" else parts[1:]
    return ".".join((PACKAGE_FOLDERS[parts[0]], *inner))


class InstalledDoctestModule(DoctestModule):
    """A module's doctests, the module imported by its installed name."""

    def _getobj(self):
        return importlib.import_module(installed_name(self.path))


def pytest_collect_file(file_path: Path, parent):
    if installed_name(file_path) is not None and not file_path.name.startswith("test_"):
        return InstalledDoctestModule.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path: Path, parent):
    """Package folders are plain directories to pytest: its Package node would import
    ``corpus/__init__.py`` a second time as a top-level ``corpus``."""
    try:
        parts = path.resolve().relative_to(ROOT).parts
    except ValueError:
        return None
    if parts and parts[0] in PACKAGE_FOLDERS and (path / "__init__.py").is_file():
        return pytest.Dir.from_parent(parent, path=path)
    return None
