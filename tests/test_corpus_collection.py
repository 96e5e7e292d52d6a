"""Cases tables, corpus reading and reconciliation, and the whole bundled demo corpus."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from qualquant import pipelines
from qualquant.corpus import (
    CasesFileError,
    Corpus,
    CorpusError,
    NoSpeakerLabelsWarning,
    TranscriptReadError,
    read_cases,
    read_corpus,
)

DEMO = Path(pipelines.__file__).parent / "demo_data"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# ------------------------------------------------------------------ cases
def test_read_cases_csv_keyed_by_case_id(tmp_path):
    path = _write(tmp_path / "cases.csv", "case_id;age;city\n007;27;Алматы\n 008 ;31;Астана\n", "cp1251")
    cases = read_cases(path)
    assert cases.index.name == "case_id"
    assert list(cases.index) == ["007", "008"]  # ids stay strings, spaces removed
    assert cases.loc["008", "city"] == "Астана"
    assert int(cases.loc["007", "age"]) == 27


def test_read_cases_xlsx(tmp_path):
    path = tmp_path / "cases.xlsx"
    pd.DataFrame({"id": [1, 2], "city": ["Oral", "Aktobe"]}).to_excel(path, index=False)
    cases = read_cases(path, id_column="id")
    assert list(cases.index) == ["1", "2"]
    assert cases.loc["2", "city"] == "Aktobe"


def test_cases_without_id_column(tmp_path):
    path = _write(tmp_path / "cases.csv", "id,age\nINT01,27\n")
    with pytest.raises(CasesFileError) as info:
        read_cases(path)
    assert str(info.value) == (
        f"{path}: no column 'case_id' (columns: id, age). Name the column that holds the case ids "
        "(case_column in study.toml, id_column=..., or --case-id-column on the command line)."
    )


def test_missing_id_column_names_close_matches(tmp_path):
    path = _write(tmp_path / "cases.csv", "interview_id,age\nINT01,27\n")
    with pytest.raises(CasesFileError) as info:
        read_cases(path, id_column="interview")
    assert str(info.value).startswith(
        f"{path}: no column 'interview' (columns: interview_id, age); did you mean 'interview_id'? Name the column"
    )


def test_read_corpus_declared_encoding_per_file(tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "A.txt").write_bytes("Интервьюер: Как дела?\nРеспондент: Хорошо, спасибо.\n".encode("koi8-r"))
    (folder / "B.txt").write_bytes("Interviewer: Wie geht's?\nParticipant: Gut, schön, für mich.\n".encode("cp1252"))
    (folder / "C.txt").write_bytes("Интервьюер: Как дела?\nРеспондент: Хорошо.\n".encode())
    declared = {"A.txt": "koi8-r", "B.txt": "cp1252"}
    corpus = read_corpus(folder, encoding=lambda p: declared.get(p.name))
    assert [t.encoding for t in corpus] == ["koi8-r", "cp1252", "utf-8"]
    assert "Хорошо, спасибо" in corpus["A"].text and "schön" in corpus["B"].text
    with pytest.raises(TranscriptReadError, match=r"A\.txt line 1: read as cp1252"):
        read_corpus(folder, encoding="cp1252")


def test_duplicate_case_ids_name_both_lines(tmp_path):
    path = _write(tmp_path / "cases.csv", "case_id,age\nINT01,27\nINT02,30\nINT01,31\n")
    with pytest.raises(CasesFileError) as info:
        read_cases(path)
    assert str(info.value) == (
        f"{path} lines 2 and 4: duplicate case id 'INT01'. Each case must have exactly one row; "
        "merge or remove the duplicate."
    )


def test_empty_case_id(tmp_path):
    path = _write(tmp_path / "cases.csv", "case_id,age\nINT01,27\n,30\n")
    with pytest.raises(CasesFileError) as info:
        read_cases(path)
    assert str(info.value) == (f"{path} line 3: empty case id in column 'case_id'. Fill in the id or delete the row.")


# ----------------------------------------------------------------- corpus
@pytest.fixture()
def small(tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    _write(folder / "A10.txt", "И: вопрос?\nР: ответ.\n")
    _write(folder / "A2.txt", "И: вопрос два?\nР: ответ два.\n")
    _write(folder / "notes.pdf", "not read")
    _write(tmp_path / "cases.csv", "case_id,age\nA2,20\nA3,30\n")
    return tmp_path


def test_reconciliation_lists_every_record_set_aside(small):
    corpus = read_corpus(small / "transcripts", cases=small / "cases.csv")
    assert corpus.ids == ("A2", "A10")  # natural order
    assert corpus["A2"].metadata["case_id"] == "A2"
    assert "case_id" not in corpus["A10"].metadata
    rec = corpus.reconciliation
    assert list(rec.columns) == ["kind", "file", "case_id", "message"]
    assert sorted(zip(rec["kind"], rec["case_id"].fillna(""))) == [
        ("case_without_transcript", "A3"),
        ("skipped_file", ""),
        ("transcript_without_case", ""),
    ]
    row = rec[rec["kind"] == "transcript_without_case"].iloc[0]
    assert row["message"] == (
        "Transcript A10 has no row in the cases table; it is kept without case data. Add a row for it or fix the id."
    )
    assert len(corpus.cases) == 2  # nothing dropped
    assert corpus.summary()["reconciliation"] == {
        "case_without_transcript": 1,
        "skipped_file": 1,
        "transcript_without_case": 1,
    }


def test_case_column_maps_transcripts_to_cases(small):
    cases = pd.DataFrame({"case_id": ["C1", "C2"], "file": ["A2.txt", "A10"]})
    corpus = read_corpus(small / "transcripts" / "*.txt", cases=cases, case_column="file")
    assert corpus.case_id("A2") == "C1" and corpus.case_id("A10") == "C2"
    assert corpus.reconciliation.empty
    with pytest.raises(CasesFileError, match="no column 'transcript'"):
        read_corpus(small / "transcripts" / "*.txt", cases=cases, case_column="transcript")


def test_unlabelled_transcript_is_in_the_reconciliation(small):
    _write(small / "transcripts" / "A5.txt", "просто текст без меток\n")
    with pytest.warns(NoSpeakerLabelsWarning):
        corpus = read_corpus(small / "transcripts")
    assert list(corpus.reconciliation["kind"]) == ["no_speaker_labels", "skipped_file"]


def test_duplicate_transcript_ids_and_missing_paths(small):
    _write(small / "transcripts" / "A2.md", "И: ещё\n")
    with pytest.raises(CorpusError, match="Two transcripts have the id 'A2'"):
        read_corpus(small / "transcripts")
    with pytest.raises(TranscriptReadError, match="no such file or directory"):
        read_corpus(small / "missing")
    with pytest.raises(TranscriptReadError, match="No files match"):
        read_corpus(str(small / "transcripts" / "*.docx"))


def test_segments_frame_and_summary(small):
    corpus = read_corpus([small / "transcripts" / "A2.txt"])
    frame = corpus.segments_frame()
    assert list(frame.columns) == [
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
    ]
    assert frame["segment_id"].tolist() == ["A2:0000", "A2:0001"]
    assert frame["n_words"].tolist() == [2, 2]
    summary = corpus.summary()
    assert summary["segments_by_role"] == {"interviewer": 1, "participant": 1, "other": 0}
    assert summary["encodings"] == {"utf-8": 1}
    assert isinstance(corpus, Corpus) and len(corpus) == 1 and "A2" in corpus


# ------------------------------------------------------------ demo corpus
def test_whole_demo_corpus():
    assert (DEMO / "transcripts").is_dir(), "demo transcripts are missing"
    with warnings.catch_warnings():
        warnings.simplefilter("error", NoSpeakerLabelsWarning)
        corpus = read_corpus(DEMO / "transcripts", cases=DEMO / "cases.csv")
    assert len(corpus) == 20
    assert corpus.ids == tuple(f"INT{i:02d}" for i in range(1, 21))
    assert len(corpus.cases) == 20
    assert corpus.reconciliation.empty
    expected_encoding = {"INT16": "cp1251", "INT04": "docx", "INT12": "docx"}
    for t in corpus:
        assert t.encoding == expected_encoding.get(t.id, "utf-8"), t.id
        assert t.metadata["case_id"] == t.id
        assert t.language == "ru"
        roles = {s.role for s in t.segments}
        assert {"interviewer", "participant"} <= roles, t.id
        for s in t.segments:
            assert t.text[s.start : s.end] == s.text
            assert s.text.strip() == s.text and s.text
    assert corpus["INT08"].metadata["format"] == "vtt"
    assert all(s.timestamp for s in corpus["INT08"].segments)
    assert {t.metadata["format"] for t in corpus} == {"txt", "docx", "vtt"}
