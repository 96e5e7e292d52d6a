"""``qualquant quant ...`` commands (pipelines/cli_quant.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from qualquant import pipelines, quant
from qualquant.pipelines.cli.quant import app

runner = CliRunner()


@pytest.fixture()
def sav(tmp_path):
    rng = np.random.default_rng(0)
    n = 200
    g = rng.integers(1, 3, n).astype(float)
    b = np.clip(np.round(2 + g * 0.6 + rng.normal(size=n)), 1, 5)
    df = pd.DataFrame(
        {
            "gender": g,
            "belong": b,
            "q1": np.clip(b + rng.integers(-1, 2, n), 1, 5),
            "q2": np.clip(b + rng.integers(-1, 2, n), 1, 5),
            "w": rng.integers(1, 3, n).astype(float),
        }
    )
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
    result = runner.invoke(
        app, ["crosstab", str(sav), "gender", "belong", "--scores", "row=0,1", "--exact", "--out", str(out)]
    )
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
    r = runner.invoke(
        app,
        [
            "corr",
            str(sav),
            "belong",
            "q1",
            "q2",
            "--method",
            "spearman",
            "--style",
            "seed",
            "--out",
            str(out),
            "--rendered",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "**" in r.output and "Correlation is significant at the 0.01 level" in r.output
    assert "," in pd.read_excel(out).iloc[1, 1]
    r = runner.invoke(app, ["alpha", str(sav), "belong", "q1", "q2", "--weights", "w"])
    assert r.exit_code == 0, r.output
    assert "Cronbach's alpha" in r.output


def test_errors_are_one_line(sav, tmp_path):
    r = runner.invoke(app, ["freq", str(sav), "gendr"])
    assert r.exit_code == 1
    assert r.stderr.strip().splitlines() == ["Error: Variable 'gendr' not found in s.sav. Close matches: gender."]
    bad = tmp_path / "bad.sav"
    bad.write_bytes(b"$FL2 not really")
    r = runner.invoke(app, ["freq", str(bad), "x"])
    assert r.exit_code == 1 and r.stderr.startswith("Error: ") and "bad.sav" in r.stderr
    r = runner.invoke(app, ["crosstab", str(sav), "gender", "belong", "--scores", "rows=1"])
    assert r.exit_code == 1 and "--scores" in r.stderr
    r = runner.invoke(app, ["corr", str(sav), "belong", "q1", "--weights", "gender", "--method", "nope"])
    assert r.exit_code == 1 and "method must be one of" in r.stderr


# ------------------------------------------------------------------ output that cannot be written
def test_out_to_a_folder_or_under_a_file_is_one_error_line(sav, tmp_path):
    (tmp_path / "isdir.csv").mkdir()
    r = runner.invoke(app, ["freq", str(sav), "gender", "--out", str(tmp_path / "isdir.csv")])
    assert r.exit_code == 1
    assert r.stderr.strip().splitlines() == [
        f"Error: {tmp_path / 'isdir.csv'}: cannot write the file (it is a folder). "
        "Choose another --out path, or a folder you can write to."
    ]
    (tmp_path / "file.txt").write_text("", encoding="utf-8")
    r = runner.invoke(app, ["crosstab", str(sav), "gender", "belong", "--out", str(tmp_path / "file.txt" / "sub.csv")])
    assert r.exit_code == 1
    assert r.stderr.strip().splitlines() == [
        f"Error: {tmp_path / 'file.txt' / 'sub.csv'}: cannot write the file ({tmp_path / 'file.txt'} is a file, "
        "not a folder). Choose another --out path, or a folder you can write to."
    ]


def test_a_stray_os_error_is_one_error_line(sav, monkeypatch):
    from qualquant.pipelines.cli import quant as cli_quant

    def denied(path, codebook):
        raise PermissionError(13, "Permission denied", "s.sav")

    monkeypatch.setattr(cli_quant, "_load", denied)
    r = runner.invoke(app, ["freq", str(sav), "gender"])
    assert r.exit_code == 1
    assert r.stderr.strip().splitlines() == [
        "Error: s.sav: Permission denied. Check the path and its permissions, or choose another --out path."
    ]


# ------------------------------------------------------------------ tables at the default width of 80
DEMO_SAV = Path(pipelines.__file__).parent / "demo_data" / "survey" / "repatriates_survey.sav"


@pytest.fixture()
def width80(monkeypatch):
    from qualquant.pipelines.cli._common import console

    monkeypatch.setattr(console, "_width", 80)  # what a non-terminal (pipe, CI log) gets


def _lines(output: str) -> list[str]:
    return output.splitlines()


@pytest.mark.parametrize(
    "args, figures",
    [
        # place of residence: long labels; Taldykorgan 219 (27.8 %), Karatal District 226 (28.7 %, cumulative 82.6)
        (["freq", str(DEMO_SAV), "residence"], ["219", "27.8", "226", "28.7", "82.6", "787", "100.0"]),
        (
            ["crosstab", str(DEMO_SAV), "legal_status", "belonging"],
            [
                "113",
                "33.0%",
                "26.6%",
                "34.494",
                "28.505",
                ".148",
                "Asymptotic",
                "Significance",
                "Approximate Significance",
            ],
        ),
        (
            ["assoc", str(DEMO_SAV), "belonging", "gender", "residence", "education"],
            ["205.79", "36", ".256", "Cramér's V"],
        ),
        (
            [
                "corr",
                str(DEMO_SAV),
                "belonging",
                "close_local_friends",
                "understand_cultural_norms",
                "free_time_with_locals",
                "cultural_events",
                "ngo_participation",
            ],
            [".369**", ".271**", "-.060", ".242**"],
        ),
        (
            [
                "alpha",
                str(DEMO_SAV),
                "close_local_friends",
                "understand_cultural_norms",
                "free_time_with_locals",
                "cultural_events",
            ],
            ["9.18", "4.743", ".186", ".077", ".474", "Cronbach's"],
        ),
        (["check", "χ2(16) = 155.77, p = .406"], ["5.66e-25", "gross_inconsistency"]),
    ],
)
def test_figures_are_never_cut_at_width_80(width80, args, figures):
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert all(len(line) <= 80 for line in _lines(r.output))
    assert "…" not in r.output
    for figure in figures:
        assert figure in r.output, f"{figure!r} missing from\n{r.output}"


def test_each_frequency_row_keeps_its_numbers_on_its_first_line(width80):
    r = runner.invoke(app, ["freq", str(DEMO_SAV), "residence"])
    row = next(line for line in _lines(r.output) if "Karatal" in line)
    assert row.split("│")[2:6] == ["       226 ", "    28.7 ", "    28.7 ", "       82.6 "]


# ------------------------------------------------------------------ crosstab --out writes the whole crosstab
def _independent_crosstab():
    """Counts, expected counts and adjusted residuals computed here from the raw codes (numpy only)."""
    s = quant.read_survey(DEMO_SAV)
    data = s.data[["legal_status", "belonging"]].dropna()
    counts = pd.crosstab(data["legal_status"], data["belonging"]).to_numpy(dtype=float)
    n = counts.sum()
    r, c = counts.sum(axis=1, keepdims=True), counts.sum(axis=0, keepdims=True)
    expected = r @ c / n
    adjusted = (counts - expected) / np.sqrt(expected * (1 - r / n) * (1 - c / n))
    return counts, expected, adjusted


SECTIONS = ["crosstab", "expected", "adjusted_residuals", "tests", "measures", "footnotes"]


def test_crosstab_out_xlsx_has_every_part(tmp_path):
    out = tmp_path / "x.xlsx"
    r = runner.invoke(app, ["crosstab", str(DEMO_SAV), "legal_status", "belonging", "--out", str(out)])
    assert r.exit_code == 0, r.output
    book = pd.read_excel(out, sheet_name=None)
    assert list(book) == SECTIONS
    counts, expected, adjusted = _independent_crosstab()
    xt = book["crosstab"]
    assert list(xt.columns) == [
        "row",
        "cell",
        "Not at all",
        "Rather not",
        "Partly",
        "Rather yes",
        "Completely",
        "Total",
    ]
    cats = xt.columns[2:7]
    got_counts = xt[(xt["cell"] == "count") & (xt["row"] != "Total")][cats].to_numpy()
    np.testing.assert_allclose(got_counts, counts)
    got_pct = xt[(xt["cell"] == "row_percent") & (xt["row"] != "Total")][cats].to_numpy()
    np.testing.assert_allclose(got_pct, 100 * counts / counts.sum(axis=1, keepdims=True))
    assert xt[(xt["row"] == "Total") & (xt["cell"] == "count")]["Total"].tolist() == [787]
    np.testing.assert_allclose(book["expected"][list(cats)].to_numpy(), expected)
    np.testing.assert_allclose(book["adjusted_residuals"][list(cats)].to_numpy(), adjusted)
    assert book["tests"]["name"].tolist() == ["pearson_chi2", "likelihood_ratio", "linear_by_linear"]
    assert book["measures"]["name"].tolist() == ["phi", "cramers_v", "contingency_coefficient"]
    assert book["footnotes"]["footnote"].tolist() == [
        "0 cells (0.0%) have expected count less than 5. The minimum expected count is 8.48."
    ]


def test_crosstab_out_csv_is_one_file_with_a_section_column(tmp_path):
    out = tmp_path / "x.csv"
    r = runner.invoke(
        app, ["crosstab", str(DEMO_SAV), "legal_status", "belonging", "--percent", "col", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]
    df = pd.read_csv(out, encoding="utf-8-sig")
    assert list(df.columns[:4]) == ["section", "row", "name", "cell"]
    assert list(dict.fromkeys(df["section"])) == SECTIONS
    counts, expected, adjusted = _independent_crosstab()
    cats = ["Not at all", "Rather not", "Partly", "Rather yes", "Completely"]
    xt = df[df["section"] == "crosstab"]
    assert set(xt["cell"]) == {"count", "col_percent"}
    np.testing.assert_allclose(
        xt[(xt["cell"] == "col_percent") & (xt["row"] != "Total")][cats].to_numpy(),
        100 * counts / counts.sum(axis=0, keepdims=True),
    )
    np.testing.assert_allclose(df[df["section"] == "adjusted_residuals"][cats].to_numpy(dtype=float), adjusted)
    np.testing.assert_allclose(df[df["section"] == "expected"][cats].to_numpy(dtype=float), expected)
    tests = df[df["section"] == "tests"].set_index("name")
    assert tests.loc["pearson_chi2", "df"] == 8 and tests.loc["pearson_chi2", "n"] == 787
    assert df[df["section"] == "footnotes"]["footnote"].str.contains("minimum expected count is 8.48").all()


def test_crosstab_out_markdown_has_titled_sections_in_order(tmp_path):
    out = tmp_path / "x.md"
    r = runner.invoke(app, ["crosstab", str(DEMO_SAV), "legal_status", "belonging", "--out", str(out), "--rendered"])
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    titles = [line for line in text.splitlines() if line.startswith("#")]
    assert titles == [
        "# legal_status * belonging Crosstabulation",
        "## Crosstabulation",
        "## Expected counts",
        "## Adjusted standardized residuals",
        "## Chi-square tests",
        "## Symmetric measures",
        "## Footnotes",
    ]
    # as printed: counts with row percentages, residuals to one decimal (Citizenship x "Not at all": -3.96)
    assert "| Citizenship of Kazakhstan % within legal_status | 6.1% | 12.3% | 22.1% | 33.0% | 26.6% | 100.0% |" in text
    assert "| Citizenship of Kazakhstan | -4.0 | -2.9 | 0.1 | 1.7 | 3.2 |" in text
    assert "| Pearson Chi-Square | 34.494 | 8 | .000 |  |  |" in text
    assert "a. 0 cells (0.0%) have expected count less than 5." in text
