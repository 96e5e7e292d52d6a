"""Inputs shared by the coding commands: a study file, or explicit paths.

Label Studio tasks carry the *pseudonymised* transcript text, so reading an
export against the raw transcripts would set every span aside. The commands
therefore take either ``--study study.toml`` (transcripts, cases,
pseudonymisation list, codebook and export all come from it, exactly as
``qualquant run`` uses them) or explicit ``--corpus``/``--cases``/
``--anonymize``/``--codebook`` options.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import typer

from qualquant.pipelines.cli._common import console
from qualquant.pipelines.errors import PipelineError

if TYPE_CHECKING:
    from qualquant.coding.codebook import Codebook
    from qualquant.corpus import Corpus
    from qualquant.pipelines.study import Study

STUDY_OPTION = typer.Option(
    None, "--study", help="study.toml: take transcripts, cases, pseudonymisation list, codebook and export from it."
)
ANONYMIZE_OPTION = typer.Option(
    None, "--anonymize", help="Names file: pseudonymise the transcripts first, as they were pushed to Label Studio."
)
USERS_OPTION = typer.Option(
    None,
    "--users",
    help="JSON object of Label Studio user id -> coder name (default: <export>.users.json "
    "next to the export, when present).",
)


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a coding command works on."""

    corpus: Corpus | None
    codebook: Codebook | None
    exports: tuple[Path, ...]
    study: Study | None = None


def resolve_inputs(
    *,
    study: Path | None = None,
    corpus_paths: list[str] | None = None,
    cases: Path | None = None,
    anonymize: Path | None = None,
    codebook: Path | None = None,
) -> Inputs:
    """Build the corpus, codebook and export list from a study file or explicit options.

    Explicit options win over the study's settings.
    """
    from qualquant.coding.codebook import read_codebook

    exports: tuple[Path, ...] = ()
    corpus = None
    st = None
    if study is not None:
        from qualquant.pipelines.study import read_study

        st = read_study(study)
        exports = tuple(st.export_paths())
        if not corpus_paths:
            corpus, _ = st.read_corpus()
        if codebook is None:
            codebook = st.resolve(st.config.codebook.path)
        if anonymize is None and st.config.corpus.names:
            anonymize = st.resolve(st.config.corpus.names)
        if cases is None and st.config.corpus.cases:
            cases = st.resolve(st.config.corpus.cases)
    if corpus_paths:
        from qualquant import corpus as corpus_pkg

        corpus = corpus_pkg.read_corpus(corpus_paths if len(corpus_paths) > 1 else corpus_paths[0], cases=cases)
        if anonymize is not None:
            corpus, _ = corpus_pkg.anonymize(corpus, anonymize)
    elif anonymize is not None and study is None:
        raise PipelineError("--anonymize needs the transcripts: give them with --corpus PATH.")
    cb = read_codebook(codebook) if codebook is not None else None
    return Inputs(corpus=corpus, codebook=cb, exports=exports, study=st)


def export_argument(given: Path | None, inputs: Inputs) -> Path:
    """The export or codings file to read: the one given, else the study's (exactly one)."""
    if given is not None:
        return given
    if len(inputs.exports) == 1:
        return inputs.exports[0]
    if not inputs.exports:
        raise PipelineError("Give the export or codings file, or a --study whose [labelstudio] export exists.")
    names = ", ".join(p.name for p in inputs.exports)
    raise PipelineError(f"The study has {len(inputs.exports)} exports ({names}); name the one to read.")


def users_for(export: Path, users: Path | None) -> dict[int, str] | None:
    """Coder names for an export: from ``--users``, else from ``<export>.users.json`` if it exists."""
    from qualquant.coding.labelstudio import read_users, users_path

    if users is not None:
        return read_users(users)
    sidecar = users_path(export)
    return read_users(sidecar) if sidecar.exists() else None


# ------------------------------------------------------------------ codings files


def is_codings_table(path: Path) -> bool:
    """A codings table written by ``coding import`` (.csv with the codings columns, .xlsx, .parquet), not an export."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".xlsx"):
        return True
    if suffix == ".csv":
        try:
            header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
        except (OSError, ValueError, UnicodeDecodeError):
            return False
        return {"coder", "segment_id", "code", "start", "end"} <= set(header)
    return False


def read_codings_table(path: Path) -> pd.DataFrame:
    """Read a codings table written by ``coding import`` or ``run`` with every column typed.

    See :func:`qualquant.coding.codings.read_codings_table`: booleans are parsed as
    booleans, ids kept as text, offsets as whole numbers; a cell that does not
    parse is an error naming the file, row and column.
    """
    from qualquant.coding.codings import read_codings_table as read_typed

    return read_typed(path, hint="Write one with `qualquant coding import EXPORT --corpus ... --out FILE`.")


@dataclass(frozen=True, slots=True)
class CodingsRead:
    """Codings from a table or an export; ``annotations`` and ``issues`` only for an export."""

    codings: pd.DataFrame
    annotations: pd.DataFrame | None
    issues: pd.DataFrame | None


def read_codings(
    path: Path, corpus: Corpus | None, codebook: Codebook | None, users: dict[int, str] | None = None
) -> CodingsRead:
    """Read a codings table as it is, or a Label Studio export validated against ``corpus``.

    Callers decide what to say about the export's issues (records set aside or
    repaired): the analysis commands count them, ``refi export`` refuses tasks
    whose text differs from the transcripts.
    """
    path = Path(path)
    if not path.is_file():
        raise PipelineError(f"{path}: no such file. Give a Label Studio export or a codings table.")
    if is_codings_table(path):
        return CodingsRead(read_codings_table(path), None, None)
    from qualquant.coding.labelstudio import read_export

    result = read_export(path, codebook=codebook, corpus=corpus, users=users)
    return CodingsRead(result.codings, result.annotations, result.issues)


def study_codings(given: Path | None, inputs: Inputs) -> CodingsRead | None:
    """The codings of every ``[[coding.sources]]`` of the --study combined, as ``run`` reads them.

    None when a file is given, when there is no study, or when the study lists no
    ``[[coding.sources]]`` (then its ``[labelstudio] export`` is read as before).
    """
    st = inputs.study
    if given is not None or st is None or not st.config.coding.sources:
        return None
    if inputs.corpus is None or inputs.codebook is None:
        raise PipelineError("Reading the study's [[coding.sources]] needs its transcripts and codebook.")
    from qualquant.coding import empty_codings

    frames, issues = st.read_codings(inputs.corpus, inputs.codebook)
    frames = [f for f in frames if len(f)]
    codings = pd.concat(frames, ignore_index=True) if frames else empty_codings()
    found = [f for f in issues if len(f)]
    return CodingsRead(codings, None, pd.concat(found, ignore_index=True) if found else issues[0] if issues else None)


# ------------------------------------------------------------------ coder labels


def label_coders(read: CodingsRead, study: Study | None) -> CodingsRead:
    """The codings with the coders' pseudonymous labels from the ``study``'s coder file (as it is without a study).

    The coder file (``[coding] coders``) is only read, never written: a command that
    reads a study does not change it. A coder the file does not list is shown under a
    temporary label (``unlabelled_1``, ...), never by their name, and one warning says
    to run ``qualquant run``, which adds them. Names that are already labels of the
    file (a codings table written by ``qualquant run``) are kept.
    """
    if study is None:
        return read
    from qualquant.pipelines.study._coders import apply_coder_labels, coder_ids, read_coders, reading_labels

    name = study.config.coding.coders
    issues = read.issues if read.issues is not None else pd.DataFrame(columns=["coder", "detail"])
    people = coder_ids(read.codings, issues)
    annotations = read.annotations
    if annotations is not None and len(annotations):
        human = annotations["source"] == "human" if "source" in annotations.columns else annotations["coder"].notna()
        found = set(annotations.loc[human, "coder"].dropna().astype(str)) - {"unknown", "consensus", ""}
        people = sorted(set(people) | found)
    mapping, missing = reading_labels(read_coders(study.coders_path(), name=name), people)
    if missing:
        shown = ", ".join(mapping[p] for p in missing)
        console.print(
            f"Warning: {name} does not list {len(missing)} coder(s) of these codings, shown as {shown} for now; "
            f"run `qualquant run` to add them to {name} (this command does not change the study).",
            style="yellow",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    codings, labelled = apply_coder_labels(read.codings, issues, mapping)
    if annotations is not None and len(annotations):
        annotations = annotations.copy()
        human = annotations["source"] == "human" if "source" in annotations.columns else annotations["coder"].notna()
        annotations.loc[human, "coder"] = annotations.loc[human, "coder"].map(
            lambda c: mapping.get(c, c) if isinstance(c, str) else c
        )
    return CodingsRead(codings, annotations, labelled if read.issues is not None else None)
