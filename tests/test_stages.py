"""The survey stage's crosstab notes (pipelines/stages/_registry.py) and the exports and report that carry them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from qualquant import pipelines
from qualquant.pipelines import stages
from qualquant.pipelines.stages._run import run_study
from qualquant.pipelines.study import read_study

DEMO = Path(pipelines.__file__).parent / "demo_data"


@pytest.fixture(scope="module")
def survey_run(tmp_path_factory):
    """The demo study's survey stage with a second crosstab, then exports and report."""
    root = tmp_path_factory.mktemp("study")
    shutil.copytree(DEMO, root / "demo")
    toml = root / "demo" / "study.toml"
    text = toml.read_text(encoding="utf-8")
    one = 'crosstabs = [["legal_status", "belonging"]]'
    assert one in text
    toml.write_text(
        text.replace(one, 'crosstabs = [["legal_status", "belonging"], ["age_group", "belonging"]]'), encoding="utf-8"
    )
    out = root / "out"
    result = run_study(read_study(toml, out=out), only=["survey", "exports", "report"], show_progress=False)
    return out, result


def test_expected_count_note_warns_only_when_a_cell_is_below_5(survey_run):
    # Expected counts from quant.crosstab on the demo survey (n = 787): legal_status x belonging
    # has a minimum expected count of 8.48 (no cell below 5); age_group x belonging has 4 of 30
    # cells below 5 (minimum 1.98).
    _, result = survey_run
    survey = [w for stage, w in result.warnings if stage == "survey" and "expected count" in w]
    assert survey == [
        "crosstab age_group x belonging: 4 cells (13.3%) have expected count less than 5. "
        "The minimum expected count is 1.98."
    ]


def test_expected_count_note_stays_in_tables_and_report(survey_run):
    out, _ = survey_run
    footnote = "0 cells (0.0%) have expected count less than 5. The minimum expected count is 8.48."
    assert footnote in (out / "tables.md").read_text(encoding="utf-8")
    assert footnote in (out / "report.html").read_text(encoding="utf-8")
    notes = pd.read_excel(out / "tables.xlsx", sheet_name="xt_legal_status_belonging_notes")
    assert notes["footnote"].tolist()[0] == footnote
    warnings = pd.read_csv(out / "warnings.csv", encoding="utf-8-sig")
    assert not warnings["warning"].str.contains("0 cells (0.0%)", regex=False).any()


def test_output_stages_are_importable_from_stages():
    from qualquant.pipelines.stages import _output as stages_output

    assert [s.name for s in stages.STAGES][-2:] == ["exports", "report"]
    assert stages.STAGES[-2].run is stages_output.stage_exports
    assert stages.export_tables is stages_output.export_tables
    assert stages.warnings_frame is stages_output.warnings_frame


# --------------------------------------------------------------------------- unlinked transcripts (issue 11, item 4)


def _demo_copy(root: Path) -> Path:
    """A copy of the demo study with a 21st transcript, INT21 (the text of INT01 with one more answer)."""
    shutil.copytree(DEMO, root)
    text = (root / "transcripts" / "INT01.txt").read_text(encoding="utf-8")
    (root / "transcripts" / "INT21.txt").write_text(
        text + "Респондент: Потом сосед помог с документами.\n", encoding="utf-8"
    )
    return root / "study.toml"


@pytest.fixture(scope="module")
def unlinked_run(tmp_path_factory):
    """The whole demo pipeline with a transcript (INT21) that has no row in cases.csv."""
    root = tmp_path_factory.mktemp("unlinked")
    toml = _demo_copy(root / "study")
    out = root / "out"
    result = run_study(read_study(toml, out=out), show_progress=False)
    return out, result


def test_transcript_without_case_row_does_not_stop_the_run(unlinked_run):
    out, result = unlinked_run
    assert {o.name: o.status for o in result.outcomes} == {s.name: "ran" for s in stages.STAGES}
    assert (out / "report.html").is_file()
    recon = pd.read_csv(out / "reconciliation.csv", encoding="utf-8-sig")
    row = recon[recon["kind"] == "transcript_without_case"]
    assert row["file"].tolist() == ["transcripts/INT21.txt"]  # relative to the study folder
    assert "INT21 has no row in the cases table" in row["message"].iloc[0]


def test_topic_effects_leave_out_the_unlinked_transcript_and_say_so(unlinked_run):
    out, result = unlinked_run
    aside = pd.read_csv(out / "topic_effects_set_aside.csv", encoding="utf-8-sig")
    assert aside[["unit", "reason"]].values.tolist() == [["INT21", "no row in the covariates table"]]
    effects = pd.read_csv(out / "topic_effects.csv", encoding="utf-8-sig")
    assert set(effects["n"]) == {20}  # the 20 cases of cases.csv
    assert (
        "topics",
        "topic effects by legal_status: 1 left out (no row in the covariates table): INT21; "
        "listed in topic_effects_set_aside.csv.",
    ) in result.warnings


def test_reconciliation_counts_follow_cases_transcripts_and_survey_rows(unlinked_run):
    out, _ = unlinked_run
    counts = pd.read_csv(out / "reconciliation_counts.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    got = {
        (r["stage"], r["step"]): tuple(int(r[c]) if r[c] else None for c in ("cases", "transcripts", "survey_rows"))
        for _, r in counts.iterrows()
    }
    # 20 rows in cases.csv, 21 transcript files, 787 survey respondents (demo_data/survey/README.md)
    assert got[("corpus", "read")] == (20, 21, None)
    assert got[("corpus", "transcript linked to a case row")] == (20, 20, None)
    assert got[("topics", "topic model")] == (20, 21, None)
    assert got[("topics", "topic effects by legal_status")] == (20, 20, None)
    assert got[("survey", "read")] == (None, None, 787)
    assert got[("integration", "case x code matrix")] == (20, 20, None)
    assert got[("integration", "joint display")] == (20, 20, 787)
    notes = dict(zip(zip(counts["stage"], counts["step"]), counts["note"]))
    assert notes[("corpus", "transcript linked to a case row")].endswith(
        "without a case row (kept, without case data): INT21"
    )
    assert notes[("integration", "case x code matrix")].endswith(": INT21")
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "reconciliation_counts.csv" in report and "INT21" in report


def test_case_row_without_transcript_is_counted_and_listed(tmp_path):
    toml = _demo_copy(tmp_path / "study")
    (toml.parent / "transcripts" / "INT21.txt").unlink()
    (toml.parent / "transcripts" / "INT20.txt").unlink()
    out = tmp_path / "out"
    run_study(read_study(toml, out=out), only=["corpus"], show_progress=False)
    recon = pd.read_csv(out / "reconciliation.csv", encoding="utf-8-sig")
    assert recon[["kind", "case_id"]].values.tolist() == [["case_without_transcript", "INT20"]]
    counts = pd.read_parquet(out / ".cache" / "corpus" / "counts.parquet")
    linked = counts[counts["step"] == "transcript linked to a case row"].iloc[0]
    assert (linked["cases"], linked["transcripts"]) == (19, 19)
    assert linked["note"] == "1 case row(s) without a transcript: INT20"


# --------------------------------------------------------------------------- cache keys (issue 11, item 6)


def test_moved_study_reuses_every_stage_and_a_changed_transcript_reruns_only_its_downstream(tmp_path):
    toml = _demo_copy(tmp_path / "a" / "study")
    cases = pd.read_csv(toml.parent / "cases.csv", dtype=str, keep_default_na=False)
    extra = cases[cases["case_id"] == "INT01"].assign(case_id="INT21")  # INT21 linked: only the cache is tested
    pd.concat([cases, extra]).to_csv(toml.parent / "cases.csv", index=False)
    first = run_study(read_study(toml, out=tmp_path / "a" / "out"), show_progress=False)
    assert {o.status for o in first.outcomes} == {"ran"}

    # move the study and the output folder (to different places)
    shutil.move(tmp_path / "a" / "study", tmp_path / "b" / "study")
    shutil.move(tmp_path / "a" / "out", tmp_path / "c" / "results")
    moved = read_study(tmp_path / "b" / "study" / "study.toml", out=tmp_path / "c" / "results")
    second = run_study(moved, show_progress=False)
    assert {o.name: o.status for o in second.outcomes} == {s.name: "skipped" for s in stages.STAGES}

    transcript = tmp_path / "b" / "study" / "transcripts" / "INT21.txt"
    transcript.write_text(
        transcript.read_text(encoding="utf-8") + "Респондент: И ещё казахский учу.\n", encoding="utf-8"
    )
    third = run_study(moved, show_progress=False)
    ran = {o.name for o in third.outcomes if o.status == "ran"}
    assert ran == {"corpus", "codings", "agreement", "frequencies", "topics", "integration", "exports", "report"}
    assert {o.name for o in third.outcomes if o.status == "skipped"} == {"survey"}


def test_case_row_without_transcript_is_not_counted_as_a_case_without_the_code(tmp_path):
    """INT20 has a cases.csv row but no transcript: it is not a 'no' in the case x code matrix."""
    toml = _demo_copy(tmp_path / "study")
    (toml.parent / "transcripts" / "INT21.txt").unlink()
    (toml.parent / "transcripts" / "INT20.txt").unlink()
    out = tmp_path / "out"
    result = run_study(read_study(toml, out=out), only=["corpus", "codings", "integration"], show_progress=False)
    matrix = pd.read_csv(out / "case_code_matrix.csv", encoding="utf-8-sig", dtype={"case_id": str})
    assert len(matrix) == 19 and "INT20" not in set(matrix["case_id"])
    assert any(
        "case row(s) without a transcript left out of the case x code matrix" in message and "INT20" in message
        for _, message in result.warnings
    )
    counts = pd.read_parquet(out / ".cache" / "integration" / "counts.parquet")
    row = counts[counts["step"] == "case x code matrix"].iloc[0]
    assert row["cases"] == 19 and row["note"].endswith(
        "case row(s) without a transcript, left out of the case x "
        "code matrix, linked cases and the joint display's case "
        "counts: INT20"
    )


# --------------------------------------------------------------------------- id columns and encodings (issue 13)


def _own_ids_study(root: Path) -> Path:
    """The demo study with its cases table keyed by ``interview`` and a survey keyed by ``resp_id``.

    The survey's first 20 rows are the interviewees (INT01..INT20), the others not; the
    linked cases read the survey ([linkage] questionnaire = "survey").
    """
    import pyreadstat

    shutil.copytree(DEMO, root)
    cases = pd.read_csv(root / "cases.csv", dtype=str, keep_default_na=False)
    cases.rename(columns={"case_id": "interview"}).to_csv(root / "cases.csv", index=False)
    data, meta = pyreadstat.read_sav(root / "survey" / "repatriates_survey.sav")
    ids = [f"INT{i:02d}" if i <= 20 else f"R{i:04d}" for i in range(1, len(data) + 1)]
    data = data.drop(columns=["respondent_id"])
    data.insert(0, "resp_id", ids)
    labels = {k: v for k, v in meta.variable_value_labels.items() if k in data.columns}
    pyreadstat.write_sav(data, root / "survey" / "linked.sav", variable_value_labels=labels)
    toml = root / "study.toml"
    text = toml.read_text(encoding="utf-8")
    for old, new in [
        ('cases = "cases.csv"\n', 'cases = "cases.csv"\ncase_column = "interview"\n'),
        ('path = "survey/repatriates_survey.sav"\n', 'path = "survey/linked.sav"\ncase_column = "resp_id"\n'),
        ('questionnaire = ""', 'questionnaire = "survey"'),
        (
            'attributes = ["legal_status", "marital_status", "employment", "belonging", "plans", "age"]',
            'attributes = ["legal_status", "belonging"]',
        ),
    ]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    toml.write_text(text, encoding="utf-8")
    return toml


def test_cases_table_and_survey_with_their_own_id_columns_run_through_integration(tmp_path):
    toml = _own_ids_study(tmp_path / "study")
    out = tmp_path / "out"
    result = run_study(read_study(toml, out=out), only=["corpus", "codings", "integration"], show_progress=False)
    assert {o.name: o.status for o in result.outcomes if o.name in ("corpus", "integration")} == {
        "corpus": "ran",
        "integration": "ran",
    }
    cases = pd.read_parquet(out / ".cache" / "corpus" / "cases.parquet")
    assert cases["case_id"].tolist()[:2] == ["INT01", "INT02"] and "interview" not in cases.columns
    matrix = pd.read_csv(out / "case_code_matrix.csv", encoding="utf-8-sig", dtype={"case_id": str})
    assert len(matrix) == 20
    linked = pd.read_csv(out / "linked_cases.csv", encoding="utf-8-sig", dtype={"case_id": str})
    assert sorted(linked["case_id"]) == [f"INT{i:02d}" for i in range(1, 21)]
    assert {"legal_status", "belonging"} <= set(linked.columns)
    # the survey's legal status, not the cases table's text: the linked rows come from the survey
    survey = pd.read_spss(toml.parent / "survey" / "linked.sav", convert_categoricals=False)
    expected = dict(zip(survey["resp_id"][:20], survey["legal_status"][:20]))
    assert {c: v for c, v in zip(linked["case_id"], linked["legal_status"])} == expected
    assert any("767 row(s) without an interview case" in m for _, m in result.warnings)


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            'case_column = "interview"',
            'case_column = "interviw"',
            "cases.csv: no column 'interviw' (columns: interview, age, city,",
        ),
        ('case_column = "resp_id"', 'case_column = "respid"', "survey/linked.sav: no column 'respid' (columns: "),
    ],
)
def test_a_missing_id_column_names_the_file_the_column_and_close_matches(tmp_path, old, new, message):
    from qualquant.errors import QualquantError

    toml = _own_ids_study(tmp_path / "study")
    toml.write_text(toml.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    with pytest.raises(QualquantError) as info:
        run_study(read_study(toml, out=tmp_path / "out"), only=["corpus", "survey"], show_progress=False)
    text = str(info.value)
    assert message in text
    close = old.split('"')[1]
    assert f"did you mean {close!r}" in text


def test_declared_encodings_per_path_are_read_and_part_of_the_corpus_key(tmp_path):
    toml = _demo_copy(tmp_path / "study")
    folder = toml.parent / "transcripts"
    old = folder / "old"
    old.mkdir()
    text = (folder / "INT21.txt").read_text(encoding="utf-8")
    koi = "".join(ch if ch.encode("koi8-r", errors="ignore") else "-" for ch in text)  # no dashes or quotes in KOI8-R
    (folder / "INT21.txt").unlink()
    (old / "INT21.txt").write_bytes(koi.encode("koi8-r"))
    text = toml.read_text(encoding="utf-8")
    text = text.replace('paths = ["transcripts"]', 'paths = ["transcripts", "transcripts/old"]')
    text = text.replace(
        'roles = ["participant"]\n',
        'roles = ["participant"]\n\n[[corpus.encodings]]\npath = "transcripts/old/*.txt"\nencoding = "koi8-r"\n',
        1,
    )
    toml.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    first = run_study(read_study(toml, out=out), only=["corpus"], show_progress=False)
    assert first.outcomes[0].status == "ran"
    transcripts = pd.read_parquet(out / ".cache" / "corpus" / "transcripts.parquet")
    row = transcripts[transcripts["transcript_id"] == "INT21"].iloc[0]
    assert row["encoding"] == "koi8-r" and row["source_path"] == "transcripts/old/INT21.txt"
    assert set(transcripts["encoding"]) == {"utf-8", "cp1251", "docx", "koi8-r"}  # the others still detected
    segments = pd.read_parquet(out / ".cache" / "corpus" / "segments.parquet")
    assert "Потом сосед помог с документами." in set(segments.loc[segments["transcript_id"] == "INT21", "text"])
    again = run_study(read_study(toml, out=out), only=["corpus"], show_progress=False)
    assert again.outcomes[0].status == "skipped"

    # a wrong declared encoding: the corpus stage runs again (its key holds the setting) and stops
    toml.write_text(toml.read_text(encoding="utf-8").replace('encoding = "koi8-r"', 'encoding = "cp1251"'))
    from qualquant.pipelines.errors import PipelineError

    with pytest.raises(PipelineError) as info:
        run_study(read_study(toml, out=out), only=["corpus"], show_progress=False)
    assert f"{old / 'INT21.txt'} line 1: read as cp1251 " in str(info.value)
    assert "It looks like koi8-r." in str(info.value)


def test_an_encodings_entry_that_names_no_transcript_is_an_error(tmp_path):
    from qualquant.pipelines.errors import StudyConfigError

    toml = _demo_copy(tmp_path / "study")
    text = toml.read_text(encoding="utf-8").replace(
        'roles = ["participant"]\n',
        'roles = ["participant"]\nencoding = "utf-8"\n\n'
        '[[corpus.encodings]]\npath = "transcripts/old"\nencoding = "koi8-r"\n',
        1,
    )
    toml.write_text(text, encoding="utf-8")
    study = read_study(toml, out=tmp_path / "out")
    assert study.config.corpus.encoding == "utf-8"
    with pytest.raises(StudyConfigError, match=r"\[\[corpus.encodings\]\] path 'transcripts/old' names none"):
        study.read_corpus()
