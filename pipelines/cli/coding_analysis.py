"""``qualquant coding agreement|frequencies|cooccurrence``: analysis of validated codings.

:func:`register` adds the three commands to the ``coding`` sub-application
(:data:`qualquant.pipelines.cli.coding.coding_app`). Each command reads

- CODINGS: a Label Studio export (full JSON, JSON_MIN or CSV; it is validated
  with :func:`qualquant.coding.labelstudio.read_export` against the corpus and codebook)
  or a codings table written by ``qualquant coding import --out``
  (``.csv``, ``.xlsx`` or ``.parquet``; Parquet keeps every value exactly);
- the corpus (``--corpus``, repeatable, globs allowed; ``--cases`` for the
  cases table) and optionally the codebook (``--codebook``).

Tables are shown rounded; files written with ``--out`` keep full precision.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import typer
from rich.table import Table

from qualquant.pipelines.cli._common import console
from qualquant.pipelines.cli._inputs import (
    ANONYMIZE_OPTION,
    STUDY_OPTION,
    USERS_OPTION,
    CodingsRead,
    export_argument,
    label_coders,
    read_codings,
    resolve_inputs,
    study_codings,
    users_for,
)
from qualquant.pipelines.errors import PipelineError

if TYPE_CHECKING:
    from qualquant.coding.codebook import Codebook
    from qualquant.corpus import Corpus

__all__ = ["read_codings_input", "register"]

_CODINGS_ARG = typer.Argument(
    None, help="Label Studio export (.json/.csv) or codings table (.csv/.xlsx/.parquet); default: the --study's export."
)


def read_codings_input(
    path: Path, corpus: Corpus | None, codebook: Codebook | None, users: dict[int, str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Read CODINGS for the analysis commands (see :func:`qualquant.pipelines.cli._inputs.read_codings`).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame or None)
        The codings table and, for an export, its ``annotations`` table (which
        coder coded which transcript; used for missing-versus-absent in agreement).
    """
    read = read_codings(path, corpus, codebook, users)
    _say_set_aside(read.issues, "the export")
    return read.codings, read.annotations


def _say_set_aside(issues: pd.DataFrame | None, what: str) -> None:
    if issues is not None and len(issues):
        set_aside = issues[issues["action"] == "set_aside"] if "action" in issues else issues
        if len(set_aside):
            console.print(
                f"[yellow]{len(set_aside)} record(s) of {what} were set aside; `qualquant run` lists them "
                "in coding_issues.csv (for one export: `qualquant coding import` with --issues-out).[/yellow]"
            )


def _inputs(
    codings_path: Path | None,
    corpus_paths: list[str] | None,
    cases: Path | None,
    codebook: Path | None,
    anonymize: Path | None = None,
    study: Path | None = None,
    users: Path | None = None,
) -> tuple[Corpus, Codebook | None, pd.DataFrame, pd.DataFrame | None]:
    inputs = resolve_inputs(study=study, corpus_paths=corpus_paths, cases=cases, anonymize=anonymize, codebook=codebook)
    if inputs.corpus is None:
        raise PipelineError(
            "Give the transcripts the codings refer to with --corpus PATH (repeatable; globs ok) or a --study file."
        )
    combined = study_codings(codings_path, inputs)
    if combined is not None:
        _say_set_aside(combined.issues, "the study's codings sources")
        labelled = label_coders(combined, inputs.study)
        return inputs.corpus, inputs.codebook, labelled.codings, None
    path = export_argument(codings_path, inputs)
    codings, annotations = read_codings_input(path, inputs.corpus, inputs.codebook, users_for(path, users))
    labelled = label_coders(CodingsRead(codings, annotations, None), inputs.study)
    return inputs.corpus, inputs.codebook, labelled.codings, labelled.annotations


_HEADERS = {
    "n_units": "units",
    "n_applied": "applied",
    "percent_agreement": "% agree",
    "cohen_kappa": "Cohen κ",
    "fleiss_kappa": "Fleiss κ",
    "krippendorff_alpha": "alpha",
    "ci_low": "alpha low",
    "ci_high": "alpha high",
    "n_cases": "cases",
    "n_cases_total": "of",
    "pct_cases": "% cases",
    "n_segments": "segments",
    "n_spans": "spans",
    "n_both": "both",
    "n_a": "a",
    "n_b": "b",
    "odds_ratio": "OR",
    "p_value": "p",
    "n_overlapping_spans": "overlapping",
}


def _show(frame: pd.DataFrame, title: str, columns: list[str], digits: int = 3) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(_HEADERS.get(column, column), justify="left" if frame[column].dtype == object else "right")
    for _, row in frame[columns].iterrows():
        cells = []
        for value in row:
            if isinstance(value, float):
                cells.append("" if pd.isna(value) else f"{value:.{digits}f}")
            else:
                cells.append("" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value))
        table.add_row(*cells)
    console.print(table)


def _write(frame: pd.DataFrame, path: Path | None, what: str, *, index: bool = False) -> None:
    if path is None:
        return
    from qualquant.io import write_table

    write_table(frame, path, index=index)
    console.print(f"{what}: {len(frame)} rows -> {path}")


_CORPUS = typer.Option(None, "--corpus", help="Transcripts the codings refer to (repeatable; globs ok).")
_CASES = typer.Option(None, "--cases", help="Cases table (.csv/.tsv/.xlsx).")
_CODEBOOK = typer.Option(None, "--codebook", help="Codebook TOML (code order, facets, codes never applied).")
_ROLES = typer.Option(["participant"], "--role", help="Segment roles analysed (repeatable; default participant).")
_CODES = typer.Option(
    None,
    "--code",
    help="Only this code (repeatable; default: every code). Checked against the "
    "codebook, else against the codes in the codings: an unknown id is an error.",
)


def _selected_codes(codes: list[str] | None, codebook: Codebook | None, table: pd.DataFrame) -> list[str] | None:
    """The ``--code`` ids, each checked against the codebook (or, without one, the codes in the codings)."""
    if not codes:
        return None
    from qualquant.coding.codebook import check_code_ids

    known = codebook if codebook is not None else table["code"].dropna().astype(str)
    check_code_ids(codes, known, where="--code")
    return list(dict.fromkeys(codes))


def register(coding_app: typer.Typer) -> None:
    """Add ``agreement``, ``frequencies`` and ``cooccurrence`` to the ``coding`` sub-application."""

    @coding_app.command("agreement")
    def coding_agreement(
        codings: Path | None = _CODINGS_ARG,
        corpus_paths: list[str] | None = _CORPUS,
        cases: Path | None = _CASES,
        codebook: Path | None = _CODEBOOK,
        anonymize: Path | None = ANONYMIZE_OPTION,
        study: Path | None = STUDY_OPTION,
        users: Path | None = USERS_OPTION,
        roles: list[str] = _ROLES,
        codes: list[str] | None = _CODES,
        coders: list[str] | None = typer.Option(
            None,
            "--coder",
            help="Coders to compare (repeatable; default: every human coder). A model is named by its model_version.",
        ),
        include_predictions: bool = typer.Option(
            False,
            "--include-predictions",
            help="Also compare every Label Studio prediction (one coder per "
            "model_version) as one more coder; default: human coders only.",
        ),
        level: str = typer.Option(
            "segment",
            "--level",
            help="segment (code present/absent per segment) or span (characters, as NVivo's coding comparison).",
        ),
        n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap replicates for the confidence intervals."),
        seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
        ci_level: float = typer.Option(0.95, "--ci-level", help="Confidence level."),
        out: Path | None = typer.Option(None, "--out", help="Write the agreement table (.csv/.xlsx/.parquet/.md)."),
        disagreements_out: Path | None = typer.Option(
            None, "--disagreements-out", help="Write the disagreement list for adjudication."
        ),
        span_out: Path | None = typer.Option(
            None, "--span-out", help="Write character-level agreement per coder pair, transcript and code."
        ),
    ) -> None:
        """Intercoder agreement per code and overall: percent, kappa, Krippendorff's alpha with bootstrap CIs."""
        from qualquant.coding.agreement import agreement_table, disagreements, span_agreement

        corpus, cb, table, annotations = _inputs(codings, corpus_paths, cases, codebook, anonymize, study, users)
        kwargs: dict[str, Any] = dict(
            coders=coders or None,
            roles=roles or None,
            codebook=cb,
            annotations=annotations,
            include_predictions=include_predictions,
            codes=_selected_codes(codes, cb, table),
        )
        result = agreement_table(table, corpus, level=level, n_boot=n_boot, seed=seed, ci_level=ci_level, **kwargs)
        kappa = "cohen_kappa" if int(result["n_coders"].iloc[0]) == 2 else "fleiss_kappa"
        _show(
            result,
            f"Agreement ({level} level; coders: {result['coders'].iloc[0]})",
            ["code", "n_units", "n_applied", "percent_agreement", kappa, "krippendorff_alpha", "ci_low", "ci_high"],
        )
        for code, note in zip(result["code"], result["note"]):
            if note:
                console.print(f"[yellow]Note ({code}): {note}[/yellow]", markup=True, highlight=False)
        _write(result, out, "Agreement")
        if disagreements_out:
            _write(disagreements(table, corpus, **kwargs), disagreements_out, "Disagreements")
        if span_out:
            _write(span_agreement(table, corpus, **kwargs), span_out, "Span agreement")

    @coding_app.command("frequencies")
    def coding_frequencies(
        codings: Path | None = _CODINGS_ARG,
        corpus_paths: list[str] | None = _CORPUS,
        cases: Path | None = _CASES,
        codebook: Path | None = _CODEBOOK,
        anonymize: Path | None = ANONYMIZE_OPTION,
        study: Path | None = STUDY_OPTION,
        users: Path | None = USERS_OPTION,
        roles: list[str] = _ROLES,
        codes: list[str] | None = _CODES,
        by: str | None = typer.Option(
            None,
            "--by",
            help="Case attribute to break the table down by (a column of the cases table, e.g. legal_status).",
        ),
        coder: str | None = typer.Option(
            None, "--coder", help="A coder name or 'consensus' (needed when the codings hold several coders)."
        ),
        rule: str = typer.Option("majority", "--rule", help="Consensus rule: majority, union or intersection."),
        out: Path | None = typer.Option(None, "--out", help="Write the theme-frequency table (.csv/.xlsx/.md)."),
        matrix_out: Path | None = typer.Option(None, "--matrix-out", help="Also write the case x code matrix."),
        value: str = typer.Option("presence", "--value", help="Matrix cells: presence, count or coverage."),
    ) -> None:
        """Theme frequencies: cases, segments, spans and word coverage per code (optionally by a case attribute)."""
        from qualquant.coding.matrices import case_code_matrix, theme_frequencies

        corpus, cb, table, _ = _inputs(codings, corpus_paths, cases, codebook, anonymize, study, users)
        selected = _selected_codes(codes, cb, table)
        result = theme_frequencies(table, corpus, cb, by=by, coder=coder, roles=roles or None, rule=rule)
        if selected is not None:
            result = result[result["code"].isin(selected)].reset_index(drop=True)
        columns = ([by] if by else []) + [
            "code",
            "n_cases",
            "n_cases_total",
            "pct_cases",
            "n_segments",
            "n_spans",
            "coverage",
        ]
        _show(result, "Theme frequencies" + (f" by {by}" if by else ""), columns, digits=2)
        _write(result, out, "Theme frequencies")
        if matrix_out:
            matrix = case_code_matrix(
                table, corpus, coder=coder, value=value, roles=roles or None, codebook=cb, codes=selected, rule=rule
            )
            _write(matrix.reset_index(), matrix_out, f"Case x code matrix ({value})")

    @coding_app.command("cooccurrence")
    def coding_cooccurrence(
        codings: Path | None = _CODINGS_ARG,
        corpus_paths: list[str] | None = _CORPUS,
        cases: Path | None = _CASES,
        codebook: Path | None = _CODEBOOK,
        anonymize: Path | None = ANONYMIZE_OPTION,
        study: Path | None = STUDY_OPTION,
        users: Path | None = USERS_OPTION,
        roles: list[str] = _ROLES,
        codes: list[str] | None = _CODES,
        coder: str | None = typer.Option(None, "--coder", help="A coder name or 'consensus'."),
        rule: str = typer.Option("majority", "--rule", help="Consensus rule: majority, union or intersection."),
        out: Path | None = typer.Option(None, "--out", help="Write the co-occurrence table (.csv/.xlsx/.md)."),
        top: int = typer.Option(15, "--top", help="Pairs shown on screen (by n_both); the file has all pairs."),
    ) -> None:
        """Code co-occurrence per pair: shared segments, Jaccard, Fisher's exact test, overlapping spans."""
        from qualquant.coding.cooccurrence import cooccurrence

        corpus, cb, table, _ = _inputs(codings, corpus_paths, cases, codebook, anonymize, study, users)
        result = cooccurrence(
            table,
            corpus,
            coder=coder,
            roles=roles or None,
            codebook=cb,
            codes=_selected_codes(codes, cb, table),
            rule=rule,
        )
        shown = result.sort_values(["n_both", "jaccard"], ascending=False, kind="mergesort").head(top)
        _show(
            shown,
            f"Code co-occurrence (top {min(top, len(result))} of {len(result)} pairs)",
            ["code_a", "code_b", "n_both", "n_a", "n_b", "jaccard", "odds_ratio", "p_value", "n_overlapping_spans"],
        )
        _write(result, out, "Co-occurrence")
