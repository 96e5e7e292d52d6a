"""``qualquant refi ...``: exchange projects and codebooks with NVivo, ATLAS.ti and MAXQDA (REFI-QDA).

- ``import FILE.qdpx|FILE.qdc [--out-dir DIR]``: writes ``codebook.toml``
  and, for a project, ``codings.csv``, ``issues.csv`` and the source texts
  (``sources/<transcript_id>.txt``, canonical UTF-8 text, so
  ``qualquant corpus ingest DIR/sources`` gives transcripts whose offsets
  match the codings).
- ``export --corpus GLOB --codebook FILE --codings FILE --out FILE.qdpx``
- ``export-codebook --codebook FILE --out FILE.qdc``
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from pipelines.cli_common import console, make_app
from pipelines.errors import PipelineError

app = make_app("REFI-QDA exchange (.qdpx projects, .qdc codebooks) with NVivo, ATLAS.ti and MAXQDA.")


@app.command("import")
def refi_import(
    file: Path = typer.Argument(..., help="A REFI-QDA project (.qdpx) or codebook (.qdc)."),
    out_dir: Optional[Path] = typer.Option(None, "--out-dir",
                                           help="Folder for the results (default: FILE's name without extension)."),
) -> None:
    """Import codes, source texts and codings from a REFI-QDA file; list everything not imported."""
    from coding.refi import codebook_to_toml, read_qdc, read_qdpx
    from corpus._atomic import atomic_write_text
    from pipelines.exports import write_table

    suffix = file.suffix.lower()
    if suffix not in (".qdpx", ".qdc"):
        raise PipelineError(f"{file}: expected a .qdpx project or a .qdc codebook, not {suffix or 'no extension'}.")
    if not file.is_file():
        raise PipelineError(f"{file}: no such file.")
    out_dir = out_dir or file.with_suffix("")
    out_dir.mkdir(parents=True, exist_ok=True)
    result = read_qdc(file) if suffix == ".qdc" else read_qdpx(file)
    table = Table(title=f"REFI-QDA import: {file.name}" + (f" ({result.origin})" if result.origin else ""))
    table.add_column("item")
    table.add_column("value", justify="right")
    table.add_row("codes", str(len(result.codes)))
    if result.codebook is not None:
        path = out_dir / "codebook.toml"
        atomic_write_text(path, codebook_to_toml(result.codebook))
        table.add_row("codebook", str(path))
    if suffix == ".qdpx":
        counts = result.counts
        for key in ("n_text_sources", "n_sources_missing", "n_codings", "n_codings_mapped", "n_codings_repaired",
                    "n_codings_set_aside", "n_codings_not_used", "n_rows"):
            table.add_row(key.removeprefix("n_").replace("_", " "), str(counts[key]))
        for source in result.sources:
            if source.text is not None:
                atomic_write_text(out_dir / "sources" / f"{source.transcript_id}.txt", source.text)
        write_table(result.codings, out_dir / "codings.csv")
        write_table(result.issues, out_dir / "issues.csv")
        table.add_row("codings", str(out_dir / "codings.csv"))
        table.add_row("issues", str(out_dir / "issues.csv"))
    console.print(table)
    if suffix == ".qdpx":
        if result.missing_sources:
            names = ", ".join(s.name for s in result.missing_sources)
            console.print(f"[yellow]{len(result.missing_sources)} source text(s) are missing from the file: {names}. "
                          "Their codings are listed in issues.csv; re-export the project with its sources.[/yellow]")
        for source in result.sources:
            if source.text is not None:
                console.print(f"{source.transcript_id}: offsets counted in {source.offset_units} "
                              f"({source.offset_reason}).")


@app.command("export")
def refi_export(
    corpus_paths: list[str] = typer.Option(..., "--corpus", help="Transcripts (repeatable; glob ok)."),
    codebook: Path = typer.Option(..., "--codebook", help="Codebook TOML."),
    codings: Path = typer.Option(..., "--codings", help="Codings table (.csv/.xlsx/.parquet) or Label Studio export."),
    out: Path = typer.Option(..., "--out", help="The .qdpx file to write."),
    offsets: str = typer.Option("codepoints", "--offsets",
                                help="How positions are counted: codepoints (ATLAS.ti, MAXQDA) or utf16 (NVivo)."),
    include_predictions: bool = typer.Option(False, "--include-predictions", help="Also export model predictions."),
) -> None:
    """Write transcripts, codebook and codings as a REFI-QDA project (.qdpx)."""
    from coding.codebook import read_codebook
    from coding.refi import write_qdpx
    from corpus import read_corpus
    from pipelines.cli_coding_analysis import read_codings_input

    if out.suffix.lower() != ".qdpx":
        raise PipelineError(f"{out}: the output must end in .qdpx.")
    if offsets not in ("codepoints", "utf16"):
        raise PipelineError(f"--offsets must be codepoints or utf16, not {offsets!r}.")
    corp = read_corpus(corpus_paths if len(corpus_paths) > 1 else corpus_paths[0])
    cb = read_codebook(codebook)
    table, _ = read_codings_input(codings, corp, cb)
    write_qdpx(out, corpus=corp, codebook=cb, codings=table, offsets=offsets, include_predictions=include_predictions)
    console.print(f"REFI-QDA project: {len(corp)} sources, {len(cb)} codes, {len(table)} codings -> {out}")


@app.command("export-codebook")
def refi_export_codebook(
    codebook: Path = typer.Option(..., "--codebook", help="Codebook TOML."),
    out: Path = typer.Option(..., "--out", help="The .qdc file to write."),
) -> None:
    """Write a codebook as a REFI-QDA codebook (.qdc)."""
    from coding.codebook import read_codebook
    from coding.refi import write_qdc

    if out.suffix.lower() != ".qdc":
        raise PipelineError(f"{out}: the output must end in .qdc.")
    cb = read_codebook(codebook)
    write_qdc(out, cb)
    console.print(f"REFI-QDA codebook: {len(cb)} codes -> {out}")
