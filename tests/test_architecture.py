"""The architecture of qualquant, checked: layers, import direction and import circles.

Run from the command line, ``python tests/test_architecture.py`` prints the
import-linter report (what ``lint-imports`` says about the contracts in
pyproject.toml) and exits with its status.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


# =========================================================================== layers and circles
#
# import-linter and grimp find a package's modules by walking the folder of its
# ``__init__.py``. The repository keeps corpus/, coding/, quant/ and pipelines/
# beside qualquant/ (setuptools' package-dir puts them inside qualquant when
# installed), so the checks run on a tree of links shaped like the installed
# package: qualquant/ with corpus, coding, quant and pipelines inside it.


def package_tree(root: Path) -> Path:
    """Links under ``root`` shaped like the installed package; returns the folder to put on ``sys.path``."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    mapping: dict[str, str] = config["package-dir"]  # installed name -> folder in the repository
    top = root / "qualquant"
    top.mkdir(parents=True)
    for entry in (REPO / mapping["qualquant"]).iterdir():
        if entry.name != "__pycache__":
            (top / entry.name).symlink_to(entry)
    for name, folder in mapping.items():
        if name != "qualquant":
            (top / name.split(".", 1)[1]).symlink_to(REPO / folder, target_is_directory=True)
    return root


def _run_in_tree(args: list[str], root: Path) -> subprocess.CompletedProcess:
    """Run ``args`` with the package tree first on the path (and as the working folder, where lint-imports
    looks for modules first), so the installed package's layout is what is analysed."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=600)


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` on the contracts of pyproject.toml, over the package tree at ``root``."""
    exe = Path(sys.executable).with_name("lint-imports")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "importlinter.cli"]
    return _run_in_tree([*command, str(REPO / "pyproject.toml"), "--no-cache"], root)


# Printed as JSON by a separate interpreter (the one running the tests has already
# imported qualquant from the repository, where grimp would not find the subpackages).
_GRAPH_SCRIPT = r"""
import json, sys
import grimp

graph = grimp.build_graph("qualquant", include_external_packages=True)
modules = sorted(m for m in graph.modules if m == "qualquant" or m.startswith("qualquant."))
edges = {m: sorted(i for i in graph.find_modules_directly_imported_by(m) if i.startswith("qualquant"))
         for m in modules}

# Tarjan's strongly connected components: every component of two or more modules is a circle.
sys.setrecursionlimit(100000)
index, low, stack, on_stack, components = {}, {}, [], set(), []

def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v)
    on_stack.add(v)
    for w in edges[v]:
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on_stack:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        component = []
        while True:
            w = stack.pop()
            on_stack.discard(w)
            component.append(w)
            if w == v:
                break
        if len(component) > 1:
            components.append(sorted(component))

for m in modules:
    if m not in index:
        visit(m)

def line(importer, imported):
    details = graph.get_import_details(importer=importer, imported=imported)
    return f"{importer} -> {imported} (line {', '.join(str(d['line_number']) for d in details)})"

cycles = []
for component in components:
    first = component[0]
    second = next(w for w in edges[first] if w in component)
    back = graph.find_shortest_chain(importer=second, imported=first)
    chain = [first, *back]
    cycles.append([line(a, b) for a, b in zip(chain, chain[1:])])

print(json.dumps({
    "modules": modules,
    "cycles": cycles,
    "importers": {ext: sorted(graph.find_modules_that_directly_import(ext))
                  for ext in ("typer", "rich", "gensim", "spacy") if ext in graph.modules},
}))
"""


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return package_tree(tmp_path_factory.mktemp("tree"))


@pytest.fixture(scope="module")
def graph(tree) -> dict:
    proc = _run_in_tree([sys.executable, "-c", _GRAPH_SCRIPT], tree)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_the_import_graph_covers_the_installed_package(graph):
    """The checks see every module of the four packages (not only the top folder) and their imports."""
    modules = set(graph["modules"])
    for folder, name in (
        ("corpus", "qualquant.corpus"),
        ("coding", "qualquant.coding"),
        ("quant", "qualquant.quant"),
        ("pipelines", "qualquant.pipelines"),
    ):
        files = [p for p in (REPO / folder).rglob("*.py") if "demo_data" not in p.parts]
        assert len([m for m in modules if m == name or m.startswith(name + ".")]) == len(files), folder
    assert {"qualquant.io", "qualquant.errors", "qualquant.pipelines.stages._run"} <= modules
    # the terminal libraries are in the graph, so the contract about them is not vacuous
    assert graph["importers"]["typer"] and graph["importers"]["rich"]


def test_no_import_circles(graph):
    """No module imports, directly or through others (at any level of a function), a module that imports it."""
    assert graph["cycles"] == [], "import circles:\n" + "\n\n".join("\n".join(c) for c in graph["cycles"])


def test_import_contracts_are_kept(tree):
    """The contracts in pyproject.toml ([tool.importlinter]): layers, no gensim/spaCy in quant, terminal
    libraries only in the command line, no circles between sibling packages."""
    proc = lint_imports(tree)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report[-6000:]
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    n = len(contracts["contracts"])
    assert f"Contracts: {n} kept, 0 broken." in report, report[-6000:]


def test_only_the_command_line_imports_typer_and_rich(graph):
    """The same rule as the contract, named module by module when it breaks."""
    outside = [
        m
        for ext in ("typer", "rich")
        for m in graph["importers"].get(ext, [])
        if not m.startswith("qualquant.pipelines.cli")
    ]
    assert outside == [], f"typer/rich imported outside qualquant.pipelines.cli: {outside}"


def test_quant_imports_neither_gensim_nor_spacy(graph):
    """The statistics stay light: quant never imports gensim or spaCy (also a contract)."""
    nlp = [m for ext in ("gensim", "spacy") for m in graph["importers"].get(ext, []) if m.startswith("qualquant.quant")]
    assert nlp == []


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        result = lint_imports(package_tree(Path(folder)))
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    sys.exit(result.returncode)
