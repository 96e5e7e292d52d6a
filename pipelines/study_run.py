"""A study opened in Python: the tables of ``qualquant run`` as DataFrames.

:func:`open_study` is the library face that the ``qualquant run`` command is a
thin layer over. It reads ``study.toml`` and returns a :class:`StudyRun`
whose attributes are the run's tables (``study.segments``,
``study.theme_frequencies``, ...). The first time a table is asked for, the
stages it needs (the stage that makes it and every stage upstream of it, as
the stages' ``uses`` declare) are run through the same run loop and the same
cache as the command line (:func:`qualquant.pipelines.stages.run_study`, with
the same run options, so the same stage keys): an unchanged stage is skipped,
a changed one reruns, and the table is read from the stage cache
``out/.cache/<stage>/<table>.parquet``. So a notebook and ``qualquant run``
never disagree: after ``qualquant run`` nothing reruns when the study is
opened, and after a notebook has computed a table ``qualquant run`` skips the
stages it ran.

Every table is returned as a copy, so changing it in a notebook cannot change
the cache. Tables are read once per object: after changing the study's files,
call :meth:`StudyRun.refresh` (or open the study again) to bring them up to
date.

Tables
------
The attribute names are the names of the CSV files the run writes, without
``.csv`` (``consensus`` is ``consensus_codings.csv``); :data:`TABLES` maps each
to its stage table. :meth:`StudyRun.tables` lists them for a study, including
``theme_frequencies_by_<attribute>`` for each ``[coding] group_by`` attribute
and ``crosstab_<row>_<col>`` and ``crosstab_<row>_<col>_tests`` for each
``[survey] crosstabs`` pair. Two attributes are not stage tables:

- ``survey``: the study's survey as a :class:`qualquant.quant.Survey` (the data
  in ``.data``, the variable and value labels in ``.meta``), read by the same
  reader as the survey stage after that stage has run; None when the study has
  no survey;
- ``warnings``: the warnings of the stages run so far (from this object or an
  earlier run), with the columns of ``warnings.csv``: ``stage, status, warning``.

A table that its stage did not make (topics disabled, agreement with one coder,
a stage whose module is not installed) is None; the reason is in ``warnings``.
"""

from __future__ import annotations

import copy
import difflib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from qualquant.pipelines.errors import PipelineError
from qualquant.pipelines.stages import STAGES, Context, RunReporter, RunResult, run_study, warnings_frame
from qualquant.pipelines.study import Study, check_construct_codes, check_survey_variables, read_study

__all__ = ["TABLES", "StudyRun", "open_study", "run_options"]

#: Attribute name -> ``"stage/table"`` of the stage cache, in stage order.
TABLES: dict[str, str] = {
    "segments": "corpus/segments",
    "cases": "corpus/cases",
    "transcripts": "corpus/transcripts",
    "reconciliation": "corpus/reconciliation",
    "corpus_summary": "corpus/summary",
    "codings": "codings/codings",
    "consensus": "codings/consensus",
    "coding_issues": "codings/issues",
    "codebook": "codings/codebook",
    "agreement": "agreement/agreement",
    "disagreements": "agreement/disagreements",
    "theme_frequencies": "frequencies/theme_frequencies",
    "cooccurrence": "frequencies/cooccurrence",
    "topics": "topics/topics",
    "topic_terms": "topics/topic_terms",
    "topic_selection": "topics/selection",
    "topic_code_alignment": "topics/alignment",
    "topic_candidates": "topics/candidates",
    "case_topics": "topics/case_topics",
    "topic_effects": "topics/effects",
    "topic_effects_set_aside": "topics/effects_set_aside",
    "survey_table1": "survey/table1",
    "survey_table2": "survey/table2",
    "survey_table3": "survey/table3",
    "survey_table3_long": "survey/table3_long",
    "quant_check": "survey/quant_check",
    "case_code_matrix": "integration/case_code_matrix",
    "linked_cases": "integration/linked_cases",
    "linked_tests": "integration/linked_tests",
    "linked_cases_set_aside": "integration/linked_set_aside",
    "theme_prevalence_by_group": "integration/prevalence",
    "joint_display": "integration/joint_display",
    "joint_display_evidence": "integration/joint_evidence",
    "representativeness": "integration/representativeness",
    "representativeness_tests": "integration/representativeness_tests",
    "representativeness_set_aside": "integration/representativeness_set_aside",
    "reconciliation_counts": "exports/reconciliation_counts",
}

#: Attributes that are not stage tables (see the module docstring).
_SPECIAL = ("survey", "warnings")


def run_options(study: Study, *, labelstudio: str | None = None) -> dict[str, Any]:
    """The run options of a study: part of every stage key, so the CLI and :func:`open_study` share them.

    Parameters
    ----------
    study : Study
    labelstudio : str, optional
        URL of a live Label Studio server to pull the codings from (default:
        ``[labelstudio] url`` of the study; none: the export files are read).

    Returns
    -------
    dict
        ``labelstudio_url`` (None when the codings come from export files) and
        ``always`` (the stages that never skip: ``codings`` for a live pull).
    """
    url = labelstudio or study.config.labelstudio.url or None
    return {"labelstudio_url": url, "always": ("codings",) if url else ()}


def _stage_tables(out: Path, stage: str) -> list[str]:
    """The tables (``"stage/name.parquet"``) that the last run of ``stage`` made, from ``out/.state.json``."""
    try:
        state = json.loads((out / ".state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return list(state.get(stage, {}).get("tables", []))


def _upstream() -> dict[str, set[str]]:
    """Stage name -> the stages whose tables it uses, directly or through others (itself included)."""
    direct = {s.name: {key.split("/", 1)[0] for key in s.uses} for s in STAGES}
    closure: dict[str, set[str]] = {}
    for s in STAGES:  # in run order, so every upstream stage is already closed
        needed = {s.name}
        for up in direct[s.name]:
            needed |= closure.get(up, {up})
        closure[s.name] = needed
    return closure


class StudyRun:
    """A study whose tables are computed on first use by the stages of ``qualquant run``.

    Made by :func:`open_study` (see the module docstring for the tables).

    Parameters
    ----------
    study : Study
        A study read with :func:`qualquant.pipelines.study.read_study`.
    force : bool
        Run each stage again the first time this object needs it, even when unchanged.
    show_progress : bool
        Draw the run's progress display (as ``qualquant run`` does).
    labelstudio : str, optional
        Pull the codings from this live Label Studio server (see :func:`run_options`).

    Attributes
    ----------
    study : Study
    out : pathlib.Path
        The output folder (with the stage cache ``.cache/`` and ``.state.json``).
    options : dict
        The run options (:func:`run_options`).
    last_result : RunResult or None
        What the last run of this object did (which stages ran or were skipped).
    """

    def __init__(
        self, study: Study, *, force: bool = False, show_progress: bool = False, labelstudio: str | None = None
    ) -> None:
        self.study = study
        self.out: Path = study.out
        self.options = run_options(study, labelstudio=labelstudio)
        self.force = force
        self.show_progress = show_progress
        self.last_result: RunResult | None = None
        self._current: set[str] = set()  # stages brought up to date by this object
        self._frames: dict[str, pd.DataFrame | None] = {}
        self._survey: Any = None

    # -- names --------------------------------------------------------------
    def _table_keys(self) -> dict[str, str]:
        keys = dict(TABLES)
        cfg = self.study.config
        for attr in cfg.coding.group_by:
            keys[f"theme_frequencies_by_{attr}"] = f"frequencies/theme_frequencies_by_{attr}"
        for row, col in cfg.survey.crosstabs:
            keys[f"crosstab_{row}_{col}"] = f"survey/crosstab_{row}_{col}"
            keys[f"crosstab_{row}_{col}_tests"] = f"survey/crosstab_{row}_{col}_tests"
        return keys

    def tables(self) -> list[str]:
        """The names of the tables of this study (attributes of this object), in stage order."""
        keys = self._table_keys()
        order = {s.name: i for i, s in enumerate(STAGES)}
        names = sorted(keys, key=lambda n: order[keys[n].split("/", 1)[0]])  # stable: TABLES order within a stage
        survey_at = next(i for i, n in enumerate(names) if keys[n].startswith("survey/"))
        return names[:survey_at] + ["survey"] + names[survey_at:] + ["warnings"]

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.tables()))

    def __getattr__(self, name: str) -> Any:
        # Only called for names that are not ordinary attributes: the tables.
        if name.startswith("_"):
            raise AttributeError(name)
        if name == "survey":
            return self._get_survey()
        if name == "warnings":
            return self._get_warnings()
        keys = self._table_keys()
        if name in keys:
            return self.table(keys[name])
        close = difflib.get_close_matches(name, self.tables(), n=3)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise AttributeError(
            f"{type(self).__name__} has no table {name!r}.{hint} Its tables are: {', '.join(self.tables())}."
        )

    # -- tables -------------------------------------------------------------
    def table(self, key: str) -> pd.DataFrame | None:
        """A table by attribute name (``"segments"``) or stage table (``"survey/crosstab_a_b_measures"``).

        Runs the stages the table needs (skipping unchanged ones) and returns a
        copy of the cached table, or None when its stage did not make it.

        Raises
        ------
        PipelineError
            ``key`` names no table of this study, or a stage failed (the same
            message ``qualquant run`` prints).
        StudyConfigError
            A survey variable, code or topic named in ``study.toml`` does not exist.
        """
        keys = self._table_keys()
        key = keys.get(key, key)
        stage, sep, name = key.partition("/")
        if not sep or stage not in {s.name for s in STAGES} or not name:
            raise PipelineError(
                f"{key!r} is not a table of this study; tables are: {', '.join(self.tables())} "
                "(or 'stage/table' of the stage cache)."
            )
        if key not in self._frames:
            self._ensure(stage)
            # only what the stage's last run made: a table left in the cache by an earlier run of a stage that
            # no longer makes it (topics disabled since) is not shown
            made = _stage_tables(self.out, stage)
            context = Context(self.study, self.options, stages=STAGES)
            self._frames[key] = context.table(key) if f"{key}.parquet" in made else None
        frame = self._frames[key]
        return None if frame is None else frame.copy(deep=True)

    def _get_survey(self) -> Any:
        if self._survey is None:
            if not self.study.config.survey.path:
                return None
            self._ensure("survey")
            self._survey = self.study.read_survey()
        from qualquant.quant import Survey

        return Survey(self._survey.data.copy(deep=True), copy.deepcopy(self._survey.meta))

    def _get_warnings(self) -> pd.DataFrame:
        return warnings_frame(Context(self.study, self.options, stages=STAGES))

    # -- running ------------------------------------------------------------
    def _ensure(self, stage: str) -> None:
        """Bring ``stage`` and every stage upstream of it up to date (once per object)."""
        needed = _upstream()[stage] - self._current
        if needed:
            self._run(only=needed, force=self.force)

    def _run(
        self,
        *,
        only: Iterable[str] | None,
        force: bool,
        show_progress: bool | None = None,
        reporter: RunReporter | None = None,
    ) -> RunResult:
        result = run_study(
            self.study,
            force=force,
            options=self.options,
            only=only,
            reporter=reporter,
            show_progress=self.show_progress if show_progress is None else show_progress,
        )
        self.last_result = result
        for outcome in result.outcomes:
            if outcome.status in ("ran", "skipped", "unavailable"):
                self._current.add(outcome.name)
            if outcome.status == "ran":
                for key in [k for k in self._frames if k.startswith(outcome.name + "/")]:
                    del self._frames[key]
                if outcome.name == "survey":
                    self._survey = None
        return result

    def run(
        self,
        *,
        only: Iterable[str] | None = None,
        force: bool | None = None,
        show_progress: bool | None = None,
        reporter: RunReporter | None = None,
    ) -> RunResult:
        """Run every stage (or ``only`` these), skipping unchanged ones: what ``qualquant run`` does.

        Parameters
        ----------
        only : iterable of str, optional
            Stage names (``corpus``, ``codings``, ...); the others are left as they are.
        force : bool, optional
            Run the stages even when unchanged (default: the ``force`` this object was opened with).
        show_progress : bool, optional
            Default: the ``show_progress`` this object was opened with.
        reporter : RunReporter, optional
            Told what happens as the run goes (the command line passes one that draws a
            progress bar); overrides ``show_progress``.

        Returns
        -------
        RunResult
            The outcome of every stage (``ran``, ``skipped``, ``unavailable``, ``not selected``).

        Raises
        ------
        PipelineError
            An unknown stage name, or a stage failed.
        StudyConfigError
            A survey variable, code or topic named in ``study.toml`` does not exist.
        """
        selected = None if only is None else list(only)
        if selected is not None:
            known = [s.name for s in STAGES]
            bad = [s for s in selected if s not in known]
            if bad:
                raise PipelineError(f"Unknown stage {bad[0]!r}; stages are: {', '.join(known)}.")
        return self._run(
            only=selected, force=self.force if force is None else force, show_progress=show_progress, reporter=reporter
        )

    def refresh(self) -> None:
        """Forget the tables read so far: the next use checks the stages again (after a study file changed)."""
        self._current.clear()
        self._frames.clear()
        self._survey = None
        self.force = False

    # -- display ------------------------------------------------------------
    def __repr__(self) -> str:
        keys = self._table_keys()
        lines = [f"StudyRun({self.study.config.study.title!r}, out={str(self.out)!r})"]
        width = max(len(s.name) for s in STAGES)
        for s in STAGES:
            names = [n for n, k in keys.items() if k.split("/", 1)[0] == s.name]
            if s.name == "survey":
                names.insert(0, "survey")
            if not names:
                continue
            state = "up to date" if s.name in self._current else "on first use"
            lines.append(f"  {s.name:<{width}}  {state:<12}  {', '.join(names)}")
        lines.append("  also: warnings; run() runs every stage, tables() lists the names, table('stage/name')")
        return "\n".join(lines)


def open_study(
    path: str | os.PathLike[str] = "study.toml",
    *,
    out: str | os.PathLike[str] | None = None,
    force: bool = False,
    show_progress: bool = False,
    labelstudio: str | None = None,
) -> StudyRun:
    """Open a study: its tables are computed on first use by the cached stages of ``qualquant run``.

    Parameters
    ----------
    path : str or path-like
        The ``study.toml`` file.
    out : str or path-like, optional
        Output folder (default: ``[study] out`` of the study, relative to its folder);
        give the folder ``qualquant run --out`` used to share its cache.
    force : bool
        Run each stage again the first time it is needed, even when unchanged.
    show_progress : bool
        Draw the progress display of ``qualquant run`` while stages run.
    labelstudio : str, optional
        Pull the codings from this live Label Studio server (as ``qualquant run --labelstudio``).

    Returns
    -------
    StudyRun
        Tables as attributes (``segments``, ``codings``, ``consensus``,
        ``agreement``, ``theme_frequencies``, ``survey``, ``joint_display``,
        ``case_code_matrix``, ...; :meth:`StudyRun.tables` lists them), each
        computed on first use. Nothing is run or written when the study is opened.

    Raises
    ------
    StudyConfigError
        ``study.toml`` is missing or invalid, or names a survey variable, code
        or topic that does not exist (the message ``qualquant run`` prints).

    Examples
    --------
    >>> import qualquant, tempfile
    >>> from qualquant.pipelines import DEMO_DIR
    >>> with tempfile.TemporaryDirectory() as out:
    ...     study = qualquant.open_study(DEMO_DIR / "study.toml", out=out)
    ...     study.tables()[:6]
    ...     study.segments.shape  # runs the corpus stage only
    ...     study.last_result.outcome("corpus").status
    ['segments', 'cases', 'transcripts', 'reconciliation', 'corpus_summary', 'codings']
    (782, 10)
    'ran'
    """
    study = read_study(path, out=out)
    check_survey_variables(study)
    check_construct_codes(study)
    return StudyRun(study, force=force, show_progress=show_progress, labelstudio=labelstudio)
