"""Pseudonymisation: inflected names, identifiers, remapped segments, idempotence."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pipelines
from corpus import (
    AnonymizationError,
    NamesFileError,
    anonymize,
    read_corpus,
    read_names,
    read_transcript,
    write_mapping,
)
from corpus.anonymize import find_identifiers, inflected_forms

DEMO = Path(pipelines.__file__).parent / "demo_data"

NAMES = "# people in the study\nАлексей, Лёша, Лёха\nТимур   # the participant\nАнна Петровна\n"


@pytest.fixture()
def names_file(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text(NAMES, encoding="utf-8")
    return path


def _transcript(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_transcript(path)


def test_read_names(names_file):
    assert read_names(names_file) == (("Алексей", "Лёша", "Лёха"), ("Тимур",), ("Анна Петровна",))


def test_names_file_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("Алексей\nЛёша, Алексей\n", encoding="utf-8")
    with pytest.raises(NamesFileError) as info:
        read_names(bad)
    assert str(info.value) == (
        f"{bad} lines 1 and 2: 'Алексей' is listed for two people. Keep it on one line so it gets "
        "one pseudonym."
    )
    bad.write_text("Агент 007\n", encoding="utf-8")
    with pytest.raises(NamesFileError, match="line 1: 'Агент 007' is not a name"):
        read_names(bad)
    bad.write_bytes("Алексей".encode("cp1251"))
    with pytest.raises(NamesFileError, match="is not UTF-8"):
        read_names(bad)


def test_russian_case_forms_are_recognised():
    # nominative, genitive, dative, instrumental of the listed forms (Russian grammar)
    assert {"алексей", "алексея", "алексею", "алексеем", "алексее"} <= inflected_forms("Алексей")
    assert {"леша", "леши", "леше", "лешу", "лешей"} <= inflected_forms("Лёша")
    assert "петрович" not in inflected_forms("Петровна")  # same gender only


def test_names_and_identifiers_are_replaced_with_stable_pseudonyms(tmp_path, names_file):
    t1 = _transcript(tmp_path, "INT01.txt", (
        "Интервьюер: Алексей, расскажите про Тимура.\n"
        "Тимур: Я позвонил Алексею, потом Лёше: +7 (701) 123-45-67, почта timur.k@mail.kz.\n"
        "Интервьюер: А Анна Петровна?\n"
        "Тимур: Пишите @timur_kz или t.me/timur_kz, сайт https://example.kz/page. ИИН 900101300123.\n"
    ))
    t2 = _transcript(tmp_path, "INT02.txt", (
        "И: С Лёшей знакомы?\nР: Да, звонил ему на 8 701 123 45 67. Вера в лучшее, а вера — это важно.\n"
    ))
    (a1, a2), mapping = anonymize([t1, t2], names=names_file)
    assert a1.text == (
        "Интервьюер: [NAME_1], расскажите про [NAME_2].\n"
        "[NAME_2]: Я позвонил [NAME_1], потом [NAME_1]: [PHONE_1], почта [EMAIL_1].\n"
        "Интервьюер: А [NAME_3]?\n"
        "[NAME_2]: Пишите [TELEGRAM_1] или [TELEGRAM_1], сайт [URL_1]. ИИН [IIN_1].\n"
    )
    assert a2.text == "И: С [NAME_1] знакомы?\nР: Да, звонил ему на [PHONE_1]. Вера в лучшее, а вера — это важно.\n"
    # segments remapped (not re-parsed): labels that were names keep turn and role
    assert [(s.speaker, s.role) for s in a1.segments] == [
        ("Интервьюер", "interviewer"), ("[NAME_2]", "participant"),
        ("Интервьюер", "interviewer"), ("[NAME_2]", "participant"),
    ]
    for t in (a1, a2):
        for s in t.segments:
            assert t.text[s.start : s.end] == s.text
    assert a1.segments[1].text.startswith("Я позвонил [NAME_1]")
    assert list(mapping.columns) == ["original", "pseudonym", "kind", "transcript_id", "count"]
    rows = {(r.original, r.pseudonym, r.transcript_id): r.count for r in mapping.itertuples()}
    assert rows[("Тимур", "[NAME_2]", "INT01")] == 2  # the two labels
    assert rows[("Лёшей", "[NAME_1]", "INT02")] == 1
    assert rows[("8 701 123 45 67", "[PHONE_1]", "INT02")] == 1
    assert rows[("Анна Петровна", "[NAME_3]", "INT01")] == 1
    assert mapping["kind"].tolist()[:1] == ["NAME"]


def test_anonymize_is_idempotent_and_deterministic(tmp_path, names_file):
    text = "Интервьюер: Алексей, ваш телефон?\nТимур: +77011234567, а Лёхи нет. Тимур.\n"
    t = _transcript(tmp_path, "X.txt", text)
    once, mapping = anonymize(t, names=names_file)
    twice, mapping2 = anonymize(once, names=names_file)
    assert twice == once
    assert mapping2.empty
    again, mapping3 = anonymize(t, names=names_file)
    assert again == once and mapping3.equals(mapping)


def test_second_pass_with_new_names_continues_numbering(tmp_path):
    t = _transcript(tmp_path, "X.txt", "И: Алексей?\nР: Тимур.\n")
    once, _ = anonymize(t, names=["Алексей"])
    twice, _ = anonymize(once, names=["Тимур"])
    assert twice.text == "И: [NAME_1]?\nР: [NAME_2].\n"
    with pytest.raises(AnonymizationError, match="unknown kind 'NAMES'"):
        anonymize(t, names=["Тимур"], start_counter={"NAMES": 3})


def test_corpus_in_corpus_out_keeps_cases(tmp_path):
    corpus = read_corpus(DEMO / "transcripts", cases=DEMO / "cases.csv")
    names = tmp_path / "names.txt"
    names.write_text("Илья\nДенис\nАндрей\nОля, Ольга\nВадим\n", encoding="utf-8")
    anon, mapping = anonymize(corpus, names=names)
    assert anon.cases is corpus.cases and len(anon) == 20
    assert not anon["INT01"].text.count("Илья")
    assert (mapping["kind"] == "NAME").any()
    vadim = [s for s in anon["INT11"].segments if s.role == "participant"]
    assert {s.speaker for s in vadim} == {"[NAME_" + mapping.loc[mapping["original"] == "Вадим", "pseudonym"].iloc[0].split("_")[1]}
    for t in anon:
        assert [s.role for s in t.segments] == [s.role for s in corpus[t.id].segments]
        for s in t.segments:
            assert t.text[s.start : s.end] == s.text


def test_write_mapping_is_private_and_atomic(tmp_path, names_file):
    t = _transcript(tmp_path, "X.txt", "И: Алексей?\nР: Да.\n")
    _, mapping = anonymize(t, names=names_file)
    path = write_mapping(mapping, tmp_path / "keys" / "mapping.csv")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back["original"].tolist() == ["Алексей"]
    assert [p.name for p in path.parent.iterdir()] == ["mapping.csv"]  # no temp file left
    with pytest.raises(AnonymizationError, match=r"write the mapping as \.csv, \.xlsx or \.parquet"):
        write_mapping(mapping, tmp_path / "mapping.json")


@settings(max_examples=150, deadline=None)
@given(
    body=st.lists(
        st.one_of(
            st.sampled_from(["Алексей", "Алексея", "Лёшей", "Тимур", "+7 701 123 45 67", "a@b.kz",
                             "@someone", "123456789012", "[NAME_1]", " ", "\n", ",", "И:", "Р:"]),
            st.text(alphabet="абвгд ежз.,\n:", max_size=8),
        ),
        max_size=25,
    ).map("".join)
)
def test_property_offsets_hold_and_second_pass_changes_nothing(tmp_path_factory, body):
    from corpus.model import Transcript
    from corpus.readers import _segments
    from corpus.speakers import split_turns

    text = "И: " + body
    t = Transcript("P", text, "ru", segments=_segments("P", text, split_turns(text).turns))
    once, _ = anonymize(t, names=[("Алексей", "Лёша"), ("Тимур",)])
    for s in once.segments:
        assert once.text[s.start : s.end] == s.text
    assert [s.role for s in once.segments] == [s.role for s in t.segments]
    twice, mapping = anonymize(once, names=[("Алексей", "Лёша"), ("Тимур",)])
    assert twice == once and mapping.empty


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Жили в хостеле на Бухар-Жырау, 47, там было дёшево.", ["Бухар-Жырау, 47"]),
        ("Записывайте: Кенесары, 65, квартира 112, это наш адрес.", ["Кенесары, 65, квартира 112"]),
        ("Офис на ул. Жандосова, 58, кв. 12.", ["ул. Жандосова, 58, кв. 12"]),
        ("Коворкинг на Жибек Жолы, 50, третий этаж.", ["Жибек Жолы, 50"]),
        ("Our office is at 12 Baker Street now.", ["12 Baker Street"]),
        # not addresses: a date after a city, an amount, a duration, a decimal
        ("Интервью 1. Алматы, 27.05.2023.", []),
        ("Квартира на Манаса, 340 тысяч в месяц.", []),
        ("Это по Абая, 5 минут пешком.", []),
        ("Нет, 20 лет уже.", []),
    ],
)
def test_street_addresses_are_found_and_amounts_are_not(text, expected):
    found = [f.original for f in find_identifiers(text) if f.kind == "ADDRESS"]
    assert found == expected


def test_demo_addresses_are_pseudonymised():
    demo = Path(pipelines.__file__).parent / "demo_data"
    corpus = read_corpus(demo / "transcripts", cases=demo / "cases.csv")
    anonymised, mapping = anonymize(corpus, names=read_names(demo / "names.txt"))
    addresses = set(mapping.loc[mapping["kind"] == "ADDRESS", "original"])
    assert {"Бухар-Жырау, 47", "Кенесары, 65, квартира 112", "Манаса, 34"} <= addresses
    text = "\n".join(t.text for t in anonymised)
    assert "Кенесары, 65" not in text and "[ADDRESS_1]" in text
