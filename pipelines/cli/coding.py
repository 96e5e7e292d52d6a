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

codebook_app = make_app("Codebooks: show them, export the coders' manual, generate the Label Studio config.")
labelstudio_app = make_app("Label Studio round trip: push transcripts as tasks, pull validated codings, status.")
coding_app = make_app("Codings: import Label Studio exports into validated codings tables.")

DEFAULT_URL = "http://localhost:8080"

_URL = typer.Option(None, "--url", help=f"Label Studio URL (default: $QUALQUANT_LABEL_STUDIO_URL or {DEFAULT_URL}).")
_TOKEN_ENV = typer.Option(
    "LABEL_STUDIO_API_KEY", "--token-env", help="Name of the environment variable holding the API token."
)
_PROJECT = typer.Option(..., "--project", help="Project title (or numeric id).")
# Options shared by "labelstudio pull" and "coding import".
_IMPORT_CODEBOOK = typer.Option(None, "--codebook", help="Codebook TOML (unknown labels reported).")
_IMPORT_CORPUS = typer.Option(None, "--corpus", help="Transcripts (repeatable; glob ok).")
_IMPORT_CASES = typer.Option(None, "--cases", help="Cases file.")
_CODINGS_OUT = typer.Option(None, "--out", help="Write the codings table (.csv/.xlsx/.parquet/.md).")
_ISSUES_OUT = typer.Option(None, "--issues-out", help="Write the reconciliation table.")
_PSEUDONYMOUS = typer.Option(False, "--pseudonymous", help="Name coders coder_1, coder_2, ...")


def _client(url: str | None, token_env: str):
    from qualquant.coding.labelstudio import LabelStudioClient

    return LabelStudioClient(url or os.environ.get("QUALQUANT_LABEL_STUDIO_URL") or DEFAULT_URL, token_env=token_env)


def _read_corpus(paths: list[str] | None, cases: Path | None, anonymize: Path | None = None, study: Path | None = None):
    from qualquant.pipelines.cli._inputs import resolve_inputs

    return resolve_inputs(study=study, corpus_paths=paths, cases=cases, anonymize=anonymize).corpus


def _write(df, path: Path, what: str) -> None:
    from qualquant.io import write_table

    write_table(df, path)
    console.print(f"{what}: {len(df)} rows -> {path}")


def _print_export_summary(result) -> None:
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
    corpus_paths: list[str] = typer.Argument(..., help="Transcript files, directories or a glob."),
    project: str = _PROJECT,
    codebook: Path = typer.Option(..., "--codebook", help="Codebook TOML (creates or updates the project)."),
    unit: str = typer.Option("transcript", "--unit", help="Task unit: transcript or segment."),
    cases: Path | None = typer.Option(None, "--cases", help="Cases file (case ids in task data)."),
    anonymize: Path | None = typer.Option(
        None, "--anonymize", help="Names file: push pseudonymised text (recommended: coders then never see real names)."
    ),
    url: str | None = _URL,
    token_env: str = _TOKEN_ENV,
) -> None:
    """Create/update the project from the codebook and push the corpus as tasks (idempotent)."""
    from qualquant.coding.codebook import read_codebook

    cb = read_codebook(codebook)
    corp = _read_corpus(corpus_paths, cases, anonymize)
    client = _client(url, token_env)
    project_id = int(project) if project.isdigit() else client.ensure_project(project, cb)
    result = client.push(corp, unit=unit, project=project_id)
    console.print(
        f"Project {project_id}: {len(result.created)} tasks created, {len(result.unchanged)} already present, "
        f"{len(result.updated)} updated (unit: {unit})."
    )


@labelstudio_app.command("pull")
def labelstudio_pull(
    project: str = _PROJECT,
    snapshots: Path = typer.Option(
        Path("labelstudio-snapshots"), "--snapshots", help="Directory for the immutable raw export snapshots."
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
    token_env: str = _TOKEN_ENV,
) -> None:
    """Export the project through the API, snapshot the raw export, validate and write codings."""
    inputs = resolve_inputs(study=study, corpus_paths=corpus_paths, cases=cases, anonymize=anonymize, codebook=codebook)
    cb, corp = inputs.codebook, inputs.corpus
    client = _client(url, token_env)
    pulled = client.pull(project, snapshot_dir=snapshots, codebook=cb, corpus=corp, pseudonymous=pseudonymous)
    console.print(f"Snapshot: {pulled.snapshot}")
    if pulled.merged is not None:
        console.print(f"With {pulled.n_predictions} prediction(s) merged: {pulled.merged}")
    _print_export_summary(pulled.export)
    if out:
        _write(pulled.codings, out, "Codings")
    if issues_out:
        _write(pulled.issues, issues_out, "Reconciliation")


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
