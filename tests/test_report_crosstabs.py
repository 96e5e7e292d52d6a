"""Crosstabs in the study report and exports: categories in value-code order, SPSS layout.

SPSS CROSSTABS lists the observed categories of each variable by ascending value
code, and shows for every cell the "Count" and the "% within <row variable>",
with a Total row and a Total column. A Likert item coded 1 "strongly disagree"
... 5 "strongly agree" must therefore come out in code order, not in the
alphabetical order of its labels ("agree, disagree, neutral, ..."), whatever
the survey file: an SPSS file, a CSV with a codebook (codes or label text in
the cells) or an SPSS file with string codes.
"""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qualquant import pipelines
from qualquant.pipelines.stages._run import run_study
from qualquant.pipelines.study import read_study
from qualquant.quant.survey import Survey, SurveyMeta, read_survey, write_survey

DEMO = Path(pipelines.__file__).parent / "demo_data"

LIKERT = {1: "strongly disagree", 2: "disagree", 3: "neutral", 4: "agree", 5: "strongly agree"}
GROUPS = {1: "young", 2: "middle", 3: "old"}
# Every category observed; one code (4, "agree") kept out of group 3 so that a zero cell is shown too.
CELLS = {
    (1, 1): 4,
    (1, 2): 3,
    (1, 3): 2,
    (1, 4): 5,
    (1, 5): 6,
    (2, 1): 1,
    (2, 2): 2,
    (2, 3): 7,
    (2, 4): 3,
    (2, 5): 2,
    (3, 1): 5,
    (3, 2): 4,
    (3, 3): 1,
    (3, 4): 0,
    (3, 5): 3,
}
STRING_CODES = {1: "SD", 2: "D", 3: "N", 4: "A", 5: "SA"}


def _codes() -> pd.DataFrame:
    rows = [(g, a) for (g, a), n in CELLS.items() for _ in range(n)]
    order = np.random.default_rng(7).permutation(len(rows))  # cases in no particular order
    return pd.DataFrame([rows[i] for i in order], columns=["group", "attitude"])


def _study(root: Path, kind: str, *, frequencies: bool = True) -> Path:
    """A study whose survey holds group x attitude, written as ``kind``."""
    data = _codes()
    codebook = ""
    if kind == "sav":
        write_survey(
            Survey(
                data.astype(float),
                SurveyMeta(
                    value_labels={
                        "group": {float(k): v for k, v in GROUPS.items()},
                        "attitude": {float(k): v for k, v in LIKERT.items()},
                    },
                    measure_levels={"attitude": "ordinal"},
                ),
            ),
            root / "survey.sav",
        )
        path = "survey.sav"
    elif kind == "sav_string_codes":  # string variables whose value labels are keyed by text codes
        import pyreadstat

        text = pd.DataFrame({"group": data["group"].astype(str), "attitude": data["attitude"].map(STRING_CODES)})
        pyreadstat.write_sav(
            text,
            str(root / "survey.sav"),
            variable_value_labels={
                "group": {str(k): v for k, v in GROUPS.items()},
                "attitude": {STRING_CODES[k]: v for k, v in LIKERT.items()},
            },
        )
        path = "survey.sav"
    else:
        if kind == "csv_labels":  # the cells hold the label text, the codebook the codes
            data = pd.DataFrame({"group": data["group"].map(GROUPS), "attitude": data["attitude"].map(LIKERT)})
        data.to_csv(root / "survey.csv", index=False)
        pd.DataFrame(
            {
                "variable": ["group", "attitude"],
                "value_labels": [
                    "; ".join(f"{k}={v}" for k, v in GROUPS.items()),
                    "; ".join(f"{k}={v}" for k, v in LIKERT.items()),
                ],
                "measure": ["nominal", "ordinal"],
            }
        ).to_csv(root / "codebook.csv", index=False)
        path, codebook = "survey.csv", "codebook.csv"
    (root / "study.toml").write_text(
        f'[study]\ntitle = "Crosstab order"\n[survey]\npath = "{path}"\ncodebook = "{codebook}"\n'
        + ('frequencies = ["group", "attitude"]\n' if frequencies else "")
        + 'crosstabs = [["group", "attitude"]]\n',
        encoding="utf-8",
    )
    return root / "study.toml"


class _Tables(HTMLParser):
    """Every <table> of an HTML page as (caption, rows of cell texts; the header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._caption: str | None = None
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._caption, self._rows = "", []
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self._rows is not None:
            self.tables.append((self._caption or "", self._rows))
            self._rows = None
        elif tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._in_caption:
            self._caption += data
        elif self._cell is not None:
            self._cell.append(data)


def _report_crosstab(html: str, row: str, col: str) -> list[list[str]]:
    """The first table under the report's heading "<row> × <col>"."""
    heading = f"<h3>{row} × {col}</h3>"
    assert html.count(heading) == 1
    parser = _Tables()
    parser.feed(html[html.index(heading) :])
    return parser.tables[0][1]


def _percent(text: str) -> float:
    assert text.endswith("%"), text
    return float(text[:-1])


def _check_spss_layout(rows: list[list[str]], row: str, row_labels: list[str], col_labels: list[str]) -> None:
    """Header, Count / % within lines in code order, totals, row percentages summing to 100."""
    header, body = rows[0], rows[1:]
    assert header == [row, ""] + col_labels + ["Total"]
    assert [r[0] for r in body[::2]] == row_labels + ["Total"]
    assert [r[1] for r in body] == ["Count", f"% within {row}"] * (len(row_labels) + 1)
    for count_line, pct_line in zip(body[::2], body[1::2]):
        counts = [float(x) for x in count_line[2:]]
        assert counts[-1] == sum(counts[:-1])  # the Total column
        pcts = [_percent(x) for x in pct_line[2:]]
        assert pcts[-1] == 100.0
        assert sum(pcts[:-1]) == pytest.approx(100.0, abs=0.05 * len(pcts))  # rounded to one decimal
        for c, p in zip(counts[:-1], pcts[:-1]):
            assert abs(p - 100.0 * c / counts[-1]) <= 0.05 + 1e-9
    totals = [float(x) for x in body[-2][2:]]
    per_col = [sum(float(r[2 + j]) for r in body[:-2:2]) for j in range(len(col_labels) + 1)]
    assert totals == per_col  # the Total row


@pytest.mark.parametrize("kind", ["sav", "csv_codes", "csv_labels", "sav_string_codes"])
def test_report_and_exports_show_likert_columns_in_code_order(tmp_path, kind):
    likert, groups = list(LIKERT.values()), list(GROUPS.values())
    assert sorted(likert) != likert and sorted(groups) != groups  # the labels' alphabetical order is another one
    out = tmp_path / "out"
    result = run_study(
        read_study(_study(tmp_path, kind), out=out), only=["survey", "exports", "report"], show_progress=False
    )
    assert {o.name: o.status for o in result.outcomes}["report"] == "ran"
    html = (out / "report.html").read_text(encoding="utf-8")
    rows = _report_crosstab(html, "group", "attitude")
    _check_spss_layout(rows, "group", groups, likert)
    # the counts are the data's: young x "strongly disagree" = 4, old x "agree" = 0
    assert rows[1][2] == "4" and rows[5][2 + 3] == "0"
    # the report's frequency table (Table 1) lists the categories in code order too
    parser = _Tables()
    parser.feed(html)
    table1 = next(rows for caption, rows in parser.tables if caption.startswith("Table 1."))
    assert table1[0][:2] == ["Characteristic", "Category"]
    assert [r[1] for r in table1[1:]] == groups + likert

    # exports: the crosstab's cells (CSV, workbook, Markdown) and its SPSS layout, in code order
    cells = pd.read_csv(out / "crosstab_group_attitude.csv", encoding="utf-8-sig")
    assert list(pd.unique(cells["col"])) == likert and list(pd.unique(cells["row"])) == groups
    layout = pd.read_excel(out / "tables.xlsx", sheet_name="xt_group_attitude_table")
    assert list(layout.columns) == ["row", "cell"] + likert + ["Total"]
    assert list(layout["row"][::2]) == groups + ["Total"]
    pct = layout[layout["cell"] == "row_percent"]
    assert np.allclose(pct[likert].sum(axis=1), 100.0) and (pct["Total"] == 100.0).all()
    assert layout.loc[layout["row"] == "Total", "Total"].iloc[0] == sum(CELLS.values())
    md = (out / "tables.md").read_text(encoding="utf-8")
    assert "| row | cell | " + " | ".join(likert) + " | Total |" in md


def test_report_shows_the_crosstab_of_a_study_with_only_crosstabs(tmp_path):
    out = tmp_path / "out"
    run_study(
        read_study(_study(tmp_path, "sav", frequencies=False), out=out), only=["survey", "report"], show_progress=False
    )
    rows = _report_crosstab((out / "report.html").read_text(encoding="utf-8"), "group", "attitude")
    _check_spss_layout(rows, "group", list(GROUPS.values()), list(LIKERT.values()))


@pytest.mark.parametrize("kind", ["sav", "csv_labels", "sav_string_codes"])
def test_cli_crosstab_and_frequencies_in_code_order(tmp_path, kind):
    from typer.testing import CliRunner

    from qualquant.pipelines.cli import app

    _study(tmp_path, kind)
    survey = tmp_path / ("survey.sav" if kind.startswith("sav") else "survey.csv")
    extra = ["--codebook", str(tmp_path / "codebook.csv")] if kind.startswith("csv") else []
    runner = CliRunner()
    res = runner.invoke(
        app, ["quant", "crosstab", str(survey), "group", "attitude", *extra, "--out", str(tmp_path / "xt.csv")]
    )
    assert res.exit_code == 0, res.output
    xt = pd.read_csv(tmp_path / "xt.csv", encoding="utf-8-sig")
    part = xt[xt["section"] == "crosstab"]
    assert [c for c in xt.columns if c in LIKERT.values()] == list(LIKERT.values())
    assert list(part["row"][::2]) == list(GROUPS.values()) + ["Total"]
    res = runner.invoke(app, ["quant", "freq", str(survey), "attitude", *extra, "--out", str(tmp_path / "freq.csv")])
    assert res.exit_code == 0, res.output
    freq = pd.read_csv(tmp_path / "freq.csv", encoding="utf-8-sig")
    assert freq.loc[freq["section"] == "valid", "label"].tolist() == list(LIKERT.values())


def test_demo_report_crosstab_in_code_order(tmp_path):
    shutil.copytree(DEMO, tmp_path / "demo")
    survey = read_survey(tmp_path / "demo" / "survey" / "repatriates_survey.sav")
    out = tmp_path / "out"
    study = read_study(tmp_path / "demo" / "study.toml", out=out)
    run_study(study, only=["survey", "exports", "report"], show_progress=False)
    html = (out / "report.html").read_text(encoding="utf-8")
    for row, col in study.config.survey.crosstabs:
        observed = {c: set(survey.data.loc[~survey.is_missing(c), c]) for c in (row, col)}
        in_order = {
            c: [lab for code, lab in sorted(survey.meta.value_labels[c].items()) if code in observed[c]]
            for c in (row, col)
        }
        assert sorted(in_order[col]) != in_order[col]  # e.g. belonging: Not at all ... Completely
        _check_spss_layout(_report_crosstab(html, row, col), row, in_order[row], in_order[col])
        layout = pd.read_excel(out / "tables.xlsx", sheet_name=f"xt_{row}_{col}_table"[:31])
        assert list(layout.columns) == ["row", "cell"] + in_order[col] + ["Total"]
