"""One study configuration: ``study.toml``, validated on load.

A study file names everything a run needs: the transcripts and cases, the
speaker labels and the pseudonymisation list, the codebook, the Label Studio
project (or a shipped export), the consensus rule, the topic-model settings,
the survey, how interviewees are linked to questionnaire answers, the
variables shared by the interview sample and the survey (representativeness),
and the ``[[constructs]]``: the rows of the joint display.

Validation is strict: an unknown key is an error naming the key, the table it
is in and its line in the file, with the keys allowed there (and the closest
match). Relative paths are resolved against the folder of ``study.toml``.

The full list of keys, with comments, is in the file that ``qualquant init``
writes (:data:`STUDY_TEMPLATE`); the demo study's ``study.toml`` is a worked
example.
"""

from __future__ import annotations

import glob
import os
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from qualquant.pipelines.errors import StudyConfigError
from qualquant.pipelines.study._errors import find_key_line, format_error

if TYPE_CHECKING:
    import pandas as pd

    from qualquant.coding.codebook import Codebook
    from qualquant.corpus import Corpus
    from qualquant.pipelines.study._sources import SourceFile
    from qualquant.quant.survey import Survey

__all__ = [
    "CONVERGENCE_LABELS",
    "DIRECTIONS",
    "Construct",
    "Study",
    "StudyConfig",
    "find_key_line",
    "read_study",
]

#: A snapshot written by a pull: ``project<id>_<UTC time stamp>_<digest>.<json|min.json|csv>``.
_SNAPSHOT = re.compile(r"project\d+_(?P<stamp>\d{8}T\d+Z)_[0-9a-f]+\.(json|min\.json|csv)")

#: Convergence labels of the triangulation protocol (O'Cathain, Murphy & Nicholl, 2010).
CONVERGENCE_LABELS = ("agreement", "partial agreement", "silence", "dissonance")
#: Expected directions a construct can state (see :mod:`qualquant.pipelines.integrate`).
DIRECTIONS = ("positive", "negative", "none", "association")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StudySection(_Section):
    """``[study]``: title, design, output folder, seed and significance level."""

    title: str = "Untitled study"
    description: str = ""
    design: Literal["linked", "parallel", "both"] = "both"
    out: str = "out"
    seed: int = 0
    alpha: float = Field(default=0.05, gt=0, lt=1)


class SpeakersSection(_Section):
    """``[corpus.speakers]``: speaker-label patterns (see :class:`qualquant.corpus.SpeakerPatterns`)."""

    labels: list[str] | None = None
    numbered: list[str] | None = None
    names: bool | None = None
    min_name_turns: int | None = None
    patterns: list[str] | None = None
    interviewer: list[str] | None = None
    other: list[str] | None = None
    timestamps: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        """The options that were set, for :meth:`qualquant.corpus.SpeakerPatterns.coerce`."""
        return {k: (tuple(v) if isinstance(v, list) else v) for k, v in self.model_dump().items() if v is not None}


def _text_encoding(value: str) -> str:
    """A study's encoding name, checked against the codecs Python knows (kept as written)."""
    from qualquant.corpus.encoding import canonical_encoding
    from qualquant.corpus.errors import TranscriptReadError

    try:
        canonical_encoding(value)
    except TranscriptReadError:
        raise ValueError(
            f"unknown text encoding {value!r}; use a name such as utf-8, cp1251, koi8-r, cp1252 or latin-1"
        ) from None
    return value


class EncodingRule(_Section):
    """``[[corpus.encodings]]``: the declared encoding of the transcripts one path, folder or glob names."""

    path: str
    encoding: str

    @field_validator("encoding")
    @classmethod
    def _known(cls, value: str) -> str:
        return _text_encoding(value)


class CorpusSection(_Section):
    """``[corpus]``: transcripts, their encodings, cases, language and pseudonymisation.

    ``case_column`` names the cases table's case id column; ``transcript_column``
    the column holding each case's transcript (file stem or name) when that is
    not the case id. ``encoding`` declares the encoding of every text
    transcript ("" = detect), and each ``[[corpus.encodings]]`` entry that of
    the transcripts its path, folder or glob names (the first entry that matches
    a file wins over ``encoding``).
    """

    paths: list[str] = ["transcripts"]
    encoding: str = ""
    encodings: list[EncodingRule] = []
    cases: str = ""
    case_column: str = "case_id"
    transcript_column: str = ""
    language: str = ""
    names: str = ""
    roles: list[Literal["participant", "interviewer", "other"]] = ["participant"]
    speakers: SpeakersSection = SpeakersSection()

    @field_validator("encoding")
    @classmethod
    def _known(cls, value: str) -> str:
        return _text_encoding(value) if value else value

    @field_validator("case_column")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("case_column names the case id column of the cases table; it cannot be empty")
        return value


class CodebookSection(_Section):
    """``[codebook]``: the codebook TOML file."""

    path: str = "codebook.toml"


class LabelStudioSection(_Section):
    """``[labelstudio]``: the live project, or the export files to read instead."""

    url: str = ""
    project: str = ""
    token_env: str = "LABEL_STUDIO_API_KEY"
    unit: Literal["transcript", "segment"] = "transcript"
    export: str = ""
    snapshots: str = "snapshots"


#: The formats of ``[[coding.sources]]``.
SOURCE_FORMATS = ("labelstudio", "refi", "table")


class CodingSource(_Section):
    """``[[coding.sources]]``: one file (or glob) of codings: a Label Studio export, a REFI-QDA project or a table.

    ``path``, ``codes`` and ``transcripts`` are relative to the study folder and
    must stay inside it. ``codes`` and ``transcripts`` are optional mapping files
    (CSV, columns ``from,to``): a code name or id in the source -> the codebook's
    code id; a source (document) name -> the study's transcript id.
    """

    format: str
    path: str
    codes: str = ""
    transcripts: str = ""

    @field_validator("format")
    @classmethod
    def _format(cls, value: str) -> str:
        if value not in SOURCE_FORMATS:
            raise ValueError(f"format {value!r} is not one of {', '.join(SOURCE_FORMATS)}")
        return value

    @field_validator("path", "codes", "transcripts")
    @classmethod
    def _inside(cls, value: str) -> str:
        p = Path(value)
        if p.is_absolute() or value.startswith("~") or ".." in p.parts:
            raise ValueError(
                f"{value!r} is outside the study folder; give a path relative to the folder of study.toml "
                "(copy the file into the study)"
            )
        if not value.strip() and value != "":
            raise ValueError("the path is empty")
        return value


class CodingSection(_Section):
    """``[coding]``: consensus rule, group_by attributes for theme frequencies, codings sources, the coder file."""

    consensus: Literal["majority", "union", "intersection"] = "majority"
    group_by: list[str] = []
    n_boot: int = Field(default=1000, ge=0)
    sources: list[CodingSource] = Field(default=[])
    coders: str = "coders.csv"

    @field_validator("coders")
    @classmethod
    def _coders_inside(cls, value: str) -> str:
        p = Path(value)
        if not value.strip():
            raise ValueError('the coder file is needed: give a file name such as "coders.csv"')
        if p.is_absolute() or value.startswith("~") or ".." in p.parts:
            raise ValueError(f"{value!r} is outside the study folder; give a path relative to the folder of study.toml")
        return value


class TopicsSection(_Section):
    """``[topics]``: topic-model settings (K chosen by coherence within ``k_range``)."""

    enabled: bool = True
    k_range: list[int] = [3, 6]
    seeds: list[int] = [0]
    seed: int = 0
    coherence: Literal["c_v", "u_mass", "c_npmi"] = "c_v"
    unit: Literal["segment", "transcript", "window"] = "segment"
    passes: int = Field(default=10, ge=1)
    iterations: int = Field(default=200, ge=1)
    seeded: bool = False
    effects_by: str = ""

    @field_validator("k_range")
    @classmethod
    def _k_range(cls, value: list[int]) -> list[int]:
        if len(value) != 2 or value[0] < 2 or value[1] < value[0]:
            raise ValueError("k_range must be [min, max] with 2 <= min <= max")
        return value


class ReportedRow(_Section):
    """``[[survey.reported]]``: one published result to check (e.g. a row of a table)."""

    label: str
    variable: str = ""
    test: Literal["chi2"] = "chi2"
    statistic: float
    df: int
    p: str


class SurveySection(_Section):
    """``[survey]``: the survey file and the tables computed from it.

    ``case_column`` is the survey's case id column: it links survey rows to
    interview cases when ``[linkage] questionnaire = "survey"``.
    """

    path: str = ""
    codebook: str = ""
    case_column: str = "case_id"
    weights: str = ""
    outcome: str = ""
    frequencies: list[str] = []
    factors: list[str] = []
    correlations: list[str] = []
    correlation_method: Literal["pearson", "spearman", "kendall"] = "spearman"
    crosstabs: list[list[str]] = []
    reported_text: str = ""
    reported: list[ReportedRow] = []

    @field_validator("crosstabs")
    @classmethod
    def _pairs(cls, value: list[list[str]]) -> list[list[str]]:
        for pair in value:
            if len(pair) != 2:
                raise ValueError("each crosstab is a pair [row, column]")
        return value


class LinkageSection(_Section):
    """``[linkage]``: linked cases (interviewees who also answered a questionnaire).

    ``questionnaire``: "" for the cases table, ``"survey"`` for the survey of
    ``[survey]`` (its ids in ``[survey] case_column``), or a file of the
    interviewees' answers (.csv, .tsv, .xlsx) whose ids are in ``case_column``.
    """

    questionnaire: str = ""
    case_column: str = "case_id"
    attributes: list[str] = []
    exact: bool = True


class RepresentativenessRow(_Section):
    """``[[representativeness]]``: one variable shared by interviewees and survey.

    ``case_column`` (in the cases table) is mapped onto the categories of
    ``survey_variable`` either with ``bins`` + ``labels`` (numeric: left-closed
    intervals ``[b_i, b_i+1)``) or with ``map`` (case value -> survey value
    label); cases whose value maps to nothing are listed as set aside.
    """

    case_column: str
    survey_variable: str
    bins: list[float] = []
    labels: list[str] = []
    map: dict[str, str] = {}

    @model_validator(mode="after")
    def _bins_or_map(self) -> RepresentativenessRow:
        if self.bins and len(self.labels) != len(self.bins) - 1:
            raise ValueError("labels must have one entry fewer than bins")
        if not self.bins and not self.map:
            raise ValueError("give either bins + labels or map")
        return self


class IntegrationSection(_Section):
    """``[integration]``: joint-display rules and the overrides file."""

    min_cases: int = Field(default=2, ge=1)
    min_share: float = Field(default=0.1, ge=0, le=1)
    quotes: int = Field(default=3, ge=0, le=10)
    quote_chars: int = Field(default=200, ge=40)
    overrides: str = "joint_display_overrides.csv"
    n_resamples: int = Field(default=10000, ge=100)


class Construct(_Section):
    """``[[constructs]]``: one row of the joint display.

    Attributes
    ----------
    id : str
        snake_case identifier.
    label : str
        Display name.
    codes : list of str
        Codebook codes that carry the qualitative evidence.
    topics : list of int
        Topic numbers that also carry it (optional).
    survey_variables : list of str
        Survey variables measuring the construct.
    outcome : str
        Survey outcome they relate to (default ``[survey] outcome``).
    expected_direction : str
        What the interviews suggest about the relation of the construct to the
        outcome: ``positive``, ``negative``, ``none`` (no relation) or
        ``association`` (a relation without a direction, e.g. a nominal variable).
    exclude_values : dict of str to list of float
        Survey codes treated as missing in this construct's tests, per
        variable (e.g. a "Difficult to answer" code inside an ordinal scale).
    note : str
        Free text shown in the report.
    """

    id: str
    label: str = ""
    codes: list[str] = []
    topics: list[int] = []
    survey_variables: list[str] = []
    outcome: str = ""
    expected_direction: Literal["positive", "negative", "none", "association"] = "positive"
    exclude_values: dict[str, list[float]] = {}
    note: str = ""

    @field_validator("id")
    @classmethod
    def _snake(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
            raise ValueError("construct id must be snake_case (a-z, 0-9, _)")
        return value


class StudyConfig(_Section):
    """The whole ``study.toml``."""

    study: StudySection = StudySection()
    corpus: CorpusSection = CorpusSection()
    codebook: CodebookSection = CodebookSection()
    labelstudio: LabelStudioSection = LabelStudioSection()
    coding: CodingSection = CodingSection()
    topics: TopicsSection = TopicsSection()
    survey: SurveySection = SurveySection()
    linkage: LinkageSection = LinkageSection()
    integration: IntegrationSection = IntegrationSection()
    representativeness: list[RepresentativenessRow] = []
    constructs: list[Construct] = []

    @model_validator(mode="after")
    def _unique_constructs(self) -> StudyConfig:
        seen: set[str] = set()
        for c in self.constructs:
            if c.id in seen:
                raise ValueError(f"construct id {c.id!r} is used twice")
            seen.add(c.id)
        return self


class Study:
    """A validated study: the config plus where it lives.

    Parameters
    ----------
    config : StudyConfig
    path : pathlib.Path
        The ``study.toml`` file (relative paths in it are relative to its folder).
    out : pathlib.Path, optional
        Output folder; default ``[study] out`` relative to the study folder.

    Examples
    --------
    >>> from qualquant import pipelines
    >>> import pathlib
    >>> demo = read_study(pathlib.Path(pipelines.__file__).parent / "demo_data" / "study.toml")
    >>> demo.config.survey.outcome
    'belonging'
    """

    __slots__ = ("coders_file", "config", "out", "path", "root")

    def __init__(self, config: StudyConfig, path: Path, out: Path | None = None) -> None:
        self.config = config
        self.path = Path(path).resolve()
        self.root = self.path.parent
        self.out = Path(out).resolve() if out is not None else self.resolve(config.study.out)
        self.coders_file: Path | None = None  # set to keep the coder file elsewhere (the bundled demo does)

    def resolve(self, value: str) -> Path:
        """Return ``value`` as a path, relative paths taken from the study folder."""
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else (self.root / p)

    def optional(self, value: str) -> Path | None:
        """Like :meth:`resolve`, but None for an empty setting."""
        return self.resolve(value) if value else None

    def transcript_paths(self) -> list[Path]:
        """Expand ``[corpus] paths`` (files, folders, globs) to sorted files."""
        out: list[Path] = []
        for entry in self.config.corpus.paths:
            p = self.resolve(entry)
            if p.is_dir():
                out.extend(sorted(q for q in p.iterdir() if q.is_file() and not q.name.startswith((".", "~$"))))
            elif any(ch in entry for ch in "*?["):
                out.extend(sorted(Path(q) for q in glob.glob(str(p))))
            else:
                out.append(p)
        return out

    def export_paths(self) -> list[Path]:
        """Expand ``[labelstudio] export`` (a file or glob) to the existing export files, sorted.

        Coder-name files next to an export (``<stem>.users.json``: user id ->
        name, see :meth:`users_path`) are not exports and are left out. When
        the setting matches no file, the newest snapshot pulled from Label
        Studio (:meth:`latest_snapshot`) is the export.
        """
        value = self.config.labelstudio.export
        found: list[Path] = []
        if value:
            p = self.resolve(value)
            if any(ch in value for ch in "*?["):
                found = sorted(Path(q) for q in glob.glob(str(p)))
            else:
                found = [p] if p.exists() else []
        found = [q for q in found if not q.name.endswith(".users.json")]
        if found:
            return found
        latest = self.latest_snapshot()
        return [latest] if latest is not None else []

    def snapshot_dir(self) -> Path:
        """The one folder of Label Studio snapshots: ``[labelstudio] snapshots`` inside the output folder.

        ``qualquant labelstudio pull --study`` writes there, ``qualquant run
        --labelstudio URL`` too, and a run without a server reads the newest
        snapshot there when ``[labelstudio] export`` matches no file. An
        absolute setting is kept as it is.
        """
        return self.out / os.path.expanduser(self.config.labelstudio.snapshots)

    def latest_snapshot(self) -> Path | None:
        """The newest snapshot in :meth:`snapshot_dir` (its export with predictions merged, when there is one)."""
        folder = self.snapshot_dir()
        if not folder.is_dir():
            return None
        raw = [q for q in folder.iterdir() if _SNAPSHOT.fullmatch(q.name)]
        if not raw:
            return None
        newest = max(raw, key=lambda q: (_SNAPSHOT.fullmatch(q.name).group("stamp"), q.name))  # type: ignore[union-attr]
        merged = newest.with_name(newest.name[: -len(".json")] + ".with-predictions.json")
        return merged if newest.suffix == ".json" and merged.is_file() else newest

    def read_corpus(
        self, *, progress: Callable[[int, int, Path], None] | None = None
    ) -> tuple[Corpus, pd.DataFrame | None]:
        """Read the study's transcripts and cases and pseudonymise them as configured.

        Parameters
        ----------
        progress : callable, optional
            Called as ``progress(i, total, path)`` after each transcript is read.

        Returns
        -------
        (corpus.Corpus, pandas.DataFrame or None)
            The (pseudonymised) corpus, and the pseudonym mapping (None when
            ``[corpus] names`` is empty).
        """
        from qualquant import corpus as corpus_pkg

        cfg = self.config.corpus
        cases = self.optional(cfg.cases)
        paths = self.transcript_paths()
        corp = corpus_pkg.read_corpus(
            paths,
            cases=corpus_pkg.read_cases(cases, id_column=cfg.case_column) if cases is not None else None,
            speakers=cfg.speakers.as_dict() or None,
            case_column=cfg.transcript_column or None,
            language=cfg.language or None,
            encoding=self.encoding_of(paths),
            progress=progress,
        )
        if not cfg.names:
            return corp, None
        return corpus_pkg.anonymize(corp, self.resolve(cfg.names))

    def encoding_of(self, paths: list[Path]) -> Callable[[Path], str | None]:
        """The declared encoding of each transcript: ``[[corpus.encodings]]``, else ``[corpus] encoding``.

        Parameters
        ----------
        paths : list of Path
            The study's transcripts (:meth:`transcript_paths`).

        Returns
        -------
        callable
            ``encoding(path)``: the first ``[[corpus.encodings]]`` entry whose
            path is the file, a folder holding it or a glob matching it, else
            ``[corpus] encoding``; None (detect) when neither is set.

        Raises
        ------
        StudyConfigError
            An ``[[corpus.encodings]]`` path names none of the transcripts.
        """
        import fnmatch

        cfg = self.config.corpus
        rules = [(Path(os.path.abspath(self.resolve(r.path))), r) for r in cfg.encodings]

        def matches(path: Path, target: Path, pattern: str) -> bool:
            path = Path(os.path.abspath(path))
            if glob.has_magic(pattern):
                return fnmatch.fnmatchcase(path.as_posix(), target.as_posix())
            return path == target or target in path.parents

        for target, rule in rules:
            if not any(matches(p, target, rule.path) for p in paths):
                raise StudyConfigError(
                    f"[[corpus.encodings]] path {rule.path!r} names none of the transcripts of [corpus] paths; "
                    "give a transcript file, a folder or a glob relative to the study folder."
                )

        def encoding(path: Path) -> str | None:
            for target, rule in rules:
                if matches(path, target, rule.path):
                    return rule.encoding
            return cfg.encoding or None

        return encoding

    def read_questionnaire(self) -> pd.DataFrame | None:
        """Read ``[linkage] questionnaire``: the interviewees' answers, indexed by ``case_id``.

        Returns
        -------
        pandas.DataFrame or None
            None when the questionnaire is the cases table (``[linkage]
            questionnaire`` empty). For ``"survey"``, the survey's data with its
            ids from ``[survey] case_column``; for a file, the file read with
            :func:`qualquant.corpus.read_cases` and ids from ``[linkage] case_column``.

        Raises
        ------
        StudyConfigError
            The survey has no such column (the message names the file, the
            column, the columns it has and the close matches), or repeats an id.
        CasesFileError
            The questionnaire file cannot be read or lacks its id column.
        """
        q = self.config.linkage.questionnaire
        if not q:
            return None
        if q != "survey":
            from qualquant.corpus import read_cases

            return read_cases(self.resolve(q), id_column=self.config.linkage.case_column)
        survey = self.read_survey()
        if survey is None:
            raise StudyConfigError(
                '[linkage] questionnaire = "survey" but [survey] path is empty; name the survey file there.'
            )
        column = self.config.survey.case_column
        frame = survey.data
        self._require_column(frame, column, self.config.survey.path, "[survey] case_column")
        ids = [_id_text(v) for v in frame[column]]
        seen: set[str] = set()
        for i, value in enumerate(ids):
            if value is None:
                raise StudyConfigError(
                    f"{self.config.survey.path} row {i + 1}: empty case id in column {column!r}; fill it in."
                )
            if value in seen:
                raise StudyConfigError(
                    f"{self.config.survey.path}: case id {value!r} appears twice in column {column!r}; "
                    "each interviewee has one row."
                )
            seen.add(value)
        out = frame.drop(columns=[column])
        out.index = _case_index(ids)
        return out

    @staticmethod
    def _require_column(frame: pd.DataFrame, column: str, file: str, setting: str) -> None:
        if column in frame.columns:
            return
        import difflib

        columns = [str(c) for c in frame.columns]
        close = difflib.get_close_matches(column, columns, n=3, cutoff=0.5)
        raise StudyConfigError(
            f"{file}: no column {column!r} (columns: {', '.join(columns)})"
            + (f"; did you mean {' or '.join(map(repr, close))}?" if close else ".")
            + f" Set {setting} to the column holding the case id."
        )

    def read_survey(self) -> Survey | None:
        """Read the study's survey file with its labels (``[survey] path`` and ``codebook``).

        Returns
        -------
        quant.Survey or None
            The survey (data and labels, :func:`qualquant.quant.read_survey`), or
            None when ``[survey] path`` is empty.
        """
        from qualquant.quant.survey import read_survey

        cfg = self.config.survey
        path = self.optional(cfg.path)
        survey = read_survey(path, codebook=self.optional(cfg.codebook)) if path is not None else None
        if survey is not None and cfg.case_column != "case_id":  # named, so the survey must have it
            self._require_column(survey.data, cfg.case_column, cfg.path, "[survey] case_column")
        return survey

    def coding_files(self) -> list[SourceFile]:
        """Every codings file to read: ``[labelstudio] export``, then each ``[[coding.sources]]`` (globs expanded)."""
        from qualquant.pipelines.study._sources import source_files

        return source_files(self)

    def read_codings(
        self,
        corpus: Corpus,
        codebook: Codebook,
        *,
        progress: Callable[[str], None] | None = None,
        shorthand: bool = True,
    ) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
        """Read every codings source against ``corpus`` and ``codebook``.

        ``shorthand=False`` leaves out the ``[labelstudio] export`` files (a live
        pull from the project replaces them; ``[[coding.sources]]`` are still read).

        Returns
        -------
        (list of pandas.DataFrame, list of pandas.DataFrame)
            One codings table per file, and one issues table per file (the
            columns of :data:`qualquant.coding.ISSUES_COLUMNS` plus ``file``, the
            source file relative to the study folder).

        Raises
        ------
        StudyConfigError
            A ``[[coding.sources]]`` path matches no file.
        """
        from qualquant.pipelines.study._sources import read_sources

        return read_sources(self, corpus=corpus, codebook=codebook, progress=progress, shorthand=shorthand)

    def coders_path(self) -> Path:
        """The study's coder file (``[coding] coders``): each source's name for a coder -> the pseudonymous label."""
        return self.coders_file if self.coders_file is not None else self.resolve(self.config.coding.coders)

    @staticmethod
    def users_path(export: Path) -> Path:
        """The coder-name file of an export: ``demo_export.json`` -> ``demo_export.users.json``."""
        from qualquant.coding.labelstudio._export import users_path

        return users_path(export)

    def __repr__(self) -> str:
        return f"Study({self.config.study.title!r}, path={str(self.path)!r})"


def _id_text(value: object) -> str | None:
    """A case id as text (``101.0`` -> ``"101"``); None for an empty cell."""
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None


def _case_index(ids: list[str | None]) -> pd.Index:
    """An index of case ids named ``case_id``."""
    import pandas as pd

    return pd.Index(ids, name="case_id", dtype=object)


def read_study(path: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None) -> Study:
    """Read and validate a ``study.toml``.

    Parameters
    ----------
    path : str or path-like
        The study file.
    out : str or path-like, optional
        Output folder overriding ``[study] out``.

    Returns
    -------
    Study

    Raises
    ------
    StudyConfigError
        The file is missing, is not valid TOML (with the parser's line and
        column), or breaks the schema: every problem is listed, each with the
        line, the key and what is allowed (unknown keys name the closest
        allowed key).
    """
    p = Path(path)
    source = p.name
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise StudyConfigError(f"Study file {str(p)!r} not found. Create one with `qualquant init DIR`.") from None
    except OSError as exc:
        raise StudyConfigError(f"Cannot read study file {str(p)!r}: {exc.strerror}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StudyConfigError(f"{source} is not UTF-8 (byte {exc.start}); save it as UTF-8.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StudyConfigError(f"{source} is not valid TOML: {exc}.") from None
    try:
        config = StudyConfig.model_validate(data)
    except ValidationError as exc:
        problems = [format_error(e, text, source, StudyConfig) for e in exc.errors()]
        raise StudyConfigError(
            " ".join(problems)
            if len(problems) == 1
            else f"{len(problems)} problems in {source}: " + " | ".join(problems)
        ) from None
    return Study(config, p, out=Path(out) if out is not None else None)


STUDY_TEMPLATE = """# study.toml: one qualquant study. Paths are relative to this file's folder.
# Check it with `qualquant run --check`, run it with `qualquant run` (in this folder);
# unknown keys are errors. Every key below is shown with its default unless its
# comment says otherwise; a key left out takes its default. `qualquant init` fills in
# four values for a new study: the title, cases, names and the Label Studio export.

[study]
title = "{title}"              # shown on the report and the workbook (default "Untitled study")
description = ""               # a paragraph for the report's first page (default "")
# "linked" (interviewees also answered a questionnaire), "parallel" (different
# people, linked through constructs) or "both" (default "both").
design = "both"
out = "out"                    # everything the run writes goes here (default "out")
seed = 0                       # every random step (bootstrap, Monte Carlo, topics) uses it (default 0)
alpha = 0.05                   # significance level of tests and intervals, between 0 and 1 (default 0.05)

[corpus]
paths = ["transcripts"]        # files, folders or globs (.txt, .docx, .vtt, .srt) (default ["transcripts"])
encoding = ""                  # encoding of every text transcript: "cp1251", "koi8-r", "cp1252",
                               # "latin-1", ...; "" (default) = detect UTF-8, UTF-16 with a byte-order
                               # mark and Windows-1251. A wrong one is an error naming the file and line.
cases = "cases.csv"            # one row per case; "" (default) = no cases table
case_column = "case_id"        # the cases table's case id column (default case_id)
transcript_column = ""         # the cases table's column naming each case's transcript file;
                               # "" (default) = the case id is the transcript file stem
language = ""                  # "ru", "en", "kk", ... or "" (default) to detect per transcript
names = "names.txt"            # people to pseudonymise (one per line: canonical, variants) and
                               # "[ADDRESS] ..." / "[OTHER] ..." lines for literal identifiers; "" (default) = none
roles = ["participant"]        # whose turns are coded, counted and modelled: participant, interviewer,
                               # other (default ["participant"])

# Some transcripts in another encoding than `encoding` above: one table per
# file, folder or glob (the first that matches a file wins). Default: none.
# [[corpus.encodings]]
# path = "transcripts/old/*.txt"   # a file, folder or glob of transcripts (required)
# encoding = "koi8-r"              # their encoding (required)

# How speaker labels ("Интервьюер:", "Respondent 2:", "Анна:") are recognised. Every key
# is optional; a key left out keeps the built-in list or setting (the default).
[corpus.speakers]
# labels = ["Респондент", "Respondent"]   # literal labels, matched case-insensitively (default: built-in list)
# numbered = ["P", "Респондент"]          # label stems followed by a number: P1, Респондент 2 (default: built-in)
# names = true                  # also take a capitalised name followed by ": " as a label (default true)
# min_name_turns = 2            # a name counts only when it starts this many turns (default 2)
# patterns = []                 # extra regular expressions for labels (default none)
# interviewer = ["Интервьюер", "И", "Interviewer", "I"]  # labels meaning the interviewer (default: built-in list)
# other = []                    # labels with role "other", e.g. an interpreter (default: built-in list)
# timestamps = true             # recognise timestamps around the label (default true)

[codebook]
path = "codebook.toml"         # the codebook file (default "codebook.toml")

[labelstudio]
url = ""                       # a live server, e.g. "http://127.0.0.1:8080"; "" (default) = read `export`
project = ""                   # the project's title or id on that server (default "")
token_env = "LABEL_STUDIO_API_KEY"   # the NAME of the environment variable holding the API token
                                     # (default LABEL_STUDIO_API_KEY); the token itself is never written here
unit = "transcript"            # one task per "transcript" or per "segment" (speaker turn) (default "transcript")
export = "labelstudio/*.json"  # Label Studio export(s) to read when no url is given; "" (default) = the
                               # newest pull in the snapshots folder
snapshots = "snapshots"        # where `labelstudio pull` and a run with a url keep each pulled export,
                               # inside the out folder (default "snapshots")

[coding]
consensus = "majority"         # majority | union | intersection (segment x code level) (default "majority")
group_by = []                  # case attributes for theme frequencies by group (default [])
n_boot = 1000                  # bootstrap resamples for agreement confidence intervals; 0 = none (default 1000)
coders = "coders.csv"          # each source's name for a coder -> the pseudonymous label used in every
                               # table and the report; a file in the study folder (default "coders.csv").
                               # `qualquant run` creates it and adds new coders as coder_1, coder_2, ...;
                               # edit the labels (kept), or give one person's two names the same label.
# Codings from more sources: one [[coding.sources]] table per file or glob, inside the study
# folder ([labelstudio] export is the shorthand for one Label Studio source; sources combine).
# Default: none.
# [[coding.sources]]
# format = "table"             # labelstudio | refi (.qdpx from NVivo, ATLAS.ti, MAXQDA) | table (.csv/.xlsx) (required)
# path = "codings/*.csv"       # table columns: coder, transcript_id, code, start, end (text optional),
#                              # or coder, segment_id, code (required)
# codes = ""                   # optional CSV (from,to): code name or id in the source -> codebook id (default "")
# transcripts = ""             # optional CSV (from,to): source name -> transcript id (default "")

[topics]
enabled = true                 # fit topic models; false skips the topics stage (default true)
k_range = [3, 6]               # K chosen by coherence within this range [min, max] (default [3, 6])
seeds = [0]                    # random seeds tried for each K when choosing it (default [0])
seed = 0                       # the seed of the final model (default 0)
coherence = "c_v"              # c_v | u_mass | c_npmi: the coherence measure that chooses K (default "c_v")
unit = "segment"               # what one document is: segment (speaker turn) | transcript | window (default "segment")
passes = 10                    # passes over the corpus when fitting (default 10)
iterations = 200               # iterations per pass (default 200)
seeded = false                 # guide the topics with the codebook's seed words (default false)
effects_by = ""                # case attribute for topic prevalence effects; "" (default) = none

[survey]
path = ""                      # .sav/.zsav/.por/.dta/.csv/.xlsx; "" = no survey (default "")
codebook = ""                  # variable and value labels for a .csv/.xlsx survey; "" (default) = none
case_column = "case_id"        # the survey's case id column (default case_id); used when
                               # [linkage] questionnaire = "survey"
weights = ""                   # weight variable; "" (default) = unweighted
# The outcome variable the constructs and factors relate to; "" (default) = none.
outcome = ""
frequencies = []               # Table 1 variables (default [])
factors = []                   # Table 2: chi-square of each factor x outcome (default [])
correlations = []              # Table 3: correlation matrix (default [])
correlation_method = "spearman"  # pearson | spearman | kendall (default "spearman")
crosstabs = []                 # pairs [row, column] (default [])
reported_text = ""             # a paragraph of published results whose statistics are checked (default "")
# Published results to check, one table each (default: none):
# [[survey.reported]]
# label = "Gender"             # the row's name in the check table (required)
# variable = "gender"          # the survey variable, to recompute it (default "")
# test = "chi2"                # the test reported: chi2 (default "chi2")
# statistic = 22.14            # the statistic as published (required)
# df = 4                       # its degrees of freedom (required)
# p = "<0.001"                 # its p value as published, e.g. "0.03" or "<0.001" (required)

[linkage]
questionnaire = ""             # "" (default) = the cases table; "survey" = the [survey] file;
                               # or a file (.csv/.tsv/.xlsx) with the interviewees' answers
case_column = "case_id"        # that file's case id column (default case_id)
attributes = []                # case attributes crossed with every code (default [])
exact = true                   # Fisher exact tests for the linked cases' code x attribute tables;
                               # false = Pearson chi-square (default true)

[integration]
min_cases = 2                  # qualitative evidence needs at least this many cases ... (default 2)
min_share = 0.1                # ... and this share of all cases (default 0.1)
quotes = 3                     # quotes shown per construct in the joint display, 0-10 (default 3)
quote_chars = 200              # longest quote, in characters (default 200)
overrides = "joint_display_overrides.csv"   # in the out folder; kept across reruns (default as shown)
n_resamples = 10000            # resamples of the permutation and Monte Carlo tests (default 10000)

# Variables shared by the interviewees and the survey, to compare the two samples
# (default: none). A numeric case attribute is cut into the survey's categories with
# bins + labels, any other mapped with map.
# [[representativeness]]
# case_column = "age"                 # the cases table's column (required)
# survey_variable = "age_group"       # the survey variable with the categories (required)
# bins = [18, 30, 45, 120]            # left-closed intervals [18, 30), [30, 45), ... (default [])
# labels = ["18-29", "30-44", "45+"]  # one label per interval: the survey's value labels (default [])
# map = {{}}                          # instead of bins: case value -> survey value label (default {{}})

# One [[constructs]] table per row of the joint display (default: none):
# [[constructs]]
# id = "local_ties"                    # snake_case identifier (required)
# label = "Local ties and belonging"   # display name (default "": the id is shown)
# codes = ["bridging"]                 # codebook codes carrying the qualitative evidence (default [])
# topics = []                          # topic numbers that also carry it (default [])
# survey_variables = ["close_local_friends"]   # survey variables measuring it (default [])
# outcome = "belonging"                # the survey outcome it relates to (default: [survey] outcome)
# expected_direction = "positive"      # positive | negative | none | association (default "positive")
# exclude_values = {{}}                # survey codes treated as missing, per variable (default {{}})
# note = ""                            # free text shown in the report (default "")
"""
