"""The study report: one self-contained HTML file.

:func:`build_report` assembles the sections from the tables of a run
(:class:`qualquant.pipelines.stages._run.Context`): study summary, corpus statistics, codebook,
agreement, theme frequencies (bar charts), co-occurrence (heat map), topics
(prevalence effects plot), survey tables in the layout of the seed study's
Tables 1-3, the joint display with representativeness next to it, and every
warning and reconciliation entry. A section whose stage did not run says so.

The file has inline CSS and inline SVG only: no scripts, no fonts, no
images, no links to anything outside the file; a Content-Security-Policy
forbids scripts and network requests. All text, including transcript
quotes, is HTML-escaped (:func:`qualquant.pipelines.report._html.esc`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from qualquant.pipelines.report._html import badge, esc, page, table_html
from qualquant.pipelines.report._svg import bar_chart, heat_map, point_range

if TYPE_CHECKING:
    from qualquant.pipelines.study import Study


class Context(Protocol):
    """What the report reads of a run: :class:`qualquant.pipelines.stages.Context`
    (named by its shape, as the stages package imports this one)."""

    @property
    def study(self) -> Study: ...

    def table(self, key: str, default: pd.DataFrame | None = None) -> pd.DataFrame | None: ...

    def has(self, key: str) -> bool: ...


#: A run's table by key (``"stage/name"``), None when the run has none: :meth:`Context.table`.
Tables = Callable[[str], pd.DataFrame | None]

__all__ = ["build_report", "SECTIONS"]

#: (anchor, title) of the report's sections, in order.
SECTIONS = (
    ("summary", "Study"),
    ("corpus", "Corpus"),
    ("codebook", "Codebook"),
    ("agreement", "Agreement"),
    ("themes", "Theme frequencies"),
    ("cooccurrence", "Co-occurrence"),
    ("topics", "Topics"),
    ("survey", "Survey tables"),
    ("joint-display", "Joint display"),
    ("linked", "Linked cases"),
    ("warnings", "Warnings and reconciliation"),
)


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{body}</section>'


def _missing(what: str) -> str:
    return f'<p class="muted">{esc(what)}: not available in this run (see Warnings).</p>'


def _codebook(frame: pd.DataFrame | None) -> str:
    """Codes with their names, descriptions and criteria, in every language the codebook has."""
    if frame is None or frame.empty:
        return '<p class="muted">No codebook.</p>'
    wanted = ["id", "facet", "parent"]
    for field in ("name", "description", "inclusion", "exclusion"):
        wanted += sorted(c for c in frame.columns if c == field or c.startswith(f"{field}_"))
    columns = [c for c in wanted if c in frame.columns and frame[c].astype(str).str.strip().ne("").any()]
    rename = {c: c.replace("_", " ") for c in columns}
    return table_html(frame, max_rows=500, columns=columns, rename=rename)


def build_report(ctx: Context) -> str:
    """Return the report HTML for the run in ``ctx`` (see the module docstring)."""
    cfg = ctx.study.config
    t = ctx.table
    sections = [
        _section("summary", "Study", _summary(ctx)),
        _section("corpus", "Corpus statistics", _corpus(t)),
        _section("codebook", "Codebook", _codebook(t("codings/codebook"))),
        _section("agreement", "Inter-coder agreement", _agreement(t)),
        _section("themes", "Theme frequencies", _themes(ctx)),
        _section("cooccurrence", "Co-occurrence of codes", _cooccurrence(t)),
        _section("topics", "Topics", _topics(ctx)),
        _section("survey", "Survey tables", _survey(ctx)),
        _section("joint-display", "Joint display", _joint(ctx)),
        _section("linked", "Linked cases", _linked(t)),
        _section("warnings", "Warnings and reconciliation", _warnings(t)),
    ]
    return page(cfg.study.title, cfg.study.description or "qualquant study report", SECTIONS, sections)


# --------------------------------------------------------------------------- sections


def _summary(ctx: Context) -> str:
    cfg = ctx.study.config
    t = ctx.table
    segs, cases, cons = t("corpus/segments"), t("corpus/cases"), t("codings/consensus")
    codings, survey_t1 = t("codings/codings"), t("survey/table1")
    jd = t("integration/joint_display")
    facts = [
        (
            "Design",
            {"linked": "linked cases", "parallel": "parallel samples", "both": "linked cases and parallel samples"}[
                cfg.study.design
            ],
        ),
        ("Transcripts", segs["transcript_id"].nunique() if segs is not None else "—"),
        ("Cases", len(cases) if cases is not None else "—"),
        ("Participant turns", int((segs["role"] == "participant").sum()) if segs is not None else "—"),
        (
            "Coders",
            ", ".join(sorted(codings.loc[codings["source"] == "human", "coder"].unique()))
            if codings is not None and len(codings)
            else "no codings",
        ),
        ("Coded passages (consensus)", len(cons) if cons is not None else "—"),
        ("Survey", cfg.survey.path or "none"),
        ("Survey respondents", _survey_n(survey_t1)),
        ("Constructs in the joint display", len(jd) if jd is not None else len(cfg.constructs)),
        ("Seed", cfg.study.seed),
        ("Significance level", cfg.study.alpha),
    ]
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts)
    body = f'<div class="table-wrap"><table>{rows}</table></div>'
    if jd is not None and len(jd):
        counts = jd["convergence"].value_counts()
        body += "<p>Convergence: " + ", ".join(f"{badge(k)} {int(v)}" for k, v in counts.items()) + "</p>"
    return body


def _survey_n(t1: pd.DataFrame | None) -> str:
    if t1 is None or not len(t1):
        return "—"
    first = t1[t1["variable"] == t1["variable"].iloc[0]]
    total = first[first["section"] == "total"] if "section" in first else first.iloc[0:0]
    if not len(total):
        total = first[first["section"] == "valid_total"] if "section" in first else total
    return str(int(total["n"].iloc[0])) if len(total) else "—"


def _corpus(t: Tables) -> str:
    summary, transcripts, recon = t("corpus/summary"), t("corpus/transcripts"), t("corpus/reconciliation")
    if summary is None:
        return _missing("Corpus")
    body = table_html(summary, caption="Summary")
    body += "<details><summary>Transcripts</summary>" + table_html(transcripts, max_rows=500) + "</details>"
    if recon is not None and len(recon):
        body += table_html(recon, caption="Reconciliation (records set aside or needing attention)")
    else:
        body += '<p class="muted">Reconciliation: every transcript matched a case and vice versa.</p>'
    return body


def _agreement(t: Tables) -> str:
    table = t("agreement/agreement")
    if table is None:
        return _missing("Agreement")
    body = table_html(table, caption="Agreement per code (segment level) with bootstrap confidence intervals")
    dis = t("agreement/disagreements")
    if dis is not None and len(dis):
        body += (
            f"<details><summary>{len(dis)} disagreements for adjudication</summary>"
            + table_html(dis, max_rows=300)
            + "</details>"
        )
    return body


def _themes(ctx: Context) -> str:
    t = ctx.table
    freq = t("frequencies/theme_frequencies")
    if freq is None:
        return _missing("Theme frequencies")
    body = bar_chart(
        list(freq["code"]),
        list(freq["pct_cases"]),
        groups=list(freq.get("facet", [""] * len(freq))),
        title="Cases mentioning each code (% of cases)",
        unit="%",
    )
    body += table_html(freq, caption="Theme frequencies (consensus coding)")
    for attr in ctx.study.config.coding.group_by:
        by = t(f"frequencies/theme_frequencies_by_{attr}")
        if by is None:
            continue
        body += f"<h3>By {esc(attr)}</h3>"
        groups = sorted(by[attr].astype(str).unique())
        charts = []
        for g in groups:
            sub = by[by[attr].astype(str) == g]
            n_total = int(sub["n_cases_total"].iloc[0]) if "n_cases_total" in sub and len(sub) else 0
            charts.append(
                bar_chart(
                    list(sub["code"]),
                    list(sub["pct_cases"]),
                    groups=list(sub["facet"]),
                    title=f"{attr} = {g} (N = {n_total})",
                    unit="%",
                    width=560,
                )
            )
        body += '<div class="grid2">' + "".join(f"<div>{c}</div>" for c in charts) + "</div>"
        body += f"<details><summary>Table by {esc(attr)}</summary>" + table_html(by, max_rows=500) + "</details>"
    return body


def _cooccurrence(t: Tables) -> str:
    cooc = t("frequencies/cooccurrence")
    if cooc is None or not len(cooc):
        return _missing("Co-occurrence")
    codes = list(dict.fromkeys(list(cooc["code_a"]) + list(cooc["code_b"])))
    idx = {c: i for i, c in enumerate(codes)}
    n = len(codes)
    mat = [[math.nan] * n for _ in range(n)]
    cnt = [[0] * n for _ in range(n)]
    for _, r in cooc.iterrows():
        i, j = idx[r["code_a"]], idx[r["code_b"]]
        v = float(r["jaccard"]) if pd.notna(r["jaccard"]) else math.nan
        mat[i][j] = mat[j][i] = v
        cnt[i][j] = cnt[j][i] = int(r["n_both"])
    for i in range(n):
        mat[i][i] = 1.0
    body = heat_map(codes, mat, counts=cnt, title="Co-occurrence in segments (Jaccard; numbers: segments with both)")
    top = cooc.sort_values(["n_both", "code_a", "code_b"], ascending=[False, True, True]).head(30)
    body += table_html(top, caption="Most frequent pairs (Fisher's exact test on segments)")
    return body


def _topics(ctx: Context) -> str:
    t = ctx.table
    topics = t("topics/topics")
    if topics is None:
        return _missing("Topics")
    sel = t("topics/selection")
    body = ""
    if sel is not None and len(sel):
        rule = sel["rule"].iloc[0] if "rule" in sel else ""
        body += f'<p class="note">Number of topics chosen by coherence: {esc(rule)}</p>'
        body += table_html(sel, caption="Coherence by number of topics")
    body += table_html(topics, caption="Topics (top lemmas, prevalence, coherence)")
    rep = t("topics/representative")
    if rep is not None and len(rep):
        body += "<details><summary>Representative segments</summary>" + table_html(rep, max_rows=100) + "</details>"
    al = t("topics/alignment")
    if al is not None and len(al):
        body += table_html(
            al.head(12), caption="Topics vs codes (the 12 best-aligned pairs; all in topic_code_alignment.csv)"
        )
    eff = t("topics/effects")
    if eff is not None and len(eff):
        by = ctx.study.config.topics.effects_by
        rows = []
        sub = eff[eff["term"] != "Intercept"] if "term" in eff else eff
        for _, r in sub.iterrows():
            rows.append(
                (f"topic {r['topic']}: {r['term']}", float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"]))
            )
        body += point_range(rows, title=f"Topic prevalence effects by {by} (estimate and CI)")
        body += "<details><summary>Effects table</summary>" + table_html(eff, max_rows=200) + "</details>"
    return body


def _survey(ctx: Context) -> str:
    from qualquant.quant.render import render_crosstab_cells

    t = ctx.table
    cfg = ctx.study.config.survey
    t1, t2, t3 = t("survey/table1"), t("survey/table2"), t("survey/table3")
    if (
        t1 is None
        and t2 is None
        and t3 is None
        and not any(ctx.has(f"survey/crosstab_{row}_{col}") for row, col in cfg.crosstabs)
    ):
        return _missing("Survey")
    body = ""
    if t1 is not None:
        body += _table1(t1)
    if t2 is not None:
        show = t2.copy()
        show["p-value"] = show["p_value"].map(_p_seed)
        show["χ²"] = show["statistic"].map(lambda x: f"{x:.2f}")
        show["Cramér's V"] = show["cramers_v"].map(lambda x: f"{x:.3f}")
        body += table_html(
            show,
            columns=["label", "χ²", "df", "p-value", "Cramér's V", "n"],
            rename={"label": "Socio-demographic factor"},
            css_class="seed",
            caption=f"Table 2. Association between socio-demographic characteristics and {cfg.outcome}",
        )
        body += '<p class="note">Pearson chi-square test, as in the seed study.</p>'
    if t3 is not None:
        notes = t("survey/table3_notes")
        body += table_html(
            t3,
            css_class="seed",
            caption="Table 3. Correlations between sense of belonging and key "
            "indicators of social integration (Spearman)",
        )
        if notes is not None:
            body += "".join(f'<p class="note">{esc(n)}</p>' for n in notes["footnote"])
    for row, col in cfg.crosstabs:
        counts, tests = t(f"survey/crosstab_{row}_{col}"), t(f"survey/crosstab_{row}_{col}_tests")
        if counts is None:
            continue
        # SPSS layout, categories in value-code order as stored (a pivot would sort them by label).
        layout = render_crosstab_cells(counts, row_variable=row, col_variable=col, percent="row")
        body += f"<h3>{esc(row)} × {esc(col)}</h3>"
        body += table_html(
            layout.table.reset_index(), max_rows=1000, caption=f"{layout.title}: Count and % within {row}"
        )
        body += table_html(tests, caption="Chi-square tests")
        notes = t(f"survey/crosstab_{row}_{col}_notes")
        if notes is not None:
            body += "".join(f'<p class="note">{esc(n)}</p>' for n in notes["footnote"])
    qc = t("survey/quant_check")
    if qc is not None and len(qc):
        body += "<h3>Checks of the reported statistics (statcheck rules)</h3>"
        body += table_html(
            qc,
            columns=["label", "reported", "recomputed_p", "expected_df", "p_at_expected_df", "verdict", "reason"],
            max_rows=100,
        )
    return body


def _p_seed(p: float) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}".replace("0.", ".", 1)


def _table1(t1: pd.DataFrame) -> str:
    rows = []
    valid = t1[t1["section"] == "valid"] if "section" in t1 else t1
    for var, sub in valid.groupby("variable", sort=False):
        first = True
        for _, r in sub.iterrows():
            rows.append(
                dict(
                    Characteristic=(r["variable_label"] or var) if first else "",
                    Category=r["label"],
                    N=r["n"],
                    **{"%": f"{r['percent']:.1f}"},
                )
            )
            first = False
    df = pd.DataFrame(rows)
    n = _survey_n(t1)
    return table_html(
        df,
        css_class="seed",
        decimals=0,
        max_rows=1000,
        caption=f"Table 1. Socio-demographic characteristics of respondents (N = {n})",
    )


def _joint(ctx: Context) -> str:
    t = ctx.table
    jd = t("integration/joint_display")
    if jd is None:
        return _missing("Joint display")

    def cell(column: str, value: Any) -> str | None:
        if column == "convergence":
            label, override, proposed, was = value
            html = badge(label)
            if override:
                html += f'<br><span class="muted">your override; proposed: {esc(proposed)}</span>'
            if was:
                html += (
                    f'<br><span class="flag">proposal changed since your override (was {esc(was)}, '
                    f"now {esc(proposed)})</span>"
                )
            return html
        if column == "quotes":
            quotes = [q for q in str(value or "").split(" | ") if q]
            return "".join(f"<blockquote>{esc(q)}</blockquote>" for q in quotes) or '<span class="muted">—</span>'
        if column == "quant_evidence":
            parts = [p for p in str(value or "").split("; ") if p]
            return "<br>".join(esc(p) for p in parts) or '<span class="muted">—</span>'
        return None

    def text(column: str) -> list[str]:
        values = jd[column] if column in jd.columns else [""] * len(jd)
        return ["" if v is None or v != v else str(v) for v in values]

    flags = list(zip(text("convergence"), text("override"), text("proposed"), text("proposed_when_overridden")))
    shown = jd.assign(
        qualitative=[
            f"{int(a)}/{int(b)} cases, {int(s)} segments"
            for a, b, s in zip(jd["n_cases"], jd["n_cases_total"], jd["n_segments"])
        ],
        convergence=flags,
    )
    changed = [(lab, was, now) for lab, (_, _, now, was) in zip(text("label"), flags) if was]
    body = ""
    if changed:
        items = "".join(
            f"<li><b>{esc(lab)}</b>: proposal changed since your override (was {esc(was)}, now {esc(now)})</li>"
            for lab, was, now in changed
        )
        body += (
            f'<ul class="warn">{items}</ul><p class="note">Your overrides are kept. Review them in '
            "joint_display_overrides.csv; emptying a row's proposed_when_overridden accepts the override for "
            "the current proposal.</p>"
        )
    body += table_html(
        shown,
        table_id="joint-display-table",
        columns=[
            "label",
            "codes",
            "qualitative",
            "quotes",
            "survey_variables",
            "quant_evidence",
            "expected_direction",
            "verdicts",
            "convergence",
            "rule",
            "meta_inference",
        ],
        rename={
            "label": "Construct",
            "quant_evidence": "Survey evidence",
            "survey_variables": "Survey variables",
            "qualitative": "Interviews",
            "quotes": "Quotes",
            "expected_direction": "Expected",
            "convergence": "Convergence",
            "meta_inference": "Meta-inference",
            "verdicts": "Verdicts",
            "rule": "Rule",
            "codes": "Codes",
        },
        cell=cell,
    )
    body += (
        '<p class="note">Convergence labels follow the triangulation protocol of O\'Cathain, Murphy &amp; '
        "Nicholl (2010, BMJ 341:c4587). Proposed by explicit rules: silence when the interviews or the survey "
        "do not cover the construct; agreement when every survey variable confirms the expected relation "
        "(p &lt; alpha in the expected direction, or no relation where none is expected); dissonance when none "
        "confirms and each contradicts or is not significant; partial agreement otherwise. Researchers override "
        "labels and add meta-inferences in joint_display_overrides.csv (kept across reruns). Quotes: up to "
        "three passages from different cases, ranked by the number of the construct's codes on the segment, "
        "then coder support, then brevity.</p>"
    )
    ev = t("integration/joint_evidence")
    if ev is not None and len(ev):
        body += "<details><summary>Survey evidence per variable</summary>" + table_html(ev) + "</details>"
    rep, tests = t("integration/representativeness"), t("integration/representativeness_tests")
    if rep is not None:
        body += '<h3>Representativeness: interviewees vs survey</h3><div class="grid2"><div>'
        body += table_html(
            tests,
            columns=[
                "variable",
                "survey_variable",
                "statistic",
                "df",
                "p_value",
                "p_value_asymptotic",
                "n",
                "n_set_aside",
                "method",
            ],
            caption="Chi-square goodness of fit (Monte Carlo p)",
        )
        body += "</div><div>" + table_html(rep, caption="Distributions", max_rows=100) + "</div></div>"
    return body


def _linked(t: Tables) -> str:
    tests = t("integration/linked_tests")
    if tests is None:
        return _missing("Linked cases")
    body = table_html(
        tests.sort_values(["p_value", "code", "attribute"], na_position="last").head(40),
        caption="Codes x case attributes (exact tests; the 40 smallest p values; all in linked_tests.csv)",
    )
    prev = t("integration/prevalence")
    if prev is not None and len(prev):
        body += "<details><summary>Theme prevalence by group</summary>" + table_html(prev, max_rows=500) + "</details>"
    body += (
        '<p class="note">Quantitized codes for SPSS: quantitized_codes.sav (labelled) and quantitized_codes.csv.</p>'
    )
    return body


def _warnings(t: Tables) -> str:
    warn = t("exports/warnings")
    body = ""
    if warn is not None and len(warn):
        items = "".join(f"<li><b>{esc(r['stage'])}</b>: {esc(r['warning'])}</li>" for _, r in warn.iterrows())
        body += f'<ul class="warn">{items}</ul>'
    else:
        body += '<p class="muted">No warnings.</p>'
    counts = t("exports/reconciliation_counts")
    if counts is not None and len(counts):
        body += table_html(
            counts,
            caption="Cases, transcripts and survey rows at each stage (reconciliation_counts.csv)",
            max_rows=1000,
        )
    for key, caption in (
        ("corpus/reconciliation", "Corpus reconciliation"),
        ("topics/effects_set_aside", "Topic effects: cases or transcripts left out"),
        ("codings/issues", "Label Studio export issues"),
        ("integration/representativeness_set_aside", "Representativeness: interviewees set aside"),
    ):
        df = t(key)
        if df is not None:
            body += table_html(df, caption=f"{caption} ({len(df)})", max_rows=1000)
    return body
