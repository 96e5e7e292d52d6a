"""The Label Studio round trip: project from the codebook, push tasks, annotate, pull.

:class:`LabelStudioClient` wraps ``label-studio-sdk`` 2.x. Its API token comes
from an environment variable (``LABEL_STUDIO_API_KEY`` by default) and is never
printed, logged, written to a file or shown in ``repr``. :func:`read_export`
(from :mod:`qualquant.coding.labelstudio._export`) reads export files; :meth:`LabelStudioClient.pull`
first saves the raw export bytes as an immutable snapshot
(``project<id>_<UTC timestamp>_<sha256 prefix>.json``, read-only, never
overwritten) and then parses that snapshot with :func:`read_export`.

Predictions
-----------
Label Studio 1.23's full JSON export lists a task's predictions by id only
(``"predictions": [17, 18]``). :meth:`LabelStudioClient.pull` therefore
fetches the project's predictions through the API in one call
(:meth:`LabelStudioClient.predictions`, ``predictions.list(task_project=...)``),
puts each full prediction in place of its id (:func:`merge_predictions`) and
saves the merged tasks as a second read-only snapshot next to the raw one
(``<same name>.with-predictions.json``), which is the file parsed. Predictions
then come out of :func:`read_export` with ``source="prediction"`` and ``coder``
= their ``model_version``, apart from the human codings.

Task data written by :meth:`LabelStudioClient.push`
---------------------------------------------------
``unit="transcript"`` (default): one task per interview with ``text`` (the
canonical transcript text), ``transcript_id``, ``case_id``, ``segment_ids``
(all segment ids, in order), ``context`` (empty) and ``unit``.

``unit="segment"``: one task per participant turn with ``text`` (the turn),
``transcript_id``, ``case_id``, ``segment_id``, ``segment_ids`` (one element),
``context`` (the preceding interviewer question, empty when there is none)
and ``unit``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualquant.coding.errors import LabelStudioError, LabelStudioTokenError, PushConflictError
from qualquant.coding.labelstudio._export import ExportReadResult, parse_export, read_export
from qualquant.coding.labelstudio._predictions import merge_predictions, needs_predictions, prediction_dict
from qualquant.io import atomic_write_bytes

if TYPE_CHECKING:
    import pandas as pd

    from qualquant.coding.codebook import Codebook
    from qualquant.corpus import Corpus, Transcript

__all__ = ["LabelStudioClient", "PullResult", "PushResult", "merge_predictions", "read_export", "task_data"]

UNITS = ("transcript", "segment")


@dataclass(frozen=True, slots=True)
class PushResult:
    """Outcome of :meth:`LabelStudioClient.push`: task ids created, already present, updated."""

    project_id: int
    unit: str
    created: tuple[int, ...]
    unchanged: tuple[int, ...]
    updated: tuple[int, ...]

    @property
    def task_ids(self) -> tuple[int, ...]:
        """All task ids of the pushed units."""
        return tuple(sorted(self.created + self.unchanged + self.updated))


@dataclass(frozen=True, slots=True)
class PullResult:
    """Outcome of :meth:`LabelStudioClient.pull`.

    Attributes
    ----------
    snapshot : pathlib.Path
        The raw export bytes exactly as the server sent them (read-only).
    export : ExportReadResult
        The parsed, validated export (predictions included).
    merged : pathlib.Path or None
        The export with the full predictions put in place of their ids
        (read-only; the file that was parsed), or None when the export listed
        no prediction to fetch.
    n_predictions : int
        Predictions fetched from the API and merged in.
    """

    snapshot: Path
    export: ExportReadResult
    merged: Path | None = None
    n_predictions: int = 0

    @property
    def parsed(self) -> Path:
        """The snapshot file that was parsed (``merged`` when there is one, else ``snapshot``)."""
        return self.merged if self.merged is not None else self.snapshot

    @property
    def codings(self) -> pd.DataFrame:
        """Shortcut for ``export.codings``."""
        return self.export.codings

    @property
    def issues(self) -> pd.DataFrame:
        """Shortcut for ``export.issues``."""
        return self.export.issues


def _case_id(transcript: Transcript) -> str:
    metadata = getattr(transcript, "metadata", None) or {}
    value = metadata.get("case_id") if hasattr(metadata, "get") else None
    return str(value) if value not in (None, "") else transcript.id


def task_data(corpus: Iterable[Transcript], *, unit: str = "transcript") -> list[dict[str, Any]]:
    """The task data :meth:`LabelStudioClient.push` sends, one dict per task.

    Parameters
    ----------
    corpus : corpus.Corpus or iterable of corpus.Transcript
    unit : {"transcript", "segment"}

    Returns
    -------
    list of dict
        See the module docstring for the fields.
    """
    if unit not in UNITS:
        raise LabelStudioError(f"Unknown task unit {unit!r}; use 'transcript' or 'segment'.")
    tasks: list[dict[str, Any]] = []
    for transcript in corpus:
        case_id = _case_id(transcript)
        if unit == "transcript":
            tasks.append(
                {
                    "text": transcript.text,
                    "transcript_id": transcript.id,
                    "case_id": case_id,
                    "segment_ids": [s.segment_id for s in transcript.segments],
                    "context": "",
                    "unit": "transcript",
                }
            )
            continue
        question = ""
        for segment in transcript.segments:
            if segment.role == "interviewer":
                question = segment.text
            elif segment.role == "participant":
                tasks.append(
                    {
                        "text": segment.text,
                        "transcript_id": transcript.id,
                        "case_id": case_id,
                        "segment_id": segment.segment_id,
                        "segment_ids": [segment.segment_id],
                        "context": question,
                        "unit": "segment",
                    }
                )
                question = ""
    return tasks


def _unit_key(data: dict) -> tuple[str, str] | None:
    unit = data.get("unit")
    if unit == "segment" and data.get("segment_id"):
        return ("segment", str(data["segment_id"]))
    if unit == "transcript" and data.get("transcript_id"):
        return ("transcript", str(data["transcript_id"]))
    return None


def _write_snapshot(raw: bytes, directory: Path, project_id: int, ext: str) -> Path:
    """Write ``raw`` as a new read-only file; never overwrite an existing one."""
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(raw).hexdigest()[:12]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return _write_readonly(directory / f"project{project_id}_{stamp}_{digest}.{ext}", raw)


def _write_readonly(target: Path, raw: bytes) -> Path:
    try:
        return atomic_write_bytes(target, raw, mode=0o444, overwrite=False)
    except FileExistsError:
        raise LabelStudioError(f"Snapshot {target} already exists; not overwriting it.") from None


class LabelStudioClient:
    """A client for one Label Studio server.

    Parameters
    ----------
    url : str
        Server URL, e.g. ``http://127.0.0.1:8080``.
    token_env : str
        Name of the environment variable holding the API token.
    token : str, optional
        The token itself, for callers that hold it in memory (the local test
        server); takes precedence over ``token_env``. Never shown in repr.
    timeout : float
        Seconds per HTTP call.

    Raises
    ------
    LabelStudioTokenError
        The variable is not set (the message names the variable).
    """

    def __init__(
        self, url: str, *, token_env: str = "LABEL_STUDIO_API_KEY", token: str | None = None, timeout: float = 120.0
    ) -> None:
        from label_studio_sdk import LabelStudio

        if token is None:
            token = os.environ.get(token_env)
            if not token:
                raise LabelStudioTokenError(
                    f"No Label Studio API token: set the environment variable {token_env} "
                    "(Account & Settings -> Access Token in Label Studio)."
                )
        self.url = url.rstrip("/")
        self.token_env = token_env
        self._ls = LabelStudio(base_url=self.url, api_key=token, timeout=timeout)

    def __repr__(self) -> str:
        return f"LabelStudioClient({self.url!r}, token_env={self.token_env!r})"

    @property
    def sdk(self) -> Any:
        """The underlying ``label_studio_sdk.LabelStudio`` object."""
        return self._ls

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except LabelStudioError:
            raise
        except Exception as exc:  # SDK/HTTP errors become one project error
            status = getattr(exc, "status_code", None)
            if status == 401:
                raise LabelStudioTokenError(
                    f"Label Studio at {self.url} rejected the API token from {self.token_env} ({what}). "
                    "Check the token and that legacy tokens are enabled."
                ) from None
            body = getattr(exc, "body", None)
            detail = f"HTTP {status}: {str(body)[:300]}" if status else f"{type(exc).__name__}: {str(exc)[:300]}"
            raise LabelStudioError(f"Label Studio at {self.url}: {what} failed ({detail}).") from None

    # ------------------------------------------------------------- users
    def users(self) -> dict[int, str]:
        """Server users: id -> e-mail (or username when there is no e-mail)."""
        users = self._call("listing users", lambda: list(self._ls.users.list()))
        return {int(u.id): (u.email or u.username or f"user_{u.id}") for u in users}

    def whoami(self) -> dict[str, Any]:
        """The current user (id, email)."""
        me = self._call("reading the current user", self._ls.users.whoami)
        return {"id": int(me.id), "email": me.email}

    # ----------------------------------------------------------- projects
    def find_project(self, title: str) -> int | None:
        """Id of the project with this title (None when absent; error when ambiguous)."""
        projects = self._call("listing projects", lambda: list(self._ls.projects.list()))
        matches = sorted(int(p.id) for p in projects if p.title == title)
        if len(matches) > 1:
            raise LabelStudioError(
                f"Several projects are titled {title!r} (ids {', '.join(map(str, matches))}); pass a project id."
            )
        return matches[0] if matches else None

    def ensure_project(self, title: str, codebook: Codebook, *, description: str | None = None) -> int:
        """Create the project from the codebook, or update its labeling config; return its id."""
        config = codebook.to_labelstudio_config()
        project_id = self.find_project(title)
        if project_id is None:
            project = self._call(
                f"creating project {title!r}",
                self._ls.projects.create,
                title=title,
                label_config=config,
                description=description or codebook.title,
            )
            return int(project.id)
        current = self._call(f"reading project {project_id}", self._ls.projects.get, id=project_id)
        if (current.label_config or "").strip() != config.strip():
            self._call(f"updating project {project_id}", self._ls.projects.update, id=project_id, label_config=config)
        return project_id

    def _resolve(self, project: int | str) -> int:
        if isinstance(project, int) or (isinstance(project, str) and project.isdigit()):
            return int(project)
        found = self.find_project(project)
        if found is None:
            raise LabelStudioError(
                f"No project titled {project!r} on {self.url}. Create it from the codebook with "
                "`qualquant labelstudio push --study study.toml`, or give the title or id the project has "
                "on the server."
            )
        return found

    def tasks(self, project: int | str, *, annotations: bool = False) -> list:
        """All tasks of a project (SDK task objects)."""
        project_id = self._resolve(project)
        kwargs: dict[str, Any] = {"project": project_id, "page_size": 100}
        if annotations:
            kwargs["fields"] = "all"
        return self._call(f"listing tasks of project {project_id}", lambda: list(self._ls.tasks.list(**kwargs)))

    # --------------------------------------------------------------- push
    def push(
        self, corpus: Iterable[Transcript], *, unit: str = "transcript", project: int | str, on_change: str = "error"
    ) -> PushResult:
        """Send the corpus as tasks, without creating duplicates.

        Existing tasks are found by ``transcript_id`` (transcript unit) or
        ``segment_id`` (segment unit) in their data. A unit whose text changed
        since it was pushed raises (``on_change="error"``) or, when the task
        has no annotations yet, is updated (``on_change="update"``).

        Raises
        ------
        PushConflictError
            A pushed unit's text differs from the task on the server.
        """
        if on_change not in ("error", "update"):
            raise LabelStudioError("on_change must be 'error' or 'update'.")
        project_id = self._resolve(project)
        wanted = task_data(corpus, unit=unit)
        existing: dict[tuple[str, str], Any] = {}
        for task in self.tasks(project_id):
            key = _unit_key(dict(task.data or {}))
            if key is not None:
                if key in existing:
                    raise PushConflictError(
                        f"Project {project_id} already holds two tasks for {key[0]} {key[1]!r} "
                        f"(tasks {existing[key].id} and {task.id}); delete one in Label Studio."
                    )
                existing[key] = task
        new, unchanged, updated = [], [], []
        for data in wanted:
            key = _unit_key(data)
            task = None if key is None else existing.get(key)
            if key is None or task is None:
                new.append(data)
                continue
            old = dict(task.data or {})
            if old.get("text") == data["text"]:
                unchanged.append(int(task.id))
                continue
            n_ann = int(getattr(task, "total_annotations", 0) or 0)
            if on_change == "error" or n_ann:
                raise PushConflictError(
                    f"Task {task.id} ({key[0]} {key[1]!r}) in project {project_id} holds a different text than "
                    f"the corpus ({len(old.get('text') or '')} vs {len(data['text'])} characters)"
                    + (f" and has {n_ann} annotation(s)" if n_ann else "")
                    + ". Pull and archive its annotations, then delete the task, or push to a new project."
                )
            self._call(f"updating task {task.id}", self._ls.tasks.update, id=str(task.id), data=data)
            updated.append(int(task.id))
        created: list[int] = []
        for start in range(0, len(new), 200):
            batch = new[start : start + 200]
            response = self._call(
                f"importing {len(batch)} tasks into project {project_id}",
                self._ls.projects.import_tasks,
                id=project_id,
                request=batch,
                return_task_ids=True,
            )
            ids = list(getattr(response, "task_ids", None) or [])
            if len(ids) != len(batch):
                raise LabelStudioError(
                    f"Label Studio reported {len(ids)} task ids for {len(batch)} imported tasks "
                    f"in project {project_id}."
                )
            created.extend(int(i) for i in ids)
        return PushResult(project_id, unit, tuple(created), tuple(unchanged), tuple(updated))

    # ----------------------------------------------------------- annotate
    def annotate(
        self, task_id: int, result: list[dict], *, completed_by: int | None = None, ground_truth: bool = False
    ) -> int:
        """Create an annotation on a task (scripted coding); return its id.

        ``result`` items are Label Studio results, e.g. ``{"from_name":
        "capital_type", "to_name": "text", "type": "labels", "value": {"start":
        0, "end": 5, "text": "...", "labels": ["bonding"]}}``; an ``id`` is
        added when missing. ``completed_by`` is a user id (an admin may
        annotate on another user's behalf).
        """
        items = []
        for n, item in enumerate(result):
            item = dict(item)
            item.setdefault("id", f"r{task_id}_{n}")
            items.append(item)
        kwargs: dict[str, Any] = {"id": int(task_id), "result": items}
        if completed_by is not None:
            kwargs["completed_by"] = int(completed_by)
        if ground_truth:
            kwargs["ground_truth"] = True
        annotation = self._call(f"annotating task {task_id}", self._ls.annotations.create, **kwargs)
        return int(annotation.id)

    # -------------------------------------------------------- predictions
    def predictions(self, project: int | str) -> dict[int, list[dict[str, Any]]]:
        """Every prediction of a project, by task id, in one API call.

        Uses ``predictions.list(task_project=<id>)`` (Label Studio's
        ``/api/predictions/?task__project=<id>``). Each prediction is a plain
        dict with the fields :data:`qualquant.coding.labelstudio._predictions.PREDICTION_FIELDS` (``id``, ``task``,
        ``project``, ``model_version``, ``score``, ``result``, ``created_at``,
        ``updated_at``); lists are sorted by prediction id.
        """
        project_id = self._resolve(project)
        items = self._call(
            f"listing the predictions of project {project_id}",
            lambda: list(self._ls.predictions.list(task_project=project_id)),
        )
        out: dict[int, list[dict[str, Any]]] = {}
        for item in items:
            pred = prediction_dict(item)
            if pred["id"] is None or pred["task"] is None:
                raise LabelStudioError(
                    f"Label Studio at {self.url} returned a prediction of project {project_id} without an id or "
                    "task; check the server version (checked with 1.23)."
                )
            out.setdefault(int(pred["task"]), []).append(pred)
        for preds in out.values():
            preds.sort(key=lambda p: int(p["id"]))
        return out

    # -------------------------------------------------------------- pull
    def export_bytes(self, project: int | str, *, export_type: str = "JSON") -> bytes:
        """Raw export bytes (``JSON``, ``JSON_MIN`` or ``CSV``) through the SDK."""
        project_id = self._resolve(project)
        raw = self._call(
            f"exporting project {project_id} as {export_type}",
            self._ls.projects.exports.as_binary,
            project_id,
            export_type=export_type,
        )
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        return bytes(raw)

    def pull(
        self,
        project: int | str,
        *,
        snapshot_dir: str | os.PathLike[str],
        codebook: Codebook | None = None,
        corpus: Corpus | None = None,
        pseudonymous: bool = False,
        include_drafts: bool = False,
        export_type: str = "JSON",
    ) -> PullResult:
        """Export the project, save the raw bytes as a new snapshot, merge predictions, then parse.

        Coders are named from the server's users (e-mail or username), or
        ``coder_1``, ``coder_2``... (by user id) with ``pseudonymous=True``.

        With the full JSON export (``export_type="JSON"``), predictions the
        export lists by id only are fetched through the API in one call
        (:meth:`predictions`), merged into the tasks (:func:`merge_predictions`)
        and saved as a second read-only snapshot next to the raw one
        (``<raw name without .json>.with-predictions.json``); that file is
        parsed, so predictions come back with ``source="prediction"`` and
        ``coder`` = their ``model_version``. JSON_MIN and CSV exports carry no
        predictions (the reconciliation report says so).

        Returns
        -------
        PullResult
            ``.snapshot`` (the raw export), ``.merged`` (the export with
            predictions, or None), ``.n_predictions`` and ``.export``
            (:class:`ExportReadResult`).

        Raises
        ------
        LabelStudioError
            The server refused a call, or a prediction listed in the export
            disappeared before it could be fetched.
        """
        project_id = self._resolve(project)
        ext = {"JSON": "json", "JSON_MIN": "min.json", "CSV": "csv"}.get(export_type)
        if ext is None:
            raise LabelStudioError(f"Unknown export type {export_type!r}; use JSON, JSON_MIN or CSV.")
        raw = self.export_bytes(project_id, export_type=export_type)
        snapshot = _write_snapshot(raw, Path(snapshot_dir), project_id, ext)
        merged_path, n_predictions = None, 0
        if export_type == "JSON":
            try:
                tasks = json.loads(raw.decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                tasks = None  # read_export below reports the bad snapshot clearly
            if needs_predictions(tasks):
                merged, n_predictions = merge_predictions(tasks, self.predictions(project_id), project_id=project_id)
                merged_raw = json.dumps(merged, ensure_ascii=False).encode("utf-8")
                merged_path = _write_readonly(
                    snapshot.with_name(snapshot.name[: -len(".json")] + ".with-predictions.json"), merged_raw
                )
        users = None if pseudonymous else self.users()
        export = read_export(
            merged_path or snapshot,
            codebook=codebook,
            corpus=corpus,
            include_drafts=include_drafts,
            users=users,
            pseudonymous=pseudonymous,
        )
        return PullResult(snapshot=snapshot, export=export, merged=merged_path, n_predictions=n_predictions)

    # ------------------------------------------------------------ status
    def status(self, project: int | str) -> dict[str, Any]:
        """Counts for a project: tasks, annotated tasks, annotations, cancelled, predictions, per coder."""
        project_id = self._resolve(project)
        tasks = self.tasks(project_id, annotations=True)
        users = self.users()
        per_coder: Counter[str] = Counter()
        n_ann = n_cancelled = n_pred = n_annotated = 0
        for task in tasks:
            anns = list(getattr(task, "annotations", None) or [])
            preds = list(getattr(task, "predictions", None) or [])
            n_pred += len(preds)
            done = 0
            for ann in anns:
                ann = ann if isinstance(ann, dict) else ann.dict() if hasattr(ann, "dict") else vars(ann)
                if ann.get("was_cancelled"):
                    n_cancelled += 1
                    continue
                done += 1
                user = ann.get("completed_by")
                if isinstance(user, dict):
                    user = user.get("id")
                per_coder[users.get(int(user), f"user_{user}") if user is not None else "unknown"] += 1
            n_ann += done
            n_annotated += done > 0
        return {
            "project_id": project_id,
            "n_tasks": len(tasks),
            "n_annotated_tasks": n_annotated,
            "n_annotations": n_ann,
            "n_cancelled": n_cancelled,
            "n_predictions": n_pred,
            "annotations_by_coder": dict(sorted(per_coder.items())),
        }

    @staticmethod
    def parse(raw: bytes, **kwargs: Any) -> ExportReadResult:
        """Parse export bytes (see :func:`qualquant.coding.labelstudio._export.parse_export`)."""
        return parse_export(raw, **kwargs)
