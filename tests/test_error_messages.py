"""Error messages name the command to run, never an internal function.

A user sees an error as one ``Error: ...`` line; "create it with ensure_project"
tells them nothing they can type. This scans the text of every ``raise`` in the
package for function names defined in the package (``read_export``,
``ensure_project``, ...) and for call syntax (``start()``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("qualquant", "corpus", "coding", "quant", "pipelines")
CALL = re.compile(r"\b[A-Za-z_][A-Za-z0-9_.]*\((\.\.\.)?\)")
# names a Python user is told to use on purpose (the estimator shape: "call fit first")
ALLOWED = {"fit"}
# functions behind a command: a message names the command (`qualquant labelstudio push`) instead
INTERNAL = {
    "ensure_project",
    "read_export",
    "write_table",
    "read_table",
    "read_study",
    "open_study",
    "resolve_inputs",
    "export_argument",
    "check_survey_variables",
    "check_construct_codes",
    "atomic_write_text",
    "atomic_write_bytes",
    "init_study",
    "run_demo",
}


def _modules():
    for package in PACKAGES:
        yield from sorted((REPO / package).rglob("*.py"))


def _private_functions() -> set[str]:
    names: set[str] = set()
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and re.fullmatch(r"_[a-z]\w*", node.name):
                names.add(node.name)
    return names


def _programming_error(exc: ast.expr) -> bool:
    """A built-in TypeError/NotImplementedError is a caller's bug shown with its traceback, not a user's error."""
    func = exc.func if isinstance(exc, ast.Call) else exc
    return isinstance(func, ast.Name) and func.id in {"TypeError", "NotImplementedError", "AssertionError"}


def _raised_texts():
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None and not _programming_error(node.exc):
                parts = [
                    sub.value
                    for sub in ast.walk(node.exc)
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str)
                ]
                if parts:
                    yield f"{path.relative_to(REPO)}:{node.lineno}", " ".join(parts)


def test_the_scan_finds_messages():
    texts = dict(_raised_texts())
    assert len(texts) > 200
    assert any("qualquant" in t for t in texts.values())


def test_no_error_message_names_an_internal_function():
    functions = (_private_functions() | INTERNAL) - ALLOWED
    word = re.compile(
        r"(?<![\w`.-])(" + "|".join(sorted(map(re.escape, functions), key=len, reverse=True)) + r")(?![\w-])"
    )
    bad = []
    for where, text in _raised_texts():
        # a backquoted command (`qualquant coding import`) is what a message should name
        plain = re.sub(r"`[^`]*`", "", text)
        for m in [*CALL.finditer(plain), *word.finditer(plain)]:
            bad.append(f"{where}: {m.group(0)!r} in {text[:120]!r}")
    assert not bad, "error messages naming internal functions:\n" + "\n".join(bad)
