"""The stage registry: :data:`STAGES`, the stages of ``qualquant run`` and ``qualquant demo``, in order.

======================  ======================================================  =====================================
stage                   what it does                                            files (under ``out/``)
======================  ======================================================  =====================================
``corpus``              ingest, pseudonymise, segment table, corpus summary      segments.csv, corpus_summary.md,
                                                                                reconciliation.csv,
                                                                                private/pseudonym_key.csv
``codings``             Label Studio export (or live pull), codebook, consensus,  codings.csv, coding_issues.csv,
                        codings outside the analysed roles (in the issues),     consensus_codings.csv, codebook.md
                        coder labels (new people added to the study's coders)
``agreement``           inter-coder agreement, disagreements                     agreement.csv, disagreements.csv
``frequencies``         theme frequencies (overall, by group), co-occurrence     theme_frequencies.csv,
                                                                                theme_frequencies_by_<attr>.csv,
                                                                                cooccurrence.csv
``topics``              LDA topics, K by coherence, alignment with codes,        topics.csv, topic_selection.csv,
                        prevalence effects (a transcript without a case row is   topic_code_alignment.csv,
                        left out and listed)                                     topic_effects.csv,
                                                                                topic_effects_set_aside.csv
``survey``              Table 1-3 of the seed layout, crosstabs, checks of       survey_table1.csv, survey_table2.csv,
                        reported statistics                                      survey_table3.csv, crosstab_*.csv,
                                                                                quant_check.csv
``integration``         linked cases, joint display, representativeness          linked_cases.csv, linked_tests.csv,
                                                                                linked_cases_set_aside.csv,
                                                                                quantitized_codes.sav/.csv,
                                                                                joint_display.csv, representativeness.csv
``exports``             one workbook and one Markdown file with every table,     tables.xlsx, tables.md, warnings.csv,
                        cases, transcripts and survey rows at each stage         reconciliation_counts.csv
``report``              the self-contained HTML report                           report.html
======================  ======================================================  =====================================
"""  # noqa: E501 - the table of stages and their files

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pandas as pd

from qualquant.pipelines.errors import PipelineError
from qualquant.pipelines.stages._base import Context, Stage, StageUnavailable
from qualquant.pipelines.stages._output import stage_exports, stage_report
from qualquant.pipelines.study import Study

if TYPE_CHECKING:
    from qualquant.coding.codebook import Codebook
    from qualquant.corpus import Corpus
    from qualquant.quant.crosstab import CrosstabResult
    from qualquant.quant.survey import Survey

__all__ = ["STAGES", "load_corpus", "require"]


def require(module: str, what: str) -> ModuleType:
    """Import ``module``; if that very module is not installed, make the stage unavailable (one warning)."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            raise StageUnavailable(
                f"{what} skipped: the module {module} is not available in this installation."
            ) from None
        raise


# --------------------------------------------------------------------------- shared objects


def _publish(ctx: Context, *tables: tuple[str, pd.DataFrame, str]) -> None:
    """Store each ``(name, table, file name)`` for later stages and write it under ``out/``."""
    for name, df, filename in tables:
        ctx.put(name, df)
        ctx.write(df, filename)


def load_corpus(ctx: Context) -> tuple[Corpus, pd.DataFrame | None]:
    """The (pseudonymised) corpus of the study, built once per run."""

    def build() -> tuple[Corpus, pd.DataFrame | None]:
        n = len(ctx.study.transcript_paths())
        if ctx.study.config.corpus.names:
            ctx.progress("reading and pseudonymising")
        return ctx.study.read_corpus(progress=lambda i, total, p: ctx.progress(f"read {p.name} ({i}/{n})"))

    return ctx.obj("corpus", build)


def load_codebook(ctx: Context) -> Codebook:
    from qualquant.coding import read_codebook

    return ctx.obj("codebook", lambda: read_codebook(ctx.study.resolve(ctx.study.config.codebook.path)))


def load_survey(ctx: Context) -> Survey | None:
    """The study's survey (:meth:`qualquant.pipelines.study.Study.read_survey`), read once per run."""
    return ctx.obj("survey", ctx.study.read_survey)


def codings_tables(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(human codings, consensus codings) from this run or the cache; empty frames if none."""
    from qualquant.coding import CODINGS_COLUMNS

    empty = pd.DataFrame(columns=list(CODINGS_COLUMNS))
    return ctx.table("codings/codings", empty), ctx.table("codings/consensus", empty)


# --------------------------------------------------------------------------- corpus


def _corpus_inputs(study: Study) -> list[Path]:
    cfg = study.config.corpus
    files = study.transcript_paths()
    for extra in (cfg.cases, cfg.names):
        if extra:
            files.append(study.resolve(extra))
    return files


def stage_corpus(ctx: Context) -> None:
    from qualquant.corpus.anonymize import write_mapping
    from qualquant.io import to_markdown

    corp, mapping = load_corpus(ctx)
    segments = corp.segments_frame()
    ctx.put("segments", segments)
    cases = corp.cases.reset_index() if corp.cases.index.name == "case_id" else corp.cases.copy()
    ctx.put("cases", cases)
    transcripts = corp.transcripts_frame()
    transcripts["source_path"] = [_study_name(v, ctx.study.root) for v in transcripts["source_path"]]
    ctx.put("transcripts", transcripts)
    recon = corp.reconciliation.copy()
    recon["file"] = [_study_name(v, ctx.study.root) for v in recon["file"]]
    ctx.put("reconciliation", recon)
    summary = corp.summary_frame()
    ctx.put("summary", summary)
    ctx.put("counts", _corpus_counts(transcripts, cases, have_cases=bool(ctx.study.config.corpus.cases)))
    ctx.write(segments, "segments.csv")
    ctx.write(recon, "reconciliation.csv")
    lines = [
        f"# Corpus summary: {ctx.study.config.study.title}\n",
        to_markdown(summary),
        "\n## Transcripts\n\n",
        to_markdown(transcripts),
    ]
    if not recon.empty:
        lines += ["\n## Reconciliation\n\n", to_markdown(recon)]
    ctx.write_text("".join(lines), "corpus_summary.md")
    if mapping is not None:
        write_mapping(mapping, ctx.path("private/pseudonym_key.csv"))
        ctx.warn(
            "private/pseudonym_key.csv links every pseudonym to the real name or identifier: it is PRIVATE; "
            "keep it out of shared folders and version control."
        )
    for _, r in recon.iterrows():
        where = " ".join(t for t in (_cell_text(r.get("file")), _cell_text(r.get("case_id"))) if t)
        ctx.warn(f"corpus reconciliation: {r['kind']}{' ' + where if where else ''}: {r['message']}")


def _corpus_counts(transcripts: pd.DataFrame, cases: pd.DataFrame, *, have_cases: bool) -> pd.DataFrame:
    """The corpus stage's rows of reconciliation_counts.csv: records read and linked."""
    from qualquant.pipelines.reconciliation import counts_frame, listing

    case_ids = [str(c) for c in cases["case_id"]] if "case_id" in cases.columns else []
    linked = transcripts[transcripts["case_id"].notna()] if have_cases else transcripts.iloc[0:0]
    rows = [
        dict(
            step="read",
            cases=len(case_ids),
            transcripts=len(transcripts),
            note="" if have_cases else "no cases table ([corpus] cases is empty)",
        )
    ]
    if have_cases:
        with_transcript = set(map(str, linked["case_id"]))
        unlinked = [str(t) for t, c in zip(transcripts["transcript_id"], transcripts["case_id"]) if c is None or c != c]
        no_transcript = [c for c in case_ids if c not in with_transcript]
        note = "; ".join(
            n
            for n in (
                listing(unlinked, "transcript(s) without a case row (kept, without case data)"),
                listing(no_transcript, "case row(s) without a transcript"),
            )
            if n
        )
        rows.append(
            dict(step="transcript linked to a case row", cases=len(with_transcript), transcripts=len(linked), note=note)
        )
    return counts_frame(rows)


def _study_name(value: object, root: Path) -> object:
    """A file path as written in the outputs: relative to the study folder when inside it (so outputs and
    stage keys do not change when the study moves), else the path as given; a missing value stays missing."""
    text = _cell_text(value)
    if not text:
        return value
    try:
        return Path(os.path.abspath(text)).relative_to(Path(os.path.abspath(root))).as_posix()
    except ValueError:
        return text


def _cell_text(value: object) -> str:
    """A table cell as text, with a missing value (None, NaN, NA) as the empty string."""
    return "" if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) else str(value)


# --------------------------------------------------------------------------- codings


def _codings_inputs(study: Study) -> list[Path]:
    """Every codings file (each source's), the Label Studio coder-name files, the mapping files, the codebook and
    the coder file (``[coding] coders``)."""
    files: list[Path] = [study.coders_path()]
    for src in study.coding_files():
        files.append(src.path)
        if src.format == "labelstudio":
            files.append(study.users_path(src.path))
        files.extend(p for p in (src.codes, src.transcripts) if p is not None)
    return files + [study.resolve(study.config.codebook.path)]


def stage_codings(ctx: Context) -> None:
    from qualquant.coding import consensus

    corp, _ = load_corpus(ctx)
    codebook = load_codebook(ctx)
    ctx.write_text(codebook.to_markdown(), "codebook.md")
    ctx.put("codebook", codebook.to_frame())
    cfg = ctx.study.config.labelstudio
    url = ctx.options.get("labelstudio_url") or ""
    frames, issues = [], []
    if url:
        from qualquant.coding.labelstudio import LabelStudioClient

        if not cfg.project:
            from qualquant.pipelines.errors import StudyConfigError

            raise StudyConfigError("A live pull needs [labelstudio] project (the project title or id).")
        client = LabelStudioClient(url, token_env=cfg.token_env)
        ctx.progress(f"pulling from {url}")
        snapshot_dir = ctx.out / cfg.snapshots  # relative to out/ (an absolute setting is kept as it is)
        pulled = client.pull(cfg.project, snapshot_dir=snapshot_dir, codebook=codebook, corpus=corp)
        out_dir = ctx.out.resolve()
        for written in (pulled.snapshot, pulled.merged):  # the immutable snapshots are outputs of the stage
            if written is not None and written.resolve().is_relative_to(out_dir):
                ctx.path(written.resolve().relative_to(out_dir).as_posix())
        frames.append(pulled.codings)
        issues.append(pulled.issues.assign(file=pulled.parsed.name))
        read, found = ctx.study.read_codings(corp, codebook, progress=ctx.progress, shorthand=False)
        frames.extend(read)  # [[coding.sources]] combine with the pulled project
        issues.extend(found)
    else:
        if not ctx.study.coding_files():
            ctx.warn(
                f"no codings export shipped: no Label Studio export matches [labelstudio] export = "
                f"{cfg.export!r} and [[coding.sources]] lists no codings file; coding, agreement, theme "
                "frequencies and the qualitative side of the joint display are empty."
            )
        read, found = ctx.study.read_codings(corp, codebook, progress=ctx.progress)
        frames.extend(read)
        issues.extend(found)
    from qualquant.coding import CODINGS_COLUMNS

    codings = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(CODINGS_COLUMNS))
    codings = (
        codings.sort_values(["transcript_id", "start", "end", "code", "coder"], kind="mergesort", ignore_index=True)
        if not codings.empty
        else codings
    )
    issue_frame = (
        pd.concat(issues, ignore_index=True)
        if issues
        else pd.DataFrame(columns=["task_id", "annotation_id", "result_id", "reason", "detail"])
    )
    codings, issue_frame = _label_coders(ctx, codings, issue_frame)
    n_export_issues = len(issue_frame)
    excluded = _excluded_issues(codings, corp, tuple(ctx.study.config.corpus.roles))
    if not excluded.empty:
        issue_frame = pd.concat([issue_frame, excluded], ignore_index=True) if n_export_issues else excluded
    human = codings[codings["source"] == "human"] if not codings.empty else codings
    cons = consensus(human, rule=ctx.study.config.coding.consensus) if not human.empty else codings.iloc[0:0]
    _publish(
        ctx,
        ("codings", codings, "codings.csv"),
        ("consensus", cons, "consensus_codings.csv"),
        ("issues", issue_frame, "coding_issues.csv"),
    )
    if n_export_issues:
        ctx.warn(f"{n_export_issues} codings source issue(s) listed in coding_issues.csv.")
    if not excluded.empty:
        roles = " or ".join(ctx.study.config.corpus.roles)
        ctx.warn(
            f"{len(excluded)} coding(s) on segments that are not {roles} turns are not used for matrices, "
            "theme frequencies, co-occurrence or the case x code matrix; listed in coding_issues.csv."
        )


def _label_coders(ctx: Context, codings: pd.DataFrame, issues: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each coder's pseudonymous label from the study's coder file, which gains a row per new person."""
    from qualquant.pipelines.study._coders import apply_coder_labels, coder_ids, update_coders

    path = ctx.study.coders_path()
    name = ctx.study.config.coding.coders
    created = not path.exists()
    mapping, new = update_coders(path, coder_ids(codings, issues), name=name)
    if new:
        what = "created with" if created else "extended by"
        ctx.warn(f"{name} {what} {len(new)} coder(s); edit the labels there if you like (they are kept).")
    return apply_coder_labels(codings, issues, mapping)


def _excluded_issues(codings: pd.DataFrame, corp: Corpus, roles: tuple[str, ...]) -> pd.DataFrame:
    """One coding_issues.csv row per coding on a segment outside the analysed ``roles``."""
    from qualquant.coding.matrices import excluded_codings

    columns = ["task_id", "annotation_id", "result_id", "coder", "reason", "action", "detail"]
    if codings.empty:
        return pd.DataFrame(columns=columns)
    rows = excluded_codings(codings, corp, roles=roles)
    detail = [
        f"{r.coder} coded {r.code!r} on segment {r.segment_id} ({r.role} turn) of {r.transcript_id}, "
        f"characters {r.start}-{r.end}; the coding stays in codings.csv"
        for r in rows.itertuples(index=False)
    ]
    return pd.DataFrame(
        {
            "task_id": rows["task_id"],
            "annotation_id": rows["annotation_id"],
            "result_id": rows["result_id"],
            "coder": rows["coder"],
            "reason": rows["reason"],
            "action": "not_used",
            "detail": detail,
        },
        columns=columns,
    )


# --------------------------------------------------------------------------- agreement


def stage_agreement(ctx: Context) -> None:
    codings, _ = codings_tables(ctx)
    agreement = require("qualquant.coding.agreement", "Agreement")
    human = codings[codings["source"] == "human"] if not codings.empty else codings
    if human.empty or human["coder"].nunique() < 2:
        ctx.warn("agreement not computed: it needs codings by at least two coders.")
        return
    corp, _ = load_corpus(ctx)
    codebook = load_codebook(ctx)
    cfg = ctx.study.config
    ctx.progress("bootstrap")
    table = agreement.agreement_table(
        human, corp, codebook=codebook, roles=tuple(cfg.corpus.roles), n_boot=cfg.coding.n_boot, seed=cfg.study.seed
    )
    dis = agreement.disagreements(human, corp, codebook=codebook, roles=tuple(cfg.corpus.roles))
    _publish(ctx, ("agreement", table, "agreement.csv"), ("disagreements", dis, "disagreements.csv"))


# --------------------------------------------------------------------------- frequencies


def stage_frequencies(ctx: Context) -> None:
    _, cons = codings_tables(ctx)
    matrices = require("qualquant.coding.matrices", "Theme frequencies")
    if cons.empty:
        ctx.warn("theme frequencies not computed: there are no (consensus) codings.")
        return
    corp, _ = load_corpus(ctx)
    codebook = load_codebook(ctx)
    roles = tuple(ctx.study.config.corpus.roles)
    freq = matrices.theme_frequencies(cons, corp, codebook, roles=roles)
    ctx.put("theme_frequencies", freq)
    ctx.write(freq, "theme_frequencies.csv")
    for attr in ctx.study.config.coding.group_by:
        by = matrices.theme_frequencies(cons, corp, codebook, by=attr, roles=roles)
        ctx.put(f"theme_frequencies_by_{attr}", by)
        ctx.write(by, f"theme_frequencies_by_{attr}.csv")
    try:
        cooc_mod = require("qualquant.coding.cooccurrence", "Co-occurrence")
    except StageUnavailable as exc:
        ctx.warn(str(exc))
        return
    cooc = cooc_mod.cooccurrence(cons, corp, codebook=codebook, roles=roles)
    ctx.put("cooccurrence", cooc)
    ctx.write(cooc, "cooccurrence.csv")


# --------------------------------------------------------------------------- topics


def stage_topics(ctx: Context) -> None:
    cfg = ctx.study.config.topics
    if not cfg.enabled:
        ctx.warn("topics disabled in study.toml ([topics] enabled = false).")
        return
    topics = require("qualquant.coding.topics", "Topic modelling")
    corp, _ = load_corpus(ctx)
    codebook = load_codebook(ctx)
    seed = cfg.seed
    params: dict[str, Any] = dict(
        passes=cfg.passes, iterations=cfg.iterations, unit=cfg.unit, roles=tuple(ctx.study.config.corpus.roles)
    )
    if cfg.seeded:
        params["seed_words"] = codebook.seed_words
    ctx.progress(f"choosing K in {cfg.k_range[0]}..{cfg.k_range[1]}")
    selection = topics.select_n_topics(
        corp, range(cfg.k_range[0], cfg.k_range[1] + 1), seeds=tuple(cfg.seeds), coherence=cfg.coherence, **params
    )
    model = selection.model
    if model.random_state != seed:
        model = topics.TopicModel(selection.best_k, random_state=seed, coherence=cfg.coherence, **params).fit(corp)
    summary = model.topic_summary()
    terms = model.topics_
    sel = selection.summary.assign(rule=selection.rule, measure=selection.measure)
    ctx.put("topics", summary)
    ctx.put("topic_terms", terms)
    ctx.put("selection", sel)
    ctx.put("case_topics", model.case_topics())
    ctx.put("representative", model.representative_documents(3))
    ctx.write(summary, "topics.csv")
    ctx.write(terms, "topic_terms.csv")
    ctx.write(sel, "topic_selection.csv")
    codings, _ = codings_tables(ctx)
    if not codings.empty:
        result = topics.compare_codes(model, codings, corp)
        ctx.put("alignment", result.alignment)
        ctx.write(result.alignment, "topic_code_alignment.csv")
        if not result.candidates.empty:
            ctx.put("candidates", result.candidates)
            ctx.write(result.candidates, "topic_candidates.csv")
    else:
        ctx.warn("topic-code alignment not computed: there are no codings.")
    docs = model.documents_
    known = set(map(str, corp.cases.index))  # a document without a case row carries its transcript id as case id

    def n_cases(frame: pd.DataFrame) -> int:
        return len({str(c) for c in frame["case_id"] if _cell_text(c) in known})

    counts = [dict(step="topic model", cases=n_cases(docs), transcripts=int(docs["transcript_id"].nunique()))]
    if cfg.effects_by:
        # a transcript without a case row (or a case without a value of the covariate) cannot enter the
        # regression: it is left out, listed and counted, and the rest of the run goes on
        aside = topics.effects_set_aside(model, corp.cases, by=cfg.effects_by)
        effects = topics.estimate_effects(model, corp.cases, by=cfg.effects_by, random_state=seed, missing="drop")
        ctx.put("effects", effects)
        ctx.write(effects, "topic_effects.csv")
        _publish(ctx, ("effects_set_aside", aside, "topic_effects_set_aside.csv"))
        svg = topics.effects_to_svg(effects, title=f"Topic prevalence by {cfg.effects_by}")
        ctx.write_text(svg, "topic_effects.svg")
        left_out = set(map(str, aside["unit"]))
        unit = [_cell_text(c) or str(t) for c, t in zip(docs["case_id"], docs["transcript_id"])]
        used = docs[[u not in left_out for u in unit]]
        notes = [
            f"{len(g)} left out ({reason}): {', '.join(map(str, g['unit']))}"
            for reason, g in aside.groupby("reason", sort=True)
        ]
        counts.append(
            dict(
                step=f"topic effects by {cfg.effects_by}",
                cases=n_cases(used),
                transcripts=int(used["transcript_id"].nunique()),
                note="; ".join(notes),
            )
        )
        for note in notes:
            ctx.warn(f"topic effects by {cfg.effects_by}: {note}; listed in topic_effects_set_aside.csv.")
    from qualquant.pipelines.reconciliation import counts_frame

    ctx.put("counts", counts_frame(counts))


# --------------------------------------------------------------------------- survey


def _survey_inputs(study: Study) -> list[Path]:
    cfg = study.config.survey
    return [p for p in (study.optional(cfg.path), study.optional(cfg.codebook)) if p is not None]


#: Words of the crosstab footnote on small expected counts (:func:`qualquant.quant.crosstab`).
_EXPECTED_NOTE = "have expected count less than 5"


def _n_low_expected(res: CrosstabResult) -> int:
    """Cells of a crosstab used in its tests (non-empty row and column) with an expected count below 5."""
    expected = res.expected.to_numpy(dtype=float)
    return int(((expected > 0) & (expected < 5)).sum())


def stage_survey(ctx: Context) -> None:
    cfg = ctx.study.config.survey
    survey = load_survey(ctx) if cfg.path else None
    if survey is None:
        ctx.warn("no survey in this study ([survey] path is empty).")
        return
    from qualquant import quant
    from qualquant.pipelines.reconciliation import counts_frame
    from qualquant.quant.render import render_correlation_matrix

    ctx.put("counts", counts_frame([dict(step="read", survey_rows=len(survey.data))]))
    weights = cfg.weights or None
    if cfg.frequencies:
        parts = []
        for v in cfg.frequencies:
            f = quant.frequencies(survey, v, weights=weights)
            parts.append(f.assign(variable=v, variable_label=survey.variable_label(v)))
        t1 = pd.concat(parts, ignore_index=True)
        t1 = t1[["variable", "variable_label"] + [c for c in t1.columns if c not in ("variable", "variable_label")]]
        ctx.put("table1", t1)
        ctx.write(t1, "survey_table1.csv")
    if cfg.factors and cfg.outcome:
        t2 = quant.association_table(survey, cfg.outcome, cfg.factors, weights=weights)
        ctx.put("table2", t2)
        ctx.write(t2, "survey_table2.csv")
    if cfg.correlations:
        long = quant.correlation_matrix(survey, cfg.correlations, method=cfg.correlation_method, weights=weights)
        rendered = render_correlation_matrix(long, style="seed")
        t3 = rendered.table.reset_index().rename(columns={"index": "variable"})
        t3.columns = [str(c) for c in t3.columns]
        ctx.put("table3_long", long)
        ctx.put("table3", t3)
        ctx.put("table3_notes", pd.DataFrame({"footnote": list(rendered.footnotes)}))
        ctx.write(long, "survey_table3_long.csv")
        ctx.write(t3, "survey_table3.csv")
    for row, col in cfg.crosstabs:
        res = quant.crosstab(survey, row, col, weights=weights, exact=False)
        tests = res.tests.reset_index().rename(columns={"index": "test"})
        counts = res.to_frame()
        ctx.put(f"crosstab_{row}_{col}", counts)
        ctx.put(f"crosstab_{row}_{col}_tests", tests)
        ctx.put(f"crosstab_{row}_{col}_measures", res.measures.reset_index().rename(columns={"index": "measure"}))
        ctx.put(f"crosstab_{row}_{col}_notes", pd.DataFrame({"footnote": list(res.footnotes)}, dtype=object))
        ctx.write(counts, f"crosstab_{row}_{col}.csv")
        ctx.write(tests, f"crosstab_{row}_{col}_tests.csv")
        for note in res.footnotes:
            if _EXPECTED_NOTE in note and not _n_low_expected(res):
                continue  # SPSS's footnote "0 cells (0.0%) have expected count less than 5": kept in the tables
            ctx.warn(f"crosstab {row} x {col}: {note}")
    checks = []
    if cfg.reported:
        check = require("qualquant.quant.check", "Checks of reported statistics")
        table = pd.DataFrame([dict(factor=r.label, chi2=r.statistic, df=r.df, p=r.p) for r in cfg.reported])
        counts = {}
        data = survey.data
        for r in cfg.reported:
            if r.variable and cfg.outcome:
                rows = int(data[r.variable][~survey.is_missing(r.variable)].nunique())
                cols = int(data[cfg.outcome][~survey.is_missing(cfg.outcome)].nunique())
                counts[r.label] = (rows, cols)
        checks.append(check.check_reported(table, counts=counts or None, alpha=ctx.study.config.study.alpha))
    if cfg.reported_text:
        check = require("qualquant.quant.check", "Checks of reported statistics")
        counts = {}
        if cfg.crosstabs:
            row, col = cfg.crosstabs[0]
            data = survey.data
            counts["*"] = (
                int(data[row][~survey.is_missing(row)].nunique()),
                int(data[col][~survey.is_missing(col)].nunique()),
            )
        checks.append(
            check.check_reported(cfg.reported_text, counts=counts or None, alpha=ctx.study.config.study.alpha)
        )
    if checks:
        qc = pd.concat(checks, ignore_index=True)
        ctx.put("quant_check", qc)
        ctx.write(qc, "quant_check.csv")
        bad = qc[qc["verdict"] != "consistent"]
        for _, r in bad.iterrows():
            ctx.warn(f"reported statistic {r['source']!s}: {r['verdict']} ({r['reason']})")


# --------------------------------------------------------------------------- integration


def _integration_inputs(study: Study) -> list[Path]:
    files: list[Path] = []
    q = study.config.linkage.questionnaire
    if q and q != "survey":  # the survey file is an input through _survey_inputs
        files.append(study.resolve(q))
    ov = Path(study.config.integration.overrides)
    files.append(ov if ov.is_absolute() else study.out / ov)
    return files


def stage_integration(ctx: Context) -> None:
    from qualquant.pipelines import integrate

    cfg = ctx.study.config
    segments = ctx.table("corpus/segments")
    if segments is None:
        raise PipelineError(
            "The integration stage needs the segment table of the corpus stage, which this output folder "
            "does not hold; run the corpus stage first (without --stage, or with --stage corpus --stage integration)."
        )
    cases = ctx.table("corpus/cases")
    codings, cons = codings_tables(ctx)
    codebook = load_codebook(ctx)
    codes = list(codebook.code_ids)
    case_ids = (
        [str(c) for c in cases["case_id"]]
        if cases is not None and "case_id" in cases
        else sorted(segments["transcript_id"].unique())
    )
    transcripts = ctx.table("corpus/transcripts")
    case_of = {}
    if transcripts is not None and "case_id" in transcripts.columns:
        case_of = {
            str(t): str(c)
            for t, c in zip(transcripts["transcript_id"], transcripts["case_id"])
            if c is not None and c == c
        }
    roles = tuple(cfg.corpus.roles)
    # A case row without any transcript has no interview to code: counting it as a case
    # "without the code" would bias the linked tests and the joint display's case counts.
    with_text = {case_of.get(str(t), str(t)) for t in segments["transcript_id"].unique()}
    no_text = [c for c in case_ids if c not in with_text]
    case_ids = [c for c in case_ids if c in with_text]
    if no_text:
        ctx.warn(
            f"{len(no_text)} case row(s) without a transcript left out of the case x code matrix, linked "
            f"cases and the joint display: {', '.join(no_text[:10])}{' ...' if len(no_text) > 10 else ''}."
        )
    matrix = integrate.case_code_table(cons, segments, case_ids, codes, case_of=case_of, roles=roles)
    ctx.put("case_code_matrix", matrix.reset_index())
    ctx.write(matrix.reset_index(), "case_code_matrix.csv")
    from qualquant.pipelines.reconciliation import counts_frame, listing

    all_transcripts = (
        sorted(map(str, segments["transcript_id"].unique()))
        if transcripts is None
        else [str(t) for t in transcripts["transcript_id"]]
    )
    in_matrix = [t for t in all_transcripts if case_of.get(t, t) in set(case_ids)]
    outside = [t for t in all_transcripts if t not in set(in_matrix)]
    notes = [
        listing(
            outside,
            "transcript(s) without a case row, left out of the case x code matrix, "
            "linked cases and the joint display's case counts",
        ),
        listing(
            no_text,
            "case row(s) without a transcript, left out of the case x code matrix, "
            "linked cases and the joint display's case counts",
        ),
    ]
    counts = [
        dict(
            step="case x code matrix",
            cases=len(case_ids),
            transcripts=len(in_matrix),
            note="; ".join(n for n in notes if n),
        )
    ]

    # linked cases
    if cfg.study.design in ("linked", "both") and cfg.linkage.attributes:
        n_rows, unlinked_rows = None, []
        # indexed by case_id whatever the id column is called ([linkage] or [survey] case_column)
        questionnaire = ctx.study.read_questionnaire()
        if questionnaire is not None:
            n_rows = len(questionnaire)
            unlinked_rows = [str(i) for i in questionnaire.index if str(i) not in set(case_ids)]
            if unlinked_rows:
                ctx.warn(
                    f"linked questionnaire: {listing(unlinked_rows, 'row(s) without an interview case')}; "
                    "they are not used by the linked cases."
                )
        else:
            questionnaire = cases
        linked = integrate.linked_cases(
            matrix,
            questionnaire,
            attributes=cfg.linkage.attributes,
            codes=codes,
            case_column="case_id",
            exact=cfg.linkage.exact,
            seed=cfg.study.seed,
            n_resamples=cfg.integration.n_resamples,
        )
        ctx.put("prevalence", linked.prevalence)
        _publish(
            ctx,
            ("linked_cases", linked.matrix, "linked_cases.csv"),
            ("linked_tests", linked.tests, "linked_tests.csv"),
            ("linked_set_aside", linked.set_aside, "linked_cases_set_aside.csv"),
        )
        aside_notes = []
        for reason, grp in linked.set_aside.groupby("reason", sort=True):
            ctx.warn(
                f"linked cases: {len(grp)} case(s) set aside ({reason}): {', '.join(map(str, grp['case_id']))}; "
                "listed in linked_cases_set_aside.csv."
            )
            aside_notes.append(listing(list(grp["case_id"]), f"case(s) set aside ({reason})"))
        aside_notes.append(listing(unlinked_rows, "questionnaire row(s) without an interview case"))
        counts.append(
            dict(
                step="linked cases",
                cases=len(linked.matrix),
                survey_rows=n_rows,
                note="; ".join(n for n in aside_notes if n),
            )
        )
        ctx.write(linked.prevalence, "theme_prevalence_by_group.csv")
        labels = {c.id: c.name for c in codebook.codes}
        integrate.write_quantitized(linked.matrix, codes, ctx.path("quantitized_codes.sav").parent, code_labels=labels)
        ctx.path("quantitized_codes.sav"), ctx.path("quantitized_codes.csv")

    # joint display
    survey = load_survey(ctx) if cfg.survey.path else None
    topic_cases, k = None, None
    ct = ctx.table("topics/case_topics")
    if ct is not None:
        # a topic is "prominent" in a case when its proportion is at least twice the uniform share 1/K
        k = int(ct["topic"].max()) + 1
        prominent = ct[ct["proportion"] >= 2.0 / k]
        topic_cases = {int(t): set(map(str, g["case_id"])) for t, g in prominent.groupby("topic")}
    else:
        for c in cfg.constructs:
            if c.topics:
                ctx.warn(
                    f"construct {c.id!r} names topic(s) {', '.join(map(str, c.topics))}, but no topic model "
                    "was fitted (see the topics stage); its interview evidence counts its codes only."
                )
    overrides_path = Path(cfg.integration.overrides)
    overrides_path = overrides_path if overrides_path.is_absolute() else ctx.out / overrides_path
    overrides = integrate.read_overrides(overrides_path)
    roles_map = dict(zip(segments["segment_id"], segments["role"]))
    human = codings[codings["source"] == "human"] if not codings.empty else codings
    display, evidence = integrate.joint_display(
        cfg.constructs,
        codings=cons,
        case_ids=case_ids,
        survey=survey,
        default_outcome=cfg.survey.outcome,
        alpha=cfg.study.alpha,
        min_cases=cfg.integration.min_cases,
        min_share=cfg.integration.min_share,
        n_quotes=cfg.integration.quotes,
        quote_chars=cfg.integration.quote_chars,
        segment_roles=roles_map,
        human_codings=human,
        topic_cases=topic_cases,
        overrides=overrides,
        weights=cfg.survey.weights or None,
        case_of=case_of,
        codebook=codebook,
        n_topics=k,
    )
    _, notes = integrate.update_overrides(overrides_path, display)
    for n in notes:
        ctx.warn(n)
    _publish(
        ctx, ("joint_display", display, "joint_display.csv"), ("joint_evidence", evidence, "joint_display_evidence.csv")
    )
    counts.append(
        dict(
            step="joint display",
            cases=len(case_ids),
            transcripts=len(in_matrix),
            survey_rows=None if survey is None else len(survey.data),
        )
    )

    # representativeness
    if cfg.representativeness and survey is not None:
        rep = integrate.representativeness(
            cases,
            survey,
            cfg.representativeness,
            n_resamples=cfg.integration.n_resamples,
            seed=cfg.study.seed,
            weights=cfg.survey.weights or None,
        )
        _publish(
            ctx,
            ("representativeness", rep.distribution, "representativeness.csv"),
            ("representativeness_tests", rep.tests, "representativeness_tests.csv"),
            ("representativeness_set_aside", rep.set_aside, "representativeness_set_aside.csv"),
        )
        aside_notes = []
        for (variable, reason), grp in rep.set_aside.groupby(["variable", "reason"], sort=True):
            ctx.warn(
                f"representativeness: {len(grp)} case(s) set aside for {variable} ({reason}): "
                f"{', '.join(map(str, grp['case_id']))}; listed in representativeness_set_aside.csv."
            )
            aside_notes.append(listing(list(grp["case_id"]), f"case(s) set aside for {variable} ({reason})"))
        counts.append(
            dict(
                step="representativeness",
                cases=len(cases) if cases is not None else None,
                survey_rows=len(survey.data),
                note="; ".join(aside_notes),
            )
        )
    ctx.put("counts", counts_frame(counts))


_ALL_TABLES = ("corpus/*", "codings/*", "agreement/*", "frequencies/*", "topics/*", "survey/*", "integration/*")

STAGES: tuple[Stage, ...] = (
    Stage("corpus", "Corpus: ingest and pseudonymise", stage_corpus, sections=("corpus",), inputs=_corpus_inputs),
    Stage(
        "codings",
        "Codings from Label Studio",
        stage_codings,
        sections=("labelstudio", "coding", "codebook"),
        inputs=_codings_inputs,
        uses=("corpus/segments",),
    ),
    Stage(
        "agreement",
        "Inter-coder agreement",
        stage_agreement,
        sections=("coding", "corpus", "study"),
        uses=("codings/codings", "corpus/segments"),
    ),
    Stage(
        "frequencies",
        "Theme frequencies and co-occurrence",
        stage_frequencies,
        sections=("coding", "corpus"),
        uses=("codings/consensus", "corpus/segments", "corpus/cases"),
    ),
    Stage(
        "topics",
        "Topic model",
        stage_topics,
        sections=("topics", "corpus"),
        uses=("corpus/segments", "corpus/cases", "codings/codings"),
    ),
    Stage("survey", "Survey tables", stage_survey, sections=("survey", "study"), inputs=_survey_inputs),
    Stage(
        "integration",
        "Integration: linked cases, joint display",
        stage_integration,
        sections=("study", "survey", "linkage", "integration", "representativeness", "constructs", "corpus"),
        inputs=lambda s: _integration_inputs(s) + _survey_inputs(s),
        uses=(
            "corpus/segments",
            "corpus/cases",
            "corpus/transcripts",
            "codings/codings",
            "codings/consensus",
            "codings/codebook",
            "topics/case_topics",
        ),
    ),
    Stage(
        "exports",
        "Exports: tables.xlsx, tables.md",
        stage_exports,
        sections=("study", "coding", "survey"),
        uses=_ALL_TABLES,
    ),
    Stage(
        "report",
        "HTML report",
        stage_report,
        sections=("study", "coding", "survey", "constructs", "integration", "topics"),
        uses=_ALL_TABLES + ("exports/*",),
    ),
)
