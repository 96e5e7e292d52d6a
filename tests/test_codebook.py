"""Tests of coding.codebook with the demo codebook and broken codebooks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pytest

from qualquant import pipelines
from qualquant.coding import Codebook, CodebookError, read_codebook

DEMO = Path(pipelines.__file__).parent / "demo_data" / "codebook.toml"

EXPECTED = {
    "capital_type": ["bonding", "bridging", "linking"],
    "form": ["online", "offline", "online_offline_conversion"],
    "scope": ["local", "transnational"],
    "resources_barriers": ["financial", "personal", "legal_status", "housing", "language"],
    "outcomes": ["belonging", "plans_stay", "plans_leave", "plans_undecided"],
}


@pytest.fixture(scope="module")
def demo():
    return read_codebook(DEMO)


def test_demo_codebook_structure(demo):
    assert [f.id for f in demo.facets] == list(EXPECTED)
    for facet, ids in EXPECTED.items():
        assert [c.id for c in demo.codes_in(facet)] == ids
    assert len(demo.codes) == 17
    assert demo.languages == ("en", "ru")


def test_demo_codebook_is_bilingual_and_complete(demo):
    cyrillic = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
    for code in demo:
        for field in ("name", "description", "inclusion", "exclusion"):
            assert code.text(field, "en"), (code.id, field)
            assert set(code.text(field, "ru").lower()) & cyrillic, (code.id, field)
        assert code.examples and all(set(e.lower()) & cyrillic for e in code.examples), code.id
        assert code.name_ru == code.names["ru"]
        assert code.seed_words, code.id
    assert demo["bonding"].name == "Bonding capital"
    assert "друг" in demo.seed_words["bonding"]


def test_labelstudio_config_has_one_labels_group_per_facet(demo):
    root = ET.fromstring(demo.to_labelstudio_config())
    texts = {t.get("name"): t.get("value") for t in root.iter("Text")}
    assert texts == {"text": "$text", "context": "$context"}
    groups = {g.get("name"): [lab.get("value") for lab in g.iter("Label")] for g in root.iter("Labels")}
    assert groups == EXPECTED
    assert all(g.get("toName") == "text" for g in root.iter("Labels"))
    colours = [lab.get("background") for lab in root.iter("Label")]
    assert colours == [c.color for c in demo.codes]


def test_markdown_and_xlsx_exports(demo, tmp_path):
    md = demo.to_markdown()
    for code in demo:
        assert f"(`{code.id}`)" in md
        assert code.names["ru"] in md and code.examples[0] in md
    out = demo.write_xlsx(tmp_path / "codebook.xlsx")
    wb = openpyxl.load_workbook(out)
    sheet = wb["codes"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["id", "facet", "parent"] and "name_ru" in header and "description_en" in header
    ids = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert ids == list(demo.code_ids)
    assert [r[0].value for r in wb["facets"].iter_rows(min_row=2)] == list(EXPECTED)


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "cb.toml"
    path.write_text(body, encoding="utf-8")
    return path


CODE = '[[codes]]\nid = "{id}"\nfacet = "f"\nname = "N"\ndescription = "D"\n{extra}\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (CODE.format(id="a", extra="") + CODE.format(id="a", extra=""), "code id 'a' is defined twice"),
        (CODE.format(id="a", extra='parent = "zz"'), "code 'a' has unknown parent 'zz'"),
        (
            CODE.format(id="a", extra='parent = "b"') + CODE.format(id="b", extra='parent = "a"'),
            "code 'a' is in a parent cycle: a -> b -> a",
        ),
        (CODE.format(id="Bad Id", extra=""), "code id 'Bad Id' is not snake_case"),
        (CODE.format(id="a", extra='color = "red"'), "code 'a': colour 'red' is not #RRGGBB"),
        ('[[codes]]\nid = "a"\nfacet = "f"\nname = "N"\n', "code 'a': `description` is missing"),
        (CODE.format(id="a", extra="colour = 1"), "code 'a': unknown field(s) colour"),
        ('[[facets]]\nid = "g"\n' + CODE.format(id="a", extra=""), "code 'a' uses facet 'f', which is not declared"),
        ("codes = [", "is not valid TOML"),
        ("", "no codes defined"),
    ],
)
def test_invalid_codebooks_name_the_problem(tmp_path, body, message):
    path = _write(tmp_path, body)
    with pytest.raises(CodebookError) as info:
        Codebook.read(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_missing_file_is_a_project_error(tmp_path):
    with pytest.raises(CodebookError, match="Cannot read codebook"):
        read_codebook(tmp_path / "nope.toml")


def test_unknown_code_lookup(demo):
    with pytest.raises(CodebookError, match="Code 'friendship' is not in the codebook"):
        demo["friendship"]
    assert "bonding" in demo and "friendship" not in demo


def test_check_code_ids_names_each_unknown_id_where_and_close_ids(demo):
    from qualquant.coding import UnknownCodeError, check_code_ids
    from qualquant.coding.codebook import unknown_code_ids

    check_code_ids(["bonding", "bridging"], demo, where="--code")  # all known
    with pytest.raises(UnknownCodeError) as err:
        check_code_ids(["bridgng", "bonding", "zzz", "bridgng"], demo, where="study.toml, line 9: codes")
    msg = str(err.value)
    assert (
        "study.toml, line 9: codes names 'bridgng', which is not a code of the codebook codebook.toml; "
        "did you mean 'bridging'" in msg
    )
    assert "names 'zzz'" in msg and "no similar code (codes: bonding, bridging, linking" in msg
    assert msg.count("'bridgng'") == 1 and msg.endswith("Fix the id or add the code to the codebook.")
    assert isinstance(err.value, CodebookError) and isinstance(err.value, ValueError)
    assert unknown_code_ids(["a", "b"], ["a"], where="--code") == [
        "--code names 'b', which is not among the codes of the codings table; no similar code (codes: a)."
    ]
