"""Run a study: every stage in order, with progress, skipping what has not changed.

A stage (:class:`Stage`) reads some input files and settings, uses the
tables of earlier stages and writes files under the study's ``out/``
folder. Before running a stage the runner computes its *key*: a SHA-256 of
the stage name and version, its settings (the study.toml sections it reads,
as canonical JSON), the content of its input files (named relative to the
study or output folder, never by an absolute path: see :func:`input_label`)
and the content of the tables it uses from earlier stages, so moving the
study or its output folder elsewhere reuses every stage. When the key equals
the one stored in ``out/.state.json`` and every output file is still there
with the content the stage wrote, the stage is skipped. Because keys use the
*content* of upstream tables, a rerun that produces identical tables stops
the cascade.

Tables pass between stages in memory and are also cached in
``out/.cache/<stage>/<table>.parquet`` (exact round trip, unlike the
user-facing CSVs whose formula-like cells are neutralised), so a later
stage can run while an earlier one is skipped.

A stage whose building block is genuinely absent (``ModuleNotFoundError``
for that very module, e.g. ``coding.topics``) is reported as *unavailable*
with one warning line; the run goes on. Any other error stops the run with
a :class:`qualquant.pipelines.errors.PipelineError` naming the stage.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import pandas as pd

from qualquant.corpus._atomic import atomic_write, atomic_write_text, make_dirs
from qualquant.pipelines.errors import PipelineError
from qualquant.pipelines.study import Study

__all__ = ["Context", "RunResult", "Stage", "StageOutcome", "StageUnavailable", "run_stages", "run_study"]

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
    run: Callable[["Context"], None]
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
    """

    def __init__(self, study: Study, options: dict[str, Any] | None = None) -> None:
        self.study = study
        self.out = study.out
        self.options = dict(options or {})
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
        """Write a table with :func:`qualquant.pipelines.exports.write_table` (atomic, formula cells neutralised)."""
        from qualquant.pipelines.exports import write_table

        return Path(write_table(df, self.path(name)))

    def write_text(self, text: str, name: str) -> Path:
        """Write a text file atomically (UTF-8)."""
        return atomic_write_text(self.path(name), text)

    # -- tables ------------------------------------------------------------
    def put(self, name: str, df: pd.DataFrame) -> None:
        """Store a table of the current stage (memory + parquet cache) for later stages and the report."""
        key = f"{self._stage}/{name}"
        self._tables[key] = df
        atomic_write(self.out / CACHE_DIR / self._stage / f"{name}.parquet", lambda tmp: _to_parquet(df, tmp))

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
                frame[col] = frame[col].map(lambda v: None if v is None or (isinstance(v, float) and v != v)
                                            else str(v))
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
    inputs = [(input_label(p, study), file_hash(p) if p.is_file() else ("dir" if p.is_dir() else "missing"))
              for p in {Path(x) for x in stage.inputs(study)}]
    parts["inputs"] = sorted(inputs)
    for key in stage.uses:
        if key.endswith("/*"):  # every table of that stage
            folder = study.out / CACHE_DIR / key[:-2]
            for p in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
                parts["uses"][f"{key[:-2]}/{p.stem}"] = file_hash(p)
        else:
            parts["uses"][key] = file_hash(study.out / CACHE_DIR / f"{key}.parquet")
    return _sha(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode("utf-8"))


def _read_state(out: Path) -> dict[str, Any]:
    p = out / STATE_FILE
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}  # a damaged state file only costs a full rerun


def _write_state(out: Path, state: dict[str, Any]) -> None:
    atomic_write_text(out / STATE_FILE, json.dumps(state, indent=1, sort_keys=True, ensure_ascii=False))


def _unchanged(entry: dict[str, Any] | None, key: str, out: Path) -> bool:
    if not entry or entry.get("key") != key or entry.get("status") != "ran":
        return False
    for rel, digest in entry.get("outputs", {}).items():
        if file_hash(out / rel) != digest:
            return False
    for rel in entry.get("tables", []):
        if not (out / CACHE_DIR / rel).exists():
            return False
    return True


# --------------------------------------------------------------------------- running


def run_stages(study: Study, stages: Sequence[Stage], *, force: bool = False, options: dict[str, Any] | None = None,
               only: Iterable[str] | None = None, console=None, show_progress: bool = True) -> RunResult:
    """Run ``stages`` in order, skipping unchanged ones.

    Parameters
    ----------
    study : Study
    stages : sequence of Stage
    force : bool
        Run every stage even when unchanged.
    options : dict, optional
        Run options passed to the stages (part of every stage key).
    only : iterable of str, optional
        Run only these stages (the others are left as they are).
    console : rich.console.Console, optional
        Where progress is drawn (default: :data:`qualquant.pipelines.cli._common.console`).
    show_progress : bool

    Returns
    -------
    RunResult

    Raises
    ------
    PipelineError
        A stage failed (the message names it); state of the stages before it is saved.
    """
    from qualquant.quant.errors import QualquantError

    out = study.out
    make_dirs(out)
    state = _read_state(out)
    ctx = Context(study, options)
    outcomes: list[StageOutcome] = []
    only_set = set(only) if only is not None else None
    progress, task = _progress(console, show_progress, len(stages))
    try:
        for stage in stages:
            if progress is not None:
                progress.update(task, description=f"[bold]{stage.title}[/bold]")
                ctx.progress = lambda message, _s=stage: progress.update(task, description=f"[bold]{_s.title}[/bold]: {message}")
            entry = state.get(stage.name)
            if only_set is not None and stage.name not in only_set:
                outcomes.append(StageOutcome(stage.name, "not selected", warnings=list((entry or {}).get("warnings", []))))
                _advance(progress, task)
                continue
            key = stage_key(stage, study, ctx)
            always = stage.always or stage.name in set(ctx.options.get("always", ()))
            if not force and not always and _unchanged(entry, key, out):
                outcomes.append(StageOutcome(stage.name, "skipped", outputs=sorted(entry["outputs"]),
                                             warnings=list(entry.get("warnings", []))))
                _log(console, progress, f"[dim]- {stage.title}: unchanged, skipped[/dim]")
                _advance(progress, task)
                continue
            ctx._stage, ctx._written, ctx._warnings = stage.name, [], []
            t0 = time.perf_counter()
            try:
                stage.run(ctx)
                status = "ran"
            except StageUnavailable as exc:
                status = "unavailable"
                ctx._warnings.append(str(exc))
            except QualquantError as exc:
                _save_partial(out, state, outcomes)
                raise PipelineError(f"Stage {stage.name!r} failed: {exc}") from exc
            seconds = time.perf_counter() - t0
            outputs = {rel: file_hash(out / rel) for rel in ctx._written}
            tables = sorted(k.split("/", 1)[1] + ".parquet" for k in ctx._tables if k.startswith(stage.name + "/"))
            state[stage.name] = {
                "key": stage_key(stage, study, ctx) if status == "ran" else "",
                "status": status,
                "outputs": outputs,
                "tables": [f"{stage.name}/{t}" for t in tables],
                "warnings": list(ctx._warnings),
            }
            _write_state(out, state)
            outcomes.append(StageOutcome(stage.name, status, seconds, sorted(outputs), list(ctx._warnings)))
            mark = "[green]✓[/green]" if status == "ran" else "[yellow]![/yellow]"
            _log(console, progress, f"{mark} {stage.title} ({seconds:.1f} s)" +
                 ("" if status == "ran" else f" [yellow]{status}[/yellow]"))
            for w in ctx._warnings:
                _log(console, progress, f"  [yellow]warning:[/yellow] {_escape(w)}")
            _advance(progress, task)
    finally:
        if progress is not None:
            progress.stop()
    return RunResult(out, outcomes)


def _save_partial(out: Path, state: dict, outcomes: list) -> None:
    _write_state(out, state)


def _progress(console, show: bool, total: int):
    if not show:
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    if console is None:
        from qualquant.pipelines.cli._common import console as default_console

        console = default_console
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, transient=True)
    progress.start()
    return progress, progress.add_task("starting", total=total)


def _advance(progress, task) -> None:
    if progress is not None:
        progress.advance(task)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _log(console, progress, message: str) -> None:
    if progress is not None:
        progress.console.print(message)


def run_study(study: Study, *, force: bool = False, options: dict[str, Any] | None = None,
              only: Iterable[str] | None = None, console=None, show_progress: bool = True) -> RunResult:
    """Run every stage of the standard pipeline (:data:`qualquant.pipelines.stages.STAGES`) on ``study``.

    Before any stage runs, every survey variable named in ``study.toml`` is
    checked against the survey file's variable names
    (:func:`qualquant.pipelines.study._check.check_survey_variables`), so a misspelt
    name fails at once rather than when the survey stage is reached; so are
    the code ids and topic numbers of ``[[constructs]]``
    (:func:`qualquant.pipelines.study._check.check_construct_codes`).

    Raises
    ------
    StudyConfigError
        A survey variable named in the study is not in the survey file, or a
        construct names a code that is not in the codebook or a topic that
        cannot exist (the message names the key, its line, the name and close
        matches).
    PipelineError
        A stage failed.
    """
    from qualquant.pipelines.stages import STAGES
    from qualquant.pipelines.study._check import check_construct_codes, check_survey_variables

    check_survey_variables(study)
    check_construct_codes(study)

    return run_stages(study, STAGES, force=force, options=options, only=only, console=console,
                      show_progress=show_progress)
