"""Reading and writing survey files with labels (quant/survey.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import quant
from quant.errors import SurveyFormatError, VariableNotFoundError
from quant.survey import Survey, SurveyMeta, read_codebook

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "survey"


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
    with pytest.raises(SurveyFormatError, match="broken.sav"):
        quant.read_survey(bad)
    junk = tmp_path / "junk.sav"
    junk.write_text("this is not SPSS")
    with pytest.raises(SurveyFormatError, match="junk.sav"):
        quant.read_survey(junk)


def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(SurveyFormatError, match="no such survey file"):
        quant.read_survey(tmp_path / "nope.sav")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(SurveyFormatError, match="unknown survey file type"):
        quant.read_survey(tmp_path / "x.json")
    with pytest.raises(SurveyFormatError, match="writes .sav"):
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
        tmp_path / "cb.xlsx", index=False)
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
