"""Reading and writing survey files with labels (quant/survey.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qualquant import quant
from qualquant.quant.errors import SurveyFormatError, VariableNotFoundError
from qualquant.quant.survey import Survey, SurveyMeta, read_codebook

REAL = Path(__file__).resolve().parent / "data" / "survey"


def test_sample_sav_labels_and_measures():
    s = quant.read_survey(REAL / "sample.sav")
    assert s.data.shape == (5, 7)
    assert s.meta.variable_labels["mylabl"] == "labeled"
    assert s.meta.value_labels["mylabl"] == {1.0: "Male", 2.0: "Female"}
    assert s.meta.value_labels["myord"] == {1.0: "low", 2.0: "medium", 3.0: "high"}
    assert s.meta.measure_levels["myord"] == "ordinal"
    assert s.meta.measure_levels["mychar"] == "nominal"
    assert s.meta.source == "sample.sav"


def test_user_missing_values_are_kept_and_flagged():
    s = quant.read_survey(REAL / "sample_missing.sav")
    # pyreadstat fixture: mynum has missing range 2000-3000 and value -1.
    assert (2000.0, 3000.0) in s.meta.missing_values["mynum"]
    assert s.data["mynum"].tolist()[-2:] == [-1.0, 2500.0]  # codes stay visible as values
    assert s.is_missing("mynum").tolist() == [False] * 5 + [True, True]
    assert s.is_missing("myord").tolist() == [False] * 5 + [True, True]  # -1 and -3
    assert s.is_user_missing("mylabl").tolist() == [False] * 5 + [True, False]  # last is system-missing


def test_missing_test_sav_and_range_file():
    s = quant.read_survey(REAL / "missing_test.sav")
    assert s.is_missing("var1").tolist() == [True, False]
    s2 = quant.read_survey(REAL / "simple_alltypes.sav")
    assert (-999.0, 0.0) in s2.meta.missing_values["z"]
    assert s2.meta.value_labels["x"][1.0] == "red"


def test_non_latin_names_and_text():
    s = quant.read_survey(REAL / "hebrews.sav")
    assert s.variables == ["ותק_ב"]
    assert len(s.data) == 99
    t = quant.read_survey(REAL / "tegulu.sav")
    assert t.data.iloc[0, 1].startswith("నేను")


@pytest.mark.parametrize("suffix", [".sav", ".zsav"])
def test_round_trip_keeps_labels_missing_and_measures(tmp_path, suffix):
    s = quant.read_survey(REAL / "sample_missing.sav")
    keep = s.data[["mynum", "mylabl", "myord", "mychar"]]
    sub = Survey(keep, s.meta)
    out = quant.write_survey(sub, tmp_path / f"copy{suffix}")
    back = quant.read_survey(out)
    for var in ["mynum", "mylabl", "myord"]:
        assert back.meta.variable_labels[var] == s.meta.variable_labels[var]
        assert sorted(back.meta.missing_values[var]) == sorted(s.meta.missing_values[var])
        assert back.meta.measure_levels[var] == s.meta.measure_levels[var]
    assert back.meta.value_labels["myord"] == s.meta.value_labels["myord"]
    pd.testing.assert_frame_equal(back.data, keep, check_dtype=False)
    assert back.is_missing("mynum").tolist() == s.is_missing("mynum").tolist()
    assert not list(tmp_path.glob(".tmp-*"))  # atomic write leaves no temp file


def test_dta_round_trip(tmp_path):
    df = pd.DataFrame({"sex": [1.0, 2.0, 1.0], "age": [20.0, 30.0, np.nan]})
    s = Survey(df, SurveyMeta(variable_labels={"sex": "Gender"}, value_labels={"sex": {1: "Male", 2: "Female"}}))
    back = quant.read_survey(quant.write_survey(s, tmp_path / "s.dta"))
    assert back.meta.variable_labels["sex"] == "Gender"
    assert back.meta.value_labels["sex"] == {1: "Male", 2: "Female"}
    assert back.data["age"].isna().tolist() == [False, False, True]


def test_inputs_are_not_modified(tmp_path):
    src = tmp_path / "in.sav"
    shutil.copy(REAL / "sample_missing.sav", src)
    before = src.read_bytes()
    quant.frequencies(quant.read_survey(src), "mynum")
    assert src.read_bytes() == before


def test_corrupted_sav_names_the_file(tmp_path):
    bad = tmp_path / "broken.sav"
    bad.write_bytes((REAL / "sample.sav").read_bytes()[:300])
    with pytest.raises(SurveyFormatError, match=r"broken\.sav"):
        quant.read_survey(bad)
    junk = tmp_path / "junk.sav"
    junk.write_text("this is not SPSS")
    with pytest.raises(SurveyFormatError, match=r"junk\.sav"):
        quant.read_survey(junk)


def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(SurveyFormatError, match="no such survey file"):
        quant.read_survey(tmp_path / "nope.sav")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(SurveyFormatError, match="unknown survey file type"):
        quant.read_survey(tmp_path / "x.json")
    with pytest.raises(SurveyFormatError, match=r"writes \.sav"):
        quant.write_survey(Survey(pd.DataFrame({"a": [1]})), tmp_path / "x.csv")


def test_csv_with_codebook(tmp_path):
    (tmp_path / "d.csv").write_text("sex,score\n1,3\n2,9\n1,-9\n")
    (tmp_path / "cb.csv").write_text(
        "variable,label,value_labels,missing,measure\n"
        "sex,Gender,1=Male; 2=Female,,nominal\n"
        "score,Score,,-9; 8-9,scale\n"
    )
    s = quant.read_survey(tmp_path / "d.csv", codebook=tmp_path / "cb.csv")
    assert s.variable_label("sex") == "Gender"
    assert s.value_label("sex", 2) == "Female"
    assert s.meta.missing_values["score"] == [(-9, -9), (8, 9)]
    assert s.is_missing("score").tolist() == [False, True, True]
    assert s.meta.measure_levels["sex"] == "nominal"


def test_xlsx_with_codebook(tmp_path):
    pd.DataFrame({"q": [1, 2, 2]}).to_excel(tmp_path / "d.xlsx", index=False)
    pd.DataFrame({"variable": ["q"], "label": ["Question"], "value_labels": ["1=yes;2=no"]}).to_excel(
        tmp_path / "cb.xlsx", index=False
    )
    s = quant.read_survey(tmp_path / "d.xlsx", codebook=tmp_path / "cb.xlsx")
    assert s.value_label("q", 1) == "yes"


def test_bad_codebooks_name_the_line(tmp_path):
    (tmp_path / "d.csv").write_text("a\n1\n")
    (tmp_path / "cb.csv").write_text("variable,label\nb,Nope\n")
    with pytest.raises(SurveyFormatError, match="line 2: variable 'b' is not in the data"):
        quant.read_survey(tmp_path / "d.csv", codebook=tmp_path / "cb.csv")
    (tmp_path / "cb2.csv").write_text("variable,value_labels\na,1-Male\n")
    with pytest.raises(SurveyFormatError, match="line 2"):
        read_codebook(tmp_path / "cb2.csv")
    (tmp_path / "cb3.csv").write_text("name,label\na,x\n")
    with pytest.raises(SurveyFormatError, match="'variable' column"):
        read_codebook(tmp_path / "cb3.csv")


def test_variable_not_found_lists_close_matches():
    s = quant.read_survey(REAL / "sample.sav")
    with pytest.raises(VariableNotFoundError, match="Close matches: mylabl") as err:
        quant.frequencies(s, "mylabel")
    assert "sample.sav" in str(err.value)
    assert isinstance(err.value, KeyError)


# --------------------------------------------------------------------------- CSV delimiters and empty files


def test_header_only_csv_is_an_empty_table_error_naming_the_file(tmp_path):
    from qualquant.quant.errors import EmptyTableError

    (tmp_path / "only_header.csv").write_text("a,b\n", encoding="utf-8")
    with pytest.raises(
        EmptyTableError,
        match=r"only_header\.csv: the file has a header row \(2 column\(s\)\) "
        r"but no data rows \(read with delimiter ',' \(comma\)\)",
    ):
        quant.read_survey(tmp_path / "only_header.csv")
    pd.DataFrame({"q": []}).to_excel(tmp_path / "only_header.xlsx", index=False)
    with pytest.raises(EmptyTableError, match=r"only_header\.xlsx: the file has a header row"):
        quant.read_survey(tmp_path / "only_header.xlsx")


def test_cli_header_only_csv_is_one_error_line(tmp_path):
    from typer.testing import CliRunner

    from qualquant.pipelines.cli.quant import app

    (tmp_path / "only_header.csv").write_text("a,b\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["freq", str(tmp_path / "only_header.csv"), "a"])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "no data rows" in lines[0]
    assert "Valid" not in result.output


@pytest.mark.parametrize(
    "delimiter, name", [(";", "';' (semicolon)"), ("\t", "tab"), ("|", "'|' (pipe)"), (",", "',' (comma)")]
)
def test_csv_delimiter_is_sniffed(tmp_path, delimiter, name):
    rows = [["a", "b", "label"], ["1", "2", "x"], ["2", "2", "y"], ["1", "3", "z"]]
    path = tmp_path / "d.csv"
    path.write_text("\n".join(delimiter.join(r) for r in rows) + "\n", encoding="utf-8")
    s = quant.read_survey(path)
    assert s.variables == ["a", "b", "label"]
    assert s.meta.delimiter == delimiter
    assert s.data["a"].tolist() == [1, 2, 1]
    freq = quant.frequencies(s, "a")
    assert int(freq[freq["section"] == "valid"]["n"].max()) == 2
    with pytest.raises(VariableNotFoundError, match=rf"not found in d\.csv \(read with delimiter {re.escape(name)}\)"):
        quant.frequencies(s, "c")


def test_semicolon_csv_with_decimal_commas_and_quoted_commas(tmp_path):
    # Spreadsheets in decimal-comma locales write ';'-separated files; commas inside values
    # (decimals, quoted text) must not be taken for the delimiter.
    path = tmp_path / "eu.csv"
    path.write_text('id;score;comment\n1;2,5;"yes, fine"\n2;3,0;no\n3;1,5;"ok, ok"\n', encoding="utf-8")
    s = quant.read_survey(path)
    assert s.meta.delimiter == ";"
    assert s.variables == ["id", "score", "comment"]
    assert s.data["comment"].tolist() == ["yes, fine", "no", "ok, ok"]


def test_single_column_csv_and_sniff_fallback(tmp_path):
    from qualquant.quant.survey import sniff_delimiter

    (tmp_path / "one.csv").write_text("a\n1\n2\n", encoding="utf-8")
    s = quant.read_survey(tmp_path / "one.csv")
    assert s.variables == ["a"] and s.meta.delimiter == ","
    (tmp_path / "hdr.csv").write_text("a;b\n", encoding="utf-8")
    assert sniff_delimiter(tmp_path / "hdr.csv") == ";"
    (tmp_path / "bom.csv").write_bytes("\ufeffa|b\n1|2\n".encode("utf-8"))
    assert sniff_delimiter(tmp_path / "bom.csv") == "|"


def test_ragged_csv_error_names_the_delimiter(tmp_path):
    (tmp_path / "ragged.csv").write_text("a;b\n1;2\n3;4\n5;6;7;8\n", encoding="utf-8")
    with pytest.raises(
        SurveyFormatError,
        match=r"ragged\.csv: cannot be read as a table with delimiter "
        r"';' \(semicolon\)",
    ):
        quant.read_survey(tmp_path / "ragged.csv")


def test_semicolon_codebook(tmp_path):
    (tmp_path / "d.csv").write_text("sex;score\n1;3\n2;9\n", encoding="utf-8")
    (tmp_path / "cb.csv").write_text(
        "variable;label;value_labels\nsex;Gender;1=Male, 2=Female\nscore;Score;\n", encoding="utf-8"
    )
    s = quant.read_survey(tmp_path / "d.csv", codebook=tmp_path / "cb.csv")
    assert s.variable_label("sex") == "Gender"
    assert s.meta.delimiter == ";"


def test_write_survey_file_mode_follows_umask(tmp_path):
    import os

    old = os.umask(0o027)
    try:
        path = quant.write_survey(Survey(pd.DataFrame({"a": [1.0, 2.0]})), tmp_path / "s.sav")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640  # 0o644 minus umask 0o027 (mkstemp alone gives 0o600)
    assert [p.name for p in tmp_path.iterdir()] == ["s.sav"]


def test_writing_the_same_survey_twice_gives_identical_bytes(tmp_path, monkeypatch):
    """The .sav header's creation stamp is fixed (or SOURCE_DATE_EPOCH), so reruns diff clean."""
    import pandas as pd

    from qualquant.quant.survey import Survey, SurveyMeta, read_survey, write_survey

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    survey = Survey(pd.DataFrame({"q1": [1.0, 2.0, 2.0], "q2": [3.0, 1.0, 2.0]}), SurveyMeta())
    a, b = write_survey(survey, tmp_path / "a.sav"), write_survey(survey, tmp_path / "b.sav")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes()[92:109] == b"01 Jan 0000:00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    c = write_survey(survey, tmp_path / "c.sav")
    assert c.read_bytes()[92:109] == b"14 Nov 2322:13:20"
    assert read_survey(c).data["q1"].tolist() == [1.0, 2.0, 2.0]
