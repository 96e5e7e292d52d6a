"""ARCHITECTURE.md (and CONTRIBUTING.md) match the tree.

- Every package folder (a folder of ``qualquant/``, ``corpus/``, ``coding/``,
  ``quant/`` or ``pipelines/`` that holds Python modules) is named in
  ARCHITECTURE.md as a path in backticks, e.g. ``coding/labelstudio/``.
- Every repository path that ARCHITECTURE.md names in backticks exists. A
  backticked word is taken as a path when it contains ``/``, or when it is a bare
  file name such as ``pyproject.toml`` (checked at the repository root).
  Placeholders (``<stage>``, ``*``) are not paths, nor are the names of files a
  study has rather than the repository (``NOT_REPOSITORY_PATHS``).
- Every ``qualquant.*`` name in backticks can be imported (a module, or a name
  of one), and every column list given for a ``*_COLUMNS`` constant in the
  tables section equals that constant.
- The paths and ``qualquant.*`` names in CONTRIBUTING.md are checked the same way.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "ARCHITECTURE.md"
DOCS = (DOC, REPO / "CONTRIBUTING.md")
PACKAGE_ROOTS = ("qualquant", "corpus", "coding", "quant", "pipelines")
#: Suffixes of a bare file name (no folder) taken as a file at the repository root
#: (``pyproject.toml``, ``README.md``); a bare ``__init__.py`` names a kind of module, not a file.
ROOT_FILE_SUFFIXES = (".md", ".toml", ".cfg", ".ini", ".yaml", ".yml")
#: Backticked names of files that a study, a run or `make` creates, not files of the repository.
NOT_REPOSITORY_PATHS = {"study.toml", "qualquant-demo/", "build/package-tree/qualquant/"}

_FENCE = re.compile(r"^```.*?^```[ \t]*$", re.S | re.M)
_CODE = re.compile(r"`([^`\n]+)`")
_DOTTED = re.compile(r"qualquant(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def _text(doc: Path = DOC) -> str:
    return doc.read_text(encoding="utf-8")


def _inline_code(text: str) -> list[str]:
    """Backticked words outside fenced blocks."""
    return [m.group(1).strip() for m in _CODE.finditer(_FENCE.sub("", text))]


def _is_path(token: str) -> bool:
    if any(c in token for c in "<>*{}[] \"'") or token in NOT_REPOSITORY_PATHS:
        return False
    if token.startswith("qualquant.") or token.startswith("."):
        return False
    if "/" in token:
        return True
    return token.endswith(ROOT_FILE_SUFFIXES) or token == "Makefile"


def package_folders() -> list[str]:
    """Repository-relative folders (``coding/refi/``) that hold Python modules, sorted."""
    found = []
    for root in PACKAGE_ROOTS:
        for folder in [REPO / root, *(p for p in (REPO / root).rglob("*") if p.is_dir())]:
            rel = folder.relative_to(REPO)
            if "__pycache__" in rel.parts or any(part.startswith(".") for part in rel.parts):
                continue
            if any(folder.glob("*.py")):
                found.append(rel.as_posix() + "/")
    return sorted(found)


def test_the_tree_has_the_expected_package_roots():
    folders = package_folders()
    for root in PACKAGE_ROOTS:
        assert f"{root}/" in folders, f"{root}/ holds no Python module: update PACKAGE_ROOTS and ARCHITECTURE.md"


def test_every_package_folder_is_named():
    named = {t.rstrip("/") for t in _inline_code(_text())}
    missing = [f for f in package_folders() if f.rstrip("/") not in named]
    assert not missing, (
        "package folders not named (in backticks, e.g. `coding/refi/`) in ARCHITECTURE.md: " + ", ".join(missing)
    )


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_named_path_exists(doc):
    paths = sorted({t for t in _inline_code(_text(doc)) if _is_path(t)})
    assert paths, f"{doc.name} names no paths in backticks"
    missing = [p for p in paths if not (REPO / p).exists()]
    assert not missing, f"{doc.name} names paths that are not in the repository: " + ", ".join(missing)


def _resolve(dotted: str):
    """Import the longest importable module prefix of ``dotted`` and look up the rest as attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError as exc:
            if exc.name is not None and ".".join(parts[:cut]).startswith(exc.name):
                continue
            raise
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_named_python_name_exists(doc):
    names = sorted({m.group(0) for t in _inline_code(_text(doc)) for m in [_DOTTED.fullmatch(t)] if m})
    assert names, f"{doc.name} names no qualquant.* names in backticks"
    missing = []
    for name in names:
        try:
            _resolve(name)
        except (ImportError, AttributeError) as exc:
            missing.append(f"{name} ({exc})")
    assert not missing, f"{doc.name} names what qualquant does not have: " + "; ".join(missing)


def _table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def test_column_lists_match_the_constants():
    checked = 0
    mismatches = []
    for cells in _table_rows(_text()):
        if len(cells) != 3:
            continue
        constant = _CODE.search(cells[1])
        if not constant or not constant.group(1).endswith("_COLUMNS"):
            continue
        documented = tuple(c.strip() for c in cells[2].split(","))
        actual = tuple(_resolve(constant.group(1)))
        checked += 1
        if documented != actual:
            mismatches.append(
                f"{cells[0]}: ARCHITECTURE.md has {', '.join(documented)}; {constant.group(1)} is {', '.join(actual)}"
            )
    assert checked >= 10, f"only {checked} column lists found in ARCHITECTURE.md's tables section"
    assert not mismatches, "column lists out of date:\n" + "\n".join(mismatches)
