"""`qualquant refi export --study`: the project carries the pseudonymised texts the codings refer to.

Round trip on the demo study: `coding import --study` -> `refi export --study` ->
`refi import` gives back the same codings, and codings made on pseudonymised
text are never exported with the raw transcripts.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from qualquant import pipelines
from qualquant.pipelines.cli import app

DEMO = Path(pipelines.__file__).resolve().parent / "demo_data"
KEY = ["coder", "transcript_id", "code", "start", "end", "text"]
runner = CliRunner()


@pytest.fixture(scope="module")
def imported_codings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("refi_study")
    codings = folder / "codings.csv"
    result = runner.invoke(
        app,
        [
            "coding",
            "import",
            "--study",
            str(DEMO / "study.toml"),
            "--out",
            str(codings),
            "--issues-out",
            str(folder / "issues.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    return folder, codings


def _rows(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(
        path, encoding="utf-8-sig", dtype={"transcript_id": str, "coder": str, "code": str}, keep_default_na=False
    )
    return frame[KEY].sort_values(KEY[:5]).reset_index(drop=True)


def test_round_trip_through_a_refi_project_keeps_the_codings(imported_codings):
    folder, codings = imported_codings
    qdpx = folder / "study.qdpx"
    result = runner.invoke(
        app,
        [
            "refi",
            "export",
            "--study",
            str(DEMO / "study.toml"),
            "--codebook",
            str(DEMO / "codebook.toml"),
            "--codings",
            str(codings),
            "--out",
            str(qdpx),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "20 pseudonymised sources" in result.output
    back = runner.invoke(app, ["refi", "import", str(qdpx), "--out-dir", str(folder / "imported")])
    assert back.exit_code == 0, back.output
    before, after = _rows(codings), _rows(folder / "imported" / "codings.csv")
    assert len(before) > 2000
    pd.testing.assert_frame_equal(before, after)
    assert pd.read_csv(folder / "imported" / "issues.csv", encoding="utf-8-sig").empty
    # the sources in the project are the pseudonymised transcripts, without the real names
    source = (folder / "imported" / "sources" / "INT01.txt").read_text(encoding="utf-8")
    assert "[NAME_" in source and "Илья" not in source and "Костя" not in source


def test_the_study_export_is_the_default_codings(imported_codings, tmp_path):
    folder, codings = imported_codings
    from_table, from_export = folder / "table.qdpx", tmp_path / "export.qdpx"
    assert (
        runner.invoke(
            app,
            [
                "refi",
                "export",
                "--study",
                str(DEMO / "study.toml"),
                "--codings",
                str(codings),
                "--out",
                str(from_table),
            ],
        ).exit_code
        == 0
    )
    result = runner.invoke(app, ["refi", "export", "--study", str(DEMO / "study.toml"), "--out", str(from_export)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(from_table) as a, zipfile.ZipFile(from_export) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        assert all(a.read(name) == b.read(name) for name in a.namelist())


def test_anonymize_with_corpus_gives_the_same_project(imported_codings, tmp_path):
    folder, codings = imported_codings
    out = tmp_path / "anon.qdpx"
    result = runner.invoke(
        app,
        [
            "refi",
            "export",
            "--corpus",
            str(DEMO / "transcripts"),
            "--anonymize",
            str(DEMO / "names.txt"),
            "--codebook",
            str(DEMO / "codebook.toml"),
            "--codings",
            str(codings),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    reference = folder / "study.qdpx"
    if not reference.exists():
        assert (
            runner.invoke(
                app,
                [
                    "refi",
                    "export",
                    "--study",
                    str(DEMO / "study.toml"),
                    "--codings",
                    str(codings),
                    "--out",
                    str(reference),
                ],
            ).exit_code
            == 0
        )
    with zipfile.ZipFile(out) as a, zipfile.ZipFile(reference) as b:
        assert all(a.read(name) == b.read(name) for name in b.namelist())


def test_pseudonymised_codings_are_never_exported_with_raw_transcripts(imported_codings, tmp_path):
    _, codings = imported_codings
    out = tmp_path / "raw.qdpx"
    result = runner.invoke(
        app,
        [
            "refi",
            "export",
            "--corpus",
            str(DEMO / "transcripts"),
            "--codebook",
            str(DEMO / "codebook.toml"),
            "--codings",
            str(codings),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "do not match the raw transcripts" in message and "pseudonymised text" in message
    assert "[NAME_" in message and "--study" in message
    assert not out.exists()


def test_a_pseudonymised_export_is_not_read_against_raw_transcripts(tmp_path):
    out = tmp_path / "raw.qdpx"
    result = runner.invoke(
        app,
        [
            "refi",
            "export",
            "--corpus",
            str(DEMO / "transcripts"),
            "--codebook",
            str(DEMO / "codebook.toml"),
            "--codings",
            str(DEMO / "labelstudio" / "demo_export.json"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "the text of 20 task(s) differs from the transcripts" in message and "--study" in message
    assert not out.exists()


def test_export_needs_transcripts_and_a_codebook(tmp_path):
    no_corpus = runner.invoke(
        app,
        [
            "refi",
            "export",
            "--codebook",
            str(DEMO / "codebook.toml"),
            "--codings",
            "x.csv",
            "--out",
            str(tmp_path / "a.qdpx"),
        ],
    )
    assert no_corpus.exit_code == 1 and "--corpus PATH" in no_corpus.output
    no_codebook = runner.invoke(
        app,
        [
            "refi",
            "export",
            "--corpus",
            str(DEMO / "transcripts"),
            "--codings",
            "x.csv",
            "--out",
            str(tmp_path / "a.qdpx"),
        ],
    )
    assert no_codebook.exit_code == 1 and "--codebook FILE" in no_codebook.output
