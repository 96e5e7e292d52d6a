"""CLI tests: `qualquant codebook|labelstudio|coding ...` (coding commands of this area)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from qualquant import pipelines
from qualquant.pipelines.cli import app

HERE = Path(__file__).resolve().parent
DEMO = Path(pipelines.__file__).parent / "demo_data"
CODEBOOK = DEMO / "codebook.toml"
LEOKA = HERE / "data" / "label_studio" / "leoka_team8_export.json"
MALFORMED = HERE / "reference" / "labelstudio" / "malformed_full.json"

runner = CliRunner()


def _run(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def test_codebook_show():
    result = _run("codebook", "show", CODEBOOK)
    assert result.exit_code == 0, result.output
    assert "17 codes in 5 facets; languages: en, ru" in result.output


def test_codebook_labelstudio_config(tmp_path):
    result = _run("codebook", "labelstudio-config", CODEBOOK)
    assert result.exit_code == 0
    assert len(list(ET.fromstring(result.stdout).iter("Label"))) == 17
    out = tmp_path / "config.xml"
    assert _run("codebook", "labelstudio-config", CODEBOOK, "--out", out).exit_code == 0
    assert out.read_text(encoding="utf-8") == result.stdout


@pytest.mark.parametrize("suffix", [".md", ".xlsx", ".csv"])
def test_codebook_export(tmp_path, suffix):
    out = tmp_path / f"codebook{suffix}"
    result = _run("codebook", "export", CODEBOOK, "--out", out)
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000


def test_codebook_export_unknown_format(tmp_path):
    result = _run("codebook", "export", CODEBOOK, "--out", tmp_path / "x.pdf")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: --out {tmp_path / 'x.pdf'}: unknown format .pdf; use .md, .xlsx or .csv."


def test_coding_import_writes_codings_and_issues(tmp_path):
    out, issues = tmp_path / "codings.csv", tmp_path / "issues.csv"
    result = _run("coding", "import", MALFORMED, "--codebook", CODEBOOK, "--out", out, "--issues-out", issues)
    assert result.exit_code == 0, result.output
    codings = pd.read_csv(out, encoding="utf-8-sig")
    assert sorted(codings.result_id) == ["gt1", "gt2", "ok1", "p1", "u16", "unk"]
    reasons = set(pd.read_csv(issues, encoding="utf-8-sig").reason)
    assert {
        "utf16_offsets_repaired",
        "offset_out_of_range",
        "text_mismatch",
        "unknown_label",
        "cancelled_annotation",
        "superseded_annotation",
        "draft_ignored",
    } <= reasons


def test_coding_import_leoka_summary():
    result = _run("coding", "import", LEOKA)
    assert result.exit_code == 0, result.output
    assert "2742" in result.output and "superseded_annotation" in result.output


def test_coding_import_missing_file_is_one_error_line(tmp_path):
    missing = tmp_path / "none.json"
    result = _run("coding", "import", missing)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: Cannot read export {missing}: No such file or directory."


def test_labelstudio_status_without_token_names_the_variable(tmp_path):
    result = _run(
        "labelstudio",
        "status",
        "--project",
        "1",
        "--url",
        "http://127.0.0.1:9",
        "--token-env",
        "QQ_NO_SUCH_TOKEN_VAR",
        env={"QQ_NO_SUCH_TOKEN_VAR": ""},
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: No Label Studio API token: set the environment variable QQ_NO_SUCH_TOKEN_VAR"
    )


def test_every_command_has_help():
    for group, commands in (
        ("codebook", ["show", "labelstudio-config", "export"]),
        ("labelstudio", ["push", "pull", "status"]),
        ("coding", ["import"]),
    ):
        result = _run(group, "--help")
        assert result.exit_code == 0
        for command in commands:
            assert command in result.output
            sub = _run(group, command, "--help")
            assert sub.exit_code == 0 and len(sub.output) > 100, (group, command)


@pytest.mark.labelstudio
def test_cli_push_pull_status_against_the_server(labelstudio_server, tmp_path):
    env = {"QQ_CLI_TOKEN": labelstudio_server.admin.token}
    common = ["--url", labelstudio_server.url, "--token-env", "QQ_CLI_TOKEN"]
    transcripts = sorted(str(p) for p in (DEMO / "transcripts").iterdir())[:2]
    push = _run(
        "labelstudio",
        "push",
        *transcripts,
        "--project",
        "CLI project",
        "--codebook",
        CODEBOOK,
        "--cases",
        DEMO / "cases.csv",
        *common,
        env=env,
    )
    assert push.exit_code == 0, push.output
    assert "2 tasks created, 0 already present" in push.output
    again = _run(
        "labelstudio", "push", *transcripts, "--project", "CLI project", "--codebook", CODEBOOK, *common, env=env
    )
    assert "0 tasks created, 2 already present" in again.output
    status = _run("labelstudio", "status", "--project", "CLI project", *common, env=env)
    assert status.exit_code == 0 and "annotated tasks" in status.output
    out = tmp_path / "codings.csv"
    pull = _run(
        "labelstudio",
        "pull",
        "--project",
        "CLI project",
        "--snapshots",
        tmp_path / "snaps",
        "--codebook",
        CODEBOOK,
        "--corpus",
        transcripts[0],
        "--corpus",
        transcripts[1],
        "--out",
        out,
        *common,
        env=env,
    )
    assert pull.exit_code == 0, pull.output
    assert len(list((tmp_path / "snaps").iterdir())) == 1
    assert labelstudio_server.admin.token not in push.output + status.output + pull.output


def test_pull_with_study_writes_snapshots_where_run_reads_them(tmp_path):
    from qualquant.pipelines.cli.coding import pull_snapshot_dir
    from qualquant.pipelines.study import read_study

    root = tmp_path / "s"
    assert _run("init", root).exit_code == 0
    study = read_study(root / "study.toml")
    folder = pull_snapshot_dir(None, study)
    assert folder == study.snapshot_dir() == root / "out" / "snapshots"
    assert pull_snapshot_dir(tmp_path / "elsewhere", study) == tmp_path / "elsewhere"
    assert study.export_paths() == []  # no export, nothing pulled yet
    folder.mkdir(parents=True)
    old = folder / "project3_20240101T000000000000Z_0123456789ab.json"
    new = folder / "project3_20240202T000000000000Z_ba9876543210.json"
    for path in (old, new):
        path.write_text("[]", encoding="utf-8")
    (folder / "notes.json").write_text("[]", encoding="utf-8")
    assert study.export_paths() == [new]  # the run and `coding import --study` read the newest pull
    merged = folder / "project3_20240202T000000000000Z_ba9876543210.with-predictions.json"
    merged.write_text("[]", encoding="utf-8")
    assert study.export_paths() == [merged]
    (root / "labelstudio" / "mine.json").write_text("[]", encoding="utf-8")
    assert study.export_paths() == [root / "labelstudio" / "mine.json"]  # an export given in study.toml wins


def test_push_and_pull_take_the_study_project(tmp_path):
    root = tmp_path / "s"
    assert _run("init", root).exit_code == 0
    for command in ("push", "pull"):
        result = _run("labelstudio", command, "--study", root / "study.toml")
        assert result.exit_code == 1, result.output
        assert result.output.strip().splitlines()[-1].startswith("Error: Which Label Studio project?")
