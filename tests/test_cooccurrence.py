"""Tests of coding.cooccurrence against hand counts and an independent Fisher test."""

from __future__ import annotations

from math import comb

import pandas as pd
import pytest

from qualquant.coding import CodedSpan, codings_frame
from qualquant.coding.cooccurrence import COOCCURRENCE_COLUMNS, cooccurrence
from qualquant.corpus import Corpus, Segment, Transcript


def make_corpus(n: int = 10) -> Corpus:
    text, segments, pos = "", [], 0
    for i in range(n):
        turn = f"Turn {i} says some words here."
        if i:
            text += "\n"
            pos += 1
        segments.append(Segment("T1", f"T1:{i:04d}", i, "P", "participant", pos, pos + len(turn), turn))
        text += turn
        pos += len(turn)
    return Corpus((Transcript("T1", text, "en", {"case_id": "T1"}, None, "utf-8", tuple(segments)),))


def code_span(corpus, i, code, a, b, rid, coder="A"):
    seg = corpus["T1"].segments[i]
    s, e = seg.start + a, seg.start + b
    return CodedSpan(coder, "human", "T1", seg.segment_id, code, s, e, corpus["T1"].text[s:e], 1, 1, rid)


def fisher_two_sided(table) -> float:
    """Independent two-sided Fisher exact p: sum of hypergeometric probabilities <= the observed one."""
    (a, b), (c, d) = table
    row1, col1, n = a + b, a + c, a + b + c + d

    def prob(x):
        return comb(col1, x) * comb(n - col1, row1 - x) / comb(n, row1)

    observed = prob(a)
    lo, hi = max(0, row1 + col1 - n), min(row1, col1)
    return sum(prob(x) for x in range(lo, hi + 1) if prob(x) <= observed * (1 + 1e-7))


def test_counts_jaccard_fisher():
    corpus = make_corpus()
    spans = [code_span(corpus, i, "a", 0, 6, f"a{i}") for i in range(0, 4)]
    spans += [code_span(corpus, i, "b", 3, 10, f"b{i}") for i in range(2, 6)]
    spans += [code_span(corpus, 9, "c", 0, 4, "c9")]
    table = cooccurrence(codings_frame(spans), corpus)
    assert list(table.columns) == list(COOCCURRENCE_COLUMNS)
    assert [(r.code_a, r.code_b) for r in table.itertuples()] == [("a", "b"), ("a", "c"), ("b", "c")]
    ab = table.iloc[0]
    assert (ab["n_segments"], ab["n_both"], ab["n_a"], ab["n_b"]) == (10, 2, 4, 4)
    assert ab["jaccard"] == pytest.approx(2 / 6)
    assert ab["odds_ratio"] == pytest.approx((2 * 4) / (2 * 2))
    assert ab["p_value"] == pytest.approx(fisher_two_sided([[2, 2], [2, 4]]))
    assert ab["n_overlapping_spans"] == 2  # segments 2 and 3: a [0,6) and b [3,10) overlap
    ac = table.iloc[1]
    assert (ac["n_both"], ac["jaccard"], ac["n_overlapping_spans"]) == (0, 0.0, 0)
    assert ac["p_value"] == pytest.approx(fisher_two_sided([[0, 4], [1, 5]]))
    # Benjamini-Hochberg by hand
    p = table["p_value"].to_numpy()
    order = p.argsort()
    m = len(p)
    adjusted = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * m / rank)
        adjusted[i] = running
    assert table["p_adjusted"].to_numpy() == pytest.approx(adjusted)


def test_same_segment_without_overlap_and_multilabel_span():
    corpus = make_corpus(3)
    spans = [
        code_span(corpus, 0, "a", 0, 4, "x1"),
        code_span(corpus, 0, "b", 10, 15, "x2"),
        code_span(corpus, 1, "a", 0, 8, "both"),
        code_span(corpus, 1, "b", 0, 8, "both"),
    ]
    row = cooccurrence(codings_frame(spans), corpus).iloc[0]
    assert row["n_both"] == 2
    assert row["n_overlapping_spans"] == 1  # one Label Studio span carrying both labels


def test_overlap_only_within_one_coder_and_consensus():
    corpus = make_corpus(4)
    spans = [
        code_span(corpus, 0, "a", 0, 8, "r1", "A"),
        code_span(corpus, 0, "b", 0, 8, "r2", "B"),
        code_span(corpus, 0, "a", 0, 8, "r3", "B"),
        code_span(corpus, 0, "b", 2, 9, "r4", "A"),
    ]
    codings = codings_frame(spans)
    with pytest.raises(ValueError, match="holds 2 coders"):
        cooccurrence(codings, corpus)
    row = cooccurrence(codings, corpus, coder="A").iloc[0]
    assert (row["n_both"], row["n_overlapping_spans"]) == (1, 1)
    consensus = cooccurrence(codings, corpus, coder="consensus", rule="intersection").iloc[0]
    assert consensus["n_both"] == 1


def test_deterministic_and_codes_param():
    corpus = make_corpus()
    spans = [code_span(corpus, i, "a", 0, 6, f"a{i}") for i in range(5)]
    spans += [code_span(corpus, i, "b", 0, 6, f"b{i}") for i in range(3, 8)]
    codings = codings_frame(spans)
    pd.testing.assert_frame_equal(cooccurrence(codings, corpus), cooccurrence(codings, corpus))
    table = cooccurrence(codings, corpus, codes=["b", "a", "z"])
    assert [(r.code_a, r.code_b) for r in table.itertuples()] == [("b", "a"), ("b", "z"), ("a", "z")]
    assert table.iloc[1]["n_b"] == 0
