"""Label Studio predictions: put the full predictions into a full JSON export that lists them by id.

Label Studio 1.23's full JSON export lists a task's predictions by id only
(``"predictions": [17, 18]``). :meth:`qualquant.coding.labelstudio.LabelStudioClient.pull`
fetches them through the API (:meth:`~qualquant.coding.labelstudio.LabelStudioClient.predictions`)
and merges them in with :func:`merge_predictions` before parsing, so
:func:`qualquant.coding.labelstudio._export.parse_export` sees them like any other prediction
(``source="prediction"``, ``coder`` = ``model_version``).
"""

from __future__ import annotations

from typing import Any

from qualquant.coding.errors import LabelStudioError

__all__ = ["PREDICTION_FIELDS", "merge_predictions", "needs_predictions", "prediction_dict"]


#: Fields kept from a prediction fetched through the API (``created_ago`` and the like change with time).
PREDICTION_FIELDS = ("id", "task", "project", "model_version", "score", "result", "created_at", "updated_at")


def prediction_dict(pred: Any) -> dict[str, Any]:
    """A prediction (SDK object or dict) as a plain JSON-ready dict with :data:`PREDICTION_FIELDS`."""
    if isinstance(pred, dict):
        data = dict(pred)
    elif hasattr(pred, "model_dump"):
        data = pred.model_dump(mode="json")
    else:
        data = {k: getattr(pred, k, None) for k in PREDICTION_FIELDS}
    out = {k: data.get(k) for k in PREDICTION_FIELDS}
    for key in ("created_at", "updated_at"):
        stamp = out[key]
        if stamp is not None and not isinstance(stamp, str):
            out[key] = stamp.isoformat() if hasattr(stamp, "isoformat") else str(stamp)
    if out["result"] is None:
        out["result"] = []
    return out


def _prediction_ref(entry: object) -> int | None:
    """The prediction id when an export lists a prediction by id only (an int, or a dict without ``result``)."""
    if isinstance(entry, bool):
        return None
    if isinstance(entry, int):
        return entry
    if isinstance(entry, str) and entry.strip().isdigit():
        return int(entry)
    if isinstance(entry, dict) and "result" not in entry and entry.get("id") is not None:
        try:
            return int(entry["id"])
        except (TypeError, ValueError):
            return None
    return None


def needs_predictions(tasks: Any) -> bool:
    """Whether a full JSON export (parsed) lists any prediction by id only."""
    if not isinstance(tasks, list):
        return False
    return any(
        _prediction_ref(p) is not None
        for t in tasks
        if isinstance(t, dict) and isinstance(t.get("predictions"), list)
        for p in t["predictions"]
    )


def merge_predictions(
    tasks: list, predictions: dict[int, list[dict]], *, project_id: int | None = None
) -> tuple[list, int]:
    """Put full predictions in place of the prediction ids a full JSON export lists.

    Parameters
    ----------
    tasks : list
        The full JSON export, parsed (a list of task objects); not modified.
    predictions : dict of int to list of dict
        Task id -> the task's predictions as fetched through the API
        (:meth:`LabelStudioClient.predictions`).
    project_id : int, optional
        Named in error messages.

    Returns
    -------
    (list, int)
        A new list of tasks (each task a shallow copy with its ``predictions``
        replaced) and the number of predictions merged in. Entries that are
        already full predictions (with a ``result``) are kept as they are;
        predictions created after the export (not listed in it) are left out,
        so the merged file describes the project at export time.

    Raises
    ------
    LabelStudioError
        A prediction listed in the export was not returned by the API (deleted
        during the pull): the message names the task and prediction; pull again.
    """
    where = f" of project {project_id}" if project_id is not None else ""
    merged, n = [], 0
    for task in tasks:
        if not isinstance(task, dict) or not isinstance(task.get("predictions"), list):
            merged.append(task)
            continue
        fetched = {}
        task_id = task.get("id")
        for pred in predictions.get(int(task_id), []) if isinstance(task_id, int) else []:
            fetched[int(pred["id"])] = pred
        entries = []
        for entry in task["predictions"]:
            ref = _prediction_ref(entry)
            if ref is None:
                entries.append(entry)
                continue
            if ref not in fetched:
                raise LabelStudioError(
                    f"Task {task_id}{where}: the export lists prediction {ref}, but the prediction API did not "
                    "return it (was it deleted during the pull?). Pull again."
                )
            entries.append(fetched[ref])
            n += 1
        merged.append({**task, "predictions": entries})
    return merged, n
