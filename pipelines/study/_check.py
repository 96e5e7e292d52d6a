"""Checks of a study that need more than ``study.toml`` itself, run before any stage.

:func:`check_survey_variables` reads only the survey file's metadata (the
variable names) and checks every survey variable the study names, so that a
misspelt ``[survey] weights`` or construct variable stops ``qualquant run``
at once instead of after the corpus, coding and topic stages.

:func:`check_construct_codes` does the same for the code ids and topic
numbers of ``[[constructs]]``: a misspelt code would otherwise select no
coded segment and the joint display would report "silence" that is not in
the data.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualquant.pipelines.errors import StudyConfigError
from qualquant.pipelines.study._errors import find_key_line

if TYPE_CHECKING:
    from collections.abc import Callable

    from qualquant.coding.codebook import Codebook
    from qualquant.corpus import Corpus
    from qualquant.pipelines.study._config import Study, StudyConfig

__all__ = [
    "StudyProblem",
    "check_construct_codes",
    "check_study",
    "check_survey_variables",
    "survey_variable_names",
    "survey_variable_references",
]


def survey_variable_names(path: str | os.PathLike[str]) -> list[str] | None:
    """The variable names of a survey file, read without its data.

    Parameters
    ----------
    path : path-like
        ``.sav``/``.zsav``/``.por``/``.dta`` (pyreadstat with
        ``metadataonly=True``), ``.csv`` (the header line) or ``.xlsx`` (the
        first row).

    Returns
    -------
    list of str or None
        The names in file order; None for a file type read otherwise (the
        survey stage reports an unknown type).

    Raises
    ------
    StudyConfigError
        The file does not exist or its header cannot be read.
    """
    p = Path(path)
    if not p.is_file():
        raise StudyConfigError(
            f"[survey] path: the survey file {str(p)!r} does not exist. Fix the path in study.toml "
            'or set path = "" for a study without a survey.'
        )
    suffix = p.suffix.lower()
    try:
        if suffix in (".sav", ".zsav", ".por", ".dta"):
            import pyreadstat

            readers: dict[str, Callable[..., tuple[Any, Any]]] = {
                ".sav": pyreadstat.read_sav,
                ".zsav": pyreadstat.read_sav,
                ".por": pyreadstat.read_por,
                ".dta": pyreadstat.read_dta,
            }
            reader = readers[suffix]
            _, meta = reader(str(p), metadataonly=True)
            return [str(c) for c in meta.column_names]
        if suffix in (".csv", ".xlsx"):
            import pandas as pd

            head = pd.read_csv(p, nrows=0) if suffix == ".csv" else pd.read_excel(p, nrows=0)
            return [str(c) for c in head.columns]
    except Exception as exc:  # any reader failure becomes one clear error naming the file
        raise StudyConfigError(
            f"[survey] path: cannot read the variable names of {p.name} "
            f"({type(exc).__name__}: {exc}). Check that it is a valid {suffix} file."
        ) from None
    return None


def survey_variable_references(config: StudyConfig) -> list[tuple[tuple, str, str]]:
    """Every survey variable the study names: ``(key path, key shown, variable)``.

    Covers ``[survey]`` ``weights``, ``outcome``, ``frequencies``, ``factors``,
    ``correlations``, ``crosstabs`` and ``[[survey.reported]] variable``;
    ``[[representativeness]] survey_variable``; and ``[[constructs]]``
    ``survey_variables``, ``outcome`` and the keys of ``exclude_values``.
    """
    refs: list[tuple[tuple, str, str]] = []
    s = config.survey
    for key in ("weights", "outcome"):
        if getattr(s, key):
            refs.append((("survey", key), f"[survey] {key}", getattr(s, key)))
    for key in ("frequencies", "factors", "correlations"):
        for v in getattr(s, key):
            refs.append((("survey", key), f"[survey] {key}", v))
    for pair in s.crosstabs:
        for v in pair:
            refs.append((("survey", "crosstabs"), "[survey] crosstabs", v))
    for i, r in enumerate(s.reported):
        if r.variable:
            refs.append((("survey", "reported", i, "variable"), f"[[survey.reported]] #{i + 1} variable", r.variable))
    for i, row in enumerate(config.representativeness):
        refs.append(
            (
                ("representativeness", i, "survey_variable"),
                f"[[representativeness]] #{i + 1} survey_variable",
                row.survey_variable,
            )
        )
    for i, c in enumerate(config.constructs):
        where = f"[[constructs]] #{i + 1} ({c.id})"
        for v in c.survey_variables:
            refs.append((("constructs", i, "survey_variables"), f"{where} survey_variables", v))
        if c.outcome:
            refs.append((("constructs", i, "outcome"), f"{where} outcome", c.outcome))
        for v in c.exclude_values:
            refs.append((("constructs", i, "exclude_values", v), f"{where} exclude_values", v))
    return refs


def check_survey_variables(study: Study) -> None:
    """Check that every survey variable named in ``study.toml`` is in the survey file.

    Parameters
    ----------
    study : pipelines.study.Study

    Raises
    ------
    StudyConfigError
        One error listing every unknown variable with its key, its line in
        ``study.toml`` and the closest variable names of the survey; or the
        survey file is missing or unreadable. Nothing is checked when the study
        has no survey (``[survey] path = ""``).

    Notes
    -----
    Only the file's metadata is read (:func:`survey_variable_names`), so the
    check costs a fraction of a second even for a large ``.sav`` file.
    """
    problems, path = _survey_variable_problems(study)
    if problems:
        head = (
            ""
            if len(problems) == 1
            else f"{len(problems)} survey variables named in {study.path.name} are not in {path.name}: "
        )
        raise StudyConfigError(head + " | ".join(problems))


def _survey_variable_problems(study: Study) -> tuple[list[str], Path]:
    """One message per unknown survey variable (see :func:`check_survey_variables`), and the survey path."""
    cfg = study.config.survey
    path = study.resolve(cfg.path) if cfg.path else study.root
    if not cfg.path:
        return [], path
    names = survey_variable_names(path)
    if names is None:
        return [], path
    known = set(names)
    try:
        text = study.path.read_text(encoding="utf-8-sig")
    except OSError:
        text = ""
    problems = []
    seen: set[tuple[str, str]] = set()
    for loc, key, variable in survey_variable_references(study.config):
        if variable in known or (key, variable) in seen:
            continue
        seen.add((key, variable))
        line = find_key_line(text, loc) if text else None
        at = f"{study.path.name}, line {line}" if line else study.path.name
        close = difflib.get_close_matches(variable, names, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else "; no similar name in the file."
        problems.append(f"{at}: {key} names {variable!r}, which is not a variable of {path.name}{hint}")
    return problems, path


def check_construct_codes(study: Study, codebook: Codebook | None = None) -> None:
    """Check that every code id and topic number named in ``[[constructs]]`` can exist.

    Parameters
    ----------
    study : pipelines.study.Study
    codebook : coding.Codebook, optional
        The study's codebook; read from ``[codebook] path`` when not given
        (only when some construct names codes).

    Raises
    ------
    StudyConfigError
        One error listing every problem, each with its line in ``study.toml``:
        a code id that is not in the codebook (with the closest code ids,
        :func:`qualquant.coding.codebook.unknown_code_ids`); a topic number below 0 or
        not below the largest K of ``[topics] k_range`` (topics are numbered
        from 0); topics named while ``[topics] enabled = false``.
    CodebookError
        The codebook cannot be read.
    """
    problems, unknown_codes = _construct_problems(study, codebook)
    if problems:
        head = (
            ""
            if len(problems) == 1
            else f"{len(problems)} problems with the codes and topics named in {study.path.name}: "
        )
        tail = f" Fix the code ids in {study.path.name} or add the codes to the codebook." if unknown_codes else ""
        raise StudyConfigError(head + " | ".join(problems) + tail)


def _construct_problems(study: Study, codebook: Codebook | None = None) -> tuple[list[str], bool]:
    """One message per unknown code id or impossible topic (see :func:`check_construct_codes`),
    and whether any code id is unknown."""
    from qualquant.coding.codebook import read_codebook, unknown_code_ids

    constructs = study.config.constructs
    if not any(c.codes or c.topics for c in constructs):
        return [], False
    if codebook is None and any(c.codes for c in constructs):
        codebook = read_codebook(study.resolve(study.config.codebook.path))
    try:
        text = study.path.read_text(encoding="utf-8-sig")
    except OSError:
        text = ""
    topics = study.config.topics
    k_max = topics.k_range[1]
    problems: list[str] = []
    unknown_codes = False
    for i, c in enumerate(constructs):

        def at(key: str) -> str:
            line = find_key_line(text, ("constructs", i, key)) if text else None  # noqa: B023 - called in this iteration
            where = f"{study.path.name}, line {line}" if line else study.path.name
            return f"{where}: [[constructs]] #{i + 1} ({c.id}) {key}"  # noqa: B023 - called in this iteration

        if c.codes and codebook is not None:  # read above whenever a construct names codes
            unknown = unknown_code_ids(c.codes, codebook, where=at("codes"))
            unknown_codes = unknown_codes or bool(unknown)
            problems.extend(unknown)
        if c.topics and not topics.enabled:
            problems.append(
                f"{at('topics')} names topic(s) {', '.join(map(str, c.topics))}, but [topics] enabled = "
                "false, so no topic model is fitted and they would count no case; remove them or "
                "enable the topic model."
            )
            continue
        bad = [t for t in dict.fromkeys(c.topics) if not 0 <= t < k_max]
        if bad:
            problems.append(
                f"{at('topics')} names topic(s) {', '.join(map(str, bad))}, which cannot exist: the "
                f"topic model has at most {k_max} topics ([topics] k_range = {list(topics.k_range)}), "
                f"numbered 0 to {k_max - 1} as in topics.csv."
            )
    return problems, unknown_codes


@dataclass(frozen=True, slots=True)
class StudyProblem:
    """One finding of :func:`check_study`.

    Attributes
    ----------
    blocking : bool
        True when ``qualquant run`` would stop on it (a missing file, an
        unknown code or survey variable); False for what a run reports and
        carries on with (a transcript without a cases row, a case without a
        transcript, no codings export yet).
    message : str
        What is wrong, where, and what to do.
    """

    blocking: bool
    message: str


def check_study(study: Study) -> list[StudyProblem]:
    """Every problem of a study that can be found without running it, all at once.

    Parameters
    ----------
    study : pipelines.study.Study

    Returns
    -------
    list of StudyProblem
        Missing files (transcripts, cases, names, codebook, survey and its
        codebook, questionnaire), an unreadable codebook or corpus, unknown
        survey variables (:func:`check_survey_variables`), unknown code ids and
        impossible topics in ``[[constructs]]`` (:func:`check_construct_codes`),
        and, as non-blocking findings, transcripts without a cases row, cases
        without a transcript and a missing codings export. Empty when all is well.

    Notes
    -----
    The checks are those a run makes before and during its first stages, but
    collected instead of stopping at the first.
    """
    from qualquant.errors import QualquantError

    problems: list[StudyProblem] = []

    def block(message: str) -> None:
        problems.append(StudyProblem(True, message))

    def note(message: str) -> None:
        problems.append(StudyProblem(False, message))

    cfg = study.config
    name = study.path.name
    missing: set[str] = set()
    files = [
        ("[corpus] cases", cfg.corpus.cases),
        ("[corpus] names", cfg.corpus.names),
        ("[codebook] path", cfg.codebook.path),
        ("[survey] path", cfg.survey.path),
        ("[survey] codebook", cfg.survey.codebook),
        # "survey": the [survey] file, checked above
        ("[linkage] questionnaire", "" if cfg.linkage.questionnaire == "survey" else cfg.linkage.questionnaire),
    ]
    for key, value in files:
        if value and not study.resolve(value).exists():
            missing.add(key)
            block(f"{name}: {key} = {value!r}: no such file ({study.resolve(value)}). Fix the path or add the file.")
    transcripts = study.transcript_paths()
    for entry in cfg.corpus.paths:
        if not any(ch in entry for ch in "*?[") and not study.resolve(entry).exists():
            missing.add("[corpus] paths")
            block(f"{name}: [corpus] paths names {entry!r}, which does not exist ({study.resolve(entry)}).")
    if "[corpus] paths" not in missing and not transcripts:
        missing.add("[corpus] paths")
        block(f"{name}: [corpus] paths = {cfg.corpus.paths!r} finds no transcript file. Put transcripts there.")
    codebook = None
    if "[codebook] path" not in missing:
        from qualquant.coding.codebook import read_codebook

        try:
            codebook = read_codebook(study.resolve(cfg.codebook.path))
        except QualquantError as exc:
            block(str(exc))
    if codebook is not None:
        try:
            found, _ = _construct_problems(study, codebook)
        except QualquantError as exc:
            found = [str(exc)]
        for message in found:
            block(message)
    if "[survey] path" not in missing:
        try:
            found, _ = _survey_variable_problems(study)
        except QualquantError as exc:
            found = [str(exc)]
        for message in found:
            block(message)
    from qualquant.pipelines.study._coders import read_coders

    try:
        read_coders(study.coders_path(), name=cfg.coding.coders)
    except QualquantError as exc:
        block(str(exc))
    from qualquant.pipelines.study._sources import missing_sources

    for n, src in enumerate(cfg.coding.sources, start=1):
        for key in ("codes", "transcripts"):
            value = getattr(src, key)
            if value and not study.resolve(value).is_file():
                missing.add("[[coding.sources]]")
                block(f"{name}: [[coding.sources]] #{n} {key} = {value!r}: no such file. Fix the path or add the file.")
    for path in missing_sources(study):
        missing.add("[[coding.sources]]")
        block(f"{name}: [[coding.sources]] path = {path!r} matches no file in the study folder. Fix the path.")
    if not cfg.labelstudio.url and not study.coding_files():
        note(
            f"{name}: no codings yet: [labelstudio] export = {cfg.labelstudio.export!r} matches no file and no "
            "snapshot was pulled; the run will have no codings. Pull them with "
            "`qualquant labelstudio pull --study study.toml` or put an export there."
        )
    if not missing.intersection({"[corpus] paths", "[corpus] cases"}):
        linking = study
        if "[corpus] names" in missing:  # the linkage can still be checked, without pseudonymisation
            corpus_cfg = cfg.corpus.model_copy(update={"names": ""})
            linking = type(study)(cfg.model_copy(update={"corpus": corpus_cfg}), study.path, out=study.out)
        try:
            corp, _ = linking.read_corpus()
        except QualquantError as exc:
            block(str(exc))
        else:
            for _, row in corp.reconciliation.iterrows():
                note(f"{row['kind'].replace('_', ' ')}: {row['message']}")
            if codebook is not None and "[[coding.sources]]" not in missing and "[corpus] names" not in missing:
                _codings_problems(study, corp, codebook, note)
    return problems


def _codings_problems(study: Study, corp: Corpus, codebook: Codebook, note: Callable[[str], None]) -> None:
    """One note per codings file and reason a record would be set aside (unknown transcript or code, ...)."""
    from qualquant.errors import QualquantError

    try:
        _, issues = study.read_codings(corp, codebook)
    except QualquantError as exc:
        note(str(exc))
        return
    for table in issues:
        aside = table[table["action"] == "set_aside"] if len(table) else table
        for (file, reason), rows in aside.groupby(["file", "reason"], sort=True):
            note(
                f"{file}: {len(rows)} coding(s) would be set aside ({reason.replace('_', ' ')}), "
                f"e.g. {rows['detail'].iloc[0]}"
            )
