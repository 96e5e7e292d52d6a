"""Readers: encodings, .docx, .vtt, .srt, normalisation, and every bad input of the issue."""

from __future__ import annotations

import codecs
import warnings
from pathlib import Path

import docx
import pytest

from qualquant.corpus import (
    NoSpeakerLabelsWarning,
    Transcript,
    TranscriptReadError,
    read_transcript,
)
from qualquant.corpus.encoding import decode_bytes

TEXT = (
    "Интервью 7. Алматы, 12.03.2023.\n"
    "\n"
    "Интервьюер: Расскажите, как вы приехали?\n"
    "Респондент: Ну, мы с друзьями [смеётся] искали квартиру.\n"
    "Потом нашли — в Алматы, за «Меге».\n"
    "Интервьюер: Спасибо.\n"
)


def _check_invariant(t: Transcript) -> None:
    for seg in t.segments:
        assert t.text[seg.start : seg.end] == seg.text
        assert seg.text == seg.text.strip() and seg.text


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "encoding, data",
    [
        ("utf-8", TEXT.encode("utf-8")),
        ("utf-8-sig", codecs.BOM_UTF8 + TEXT.encode("utf-8")),
        ("utf-16", TEXT.encode("utf-16")),  # Python writes a BOM
        ("utf-16", codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be")),
        ("cp1251", TEXT.replace("«", '"').replace("»", '"').encode("cp1251")),
    ],
)
def test_text_encodings_are_detected_and_reported(tmp_path, encoding, data):
    t = read_transcript(_write(tmp_path, "INT07.txt", data))
    assert t.encoding == encoding
    assert t.id == "INT07"
    assert [s.role for s in t.segments] == ["other", "interviewer", "participant", "interviewer"]
    assert t.segments[2].text == (
        "Ну, мы с друзьями [смеётся] искали квартиру.\nПотом нашли — в Алматы, за "
        + ("«Меге»." if encoding != "cp1251" else '"Меге".')
    )
    assert t.language == "ru"
    _check_invariant(t)


def test_crlf_and_nfd_are_normalised_once_and_input_is_untouched(tmp_path):
    nfd = "Интервьюер: Все\u0308 хорошо?\r\nРеспондент: Даи\u0306.\r\n"  # ё and й decomposed
    path = _write(tmp_path, "T1.md", nfd.encode("utf-8"))
    before = path.read_bytes()
    t = read_transcript(path)
    assert "\r" not in t.text
    assert t.segments[0].text == "Всё хорошо?"
    assert t.segments[1].text == "Дай."
    assert len(t.segments[1].text) == 4
    assert path.read_bytes() == before
    assert t.metadata["format"] == "md"


def test_docx_paragraphs_in_order(tmp_path):
    document = docx.Document()
    document.add_paragraph("Интервью 4. Уральск.")
    document.add_paragraph("И: Как вы устроились?")
    document.add_paragraph("Р: Сначала жили у знакомых.")
    document.add_paragraph("Потом сняли квартиру.")
    path = tmp_path / "INT04.docx"
    document.save(path)
    t = read_transcript(path)
    assert t.encoding == "docx"
    assert [(s.speaker, s.role, s.text) for s in t.segments] == [
        ("", "other", "Интервью 4. Уральск."),
        ("И", "interviewer", "Как вы устроились?"),
        ("Р", "participant", "Сначала жили у знакомых.\nПотом сняли квартиру."),
    ]
    _check_invariant(t)


VTT = """WEBVTT

NOTE exported by a meeting tool

1
00:00:02.340 --> 00:00:06.065
<v Интервьюер>Так, запись пошла. Меня слышно?</v>

00:00:07.155 --> 00:00:12.793 align:start
<v Респондент>Да, слышно &amp; видно.</v>

00:00:13.000 --> 00:00:15.500
<v Респондент>Второй кусок <i>ответа</i>.</v>

01:02.000 --> 01:05.250
Интервьюер: А дальше?
"""


def test_vtt_voice_tags_timestamps_and_merged_cues(tmp_path):
    t = read_transcript(_write(tmp_path, "INT08.vtt", VTT.encode("utf-8")))
    assert t.encoding == "utf-8"
    assert t.metadata["format"] == "vtt"
    assert [(s.speaker, s.role, s.timestamp, s.text) for s in t.segments] == [
        ("Интервьюер", "interviewer", "00:00:02.340", "Так, запись пошла. Меня слышно?"),
        ("Респондент", "participant", "00:00:07.155", "Да, слышно & видно.\nВторой кусок ответа."),
        ("Интервьюер", "interviewer", "00:01:02.000", "А дальше?"),
    ]
    assert t.text.startswith("Интервьюер: Так, запись пошла.")
    _check_invariant(t)


SRT = """1
00:00:01,000 --> 00:00:03,500
Interviewer: How did you arrive?

2
00:00:04,000 --> 00:00:09,000
Respondent: By car, through Oral.
It took two days.

3
00:00:09,500 --> 00:00:10,000
<i>Yes.</i>
"""


def test_srt_name_prefix_and_continuation(tmp_path):
    t = read_transcript(_write(tmp_path, "E1.srt", codecs.BOM_UTF8 + SRT.encode("utf-8")))
    assert t.encoding == "utf-8-sig"
    assert t.language == "en"
    assert [(s.speaker, s.role, s.timestamp, s.text) for s in t.segments] == [
        ("Interviewer", "interviewer", "00:00:01.000", "How did you arrive?"),
        ("Respondent", "participant", "00:00:04.000", "By car, through Oral.\nIt took two days.\nYes."),
    ]
    _check_invariant(t)


# ---------------------------------------------------------------- bad input
def _error(path) -> str:
    with pytest.raises(TranscriptReadError) as info:
        read_transcript(path)
    return str(info.value)


def test_binary_file_is_an_error(tmp_path):
    path = _write(tmp_path, "bad.txt", b"abc\x00\x01\x02binary")
    assert _error(path) == (
        f"{path}: the file looks binary (NUL byte at offset 3); it is not a text transcript "
        "(UTF-16 files need a byte-order mark). Re-save it as UTF-8 text."
    )


def test_zip_saved_as_txt_is_named(tmp_path):
    path = _write(tmp_path, "bad.txt", b"PK\x03\x04rest")
    assert _error(path) == (
        f"{path}: the file is a zip archive (a .docx, .xlsx or .zip file?), not a plain-text "
        "transcript. Save the transcript as .txt (UTF-8) or give the file its proper extension (.docx)."
    )


def test_undecodable_file_is_an_error_not_replacement_characters(tmp_path):
    # invalid UTF-8; as cp1251 byte 0x98 is undefined
    path = _write(tmp_path, "bad.txt", "Интервьюер: да".encode("cp1251") + b"\x98")
    assert _error(path) == (
        f"{path}: cannot decode the file: invalid UTF-8 byte 0xc8 at offset 0, and byte 0x98 at "
        "offset 14 is not Windows-1251 either. Re-save it as UTF-8, or declare its encoding (--encoding on "
        "`qualquant corpus ingest`, encoding in the [corpus] section of study.toml)."
    )


def test_latin1_text_is_not_mistaken_for_cp1251(tmp_path):
    path = _write(tmp_path, "bad.txt", "I: Où était le café? R: À côté de l'école, très près.".encode("latin-1"))
    message = _error(path)
    assert message.startswith(f"{path}: cannot decode the file: invalid UTF-8 byte")
    assert message.endswith(
        "It looks like cp1252. Re-save it as UTF-8, or declare its encoding (--encoding on "
        "`qualquant corpus ingest`, encoding in the [corpus] section of study.toml)."
    )


def test_koi8r_is_not_mistaken_for_cp1251():
    data = "Интервьюер: расскажите, пожалуйста, как вы приехали в город".encode("koi8-r")
    with pytest.raises(TranscriptReadError, match="mostly upper case"):
        decode_bytes(data, source="x.txt")


@pytest.mark.parametrize("data", [b"", b"   \n\n\t ", codecs.BOM_UTF8 + b"\n"])
def test_empty_file_is_an_error(tmp_path, data):
    path = _write(tmp_path, "empty.txt", data)
    assert _error(path) == (f"{path}: the file is empty (no text). Put the transcript in it or leave the file out.")


def test_docx_that_is_not_a_zip(tmp_path):
    path = _write(tmp_path, "INT04.docx", "И: это просто текст".encode())
    assert _error(path) == (
        f"{path}: not a valid .docx file (it is not a zip archive). Open it in Word or LibreOffice "
        "and save it again as .docx, or save it as .txt."
    )


def test_vtt_with_broken_cue_time_names_the_line(tmp_path):
    broken = VTT.replace("00:00:07.155 --> 00:00:12.793", "00:00:0x.155 --> 00:00:12.793")
    path = _write(tmp_path, "INT08.vtt", broken.encode("utf-8"))
    assert _error(path) == (
        f"{path} line 9: broken cue time '00:00:0x.155 --> 00:00:12.793 align:start'; expected "
        "'HH:MM:SS.mmm --> HH:MM:SS.mmm'. Fix the cue timing in the file."
    )


def test_vtt_cue_ending_before_it_starts(tmp_path):
    broken = VTT.replace("00:00:13.000 --> 00:00:15.500", "00:00:15.500 --> 00:00:13.000")
    path = _write(tmp_path, "INT08.vtt", broken.encode("utf-8"))
    assert _error(path) == (
        f"{path} line 12: cue ends (00:00:13.000) before it starts (00:00:15.500). Fix the cue timing in the file."
    )


def test_vtt_without_header(tmp_path):
    path = _write(tmp_path, "x.vtt", VTT.replace("WEBVTT\n", "").encode("utf-8"))
    assert _error(path).startswith(f"{path} line 1: missing the 'WEBVTT' header")


def test_unsupported_extension_and_missing_file(tmp_path):
    path = _write(tmp_path, "x.pdf", b"%PDF-1.4")
    assert _error(path) == (
        f"{path}: unsupported file type '.pdf'; transcripts must be .txt, .md, .docx, .vtt, .srt. "
        "Convert the file or leave it out."
    )
    missing = tmp_path / "nope.txt"
    assert _error(missing) == f"{missing}: no such file. Check the path."


def test_no_speaker_labels_warns_and_reads_one_participant_turn(tmp_path):
    path = _write(tmp_path, "memo.txt", "  Просто заметки без реплик.\nВторая строка.\n".encode())
    with pytest.warns(NoSpeakerLabelsWarning) as record:
        t = read_transcript(path)
    assert str(record[0].message) == (
        f"{path}: no speaker labels recognised; the whole text is read as one participant turn. "
        "Add labels such as 'Интервьюер:'/'Респондент:' or pass speaker patterns that match this file."
    )
    assert len(t.segments) == 1
    seg = t.segments[0]
    assert (seg.role, seg.speaker, seg.start) == ("participant", "", 2)
    assert seg.text == "Просто заметки без реплик.\nВторая строка."
    assert t.metadata["speaker_labels"] == "none"


def test_labelled_file_does_not_warn(tmp_path):
    path = _write(tmp_path, "ok.txt", TEXT.encode("utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_transcript(path)


# ---------------------------------------------------------------- declared encodings
RUSSIAN = (
    "Интервьюер: Расскажите, пожалуйста, как вы приехали в город?\n"
    "Респондент: Ну, это было давно, ещё в девяностых. Сначала жили у тёти, потом сняли квартиру.\n"
)
GERMAN = (
    "Interviewer: Wie sind Sie in die Stadt gekommen?\n"
    "Befragte: Über die Grenze, mit dem Zug. Für mich war das schön; die Straße, die Größe der Häuser.\n"
)
FRENCH = (
    "Interviewer: Où était le café?\n"
    "Participant: À côté de l'école, très près. Ça m'a plu, même l'été; naïf, peut-être.\n"
)
DECLARED = [
    (RUSSIAN, "cp1251", "cp1251"),
    (RUSSIAN, "koi8-r", "koi8-r"),
    (RUSSIAN, "KOI8_R", "koi8-r"),
    (GERMAN, "cp1252", "cp1252"),
    (GERMAN, "latin-1", "iso8859-1"),
    (FRENCH, "cp1252", "cp1252"),
    (FRENCH, "latin-1", "iso8859-1"),
    (GERMAN + "Preis: 5 € – «gut».\n", "cp1252", "cp1252"),
]


@pytest.mark.parametrize("text, declared, name", DECLARED)
def test_declared_encoding_gives_the_exact_text(tmp_path, text, declared, name):
    path = _write(tmp_path, "INT01.txt", text.encode(declared))
    t = read_transcript(path, encoding=declared)
    assert t.text == text
    assert t.encoding == name
    assert all(seg.text == t.text[seg.start : seg.end] for seg in t.segments)


# (text, real encoding, declared encoding, line of the first problem, the likely encoding named)
WRONG = [
    (RUSSIAN, "koi8-r", "cp1251", 1, "koi8-r"),  # mostly upper case
    (RUSSIAN, "cp1251", "koi8-r", 1, "cp1251"),
    (RUSSIAN, "koi8-r", "cp1252", 1, "koi8-r"),  # "éÎÔÅÒ×ØÀÅÒ": accented Latin letters only
    (RUSSIAN, "cp1251", "latin-1", 1, "cp1251"),
    (GERMAN, "cp1252", "cp1251", 2, "cp1252"),  # "Ьber": Latin and Cyrillic mixed in words
    (GERMAN, "latin-1", "koi8-r", 2, "cp1252"),
    (FRENCH, "cp1252", "utf-8", 1, "cp1252"),  # byte 0xf9 is not UTF-8
    (GERMAN + "Preis: 5 € – gut.\n", "cp1252", "latin-1", 3, "cp1252"),  # C1 control U+0080
    (RUSSIAN, "utf-8", "cp1252", 1, "utf-8"),  # byte 0x98 is undefined in cp1252
]


@pytest.mark.parametrize("text, real, declared, line, likely", WRONG)
def test_wrong_declared_encoding_names_the_file_and_line(tmp_path, text, real, declared, line, likely):
    path = _write(tmp_path, "INT02.txt", text.encode(real))
    with pytest.raises(TranscriptReadError) as info:
        read_transcript(path, encoding=declared)
    message = str(info.value)
    assert message.startswith(f"{path} line {line}: ")
    assert declared in message
    assert f"It looks like {likely}." in message
    assert message.endswith("Declare the file's real encoding or re-save it as UTF-8.")


def test_replacement_character_from_a_declared_encoding_is_an_error(tmp_path):
    path = _write(tmp_path, "INT03.txt", "И: да\nР: нет \ufffd\n".encode())
    with pytest.raises(TranscriptReadError, match=r"line 2: read as utf-8 the file holds a replacement character"):
        read_transcript(path, encoding="utf-8")


def test_unknown_declared_encoding_is_an_error(tmp_path):
    path = _write(tmp_path, "INT04.txt", b"I: hello")
    with pytest.raises(TranscriptReadError, match="Unknown text encoding 'cp-9999'"):
        read_transcript(path, encoding="cp-9999")
    with pytest.raises(TranscriptReadError, match="Unknown text encoding 'base64'"):
        read_transcript(path, encoding="base64")


@pytest.mark.parametrize("text, real", [(RUSSIAN, "koi8-r"), (GERMAN, "cp1252"), (FRENCH, "latin-1")])
def test_undeclared_ambiguous_encoding_asks_to_declare_it(tmp_path, text, real):
    path = _write(tmp_path, "INT05.txt", text.encode(real))
    message = _error(path)
    assert message.startswith(f"{path}: cannot decode the file: invalid UTF-8 byte")
    assert "declare its encoding (--encoding on `qualquant corpus ingest`, encoding in the [corpus] section" in message


def test_undeclared_detection_is_unchanged_for_unambiguous_files(tmp_path):
    for name, data, expected in [
        ("a.txt", RUSSIAN.encode("cp1251"), "cp1251"),
        ("b.txt", RUSSIAN.encode("utf-8"), "utf-8"),
        ("c.txt", codecs.BOM_UTF16_LE + RUSSIAN.encode("utf-16-le"), "utf-16"),
    ]:
        t = read_transcript(_write(tmp_path, name, data))
        assert (t.text, t.encoding) == (RUSSIAN, expected)


def test_declared_encoding_is_ignored_for_docx_and_used_for_subtitles(tmp_path):
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\nИнтервьюер: Как дела?\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\nРеспондент: Хорошо.\n"
    )
    path = _write(tmp_path, "INT06.srt", srt.encode("koi8-r"))
    t = read_transcript(path, encoding="koi8-r")
    assert t.encoding == "koi8-r"
    assert "Респондент" in t.text
