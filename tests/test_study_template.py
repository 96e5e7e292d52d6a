"""The ``study.toml`` that ``qualquant init`` writes documents every field of the study models.

Every field of :class:`qualquant.pipelines.study.StudyConfig` and of the tables inside it
(``[corpus.speakers]``, ``[[coding.sources]]``, ``[[constructs]]``, ...) appears in the
template, under its own table header (commented out for optional tables), with a comment
saying what it is for; and the template, as written, loads and gives the defaults
(apart from the four values ``init`` fills in for a new study).
"""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from qualquant.pipelines.study import StudyConfig, read_study
from qualquant.pipelines.study._config import STUDY_TEMPLATE

#: Values that ``qualquant init`` sets for a new study instead of the model's default.
INIT_VALUES = {
    ("study", "title"): "My study",
    ("corpus", "cases"): "cases.csv",
    ("corpus", "names"): "names.txt",
    ("labelstudio", "export"): "labelstudio/*.json",
}

_HEADER = re.compile(r"^\[\[?([\w.]+)\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^(\w+)\s*=\s*(.*)$")


def _model_of(annotation: Any) -> tuple[type[BaseModel], bool] | None:
    """The model a field holds, and whether it is a list of them (an array of tables)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0], True
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _model_of(args[0])
    return None


def model_fields(model: type[BaseModel] = StudyConfig, section: str = "") -> set[tuple[str, str]]:
    """Every (table, key) of the study models: ``("corpus.speakers", "interviewer")``, ``("constructs", "id")``."""
    found: set[tuple[str, str]] = set()
    for name, field in model.model_fields.items():
        inner = _model_of(field.annotation)
        table = f"{section}.{name}" if section else name
        if inner is None:
            found.add((section, name))
        else:
            found |= model_fields(inner[0], table)
    return found


def _trailing_comment(value: str) -> str:
    """The comment after a TOML value on one line ('' if none); values here hold no '#' in strings."""
    in_string = False
    for i, ch in enumerate(value):
        if ch == '"':
            in_string = not in_string
        elif ch == "#" and not in_string:
            return value[i + 1 :].strip()
    return ""


def template_keys(template: str) -> dict[tuple[str, str], str]:
    """Every (table, key) the template shows, set or commented out, with its comment.

    The comment is the text after the value on the key's line, or else the comment
    line(s) just above it.
    """
    keys: dict[tuple[str, str], str] = {}
    section = ""
    above: list[str] = []
    last: tuple[str, str] | None = None  # the key whose trailing comment an indented comment line continues
    for raw in template.splitlines():
        line = raw.strip()
        commented = line.startswith("#")
        body = line.lstrip("#").strip() if commented else line
        header = _HEADER.match(body)
        key = _KEY.match(body)
        if last is not None and commented and (raw.startswith(" ") or body.startswith("#")):
            keys[last] += " " + body.lstrip("#").strip()
        elif header and (not commented or body.startswith("[")):
            section, above, last = header.group(1), [], None
        elif key and (not commented or '"' in key.group(2) or re.match(r"[\[\d{tf]", key.group(2))):
            last = (section, key.group(1))
            keys[last] = _trailing_comment(key.group(2)) or " ".join(above)
            above = []
        elif commented:
            above.append(body)
            last = None
        else:
            above, last = [], None
    return keys


def test_every_field_of_the_study_models_is_in_the_template_with_a_comment():
    fields = model_fields()
    assert ("study", "title") in fields and ("constructs", "id") in fields and ("corpus.speakers", "names") in fields
    shown = template_keys(STUDY_TEMPLATE.format(title="T"))
    missing = sorted(f"[{s}] {k}" for s, k in fields - shown.keys())
    assert not missing, f"fields missing from STUDY_TEMPLATE (pipelines/study/_config.py): {missing}"
    uncommented = sorted(f"[{s}] {k}" for (s, k) in fields if not shown[(s, k)])
    assert not uncommented, f"fields of STUDY_TEMPLATE without a comment saying what they are for: {uncommented}"
    unknown = sorted(f"[{s}] {k}" for s, k in shown.keys() - fields)
    assert not unknown, f"keys in STUDY_TEMPLATE that no study model has: {unknown}"


def test_every_comment_of_a_field_gives_its_default_or_says_it_is_required():
    shown = template_keys(STUDY_TEMPLATE.format(title="T"))
    # a comment block above a key (e.g. [study] design) may give the default on any of its lines
    vague = sorted(f"[{s}] {k}" for (s, k), c in shown.items() if "default" not in c and "required" not in c)
    assert not vague, f"fields of STUDY_TEMPLATE whose comment gives no default: {vague}"


def _defaults(model: BaseModel, section: str = "") -> dict[tuple[str, str], Any]:
    values: dict[tuple[str, str], Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            values |= _defaults(value, f"{section}.{name}" if section else name)
        else:
            values[(section, name)] = value
    return values


def test_the_template_loads_and_gives_the_defaults(tmp_path: Path):
    toml = tmp_path / "study.toml"
    toml.write_text(STUDY_TEMPLATE.format(title=INIT_VALUES[("study", "title")]), encoding="utf-8")
    study = read_study(toml)
    loaded = _defaults(study.config)
    expected = _defaults(StudyConfig()) | INIT_VALUES
    differ = {key: (loaded[key], expected[key]) for key in expected if loaded[key] != expected[key]}
    assert not differ, f"STUDY_TEMPLATE sets these away from their defaults (value, default): {differ}"
