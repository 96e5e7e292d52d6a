"""The installed shape of qualquant: one import name, faces with ``__all__``, a documented public API.

- The distribution installs one top-level package, ``qualquant``; the repository's
  folders corpus/, coding/, quant/ and pipelines/ become qualquant.corpus and so on
  (setuptools package-dir), both in a wheel and in an editable install, and
  ``import corpus`` does not work outside the repository.
- Every ``__init__.py`` is a face: a docstring, imports, ``__all__`` (and lazy
  loading), no logic. Every public name exists and has a docstring, and
  docs/reference.md lists it (regenerate with ``python tests/test_packaging.py``).
- The command line imports from the other packages only names they export.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FOLDERS = {
    "qualquant": "qualquant",
    "corpus": "qualquant.corpus",
    "coding": "qualquant.coding",
    "quant": "qualquant.quant",
    "pipelines": "qualquant.pipelines",
}
REFERENCE = REPO / "docs" / "reference.md"


def _tree_packages() -> dict[str, Path]:
    """Installed package name -> folder, for every folder with an ``__init__.py``."""
    found = {}
    for folder, name in FOLDERS.items():
        for init in sorted((REPO / folder).rglob("__init__.py")):
            rel = init.parent.relative_to(REPO / folder).parts
            if "demo_data" in rel or "__pycache__" in rel:
                continue
            found[".".join((name, *rel))] = init.parent
    return found


PACKAGES = _tree_packages()


def _faces() -> list[str]:
    return sorted(PACKAGES)


# ------------------------------------------------------------------ packaging


def test_pyproject_lists_every_package_and_maps_the_four_folders():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert sorted(config["packages"]) == sorted(PACKAGES)
    assert config["package-dir"] == {name: folder for folder, name in FOLDERS.items()}


def test_editable_install_has_one_import_name(tmp_path):
    code = (
        "import importlib.util, qualquant.corpus, qualquant.pipelines.cli as cli\n"
        "print(qualquant.corpus.__file__)\n"
        "print([n for n in ('corpus', 'coding', 'quant', 'pipelines') if importlib.util.find_spec(n)])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    path, leaked = proc.stdout.splitlines()
    assert Path(path) == REPO / "corpus" / "__init__.py"
    assert leaked == "[]"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(REPO)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (built,) = out.glob("qualquant-*.whl")
    return built


def test_wheel_installs_only_the_qualquant_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"qualquant"}
    (top_level,) = [n for n in names if n.endswith(".dist-info/top_level.txt")] or [None]
    if top_level:
        assert zipfile.ZipFile(wheel).read(top_level).decode().split() == ["qualquant"]
    for package in PACKAGES:
        assert package.replace(".", "/") + "/__init__.py" in names
    assert "qualquant/pipelines/demo_data/study.toml" in names
    assert "qualquant/coding/refi/schemas/Project-mrt2019.xsd" in names


def test_regular_install_imports_from_the_installed_files(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    code = (
        "import importlib.util, qualquant, qualquant.pipelines\n"
        "from qualquant.coding.refi._schema import SCHEMA_DIR, SCHEMA_FILES\n"
        "assert all((SCHEMA_DIR / f).is_file() for f in SCHEMA_FILES.values())\n"
        "print(qualquant.pipelines.__file__)\n"
        "print(qualquant.pipelines.DEMO_DIR.joinpath('study.toml').is_file())\n"
        "print([n for n in ('corpus', 'coding', 'quant', 'pipelines') if importlib.util.find_spec(n)])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    path, demo, leaked = proc.stdout.splitlines()
    assert Path(path).is_relative_to(target)
    assert demo == "True" and leaked == "[]"


# ------------------------------------------------------------------ faces


def _is_face_statement(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
        return True  # the docstring
    if isinstance(node, ast.FunctionDef) and node.name in ("__getattr__", "__dir__"):
        return True  # lazy loading of heavy modules
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return True  # __all__ and documented constants
    if isinstance(node, ast.Try):  # an optional import
        return all(isinstance(n, (ast.Import, ast.ImportFrom, ast.Assign)) for n in node.body)
    return False


@pytest.mark.parametrize("package", _faces())
def test_every_init_is_a_face_with_all(package):
    init = PACKAGES[package] / "__init__.py"
    tree = ast.parse(init.read_text(encoding="utf-8"))
    logic = [f"line {n.lineno}: {ast.dump(n)[:60]}" for n in tree.body if not _is_face_statement(n)]
    assert not logic, f"{init.relative_to(REPO)} has logic; move it to a module: {logic}"
    module = importlib.import_module(package)
    assert isinstance(module.__all__, list) and module.__all__, f"{package} has no __all__"
    assert (module.__doc__ or "").strip(), f"{package} has no docstring"


@pytest.mark.parametrize("package", _faces())
def test_every_public_name_exists_and_has_a_docstring(package):
    module = importlib.import_module(package)
    missing, undocumented = [], []
    for name in module.__all__:
        if not hasattr(module, name):
            missing.append(name)
            continue
        obj = getattr(module, name)
        if (callable(obj) or isinstance(obj, type)) and not isinstance(obj, Path):
            own = obj.__doc__ if not isinstance(obj, type) else obj.__dict__.get("__doc__")
            if not (own or "").strip():
                undocumented.append(name)
    assert missing == [], f"{package}.__all__ names what it does not have: {missing}"
    assert undocumented == [], f"{package}: public names without a docstring: {undocumented}"


def reference_text() -> str:
    """docs/reference.md: every package face and its public names with their one-line summary."""
    lines = [
        "# Python reference",
        "",
        "Every public name of qualquant, by package, with the first line of its docstring.",
        "Generated from the packages' `__all__` by `python tests/test_packaging.py`; a test checks",
        "that it is current. `help(qualquant.<package>.<name>)` shows the whole docstring.",
        "",
    ]
    for package in _faces():
        module = importlib.import_module(package)
        lines += [f"## `{package}`", "", (module.__doc__ or "").strip().splitlines()[0], ""]
        for name in sorted(module.__all__, key=str.lower):
            obj = getattr(module, name)
            if callable(obj) or isinstance(obj, type):
                doc = (obj.__doc__ or "").strip().splitlines()
                summary = doc[0] if doc else ""
                kind = "class" if isinstance(obj, type) else "function"
            else:
                summary, kind = f"constant ({type(obj).__name__})", "data"
            lines.append(f"- `{name}` ({kind}): {summary}")
        lines.append("")
    return "\n".join(lines)


def test_reference_docs_list_every_public_name():
    assert REFERENCE.is_file(), "docs/reference.md is missing: run `python tests/test_packaging.py`"
    assert REFERENCE.read_text(encoding="utf-8") == reference_text(), (
        "docs/reference.md is out of date: run `python tests/test_packaging.py`"
    )


def test_cli_imports_only_exported_names_from_other_packages():
    """pipelines/cli uses corpus, coding and quant through names they export (``__all__``)."""
    bad = []
    for path in sorted((REPO / "pipelines" / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qualquant.")):
                continue
            if node.module.split(".")[1] in ("pipelines",):
                continue
            module = importlib.import_module(node.module)
            private = any(part.startswith("_") for part in node.module.split("."))
            for alias in node.names:
                if importlib.util.find_spec(f"{node.module}.{alias.name}") if hasattr(module, "__path__") else False:
                    continue  # a submodule
                if private or alias.name not in getattr(module, "__all__", ()):
                    bad.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.module}.{alias.name}")
    assert bad == [], "the command line imports names another package does not export:\n" + "\n".join(bad)


if __name__ == "__main__":
    REFERENCE.parent.mkdir(exist_ok=True)
    REFERENCE.write_text(reference_text(), encoding="utf-8")
    print(f"wrote {REFERENCE.relative_to(REPO)}")
