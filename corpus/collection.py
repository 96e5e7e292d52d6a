"""The :class:`Corpus`: transcripts, cases and the reconciliation between them."""

from __future__ import annotations

import glob as _glob
import os
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from qualquant.corpus.cases import coerce_cases
from qualquant.corpus.errors import CorpusError, NoSpeakerLabelsWarning, TranscriptReadError
from qualquant.corpus.model import ROLES, Segment, Transcript, count_words
from qualquant.corpus.readers import SUPPORTED_SUFFIXES, read_transcript
from qualquant.corpus.speakers import SpeakerPatterns
from qualquant.io import Column, TableSchema

__all__ = [
    "RECONCILIATION_COLUMNS",
    "SEGMENT_COLUMNS",
    "SEGMENTS_SCHEMA",
    "Corpus",
    "expand_paths",
    "read_corpus",
]

RECONCILIATION_COLUMNS = ("kind", "file", "case_id", "message")
SEGMENT_COLUMNS = (
    "transcript_id",
    "segment_id",
    "index",
    "speaker",
    "role",
    "start",
    "end",
    "text",
    "n_words",
    "timestamp",
)
#: The segments table (:meth:`Corpus.segments_frame`) for reading it back with
#: :func:`qualquant.io.read_table`: ids and text as text, offsets and counts as whole numbers.
SEGMENTS_SCHEMA = TableSchema(
    "segments table",
    (
        Column("transcript_id", "str"),
        Column("segment_id", "str"),
        Column("index", "int", required=False),
        Column("speaker", "str", nullable=True, required=False),
        Column("role", "str"),
        Column("start", "int", required=False),
        Column("end", "int", required=False),
        Column("text", "str", nullable=True, required=False),
        Column("n_words", "int"),
        Column("timestamp", "str", nullable=True, required=False),
    ),
)


def _empty_reconciliation() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in RECONCILIATION_COLUMNS})


@dataclass(frozen=True, slots=True, eq=False)
class Corpus:
    """Transcripts plus the cases table and a reconciliation report.

    Attributes
    ----------
    transcripts : tuple of Transcript
        In corpus order (the order files were given; directories and globs sorted).
    cases : pandas.DataFrame
        Indexed by ``case_id``; empty when no cases file was given.
    reconciliation : pandas.DataFrame
        Columns ``kind, file, case_id, message``; one row per record set aside or
        needing attention: ``transcript_without_case``, ``case_without_transcript``,
        ``no_speaker_labels``, ``skipped_file``. Empty when everything matches.

    Examples
    --------
    >>> from qualquant import pipelines
    >>> import pathlib
    >>> demo = pathlib.Path(pipelines.__file__).parent / "demo_data"
    >>> corpus = read_corpus(demo / "transcripts", cases=demo / "cases.csv")
    >>> len(corpus), corpus["INT01"].id, corpus.reconciliation.empty
    (20, 'INT01', True)
    """

    transcripts: tuple[Transcript, ...]
    cases: pd.DataFrame = field(default_factory=lambda: coerce_cases(None))
    reconciliation: pd.DataFrame = field(default_factory=_empty_reconciliation)
    _by_id: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "transcripts", tuple(self.transcripts))
        by_id: dict[str, Transcript] = {}
        for t in self.transcripts:
            if t.id in by_id:
                raise CorpusError(
                    f"Two transcripts have the id {t.id!r} ({by_id[t.id].source_path} and "
                    f"{t.source_path}); ids are file stems and must be unique. Rename or remove one."
                )
            by_id[t.id] = t
        object.__setattr__(self, "_by_id", by_id)

    def __iter__(self) -> Iterator[Transcript]:
        return iter(self.transcripts)

    def __len__(self) -> int:
        return len(self.transcripts)

    def __contains__(self, transcript_id: object) -> bool:
        return transcript_id in self._by_id

    def __getitem__(self, transcript_id: str) -> Transcript:
        try:
            return self._by_id[transcript_id]
        except KeyError:
            raise KeyError(f"No transcript {transcript_id!r} in the corpus.") from None

    def get(self, transcript_id: str, default: Transcript | None = None) -> Transcript | None:
        """Return the transcript with this id, or ``default``."""
        return self._by_id.get(transcript_id, default)

    @property
    def ids(self) -> tuple[str, ...]:
        """Transcript ids in corpus order."""
        return tuple(t.id for t in self.transcripts)

    def segments(self, *, roles: Sequence[str] | None = None) -> Iterator[Segment]:
        """Iterate over all segments in corpus order, optionally only some roles."""
        for t in self.transcripts:
            for seg in t.segments:
                if roles is None or seg.role in roles:
                    yield seg

    def with_transcripts(self, transcripts: Iterable[Transcript]) -> Corpus:
        """Return a corpus with the same cases and reconciliation but new transcripts."""
        return Corpus(tuple(transcripts), self.cases, self.reconciliation)

    def case_id(self, transcript_id: str) -> str | None:
        """Return the case id a transcript maps to (None if it has no case row)."""
        return self[transcript_id].metadata.get("case_id")

    def segments_frame(self) -> pd.DataFrame:
        """Return one row per segment.

        Returns
        -------
        pandas.DataFrame
            Columns ``transcript_id, segment_id, index, speaker, role, start, end,
            text, n_words, timestamp`` (``timestamp`` is None where absent), in
            corpus order.
        """
        rows = [
            (
                s.transcript_id,
                s.segment_id,
                s.index,
                s.speaker,
                s.role,
                s.start,
                s.end,
                s.text,
                count_words(s.text),
                s.timestamp,
            )
            for s in self.segments()
        ]
        frame = pd.DataFrame.from_records(rows, columns=list(SEGMENT_COLUMNS))
        for column in ("index", "start", "end", "n_words"):
            frame[column] = frame[column].astype("int64")
        frame["timestamp"] = frame["timestamp"].astype(object)
        return frame

    def transcripts_frame(self) -> pd.DataFrame:
        """Return one row per transcript.

        Returns
        -------
        pandas.DataFrame
            Columns ``transcript_id, case_id, language, encoding, format,
            source_path, n_chars, n_segments, n_interviewer, n_participant,
            n_other, n_words, n_words_participant``.
        """
        rows = []
        for t in self.transcripts:
            roles = Counter(s.role for s in t.segments)
            rows.append(
                {
                    "transcript_id": t.id,
                    "case_id": t.metadata.get("case_id"),
                    "language": t.language,
                    "encoding": t.encoding,
                    "format": t.metadata.get("format"),
                    "source_path": t.source_path,
                    "n_chars": len(t.text),
                    "n_segments": len(t.segments),
                    "n_interviewer": roles["interviewer"],
                    "n_participant": roles["participant"],
                    "n_other": roles["other"],
                    "n_words": t.n_words,
                    "n_words_participant": sum(s.n_words for s in t.segments_by_role("participant")),
                }
            )
        columns = [
            "transcript_id",
            "case_id",
            "language",
            "encoding",
            "format",
            "source_path",
            "n_chars",
            "n_segments",
            "n_interviewer",
            "n_participant",
            "n_other",
            "n_words",
            "n_words_participant",
        ]
        return pd.DataFrame(rows, columns=columns)

    def summary(self) -> dict[str, Any]:
        """Return corpus totals as a dict.

        Returns
        -------
        dict
            ``n_transcripts``, ``n_segments``, ``segments_by_role`` (dict role ->
            count, every role present), ``n_words``, ``words_by_role``,
            ``languages`` and ``encodings`` (value -> number of transcripts),
            ``n_cases``, ``n_cases_matched`` and ``reconciliation`` (kind -> count).
        """
        segments_by_role = dict.fromkeys(ROLES, 0)
        words_by_role = dict.fromkeys(ROLES, 0)
        for seg in self.segments():
            segments_by_role[seg.role] += 1
            words_by_role[seg.role] += seg.n_words
        matched = {t.metadata.get("case_id") for t in self.transcripts} - {None}
        return {
            "n_transcripts": len(self.transcripts),
            "n_segments": sum(segments_by_role.values()),
            "segments_by_role": segments_by_role,
            "n_words": sum(words_by_role.values()),
            "words_by_role": words_by_role,
            "languages": dict(sorted(Counter(t.language for t in self.transcripts).items())),
            "encodings": dict(sorted(Counter(t.encoding for t in self.transcripts).items())),
            "n_cases": len(self.cases),
            "n_cases_matched": len(matched & set(self.cases.index)),
            "reconciliation": dict(sorted(Counter(self.reconciliation["kind"]).items())),
        }

    def summary_frame(self) -> pd.DataFrame:
        """Return :meth:`summary` as a two-column table (``measure``, ``value``) for export."""
        s = self.summary()
        rows = [("transcripts", s["n_transcripts"]), ("segments", s["n_segments"])]
        rows += [(f"segments: {role}", n) for role, n in s["segments_by_role"].items()]
        rows.append(("words", s["n_words"]))
        rows += [(f"words: {role}", n) for role, n in s["words_by_role"].items()]
        rows += [(f"language: {k}", v) for k, v in s["languages"].items()]
        rows += [(f"encoding: {k}", v) for k, v in s["encodings"].items()]
        rows += [("cases", s["n_cases"]), ("cases with a transcript", s["n_cases_matched"])]
        rows.append(("reconciliation entries", len(self.reconciliation)))
        rows += [(f"reconciliation: {k}", v) for k, v in s["reconciliation"].items()]
        return pd.DataFrame(rows, columns=["measure", "value"])


def _natural_key(path: Path) -> tuple:
    parts = re.split(r"(\d+)", path.name)
    return tuple((0, int(p)) if p.isdigit() else (1, p.casefold()) for p in parts)


def expand_paths(
    paths_or_glob: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> tuple[list[Path], list[Path]]:
    """Resolve files, directories and glob patterns to transcript files.

    Parameters
    ----------
    paths_or_glob : str, path-like, or iterable of them
        Files (kept in the order given), directories (their transcript files,
        naturally sorted: INT2 before INT10) and glob patterns (sorted the same way).

    Returns
    -------
    (list of Path, list of Path)
        Transcript files, and files found in directories or globs that were skipped
        because their extension is not a transcript format.

    Raises
    ------
    TranscriptReadError
        If a path does not exist or nothing was found.
    """
    if isinstance(paths_or_glob, (str, os.PathLike)):
        items = [paths_or_glob]
    else:
        items = list(paths_or_glob)
    files: list[Path] = []
    skipped: list[Path] = []
    for item in items:
        text = os.fspath(item)
        path = Path(text)
        if path.is_dir():
            found = sorted((p for p in path.iterdir() if p.is_file()), key=_natural_key)
        elif path.is_file():
            files.append(path)
            continue
        elif _glob.has_magic(text):
            found = sorted((Path(p) for p in _glob.glob(text) if Path(p).is_file()), key=_natural_key)
            if not found:
                raise TranscriptReadError(f"No files match {text!r}. Check the pattern.")
        else:
            raise TranscriptReadError(f"{text}: no such file or directory. Check the path.")
        for p in found:
            (files if p.suffix.lower() in SUPPORTED_SUFFIXES else skipped).append(p)
    if not files:
        raise TranscriptReadError(
            f"No transcript files ({', '.join(SUPPORTED_SUFFIXES)}) found in "
            f"{', '.join(os.fspath(i) for i in items) or 'the given paths'}."
        )
    return files, skipped


def read_corpus(
    paths_or_glob: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    cases: pd.DataFrame | str | os.PathLike[str] | None = None,
    speakers: SpeakerPatterns | Mapping[str, Any] | None = None,
    case_column: str | None = None,
    language: str | None = None,
    encoding: str | Callable[[Path], str | None] | None = None,
    progress: Callable[[int, int, Path], None] | None = None,
) -> Corpus:
    """Read transcripts and match them to cases.

    Parameters
    ----------
    paths_or_glob : str, path-like, or iterable of them
        See :func:`expand_paths`.
    cases : DataFrame, str or path-like, optional
        Cases table (path read with :func:`qualquant.corpus.read_cases`, or a frame indexed
        by or with a column ``case_id``).
    speakers : SpeakerPatterns or dict, optional
        Speaker-label configuration for every transcript.
    case_column : str, optional
        Column of the cases table holding the transcript id (file stem or file
        name) of each case; by default the case id is the transcript id.
    language : str, optional
        Language for every transcript; detected per transcript when omitted.
    encoding : str or callable, optional
        The declared encoding of every text transcript (``"koi8-r"``,
        ``"cp1252"``, ...), or a function ``encoding(path)`` giving it per file
        (None: detect that file's encoding); see
        :func:`qualquant.corpus.read_transcript`. Omitted: detected.
    progress : callable, optional
        Called as ``progress(i, n, path)`` after each file is read (for a
        progress bar; the corpus package itself never prints).

    Returns
    -------
    Corpus
        Transcripts carry ``metadata["case_id"]`` when matched. The
        reconciliation lists transcripts without a case row, case rows without a
        transcript, transcripts read without speaker labels, and skipped files.

    Raises
    ------
    TranscriptReadError
        If a transcript cannot be read, or its declared encoding is wrong for it
        (see :func:`qualquant.corpus.read_transcript`).
    CasesFileError
        If the cases table is malformed or ``case_column`` is missing or repeats
        a transcript id.
    """
    files, skipped = expand_paths(paths_or_glob)
    case_table = coerce_cases(cases)
    have_cases = cases is not None
    transcripts: list[Transcript] = []
    problems: list[dict[str, Any]] = []
    for i, path in enumerate(files, start=1):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", NoSpeakerLabelsWarning)
            declared = encoding(path) if callable(encoding) else encoding
            transcript = read_transcript(path, language=language, speakers=speakers, encoding=declared)
        for w in caught:
            if issubclass(w.category, NoSpeakerLabelsWarning):
                problems.append(_entry("no_speaker_labels", path, None, str(w.message)))
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        transcripts.append(transcript)
        if progress is not None:
            progress(i, len(files), path)
    for path in skipped:
        problems.append(
            _entry(
                "skipped_file",
                path,
                None,
                f"{path.name}: not a transcript format ({', '.join(SUPPORTED_SUFFIXES)}); not read.",
            )
        )
    if have_cases:
        transcripts = _match_cases(transcripts, case_table, case_column, problems)
    reconciliation = pd.DataFrame(problems, columns=list(RECONCILIATION_COLUMNS)).astype(object)
    if not problems:
        reconciliation = _empty_reconciliation()
    return Corpus(tuple(transcripts), case_table, reconciliation)


def _entry(kind: str, file: Path | str | None, case_id: str | None, message: str) -> dict[str, Any]:
    return {"kind": kind, "file": None if file is None else str(file), "case_id": case_id, "message": message}


def _match_cases(
    transcripts: list[Transcript],
    cases: pd.DataFrame,
    case_column: str | None,
    problems: list[dict[str, Any]],
) -> list[Transcript]:
    from qualquant.corpus.errors import CasesFileError

    if case_column is None:
        key_to_case = {case_id: case_id for case_id in cases.index}
    else:
        if case_column not in cases.columns:
            raise CasesFileError(
                f"The cases table has no column {case_column!r} (columns: "
                f"{', '.join(map(str, cases.columns))}). Name the column that holds transcript ids."
            )
        key_to_case = {}
        for case_id, value in cases[case_column].items():
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            key = str(value).strip()
            key = Path(key).stem if Path(key).suffix.lower() in SUPPORTED_SUFFIXES else key
            if key in key_to_case:
                raise CasesFileError(
                    f"Cases {key_to_case[key]!r} and {case_id!r} both name transcript {key!r} in "
                    f"column {case_column!r}; each transcript belongs to one case."
                )
            key_to_case[key] = case_id
    matched: set[str] = set()
    out = []
    for t in transcripts:
        case_id = key_to_case.get(t.id)
        if case_id is None:
            problems.append(
                _entry(
                    "transcript_without_case",
                    t.source_path,
                    None,
                    f"Transcript {t.id} has no row in the cases table; it is kept without case data. "
                    "Add a row for it or fix the id.",
                )
            )
            out.append(t)
            continue
        matched.add(case_id)
        out.append(replace(t, metadata={**t.metadata, "case_id": case_id}))
    for case_id in cases.index:
        if case_id not in matched:
            problems.append(
                _entry(
                    "case_without_transcript",
                    None,
                    case_id,
                    f"Case {case_id} has no transcript; its row stays in the cases table. "
                    "Add the transcript file or check its name.",
                )
            )
    return out
