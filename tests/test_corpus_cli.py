"""``qualquant corpus ingest|stats`` and ``qualquant.io.write_table``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from qualquant import pipelines
from qualquant.errors import ExportFormatError
from qualquant.io import write_table
from qualquant.pipelines.cli import app

DEMO = Path(pipelines.__file__).parent / "demo_data"
REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_ingest_demo_writes_segments_and_prints_summary(tmp_path):
    out = tmp_path / "segments.parquet"
    result = runner.invoke(
        app, ["corpus", "ingest", str(DEMO / "transcripts"), "--cases", str(DEMO / "cases.csv"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "transcripts" in result.output and "20" in result.output
    assert "cp1251 1, docx 2, utf-8 17" in result.output
    assert "nothing set aside" in result.output
    frame = pd.read_parquet(out)
    assert frame["transcript_id"].nunique() == 20
    assert {"interviewer", "participant", "other"} == set(frame["role"])

    stats = runner.invoke(app, ["corpus", "stats", str(out), "--out", str(tmp_path / "stats.csv")])
    assert stats.exit_code == 0, stats.output
    table = pd.read_csv(tmp_path / "stats.csv", encoding="utf-8-sig")
    assert table["transcript_id"].tolist()[-1] == "total"
    assert table["n_segments"].iloc[-1] == len(frame)
    assert table["n_words"].iloc[-1] == frame["n_words"].sum()


def test_ingest_with_anonymisation(tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("Илья\nДенис\n", encoding="utf-8")
    out, key = tmp_path / "segments.csv", tmp_path / "private" / "mapping.csv"
    result = runner.invoke(
        app,
        [
            "corpus",
            "ingest",
            str(DEMO / "transcripts" / "INT01.txt"),
            str(DEMO / "transcripts" / "INT08.vtt"),
            "--anonymize",
            str(names),
            "--mapping-out",
            str(key),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    segments = pd.read_csv(out, encoding="utf-8-sig")
    assert not segments["text"].str.contains("Илья|Денис").any()
    mapping = pd.read_csv(key, encoding="utf-8-sig")
    assert set(mapping["pseudonym"]) >= {"[NAME_1]", "[NAME_2]"}


def test_anonymize_without_mapping_out_keeps_the_key_in_private_next_to_out(tmp_path, monkeypatch):
    names = tmp_path / "names.txt"
    names.write_text("Илья\nДенис\n", encoding="utf-8")
    out = tmp_path / "results" / "segments.csv"
    result = runner.invoke(
        app, ["corpus", "ingest", str(DEMO / "transcripts" / "INT01.txt"), "--anonymize", str(names), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    key = tmp_path / "results" / "private" / "pseudonym_key.csv"
    assert set(pd.read_csv(key, encoding="utf-8-sig")["pseudonym"]) >= {"[NAME_1]"}
    assert (key.stat().st_mode & 0o777) == 0o600
    assert not pd.read_csv(out, encoding="utf-8-sig")["text"].str.contains("Илья|Денис").any()
    assert result.stderr.strip() == (
        f"Warning: {key} links every pseudonym to the real name or identifier: it is PRIVATE; keep it out of "
        "shared folders and version control."
    )
    assert f"mapping (keep it private): {key}" in result.stdout

    monkeypatch.chdir(tmp_path)  # without --out: private/ in the current folder
    result = runner.invoke(
        app, ["corpus", "ingest", str(DEMO / "transcripts" / "INT01.txt"), "--anonymize", str(names)]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "private" / "pseudonym_key.csv").is_file()
    assert "Warning: private/pseudonym_key.csv links every pseudonym" in result.stderr


def test_reconciliation_shows_a_missing_case_id_or_file_as_empty(tmp_path):
    (tmp_path / "C1.txt").write_text("Interviewer: Hello\nRespondent: Hi there\n", encoding="utf-8")
    (tmp_path / "cases.csv").write_text("case_id,age\nC2,30\n", encoding="utf-8")
    result = runner.invoke(app, ["corpus", "ingest", str(tmp_path / "C1.txt"), "--cases", str(tmp_path / "cases.csv")])
    assert result.exit_code == 0, result.output
    assert "transcript_without_case" in result.output and "case_without_transcri" in result.output
    assert "nan" not in result.output.lower()


def test_ingest_with_a_declared_encoding(tmp_path):
    text = "Интервьюер: Как вы приехали в город?\nРеспондент: Ну, это было давно, ещё в девяностых.\n"
    (tmp_path / "K1.txt").write_bytes(text.encode("koi8-r"))
    out = tmp_path / "segments.csv"
    undeclared = runner.invoke(app, ["corpus", "ingest", str(tmp_path / "K1.txt")])
    assert undeclared.exit_code == 1
    assert "It looks like koi8-r." in undeclared.stderr and "--encoding" in undeclared.stderr
    result = runner.invoke(
        app, ["corpus", "ingest", str(tmp_path / "K1.txt"), "--encoding", "koi8-r", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    segments = pd.read_csv(out, encoding="utf-8-sig")
    assert "".join(segments["text"]) == "Как вы приехали в город?Ну, это было давно, ещё в девяностых."
    wrong = runner.invoke(app, ["corpus", "ingest", str(tmp_path / "K1.txt"), "--encoding", "cp1252"])
    assert wrong.exit_code == 1
    assert wrong.stderr.strip().startswith(f"Error: {tmp_path / 'K1.txt'} line 1: read as cp1252 ")
    assert "It looks like koi8-r." in wrong.stderr


def test_out_that_cannot_be_written_is_one_error_line(tmp_path):
    (tmp_path / "file.txt").write_text("", encoding="utf-8")
    target = tmp_path / "file.txt" / "segments.csv"
    result = runner.invoke(app, ["corpus", "ingest", str(DEMO / "transcripts" / "INT01.txt"), "--out", str(target)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: {target}: cannot write the file ({tmp_path / 'file.txt'} is a file, "
        "not a folder). Choose another --out path, or a folder you can write to."
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["corpus", "ingest", "no-such-dir"], "Error: no-such-dir: no such file or directory. Check the path."),
        (
            ["corpus", "ingest", "{demo}", "--anonymize", "no-such-names.txt"],
            "Error: no-such-names.txt: cannot read the names file (No such file or directory).",
        ),
        (
            ["corpus", "stats", "missing.csv"],
            "Error: missing.csv: no such file. Give the table written by 'qualquant corpus ingest --out'.",
        ),
    ],
)
def test_errors_are_one_line(args, message):
    args = [a.replace("{demo}", str(DEMO / "transcripts")) for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr.strip() == message


def test_real_process_prints_no_traceback(tmp_path):
    """The installed entry point: one ``Error:`` line on stderr, exit code 1."""
    proc = subprocess.run(
        [sys.executable, "-c", "from qualquant.pipelines.cli import main; main()", "corpus", "ingest", "no-such-dir"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == "Error: no-such-dir: no such file or directory. Check the path."


def test_every_corpus_command_has_help_and_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for command in ("ingest", "stats"):
        result = runner.invoke(app, ["corpus", command, "--help"])
        assert result.exit_code == 0
        assert len(result.output) > 100
        assert f"qualquant corpus {command}" in readme, f"README lacks 'qualquant corpus {command}'"


# ---------------------------------------------------------------- exports
def test_write_table_formats_and_formula_neutralisation(tmp_path):
    df = pd.DataFrame({"text": ['=HYPERLINK("x")', "+7 701", "-- тире", "@ник", "обычный"], "n": [1, -2, 3, 4, 5]})
    csv = write_table(df, tmp_path / "t.csv")
    raw = csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads Cyrillic
    back = pd.read_csv(csv, encoding="utf-8-sig")
    assert back["text"].tolist() == ['\'=HYPERLINK("x")', "'+7 701", "'-- тире", "'@ник", "обычный"]
    assert back["n"].tolist() == [1, -2, 3, 4, 5]  # numbers untouched
    xlsx = pd.read_excel(write_table(df, tmp_path / "t.xlsx"))
    assert xlsx["text"].tolist()[0] == '\'=HYPERLINK("x")'
    parquet = pd.read_parquet(write_table(df, tmp_path / "t.parquet"))
    assert parquet["text"].tolist()[0] == '=HYPERLINK("x")'  # not a spreadsheet: unchanged
    md = write_table(df, tmp_path / "t.md").read_text(encoding="utf-8")
    assert md.splitlines()[:2] == ["| text | n |", "| --- | ---: |"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t.md", "t.parquet", "t.xlsx"]
    with pytest.raises(ExportFormatError, match=r"cannot write a table as '\.json'"):
        write_table(df, tmp_path / "t.json")
    assert df["text"].iloc[0] == '=HYPERLINK("x")'  # input frame not modified
