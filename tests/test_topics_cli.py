"""Tests of ``qualquant topics ...`` (pipelines/cli_topics.py) with typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from qualquant import pipelines
from qualquant.pipelines.cli.topics import app

DEMO = Path(pipelines.__file__).resolve().parent / "demo_data"

GADARIAN = Path(__file__).resolve().parent / "data" / "open_ended" / "gadarian.csv"
runner = CliRunner()


@pytest.fixture(scope="module")
def demo_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("topics") / "model"
    result = runner.invoke(app, ["fit", "--k", "4", "--seed", "2", "--passes", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_fit_on_the_demo_study_by_default(demo_model):
    from qualquant.coding.topics import TopicModel

    out, output = demo_model
    # 381 participant turns; one ("Да пусть. Всё равно анонимно.") has no vocabulary lemma left
    assert "Model saved to" in output and "380 documents" in output
    topics = pd.read_csv(out / "topics.csv", encoding="utf-8-sig")
    assert list(topics.columns) == ["topic", "label", "rank", "lemma", "weight", "surface_form", "surface_forms"]
    assert topics["topic"].nunique() == 4
    assert (out / "source.json").is_file() and (out / "topic_model.json").is_file()
    source = json.loads((out / "source.json").read_text(encoding="utf-8"))
    assert source["kind"] == "study" and source["demo"] is True
    assert Path(source["study"]) == DEMO / "study.toml" and Path(source["names"]) == DEMO / "names.txt"
    assert source["seed"] == 2
    # the documents are the pseudonymised transcripts, as `qualquant demo` reads them
    excerpts = " ".join(TopicModel.load(out).documents_["excerpt"])
    assert "[NAME_" in excerpts and "Костя" not in excerpts


def test_compare_codes_defaults_to_the_study_export(demo_model, tmp_path):
    out, _ = demo_model
    result = runner.invoke(app, ["compare-codes", "--model", str(out), "--out", str(tmp_path / "a.csv")])
    assert result.exit_code == 0, result.output
    assert "demo_export.json" in result.output and "issue(s)" not in result.output
    alignment = pd.read_csv(tmp_path / "a.csv", encoding="utf-8-sig")
    assert not (tmp_path / "a_set_aside.csv").exists()
    from qualquant.coding import read_codebook

    codes = set(alignment["code"])
    book = read_codebook(DEMO / "codebook.toml")
    assert all(code in book for code in codes) and len(codes) >= 10
    assert len(alignment) == 4 * len(codes) and alignment["aligned"].any()
    # the export named explicitly is read against the same pseudonymised corpus
    named = runner.invoke(
        app,
        [
            "compare-codes",
            str(DEMO / "labelstudio" / "demo_export.json"),
            "--model",
            str(out),
            "--out",
            str(tmp_path / "b.csv"),
        ],
    )
    assert named.exit_code == 0, named.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "b.csv", encoding="utf-8-sig"), alignment)


def test_a_model_of_raw_transcripts_reads_the_export_with_anonymize(tmp_path):
    out = tmp_path / "raw"
    fit = runner.invoke(
        app,
        [
            "fit",
            str(DEMO / "transcripts"),
            "--cases",
            str(DEMO / "cases.csv"),
            "--k",
            "3",
            "--passes",
            "2",
            "--out",
            str(out),
        ],
    )
    assert fit.exit_code == 0, fit.output
    assert json.loads((out / "source.json").read_text(encoding="utf-8"))["names"] is None
    export = str(DEMO / "labelstudio" / "demo_export.json")
    raw = runner.invoke(app, ["compare-codes", export, "--model", str(out)])
    assert raw.exit_code == 1
    assert "40 issue(s)" in raw.output and "task_text_mismatch" in raw.output and "--anonymize" in raw.output
    fixed = runner.invoke(app, ["compare-codes", export, "--model", str(out), "--anonymize", str(DEMO / "names.txt")])
    assert fixed.exit_code == 0, fixed.output
    assert "issue(s)" not in fixed.output
    no_export = runner.invoke(app, ["compare-codes", "--model", str(out)])
    assert no_export.exit_code == 1
    assert "Give the export or codings file" in no_export.output


def test_fit_takes_the_study_topics_settings_as_defaults(tmp_path):
    study = tmp_path / "study.toml"
    study.write_text(
        f"""[study]
title = "topics settings"
[corpus]
paths = ["{(DEMO / "transcripts").as_posix()}"]
cases = "{(DEMO / "cases.csv").as_posix()}"
language = "ru"
names = "{(DEMO / "names.txt").as_posix()}"
[codebook]
path = "{(DEMO / "codebook.toml").as_posix()}"
[labelstudio]
export = "{(DEMO / "labelstudio" / "demo_export.json").as_posix()}"
[topics]
k_range = [2, 3]
seeds = [4]
seed = 5
passes = 2
unit = "transcript"
""",
        encoding="utf-8",
    )
    out = tmp_path / "model"
    result = runner.invoke(app, ["fit", "--study", str(study), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out / "coherence_summary.csv", encoding="utf-8-sig")
    assert summary["k"].tolist() == [2, 3]
    assert pd.read_csv(out / "coherence_curve.csv", encoding="utf-8-sig")["seed"].unique().tolist() == [4]
    source = json.loads((out / "source.json").read_text(encoding="utf-8"))
    assert source["kind"] == "study" and source["demo"] is False and source["seed"] == 5
    from qualquant.coding.topics import TopicModel

    model = TopicModel.load(out)
    assert model.random_state == 5 and model.unit == "transcript" and len(model.documents_) == 20
    compared = runner.invoke(app, ["compare-codes", "--model", str(out), "--min-coded", "2"])
    assert compared.exit_code == 0, compared.output
    assert "issue(s)" not in compared.output


def test_study_options_need_no_transcript_options():
    result = runner.invoke(app, ["fit", "--k", "3", "--cases", str(DEMO / "cases.csv")])
    assert result.exit_code == 1
    assert "--cases, --anonymize and --language go with transcript paths" in result.output


def test_show_and_effects_read_the_saved_model(demo_model, tmp_path):
    out, _ = demo_model
    shown = runner.invoke(app, ["show", "--model", str(out), "--out", str(tmp_path / "t.md")])
    assert shown.exit_code == 0, shown.output
    assert "Representative segments" in shown.output and (tmp_path / "t.md").is_file()
    eff = runner.invoke(
        app,
        [
            "effects",
            "--by",
            "legal_status",
            "--model",
            str(out),
            "--n-sims",
            "20",
            "--out",
            str(tmp_path / "e.csv"),
            "--svg",
            str(tmp_path / "e.svg"),
        ],
    )
    assert eff.exit_code == 0, eff.output
    table = pd.read_csv(tmp_path / "e.csv", encoding="utf-8-sig")
    assert {"topic", "term", "estimate", "ci_low", "ci_high", "p_value", "n"} <= set(table.columns)
    assert table["term"].str.startswith("legal_status").any()
    assert (tmp_path / "e.svg").read_text(encoding="utf-8").startswith("<svg")


def test_compare_codes_with_a_codings_csv(demo_model, tmp_path):
    from qualquant.coding.topics import TopicModel

    out, _ = demo_model
    model = TopicModel.load(out)
    docs = model.documents_
    top = docs["segment_id"][model.doc_topics_[:, 0].argsort()[::-1][:15]]
    codings = pd.DataFrame(
        {
            "coder": "a",
            "source": "human",
            "transcript_id": [s.split(":")[0] for s in top],
            "segment_id": list(top),
            "code": "topic0_code",
            "start": 0,
            "end": 1,
            "text": "x",
        }
    )
    path = tmp_path / "codings.csv"
    codings.to_csv(path, index=False)
    result = runner.invoke(app, ["compare-codes", str(path), "--model", str(out), "--out", str(tmp_path / "a.csv")])
    assert result.exit_code == 0, result.output
    alignment = pd.read_csv(tmp_path / "a.csv", encoding="utf-8-sig")
    assert alignment.iloc[0]["topic"] == 0 and alignment.iloc[0]["code"] == "topic0_code"


def test_fit_a_csv_of_documents_with_k_range(tmp_path):
    out = tmp_path / "gadarian"
    result = runner.invoke(
        app,
        [
            "fit",
            str(GADARIAN),
            "--text-column",
            "open.ended.response",
            "--k-range",
            "3:4",
            "--seeds",
            "2",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Chosen K =" in result.output and "highest mean c_v" in result.output
    summary = pd.read_csv(out / "coherence_summary.csv", encoding="utf-8-sig")
    assert summary["k"].tolist() == [3, 4] and summary["chosen"].sum() == 1
    eff = runner.invoke(app, ["effects", "--by", "treatment", "--model", str(out), "--n-sims", "20"])
    assert eff.exit_code == 0, eff.output
    assert "treatment" in eff.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["fit", "--k", "3", "--k-range", "3:5"], "Error: Give exactly one of --k N or --k-range A:B."),
        (["fit", "--k-range", "5-3"], "Error: --k-range '5-3': write it as A:B, e.g. 3:8."),
        (["fit", "--k", "3", "missing.csv"], "Error: missing.csv: no such file. Check the path."),
        (
            ["show", "--model", "no-such-model"],
            "Error: no-such-model: not a saved topic model (no topic_model.json). Run `topics fit` first.",
        ),
    ],
)
def test_errors_are_one_line(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == message


def test_every_command_has_help():
    for command in ("fit", "show", "compare-codes", "effects"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and len(result.output) > 200, command
    names = {c.name for c in app.registered_commands}
    assert names == {"fit", "show", "compare-codes", "effects"}
    assert all(c.callback.__doc__ for c in app.registered_commands)
