"""Tests of coding.agreement against published worked examples, properties and real exports."""

from __future__ import annotations

import math
import re
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa

from qualquant.coding import CodedSpan, codings_frame
from qualquant.coding.agreement import (
    AGREEMENT_COLUMNS,
    DISAGREEMENT_COLUMNS,
    SPAN_AGREEMENT_COLUMNS,
    agreement_table,
    cohen_kappa,
    disagreements,
    fleiss_kappa,
    krippendorff_alpha,
    span_agreement,
)
from qualquant.coding.agreement._stats import point_estimates as _point_estimates
from qualquant.coding.agreement._stats import stats_from_sums as _stats_from_sums
from qualquant.coding.agreement._stats import unit_features as _unit_features
from qualquant.coding.errors import AgreementError, CodingError
from qualquant.corpus import Corpus, Segment, Transcript

REF = Path(__file__).resolve().parent / "reference" / "agreement"
DATA = Path(__file__).resolve().parent / "data"
EXPECTED = pd.read_csv(REF / "expected.csv")


def expected(dataset: str, statistic: str, level: str = "nominal") -> tuple[float, float]:
    row = EXPECTED[
        (EXPECTED["dataset"] == dataset) & (EXPECTED["statistic"] == statistic) & (EXPECTED["level"] == level)
    ]
    assert len(row) == 1, (dataset, statistic, level)
    return float(row["value"].iloc[0]), float(row["tolerance"].iloc[0])


# ------------------------------------------------------------ helpers


def make_corpus(segment_texts: dict[str, list[tuple[str, str]]]) -> Corpus:
    """Transcripts from (role, text) turns, joined by newlines; segment offsets exact."""
    transcripts = []
    for tid, turns in segment_texts.items():
        text, segments, pos = "", [], 0
        for i, (role, turn) in enumerate(turns):
            if i:
                text += "\n"
                pos += 1
            segments.append(
                Segment(
                    tid, f"{tid}:{i:04d}", i, "P" if role == "participant" else "I", role, pos, pos + len(turn), turn
                )
            )
            text += turn
            pos += len(turn)
        transcripts.append(Transcript(tid, text, "en", {"case_id": tid}, None, "utf-8", tuple(segments)))
    return Corpus(tuple(transcripts))


def span(corpus, coder, segment_id, code, rel_start=0, rel_end=None, rid=None, ann=1):
    tid = segment_id.split(":")[0]
    t = corpus[tid]
    seg = next(s for s in t.segments if s.segment_id == segment_id)
    s = seg.start + rel_start
    e = seg.end if rel_end is None else seg.start + rel_end
    return CodedSpan(
        coder,
        "human",
        tid,
        segment_id,
        code,
        s,
        e,
        t.text[s:e],
        1,
        ann,
        rid or f"{coder}:{segment_id}:{code}:{rel_start}",
    )


# ------------------------------------------------- published references


def test_krippendorff_2011_all_levels():
    data = pd.read_csv(REF / "krippendorff2011_4coders_12units.csv")
    for level in ("nominal", "ordinal", "interval", "ratio"):
        value, tol = expected("krippendorff2011_4coders_12units", "krippendorff_alpha", level)
        got = krippendorff_alpha(data, unit="unit", coder="observer", value="value", level=level)
        assert got == pytest.approx(value, abs=tol), level


def test_krippendorff_nominal_string_labels_and_absent_rows():
    data = pd.read_csv(REF / "krippendorff2011_4coders_12units.csv")
    labels = data.dropna().assign(value=lambda d: d["value"].map({1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}))
    value, tol = expected("krippendorff2011_4coders_12units", "krippendorff_alpha")
    assert krippendorff_alpha(labels, unit="unit", coder="observer", value="value") == pytest.approx(value, abs=tol)


def test_krippendorff_ordinal_categorical():
    data = pd.read_csv(REF / "krippendorff2011_4coders_12units.csv").dropna()
    names = ["very low", "low", "mid", "high", "very high"]
    data["value"] = pd.Categorical(
        data["value"].astype(int).map(lambda v: names[v - 1]), categories=names, ordered=True
    )
    value, tol = expected("krippendorff2011_4coders_12units", "krippendorff_alpha", "ordinal")
    got = krippendorff_alpha(data, unit="unit", coder="observer", value="value", level="ordinal")
    assert got == pytest.approx(value, abs=tol)


def test_krippendorff_binary_and_cohen_section_a():
    data = pd.read_csv(REF / "krippendorff2011_binary_2coders_10units.csv")
    value, tol = expected("krippendorff2011_binary_2coders_10units", "krippendorff_alpha")
    assert krippendorff_alpha(data, unit="unit", coder="observer", value="value") == pytest.approx(value, abs=tol)
    kappa, tol = expected("krippendorff2011_binary_2coders_10units", "cohen_kappa")
    assert cohen_kappa(data, unit="unit", coder="observer", value="value") == pytest.approx(kappa, abs=tol)
    # second implementation named in expected.csv
    wide = data.pivot(index="unit", columns="observer", values="value")
    table = pd.crosstab(wide["A"], wide["B"]).to_numpy()
    assert sm_cohens_kappa(table, return_results=False) == pytest.approx(kappa, abs=tol)


def test_fleiss_1971_diagnoses():
    data = pd.read_csv(REF / "fleiss1971_diagnoses.csv")
    value, tol = expected("fleiss1971_diagnoses", "fleiss_kappa")
    got = fleiss_kappa(data, unit="patient", coder="psychiatrist", value="diagnosis")
    assert got == pytest.approx(value, abs=tol)


def test_fleiss_wikipedia_counts():
    counts = pd.read_csv(REF / "fleiss_wikipedia_10x14_counts.csv")
    rows = []
    for _, row in counts.iterrows():
        rater = 0
        for category in range(1, 6):
            for _ in range(int(row[f"category_{category}"])):
                rater += 1
                rows.append((row["subject"], rater, category))
    data = pd.DataFrame(rows, columns=["subject", "rater", "category"])
    value, tol = expected("fleiss_wikipedia_10x14_counts", "fleiss_kappa")
    assert fleiss_kappa(data, unit="subject", coder="rater", value="category") == pytest.approx(value, abs=tol)


def test_cohen_wikipedia_2x2():
    table = pd.read_csv(REF / "cohen_wikipedia_2x2.csv")
    rows = []
    unit = 0
    for _, r in table.iterrows():
        for _ in range(int(r["count"])):
            unit += 1
            rows += [(unit, "A", r["reader_a"]), (unit, "B", r["reader_b"])]
    data = pd.DataFrame(rows, columns=["unit", "coder", "value"])
    value, tol = expected("cohen_wikipedia_2x2", "cohen_kappa")
    assert cohen_kappa(data, unit="unit", coder="coder", value="value") == pytest.approx(value, abs=tol)


# ---------------------------------------------- codings -> agreement table


def section_a_codings():
    """Krippendorff (2011) section A as codings: code 'x' present/absent in 10 participant turns."""
    turns = [("interviewer", "Question?")] + [("participant", f"Answer number {i} here.") for i in range(10)]
    corpus = make_corpus({"T1": turns})
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    spans = []
    for i in range(10):
        sid = f"T1:{i + 1:04d}"
        if a[i]:
            spans.append(span(corpus, "A", sid, "x", 0, 6))
        if b[i]:
            spans.append(span(corpus, "B", sid, "x", 0, 6, ann=2))
    # both coders also code 'y' somewhere, so each covers the transcript
    spans.append(span(corpus, "A", "T1:0001", "y", 7, 13))
    spans.append(span(corpus, "B", "T1:0001", "y", 7, 13, ann=2))
    return corpus, codings_frame(spans)


def test_agreement_table_reproduces_section_a():
    corpus, codings = section_a_codings()
    table = agreement_table(codings, corpus, n_boot=200, seed=1)
    assert list(table.columns) == list(AGREEMENT_COLUMNS)
    assert list(table["code"]) == ["x", "y", "overall"]
    x = table.set_index("code").loc["x"]
    alpha, tol = expected("krippendorff2011_binary_2coders_10units", "krippendorff_alpha")
    kappa, ktol = expected("krippendorff2011_binary_2coders_10units", "cohen_kappa")
    assert x["krippendorff_alpha"] == pytest.approx(alpha, abs=tol)
    assert x["cohen_kappa"] == pytest.approx(kappa, abs=ktol)
    assert x["percent_agreement"] == pytest.approx(60.0)
    assert math.isnan(x["fleiss_kappa"])
    assert (x["n_units"], x["n_units_complete"], x["n_coders"], x["n_applied"]) == (10, 10, 2, 6)
    assert x["ci_low"] <= x["krippendorff_alpha"] <= x["ci_high"]
    assert x["coders"] == "A; B"


def test_overall_pools_unit_code_decisions():
    corpus, codings = section_a_codings()
    table = agreement_table(codings, corpus, n_boot=0).set_index("code")
    # pooled: 20 (segment, code) units; y: both coded segment 1 only -> 10 agreements
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0] + [1] + [0] * 9
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0] + [1] + [0] * 9
    direct = krippendorff.alpha(reliability_data=[a, b], level_of_measurement="nominal")
    assert table.loc["overall", "krippendorff_alpha"] == pytest.approx(direct)
    assert table.loc["overall", "n_units"] == 20
    assert table.loc["overall", "percent_agreement"] == pytest.approx(100 * 16 / 20)
    assert math.isnan(table.loc["overall", "ci_low"])


def test_missing_coder_is_not_absent():
    turns = [("participant", "First answer text."), ("participant", "Second answer text.")]
    corpus = make_corpus({"T1": turns, "T2": turns})
    spans = [
        span(corpus, "A", "T1:0000", "x"),
        span(corpus, "B", "T1:0000", "x", ann=2),
        span(corpus, "A", "T2:0000", "x"),
        span(corpus, "C", "T1:0001", "x", ann=3),
    ]
    codings = codings_frame(spans)
    # B coded only T1 (inferred from codings); C coded only T1
    table = agreement_table(codings, corpus, n_boot=0).set_index("code")
    assert table.loc["x", "n_coders"] == 3
    assert table.loc["x", "n_units"] == 2  # T1's two segments; T2 has only A
    assert table.loc["x", "n_units_complete"] == 2
    # an annotation with no spans makes B present-but-absent in T2
    annotations = pd.DataFrame(
        {"coder": ["A", "A", "B", "B", "C"], "transcript_id": ["T1", "T2", "T1", "T2", "T1"], "segment_id": [None] * 5}
    )
    table2 = agreement_table(codings, corpus, annotations=annotations, n_boot=0).set_index("code")
    assert table2.loc["x", "n_units"] == 4
    assert table2.loc["x", "n_units_complete"] == 2
    # direct computation with NaN for missing
    data = np.array([[1, 1, 0], [0, 0, 1], [1, 0, np.nan], [0, 0, np.nan]], dtype=float)
    direct = krippendorff.alpha(reliability_data=data.T, level_of_measurement="nominal")
    assert table2.loc["x", "krippendorff_alpha"] == pytest.approx(direct)
    # segment-level annotations restrict coverage to that segment
    seg_ann = pd.DataFrame({"coder": ["A", "B"], "transcript_id": ["T1", "T1"], "segment_id": ["T1:0000", None]})
    table3 = agreement_table(codings, corpus, coders=["A", "B"], annotations=seg_ann, n_boot=0).set_index("code")
    assert table3.loc["x", "n_units"] == 1


def test_bootstrap_is_seeded_and_deterministic():
    corpus, codings = section_a_codings()
    one = agreement_table(codings, corpus, n_boot=300, seed=7)
    two = agreement_table(codings, corpus, n_boot=300, seed=7)
    other = agreement_table(codings, corpus, n_boot=300, seed=8)
    pd.testing.assert_frame_equal(one, two)
    assert not np.allclose(one["ci_low"].fillna(9), other["ci_low"].fillna(9))


def test_rare_code_reports_valid_resamples_and_a_note():
    # A code applied in 2 of 20 segments: A in segments 0 and 1, B in segment 0.
    corpus = make_corpus({"T1": [("participant", f"Answer number {i:02d}.") for i in range(20)]})
    codings = codings_frame(
        [span(corpus, "A", "T1:0000", "x"), span(corpus, "A", "T1:0001", "x"), span(corpus, "B", "T1:0000", "x", ann=2)]
    )
    annotations = pd.DataFrame({"coder": ["A", "B"], "transcript_id": ["T1", "T1"], "segment_id": [None, None]})
    n_boot = 2000
    table = agreement_table(codings, corpus, annotations=annotations, n_boot=n_boot, seed=5).set_index("code")
    x = table.loc["x"]
    assert x["n_boot"] == n_boot
    # Independent count: alpha is defined exactly when a resample draws segment 0 or 1
    # (otherwise every value is 0); drawing only those two segments (prob. (2/20)^20) does
    # not occur at this seed. The same resamples, counted from the draw counts directly:
    from qualquant.coding.agreement._stats import bootstrap_weights

    draws = bootstrap_weights(20, n_boot, 5)
    expected_valid = int(((draws[:, 0] + draws[:, 1]) > 0).sum())
    assert x["n_boot_valid"] == expected_valid
    # ... and it agrees with the probability 1 - (18/20)^20 = 0.87842 of drawing one of
    # them (binomial sd over 2000 resamples = 14.6; 4 sd allowed).
    assert abs(x["n_boot_valid"] - n_boot * (1 - 0.9**20)) < 4 * math.sqrt(n_boot * 0.9**20 * (1 - 0.9**20))
    assert x["n_boot_valid"] < n_boot
    assert f"from {expected_valid} of {n_boot} bootstrap resamples" in x["note"]
    assert "conditional on the code occurring" in x["note"]
    # A table without set-aside resamples has no note.
    corpus_a, codings_a = section_a_codings()
    full = agreement_table(codings_a, corpus_a, n_boot=200, seed=1)
    assert (full["n_boot_valid"] <= full["n_boot"]).all()
    ok = full[full["n_boot_valid"] == full["n_boot"]]
    assert len(ok) and (ok["note"] == "").all()
    # n_boot = 0: no resamples, no note.
    none = agreement_table(codings, corpus, annotations=annotations, n_boot=0)
    assert (none["n_boot_valid"] == 0).all() and (none["note"] == "").all()


def test_closed_forms_equal_packages_with_missing():
    rng = np.random.default_rng(3)
    for n_coders in (2, 3, 5):
        for _ in range(20):
            x = (rng.random((40, n_coders)) < rng.uniform(0.1, 0.6)).astype(float)
            x[rng.random(x.shape) < 0.15] = np.nan
            closed = _stats_from_sums(_unit_features(x).sum(axis=0), n_coders)
            point = _point_estimates(x)
            for name, value in point.items():
                assert float(closed[name]) == pytest.approx(value, nan_ok=True, abs=1e-10), (n_coders, name)


binary_tables = st.integers(min_value=2, max_value=4).flatmap(
    lambda c: st.lists(st.lists(st.sampled_from([0.0, 1.0, None]), min_size=c, max_size=c), min_size=2, max_size=25)
)


@settings(max_examples=60, deadline=None)
@given(binary_tables)
def test_kappas_in_range_and_alpha_invariant_to_coder_order(rows):
    x = np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=float)
    point = _point_estimates(x)
    for name in ("cohen_kappa", "fleiss_kappa"):
        v = point[name]
        assert math.isnan(v) or -1 - 1e-9 <= v <= 1 + 1e-9
    long = pd.DataFrame(
        [(u, f"c{j}", x[u, j]) for u in range(x.shape[0]) for j in range(x.shape[1])],
        columns=["unit", "coder", "value"],
    )
    a = krippendorff_alpha(long, unit="unit", coder="coder", value="value")
    reordered = long.assign(coder=long["coder"].map(lambda c: f"z{9 - int(c[1:])}")).iloc[::-1]
    b = krippendorff_alpha(reordered, unit="unit", coder="coder", value="value")
    assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)
    reversed_cols = _point_estimates(x[:, ::-1])
    for name, value in point.items():
        assert reversed_cols[name] == pytest.approx(value, nan_ok=True)


# ----------------------------------------------------------- span level


def test_span_agreement_counts_like_nvivo():
    corpus = make_corpus({"T1": [("interviewer", "Q?"), ("participant", "abcdefghij"), ("participant", "klmnopqrst")]})
    spans = [
        span(corpus, "A", "T1:0001", "x", 0, 6),
        span(corpus, "B", "T1:0001", "x", 4, 10, ann=2),
        span(corpus, "A", "T1:0002", "x", 0, 2),
        span(corpus, "B", "T1:0002", "y", 0, 10, ann=2),
    ]
    codings = codings_frame(spans)
    table = span_agreement(codings, corpus)
    assert list(table.columns) == list(SPAN_AGREEMENT_COLUMNS)
    x = table.set_index("code").loc["x"]
    # 20 participant characters: A codes 0-6 and 10-12, B codes 4-10
    assert (x["n_chars"], x["chars_a_only"], x["chars_b_only"], x["chars_both"], x["chars_neither"]) == (20, 6, 4, 2, 8)
    po, pa, pb = 10 / 20, 8 / 20, 6 / 20
    pe = pa * pb + (1 - pa) * (1 - pb)
    assert x["percent_agreement"] == pytest.approx(50.0)
    assert x["kappa"] == pytest.approx((po - pe) / (1 - pe))
    # the pooled span-level table gives the same kappa from the same characters
    pooled = agreement_table(codings, corpus, level="span", n_boot=50).set_index("code")
    assert pooled.loc["x", "cohen_kappa"] == pytest.approx(x["kappa"])
    assert pooled.loc["x", "n_units"] == 20
    a_chars = [1] * 6 + [0] * 4 + [1] * 2 + [0] * 8
    b_chars = [0] * 4 + [1] * 6 + [0] * 10
    direct = krippendorff.alpha(reliability_data=[a_chars, b_chars], level_of_measurement="nominal")
    assert pooled.loc["x", "krippendorff_alpha"] == pytest.approx(direct)


def test_disagreements_for_adjudication():
    corpus, codings = section_a_codings()
    table = disagreements(codings, corpus)
    assert list(table.columns) == list(DISAGREEMENT_COLUMNS)
    assert list(table["segment_id"]) == ["T1:0001", "T1:0003", "T1:0006", "T1:0009"]
    first = table.iloc[0]
    assert (first["coders_applied"], first["coders_not_applied"], first["coders_missing"]) == ("B", "A", "")
    assert first["text"] == "Answer number 0 here."
    assert disagreements(codings, corpus, excerpt_chars=6)["text"].iloc[0] == "Answer…"


# --------------------------------------------------------------- errors


def test_errors_are_clear():
    corpus, codings = section_a_codings()
    with pytest.raises(AgreementError, match="at least two coders; found 1"):
        agreement_table(codings[codings["coder"] == "A"], corpus)
    with pytest.raises(AgreementError, match="Unknown agreement level 'word'"):
        agreement_table(codings, corpus, level="word")
    with pytest.raises(AgreementError, match="n_boot must be"):
        agreement_table(codings, corpus, n_boot=-1)
    with pytest.raises(CodingError, match="no segment_id"):
        agreement_table(codings.assign(segment_id=None), corpus)
    with pytest.raises(CodingError, match="not in the corpus: T9"):
        agreement_table(codings.assign(transcript_id="T9"), corpus)
    with pytest.raises(AgreementError, match="Unknown level 'bogus'"):
        krippendorff_alpha(pd.DataFrame({"u": [1], "c": [1], "v": [1]}), unit="u", coder="c", value="v", level="bogus")
    with pytest.raises(AgreementError, match="column\\(s\\) 'v' not in the data"):
        krippendorff_alpha(pd.DataFrame({"u": [1], "c": [1]}), unit="u", coder="c", value="v")
    dup = pd.DataFrame({"u": [1, 1, 2], "c": ["a", "a", "a"], "v": [1, 2, 1]})
    with pytest.raises(AgreementError, match="coder 'a' has 2 values for unit 1"):
        krippendorff_alpha(dup, unit="u", coder="c", value="v")
    with pytest.raises(AgreementError, match="needs numbers"):
        krippendorff_alpha(
            pd.DataFrame({"u": [1, 1], "c": ["a", "b"], "v": ["x", "y"]}),
            unit="u",
            coder="c",
            value="v",
            level="interval",
        )
    assert isinstance(AgreementError("x"), ValueError)


def test_undefined_alpha_is_nan():
    same = pd.DataFrame({"u": [1, 1, 2, 2], "c": ["a", "b", "a", "b"], "v": [1, 1, 1, 1]})
    assert math.isnan(krippendorff_alpha(same, unit="u", coder="c", value="v"))


# ------------------------------------------------------------- real data

LEOKA = DATA / "label_studio" / "leoka_team8_export.json"


def test_leoka_real_export_agreement_per_label():
    from qualquant.coding.codings import split_by_segments
    from qualquant.coding.labelstudio import read_export

    leoka = LEOKA
    result = read_export(leoka)
    codings = result.codings
    assert result.counts["n_spans_valid"] == result.counts["n_spans"]
    # Tasks as transcripts, sentences as segments (news texts have no speaker turns).
    import json

    tasks = json.loads(leoka.read_text(encoding="utf-8"))
    transcripts = []
    for task in tasks:
        tid = str(task["id"])
        text = task["data"]["text"]
        segments = []
        for m in re.finditer(r"[^.!?\n]+[.!?]*", text):
            s, e = m.start(), m.end()
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e > s:
                i = len(segments)
                segments.append(Segment(tid, f"{tid}:{i:04d}", i, "", "participant", s, e, text[s:e]))
        transcripts.append(Transcript(tid, text, "en", {}, None, "utf-8", tuple(segments)))
    corpus = Corpus(tuple(transcripts))
    rows = []
    for r in codings.itertuples(index=False):
        tid = str(r.task_id)
        for sid, s, e in split_by_segments(corpus[tid], int(r.start), int(r.end)):
            rows.append(
                CodedSpan(
                    r.coder,
                    r.source,
                    tid,
                    sid,
                    r.code,
                    s,
                    e,
                    corpus[tid].text[s:e],
                    r.task_id,
                    r.annotation_id,
                    r.result_id,
                )
            )
    mapped = codings_frame(rows)
    annotations = result.annotations.assign(transcript_id=result.annotations["task_id"].astype(str), segment_id=None)
    table = agreement_table(mapped, corpus, annotations=annotations, n_boot=200, seed=0)
    labels = sorted(set(codings["code"]))
    assert list(table["code"]) == labels + ["overall"]
    assert (table["n_coders"] == 3).all()
    assert table["krippendorff_alpha"].between(-1, 1).all()
    assert table["fleiss_kappa"].dropna().between(-1, 1).all()
    # direct computation for one label: coders x sentences, NaN where the coder did not annotate the task
    coders = sorted(set(codings["coder"]))
    covered = {(c, str(t)) for c, t in zip(result.annotations["coder"], result.annotations["task_id"])}
    for label in ("Person", "Firearm"):
        present = {(r.coder, r.segment_id) for r in mapped[mapped["code"] == label].itertuples()}
        data = [
            [
                (1.0 if (c, s.segment_id) in present else 0.0) if (c, s.transcript_id) in covered else np.nan
                for t in corpus
                for s in t.segments
            ]
            for c in coders
        ]
        direct = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        got = table.set_index("code").loc[label, "krippendorff_alpha"]
        assert got == pytest.approx(direct), label
    spans = span_agreement(mapped, corpus, annotations=annotations)
    assert set(spans["code"]) == set(labels)
    assert spans["kappa"].dropna().between(-1, 1).all()
    assert (
        (spans["chars_a_only"] + spans["chars_b_only"] + spans["chars_both"] + spans["chars_neither"])
        == spans["n_chars"]
    ).all()


# ------------------------------------------------- predictions as a coder

# Hand-made presence (1 = code applied in the segment) for 10 participant segments
# (T1:0000-0004, T2:0000-0004), two human coders and one model. The model's codes
# are known, so every statistic can be recomputed independently below.
_PRESENCE = {
    "a": {
        "h1": [1, 1, 0, 0, 1, 0, 1, 0, 0, 1],
        "h2": [1, 0, 0, 0, 1, 0, 1, 1, 0, 1],
        "model-v1": [1, 1, 0, 1, 1, 0, 0, 0, 0, 1],
    },
    "b": {
        "h1": [0, 0, 1, 1, 0, 0, 0, 1, 0, 0],
        "h2": [0, 0, 1, 1, 0, 1, 0, 1, 0, 0],
        "model-v1": [0, 1, 1, 0, 0, 0, 0, 1, 1, 0],
    },
}


def _with_predictions():
    turns = [("participant", f"Answer number {i} about the move.") for i in range(5)]
    corpus = make_corpus({"T1": turns, "T2": turns})
    segments = [f"T{t}:{i:04d}" for t in (1, 2) for i in range(5)]
    rows = []
    for code, by_coder in _PRESENCE.items():
        for coder, values in by_coder.items():
            source = "prediction" if coder == "model-v1" else "human"
            for seg_id, v in zip(segments, values):
                if v:
                    s = span(corpus, coder, seg_id, code, 0, 6)
                    rows.append(
                        CodedSpan(
                            coder,
                            source,
                            s.transcript_id,
                            s.segment_id,
                            code,
                            s.start,
                            s.end,
                            s.text,
                            1,
                            1,
                            s.result_id,
                        )
                    )
    return corpus, codings_frame(rows)


def _reference(codes, coders):
    """Independent values: krippendorff.alpha on the coders x units matrix, statsmodels' Fleiss kappa
    on the units x {0, 1} count table, percent agreement as the mean share of agreeing coder pairs."""
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

    matrix = np.array([[v for c in codes for v in _PRESENCE[c][coder]] for coder in coders], dtype=float)
    alpha = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    ones = matrix.sum(axis=0)
    counts = np.column_stack([len(coders) - ones, ones])
    pairs = [(i, j) for i in range(len(coders)) for j in range(i + 1, len(coders))]
    pct = 100 * np.mean([np.mean([matrix[i, u] == matrix[j, u] for i, j in pairs]) for u in range(matrix.shape[1])])
    kappa = sm_fleiss_kappa(counts, method="fleiss") if len(coders) > 2 else cohen_kappa_score(matrix[0], matrix[1])
    return alpha, kappa, pct


def test_agreement_compares_human_coders_by_default():
    corpus, codings = _with_predictions()
    table = agreement_table(codings, corpus, n_boot=0).set_index("code")
    assert set(table["coders"]) == {"h1; h2"} and set(table["n_coders"]) == {2}
    for code in ("a", "b"):
        alpha, kappa, pct = _reference([code], ["h1", "h2"])
        assert table.loc[code, "krippendorff_alpha"] == pytest.approx(alpha, abs=1e-12)
        assert table.loc[code, "cohen_kappa"] == pytest.approx(kappa, abs=1e-12)
        assert table.loc[code, "percent_agreement"] == pytest.approx(pct)


def test_predictions_enter_as_one_more_coder():
    corpus, codings = _with_predictions()
    table = agreement_table(codings, corpus, include_predictions=True, n_boot=0).set_index("code")
    named = agreement_table(codings, corpus, coders=["h1", "h2", "model-v1"], n_boot=0).set_index("code")
    pd.testing.assert_frame_equal(table, named)
    assert set(table["coders"]) == {"h1; h2; model-v1"} and set(table["n_coders"]) == {3}
    for code, codes in (("a", ["a"]), ("b", ["b"]), ("overall", ["a", "b"])):
        alpha, kappa, pct = _reference(codes, ["h1", "h2", "model-v1"])
        row = table.loc[code]
        assert row["krippendorff_alpha"] == pytest.approx(alpha, abs=1e-12)
        assert row["fleiss_kappa"] == pytest.approx(kappa, abs=1e-12)
        assert row["percent_agreement"] == pytest.approx(pct)
        assert math.isnan(row["cohen_kappa"])
        assert row["n_units"] == 10 * len(codes) and row["n_units_complete"] == 10 * len(codes)
    # the model changes the numbers (it is really compared), e.g. alpha of code a
    human = agreement_table(codings, corpus, n_boot=0).set_index("code")
    assert table.loc["a", "krippendorff_alpha"] != pytest.approx(human.loc["a", "krippendorff_alpha"])
    # the disagreement list and span agreement take the same option
    dis = disagreements(codings, corpus, include_predictions=True)
    assert dis["coders_applied"].str.contains("model-v1").any()
    spans = span_agreement(codings, corpus, include_predictions=True)
    assert {"model-v1"} <= set(spans["coder_b"])


def test_include_predictions_without_predictions_is_a_clear_error():
    corpus, codings = _with_predictions()
    human = codings[codings["source"] == "human"]
    with pytest.raises(AgreementError, match=r"include_predictions=True, but the codings hold no predictions"):
        agreement_table(human, corpus, include_predictions=True, n_boot=0)
