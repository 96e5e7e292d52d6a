"""``qualquant corpus ...``: ingest transcripts and summarise segment tables.

``ingest`` reads transcripts (``.txt``, ``.md``, ``.docx``, ``.vtt``, ``.srt``),
matches them to a cases table, optionally pseudonymises them, prints a summary
and writes the segments table. ``stats`` summarises a segments table written by
``ingest``. :func:`ingest_corpus` and :func:`print_corpus_summary` are plain
functions other commands (``qualquant demo``) reuse.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qualquant import corpus
from qualquant.corpus.errors import CorpusError, CorpusWarning
from qualquant.io import write_table
from qualquant.pipelines.cli._common import console, err_console, make_app

app = make_app("Transcripts: ingest files into segments, pseudonymise, summarise.")

STATS_REQUIRED = ("transcript_id", "segment_id", "role", "n_words")


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What :func:`ingest_corpus` produced."""

    corpus: corpus.Corpus
    mapping: pd.DataFrame | None
    segments_path: Path | None
    mapping_path: Path | None


def ingest_corpus(
    paths: Sequence[str | Path],
    *,
    cases: str | Path | None = None,
    case_id_column: str = "case_id",
    case_column: str | None = None,
    encoding: str | None = None,
    names: str | Path | None = None,
    mapping_out: str | Path | None = None,
    out: str | Path | None = None,
    show_progress: bool = True,
) -> IngestResult:
    """Read, match, optionally pseudonymise and write a corpus.

    Parameters
    ----------
    paths : sequence of str or Path
        Transcript files, folders or glob patterns.
    cases : path, optional
        Cases table (.csv, .tsv, .xlsx).
    case_id_column : str
        Column of the cases table holding case ids.
    case_column : str, optional
        Column of the cases table holding transcript ids, if not the case id.
    encoding : str, optional
        Declared encoding of every text transcript (``koi8-r``, ``cp1252``,
        ``latin-1``, ...); detected per file when omitted.
    names : path, optional
        Names file: pseudonymise names, e-mails, phones, URLs, Telegram and IINs.
    mapping_out : path, optional
        Where to write the pseudonym mapping (the key to the real names);
        default with ``names``: :func:`default_mapping_path` of ``out``,
        ``private/pseudonym_key.csv`` next to ``out`` (as ``qualquant demo``
        writes it), or in the current folder without ``out``.
    out : path, optional
        Segments table to write (.csv, .xlsx, .parquet or .md).
    show_progress : bool
        Draw a progress bar while reading.

    Returns
    -------
    IngestResult

    Raises
    ------
    CorpusError
        For unreadable input.
    OutputWriteError
        ``out`` or the mapping cannot be written.
    """
    case_table = corpus.read_cases(cases, id_column=case_id_column) if cases is not None else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CorpusWarning)
        if show_progress:
            columns = (
                TextColumn("Reading transcripts"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[file]}"),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=err_console, transient=True) as bar:
                task = bar.add_task("read", total=None, file="")

                def progress(i: int, n: int, path: Path) -> None:
                    bar.update(task, completed=i, total=n, file=path.name)

                result = corpus.read_corpus(
                    paths, cases=case_table, case_column=case_column, encoding=encoding, progress=progress
                )
        else:
            result = corpus.read_corpus(paths, cases=case_table, case_column=case_column, encoding=encoding)
    for w in caught:
        if issubclass(w.category, CorpusWarning):
            err_console.print(f"Warning: {w.message}", highlight=False, markup=False, soft_wrap=True)
    mapping = mapping_path = segments_path = None
    if names is not None:
        result, mapping = corpus.anonymize(result, names=names)
        mapping_path = corpus.write_mapping(mapping, default_mapping_path(out) if mapping_out is None else mapping_out)
    if out is not None:
        segments_path = write_table(result.segments_frame(), out)
    return IngestResult(result, mapping, segments_path, mapping_path)


#: Where the pseudonym key goes, relative to the output folder (as in ``qualquant demo``/``run``).
MAPPING_DEFAULT = Path("private") / "pseudonym_key.csv"

#: Printed whenever a pseudonym key is written.
PRIVATE_KEY_WARNING = (
    "{path} links every pseudonym to the real name or identifier: it is PRIVATE; keep it out "
    "of shared folders and version control."
)


def default_mapping_path(out: str | Path | None) -> Path:
    """``private/pseudonym_key.csv`` in the folder of ``out``, or in the current folder without ``out``.

    Examples
    --------
    >>> default_mapping_path("results/segments.csv").as_posix()
    'results/private/pseudonym_key.csv'
    >>> default_mapping_path(None).as_posix()
    'private/pseudonym_key.csv'
    """
    return (Path(out).parent if out is not None else Path()) / MAPPING_DEFAULT


def print_corpus_summary(c: corpus.Corpus) -> None:
    """Print the corpus summary table and, if any, the reconciliation entries."""
    s = c.summary()
    table = Table(title="Corpus", show_header=True)
    table.add_column("measure", style="bold")
    table.add_column("value", justify="right")
    table.add_row("transcripts", str(s["n_transcripts"]))
    roles = ", ".join(f"{role} {n}" for role, n in s["segments_by_role"].items())
    table.add_row("segments", f"{s['n_segments']} ({roles})")
    words = ", ".join(f"{role} {n}" for role, n in s["words_by_role"].items())
    table.add_row("words", f"{s['n_words']} ({words})")
    table.add_row("languages", ", ".join(f"{k} {v}" for k, v in s["languages"].items()))
    table.add_row("encodings", ", ".join(f"{k} {v}" for k, v in s["encodings"].items()))
    if s["n_cases"]:
        table.add_row("cases", f"{s['n_cases']} ({s['n_cases_matched']} with a transcript)")
    rec = ", ".join(f"{k} {v}" for k, v in s["reconciliation"].items()) or "nothing set aside"
    table.add_row("reconciliation", rec)
    console.print(table)
    if len(c.reconciliation):
        rtable = Table(title="Reconciliation", show_header=True)
        for column in ("kind", "file", "case_id", "message"):
            rtable.add_column(column, overflow="fold")
        for row in c.reconciliation.itertuples(index=False):
            rtable.add_row(*("" if v is None or (pd.api.types.is_scalar(v) and pd.isna(v)) else str(v) for v in row))
        console.print(rtable)


def segments_stats(frame: pd.DataFrame) -> pd.DataFrame:
    """Summarise a segments table per transcript.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table written by ``qualquant corpus ingest`` (columns ``transcript_id``,
        ``segment_id``, ``role``, ``n_words`` at least).

    Returns
    -------
    pandas.DataFrame
        One row per transcript plus a final ``total`` row; columns
        ``transcript_id, n_segments, n_interviewer, n_participant, n_other,
        n_words, n_words_participant, participant_word_share``.

    Raises
    ------
    CorpusError
        If a required column is missing.
    """
    missing = [c for c in STATS_REQUIRED if c not in frame.columns]
    if missing:
        raise CorpusError(
            f"The table lacks column(s) {', '.join(missing)}; give a segments table written by "
            "'qualquant corpus ingest --out'."
        )
    words = pd.to_numeric(frame["n_words"], errors="coerce")
    if words.isna().any():
        row = int(words.isna().to_numpy().nonzero()[0][0])
        raise CorpusError(f"Row {row + 2}: n_words {frame['n_words'].iloc[row]!r} is not a number.")
    data = frame.assign(n_words=words.astype("int64"), transcript_id=frame["transcript_id"].astype(str))
    rows = []
    for tid, group in data.groupby("transcript_id", sort=False):
        rows.append(_stats_row(tid, group))
    rows.append(_stats_row("total", data))
    return pd.DataFrame(rows)


def _stats_row(label: str, group: pd.DataFrame) -> dict:
    roles = group["role"].value_counts()
    participant_words = int(group.loc[group["role"] == "participant", "n_words"].sum())
    total = int(group["n_words"].sum())
    return {
        "transcript_id": label,
        "n_segments": len(group),
        "n_interviewer": int(roles.get("interviewer", 0)),
        "n_participant": int(roles.get("participant", 0)),
        "n_other": int(roles.get("other", 0)),
        "n_words": total,
        "n_words_participant": participant_words,
        "participant_word_share": participant_words / total if total else float("nan"),
    }


def read_segments_table(path: Path) -> pd.DataFrame:
    """Read a segments table (.csv, .xlsx or .parquet) written by ``ingest``, every column typed.

    Ids and text stay text (``"01"`` is not the number 1), offsets and word
    counts are whole numbers (:data:`qualquant.corpus.collection.SEGMENTS_SCHEMA`); a
    cell that does not parse is an error naming the file, row and column.
    """
    from qualquant.corpus.collection import SEGMENTS_SCHEMA
    from qualquant.io import read_table

    suffix = path.suffix.lower()
    if not path.is_file():
        raise CorpusError(f"{path}: no such file. Give the table written by 'qualquant corpus ingest --out'.")
    if suffix not in (".csv", ".xlsx", ".parquet"):
        raise CorpusError(f"{path}: segments tables are .csv, .xlsx or .parquet, not {suffix or '(none)'!r}.")
    return read_table(path, SEGMENTS_SCHEMA, hint="Give the table written by 'qualquant corpus ingest --out'.")


@app.command("ingest")
def ingest_cmd(
    paths: list[str] = typer.Argument(
        ..., help="Transcript files, folders or glob patterns (.txt, .md, .docx, .vtt, .srt)."
    ),
    cases: Path | None = typer.Option(None, "--cases", help="Cases table (.csv, .tsv or .xlsx) keyed by case id."),
    case_id_column: str = typer.Option(
        "case_id", "--case-id-column", help="Column of the cases table holding case ids."
    ),
    case_column: str | None = typer.Option(
        None, "--case-column", help="Column of the cases table holding transcript ids (file stems), if not the case id."
    ),
    encoding: str | None = typer.Option(
        None,
        "--encoding",
        help=(
            "Encoding of the text transcripts (cp1251, koi8-r, cp1252, latin-1, ...); default: detect UTF-8, "
            "UTF-16 with a byte-order mark and Windows-1251. A wrong one is an error naming the file and line."
        ),
    ),
    anonymize: Path | None = typer.Option(
        None,
        "--anonymize",
        help=(
            "Names file (one person per line: canonical, variants...): "
            "pseudonymise names, e-mails, phones, URLs, Telegram and IINs."
        ),
    ),
    mapping_out: Path | None = typer.Option(
        None,
        "--mapping-out",
        help=(
            "Where to write the private pseudonym mapping (.csv, .xlsx, .parquet) with "
            "--anonymize; default private/pseudonym_key.csv next to --out (or in the "
            "current folder without --out). Keep it out of shared folders."
        ),
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Write the segments table to FILE.parquet, .csv, .xlsx or .md."
    ),
) -> None:
    """Read transcripts into speaker segments and print a summary."""
    result = ingest_corpus(
        paths,
        cases=cases,
        case_id_column=case_id_column,
        case_column=case_column,
        encoding=encoding,
        names=anonymize,
        mapping_out=mapping_out,
        out=out,
    )
    print_corpus_summary(result.corpus)
    if result.mapping_path is not None and result.mapping is not None:
        console.print(
            f"Pseudonymised {len(result.mapping)} original forms; mapping (keep it private): {result.mapping_path}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        err_console.print(
            "Warning: " + PRIVATE_KEY_WARNING.format(path=result.mapping_path),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if result.segments_path is not None:
        console.print(f"Wrote {result.segments_path}", highlight=False, markup=False)


@app.command("stats")
def stats_cmd(
    file: Path = typer.Argument(
        ..., help="Segments table written by 'qualquant corpus ingest --out' (.csv, .xlsx, .parquet)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Also write the statistics to FILE.csv, .xlsx, .parquet or .md."
    ),
) -> None:
    """Summarise a segments table: segments and words per transcript and role."""
    stats = segments_stats(read_segments_table(file))
    table = Table(title=f"Segments in {file.name}")
    for column in stats.columns:
        table.add_column(column, justify="left" if column == "transcript_id" else "right")
    for row in stats.itertuples(index=False):
        cells = [
            f"{v:.1%}" if isinstance(v, float) and v == v else ("" if isinstance(v, float) else str(v)) for v in row
        ]
        table.add_row(*cells)
    console.print(table)
    if out is not None:
        console.print(f"Wrote {write_table(stats, out)}", highlight=False, markup=False)
