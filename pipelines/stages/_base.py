"""The stage base types: what a stage is, what it sees, what a run reports, and how a stage is keyed.

A stage (:class:`Stage`) reads some input files and settings, uses the
tables of earlier stages and writes files under the study's ``out/``
folder, through the :class:`Context` it is given. Before running a stage the
run loop (:mod:`qualquant.pipelines.stages._run`) computes its *key*
(:func:`stage_key`): a SHA-256 of the stage name and version, its settings
(the study.toml sections it reads, as canonical JSON), the content of its
input files (named relative to the study or output folder, never by an
absolute path: see :func:`input_label`) and the content of the tables it uses
from earlier stages, so moving the study or its output folder elsewhere
reuses every stage. The keys, outputs and warnings of the stages are kept in
``out/.state.json`` (:data:`STATE_FILE`).

Tables pass between stages in memory and are also cached in
``out/.cache/<stage>/<table>.parquet`` (:data:`CACHE_DIR`; exact round trip,
unlike the user-facing CSVs whose formula-like cells are neutralised), so a
later stage can run while an earlier one is skipped.

A run tells what happens to a :class:`RunReporter` (silent by default; the
command line passes one that draws a progress bar).

This module imports neither the stage registry nor the run loop: the registry
(:mod:`~qualquant.pipelines.stages._registry`) and the output stages
(:mod:`~qualquant.pipelines.stages._output`) import it, and the run loop
imports them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from qualquant.io import atomic_write, atomic_write_text, make_dirs
from qualquant.pipelines.errors import PipelineError
from qualquant.pipelines.study import Study

__all__ = [
    "CACHE_DIR",
    "STATE_FILE",
    "Context",
    "PlainReporter",
    "RunReporter",
    "RunResult",
    "Stage",
    "StageOutcome",
    "StageUnavailable",
    "file_hash",
    "input_label",
    "read_state",
    "stage_key",
    "write_state",
]

STATE_FILE = ".state.json"
CACHE_DIR = ".cache"


class StageUnavailable(Exception):
    """Raised by a stage when a building block (a module) is not installed."""


@dataclass(frozen=True, slots=True)
class Stage:
    """One pipeline stage.

    Attributes
    ----------
    name : str
    title : str
        Shown in the progress display.
    run : callable
        ``run(ctx) -> None``; writes files through ``ctx`` and stores tables
        with :meth:`Context.put`.
    sections : tuple of str
        study.toml sections (top-level keys) the stage reads.
    inputs : callable
        ``inputs(study) -> list of Path``: files whose content the stage reads.
    uses : tuple of str
        ``"stage/table"`` names of earlier tables the stage reads (``"stage/*"``: all of them).
    version : str
        Bump to force a rerun after the stage's code changes.
    always : bool
        Never skip (e.g. pulling from a live server).
    """

    name: str
    title: str
    run: Callable[[Context], None]
    sections: tuple[str, ...] = ()
    inputs: Callable[[Study], list[Path]] = lambda study: []
    uses: tuple[str, ...] = ()
    version: str = "1"
    always: bool = False


@dataclass
class StageOutcome:
    """What happened to one stage: ``status`` is ran, skipped, unavailable or failed."""

    name: str
    status: str
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    """Result of :func:`run_stages`: outcomes per stage and the output folder."""

    out: Path
    outcomes: list[StageOutcome]

    @property
    def warnings(self) -> list[tuple[str, str]]:
        """(stage, message) for every warning of this run (skipped stages: the stored ones)."""
        return [(o.name, w) for o in self.outcomes for w in o.warnings]

    def outcome(self, name: str) -> StageOutcome:
        """The outcome of stage ``name``."""
        for o in self.outcomes:
            if o.name == name:
                return o
        raise KeyError(name)


class Context:
    """What a stage sees: the study, the output folder, tables, warnings, shared objects.

    Parameters
    ----------
    study : Study
    options : dict, optional
        Run options (e.g. ``labelstudio_url`` for a live pull).
    stages : sequence of Stage, optional
        The stages of the run, in order (the ``exports`` stage lists their
        warnings and counts in this order); the run loop passes its own.
    """

    def __init__(self, study: Study, options: dict[str, Any] | None = None, *, stages: Sequence[Stage] = ()) -> None:
        self.study = study
        self.out = study.out
        self.options = dict(options or {})
        self.stages: tuple[Stage, ...] = tuple(stages)
        self._tables: dict[str, pd.DataFrame] = {}
        self._objects: dict[str, Any] = {}
        self._stage: str | None = None
        self._written: list[str] = []
        self._warnings: list[str] = []
        self.progress: Callable[[str], None] = lambda message: None

    # -- files -------------------------------------------------------------
    def path(self, name: str) -> Path:
        """Path of an output file (parent folders created); recorded as an output of the stage."""
        p = self.out / name
        make_dirs(p.parent)
        rel = p.relative_to(self.out).as_posix()
        if rel not in self._written:
            self._written.append(rel)
        return p

    def write(self, df: pd.DataFrame, name: str) -> Path:
        """Write a table with :func:`qualquant.io.write_table` (atomic, formula cells neutralised)."""
        from qualquant.io import write_table

        return Path(write_table(df, self.path(name)))

    def write_text(self, text: str, name: str) -> Path:
        """Write a text file atomically (UTF-8)."""
        return atomic_write_text(self.path(name), text)

    # -- tables ------------------------------------------------------------
    def put(self, name: str, df: pd.DataFrame) -> None:
        """Store a table of the current stage (memory + parquet cache) for later stages and the report."""
        stage = self._stage
        if stage is None:
            raise PipelineError(
                f"Table {name!r} was put outside a stage; tables are stored by the stage that makes them."
            )
        self._tables[f"{stage}/{name}"] = df
        atomic_write(self.out / CACHE_DIR / stage / f"{name}.parquet", lambda tmp: _to_parquet(df, tmp))

    def table(self, key: str, default: pd.DataFrame | None = None) -> pd.DataFrame | None:
        """A table ``"stage/name"`` from this run or the cache (``default`` when absent)."""
        if key in self._tables:
            return self._tables[key]
        p = self.out / CACHE_DIR / f"{key}.parquet"
        if p.exists():
            df = pd.read_parquet(p)
            self._tables[key] = df
            return df
        return default

    def has(self, key: str) -> bool:
        """Whether table ``"stage/name"`` exists (this run or cached)."""
        return key in self._tables or (self.out / CACHE_DIR / f"{key}.parquet").exists()

    # -- shared objects (corpus, codebook, survey), built on first use ------
    def obj(self, name: str, build: Callable[[], Any]) -> Any:
        """A shared object built once per run."""
        if name not in self._objects:
            self._objects[name] = build()
        return self._objects[name]

    def warn(self, message: str) -> None:
        """Record a warning of the current stage (shown at the end and in the report)."""
        self._warnings.append(message)


def _to_parquet(df: pd.DataFrame, path: Path) -> None:
    frame = df.copy()
    frame.attrs = {}
    for col in frame.columns:
        if frame[col].dtype == object:
            kinds = {type(v) for v in frame[col] if v is not None and not (isinstance(v, float) and v != v)}
            if len(kinds) > 1 or (kinds and not kinds <= {str, bool, int, float}):
                frame[col] = frame[col].map(
                    lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v)
                )
    frame.columns = [str(c) for c in frame.columns]
    frame.to_parquet(path, index=False)


# --------------------------------------------------------------------------- hashing and state


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_hash(path: Path) -> str:
    """SHA-256 of a file's content (``"missing"`` when it does not exist)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except FileNotFoundError:
        return "missing"
    return h.hexdigest()


def input_label(path: Path, study: Study) -> str:
    """The name of an input file in a stage key: never an absolute path.

    A file under the output folder is named relative to it (``out:<name>``,
    wherever the output folder is), one under the study folder relative to the
    study folder, any other file by its file name only (its content is in the key
    too). So moving the study or its output folder keeps every key.
    """
    path = Path(os.path.abspath(path))
    for prefix, base in (("out:", study.out), ("", study.root)):
        try:
            return prefix + path.relative_to(Path(os.path.abspath(base))).as_posix()
        except ValueError:
            continue
    return "external:" + path.name


def stage_key(stage: Stage, study: Study, ctx: Context) -> str:
    """The content hash that decides whether ``stage`` must run (see the module docstring)."""
    config = study.config.model_dump(mode="json")
    parts: dict[str, Any] = {
        "stage": stage.name,
        "version": stage.version,
        "sections": {s: config.get(s) for s in stage.sections},
        "options": {k: v for k, v in sorted(ctx.options.items()) if v is not None},
        "inputs": {},
        "uses": {},
    }
    inputs = [
        (input_label(p, study), file_hash(p) if p.is_file() else ("dir" if p.is_dir() else "missing"))
        for p in {Path(x) for x in stage.inputs(study)}
    ]
    parts["inputs"] = sorted(inputs)
    for key in stage.uses:
        if key.endswith("/*"):  # every table of that stage
            folder = study.out / CACHE_DIR / key[:-2]
            for p in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
                parts["uses"][f"{key[:-2]}/{p.stem}"] = file_hash(p)
        else:
            parts["uses"][key] = file_hash(study.out / CACHE_DIR / f"{key}.parquet")
    return _sha(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode("utf-8"))


def read_state(out: Path) -> dict[str, Any]:
    """The state file of ``out`` (``{}`` when absent or damaged)."""
    p = out / STATE_FILE
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}  # a damaged state file only costs a full rerun


def write_state(out: Path, state: dict[str, Any]) -> None:
    """Write the state file of ``out`` atomically."""
    atomic_write_text(out / STATE_FILE, json.dumps(state, indent=1, sort_keys=True, ensure_ascii=False))


# --------------------------------------------------------------------------- reporting


class RunReporter:
    """What a run tells as it goes; this base class is silent.

    The run loop calls, in order: :meth:`start` once, then per stage
    :meth:`stage_started`, any number of :meth:`stage_progress` (messages of
    the stage, via :attr:`Context.progress`) and :meth:`stage_done` with its
    :class:`StageOutcome` (status ``ran``, ``skipped``, ``unavailable`` or
    ``not selected``), and :meth:`stop` at the end, also when a stage fails.
    Subclass it to show progress (the command line draws a progress bar).
    """

    def start(self, stages: Sequence[Stage]) -> None:
        """The run begins with these stages."""

    def stage_started(self, stage: Stage) -> None:
        """``stage`` is considered (it may still be skipped)."""

    def stage_progress(self, stage: Stage, message: str) -> None:
        """A message from inside ``stage`` (e.g. ``"reading INT01.txt (1/20)"``)."""

    def stage_done(self, stage: Stage, outcome: StageOutcome) -> None:
        """``stage`` is finished: ran, skipped, unavailable or not selected."""

    def stop(self) -> None:
        """The run ends (normally or with an error)."""


class PlainReporter(RunReporter):
    """Prints one plain line per stage (and its warnings) to standard output."""

    def stage_done(self, stage: Stage, outcome: StageOutcome) -> None:
        """Print what happened to ``stage``."""
        if outcome.status == "not selected":
            return
        if outcome.status == "skipped":
            print(f"- {stage.title}: unchanged, skipped", flush=True)
            return
        mark = "✓" if outcome.status == "ran" else "!"
        status = "" if outcome.status == "ran" else f" {outcome.status}"
        print(f"{mark} {stage.title} ({outcome.seconds:.1f} s){status}", flush=True)
        for w in outcome.warnings:
            print(f"  warning: {w}", flush=True)
