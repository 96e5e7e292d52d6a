"""Tests of coding.matrices: segment x code and case x code matrices, theme frequencies."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualquant import pipelines
from qualquant.coding import CodedSpan, codings_frame, read_codebook
from qualquant.coding.errors import CodingError
from qualquant.coding.matrices import (
    _WORD_RE,
    EXCLUDED_CODINGS_COLUMNS,
    THEME_FREQUENCY_COLUMNS,
    case_code_matrix,
    excluded_codings,
    segment_code_matrix,
    theme_frequencies,
)
from qualquant.corpus import Corpus, Segment, Transcript
from qualquant.corpus.model import count_words

DEMO = Path(pipelines.__file__).parent / "demo_data"


def make_corpus():
    """Three cases; every participant turn has a known number of words."""
    turns = {
        "C1": [
            ("interviewer", "How did you come?"),
            ("participant", "We came by car with friends."),
            ("interviewer", "And then?"),
            ("participant", "Then we rented a flat together."),
        ],
        "C2": [("interviewer", "Where do you work?"), ("participant", "I work remotely for a Moscow firm.")],
        "C3": [("interviewer", "Plans?"), ("participant", "Maybe stay, maybe leave.")],
    }
    transcripts = []
    for tid, items in turns.items():
        text, segments, pos = "", [], 0
        for i, (role, turn) in enumerate(items):
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
    cases = pd.DataFrame(
        {"legal_status": ["permit", "temporary", "permit"]}, index=pd.Index(["C1", "C2", "C3"], name="case_id")
    )
    return Corpus(tuple(transcripts), cases)


def coded(corpus, coder, segment_id, code, word_from, word_to, rid):
    """A span covering words [word_from, word_to) of a segment."""
    tid = segment_id.split(":")[0]
    t = corpus[tid]
    seg = next(s for s in t.segments if s.segment_id == segment_id)
    words = list(_WORD_RE.finditer(seg.text))
    s = seg.start + words[word_from].start()
    e = seg.start + words[word_to - 1].end()
    return CodedSpan(coder, "human", tid, segment_id, code, s, e, t.text[s:e], 1, 1, rid)


@pytest.fixture()
def setup():
    corpus = make_corpus()
    spans = [
        coded(corpus, "A", "C1:0001", "bonding", 0, 6, "r1"),  # 6 of 6 words
        coded(corpus, "A", "C1:0001", "offline", 1, 3, "r2"),  # 2 of 6
        coded(corpus, "A", "C1:0003", "bonding", 0, 2, "r3"),  # 2 of 6
        coded(corpus, "A", "C1:0003", "bonding", 4, 6, "r4"),  # +2 of 6 (second span)
        coded(corpus, "A", "C1:0003", "housing", 3, 5, "r5"),  # 2 of 6
        coded(corpus, "A", "C2:0001", "financial", 0, 3, "r6"),  # 3 of 7
        coded(corpus, "A", "C3:0001", "plans_stay", 0, 2, "r7"),  # 2 of 4
        coded(corpus, "A", "C1:0000", "bonding", 0, 2, "r8"),  # interviewer turn: not counted
    ]
    return corpus, codings_frame(spans)


def test_word_pattern_matches_corpus_count_words(setup):
    corpus, _ = setup
    for t in corpus:
        for s in t.segments:
            assert sum(1 for _ in _WORD_RE.finditer(s.text)) == count_words(s.text)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab я-'’ ,.1_\n")), max_size=40))
def test_word_pattern_property(text):
    assert sum(1 for _ in _WORD_RE.finditer(text)) == count_words(text)


def test_segment_code_matrix_values(setup):
    corpus, codings = setup
    presence = segment_code_matrix(codings, corpus)
    assert list(presence.index) == ["C1:0001", "C1:0003", "C2:0001", "C3:0001"]
    assert list(presence.columns) == ["bonding", "financial", "housing", "offline", "plans_stay"]
    assert presence.loc["C1:0003"].to_dict() == {
        "bonding": 1,
        "financial": 0,
        "housing": 1,
        "offline": 0,
        "plans_stay": 0,
    }
    count = segment_code_matrix(codings, corpus, value="count")
    assert count.loc["C1:0003", "bonding"] == 2
    coverage = segment_code_matrix(codings, corpus, value="coverage")
    assert coverage.loc["C1:0001", "bonding"] == pytest.approx(1.0)
    assert coverage.loc["C1:0003", "bonding"] == pytest.approx(4 / 6)
    assert coverage.loc["C2:0001", "financial"] == pytest.approx(3 / 7)
    all_roles = segment_code_matrix(codings, corpus, roles=None)
    assert all_roles.loc["C1:0000", "bonding"] == 1 and len(all_roles) == 8


def test_excluded_codings_lists_every_coding_outside_the_roles(setup):
    corpus, codings = setup
    extra = codings_frame([coded(corpus, "B", "C2:0000", "financial", 0, 2, "r9")])  # interviewer, second coder
    both = pd.concat([codings, extra], ignore_index=True)
    out = excluded_codings(both, corpus)
    assert list(out.columns) == list(EXCLUDED_CODINGS_COLUMNS)
    assert out[["coder", "segment_id", "role", "code", "result_id"]].values.tolist() == [
        ["A", "C1:0000", "interviewer", "bonding", "r8"],
        ["B", "C2:0000", "interviewer", "financial", "r9"],
    ]
    assert set(out["reason"]) == {"coded segment is not a participant turn: not used for matrices"}
    # exactly the rows the matrices leave out: kept + excluded = all
    kept = both[both["segment_id"].isin(set(segment_code_matrix(both, corpus, coder="A").index))]
    assert len(kept) + len(out) == len(both)
    assert excluded_codings(both, corpus, roles=None).empty
    assert len(excluded_codings(both, corpus, roles=("participant", "interviewer"))) == 0
    only_interviewer = excluded_codings(both, corpus, roles=("interviewer",))
    assert len(only_interviewer) == len(both) - 2
    assert only_interviewer["reason"][0] == "coded segment is not an interviewer turn: not used for matrices"
    with pytest.raises(CodingError, match="lacks column"):
        excluded_codings(both.drop(columns=["segment_id"]), corpus)


def test_matrix_with_codebook_has_every_code():
    corpus = make_corpus()
    codebook = read_codebook(DEMO / "codebook.toml")
    spans = [coded(corpus, "A", "C2:0001", "financial", 0, 3, "r6")]
    matrix = segment_code_matrix(codings_frame(spans), corpus, codebook=codebook)
    assert list(matrix.columns) == list(codebook.code_ids)
    assert int(matrix.to_numpy().sum()) == 1


def test_code_list_with_an_unknown_id_is_an_error_naming_it_and_close_ids(setup):
    from qualquant.coding.agreement import agreement_table
    from qualquant.coding.cooccurrence import cooccurrence
    from qualquant.coding.errors import UnknownCodeError

    corpus, codings = setup
    codebook = read_codebook(DEMO / "codebook.toml")
    pattern = r"names 'bondng', which is not a code of the codebook codebook\.toml; did you mean 'bonding'"
    with pytest.raises(UnknownCodeError, match=pattern):
        case_code_matrix(codings, corpus, codebook=codebook, codes=["bondng", "offline"])
    with pytest.raises(ValueError, match=pattern):  # also a ValueError
        cooccurrence(codings, corpus, codebook=codebook, codes=["offline", "bondng"])
    with pytest.raises(UnknownCodeError, match=pattern):
        agreement_table(
            codings.assign(coder="B").pipe(lambda b: pd.concat([codings, b])),
            corpus,
            codebook=codebook,
            codes=["bondng"],
            n_boot=0,
        )
    ok = case_code_matrix(codings, corpus, codebook=codebook, codes=["bonding", "offline"])
    assert list(ok.columns) == ["bonding", "offline"]


def test_case_code_matrix_values(setup):
    corpus, codings = setup
    presence = case_code_matrix(codings, corpus)
    assert list(presence.index) == ["C1", "C2", "C3"]
    assert presence.loc["C1", "bonding"] == 1 and presence.loc["C2", "bonding"] == 0
    count = case_code_matrix(codings, corpus, value="count")
    assert count.loc["C1", "bonding"] == 3  # r1, r3, r4 (r8 is in an interviewer turn)
    coverage = case_code_matrix(codings, corpus, value="coverage")
    assert coverage.loc["C1", "bonding"] == pytest.approx((6 + 4) / 12)
    assert coverage.loc["C3", "plans_stay"] == pytest.approx(2 / 4)


def test_span_over_two_segments_counts_once_per_case():
    corpus = make_corpus()
    t = corpus["C1"]
    s1, s3 = t.segments[1], t.segments[3]
    rows = [
        CodedSpan("A", "human", "C1", s1.segment_id, "bonding", s1.start, s1.end, s1.text, 1, 1, "same"),
        CodedSpan("A", "human", "C1", s3.segment_id, "bonding", s3.start, s3.end, s3.text, 1, 1, "same"),
    ]
    codings = codings_frame(rows)
    assert case_code_matrix(codings, corpus, value="count").loc["C1", "bonding"] == 1
    assert segment_code_matrix(codings, corpus, value="count")["bonding"].sum() == 2


def test_theme_frequencies(setup):
    corpus, codings = setup
    table = theme_frequencies(codings, corpus)
    assert list(table.columns) == list(THEME_FREQUENCY_COLUMNS)
    bonding = table.set_index("code").loc["bonding"]
    assert (bonding["n_cases"], bonding["n_cases_total"], bonding["n_segments"], bonding["n_spans"]) == (1, 3, 2, 3)
    assert bonding["pct_cases"] == pytest.approx(100 / 3)
    total_words = 6 + 6 + 7 + 4
    assert bonding["coverage"] == pytest.approx(10 / total_words)
    assert bonding["facet"] is None


def test_theme_frequencies_by_case_attribute(setup):
    corpus, codings = setup
    codebook = read_codebook(DEMO / "codebook.toml")
    table = theme_frequencies(codings, corpus, codebook, by="legal_status")
    assert list(table.columns) == ["legal_status", *THEME_FREQUENCY_COLUMNS]
    assert list(dict.fromkeys(table["legal_status"])) == ["permit", "temporary"]
    assert len(table) == 2 * len(codebook)
    permit = table[table["legal_status"] == "permit"].set_index("code")
    assert permit.loc["bonding", "n_cases_total"] == 2
    assert permit.loc["bonding", "pct_cases"] == pytest.approx(50.0)
    assert permit.loc["plans_stay", "coverage"] == pytest.approx(2 / (12 + 4))
    assert permit.loc["bonding", "facet"] == "capital_type"
    temporary = table[table["legal_status"] == "temporary"].set_index("code")
    assert temporary.loc["financial", "pct_cases"] == pytest.approx(100.0)
    assert temporary.loc["bonding", "n_cases"] == 0


def test_missing_group_value(setup):
    corpus, codings = setup
    cases = corpus.cases.copy()
    cases.loc["C3", "legal_status"] = None
    corpus2 = Corpus(corpus.transcripts, cases)
    table = theme_frequencies(codings, corpus2, by="legal_status")
    assert "(missing)" in set(table["legal_status"])


def test_coder_selection(setup):
    corpus, codings = setup
    b = codings.assign(coder="B")
    both = pd.concat([codings, b[b["code"] != "housing"]], ignore_index=True)
    with pytest.raises(CodingError, match="holds 2 coders \\(A, B\\); choose one"):
        segment_code_matrix(both, corpus)
    only_b = segment_code_matrix(both, corpus, coder="B")
    assert only_b["housing"].sum() == 0
    union = segment_code_matrix(both, corpus, coder="consensus", rule="union")
    inter = segment_code_matrix(both, corpus, coder="consensus", rule="intersection")
    assert union.loc["C1:0003", "housing"] == 1 and inter.loc["C1:0003", "housing"] == 0
    with pytest.raises(CodingError, match="Coder 'Z' has no codings"):
        segment_code_matrix(both, corpus, coder="Z")


def test_errors(setup):
    corpus, codings = setup
    with pytest.raises(CodingError, match="Unknown matrix value 'share'"):
        segment_code_matrix(codings, corpus, value="share")
    with pytest.raises(CodingError, match="by='city' is not a column of the cases table; available: legal_status"):
        theme_frequencies(codings, corpus, by="city")
    with pytest.raises(CodingError, match="lacks column\\(s\\) segment_id"):
        case_code_matrix(codings.drop(columns="segment_id"), corpus)


def test_demo_corpus_frequencies_run():
    from qualquant.corpus import read_corpus

    corpus = read_corpus(DEMO / "transcripts", cases=DEMO / "cases.csv")
    codebook = read_codebook(DEMO / "codebook.toml")
    t = corpus.transcripts[0]
    seg = t.segments_by_role("participant")[0]
    codings = codings_frame(
        [CodedSpan("A", "human", t.id, seg.segment_id, "bonding", seg.start, seg.end, seg.text, 1, 1, "r")]
    )
    table = theme_frequencies(codings, corpus, codebook, by="legal_status")
    row = table[(table["code"] == "bonding") & (table["n_cases"] == 1)]
    assert len(row) == 1
    assert table.groupby("legal_status")["n_cases_total"].first().sum() == len(corpus)
