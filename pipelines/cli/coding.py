"""``qualquant codebook|labelstudio|coding ...``: codebook, Label Studio round trip, codings.

Sub-applications (assembled in :mod:`qualquant.pipelines.cli`):

- ``codebook_app``: ``show``, ``labelstudio-config``, ``export``
- ``labelstudio_app``: ``push``, ``pull``, ``status``
- ``coding_app``: ``import`` (agreement, frequencies and co-occurrence are
  registered further down, in the marked section)

The Label Studio API token is read from the environment variable named by
``--token-env`` (default ``LABEL_STUDIO_API_KEY``); it is never printed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from qualquant.pipelines.cli._common import console, make_app
from qualquant.pipelines.cli._inputs import (
    ANONYMIZE_OPTION,
    STUDY_OPTION,
    USERS_OPTION,
    export_argument,
    resolve_inputs,
    users_for,
)

if TYPE_CHECKING:
    import pandas as pd

    from qualquant.coding.labelstudio import ExportReadResult, LabelStudioClient
    from qualquant.corpus import Corpus
    from qualquant.pipelines.study import Study

codebook_app = make_app("Codebooks: show them, export the coders' manual, generate the Label Studio config.")
labelstudio_app = make_app("Label Studio round trip: push transcripts as tasks, pull validated codings, status.")
coding_app = make_app("Codings: import Label Studio exports into validated codings tables.")

DEFAULT_URL = "http://localhost:8080"

_URL = typer.Option(None, "--url", help=f"Label Studio URL (default: $QUALQUANT_LABEL_STUDIO_URL or {DEFAULT_URL}).")
_TOKEN_ENV = typer.Option(
    None,
    "--token-env",
    help="Name of the environment variable holding the API token (default: the --study's "
    "[labelstudio] token_env, else LABEL_STUDIO_API_KEY).",
    show_default=False,
)
_PROJECT = typer.Option(..., "--project", help="Project title (or numeric id).")
_STUDY_PROJECT = typer.Option(
    None, "--project", help="Project title (or numeric id); default: the --study's [labelstudio] project."
)
# Options shared by "labelstudio pull" and "coding import".
_IMPORT_CODEBOOK = typer.Option(None, "--codebook", help="Codebook TOML (unknown labels reported).")
_IMPORT_CORPUS = typer.Option(None, "--corpus", help="Transcripts (repeatable; glob ok).")
_IMPORT_CASES = typer.Option(None, "--cases", help="Cases file.")
_CODINGS_OUT = typer.Option(None, "--out", help="Write the codings table (.csv/.xlsx/.parquet/.md).")
_ISSUES_OUT = typer.Option(None, "--issues-out", help="Write the reconciliation table.")
_PSEUDONYMOUS = typer.Option(False, "--pseudonymous", help="Name coders coder_1, coder_2, ...")


def _client(url: str | None, token_env: str | None, study: Study | None = None) -> LabelStudioClient:
    from qualquant.coding.labelstudio import LabelStudioClient

    section = study.config.labelstudio if study is not None else None
    url = url or (section.url if section is not None else "") or os.environ.get("QUALQUANT_LABEL_STUDIO_URL")
    token_env = token_env or (section.token_env if section is not None else "") or "LABEL_STUDIO_API_KEY"
    return LabelStudioClient(url or DEFAULT_URL, token_env=token_env)


def _study(study: Path | None) -> Study | None:
    """The study file's settings, or None without --study."""
    if study is None:
        return None
    from qualquant.pipelines.study import read_study

    return read_study(study)


def _project(project: str | None, study: Study | None) -> str:
    """--project, else the study's [labelstudio] project."""
    from qualquant.pipelines.errors import PipelineError

    if project:
        return project
    if study is not None and study.config.labelstudio.project:
        return study.config.labelstudio.project
    where = f" or set [labelstudio] project in {study.path.name}" if study is not None else " or a --study"
    raise PipelineError(f"Which Label Studio project? Give --project TITLE{where}.")


def _read_corpus(
    paths: list[str] | None, cases: Path | None, anonymize: Path | None = None, study: Path | None = None
) -> Corpus | None:
    from qualquant.pipelines.cli._inputs import resolve_inputs

    return resolve_inputs(study=study, corpus_paths=paths, cases=cases, anonymize=anonymize).corpus


def _write(df: pd.DataFrame, path: Path, what: str) -> None:
    from qualquant.io import write_table

    write_table(df, path)
    console.print(f"{what}: {len(df)} rows -> {path}")


def _print_export_summary(result: ExportReadResult) -> None:
    counts = result.counts
    table = Table(title=f"Label Studio export ({result.format})")
    table.add_column("item")
    table.add_column("n", justify="right")
    for key in (
        "n_tasks",
        "n_annotations",
        "n_spans",
        "n_spans_valid",
        "n_spans_repaired",
        "n_spans_set_aside",
        "n_spans_excluded",
        "n_rows",
    ):
        table.add_row(key.removeprefix("n_").replace("_", " "), str(counts.get(key, 0)))
    console.print(table)
    if len(result.issues):
        issues = Table(title="Reconciliation (records set aside, repaired or not used)")
        issues.add_column("reason")
        issues.add_column("action")
        issues.add_column("n", justify="right")
        for (reason, action), n in result.issues.groupby(["reason", "action"]).size().items():
            issues.add_row(reason, action, str(n))
        console.print(issues)
    else:
        console.print("Reconciliation: every record was used.")


# ------------------------------------------------------------------ codebook


@codebook_app.command("show")
def codebook_show(
    file: Path = typer.Argument(..., help="Codebook TOML file."),
    language: str | None = typer.Option(None, "--language", help="Language of names (default: the first)."),
) -> None:
    """Print the facets and codes of a codebook."""
    from qualquant.coding.codebook import read_codebook

    cb = read_codebook(file)
    table = Table(title=cb.title)
    for col in ("facet", "code", "name", "description"):
        table.add_column(col)
    for code in cb:
        table.add_row(code.facet, code.id, code.text("name", language), code.text("description", language))
    console.print(table)
    console.print(f"{len(cb)} codes in {len(cb.facets)} facets; languages: {', '.join(cb.languages)}")


@codebook_app.command("labelstudio-config")
def codebook_labelstudio_config(
    file: Path = typer.Argument(..., help="Codebook TOML file."),
    out: Path | None = typer.Option(None, "--out", help="Write the XML here instead of printing it."),
    language: str | None = typer.Option(None, "--language", help="Language of headers and hints."),
) -> None:
    """Generate the Label Studio labeling config (XML) from a codebook."""
    from qualquant.coding.codebook import read_codebook
    from qualquant.io import atomic_write_text

    xml = read_codebook(file).to_labelstudio_config(language=language)
    if out is None:
        typer.echo(xml, nl=False)
    else:
        atomic_write_text(out, xml)
        console.print(f"Label Studio config -> {out}")


@codebook_app.command("export")
def codebook_export(
    file: Path = typer.Argument(..., help="Codebook TOML file."),
    out: Path = typer.Option(..., "--out", help="Output file: .md, .xlsx or .csv."),
    language: str | None = typer.Option(None, "--language", help="Only this language (default: all)."),
) -> None:
    """Export the codebook as the coders' manual (Markdown, XLSX) or a table (CSV)."""
    from qualquant.coding.codebook import read_codebook
    from qualquant.pipelines.errors import PipelineError

    cb = read_codebook(file)
    suffix = out.suffix.lower()
    if suffix == ".md":
        cb.write_markdown(out, language=language)
    elif suffix == ".xlsx":
        cb.write_xlsx(out, language=language)
    elif suffix == ".csv":
        from qualquant.io import write_table

        write_table(cb.to_frame(language), out)
    else:
        raise PipelineError(f"--out {out}: unknown format {suffix or '(none)'}; use .md, .xlsx or .csv.")
    console.print(f"Codebook ({len(cb)} codes) -> {out}")


# --------------------------------------------------------------- labelstudio


@labelstudio_app.command("push")
def labelstudio_push(
    corpus_paths: list[str] | None = typer.Argument(
        None, help="Transcript files, directories or a glob (default: the --study's transcripts)."
    ),
    project: str | None = _STUDY_PROJECT,
    codebook: Path | None = typer.Option(
        None, "--codebook", help="Codebook TOML (creates or updates the project; default: the --study's)."
    ),
    unit: str | None = typer.Option(
        None, "--unit", help="Task unit: transcript or segment (default: the --study's, else transcript)."
    ),
    cases: Path | None = typer.Option(None, "--cases", help="Cases file (case ids in task data)."),
    anonymize: Path | None = typer.Option(
        None, "--anonymize", help="Names file: push pseudonymised text (recommended: coders then never see real names)."
    ),
    study: Path | None = STUDY_OPTION,
    url: str | None = _URL,
    token_env: str | None = _TOKEN_ENV,
) -> None:
    """Create/update the project from the codebook and push the corpus as tasks (idempotent)."""
    from qualquant.pipelines.errors import PipelineError

    st = _study(study)
    if not corpus_paths and st is None:
        raise PipelineError("Give the transcripts to push, or --study study.toml to push the study's.")
    project = _project(project, st)
    inputs = resolve_inputs(study=study, corpus_paths=corpus_paths, cases=cases, anonymize=anonymize, codebook=codebook)
    if inputs.codebook is None:
        raise PipelineError("Give --codebook FILE (or --study study.toml): the project is made from the codebook.")
    if inputs.corpus is None:
        raise PipelineError("Give the transcripts to push, or --study study.toml to push the study's.")
    unit = unit or (st.config.labelstudio.unit if st is not None else "transcript")
    client = _client(url, token_env, st)
    project_id = int(project) if project.isdigit() else client.ensure_project(project, inputs.codebook)
    result = client.push(inputs.corpus, unit=unit, project=project_id)
    console.print(
        f"Project {project_id}: {len(result.created)} tasks created, {len(result.unchanged)} already present, "
        f"{len(result.updated)} updated (unit: {unit})."
    )


@labelstudio_app.command("pull")
def labelstudio_pull(
    project: str | None = _STUDY_PROJECT,
    snapshots: Path | None = typer.Option(
        None,
        "--snapshots",
        help="Directory for the immutable raw export snapshots (default: with --study, the folder "
        "`qualquant run` reads, [study] out/[labelstudio] snapshots; else ./labelstudio-snapshots).",
        show_default=False,
    ),
    codebook: Path | None = _IMPORT_CODEBOOK,
    corpus_paths: list[str] | None = _IMPORT_CORPUS,
    cases: Path | None = _IMPORT_CASES,
    anonymize: Path | None = ANONYMIZE_OPTION,
    study: Path | None = STUDY_OPTION,
    out: Path | None = _CODINGS_OUT,
    issues_out: Path | None = _ISSUES_OUT,
    pseudonymous: bool = _PSEUDONYMOUS,
    url: str | None = _URL,
    token_env: str | None = _TOKEN_ENV,
) -> None:
    """Export the project through the API, snapshot the raw export, validate and write codings."""
    st = _study(study)
    project = _project(project, st)
    inputs = resolve_inputs(study=study, corpus_paths=corpus_paths, cases=cases, anonymize=anonymize, codebook=codebook)
    cb, corp = inputs.codebook, inputs.corpus
    client = _client(url, token_env, st)
    folder = pull_snapshot_dir(snapshots, st)
    pulled = client.pull(project, snapshot_dir=folder, codebook=cb, corpus=corp, pseudonymous=pseudonymous)
    console.print(f"Snapshot: {pulled.snapshot}")
    if pulled.merged is not None:
        console.print(f"With {pulled.n_predictions} prediction(s) merged: {pulled.merged}")
    _print_export_summary(pulled.export)
    if out:
        _write(pulled.codings, out, "Codings")
    if issues_out:
        _write(pulled.issues, issues_out, "Reconciliation")


def pull_snapshot_dir(snapshots: Path | None, study: Study | None) -> Path:
    """Where ``labelstudio pull`` writes: --snapshots, else the study's snapshot folder (the one
    ``qualquant run`` reads, :meth:`qualquant.pipelines.study.Study.snapshot_dir`), else ./labelstudio-snapshots."""
    if snapshots is not None:
        return snapshots
    if study is not None:
        return study.snapshot_dir()
    return Path("labelstudio-snapshots")


@labelstudio_app.command("status")
def labelstudio_status(
    project: str = _PROJECT,
    url: str | None = _URL,
    token_env: str = _TOKEN_ENV,
) -> None:
    """Show task and annotation counts of a project."""
    status = _client(url, token_env).status(project)
    table = Table(title=f"Project {status['project_id']}")
    table.add_column("item")
    table.add_column("n", justify="right")
    for key in ("n_tasks", "n_annotated_tasks", "n_annotations", "n_cancelled", "n_predictions"):
        table.add_row(key.removeprefix("n_").replace("_", " "), str(status[key]))
    for coder, n in status["annotations_by_coder"].items():
        table.add_row(f"annotations by {coder}", str(n))
    console.print(table)


# -------------------------------------------------------------------- coding


@coding_app.command("import")
def coding_import(
    export_file: Path | None = typer.Argument(
        None, help="Label Studio export: full JSON, JSON_MIN or CSV (default: the --study's export)."
    ),
    codebook: Path | None = _IMPORT_CODEBOOK,
    corpus_paths: list[str] | None = _IMPORT_CORPUS,
    cases: Path | None = _IMPORT_CASES,
    anonymize: Path | None = ANONYMIZE_OPTION,
    study: Path | None = STUDY_OPTION,
    out: Path | None = _CODINGS_OUT,
    issues_out: Path | None = _ISSUES_OUT,
    include_drafts: bool = typer.Option(False, "--include-drafts", help="Count drafts as annotations."),
    users: Path | None = USERS_OPTION,
    pseudonymous: bool = _PSEUDONYMOUS,
) -> None:
    """Validate every span of an export and write the codings and the reconciliation report."""
    from qualquant.coding.labelstudio import read_export

    inputs = resolve_inputs(study=study, corpus_paths=corpus_paths, cases=cases, anonymize=anonymize, codebook=codebook)
    export_file = export_argument(export_file, inputs)
    result = read_export(
        export_file,
        codebook=inputs.codebook,
        corpus=inputs.corpus,
        include_drafts=include_drafts,
        pseudonymous=pseudonymous,
        users=users_for(export_file, users),
    )
    _print_export_summary(result)
    if out:
        _write(result.codings, out, "Codings")
    if issues_out:
        _write(result.issues, issues_out, "Reconciliation")


# Agreement, theme frequencies and co-occurrence live in their own module.
from qualquant.pipelines.cli.coding_analysis import register as _register_analysis  # noqa: E402

_register_analysis(coding_app)
