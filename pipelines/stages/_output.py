"""The output stages of a study run: ``exports`` and ``report``.

``exports`` writes every table in one workbook (``tables.xlsx``), one Markdown
file (``tables.md``), the warnings of the earlier stages (``warnings.csv``) and
the cases, transcripts and survey rows used at each stage
(``reconciliation_counts.csv``, :mod:`qualquant.pipelines.reconciliation`);
``report`` writes the self-contained ``report.html``.

They are listed in :data:`qualquant.pipelines.stages.STAGES` with the others and are
importable from :mod:`qualquant.pipelines.stages` too. They know the run's stages
only through :attr:`Context.stages` (this module imports the stage base types,
never the registry or the run loop).
"""

from __future__ import annotations

import json

import pandas as pd

from qualquant.pipelines.stages._base import STATE_FILE, Context

__all__ = ["EXPORT_TABLES", "export_tables", "stage_exports", "stage_report", "warnings_frame"]

#: (sheet name, table key) in workbook order.
EXPORT_TABLES = (
    ("corpus_summary", "corpus/summary"),
    ("transcripts", "corpus/transcripts"),
    ("reconciliation", "corpus/reconciliation"),
    ("codebook", "codings/codebook"),
    ("coding_issues", "codings/issues"),
    ("agreement", "agreement/agreement"),
    ("disagreements", "agreement/disagreements"),
    ("theme_frequencies", "frequencies/theme_frequencies"),
    ("cooccurrence", "frequencies/cooccurrence"),
    ("topics", "topics/topics"),
    ("topic_selection", "topics/selection"),
    ("topic_code_alignment", "topics/alignment"),
    ("topic_effects", "topics/effects"),
    ("survey_table1", "survey/table1"),
    ("survey_table2", "survey/table2"),
    ("survey_table3", "survey/table3"),
    ("quant_check", "survey/quant_check"),
    ("joint_display", "integration/joint_display"),
    ("joint_evidence", "integration/joint_evidence"),
    ("representativeness", "integration/representativeness"),
    ("representativeness_tests", "integration/representativeness_tests"),
    ("case_code_matrix", "integration/case_code_matrix"),
    ("linked_tests", "integration/linked_tests"),
    ("linked_set_aside", "integration/linked_set_aside"),
    ("theme_prevalence", "integration/prevalence"),
)


def export_tables(ctx: Context) -> dict[str, pd.DataFrame]:
    """Every table for the workbook, in order (grouped frequency and crosstab tables included)."""
    from qualquant.quant.render import crosstab_layout

    sheets: dict[str, pd.DataFrame] = {}
    for name, key in EXPORT_TABLES:
        df = ctx.table(key)
        if df is not None:
            sheets[name] = df
        if key == "frequencies/theme_frequencies":
            for attr in ctx.study.config.coding.group_by:
                by = ctx.table(f"frequencies/theme_frequencies_by_{attr}")
                if by is not None:
                    sheets[f"theme_freq_by_{attr}"] = by
        if key == "survey/table3":
            for row, col in ctx.study.config.survey.crosstabs:
                cells = ctx.table(f"survey/crosstab_{row}_{col}")
                if cells is not None:  # SPSS layout (count, % within row, totals), categories in value-code order
                    sheets[f"xt_{row}_{col}_table"] = crosstab_layout(cells, percent="row")
                for suffix in ("", "_tests", "_notes"):
                    t = ctx.table(f"survey/crosstab_{row}_{col}{suffix}")
                    if t is not None:
                        sheets[f"xt_{row}_{col}{suffix}"] = t
    return sheets


def warnings_frame(ctx: Context) -> pd.DataFrame:
    """Every warning stored for the run's stages before ``exports`` (from this run or the state file).

    The stages and their order are those of the run (:attr:`Context.stages`).
    """
    state = json.loads((ctx.out / STATE_FILE).read_text(encoding="utf-8")) if (ctx.out / STATE_FILE).exists() else {}
    rows = []
    for stage in ctx.stages:
        if stage.name in ("exports", "report"):
            continue
        entry = state.get(stage.name, {})
        for w in entry.get("warnings", []):
            rows.append(dict(stage=stage.name, status=entry.get("status", ""), warning=w))
        if entry.get("status") not in (None, "ran"):
            rows.append(dict(stage=stage.name, status=entry.get("status"), warning=f"stage {entry.get('status')}"))
    return pd.DataFrame(rows, columns=["stage", "status", "warning"])


def stage_exports(ctx: Context) -> None:
    """Write ``tables.xlsx``, ``tables.md`` and ``warnings.csv``."""
    from qualquant.io import write_markdown_tables, write_workbook
    from qualquant.pipelines.reconciliation import reconciliation_counts

    sheets = export_tables(ctx)
    warn = warnings_frame(ctx)
    ctx.put("warnings", warn)
    ctx.write(warn, "warnings.csv")
    sheets["warnings"] = warn
    counts = reconciliation_counts(ctx.table, [s.name for s in ctx.stages])
    ctx.put("reconciliation_counts", counts)
    ctx.write(counts, "reconciliation_counts.csv")
    sheets["reconciliation_counts"] = counts
    write_workbook(sheets, ctx.path("tables.xlsx"))
    write_markdown_tables(sheets, ctx.path("tables.md"), title=ctx.study.config.study.title)


def stage_report(ctx: Context) -> None:
    """Write ``report.html``."""
    from qualquant.pipelines.report import build_report

    html = build_report(ctx)
    ctx.write_text(html, "report.html")
