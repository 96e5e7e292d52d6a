"""The codings of a study from every source of ``study.toml``: Label Studio exports, REFI-QDA projects, tables.

``[[coding.sources]]`` lists the sources; ``[labelstudio] export`` is a shorthand
for one Label Studio source. Every source is read against the study's
(pseudonymised) corpus and codebook with the same checks, and every record set
aside or repaired is one row of the issues table, with the source file in
``file``.
"""

from __future__ import annotations

import glob
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from qualquant.pipelines.errors import StudyConfigError

# The study (``qualquant.pipelines.study.Study``): not imported here, as that module imports this one.
Study = Any

if TYPE_CHECKING:
    from qualquant.coding.codebook import Codebook
    from qualquant.corpus import Corpus

__all__ = ["SourceFile", "read_sources", "source_files"]

_ISSUE_COLUMNS = ["task_id", "annotation_id", "result_id", "coder", "reason", "action", "detail", "file"]


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One codings file to read: its format, path and mapping files (None when not given)."""

    format: str
    path: Path
    codes: Path | None = None
    transcripts: Path | None = None


def _expand(study: Study, value: str) -> list[Path]:
    p = study.resolve(value)
    if any(ch in value for ch in "*?["):
        found = sorted(Path(q) for q in glob.glob(str(p)))
    else:
        found = [p] if p.exists() else []
    return [q for q in found if q.is_file() and not q.name.endswith(".users.json")]


def source_files(study: Study, *, shorthand: bool = True) -> list[SourceFile]:
    """Every codings file of the study: the ``[labelstudio] export`` files, then each ``[[coding.sources]]``'s.

    A file named twice (the shorthand and a Label Studio source) is read once. With
    ``shorthand=False`` (a live pull replaces the export) only ``[[coding.sources]]`` count.
    """
    out = [SourceFile("labelstudio", p) for p in study.export_paths()] if shorthand else []
    seen = {(f.format, f.path.resolve()) for f in out}
    for src in study.config.coding.sources:
        codes = study.optional(src.codes)
        transcripts = study.optional(src.transcripts)
        for p in _expand(study, src.path):
            if (src.format, p.resolve()) not in seen:
                seen.add((src.format, p.resolve()))
                out.append(SourceFile(src.format, p, codes, transcripts))
    return out


def missing_sources(study: Study) -> list[str]:
    """The ``[[coding.sources]]`` paths that match no file."""
    return [src.path for src in study.config.coding.sources if not _expand(study, src.path)]


def _label(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def read_sources(
    study: Study,
    *,
    corpus: Corpus,
    codebook: Codebook,
    progress: Callable[[str], None] | None = None,
    shorthand: bool = True,
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Read every codings file of ``study``: (codings tables, issues tables with the source ``file``)."""
    from qualquant.coding import read_export
    from qualquant.coding.labelstudio import read_users, users_path
    from qualquant.coding.refi import read_qdpx
    from qualquant.coding.sources import check_codings, map_codes, read_mapping, read_table_codings

    for missing in missing_sources(study):
        raise StudyConfigError(
            f"{study.path}: [[coding.sources]] path {missing!r} matches no file in the study folder; "
            "fix the path or remove the source."
        )
    frames: list[pd.DataFrame] = []
    issues: list[pd.DataFrame] = []
    for src in source_files(study, shorthand=shorthand):
        if progress is not None:
            progress(f"reading {src.path.name}")
        name = _label(src.path, study.root)
        codes = read_mapping(src.codes)
        transcripts = read_mapping(src.transcripts)
        if src.format == "labelstudio":
            sidecar = users_path(src.path)
            res = read_export(
                src.path, codebook=codebook, corpus=corpus, users=read_users(sidecar) if sidecar.exists() else None
            )
            codings, found = res.codings, res.issues
        elif src.format == "table":
            table = read_table_codings(src.path, corpus=corpus, codebook=codebook, transcripts=transcripts, codes=codes)
            codings, found = table.codings, table.issues
        else:
            project = read_qdpx(src.path)
            raw = map_codes(project.codings, {c.id: c.name for c in project.codes}, codebook, codes)
            checked = check_codings(
                raw, corpus=corpus, codebook=codebook, transcripts=transcripts, codes=codes, where=src.path.name
            )
            refi = project.issues
            converted = pd.DataFrame(
                {
                    "task_id": None,
                    "annotation_id": None,
                    "result_id": refi["coding_guid"],
                    "coder": refi["coder"],
                    "reason": refi["reason"],
                    "action": refi["action"],
                    "detail": [
                        f"{src.path.name}: source {s!r}: {d}" if s else f"{src.path.name}: {d}"
                        for s, d in zip(refi["source"], refi["detail"])
                    ],
                }
            )
            codings = checked.codings
            found = pd.concat([converted, checked.issues], ignore_index=True) if len(converted) else checked.issues
        frames.append(codings)
        issues.append(found.assign(file=name).reindex(columns=_ISSUE_COLUMNS))
    return frames, issues
