"""qualquant.io: reading back the tables qualquant writes, every column typed by a schema."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualquant.coding.codings import (
    CODINGS_COLUMNS,
    CODINGS_SCHEMA,
    CodedSpan,
    codings_frame,
    consensus,
    read_codings_table,
)
from qualquant.coding.errors import CodingError
from qualquant.corpus.collection import SEGMENT_COLUMNS, SEGMENTS_SCHEMA
from qualquant.corpus.errors import CorpusError, TableReadError, TableValueError
from qualquant.io import Column, TableSchema, escape_formula, read_table, unescape_formula, write_table
from qualquant.quant.errors import QualquantError

SCHEMA = TableSchema(
    "test table",
    (
        Column("id", "str"),
        Column("n", "int"),
        Column("flag", "bool"),
        Column("task", "int", nullable=True, required=False),
        Column("note", "str", nullable=True, required=False),
    ),
)


def _csv(tmp_path, text: str):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8-sig")
    return path


def test_booleans_in_every_accepted_spelling(tmp_path):
    rows = "\n".join(
        f"a{k},{k},{flag}" for k, flag in enumerate(["True", "False", "true", "false", "1", "0", "TRUE", "FALSE"])
    )
    table = read_table(_csv(tmp_path, "id,n,flag\n" + rows + "\n"), SCHEMA)
    assert table["flag"].dtype == bool
    assert table["flag"].tolist() == [True, False, True, False, True, False, True, False]


@pytest.mark.parametrize("value", ["maybe", "yes", "2", "F", "-1"])
def test_a_value_that_is_not_a_boolean_names_file_row_and_column(tmp_path, value):
    path = _csv(tmp_path, f"id,n,flag\na,1,False\nb,2,{value}\n")
    with pytest.raises(TableValueError) as info:
        read_table(path, SCHEMA)
    assert str(info.value) == (
        f"{path}: row 3, column 'flag' (C): {value!r} is not True or False; write True or "
        "False (or 1/0), or write the table again with qualquant."
    )
    assert isinstance(info.value, ValueError) and isinstance(info.value, QualquantError)
    assert isinstance(info.value, (TableReadError, CorpusError))


def test_row_numbers_count_records_as_a_spreadsheet_shows_them(tmp_path):
    # a text cell over two lines is one row in Excel: the bad value is on row 3, not on line 4 of the file
    path = _csv(tmp_path, 'id,n,flag,note\na,1,False,"two\nlines"\nb,x,False,\n')
    with pytest.raises(TableValueError, match=r"row 3, column 'n' \(B\): 'x' is not a whole number"):
        read_table(path, SCHEMA)


@pytest.mark.parametrize(
    "value, message",
    [
        ("12.5", "'12.5' is not a whole number; write a whole number such as 12"),
        ("abc", "'abc' is not a whole number"),
        ("True", "'True' is not a whole number"),
    ],
)
def test_integers_must_be_whole_numbers(tmp_path, value, message):
    with pytest.raises(TableValueError, match=r"row 2, column 'n' \(B\): " + message):
        read_table(_csv(tmp_path, f"id,n,flag\na,{value},False\n"), SCHEMA)


def test_an_empty_cell_in_a_column_that_cannot_be_empty(tmp_path):
    path = _csv(tmp_path, "id,n,flag\na,1,False\nb,2,\n")
    with pytest.raises(TableValueError) as info:
        read_table(path, SCHEMA)
    assert str(info.value) == (
        f"{path}: row 3, column 'flag' (C) is empty, but the column cannot be: fill it in, "
        "or write the table again with qualquant."
    )


def test_ids_stay_text_and_nullable_integers_stay_integers(tmp_path):
    table = read_table(_csv(tmp_path, "id,n,flag,task,note\n01,12.0,0,3,\n1.0,-4,1,,NA\n"), SCHEMA)
    assert table["id"].tolist() == ["01", "1.0"]
    assert table["n"].dtype == "int64" and table["n"].tolist() == [12, -4]
    assert table["task"].dtype == "Int64" and table["task"].iloc[0] == 3 and table["task"].isna().iloc[1]
    assert table["note"].tolist() == [None, "NA"]  # an empty cell is missing; the text "NA" is text


def test_xlsx_number_cells_in_id_columns_are_ids_not_floats(tmp_path):
    path = tmp_path / "t.xlsx"
    pd.DataFrame(
        {"id": [1, 2.0, "03"], "n": [1.0, 2, "3"], "flag": [True, 0, "false"], "task": [1.0, None, 3.0]}
    ).to_excel(path, index=False)
    table = read_table(path, SCHEMA)
    assert table["id"].tolist() == ["1", "2", "03"]
    assert table["n"].tolist() == [1, 2, 3] and table["flag"].tolist() == [True, False, False]
    assert table["task"].dtype == "Int64" and table["task"].tolist()[::2] == [1, 3]


def test_xlsx_bad_boolean_names_the_sheet_row(tmp_path):
    path = tmp_path / "t.xlsx"
    pd.DataFrame({"id": ["a", "b"], "n": [1, 2], "flag": [False, "ja"]}).to_excel(path, index=False)
    with pytest.raises(TableValueError, match=r"t\.xlsx: row 3, column 'flag' \(C\): 'ja' is not True or False"):
        read_table(path, SCHEMA)


def test_missing_required_column_and_unknown_format(tmp_path):
    path = _csv(tmp_path, "id,flag\na,True\n")
    with pytest.raises(TableReadError) as info:
        read_table(path, SCHEMA, hint="Write it with qualquant.")
    assert str(info.value) == f"{path}: not a test table (missing column(s) n). Write it with qualquant."
    other = tmp_path / "t.json"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(TableReadError, match=r"not '\.json'"):
        read_table(other, SCHEMA)
    with pytest.raises(TableReadError, match="no such file"):
        read_table(tmp_path / "none.csv", SCHEMA)


def test_optional_columns_get_their_defaults(tmp_path):
    table = read_table(_csv(tmp_path, "id,n,flag\na,1,True\n"), SCHEMA)
    assert list(table.columns) == ["id", "n", "flag", "task", "note"]
    assert table["task"].dtype == "Int64" and table["task"].isna().all() and table["note"].tolist() == [None]


@given(st.text())
def test_formula_escape_round_trips(text):
    escaped = escape_formula(text)
    assert unescape_formula(escaped) == text
    assert not escaped.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_text_a_spreadsheet_would_run_reads_back_unchanged(tmp_path, suffix):
    texts = ["=1+1", "- Да, конечно", "+7 701", "@handle", "'quoted", "''twice", "'=x", "plain"]
    frame = pd.DataFrame({"id": texts, "n": range(len(texts)), "flag": False, "note": texts})
    path = tmp_path / f"t{suffix}"
    write_table(frame, path)
    table = read_table(path, SCHEMA)
    assert table["id"].tolist() == texts and table["note"].tolist() == texts


# --------------------------------------------------------------------------- the codings and segments schemas


def _codings():
    return codings_frame(
        [
            CodedSpan("a", "human", "01", "01:0001", "bonding", 0, 5, "- Да!", 1, 11, "r1", "2024-01-01", None, False),
            CodedSpan("b", "human", "01", "01:0001", "bonding", 2, 5, "а!", 1, 12, "r2", None, None, True),
            CodedSpan("b", "human", "01", "01:0002", "linking", 6, 9, "нет", 2, 12, "r3"),
        ]
    )


def test_schemas_match_the_tables_they_describe():
    assert CODINGS_SCHEMA.names == CODINGS_COLUMNS
    assert CODINGS_SCHEMA.dtypes == {c: str(t) for c, t in codings_frame([]).dtypes.items()}
    assert SEGMENTS_SCHEMA.names == SEGMENT_COLUMNS


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_codings_table_round_trip(tmp_path, suffix):
    codings = _codings()
    path = tmp_path / f"codings{suffix}"
    write_table(codings, path)
    back = read_codings_table(path)
    pd.testing.assert_frame_equal(back, codings)
    for rule in ("majority", "union", "intersection"):
        pd.testing.assert_frame_equal(consensus(back, rule=rule), consensus(codings, rule=rule))


def test_a_minimal_codings_table_gets_the_other_columns(tmp_path):
    path = _csv(tmp_path, "coder,transcript_id,segment_id,code,start,end\na,01,01:0001,bonding,0,5\n")
    back = read_codings_table(path)
    assert list(back.columns) == list(CODINGS_COLUMNS)
    assert back["source"].tolist() == ["human"] and back["ground_truth"].tolist() == [False]
    assert back["transcript_id"].tolist() == ["01"] and back["task_id"].dtype == "Int64"


def test_consensus_refuses_text_in_ground_truth():
    codings = _codings().astype({"ground_truth": object})
    codings["ground_truth"] = ["False", "False", "False"]  # read from CSV without a schema: "False" is truthy
    with pytest.raises(CodingError, match=r"column 'ground_truth' must hold True/False, but holds 'False'"):
        consensus(codings)
