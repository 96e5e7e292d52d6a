"""``qualquant quant ...`` commands (pipelines/cli_quant.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import quant
from pipelines.cli_quant import app

runner = CliRunner()


@pytest.fixture()
def sav(tmp_path):
    rng = np.random.default_rng(0)
    n = 200
    g = rng.integers(1, 3, n).astype(float)
    b = np.clip(np.round(2 + g * 0.6 + rng.normal(size=n)), 1, 5)
    df = pd.DataFrame({
        "gender": g, "belong": b,
        "q1": np.clip(b + rng.integers(-1, 2, n), 1, 5), "q2": np.clip(b + rng.integers(-1, 2, n), 1, 5),
        "w": rng.integers(1, 3, n).astype(float),
    })
    df.loc[0, "belong"] = 9.0
    meta = quant.SurveyMeta(
        variable_labels={"gender": "Gender", "belong": "Do you feel part of the local community?"},
        value_labels={"gender": {1.0: "Male", 2.0: "Female"}, "belong": {9.0: "No answer"}},
        missing_values={"belong": [(9.0, 9.0)]},
    )
    return quant.write_survey(quant.Survey(df, meta), tmp_path / "s.sav")


def test_every_command_has_help():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for cmd in ("freq", "crosstab", "assoc", "corr", "alpha"):
        assert cmd in result.output
        sub = runner.invoke(app, [cmd, "--help"])
        assert sub.exit_code == 0 and "--out" in sub.output


def test_freq_prints_and_writes_csv(sav, tmp_path):
    out = tmp_path / "f.csv"
    result = runner.invoke(app, ["freq", str(sav), "gender", "belong", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Male" in result.output and "No answer" in result.output
    df = pd.read_csv(out, encoding="utf-8-sig")
    assert set(df["variable"]) == {"gender", "belong"}
    assert df[(df.variable == "belong") & (df.section == "missing")]["n"].tolist() == [1]


def test_crosstab_with_scores_exact_and_markdown(sav, tmp_path):
    out = tmp_path / "c.md"
    result = runner.invoke(app, ["crosstab", str(sav), "gender", "belong", "--scores", "row=0,1", "--exact",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Pearson Chi-Square" in result.output and "Fisher's Exact Test" in result.output
    assert "expected count less than 5" in result.output
    text = out.read_text(encoding="utf-8")
    assert "linear_by_linear" in text and "cramers_v" in text


def test_assoc_corr_alpha(sav, tmp_path):
    r = runner.invoke(app, ["assoc", str(sav), "belong", "gender", "--style", "seed"])
    assert r.exit_code == 0, r.output
    assert "Gender" in r.output
    out = tmp_path / "corr.xlsx"
    r = runner.invoke(app, ["corr", str(sav), "belong", "q1", "q2", "--method", "spearman", "--style", "seed",
                            "--out", str(out), "--rendered"])
    assert r.exit_code == 0, r.output
    assert "**" in r.output and "Correlation is significant at the 0.01 level" in r.output
    assert "," in pd.read_excel(out).iloc[1, 1]
    r = runner.invoke(app, ["alpha", str(sav), "belong", "q1", "q2", "--weights", "w"])
    assert r.exit_code == 0, r.output
    assert "Cronbach's alpha" in r.output


def test_errors_are_one_line(sav, tmp_path):
    r = runner.invoke(app, ["freq", str(sav), "gendr"])
    assert r.exit_code == 1
    assert r.stderr.strip().splitlines() == [
        "Error: Variable 'gendr' not found in s.sav. Close matches: gender."]
    bad = tmp_path / "bad.sav"
    bad.write_bytes(b"$FL2 not really")
    r = runner.invoke(app, ["freq", str(bad), "x"])
    assert r.exit_code == 1 and r.stderr.startswith("Error: ") and "bad.sav" in r.stderr
    r = runner.invoke(app, ["crosstab", str(sav), "gender", "belong", "--scores", "rows=1"])
    assert r.exit_code == 1 and "--scores" in r.stderr
    r = runner.invoke(app, ["corr", str(sav), "belong", "q1", "--weights", "gender", "--method", "nope"])
    assert r.exit_code == 1 and "method must be one of" in r.stderr
