"""``qualquant.open_study``: the tables of ``qualquant run`` in Python, through the same cached stages.

Two copies of the demo study:

- *cli first*: ``qualquant run --stage corpus --stage codings --stage frequencies``,
  then ``open_study``: the notebook reruns nothing and reads what the command wrote;
- *notebook first*: ``open_study`` computes segments, codings, consensus,
  agreement and theme frequencies, then ``qualquant run``: the command skips
  those stages and runs the rest.

The theme frequencies computed by the notebook in one copy equal those the
command wrote in the other (computed independently), read back from
``theme_frequencies.csv`` with an explicit schema.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import qualquant
from qualquant.coding import CODINGS_COLUMNS
from qualquant.coding.codings import read_codings_table
from qualquant.io import Column, TableSchema, read_table
from qualquant.pipelines import DEMO_DIR
from qualquant.pipelines.cli import app
from qualquant.pipelines.errors import PipelineError, StudyConfigError
from qualquant.pipelines.stages import STAGES
from qualquant.pipelines.study_run import StudyRun, open_study
from qualquant.quant import Survey

runner = CliRunner()

#: theme_frequencies.csv, declared here (independently of the code that writes it)
THEME_FREQUENCIES = TableSchema(
    "theme frequencies",
    (
        Column("code", "str"),
        Column("facet", "str"),
        Column("n_cases", "int"),
        Column("n_cases_total", "int"),
        Column("pct_cases", "float"),
        Column("n_segments", "int"),
        Column("n_spans", "int"),
        Column("coverage", "float"),
    ),
)
NOTEBOOK_STAGES = {"corpus", "codings", "agreement", "frequencies"}


def _demo_copy(root: Path) -> Path:
    shutil.copytree(DEMO_DIR, root / "study", ignore=shutil.ignore_patterns("out"))
    return root / "study" / "study.toml"


def _state(out: Path) -> dict:
    return json.loads((out / ".state.json").read_text(encoding="utf-8"))


def _statuses(result) -> dict[str, str]:
    return {o.name: o.status for o in result.outcomes}


@pytest.fixture(scope="module")
def cli_first(tmp_path_factory):
    """The command runs the three stages of the theme frequencies; then the study is opened."""
    root = tmp_path_factory.mktemp("cli_first")
    toml, out = _demo_copy(root), root / "out"
    result = runner.invoke(
        app,
        [
            "run",
            str(toml),
            "--out",
            str(out),
            "--quiet",
            "--stage",
            "corpus",
            "--stage",
            "codings",
            "--stage",
            "frequencies",
        ],
    )
    assert result.exit_code == 0, result.output
    before = _state(out)
    study = open_study(toml, out=out)
    frequencies = study.theme_frequencies
    return dict(
        toml=toml,
        out=out,
        study=study,
        frequencies=frequencies,
        state_before=before,
        state_after=_state(out),
        outcomes=_statuses(study.last_result),
    )


@pytest.fixture(scope="module")
def notebook_first(tmp_path_factory):
    """The notebook computes five tables; then ``qualquant run`` runs the whole study."""
    root = tmp_path_factory.mktemp("notebook_first")
    toml, out = _demo_copy(root), root / "out"
    study = qualquant.open_study(toml, out=out)
    assert not out.exists()  # opening runs and writes nothing
    tables = {
        name: getattr(study, name) for name in ("segments", "codings", "consensus", "agreement", "theme_frequencies")
    }
    state = _state(out)
    result = runner.invoke(app, ["run", str(toml), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return dict(toml=toml, out=out, study=study, tables=tables, state=state, cli_output=result.output)


# --------------------------------------------------------------------------- the contract


def test_open_study_gives_the_theme_frequencies_that_qualquant_run_writes(cli_first, notebook_first):
    written = read_table(cli_first["out"] / "theme_frequencies.csv", THEME_FREQUENCIES)
    assert len(written) == 17  # the demo codebook's codes
    for frame in (cli_first["frequencies"], notebook_first["tables"]["theme_frequencies"]):
        assert list(frame.columns) == list(THEME_FREQUENCIES.names)
        pd.testing.assert_frame_equal(frame, written, check_dtype=False, check_exact=True)
        assert frame.dtypes["n_cases"] == "int64" and frame.dtypes["coverage"] == "float64"
    bridging = written.set_index("code").loc["bridging"]
    assert (bridging["n_cases"], bridging["n_segments"]) == (16, 40)  # majority consensus (README)


def test_run_then_open_reuses_the_cache_and_reruns_nothing(cli_first):
    outcomes = cli_first["outcomes"]
    assert {name for name, status in outcomes.items() if status == "skipped"} == {"corpus", "codings", "frequencies"}
    assert "ran" not in outcomes.values()
    assert cli_first["state_after"] == cli_first["state_before"]  # same keys, outputs and tables


def test_open_then_run_skips_the_stages_the_notebook_ran(notebook_first):
    state = notebook_first["state"]
    assert set(state) == NOTEBOOK_STAGES  # the notebook ran exactly the stages its tables need
    assert all(entry["status"] == "ran" for entry in state.values())
    output = notebook_first["cli_output"]
    for stage in STAGES:
        expected = "skipped" if stage.name in NOTEBOOK_STAGES else "ran"
        assert re.search(rf"{stage.name}\s*│\s*{expected}", output), (stage.name, output)
    written = read_codings_table(notebook_first["out"] / "codings.csv")
    pd.testing.assert_frame_equal(notebook_first["tables"]["codings"], written, check_dtype=False)


def test_tables_have_the_columns_of_the_files(notebook_first):
    tables = notebook_first["tables"]
    assert tables["segments"].shape == (782, 10)
    assert list(tables["segments"].columns[:7]) == [
        "transcript_id",
        "segment_id",
        "index",
        "speaker",
        "role",
        "start",
        "end",
    ]
    assert tables["segments"]["transcript_id"].nunique() == 20
    assert list(tables["codings"].columns) == list(CODINGS_COLUMNS)
    assert list(tables["consensus"].columns) == list(CODINGS_COLUMNS)
    assert len(tables["codings"]) == 2431 and set(tables["codings"]["coder"]) == {"coder_a", "coder_b"}
    assert 0 < len(tables["consensus"]) < len(tables["codings"])
    agreement = tables["agreement"]
    assert {"code", "cohen_kappa", "krippendorff_alpha", "ci_low", "ci_high"} <= set(agreement.columns)
    assert set(tables["theme_frequencies"]["code"]) <= set(agreement["code"])


# --------------------------------------------------------------------------- the object


def test_tables_after_the_run_come_from_the_cache(notebook_first):
    study = open_study(notebook_first["toml"], out=notebook_first["out"])
    display = study.joint_display
    assert {"construct", "proposed", "convergence"} <= set(display.columns)
    assert len(study.case_code_matrix) == 20
    assert _statuses(study.last_result)["integration"] == "skipped"
    assert "ran" not in _statuses(study.last_result).values()
    assert list(study.reconciliation.columns) == ["kind", "file", "case_id", "message"]
    assert study.theme_frequencies_by_legal_status is not None
    survey = study.survey
    assert isinstance(survey, Survey) and survey.data.shape[0] == 787
    assert survey.meta.value_labels  # the labelled survey, as the survey stage reads it
    warnings = study.warnings
    assert list(warnings.columns) == ["stage", "status", "warning"]
    assert warnings["warning"].str.contains("pseudonym_key.csv").any()
    result = study.run()
    assert set(_statuses(result).values()) == {"skipped"}


def test_a_table_is_a_copy_the_cache_is_not_changed(notebook_first):
    study = open_study(notebook_first["toml"], out=notebook_first["out"])
    first = study.theme_frequencies
    first.loc[0, "n_cases"] = -1
    del first["coverage"]
    again = study.theme_frequencies
    pd.testing.assert_frame_equal(again, notebook_first["tables"]["theme_frequencies"])
    data = study.survey.data
    data.iloc[0, 0] = -99
    assert study.survey.data.iloc[0, 0] != -99


def test_names_repr_and_unknown_attribute(notebook_first):
    study = open_study(notebook_first["toml"], out=notebook_first["out"])
    names = study.tables()
    for name in (
        "segments",
        "codings",
        "consensus",
        "agreement",
        "theme_frequencies",
        "survey",
        "joint_display",
        "case_code_matrix",
        "reconciliation",
        "warnings",
        "crosstab_legal_status_belonging",
    ):
        assert name in names and name in dir(study)
    text = repr(study)
    assert "theme_frequencies" in text and "on first use" in text
    _ = study.segments  # the corpus stage is checked
    assert re.search(r"corpus\s+up to date", repr(study))
    with pytest.raises(AttributeError, match=r"no table 'theme_frequncies'\. Did you mean 'theme_frequencies'"):
        _ = study.theme_frequncies
    with pytest.raises(AttributeError, match="Its tables are: segments, cases"):
        _ = study.nothing_like_it
    assert study.table("survey/crosstab_legal_status_belonging_measures") is not None
    with pytest.raises(PipelineError, match="is not a table of this study"):
        study.table("nowhere/table")
    assert isinstance(study, qualquant.StudyRun) and qualquant.StudyRun is StudyRun


def test_a_table_its_stage_did_not_make_is_none_and_the_warning_says_why(tmp_path):
    toml = _demo_copy(tmp_path)
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("[topics]\nenabled = true", "[topics]\nenabled = false"),
        encoding="utf-8",
    )
    study = open_study(toml, out=tmp_path / "out")
    assert study.topics is None
    assert study.warnings.query("stage == 'topics'")["warning"].str.contains("topics disabled").any()


# --------------------------------------------------------------------------- errors


def _cli_error(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0][len("Error: ") :]


def test_a_study_toml_typo_is_the_error_the_cli_prints(tmp_path):
    toml = _demo_copy(tmp_path)
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("[coding]\nconsensus", "[coding]\nconsensuss"), encoding="utf-8"
    )
    with pytest.raises(StudyConfigError) as caught:
        qualquant.open_study(toml, out=tmp_path / "out")
    message = _cli_error(["run", str(toml), "--out", str(tmp_path / "out")])
    assert str(caught.value) == message
    assert message.startswith("study.toml, line ") and "consensuss" in message


def test_a_misspelt_construct_code_is_refused_when_the_study_is_opened(tmp_path):
    toml = _demo_copy(tmp_path)
    text = toml.read_text(encoding="utf-8")
    assert 'codes = ["bridging"' in text
    toml.write_text(text.replace('codes = ["bridging"', 'codes = ["bridgng"', 1), encoding="utf-8")
    with pytest.raises(StudyConfigError) as caught:
        open_study(toml, out=tmp_path / "out")
    assert str(caught.value) == _cli_error(["run", str(toml), "--out", str(tmp_path / "out")])
    assert "did you mean 'bridging'" in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_unknown_stage_in_run_is_a_pipeline_error(notebook_first):
    study = open_study(notebook_first["toml"], out=notebook_first["out"])
    with pytest.raises(PipelineError, match="Unknown stage 'corpsu'; stages are: corpus"):
        study.run(only=["corpsu"])
