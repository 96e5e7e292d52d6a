"""REFI-QDA exchange (coding.refi, `qualquant refi ...`) against real NVivo and ATLAS.ti files.

Real files (see tests/reference/refi/README.md for origins and licences):
- NVivo 12.6 (Windows) project: 2 Hungarian text sources (~600k characters,
  BOM + CRLF, emoji), 152 codes, 303 codings by one user.
- ATLAS.ti 8.4 (macOS) "standard project": inner file Project.qde, empty Sources/.
- ATLAS.ti 23.4 (Windows) codebook (.qdc).
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from typer.testing import CliRunner

from qualquant import pipelines
from qualquant.coding import CODINGS_COLUMNS, CodedSpan, codings_frame, read_codebook
from qualquant.coding.errors import RefiError
from qualquant.coding.refi import (
    REFI_ISSUES_COLUMNS,
    codebook_to_toml,
    read_qdc,
    read_qdpx,
    validate_refi_xml,
    write_qdc,
    write_qdpx,
)
from qualquant.coding.refi._text import OffsetMap, utf16_offset
from qualquant.corpus import normalize_text, read_corpus
from qualquant.pipelines.cli import app

HERE = Path(__file__).resolve().parent
REF = HERE / "reference" / "refi"
REALDATA = HERE / "data" / "refi_qda"
NVIVO = REALDATA / "nvivo12.6_oltas0517_hu.qdpx"
ATLAS8 = REALDATA / "atlasti8.4_standard_project_nosources.qdpx"
ATLAS_QDC = REF / "atlasti23.4_win_codebook__from_requal_test.qdc"
DEMO_CODEBOOK = Path(pipelines.__file__).parent / "demo_data" / "codebook.toml"
KEY = ["coder", "transcript_id", "segment_id", "code", "start", "end", "text"]

runner = CliRunner()


def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(REF / name)))


def _assert_valid(xml: bytes, xsd: str) -> None:
    schema = _schema(xsd)
    doc = etree.fromstring(xml)
    assert schema.validate(doc), schema.error_log


@pytest.fixture(scope="module")
def nvivo():
    return read_qdpx(NVIVO)


# ------------------------------------------------------------------ NVivo 12.6


def test_nvivo_counts(nvivo):
    assert len(nvivo.codes) == 152
    assert len(nvivo.codebook) == 152
    assert len(nvivo.sources) == 2
    assert all(len(s.text) > 580_000 for s in nvivo.sources)
    assert nvivo.counts["n_codings"] == 303
    assert nvivo.counts["n_codings_mapped"] == 303
    assert len(nvivo.codings) == 303
    assert nvivo.codings["coder"].unique().tolist() == ["Gergo"]
    assert nvivo.codings["source"].unique().tolist() == ["human"]
    assert nvivo.codings["result_id"].is_unique
    assert nvivo.issues.empty, nvivo.issues.to_string()
    assert list(nvivo.codings.columns) == list(CODINGS_COLUMNS)
    assert list(nvivo.issues.columns) == list(REFI_ISSUES_COLUMNS)


def test_nvivo_every_coding_maps_onto_the_canonical_text(nvivo):
    texts = {s.transcript_id: s.text for s in nvivo.sources}
    assert set(nvivo.codings["transcript_id"]) == {"videos_10_selected"}
    for text in texts.values():
        assert "\r" not in text and not text.startswith("\ufeff")  # BOM + CRLF trap
        assert text == normalize_text(text)
    for row in nvivo.codings.itertuples():
        assert 0 <= row.start < row.end <= len(texts[row.transcript_id])
        assert row.text == texts[row.transcript_id][row.start : row.end]
    assert {s.offset_units for s in nvivo.sources} == {"utf16"}


def _aligned(text: str, start: int, end: int) -> bool:
    return (
        (start == 0 or not text[start - 1].isalnum())
        and not text[start].isspace()
        and (end >= len(text) or not text[end].isalnum())
    )


def test_nvivo_offsets_land_on_word_boundaries_only_when_mapped(nvivo):
    """Independent evidence for the mapping: coders select whole words.

    With the mapping (UTF-16 units of the BOM-less CRLF file -> canonical code
    points) 295 of 303 selections start and end at word boundaries (the 8
    others start or end inside a word in NVivo too: 'J|avitsatok', 'hiede|lem').
    Using NVivo's numbers directly as canonical offsets gives almost none.
    """
    text = nvivo.sources[1].text
    assert nvivo.sources[1].transcript_id == "videos_10_selected"
    mapped = sum(_aligned(text, r.start, r.end) for r in nvivo.codings.itertuples())
    archive = zipfile.ZipFile(NVIVO)
    root = etree.fromstring(archive.read("project.qde"))
    raw = [
        (int(s.get("startPosition")), int(s.get("endPosition")))
        for s in root.iter("{urn:QDA-XML:project:1.0}PlainTextSelection")
    ]
    naive = sum(_aligned(text, a, b) for a, b in raw if b < len(text))
    assert len(raw) == 303
    assert mapped >= 295
    assert naive < 30


def test_nvivo_coded_text_is_in_the_rich_text_version(nvivo):
    """Each coded passage occurs in NVivo's own .docx of the source (read independently with python-docx)."""
    import docx

    source = nvivo.sources[1]
    with zipfile.ZipFile(NVIVO) as archive:
        member = next(n for n in archive.namelist() if n.endswith(f"{source.guid.lower()}.docx"))
        document = docx.Document(io.BytesIO(archive.read(member)))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    paragraphs = ("".join(t.text or "" for t in p.iter(f"{w}t")) for p in document.element.body.iter(f"{w}p"))
    rich = " ".join(" ".join(paragraphs).split())  # the text sits in table cells
    assert len(rich) > 500_000
    missing = [r.text for r in nvivo.codings.itertuples() if " ".join(r.text.split()) not in rich]
    assert not missing, missing[:3]


def test_nvivo_code_hierarchy(nvivo):
    by_name = {c.name: c for c in nvivo.codes}
    parent = by_name["1. Oltás típusa"]
    assert by_name["COVID"].parent_guid == parent.guid
    assert nvivo.codebook[by_name["COVID"].id].parent == parent.id
    assert parent.description == "COVID vay nem COVID"
    assert by_name["2. Attitűd szint az oltáshoz"].description.startswith("Erősen szkeptikus (piros)\nEnyhén")
    assert by_name["piros"].id == "piros"
    # Top-level codes with children are facets for their subtree.
    assert nvivo.codebook[by_name["COVID"].id].facet == nvivo.codebook[by_name["Nem COVID"].id].facet
    assert len(set(nvivo.code_ids.values())) == 152


# ------------------------------------------------------------------ ATLAS.ti


def test_atlasti8_codes_import_and_missing_sources_are_reported():
    project = read_qdpx(ATLAS8)
    assert len(project.codes) == 14
    names = {c.name: c for c in project.codes}
    assert names["Coke::diet Coke"].description == "non sucré"
    assert names["Coke::diet Coke"].color == "#966450"
    assert names["milk"].color == "#7F7F7F"  # no colour in the file
    assert names['"rushed"'].id == "rushed"
    assert project.codebook is not None and len(project.codebook) == 14
    assert project.counts["n_sources_missing"] == 8 == len(project.missing_sources)
    assert project.codings.empty
    issues = project.issues
    per_source = issues[(issues["reason"] == "source_missing") & issues["coding_guid"].isna()]
    assert len(per_source) == 8
    assert per_source["detail"].str.contains("Sources folder is empty").all()
    codings_missing = issues[(issues["reason"] == "source_missing") & issues["coding_guid"].notna()]
    assert len(codings_missing) == 9  # every text coding is listed
    assert (issues.loc[issues["reason"] == "not_text_selection", "action"] == "not_used").sum() == 7
    assert project.counts["n_codings"] == 16 == 9 + 7
    assert "2 notes, 1 link, 1 graph" in issues.loc[issues["reason"] == "not_imported", "detail"].iloc[0]
    assert {u for u in project.users.values()} >= {"Friedrich Markgraf"}


def test_atlasti23_codebook():
    book = read_qdc(ATLAS_QDC)
    assert book.origin == "ATLAS.ti Win 23.4.0"
    (code,) = book.codes
    assert (code.guid, code.name, code.color, code.description) == (
        "1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294",
        "code1",
        "#46AA00",
        "description",
    )
    assert book.sets[0].name == "code group 1"
    cb = book.codebook
    assert cb["code1"].facet == "code_group_1"
    assert cb.facets[0].label() == "code group 1"


def test_imported_codebook_toml_reads_back(tmp_path, nvivo):
    path = tmp_path / "codebook.toml"
    path.write_text(codebook_to_toml(nvivo.codebook), encoding="utf-8")
    back = read_codebook(path)
    assert back.code_ids == nvivo.codebook.code_ids
    for a, b in zip(back.codes, nvivo.codebook.codes):
        assert (a.name, a.parent, a.facet, a.color) == (b.name, b.parent, b.facet, b.color)
        assert a.description == (b.description or f"{b.name} (no description in the source file)")


# ------------------------------------------------------------------ round trip

TRANSCRIPT_RU = (
    "Интервьюер: Как вы нашли работу? 😀\r\n"
    "Участник: Через земляков 👍🏽, в чате «Казахи в Питере». Ёлка — е\u0308 тоже.\r\n"
    "Интервьюер: Спасибо.\r\n"
)
TRANSCRIPT_EN = "Interviewer: Hello 𝕏 world.\nParticipant: Fine, thanks 🙂 really. 🇰🇿 flag.\n"


@pytest.fixture()
def small(tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "INT01.txt").write_bytes(TRANSCRIPT_RU.encode("utf-8"))
    (folder / "INT02.txt").write_bytes(TRANSCRIPT_EN.encode("utf-8"))
    corpus = read_corpus(str(folder / "*.txt"))
    codebook = read_codebook(DEMO_CODEBOOK)
    t1, t2 = corpus["INT01"], corpus["INT02"]
    seg = t1.segments[1]
    s = t1.text.index("земляков")
    e = t1.text.index("Питере»") + len("Питере»")
    s2 = t1.text.index("Ёлка")
    seg2 = t2.segments[1]
    s3 = t2.text.index("🙂")
    rows = [
        CodedSpan(
            "alice",
            "human",
            "INT01",
            seg.segment_id,
            "bonding",
            s,
            e,
            t1.text[s:e],
            result_id="r1",
            created_at="2024-05-01T10:00:00Z",
            updated_at="2024-05-02T10:00:00Z",
        ),
        CodedSpan("alice", "human", "INT01", seg.segment_id, "online", s, e, t1.text[s:e], result_id="r2"),
        CodedSpan("bob", "human", "INT01", seg.segment_id, "bridging", s2, seg.end, t1.text[s2 : seg.end]),
        CodedSpan("bob", "human", "INT02", seg2.segment_id, "linking", seg2.start, seg2.end, seg2.text),
        CodedSpan("bob", "human", "INT02", seg2.segment_id, "online", s3, s3 + 1, "🙂"),
        CodedSpan("model", "prediction", "INT02", seg2.segment_id, "offline", s3, s3 + 1, "🙂"),
    ]
    return corpus, codebook, codings_frame(rows)


def _key(df):
    return df[KEY].sort_values(KEY).reset_index(drop=True)


@pytest.mark.parametrize("offsets", ["codepoints", "utf16"])
def test_round_trip_cyrillic_and_emoji(tmp_path, small, offsets):
    corpus, codebook, codings = small
    path = write_qdpx(tmp_path / "study.qdpx", corpus=corpus, codebook=codebook, codings=codings, offsets=offsets)
    with zipfile.ZipFile(path) as archive:
        qde = archive.read("project.qde")
        sources = [n for n in archive.namelist() if n.startswith("Sources/")]
    _assert_valid(qde, "Project-mrt2019.xsd")  # the published schema, read from the reference copy
    assert len(sources) == 2
    human = codings[codings["source"] == "human"]
    for with_corpus in (None, corpus):
        project = read_qdpx(path, corpus=with_corpus)
        assert project.issues.empty, project.issues.to_string()
        got = project.codings
        expected = human if with_corpus is not None else human.assign(segment_id=None)
        pd.testing.assert_frame_equal(_key(got), _key(expected))
    assert {s.offset_units for s in project.sources} == {offsets}
    assert project.codebook.code_ids == codebook.code_ids
    for a, b in zip(project.codebook.codes, codebook.codes):
        assert a == b  # ids, facets, both languages, criteria, examples, seed words
    assert [f.id for f in project.codebook.facets] == [f.id for f in codebook.facets]
    first = project.codings[project.codings["code"] == "bonding"].iloc[0]
    assert (first.created_at, first.updated_at) == ("2024-05-01T10:00:00Z", "2024-05-02T10:00:00Z")


def test_utf16_positions_written_for_nvivo(tmp_path, small):
    corpus, codebook, codings = small
    path = write_qdpx(tmp_path / "nv.qdpx", corpus=corpus, codebook=codebook, codings=codings, offsets="utf16")
    root = etree.fromstring(zipfile.ZipFile(path).read("project.qde"))
    text = corpus["INT02"].text
    s3 = text.index("🙂")
    positions = {
        (int(s.get("startPosition")), int(s.get("endPosition")))
        for s in root.iter("{urn:QDA-XML:project:1.0}PlainTextSelection")
    }
    # '𝕏' before the emoji takes two UTF-16 units: the position moves by one.
    assert (s3 + 1, s3 + 3) in positions
    assert utf16_offset(text, s3) == s3 + 1


def test_write_is_deterministic_and_atomic(tmp_path, small):
    corpus, codebook, codings = small
    a = write_qdpx(tmp_path / "a.qdpx", corpus=corpus, codebook=codebook, codings=codings).read_bytes()
    b = write_qdpx(tmp_path / "b.qdpx", corpus=corpus, codebook=codebook, codings=codings).read_bytes()
    assert a == b
    bad = codings.copy()
    bad.loc[0, "code"] = "no_such_code"
    target = tmp_path / "a.qdpx"
    with pytest.raises(RefiError, match=r"Codings row 1: code 'no_such_code' is not in the codebook"):
        write_qdpx(target, corpus=corpus, codebook=codebook, codings=bad)
    assert target.read_bytes() == a  # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.qdpx", "b.qdpx", "transcripts"]


def test_write_rejects_codings_that_do_not_match_the_corpus(tmp_path, small):
    corpus, codebook, codings = small
    bad = codings.copy()
    bad.loc[0, "text"] = "something else"
    with pytest.raises(RefiError, match=r"Codings row 1: its text does not match transcript INT01"):
        write_qdpx(tmp_path / "x.qdpx", corpus=corpus, codebook=codebook, codings=bad)
    bad = codings.copy()
    bad.loc[2, "transcript_id"] = "INT99"
    with pytest.raises(RefiError, match=r"Codings row 3: transcript 'INT99' is not in the corpus"):
        write_qdpx(tmp_path / "x.qdpx", corpus=corpus, codebook=codebook, codings=bad)


def test_qdc_round_trip_validates(tmp_path):
    codebook = read_codebook(DEMO_CODEBOOK)
    path = write_qdc(tmp_path / "demo.qdc", codebook)
    _assert_valid(path.read_bytes(), "Codebook-mrt2019.xsd")
    back = read_qdc(path)
    assert back.codebook.code_ids == codebook.code_ids
    assert [f.id for f in back.codebook.facets] == [f.id for f in codebook.facets]
    for a, b in zip(back.codebook.codes, codebook.codes):
        assert (a.name, a.description, a.color, a.parent, a.facet) == (
            b.name,
            b.description,
            b.color,
            b.parent,
            b.facet,
        )
    assert write_qdc(tmp_path / "again.qdc", codebook).read_bytes() == path.read_bytes()


def test_reading_with_a_changed_corpus_reports_every_coding(tmp_path, small):
    corpus, codebook, codings = small
    path = write_qdpx(tmp_path / "s.qdpx", corpus=corpus, codebook=codebook, codings=codings)
    folder = tmp_path / "changed"
    folder.mkdir()
    (folder / "INT01.txt").write_text(TRANSCRIPT_RU.replace("Спасибо", "Спасибо большое"), encoding="utf-8")
    changed = read_corpus(str(folder / "*.txt"))
    project = read_qdpx(path, corpus=changed)
    reasons = project.issues.groupby("reason").size().to_dict()
    assert reasons == {"source_text_differs": 3, "source_not_in_corpus": 2}
    assert project.codings.empty


# ------------------------------------------------------------------ traps and bad input


def _qdpx(tmp_path, qde: str, files: dict[str, bytes], name="trap.qdpx", qde_name="project.qde") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(qde_name, qde.encode("utf-8"))
        for member, data in files.items():
            archive.writestr(member, data)
    return path


G = "{:08X}-0000-4000-8000-000000000000".format
TRAP_QDE = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="My Project" origin="NVivo for Mac 12">
  <Users><User guid="{G(1)}" name="Анна"/></Users>
  <CodeBook><Codes>
    <Code guid="{G(2)}" name="Доверие" isCodable="true" color="#F00"><Code guid="{G(3)}" name="Доверие" isCodable="true"/></Code>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="{G(10)}" name="Интервью 1.docx" plainTextPath="internal://{G(10)}.txt">
      <PlainTextSelection guid="{G(20)}" startPosition="0" endPosition="5"><Coding guid="{G(30)}" creatingUser="{G(1)}"><CodeRef targetGUID="{G(2)}"/></Coding></PlainTextSelection>
      <PlainTextSelection guid="{G(21)}" startPosition="7" endPosition="12"><Coding guid="{G(31)}" creatingUser="{G(1)}"><CodeRef targetGUID="{G(3)}"/></Coding></PlainTextSelection>
      <PlainTextSelection guid="{G(22)}" startPosition="4" endPosition="9999"><Coding guid="{G(32)}" creatingUser="{G(1)}"><CodeRef targetGUID="{G(2)}"/></Coding></PlainTextSelection>
      <PlainTextSelection guid="{G(23)}" startPosition="3" endPosition="3"><Coding guid="{G(33)}" creatingUser="{G(1)}"><CodeRef targetGUID="{G(2)}"/></Coding></PlainTextSelection>
      <PlainTextSelection guid="{G(24)}" startPosition="0" endPosition="2"><Coding guid="{G(34)}" creatingUser="{G(1)}"><CodeRef targetGUID="{G(99)}"/></Coding></PlainTextSelection>
      <PlainTextSelection guid="{G(25)}" startPosition="20" endPosition="23"><Coding guid="{G(35)}" creatingUser="{G(1)}"><CodeRef targetGUID="{G(3)}"/></Coding></PlainTextSelection>
    </TextSource>
    <TextSource guid="{G(11)}" name="gone.txt" plainTextPath="internal://{G(11)}.txt">
      <PlainTextSelection guid="{G(26)}" startPosition="0" endPosition="2"><Coding guid="{G(36)}" creatingUser="{G(1)}"><CodeRef targetGUID="{G(2)}"/></Coding></PlainTextSelection>
    </TextSource>
  </Sources>
</Project>"""  # noqa: E501 - one coding per line, as an exporter writes it
# BOM, CRLF, a decomposed ё and an emoji (two UTF-16 units) before the last selection.
TRAP_TEXT = "\ufeffАнна:\r\nДа, е\u0308лка 😀 всё так.\r\n"


def test_traps_nvivo_mac_folder_project_named_qde_bom_crlf(tmp_path):
    path = _qdpx(
        tmp_path, TRAP_QDE, {f"sources/{G(10).lower()}.txt": TRAP_TEXT.encode("utf-8")}, qde_name="My Project.qde"
    )
    project = read_qdpx(path)
    source = project.sources[0]
    assert source.transcript_id == "Интервью 1"
    assert source.text == "Анна:\nДа, ёлка 😀 всё так.\n"
    assert source.offset_units == "utf16"
    ids = [c.id for c in project.codes]
    assert ids == ["doverie", "doverie_doverie"]  # transliterated; a repeated name gets its parent's id
    rows = project.codings.set_index("result_id")
    assert rows.loc[G(30), "text"] == "Анна:"
    # 7-12 in UTF-16 units of the BOM-less CRLF text ends between 'е' and its combining diaeresis: widened.
    assert rows.loc[G(31), "text"] == "Да, ё"
    issues = project.issues.set_index("coding_guid")
    assert issues.loc[G(31), "reason"] == "offset_inside_character"
    assert issues.loc[G(31), "action"] == "repaired"
    assert issues.loc[G(32), "reason"] == "offset_out_of_range"
    assert issues.loc[G(33), "reason"] == "empty_selection"
    assert issues.loc[G(34), "reason"] == "unknown_code"
    assert issues.loc[G(36), "reason"] == "source_missing"
    assert rows.loc[G(35), "text"] == "всё"
    assert rows.loc[G(30), "coder"] == "Анна"
    assert project.counts["n_codings"] == 7
    assert project.counts["n_codings_mapped"] == 3
    assert project.counts["n_codings_set_aside"] == 4
    assert set(project.issues["coding_guid"].dropna()) | set(project.codings["result_id"]) == {
        G(n) for n in range(30, 37)
    }  # nothing dropped silently


def test_offset_inside_character_is_widened():
    omap = OffsetMap.build("Да, е\u0308лка\r\nx", "codepoints")
    assert omap.text == "Да, ёлка\nx"
    assert omap.span(4, 5) == (4, 5, True)  # cut between е and the combining diaeresis
    assert omap.span(4, 6) == (4, 5, False)
    assert omap.span(9, 10) == (8, 9, True)  # ends between CR and LF
    assert omap.span(9, 11) == (8, 9, False)
    assert omap.span(0, 99) is None


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"not a zip", r"not a REFI-QDA project: a \.qdpx file is a zip archive"),
        (None, r"no \.qde project file inside"),
        ("<Project", r"not well-formed XML"),
        ("<CodeBook xmlns='urn:QDA-XML:codebook:1.0'/>", r"the root element is <CodeBook>, not <Project>"),
    ],
)
def test_bad_projects_raise_one_clear_error(tmp_path, payload, message):
    path = tmp_path / "bad.qdpx"
    if isinstance(payload, bytes):
        path.write_bytes(payload)
    elif payload is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "x")
    else:
        _qdpx(tmp_path, payload, {}, name="bad.qdpx")
    with pytest.raises(RefiError, match=message):
        read_qdpx(path)


def test_validate_rejects_invalid_xml():
    with pytest.raises(RefiError, match=r"does not validate against the QDA-XML 1\.0 schema"):
        validate_refi_xml(b'<Project xmlns="urn:QDA-XML:project:1.0"/>', "project")


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \r\n\u0308\u0301еЁ😀🏽\u1100\u1161")), max_size=40))
def test_offset_map_properties(stored):
    for units in ("codepoints", "utf16"):
        omap = OffsetMap.build(stored, units)
        assert omap.text == normalize_text(stored)
        expected_units = len(stored.encode("utf-16-le")) // 2 if units == "utf16" else len(stored)
        assert omap.n_units == expected_units
        exact = [b for b in omap.boundaries if b >= 0]
        assert exact == sorted(exact) and exact[0] == 0 and exact[-1] == len(omap.text)
        assert omap.span(0, omap.n_units)[:2] == (0, len(omap.text))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["zip", "raw"]))
def test_reader_raises_only_project_errors(tmp_path_factory, data, kind):
    path = tmp_path_factory.mktemp("fuzz") / "f.qdpx"
    if kind == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("project.qde", data)
    else:
        path.write_bytes(data)
    with contextlib.suppress(RefiError):
        read_qdpx(path)


# ------------------------------------------------------------------ CLI


def test_cli_import_and_export_round_trip(tmp_path, small):
    corpus, codebook, codings = small
    qdpx = write_qdpx(tmp_path / "s.qdpx", corpus=corpus, codebook=codebook, codings=codings)
    out = tmp_path / "imported"
    result = runner.invoke(app, ["refi", "import", str(qdpx), "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "sources").iterdir()) == ["INT01.txt", "INT02.txt"]
    assert (out / "sources" / "INT01.txt").read_text(encoding="utf-8") == corpus["INT01"].text
    assert read_codebook(out / "codebook.toml").code_ids == codebook.code_ids
    again = tmp_path / "again.qdpx"
    result = runner.invoke(
        app,
        [
            "refi",
            "export",
            "--corpus",
            str(out / "sources" / "*.txt"),
            "--codebook",
            str(out / "codebook.toml"),
            "--codings",
            str(out / "codings.csv"),
            "--out",
            str(again),
        ],
    )
    assert result.exit_code == 0, result.output
    back = read_qdpx(again, corpus=read_corpus(str(out / "sources" / "*.txt")))
    human = codings[codings["source"] == "human"]
    pd.testing.assert_frame_equal(_key(back.codings), _key(human))


def test_cli_import_reports_missing_sources(tmp_path):
    result = runner.invoke(app, ["refi", "import", str(ATLAS8), "--out-dir", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "8 source text(s) are missing" in " ".join(result.output.split())
    issues = pd.read_csv(tmp_path / "a" / "issues.csv", encoding="utf-8-sig")
    assert (issues["reason"] == "source_missing").sum() == 17


def test_cli_qdc_and_errors(tmp_path):
    result = runner.invoke(app, ["refi", "import", str(ATLAS_QDC), "--out-dir", str(tmp_path / "q")])
    assert result.exit_code == 0, result.output
    assert read_codebook(tmp_path / "q" / "codebook.toml").code_ids == ("code1",)
    result = runner.invoke(
        app, ["refi", "export-codebook", "--codebook", str(DEMO_CODEBOOK), "--out", str(tmp_path / "d.qdc")]
    )
    assert result.exit_code == 0, result.output
    assert len(read_qdc(tmp_path / "d.qdc").codes) == 17
    bad = tmp_path / "x.txt"
    bad.write_text("x")
    result = runner.invoke(app, ["refi", "import", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {bad}: expected a .qdpx project or a .qdc codebook, not .txt."
    broken = tmp_path / "broken.qdpx"
    broken.write_bytes(b"garbage")
    result = runner.invoke(app, ["refi", "import", str(broken)])
    assert result.exit_code == 1
    assert re.fullmatch(
        r"Error: .*broken\.qdpx: not a REFI-QDA project: a \.qdpx file is a zip archive .*", result.stderr.strip()
    )


def test_the_shipped_schemas_are_the_published_ones():
    """coding/schemas holds the REFI schemas verbatim: byte-equal to the reference copies."""
    from qualquant.coding.refi._schema import SCHEMA_DIR, SCHEMA_FILES

    for name in SCHEMA_FILES.values():
        assert (SCHEMA_DIR / name).read_bytes() == (Path(__file__).parent / "reference" / "refi" / name).read_bytes()
