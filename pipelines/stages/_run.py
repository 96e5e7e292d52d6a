"""The run loop: every stage of a study in order, skipping what has not changed.

Before running a stage the loop computes its key
(:func:`qualquant.pipelines.stages._base.stage_key`). When the key equals the
one stored in ``out/.state.json`` and every output file is still there with
the content the stage wrote, the stage is skipped. Because keys use the
*content* of upstream tables, a rerun that produces identical tables stops the
cascade.

A stage whose building block is genuinely absent (``ModuleNotFoundError``
for that very module, e.g. ``coding.topics``) is reported as *unavailable*
with one warning line; the run goes on. Any other error stops the run with
a :class:`qualquant.pipelines.errors.PipelineError` naming the stage.

What happens is told to a :class:`~qualquant.pipelines.stages._base.RunReporter`:
silent, or one plain line per stage, or the command line's progress bar.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from qualquant.errors import QualquantError
from qualquant.io import make_dirs
from qualquant.pipelines.errors import PipelineError
from qualquant.pipelines.stages._base import (
    CACHE_DIR,
    Context,
    PlainReporter,
    RunReporter,
    RunResult,
    Stage,
    StageOutcome,
    StageUnavailable,
    file_hash,
    read_state,
    stage_key,
    write_state,
)
from qualquant.pipelines.stages._registry import STAGES
from qualquant.pipelines.study import Study
from qualquant.pipelines.study._check import check_construct_codes, check_survey_variables

__all__ = ["run_stages", "run_study"]


def _unchanged(entry: dict[str, Any] | None, key: str, out: Path) -> bool:
    if not entry or entry.get("key") != key or entry.get("status") != "ran":
        return False
    for rel, digest in entry.get("outputs", {}).items():
        if file_hash(out / rel) != digest:
            return False
    return all((out / CACHE_DIR / rel).exists() for rel in entry.get("tables", []))


def _reporter(reporter: RunReporter | None, show_progress: bool) -> RunReporter:
    if reporter is not None:
        return reporter
    return PlainReporter() if show_progress else RunReporter()


def run_stages(
    study: Study,
    stages: Sequence[Stage],
    *,
    force: bool = False,
    options: dict[str, Any] | None = None,
    only: Iterable[str] | None = None,
    show_progress: bool = True,
    reporter: RunReporter | None = None,
) -> RunResult:
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
    show_progress : bool
        Without ``reporter``: print one line per stage (and its warnings) to
        standard output (:class:`~qualquant.pipelines.stages._base.PlainReporter`);
        ``False``: nothing is printed.
    reporter : RunReporter, optional
        Told what happens as the run goes (the command line passes one that
        draws a progress bar); overrides ``show_progress``.

    Returns
    -------
    RunResult

    Raises
    ------
    PipelineError
        A stage failed (the message names it); state of the stages before it is saved.
    """
    out = study.out
    make_dirs(out)
    state = read_state(out)
    ctx = Context(study, options, stages=stages)
    outcomes: list[StageOutcome] = []
    only_set = set(only) if only is not None else None
    report = _reporter(reporter, show_progress)
    report.start(stages)
    try:
        for stage in stages:
            report.stage_started(stage)
            ctx.progress = functools.partial(report.stage_progress, stage)
            entry = state.get(stage.name)
            if only_set is not None and stage.name not in only_set:
                outcome = StageOutcome(stage.name, "not selected", warnings=list((entry or {}).get("warnings", [])))
                outcomes.append(outcome)
                report.stage_done(stage, outcome)
                continue
            key = stage_key(stage, study, ctx)
            always = stage.always or stage.name in set(ctx.options.get("always", ()))
            if not force and not always and entry is not None and _unchanged(entry, key, out):
                outcome = StageOutcome(
                    stage.name, "skipped", outputs=sorted(entry["outputs"]), warnings=list(entry.get("warnings", []))
                )
                outcomes.append(outcome)
                report.stage_done(stage, outcome)
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
                write_state(out, state)  # the stages before this one keep their state
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
            write_state(out, state)
            outcome = StageOutcome(stage.name, status, seconds, sorted(outputs), list(ctx._warnings))
            outcomes.append(outcome)
            report.stage_done(stage, outcome)
    finally:
        report.stop()
    return RunResult(out, outcomes)


def run_study(
    study: Study,
    *,
    force: bool = False,
    options: dict[str, Any] | None = None,
    only: Iterable[str] | None = None,
    show_progress: bool = True,
    reporter: RunReporter | None = None,
) -> RunResult:
    """Run every stage of the standard pipeline (:data:`qualquant.pipelines.stages.STAGES`) on ``study``.

    Before any stage runs, every survey variable named in ``study.toml`` is
    checked against the survey file's variable names
    (:func:`qualquant.pipelines.study._check.check_survey_variables`), so a misspelt
    name fails at once rather than when the survey stage is reached; so are
    the code ids and topic numbers of ``[[constructs]]``
    (:func:`qualquant.pipelines.study._check.check_construct_codes`).

    ``show_progress`` and ``reporter`` are as for :func:`run_stages`.

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
    check_survey_variables(study)
    check_construct_codes(study)

    return run_stages(
        study, STAGES, force=force, options=options, only=only, show_progress=show_progress, reporter=reporter
    )
