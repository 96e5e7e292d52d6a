"""Pseudonymisation: inflected names, identifiers, remapped segments, idempotence."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualquant import pipelines
from qualquant.corpus import (
    AnonymizationError,
    NamesFileError,
    anonymize,
    read_corpus,
    read_names,
    read_transcript,
    write_mapping,
)
from qualquant.corpus.anonymize import find_identifiers, inflected_forms
from qualquant.corpus.model import Transcript

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
        f"{bad} lines 1 and 2: 'Алексей' is listed for two people. Keep it on one line so it gets one pseudonym."
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
    t1 = _transcript(
        tmp_path,
        "INT01.txt",
        (
            "Интервьюер: Алексей, расскажите про Тимура.\n"
            "Тимур: Я позвонил Алексею, потом Лёше: +7 (701) 123-45-67, почта timur.k@mail.kz.\n"
            "Интервьюер: А Анна Петровна?\n"
            "Тимур: Пишите @timur_kz или t.me/timur_kz, сайт https://example.kz/page. ИИН 900101300123.\n"
        ),
    )
    t2 = _transcript(
        tmp_path,
        "INT02.txt",
        ("И: С Лёшей знакомы?\nР: Да, звонил ему на 8 701 123 45 67. Вера в лучшее, а вера — это важно.\n"),
    )
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
        ("Интервьюер", "interviewer"),
        ("[NAME_2]", "participant"),
        ("Интервьюер", "interviewer"),
        ("[NAME_2]", "participant"),
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
    assert {s.speaker for s in vadim} == {
        "[NAME_" + mapping.loc[mapping["original"] == "Вадим", "pseudonym"].iloc[0].split("_")[1]
    }
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
            st.sampled_from(
                [
                    "Алексей",
                    "Алексея",
                    "Лёшей",
                    "Тимур",
                    "+7 701 123 45 67",
                    "a@b.kz",
                    "@someone",
                    "123456789012",
                    "[NAME_1]",
                    " ",
                    "\n",
                    ",",
                    "И:",
                    "Р:",
                    "Катины",
                    "Катиным",
                    "Тем",
                    "Темой",
                    "Тёма",
                    "дядя",
                    "Дядя",
                    "Ержан-аги",
                    "ага",
                    "-",
                    ".",
                    "на ",
                    "8 (7252) 40-17-93",
                    "Кенесары, 65, квартира 112",
                    "Кенесары 65",
                    "[смеётся]",
                    "Курмангазы, сто двенадцать",
                    "Курмангазы, сто\nдвенадцать",
                    "Казахтелеком",
                    "[OTHER_1]",
                ]
            ),
            st.text(alphabet="абвгд ежз.,\n:", max_size=8),
        ),
        max_size=25,
    ).map("".join)
)
def test_property_offsets_hold_and_second_pass_changes_nothing(tmp_path_factory, body):
    from qualquant.corpus.model import Transcript
    from qualquant.corpus.readers import _segments
    from qualquant.corpus.speakers import split_turns

    text = "И: " + body
    t = Transcript("P", text, "ru", segments=_segments("P", text, split_turns(text).turns))
    names = [
        ("Алексей", "Лёша"),
        ("Тимур",),
        ("Екатерина", "Катя"),
        ("Артём", "Тёма"),
        ("Ержан", "Ержан-ага", "дядя Ержан"),
        "[ADDRESS] Курмангазы, сто двенадцать",
        "[OTHER] Казахтелеком",
    ]
    once, _ = anonymize(t, names=names)
    for s in once.segments:
        assert once.text[s.start : s.end] == s.text
    assert [s.role for s in once.segments] == [s.role for s in t.segments]
    twice, mapping = anonymize(once, names=names)
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


# ------------------------------------------------------------- review fixes
def _anon(text, names):
    from qualquant.corpus.model import Transcript

    new, mapping = anonymize(Transcript("T", text, "ru"), names=names)
    return new.text, mapping


def test_names_pymorphy_does_not_know_are_declined_by_their_ending():
    # pymorphy3 has no paradigm for these: forms come from Russian noun-declension endings
    assert {"полинки", "полинке", "полинку", "полинкой"} <= inflected_forms("Полинка")
    assert "максимкой" in inflected_forms("Максимка")
    assert {"беки", "беке", "беку", "бекой"} <= inflected_forms("Бека")
    assert {"кенжебая", "кенжебаю", "кенжебаем"} <= inflected_forms("Кенжебай")
    assert inflected_forms("Сауле") == {"сауле"}  # a name in -е does not decline
    # hyphenated honorific compounds: both parts are inflected
    assert {"ержан-ага", "ержан-аги", "ержан-аге", "ержан-агой"} <= inflected_forms("Ержан-ага")
    text, _ = _anon(
        "У Полинки садик. Мы с Бекой на Медеу ездили. У Беки девушка. Она дома с Максимкой. "
        "У Ержан-аги трое детей, Ержан-ага добрый. А полинки — это не имя.",
        [("Полина", "Полинка"), ("Бекзат", "Бека"), ("Максим", "Макс", "Максимка"), ("Ержан", "Ержан-ага")],
    )
    assert text == (
        "У [NAME_1] садик. Мы с [NAME_2] на Медеу ездили. У [NAME_2] девушка. Она дома с [NAME_3]. "
        "У [NAME_4]-аги трое детей, [NAME_4]-ага добрый. А полинки — это не имя."
    )


def test_possessives_of_listed_names_get_the_persons_pseudonym():
    from qualquant.corpus.anonymize import possessive_forms

    assert {
        "катин",
        "катина",
        "катино",
        "катины",
        "катину",
        "катиной",
        "катиным",
        "катиных",
        "катином",
    } <= possessive_forms("Катя")
    assert "ерланов" in possessive_forms("Ерлан") and "сергеева" in possessive_forms("Сергей")
    # surnames, patronymics and names in other vowels have none
    assert possessive_forms("Петин") == possessive_forms("Петровна") == possessive_forms("Сауле") == frozenset()
    text, mapping = _anon(
        "Катя пришла. Жанна — Катина подруга, мы с Катиным договором ходили, Катины коллеги помогли. "
        "Вот Оксанин номер. Петин сын вернулся. Это Машин муж. Машины обсуждаем, машины дорогие. "
        "[смеётся] Машины тут старые.",
        [("Екатерина", "Катя"), ("Оксана",), ("Пётр", "Петя"), ("Маша",)],
    )
    assert text == (
        "[NAME_1] пришла. Жанна — [NAME_1] подруга, мы с [NAME_1] договором ходили, [NAME_1] коллеги помогли. "
        "Вот [NAME_2] номер. [NAME_3] сын вернулся. Это [NAME_4] муж. Машины обсуждаем, машины дорогие. "
        "[смеётся] Машины тут старые."
    )  # "Машины" (cars) at the start of a sentence is the common noun, not Маша's
    assert set(mapping.loc[mapping["pseudonym"] == "[NAME_1]", "original"]) == {"Катя", "Катина", "Катиным", "Катины"}
    # a street named by a genitive looks like a possessive: not replaced after a preposition without a noun
    text, _ = _anon(
        "Консульство на Жандосова, офис возле Жандосова. Жандосова машина тут. Жандос пришёл.", [("Жандос",)]
    )
    assert text == "Консульство на Жандосова, офис возле Жандосова. [NAME_1] машина тут. [NAME_1] пришёл."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Я позвонил, 8 (7252) 40-17-93, записался.", ["8 (7252) 40-17-93"]),
        ("Вот наш бокс, 8 (7112) 51-23-40, спросить Марата.", ["8 (7112) 51-23-40"]),
        ("Приёмная: +7 7172 55 12 34.", ["+7 7172 55 12 34"]),
        ("Звоните 8 (72722) 5-12-34 или +7 (701) 123-45-67.", ["8 (72722) 5-12-34", "+7 (701) 123-45-67"]),
        ("Номер 87011234567 и 8-701-123-45-67.", ["87011234567", "8-701-123-45-67"]),
        # not phones: a list of numbers, too many or too few digits, a year
        ("Оценки 8 10 15 20 25 30 за неделю.", []),
        ("Бюджет 8 500 000 000 000 тенге.", []),
        ("Было 8 701 123 45 6 человек.", []),
        ("В 8 2023 году.", []),
    ],
)
def test_phones_with_three_to_five_digit_codes(text, expected):
    assert [f.original for f in find_identifiers(text) if f.kind == "PHONE"] == expected


def test_a_city_landline_keeps_one_pseudonym_across_spellings():
    text, mapping = _anon("Офис: +7 7172 55 12 34, или 8 (7172) 55-12-34.", None)
    assert text == "Офис: [PHONE_1], или [PHONE_1]."
    assert mapping["count"].sum() == 2


def test_kinship_terms_and_honorifics_are_never_names_on_their_own():
    names = [
        ("Кенжебай", "дядя Коля", "Коля"),
        ("Александр", "отец Александр"),
        ("Серик", "Серик ага", "Серик-ага"),
        ("Сауле", "Сауле апа"),
        ("Виктор", "Витька"),
        ("Виктор Павлович", "Виктор Палыч"),
        ("Галина Петровна", "Галина"),
        ("Ольга Петровна", "Оля"),
    ]
    text, mapping = _anon(
        "Дядя его тост сказал. Дядя Коля пришёл, дядя Коли нет. Отец вообще не звонит. Отцу семьдесят. "
        "Отец Александр — священник, отец Александр добрый. Ага, понятно. Серик ага позвонил, "
        "Серику-аге спасибо. Тётя его, Сауле апа, пришла. Директор, Виктор Палыч, нормальный. "
        "Витька тоже. У Галины Петровны нет, а Ольга Петровна есть.",
        names,
    )
    assert text == (
        "Дядя его тост сказал. Дядя [NAME_1] пришёл, дядя [NAME_1] нет. Отец вообще не звонит. Отцу семьдесят. "
        "Отец [NAME_2] — священник, отец [NAME_2] добрый. Ага, понятно. [NAME_3] ага позвонил, "
        "[NAME_3]-аге спасибо. Тётя его, [NAME_4] апа, пришла. Директор, [NAME_5], нормальный. "
        "[NAME_6] тоже. У [NAME_7] нет, а [NAME_8] есть."
    )
    assert set(mapping["original"]) >= {"Виктор Палыч", "Галины Петровны", "Ольга Петровна"}
    # a honorific is not a name without one
    with pytest.raises(NamesFileError, match=r"line 2: 'дядя' is a kinship term or honorific, not a name"):
        anonymize([], names=["Коля", "дядя"])


def test_forms_that_are_mostly_common_words_are_names_only_inside_a_sentence():
    # "Тем", "Тема", "Темой" are forms of Тёма written without ё, and common words
    text, _ = _anon("Тем более что Тёма пришёл. Тема интересная. Мы с Темой ходили. С Тёмой тоже.", [("Артём", "Тёма")])
    assert text == "Тем более что [NAME_1] пришёл. Тема интересная. Мы с [NAME_1] ходили. С [NAME_1] тоже."
    # known ambiguity (documented): a listed name that is also a common noun is replaced when capitalised
    text, _ = _anon("Вера в лучшее помогает. Вера пришла, а вера — это важно.", ["Вера"])
    assert text == "[NAME_1] в лучшее помогает. [NAME_1] пришла, а вера — это важно."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Адрес... ну, Нурсат, дом сто двенадцать, пятый этаж.", ["Нурсат, дом сто двенадцать"]),
        (
            "Двушку взяли, Батыс-2, дом семнадцать Б, квартира сорок восемь. Вот.",
            ["Батыс-2, дом семнадцать Б, квартира сорок восемь"],
        ),
        (
            "Это в Аксае, Аксай-4, дом двадцать три, квартира шестьдесят один.",
            ["Аксай-4, дом двадцать три, квартира шестьдесят один"],
        ),
        ("Снял комнату на Торайгырова же, дом семьдесят один, у бабушки.", ["Торайгырова же, дом семьдесят один"]),
        ("Нашли однушку, на Жандосова, пятьдесят восемь, там живём.", ["Жандосова, пятьдесят восемь"]),
        (
            "Квартира на Розыбакиева, двести сорок семь, квартира пятьдесят восемь, трёшка.",
            ["Розыбакиева, двести сорок семь, квартира пятьдесят восемь"],
        ),
        ("Однушка здесь, Туран, тридцать семь, девятый этаж.", ["Туран, тридцать семь"]),
        ("Офис на ул. Абая, дом 12, кв. 5.", ["ул. Абая, дом 12, кв. 5"]),
        ("Живу на Манаса, 34.", ["Манаса, 34"]),
        ("Двушку сняли, вот здесь, Бажова, сорок три. Сто пятьдесят тысяч.", ["Бажова, сорок три"]),
        ("Я к нему переехал. Байзакова, двести восемьдесят, если точно.", ["Байзакова, двести восемьдесят"]),
        # not addresses: amounts and durations in words, a house without a street, a street without a number
        ("Однушку снимаю на Жарокова, двести восемьдесят тысяч тенге в месяц.", []),
        ("Это по Абая, пять минут пешком.", []),
        ("А только дом сто двадцать, уголь, дети.", []),
        ("Мне двадцать семь, Алматы, двадцать семь лет городу.", []),
        ("Квартиру снял в Батысе, ну, Батыс-2, это микрорайон.", []),
        ("Соседка, Петрова, сорок лет, учительница.", []),
    ],
)
def test_addresses_with_numbers_in_words(text, expected):
    assert [f.original for f in find_identifiers(text) if f.kind == "ADDRESS"] == expected


def test_a_known_street_and_house_is_found_when_written_again():
    from qualquant.corpus.model import Transcript

    t1 = Transcript("A", "Записывайте: Кенесары, 65, квартира 112.", "ru")
    t2 = Transcript("B", "У нас в доме чат, «Кенесары 65», а на Кенесары 12 живёт сестра.", "ru")
    (a1, a2), mapping = anonymize([t1, t2])
    assert a1.text == "Записывайте: [ADDRESS_1]."
    assert a2.text == "У нас в доме чат, «[ADDRESS_1]», а на Кенесары 12 живёт сестра."
    assert mapping["pseudonym"].tolist() == ["[ADDRESS_1]", "[ADDRESS_1]"]


def test_demo_review_misses_do_not_survive():
    demo = Path(pipelines.__file__).parent / "demo_data"
    corpus = read_corpus(demo / "transcripts", cases=demo / "cases.csv")
    anonymised, mapping = anonymize(corpus, names=read_names(demo / "names.txt"))
    text = "\n".join(t.text for t in anonymised)
    survivors = [
        form
        for form in (
            # 1. inflected forms of listed names pymorphy3 does not know
            "Полинки",
            "Максимкой",
            "Беки",
            "Бекой",
            "Ержан-аги",
            "Ержан-ага",
            # 2. possessives of listed names
            "Оксанин",
            "Оксанины",
            "Катина",
            "Катины",
            "Катиным",
            "Петин",
            # 3. landlines with 4-digit city codes
            "8 (7252) 40-17-93",
            "8 (7112) 51-23-40",
            # 5. addresses, also written in words or as a chat's name
            "Кенесары 65",
            "Кенесары, пятьдесят два",
            "Розыбакиева, двести",
            "Московской, двадцать",
            "Нурсат, дом",
            "Самал-2, дом",
            "Батыс-2, дом",
            "Аксай-4, дом",
            "Торайгырова же, дом",
            "Жандосова, пятьдесят",
            "Туран, тридцать",
            "Бажова, сорок",
            "Байзакова, двести",
        )
        if form in text
    ]
    assert survivors == []
    # 4. no over-matching: common words stay, phrases go to their person
    names = set(mapping.loc[mapping["kind"] == "NAME", "original"])
    assert not names & {"Дядя", "Отец", "Отцу", "Ага", "Тётя", "Петровна", "Палыч"}
    assert {"Виктор Палыч", "Галина Петровна", "Галины Петровны"} <= names
    for kept in (
        "Отец вообще со мной не разговаривает",
        "Дядя его тост сказал",
        "Спасибо. Ага.",
        "Тётя его, [NAME_",
        "Машины обсуждаем",
    ):
        assert kept in text
    ids = mapping.loc[mapping["original"].isin(["Катя", "Катина", "Катины", "Катиным"]), "pseudonym"]
    assert ids.nunique() == 1
    for t in anonymised:
        for s in t.segments:
            assert t.text[s.start : s.end] == s.text
    again, second = anonymize(anonymised, names=read_names(demo / "names.txt"))
    assert second.empty and all(a == b for a, b in zip(again, anonymised))


# ------------------------------------------------------------- tagged terms
TAGGED = [
    (
        "[ADDRESS] Курмангазы, сто двенадцать",
        "Живу тут. Курмангазы, сто двенадцать. Печка.",
        "Живу тут. [ADDRESS_1]. Печка.",
    ),
    ("[PHONE] два-ноль-один, пять-пять", "Звоните: два-ноль-один, пять-пять, вечером.", "Звоните: [PHONE_1], вечером."),
    (
        "[EMAIL] тимур собака мейл точка кз",
        "Пишите на тимур собака мейл точка кз, отвечу.",
        "Пишите на [EMAIL_1], отвечу.",
    ),
    ("[URL] kenesary-chat", "Ссылка в профиле, kenesary-chat, найдёте.", "Ссылка в профиле, [URL_1], найдёте."),
    ("[TELEGRAM] Тимур из Уральска", "В телеге я Тимур из Уральска, пишите.", "В телеге я [TELEGRAM_1], пишите."),
    ("[IIN] девяносто ноль один ноль один", "ИИН девяносто ноль один ноль один, записали?", "ИИН [IIN_1], записали?"),
    ("[OTHER] Лапа помощи", "Волонтёрю в «Лапа помощи», там хорошо.", "Волонтёрю в «[OTHER_1]», там хорошо."),
]


@pytest.mark.parametrize(("line", "text", "expected"), TAGGED, ids=[t[0].split("]")[0][1:] for t in TAGGED])
def test_each_kind_tag_is_replaced_with_its_kinds_pseudonym(tmp_path, line, text, expected):
    path = tmp_path / "names.txt"
    path.write_text(f"Алексей, Лёша\n{line}  # listed by the researcher\n", encoding="utf-8")
    people = read_names(path)
    assert people == (("Алексей", "Лёша"), (line,))
    new, mapping = _anon(text, people)
    assert new == expected
    kind = line[1 : line.index("]")]
    term = line[line.index("]") + 2 :]
    assert mapping[["original", "pseudonym", "kind", "count"]].values.tolist() == [[term, f"[{kind}_1]", kind, 1]]


def test_plain_person_lines_are_read_as_before_next_to_tagged_lines(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text(NAMES + "[address]   Курмангазы,   сто двенадцать\n[ OTHER ] ТОО «Ромашка»\n", encoding="utf-8")
    assert read_names(path) == (
        ("Алексей", "Лёша", "Лёха"),
        ("Тимур",),
        ("Анна Петровна",),
        ("[ADDRESS] Курмангазы, сто двенадцать",),
        ("[OTHER] ТОО «Ромашка»",),
    )


def test_a_tagged_term_matches_across_any_whitespace_and_only_in_its_case():
    names = ["[ADDRESS] Курмангазы, сто двенадцать", "[OTHER] Казахтелеком"]
    text = "Курмангазы,  сто\n двенадцать. КУРМАНГАЗЫ, СТО ДВЕНАДЦАТЬ. Казахтелеком, Казахтелекома, казахтелеком."
    new, mapping = _anon(text, names)
    assert new == "[ADDRESS_1]. КУРМАНГАЗЫ, СТО ДВЕНАДЦАТЬ. [OTHER_1], Казахтелекома, казахтелеком."
    assert mapping["original"].tolist() == ["Курмангазы,  сто\n двенадцать", "Казахтелеком"]
    loose, _ = anonymize(Transcript("T", text, "ru"), names=names, case_sensitive=False)
    assert loose.text == "[ADDRESS_1]. [ADDRESS_1]. [OTHER_1], Казахтелекома, [OTHER_1]."
    with pytest.raises(NamesFileError, match=r"line 1: the tag \[OTHER\] has no term"):
        anonymize(Transcript("T", text, "ru"), names=["[OTHER]   "])


def test_a_tagged_term_wins_over_an_overlapping_pattern_match_and_name():
    # the address pattern finds "Кенесары, 65, квартира 112"; the listed term overlaps its end
    text = "Адрес: Кенесары, 65, квартира 112 в ТОО «Алексей и партнёры» на Абая, 5."
    assert [f.original for f in find_identifiers(text)] == ["Кенесары, 65, квартира 112", "Абая, 5"]
    new, _ = _anon(text, ["Алексей", "[OTHER] 65, квартира 112 в ТОО «Алексей и партнёры»"])
    assert new == "Адрес: Кенесары, [OTHER_1] на [ADDRESS_1]."
    assert "[NAME_" not in new
    # a listed phone shares its pseudonym with the same number found by the phone pattern
    new, _ = _anon("Мой +7 701 123 45 67, то есть восемь семьсот один.", ["[PHONE] +7 701 123 45 67"])
    assert new == "Мой [PHONE_1], то есть восемь семьсот один."
    again, _ = _anon("Раньше был 8 701 123-45-67.", ["[PHONE] +7 701 123 45 67"])
    assert again == "Раньше был [PHONE_1]."


def test_tagged_terms_are_idempotent_deterministic_and_keep_offsets(tmp_path):
    text = (
        "И: Где вы живёте?\nР: Курмангазы, сто\nдвенадцать. Работаю в Казахтелеком.\n"
        "И: А Алексей?\nР: Тоже в Казахтелеком, на Курмангазы, сто двенадцать.\n"
    )
    t = _transcript(tmp_path, "INT01.txt", text)
    names = ["Алексей", "[ADDRESS] Курмангазы, сто двенадцать", "[OTHER] Казахтелеком"]
    once, mapping = anonymize(t, names=names)
    assert once.text == (
        "И: Где вы живёте?\nР: [ADDRESS_1]. Работаю в [OTHER_1].\n"
        "И: А [NAME_1]?\nР: Тоже в [OTHER_1], на [ADDRESS_1].\n"
    )
    for s in once.segments:
        assert once.text[s.start : s.end] == s.text
    assert [s.role for s in once.segments] == [s.role for s in t.segments]
    again, mapping2 = anonymize(t, names=names)
    assert again == once and mapping2.equals(mapping)
    twice, second = anonymize(once, names=names)
    assert twice == once and second.empty
    assert mapping["kind"].tolist() == ["NAME", "ADDRESS", "ADDRESS", "OTHER"]  # reported in KINDS order
    # a second pass with a new term continues the numbering of that kind
    more, _ = anonymize(once, names=[*names, "[OTHER] Где вы живёте"])
    assert more.text.startswith("И: [OTHER_2]?")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "[ADRESS] Курмангазы, сто двенадцать\n",
            r"line 2: unknown tag \[ADRESS\]; use one of \[PHONE\], \[EMAIL\], \[URL\], \[TELEGRAM\], \[IIN\], "
            r"\[ADDRESS\], \[OTHER\]\.$",
        ),
        ("[NAME] Алексей\n", r"line 2: unknown tag \[NAME\] \(a person's line takes no tag\)"),
        ("[ADDRESS Курмангазы\n", r"line 2: '\[ADDRESS Курмангазы' starts with '\[' but has no tag"),
        ("[ADDRESS]   # the address\n", r"line 2: the tag \[ADDRESS\] has no term after it"),
        ("[OTHER] [NAME_1] и партнёры\n", r"line 2: the term '\[NAME_1\] и партнёры' holds a placeholder"),
        (
            "[OTHER] Курмангазы\n[ADDRESS] Курмангазы\n",
            r"lines 2 and 3: 'Курмангазы' is tagged both \[OTHER\] and \[ADDRESS\]",
        ),
    ],
)
def test_a_bad_tag_is_reported_with_file_and_line(tmp_path, content, message):
    bad = tmp_path / "names.txt"
    bad.write_text("Алексей\n" + content, encoding="utf-8")
    with pytest.raises(NamesFileError, match=message) as info:
        read_names(bad)
    assert str(info.value).startswith(f"{bad} line")
    with pytest.raises(NamesFileError, match="a tagged entry holds one term"):
        anonymize(Transcript("T", "текст", "ru"), names=[("Алексей", "[OTHER] Казахтелеком")])


def test_demo_tagged_lines_remove_the_addresses_said_in_words():
    demo = Path(pipelines.__file__).parent / "demo_data"
    people = read_names(demo / "names.txt")
    assert ("[ADDRESS] Курмангазы, сто двенадцать",) in people
    corpus = read_corpus(demo / "transcripts", cases=demo / "cases.csv")
    raw = "\n".join(t.text for t in corpus)
    listed = [
        "Курмангазы, сто двенадцать",
        "Толе би, сто восемьдесят шесть",
        "Толе би, сто восемьдесят семь",
        "Лапа помощи",
        "Mix",
    ]
    assert all(term in raw for term in listed)  # the demo transcripts really say them
    anonymised, mapping = anonymize(corpus, names=people)
    text = "\n".join(t.text for t in anonymised)
    assert not [term for term in listed if term in text]
    by_kind = mapping.groupby("kind")["original"].apply(set)
    assert set(listed[:3]) <= by_kind["ADDRESS"] and {"Лапа помощи", "Mix"} <= by_kind["OTHER"]
    int04 = anonymised["INT04"].text
    address = mapping.loc[mapping["original"] == "Курмангазы, сто двенадцать", "pseudonym"].item()
    assert f"Вот с октября и живу. {address}. Печка" in int04
    # the street named without a house number stays (it identifies no one)
    assert "у моей тёти дом на Курмангазы, там комната" in int04
