"""The survey stage's crosstab notes (pipelines/stages.py) and the exports and report that carry them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import pipelines
from pipelines import stages
from pipelines.run import run_study
from pipelines.study import read_study

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
    toml.write_text(text.replace(one, 'crosstabs = [["legal_status", "belonging"], ["age_group", "belonging"]]'),
                    encoding="utf-8")
    out = root / "out"
    result = run_study(read_study(toml, out=out), only=["survey", "exports", "report"], show_progress=False)
    return out, result


def test_expected_count_note_warns_only_when_a_cell_is_below_5(survey_run):
    # Expected counts from quant.crosstab on the demo survey (n = 787): legal_status x belonging
    # has a minimum expected count of 8.48 (no cell below 5); age_group x belonging has 4 of 30
    # cells below 5 (minimum 1.98).
    _, result = survey_run
    survey = [w for stage, w in result.warnings if stage == "survey" and "expected count" in w]
    assert survey == ["crosstab age_group x belonging: 4 cells (13.3%) have expected count less than 5. "
                      "The minimum expected count is 1.98."]


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
    from pipelines import stages_output

    assert [s.name for s in stages.STAGES][-2:] == ["exports", "report"]
    assert stages.STAGES[-2].run is stages_output.stage_exports
    assert stages.export_tables is stages_output.export_tables
    assert stages.warnings_frame is stages_output.warnings_frame
