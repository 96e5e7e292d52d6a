"""Read Label Studio exports (full JSON, JSON_MIN, CSV) into validated codings.

Label Studio stores whatever a client sends: out-of-range offsets, unknown
labels and unknown control names are all accepted. This reader therefore
checks every span and reports every record it sets aside or repairs; nothing
is dropped silently. The public entry point is
:func:`qualquant.coding.labelstudio.read_export` (re-exported from here).

What is checked, and what happens
---------------------------------
==========================  =============================================  ===========
situation                   what happens                                   ``action``
==========================  =============================================  ===========
span offsets valid          ``0 <= start < end <= len(text)`` and          kept
                            ``text[start:end] == value.text``
UTF-16 offsets              converting the offsets from UTF-16 code units  repaired
                            to code points makes the text match
offset out of range         reason ``offset_out_of_range``                 set_aside
text does not match         reason ``text_mismatch``                       set_aside
malformed span              missing/non-integer offsets, no text/labels    set_aside
unknown label               label not in the codebook (other labels of     set_aside
                            the same span are kept)
cancelled annotation        ``was_cancelled`` (skipped task)               set_aside
draft                       ignored unless ``include_drafts=True``         set_aside
superseded annotation       several annotations by one coder on one task:  set_aside
                            the latest ``updated_at`` counts
non-span result             choices, taxonomy, relations, ...: reported    not_used
                            once per annotation and result type
task text changed           task text differs from the corpus transcript   set_aside
                            (or segment); all its spans set aside
unknown transcript/segment  task refers to an id not in the corpus         set_aside
span outside segments       the span covers no corpus segment (e.g. only   set_aside
                            a speaker label)
malformed task/annotation   not an object, no id, no text                  set_aside
==========================  =============================================  ===========

Predictions are kept with ``source="prediction"`` and ``coder`` = the
prediction's ``model_version`` (or ``"prediction"``).

JSON_MIN and CSV carry one row per (task, annotation) and only the span lists
(as lists of ``{start, end, text, labels}`` under the control's name);
Label Studio leaves out relations, cancelled annotations, drafts, predictions
and result ids there, and choices cannot be told apart from task data fields.
A file-level row with reason ``format_limitation`` says so in the issues.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pandas as pd

from qualquant.coding.codings import CodedSpan, codings_frame, split_by_segments
from qualquant.coding.errors import ExportFormatError
from qualquant.coding.labelstudio._formats import (
    ISSUES_COLUMNS,
    _Annotation,
    _as_int,
    _as_str,
    _detect_and_load,
    _Issues,
    _tasks_from_full,
    _tasks_from_rows,
    _utf16_to_codepoints,
)

if TYPE_CHECKING:
    from qualquant.coding.codebook import Codebook
    from qualquant.corpus import Corpus, Transcript

__all__ = [
    "ExportReadResult",
    "ISSUES_COLUMNS",
    "ANNOTATIONS_COLUMNS",
    "read_export",
    "parse_export",
    "read_users",
    "users_path",
]

ANNOTATIONS_COLUMNS: tuple[str, ...] = (
    "task_id",
    "annotation_id",
    "coder",
    "source",
    "transcript_id",
    "segment_id",
    "ground_truth",
    "n_spans",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True)
class ExportReadResult:
    """What :func:`read_export` returns.

    Attributes
    ----------
    codings : pandas.DataFrame
        The codings table (see :mod:`qualquant.coding.codings`).
    issues : pandas.DataFrame
        The reconciliation: one row per record set aside, repaired or not
        used; columns ``task_id, annotation_id, result_id, coder, reason,
        action, detail`` (``action`` is ``set_aside``, ``repaired`` or
        ``not_used``).
    coders : mapping of str to str
        Label Studio user id (as text) -> coder name used in the tables.
    annotations : pandas.DataFrame
        One row per annotation (or prediction) that counts, including those
        with no spans, so "coded nothing" can be told from "did not code":
        ``task_id, annotation_id, coder, source, transcript_id, segment_id,
        ground_truth, n_spans, created_at, updated_at`` (``segment_id`` is
        set for segment tasks).
    format : str
        ``"json"``, ``"json_min"`` or ``"csv"``.
    source : str or None
        The file read.
    counts : mapping
        n_tasks, n_annotations (counted), n_spans (span results in counted
        annotations), n_spans_valid, n_spans_repaired, n_spans_set_aside,
        n_spans_excluded (span results in cancelled or superseded
        annotations, checked too), n_spans_excluded_valid, n_rows.
    """

    codings: pd.DataFrame
    issues: pd.DataFrame
    coders: Mapping[str, str]
    annotations: pd.DataFrame
    format: str
    source: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)


# ------------------------------------------------------------------ checking


def _check_span(
    text: str,
    value: Mapping[str, Any],
    *,
    task_id: int | None,
    annotation_id: int | None,
    result_id: str | None,
    coder: str | None,
    issues: _Issues,
) -> tuple[int, int] | None:
    start, end = _as_int(value.get("start")), _as_int(value.get("end"))
    span_text = value.get("text")
    if start is None or end is None:
        issues.add(
            task_id,
            annotation_id,
            result_id,
            coder,
            "malformed_span",
            "set_aside",
            f"span offsets are not integers (start={value.get('start')!r}, end={value.get('end')!r})",
        )
        return None
    if not isinstance(span_text, str):
        issues.add(
            task_id,
            annotation_id,
            result_id,
            coder,
            "malformed_span",
            "set_aside",
            f"span {start}-{end} has no `text` to check the offsets against",
        )
        return None
    if 0 <= start < end <= len(text) and text[start:end] == span_text:
        return start, end
    mapping = _utf16_to_codepoints(text)
    if mapping is not None and 0 <= start < end < len(mapping):
        s16, e16 = mapping[start], mapping[end]
        if s16 >= 0 and e16 >= 0 and s16 < e16 and text[s16:e16] == span_text:
            issues.add(
                task_id,
                annotation_id,
                result_id,
                coder,
                "utf16_offsets_repaired",
                "repaired",
                f"offsets {start}-{end} were UTF-16 code units; converted to code points {s16}-{e16}",
            )
            return s16, e16
    if not (0 <= start < end <= len(text)):
        issues.add(
            task_id,
            annotation_id,
            result_id,
            coder,
            "offset_out_of_range",
            "set_aside",
            f"span {start}-{end} is outside the task text (length {len(text)}); "
            "re-export from Label Studio or fix the annotation",
        )
        return None
    issues.add(
        task_id,
        annotation_id,
        result_id,
        coder,
        "text_mismatch",
        "set_aside",
        f"text[{start}:{end}] is {text[start:end][:60]!r} but the span says {span_text[:60]!r}",
    )
    return None


def _latest_key(ann: _Annotation) -> tuple:
    return (ann.updated_at or ann.created_at or "", ann.annotation_id or 0)


def _coder_names(users: list[str], user_names: Mapping[str, str] | None, pseudonymous: bool) -> dict[str, str]:
    """raw user key -> coder name."""

    def sort_key(u: str) -> tuple[int, int, str]:
        base = u.split("\x00", 1)[0]
        return (0, int(base), u) if base.lstrip("-").isdigit() else (1, 0, u)

    names: dict[str, str] = {}
    for n, user in enumerate(sorted(set(users), key=sort_key), start=1):
        base, _, email = user.partition("\x00")
        if pseudonymous:
            names[user] = f"coder_{n}"
        elif user_names and base in user_names:
            names[user] = str(user_names[base])
        elif email:
            names[user] = email
        elif not base.lstrip("-").isdigit():
            names[user] = base
        else:
            names[user] = f"user_{base}"
    return names


# ------------------------------------------------------------------- public


def parse_export(
    raw: bytes,
    *,
    name: str = "export",
    codebook: Codebook | None = None,
    corpus: Corpus | None = None,
    include_drafts: bool = False,
    users: Mapping[Any, str] | None = None,
    pseudonymous: bool = False,
    text_field: str = "text",
) -> ExportReadResult:
    """Parse export bytes; see :func:`read_export` (``name`` is used in messages)."""
    issues = _Issues()
    fmt, payload = _detect_and_load(raw, name)
    if fmt == "json":
        tasks = _tasks_from_full(payload, issues)
    else:
        tasks = _tasks_from_rows(payload, issues, csv_cells=(fmt == "csv"))
        issues.add(
            None,
            None,
            None,
            None,
            "format_limitation",
            "not_used",
            f"{fmt.upper()} exports omit relations, cancelled annotations, drafts, predictions and "
            "result ids, and choices look like task data; use the full JSON export for a complete "
            "reconciliation",
        )
    user_names = {str(k): v for k, v in (users or {}).items()}
    raw_users = [a.user for t in tasks for a in t.annotations if a.user is not None and a.kind != "prediction"]
    names = _coder_names(raw_users, user_names, pseudonymous)

    def coder_of(ann: _Annotation) -> str:
        if ann.kind == "prediction":
            return ann.model_version or "prediction"
        if ann.user is None:
            return "unknown"
        return names[ann.user]

    spans: list[CodedSpan] = []
    annotation_rows: list[tuple] = []
    counts: defaultdict[str, int] = defaultdict(int)
    counts["n_tasks"] = len(tasks)
    known_codes = set(codebook.code_ids) if codebook is not None else None

    for task in tasks:
        text = task.data.get(text_field)
        task_transcript = _as_str(task.data.get("transcript_id"))
        task_segment = _as_str(task.data.get("segment_id"))
        unit = task.data.get("unit") or ("segment" if task_segment else "transcript")
        # --- which annotations count
        counted: list[_Annotation] = []
        set_aside: list[_Annotation] = []
        by_coder: dict[str, list[_Annotation]] = defaultdict(list)
        for ann in task.annotations:
            coder = coder_of(ann)
            if ann.kind == "draft" and not include_drafts:
                issues.add(
                    task.task_id,
                    ann.annotation_id,
                    None,
                    coder,
                    "draft_ignored",
                    "set_aside",
                    f"draft with {len(ann.results)} result(s) ignored; pass include_drafts=True to use drafts",
                )
                continue
            if ann.cancelled:
                set_aside.append(ann)
                issues.add(
                    task.task_id,
                    ann.annotation_id,
                    None,
                    coder,
                    "cancelled_annotation",
                    "set_aside",
                    f"annotation was cancelled (skipped); its {len(ann.results)} result(s) are excluded",
                )
                continue
            if ann.kind == "prediction":
                counted.append(ann)
            else:
                by_coder[coder].append(ann)
        for coder, anns in by_coder.items():
            anns.sort(key=_latest_key)
            latest = anns[-1]
            counted.append(latest)
            set_aside.extend(anns[:-1])
            for old in anns[:-1]:
                issues.add(
                    task.task_id,
                    old.annotation_id,
                    None,
                    coder,
                    "superseded_annotation",
                    "set_aside",
                    f"{coder} has several annotations on this task; the latest "
                    f"(annotation {latest.annotation_id}, updated {latest.updated_at}) counts",
                )
        if isinstance(text, str):
            _count_set_aside_spans(text, set_aside, counts)
        if not counted:
            continue
        counted.sort(key=lambda a: (a.kind, a.annotation_id or 0))
        if not isinstance(text, str):
            for ann in counted:
                issues.add(
                    task.task_id,
                    ann.annotation_id,
                    None,
                    coder_of(ann),
                    "malformed_task",
                    "set_aside",
                    f"task data has no text field `{text_field}`; {len(ann.results)} result(s) set aside",
                )
            continue
        # --- map onto the corpus
        transcript: Transcript | None = None
        base = 0
        if corpus is not None:
            reason = None
            if task_transcript is None:
                reason = ("unknown_transcript", "task data has no transcript_id, so it is not from this corpus")
            else:
                transcript = _corpus_get(corpus, task_transcript)
                if transcript is None:
                    reason = ("unknown_transcript", f"transcript {task_transcript!r} is not in the corpus")
                elif unit == "segment":
                    segment = next((s for s in transcript.segments if s.segment_id == task_segment), None)
                    if segment is None:
                        reason = (
                            "unknown_segment",
                            f"segment {task_segment!r} is not in transcript {task_transcript!r}",
                        )
                    elif segment.text != text:
                        reason = (
                            "task_text_mismatch",
                            f"task text differs from corpus segment {task_segment!r}; re-push the corpus "
                            "or read the export without the corpus",
                        )
                    else:
                        base = segment.start
                elif transcript.text != text:
                    reason = (
                        "task_text_mismatch",
                        f"task text differs from corpus transcript {task_transcript!r} "
                        f"(task {len(text)} characters, transcript {len(transcript.text)}); re-push the "
                        "corpus or read the export without the corpus",
                    )
            if reason is not None:
                for ann in counted:
                    issues.add(
                        task.task_id,
                        ann.annotation_id,
                        None,
                        coder_of(ann),
                        reason[0],
                        "set_aside",
                        f"{reason[1]}; {len(ann.results)} result(s) set aside",
                    )
                continue
        # --- results
        for ann in counted:
            coder = coder_of(ann)
            source = "prediction" if ann.kind == "prediction" else "human"
            counts["n_annotations"] += 1
            n_spans = 0
            other_types: dict[str, int] = defaultdict(int)
            for position, result in enumerate(ann.results):
                if not isinstance(result, dict):
                    issues.add(
                        task.task_id,
                        ann.annotation_id,
                        None,
                        coder,
                        "malformed_span",
                        "set_aside",
                        f"result #{position} is not an object",
                    )
                    continue
                rtype = _as_str(result.get("type")) or "unknown"
                result_id = _as_str(result.get("id")) or f"{ann.annotation_id}:{result.get('from_name')}:{position}"
                value = result.get("value")
                if rtype != "labels" or not isinstance(value, dict) or "labels" not in value:
                    if rtype == "labels":
                        issues.add(
                            task.task_id,
                            ann.annotation_id,
                            result_id,
                            coder,
                            "malformed_span",
                            "set_aside",
                            "labels result without a `value.labels` list",
                        )
                    else:
                        other_types[rtype] += 1
                    continue
                counts["n_spans"] += 1
                checked_before = len(issues.rows)
                offsets = _check_span(
                    text,
                    value,
                    task_id=task.task_id,
                    annotation_id=ann.annotation_id,
                    result_id=result_id,
                    coder=coder,
                    issues=issues,
                )
                if offsets is None:
                    counts["n_spans_set_aside"] += 1
                    continue
                if len(issues.rows) > checked_before:
                    counts["n_spans_repaired"] += 1
                else:
                    counts["n_spans_valid"] += 1
                labels = value.get("labels")
                if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
                    issues.add(
                        task.task_id,
                        ann.annotation_id,
                        result_id,
                        coder,
                        "malformed_span",
                        "set_aside",
                        f"span {offsets[0]}-{offsets[1]} has no label list",
                    )
                    continue
                start, end = offsets
                parts: Sequence[tuple[str | None, int, int]]
                if transcript is not None:
                    parts = split_by_segments(transcript, base + start, base + end)
                    if not parts:
                        issues.add(
                            task.task_id,
                            ann.annotation_id,
                            result_id,
                            coder,
                            "span_outside_segments",
                            "set_aside",
                            f"span {start}-{end} ({text[start:end][:40]!r}) covers no "
                            "corpus segment (speaker label or blank text only)",
                        )
                        continue
                    canon = transcript.text
                else:
                    parts = [(None, start, end)]
                    canon = text
                for label in dict.fromkeys(labels):
                    if known_codes is not None and label not in known_codes:
                        issues.add(
                            task.task_id,
                            ann.annotation_id,
                            result_id,
                            coder,
                            "unknown_label",
                            "set_aside",
                            f"label {label!r} is not in the codebook (span {start}-{end} "
                            f"{text[start:end][:40]!r}); add it to the codebook or fix the project config",
                        )
                        continue
                    n_spans += 1
                    for segment_id, s, e in parts:
                        spans.append(
                            CodedSpan(
                                coder=coder,
                                source=source,
                                transcript_id=transcript.id if transcript is not None else task_transcript,
                                segment_id=segment_id,
                                code=label,
                                start=s,
                                end=e,
                                text=canon[s:e],
                                task_id=task.task_id,
                                annotation_id=ann.annotation_id,
                                result_id=result_id,
                                created_at=ann.created_at,
                                updated_at=ann.updated_at,
                                ground_truth=ann.ground_truth,
                            )
                        )
            for rtype, n in sorted(other_types.items()):
                issues.add(
                    task.task_id,
                    ann.annotation_id,
                    None,
                    coder,
                    "not_span_result",
                    "not_used",
                    f"not a span result (type {rtype}, {n} result(s)): not used for codings",
                )
            annotation_rows.append(
                (
                    task.task_id,
                    ann.annotation_id,
                    coder,
                    source,
                    transcript.id if transcript is not None else task_transcript,
                    task_segment if unit == "segment" else None,
                    ann.ground_truth,
                    n_spans,
                    ann.created_at,
                    ann.updated_at,
                )
            )

    codings = codings_frame(spans)
    counts["n_rows"] = len(codings)
    annotations = pd.DataFrame(annotation_rows, columns=list(ANNOTATIONS_COLUMNS))
    annotations = annotations.astype(
        {"task_id": "Int64", "annotation_id": "Int64", "n_spans": "int64", "ground_truth": "bool"}
    )
    annotations = annotations.sort_values(["task_id", "source", "coder"], kind="mergesort").reset_index(drop=True)
    coders = MappingProxyType({k.split("\x00", 1)[0]: v for k, v in names.items()})
    for key in (
        "n_tasks",
        "n_annotations",
        "n_spans",
        "n_spans_valid",
        "n_spans_repaired",
        "n_spans_set_aside",
        "n_spans_excluded",
        "n_spans_excluded_valid",
        "n_rows",
    ):
        counts.setdefault(key, 0)
    return ExportReadResult(
        codings=codings,
        issues=issues.frame(),
        coders=coders,
        annotations=annotations,
        format=fmt,
        source=name,
        counts=MappingProxyType(dict(counts)),
    )


def _count_set_aside_spans(text: str, annotations: list[_Annotation], counts: defaultdict[str, int]) -> None:
    """Check the spans of cancelled/superseded annotations too (counts only, no codings)."""
    scratch = _Issues()
    for ann in annotations:
        for result in ann.results:
            if isinstance(result, dict) and result.get("type") == "labels" and isinstance(result.get("value"), dict):
                counts["n_spans_excluded"] += 1
                before = len(scratch.rows)
                ok = _check_span(
                    text, result["value"], task_id=None, annotation_id=None, result_id=None, coder=None, issues=scratch
                )
                if ok is not None and len(scratch.rows) == before:
                    counts["n_spans_excluded_valid"] += 1


def _corpus_get(corpus: Corpus, transcript_id: str) -> Transcript | None:
    try:
        return corpus.get(transcript_id)
    except (KeyError, LookupError):
        return None
    except Exception as exc:  # a corpus error for an unknown id
        from qualquant.errors import QualquantError

        if isinstance(exc, QualquantError):
            return None
        raise


def read_export(
    path: str | os.PathLike[str],
    *,
    codebook: Codebook | None = None,
    corpus: Corpus | None = None,
    include_drafts: bool = False,
    users: Mapping[Any, str] | None = None,
    pseudonymous: bool = False,
    text_field: str = "text",
) -> ExportReadResult:
    """Read a Label Studio export file into validated codings and a reconciliation report.

    Parameters
    ----------
    path : path-like
        A full JSON, JSON_MIN or CSV export (detected from the content).
    codebook : coding.Codebook, optional
        When given, labels not in the codebook are set aside and reported.
    corpus : corpus.Corpus, optional
        When given, spans are mapped onto corpus segments in canonical
        transcript offsets, and tasks whose text no longer matches the corpus
        are set aside and reported. Tasks must carry ``transcript_id`` (and
        ``segment_id`` for segment tasks) in their data, as
        :meth:`qualquant.coding.labelstudio.LabelStudioClient.push` writes them.
    include_drafts : bool
        Count drafts as their user's annotation (the latest still wins).
    users : mapping, optional
        Label Studio user id -> coder name (``LabelStudioClient.users()``).
        Without it, coders are the e-mails in the export (older exports embed
        them) or ``user_<id>``.
    pseudonymous : bool
        Name coders ``coder_1``, ``coder_2``, ... in order of user id.
    text_field : str
        The task data field holding the text (``text``).

    Returns
    -------
    ExportReadResult
        ``.codings``, ``.issues``, ``.coders``, ``.annotations``, ``.counts``.

    Raises
    ------
    ExportFormatError
        The file is missing, not UTF-8, not JSON/CSV, or not a list of
        tasks. Bad records inside a valid file never raise: they are reported
        in ``.issues``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from qualquant import pipelines
    >>> ref = Path(pipelines.__file__).parents[1] / "tests" / "reference" / "labelstudio"
    >>> result = read_export(ref / "malformed_full.json")
    >>> sorted(set(result.issues["reason"]))[:3]
    ['cancelled_annotation', 'draft_ignored', 'not_span_result']
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ExportFormatError(f"Cannot read export {path}: {exc.strerror or exc}.") from None
    return parse_export(
        raw,
        name=str(path),
        codebook=codebook,
        corpus=corpus,
        include_drafts=include_drafts,
        users=users,
        pseudonymous=pseudonymous,
        text_field=text_field,
    )


def users_path(export: str | os.PathLike[str]) -> Path:
    """The coder-name file that may sit next to an export.

    Label Studio exports name annotators by numeric user id only. A JSON object
    of user id -> coder name saved as ``<export stem>.users.json`` next to the
    export (``demo_export.json`` -> ``demo_export.users.json``) names them.
    """
    export = Path(export)
    return export.with_name(f"{export.stem}.users.json")


def read_users(path: str | os.PathLike[str]) -> dict[int, str]:
    """Read a JSON object of Label Studio user id -> coder name.

    Raises
    ------
    ExportFormatError
        When the file is not such an object.
    """
    import json

    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return {int(k): str(v) for k, v in data.items()}
    except FileNotFoundError:
        raise ExportFormatError(f"{path}: no such coder-name file.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ExportFormatError(
            f'{path}: expected a JSON object of Label Studio user id -> coder name, e.g. {{"3": "coder_a"}} ({exc}).'
        ) from None
