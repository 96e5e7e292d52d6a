"""``qualquant refi ...``: exchange projects and codebooks with NVivo, ATLAS.ti and MAXQDA (REFI-QDA).

- ``import FILE.qdpx|FILE.qdc [--out-dir DIR]``: writes ``codebook.toml``
  and, for a project, ``codings.csv``, ``issues.csv`` and the source texts
  (``sources/<transcript_id>.txt``, canonical UTF-8 text, so
  ``qualquant corpus ingest DIR/sources`` gives transcripts whose offsets
  match the codings).
- ``export --study study.toml --codings FILE --out FILE.qdpx`` (the study's
  pseudonymised transcripts and codebook) or ``export --corpus GLOB
  [--anonymize NAMES] --codebook FILE --codings FILE --out FILE.qdpx``; codings
  made on pseudonymised text are never exported with the raw transcripts.
- ``export-codebook --codebook FILE --out FILE.qdc``
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from qualquant.pipelines.cli._common import console, make_app
from qualquant.pipelines.cli._inputs import (
    ANONYMIZE_OPTION,
    STUDY_OPTION,
    USERS_OPTION,
    CodingsRead,
    export_argument,
    is_codings_table,
    label_coders,
    read_codings,
    resolve_inputs,
    study_codings,
    users_for,
)
from qualquant.pipelines.errors import PipelineError

if TYPE_CHECKING:
    import pandas as pd

    from qualquant.coding.codebook import Codebook
    from qualquant.corpus import Corpus

app = make_app("REFI-QDA exchange (.qdpx projects, .qdc codebooks) with NVivo, ATLAS.ti and MAXQDA.")


@app.command("import")
def refi_import(
    file: Path = typer.Argument(..., help="A REFI-QDA project (.qdpx) or codebook (.qdc)."),
    out_dir: Path | None = typer.Option(
        None, "--out-dir", help="Folder for the results (default: FILE's name without extension)."
    ),
) -> None:
    """Import codes, source texts and codings from a REFI-QDA file; list everything not imported."""
    from qualquant.coding.refi import codebook_to_toml, read_qdc, read_qdpx
    from qualquant.io import atomic_write_text, write_table

    suffix = file.suffix.lower()
    if suffix not in (".qdpx", ".qdc"):
        raise PipelineError(f"{file}: expected a .qdpx project or a .qdc codebook, not {suffix or 'no extension'}.")
    if not file.is_file():
        raise PipelineError(f"{file}: no such file.")
    out_dir = out_dir or file.with_suffix("")
    out_dir.mkdir(parents=True, exist_ok=True)
    project = read_qdpx(file) if suffix == ".qdpx" else None
    result = project if project is not None else read_qdc(file)
    table = Table(title=f"REFI-QDA import: {file.name}" + (f" ({result.origin})" if result.origin else ""))
    table.add_column("item")
    table.add_column("value", justify="right")
    table.add_row("codes", str(len(result.codes)))
    if result.codebook is not None:
        path = out_dir / "codebook.toml"
        atomic_write_text(path, codebook_to_toml(result.codebook))
        table.add_row("codebook", str(path))
    if project is not None:
        counts = project.counts
        for key in (
            "n_text_sources",
            "n_sources_missing",
            "n_codings",
            "n_codings_mapped",
            "n_codings_repaired",
            "n_codings_set_aside",
            "n_codings_not_used",
            "n_rows",
        ):
            table.add_row(key.removeprefix("n_").replace("_", " "), str(counts[key]))
        for source in project.sources:
            if source.text is not None:
                atomic_write_text(out_dir / "sources" / f"{source.transcript_id}.txt", source.text)
        write_table(project.codings, out_dir / "codings.csv")
        write_table(project.issues, out_dir / "issues.csv")
        table.add_row("codings", str(out_dir / "codings.csv"))
        table.add_row("issues", str(out_dir / "issues.csv"))
    console.print(table)
    if project is not None:
        if project.missing_sources:
            names = ", ".join(s.name for s in project.missing_sources)
            console.print(
                f"[yellow]{len(project.missing_sources)} source text(s) are missing from the file: {names}. "
                "Their codings are listed in issues.csv; re-export the project with its sources.[/yellow]"
            )
        for source in project.sources:
            if source.text is not None:
                console.print(
                    f"{source.transcript_id}: offsets counted in {source.offset_units} ({source.offset_reason})."
                )


@app.command("export")
def refi_export(
    corpus_paths: list[str] | None = typer.Option(
        None, "--corpus", help="Transcripts (repeatable; glob ok; default: the --study's)."
    ),
    cases: Path | None = typer.Option(None, "--cases", help="Cases table for --corpus."),
    anonymize: Path | None = ANONYMIZE_OPTION,
    study: Path | None = STUDY_OPTION,
    codebook: Path | None = typer.Option(None, "--codebook", help="Codebook TOML (default: the --study's)."),
    codings: Path | None = typer.Option(
        None,
        "--codings",
        help="Codings table (.csv/.xlsx/.parquet) or Label Studio export (default: the --study's export).",
    ),
    users: Path | None = USERS_OPTION,
    out: Path = typer.Option(..., "--out", help="The .qdpx file to write."),
    offsets: str = typer.Option(
        "codepoints", "--offsets", help="How positions are counted: codepoints (ATLAS.ti, MAXQDA) or utf16 (NVivo)."
    ),
    include_predictions: bool = typer.Option(False, "--include-predictions", help="Also export model predictions."),
) -> None:
    """Write transcripts, codebook and codings as a REFI-QDA project (.qdpx).

    The sources written are the transcripts the codings refer to: with --study (or --anonymize) the
    pseudonymised texts, as they were pushed to Label Studio and as `coding import --study` read them.
    """
    from qualquant.coding.refi import write_qdpx

    if out.suffix.lower() != ".qdpx":
        raise PipelineError(f"{out}: the output must end in .qdpx.")
    if offsets not in ("codepoints", "utf16"):
        raise PipelineError(f"--offsets must be codepoints or utf16, not {offsets!r}.")
    inputs = resolve_inputs(study=study, corpus_paths=corpus_paths, cases=cases, anonymize=anonymize, codebook=codebook)
    if inputs.corpus is None:
        raise PipelineError(
            "Give the transcripts the codings refer to with --corpus PATH (repeatable; globs ok) or a --study file."
        )
    if inputs.codebook is None:
        raise PipelineError("Give the codebook with --codebook FILE or a --study file.")
    corp, cb = inputs.corpus, inputs.codebook
    combined = study_codings(codings, inputs)
    path = export_argument(codings, inputs) if combined is None else Path(study or "")
    pseudonymised = study is not None or anonymize is not None
    if combined is not None:
        table = combined.codings
    elif is_codings_table(path):
        table = read_codings(path, corp, cb).codings
        if not pseudonymised:
            check_not_pseudonymised(table, corp, path)
    else:
        table = _read_export(path, corp, cb, users_for(path, users), pseudonymised=pseudonymised)
    table = label_coders(CodingsRead(table, None, None), inputs.study).codings
    write_qdpx(out, corpus=corp, codebook=cb, codings=table, offsets=offsets, include_predictions=include_predictions)
    kind = "pseudonymised " if _has_placeholders(corp) else ""
    console.print(f"REFI-QDA project: {len(corp)} {kind}sources, {len(cb)} codes, {len(table)} codings -> {out}")


def _read_export(
    path: Path, corp: Corpus, codebook: Codebook, users: dict[int, str] | None, *, pseudonymised: bool
) -> pd.DataFrame:
    """Codings of a Label Studio export; stop when tasks do not match the transcripts to export."""
    read = read_codings(path, corp, codebook, users)
    issues = read.issues
    if issues is None or not len(issues):
        return read.codings
    mismatch = issues[issues["reason"] == "task_text_mismatch"]
    if len(mismatch):
        tasks = mismatch["task_id"].nunique()
        advice = (
            "Label Studio tasks carry the pseudonymised text: add --study study.toml (or --anonymize NAMES "
            "with --corpus) so the project holds the texts the codings refer to"
            if not pseudonymised
            else "check that the study's transcripts and names file are the ones pushed to Label Studio"
        )
        raise PipelineError(
            f"{path}: the text of {tasks} task(s) differs from the transcripts "
            f"({len(mismatch)} annotation(s) would be set aside); {advice}."
        )
    set_aside = issues[issues["action"] == "set_aside"]
    if len(set_aside):
        console.print(
            f"[yellow]{len(set_aside)} record(s) of the export were set aside and are not exported; "
            "run `qualquant coding import` with --issues-out to list them.[/yellow]"
        )
    return read.codings


def _has_placeholders(corp: Corpus) -> bool:
    from qualquant.corpus.anonymize import PLACEHOLDER_RE

    return any(PLACEHOLDER_RE.search(t.text) for t in corp)


def check_not_pseudonymised(codings: pd.DataFrame, corp: Corpus, path: Path) -> None:
    """Stop when codings made on pseudonymised text are about to be exported with raw transcripts.

    Raises
    ------
    PipelineError
        If rows of ``codings`` whose text does not match the (raw) transcripts carry
        pseudonym placeholders (``[NAME_1]``) that the transcripts do not have: the
        codings refer to the pseudonymised transcripts, and exporting the raw ones
        would put real names into the project (and misplace every span).
    """
    from qualquant.corpus.anonymize import PLACEHOLDER_RE

    if "text" not in codings.columns or _has_placeholders(corp):
        return
    mismatched = 0
    example = None
    for row_no, row in enumerate(codings.itertuples(index=False), start=1):
        text, tid = getattr(row, "text", None), row.transcript_id
        transcript = corp.get(tid) if tid is not None else None
        if not isinstance(text, str) or transcript is None:
            continue
        try:
            start, end = int(row.start), int(row.end)
        except (TypeError, ValueError):
            continue
        if transcript.text[start:end] == text:
            continue
        mismatched += 1
        if example is None and (found := PLACEHOLDER_RE.search(text)):
            example = (row_no, tid, found.group(0))
    if example is not None:
        row_no, tid, placeholder = example
        raise PipelineError(
            f"{path}: {mismatched} of {len(codings)} codings do not match the raw transcripts, and they were made "
            f"on pseudonymised text (row {row_no}, transcript {tid}, has {placeholder}). Export the pseudonymised "
            "transcripts they refer to: add --study study.toml (or --anonymize NAMES with --corpus); raw "
            "transcripts are not exported with pseudonymised codings."
        )


@app.command("export-codebook")
def refi_export_codebook(
    codebook: Path = typer.Option(..., "--codebook", help="Codebook TOML."),
    out: Path = typer.Option(..., "--out", help="The .qdc file to write."),
) -> None:
    """Write a codebook as a REFI-QDA codebook (.qdc)."""
    from qualquant.coding.codebook import read_codebook
    from qualquant.coding.refi import write_qdc

    if out.suffix.lower() != ".qdc":
        raise PipelineError(f"{out}: the output must end in .qdc.")
    cb = read_codebook(codebook)
    write_qdc(out, cb)
    console.print(f"REFI-QDA codebook: {len(cb)} codes -> {out}")
