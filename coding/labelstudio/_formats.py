"""Low-level readers of Label Studio export formats (full JSON, JSON_MIN, CSV).

They turn an export into neutral task/annotation records and report malformed
records; validation of spans and the codings table are in :mod:`qualquant.coding.labelstudio._export`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from qualquant.coding.errors import ExportFormatError

ISSUES_COLUMNS: tuple[str, ...] = ("task_id", "annotation_id", "result_id", "coder", "reason", "action", "detail")
_MIN_META = {"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time", "agreement"}


# --------------------------------------------------------------------- utils

_ID_MAX = 2**63 - 1  # ids are stored in 64-bit integer columns; larger ones are malformed


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            number = int(text)
    if number is None or not -_ID_MAX <= number <= _ID_MAX:
        return None
    return number


_FLAG_TEXT = {"true": True, "false": False, "1": True, "0": False, "": False}


def _as_flag(value: Any) -> bool | None:
    """A Label Studio true/false field; None when it is neither (never ``bool("false")``)."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return _FLAG_TEXT.get(value.strip().lower())
    return None


def _as_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _utf16_to_codepoints(text: str) -> list[int] | None:
    """Map UTF-16 code-unit offsets to code-point offsets (index = UTF-16 offset)."""
    mapping: list[int] = []
    for i, ch in enumerate(text):
        units = 2 if ord(ch) > 0xFFFF else 1
        mapping.append(i)
        if units == 2:
            mapping.append(-1)  # inside a surrogate pair: not a valid boundary
    mapping.append(len(text))
    return mapping


class _Issues:
    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def add(
        self,
        task_id: int | None,
        annotation_id: int | None,
        result_id: str | None,
        coder: str | None,
        reason: str,
        action: str,
        detail: str,
    ) -> None:
        self.rows.append((task_id, annotation_id, result_id, coder, reason, action, detail))

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=list(ISSUES_COLUMNS))
        df["task_id"] = df["task_id"].astype("Int64")
        df["annotation_id"] = df["annotation_id"].astype("Int64")
        for col in ("result_id", "coder", "reason", "action", "detail"):
            df[col] = df[col].astype("object")
            df[col] = df[col].where(df[col].notna(), None)
        return df


@dataclass
class _Annotation:
    task_id: int
    annotation_id: int | None
    user: str | None  # raw user id as text
    kind: str  # "annotation" | "draft" | "prediction"
    results: list
    created_at: str | None
    updated_at: str | None
    cancelled: bool = False
    ground_truth: bool = False
    model_version: str | None = None


@dataclass
class _Task:
    task_id: int
    data: dict
    annotations: list[_Annotation]


# ------------------------------------------------------------ format readers


def _detect_and_load(raw: bytes, name: str) -> tuple[str, Any]:
    text: str
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExportFormatError(f"{name}: not UTF-8 text; a Label Studio export is UTF-8 JSON or CSV.") from None
    stripped = text.lstrip()
    if not stripped:
        raise ExportFormatError(f"{name}: the file is empty. Export again from Label Studio.")
    if stripped[0] in "[{" or name.lower().endswith(".json"):
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ExportFormatError(
                f"{name}: not valid JSON ({exc.__class__.__name__}: {exc}). Export again from Label Studio."
            ) from None
        if not isinstance(data, list):
            raise ExportFormatError(
                f"{name}: a Label Studio JSON export is a list of tasks, found a {type(data).__name__}."
            )
        dicts = [item for item in data if isinstance(item, dict)]
        if any(("annotations" in item or "predictions" in item or "data" in item) for item in dicts):
            return "json", data
        if not dicts:
            return ("json", data)
        return "json_min", data
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = list(reader)
    except csv.Error as exc:
        raise ExportFormatError(f"{name}: not a readable CSV export ({exc}).") from None
    if reader.fieldnames is None or "id" not in reader.fieldnames:
        raise ExportFormatError(
            f"{name}: neither JSON nor a Label Studio CSV export (no `id` column). Export as JSON, JSON_MIN or CSV."
        )
    return "csv", rows


def _tasks_from_full(data: list, issues: _Issues) -> list[_Task]:
    tasks: list[_Task] = []
    for position, item in enumerate(data):
        task_id = _as_int(item.get("id")) if isinstance(item, dict) else None
        if task_id is None:
            issues.add(
                None,
                None,
                None,
                None,
                "malformed_task",
                "set_aside",
                f"record #{position} is not a task object with an integer id",
            )
            continue
        data_field = item.get("data")
        if not isinstance(data_field, dict):
            issues.add(task_id, None, None, None, "malformed_task", "set_aside", "task has no `data` object")
            continue
        annotations: list[_Annotation] = []
        for kind, key in (("annotation", "annotations"), ("draft", "drafts"), ("prediction", "predictions")):
            entries = item.get(key) or []
            if not isinstance(entries, list):
                issues.add(task_id, None, None, None, "malformed_annotation", "set_aside", f"`{key}` is not a list")
                continue
            for entry in entries:
                if not isinstance(entry, dict):
                    issues.add(
                        task_id,
                        None,
                        None,
                        None,
                        "malformed_annotation",
                        "set_aside",
                        f"an entry of `{key}` is not an object",
                    )
                    continue
                if kind == "annotation":
                    user = entry.get("completed_by")
                elif kind == "draft":
                    user = entry.get("user", entry.get("completed_by"))
                else:
                    user = None
                email = None
                if kind == "draft" and isinstance(user, str) and not user.strip().isdigit():
                    # older exports: draft `user` is the e-mail, `created_username` is "email, id"
                    email = user
                    created = _as_str(entry.get("created_username")) or ""
                    uid = created.rsplit(",", 1)[-1].strip() if "," in created else ""
                    user = uid if uid.isdigit() else None
                    if user is None:
                        user, email = email, None
                if isinstance(user, dict):
                    email = _as_str(user.get("email"))
                    user = user.get("id")
                user_key = _as_str(user)
                if email and user_key:
                    user_key = f"{user_key}\x00{email}"
                result = entry.get("result")
                flags = {name: _as_flag(entry.get(name, False)) for name in ("was_cancelled", "ground_truth")}
                bad = [f"`{name}` is {entry.get(name)!r}" for name, flag in flags.items() if flag is None]
                if bad:
                    issues.add(
                        task_id,
                        _as_int(entry.get("id")),
                        None,
                        None,
                        "malformed_annotation",
                        "set_aside",
                        f"{kind}: {', '.join(bad)}, not true or false",
                    )
                    continue
                annotations.append(
                    _Annotation(
                        task_id=task_id,
                        annotation_id=_as_int(entry.get("id")),
                        user=user_key,
                        kind=kind,
                        results=result if isinstance(result, list) else [],
                        created_at=_as_str(entry.get("created_at")),
                        updated_at=_as_str(entry.get("updated_at")),
                        cancelled=bool(flags["was_cancelled"]),
                        ground_truth=bool(flags["ground_truth"]),
                        model_version=_as_str(entry.get("model_version")),
                    )
                )
                if not isinstance(result, list):
                    issues.add(
                        task_id,
                        _as_int(entry.get("id")),
                        None,
                        None,
                        "malformed_annotation",
                        "set_aside",
                        f"{kind} has no `result` list",
                    )
        tasks.append(_Task(task_id, data_field, annotations))
    return tasks


def _is_span_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) > 0
        and all(isinstance(v, dict) for v in value)
        and all(("start" in v or "end" in v or "labels" in v) for v in value)
    )


def _tasks_from_rows(rows: list, issues: _Issues, *, csv_cells: bool) -> list[_Task]:
    tasks: dict[int, _Task] = {}
    for position, row in enumerate(rows):
        task_id = _as_int(row.get("id")) if isinstance(row, dict) else None
        if task_id is None:
            issues.add(
                None, None, None, None, "malformed_task", "set_aside", f"row #{position + 1} has no integer task `id`"
            )
            continue
        data: dict = {}
        results: list = []
        for key, value in row.items():
            if key in _MIN_META or key is None:
                continue
            if csv_cells and isinstance(value, str) and value.startswith("[{"):
                try:
                    parsed = json.loads(value)
                except (json.JSONDecodeError, RecursionError):
                    parsed = value
                value = parsed
            if _is_span_list(value):
                for item in value:
                    results.append({"from_name": key, "type": "labels", "value": item})
            elif csv_cells and isinstance(value, str) and value.startswith(("[", "{")):
                try:
                    data[key] = json.loads(value)
                except (json.JSONDecodeError, RecursionError):
                    data[key] = value
            else:
                data[key] = value
        task = tasks.setdefault(task_id, _Task(task_id, data, []))
        annotation_id = _as_int(row.get("annotation_id"))
        if annotation_id is None and not results and row.get("annotator") in (None, ""):
            continue  # a task with no annotation
        for n, result in enumerate(results):
            result["id"] = f"{annotation_id}:{result['from_name']}:{n}"
        task.annotations.append(
            _Annotation(
                task_id=task_id,
                annotation_id=annotation_id,
                user=_as_str(row.get("annotator")) or None,
                kind="annotation",
                results=results,
                created_at=_as_str(row.get("created_at")),
                updated_at=_as_str(row.get("updated_at")),
            )
        )
    return list(tasks.values())
