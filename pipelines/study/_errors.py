"""Error messages of ``study.toml`` validation: the line of a key, and what is allowed there.

:func:`find_key_line` maps a key path (a pydantic error location) to its line
in the TOML text; :func:`format_error` turns one pydantic error into a
message naming the file, line and key, with the allowed keys and the closest
match for an unknown key. Used by :func:`qualquant.pipelines.study.read_study`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

__all__ = ["find_key_line", "format_error"]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*(\]\]?)\s*(#.*)?$")
_KEY = re.compile(r'^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\'))*)\s*=')
_INLINE_KEY = re.compile(r'[{,]\s*([A-Za-z0-9_-]+|"[^"]*")\s*=')


def _key_parts(dotted: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', dotted)]


def _line_index(text: str) -> dict[tuple, int]:
    """Map key paths (with array-of-table indices) to 1-based line numbers.

    Scans the TOML text line by line: table headers ``[a.b]`` and
    ``[[a]]`` (counting array entries), ``key = value`` lines (dotted keys
    too) and keys of inline tables on the same line. Multi-line strings are
    skipped. Good enough to point a researcher at the right line; the values
    themselves come from :mod:`tomllib`.
    """
    index: dict[tuple, int] = {}
    counters: dict[tuple, int] = {}
    current: tuple = ()
    in_multiline: str | None = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if in_multiline in line:
                in_multiline = None
            continue
        header = _HEADER.match(line)
        if header and not _KEY.match(line):
            parts = tuple(_key_parts(header.group(2)))
            if header.group(1) == "[[":
                # an array-of-tables entry; nested arrays are indexed under the current parents
                n = counters.get(parts, -1) + 1
                counters[parts] = n
                path: list = []
                for i in range(len(parts)):
                    prefix = parts[: i + 1]
                    path.append(prefix[-1])
                    if prefix in counters and i < len(parts) - 1:
                        path.append(counters[prefix])
                current = tuple(path) + (n,)
            else:
                path = []
                for i in range(len(parts)):
                    prefix = parts[: i + 1]
                    path.append(prefix[-1])
                    if prefix in counters:
                        path.append(counters[prefix])
                current = tuple(path)
            index.setdefault(current, lineno)
            continue
        key = _KEY.match(line)
        if key:
            full = current + tuple(_key_parts(key.group(1)))
            index.setdefault(full, lineno)
            rest = line[key.end() :]
            for inner in _INLINE_KEY.finditer(rest):
                index.setdefault(full + (inner.group(1).strip("\"'"),), lineno)
            for quote in ('"""', "'''"):
                if rest.count(quote) == 1:
                    in_multiline = quote
    return index


def find_key_line(text: str, loc: tuple) -> int | None:
    """Return the line of the key at ``loc`` (a pydantic error location), or of its nearest parent."""
    index = _line_index(text)
    loc = tuple(loc)
    while loc:
        if loc in index:
            return index[loc]
        loc = loc[:-1]
    return None


def _where(loc: tuple) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]} #{item + 1}" if parts else f"#{item + 1}"
        else:
            parts.append(str(item))
    return ".".join(parts) if parts else "top level"


def _model_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    model: Any = root
    for item in loc:
        if isinstance(item, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(item)
        if field is None:
            return None
        annotation = field.annotation
        inner = getattr(annotation, "__args__", None)
        model = inner[0] if inner and getattr(annotation, "__origin__", None) is list else annotation
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def format_error(err: Mapping[str, Any], text: str, source: str, root: type[BaseModel]) -> str:
    """One pydantic error as a message with the file, line, key and what is allowed.

    Parameters
    ----------
    err : mapping
        One item of ``pydantic.ValidationError.errors()``.
    text : str
        The TOML text (for the line number).
    source : str
        The file name shown.
    root : pydantic model class
        The model the whole file was validated against (to list the keys
        allowed where an unknown key is).
    """
    loc = tuple(err.get("loc", ()))
    line = find_key_line(text, loc)
    at = f"{source}, line {line}" if line else source
    if err.get("type") == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        parent = loc[:-1]
        model = _model_at(root, parent)
        allowed = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        table = f"[{_where(parent)}]" if parent else "the top level"
        return f"{at}: unknown key {key!r} in {table}.{hint} Allowed keys there: {', '.join(allowed)}."
    if err.get("type") == "missing":
        return f"{at}: required key {_where(loc)!r} is missing."
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, (dict, list)) else f" (got {got!r})"
    return f"{at}: {_where(loc)}: {msg}{shown}."
