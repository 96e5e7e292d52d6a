"""Speaker turns: default conventions, configuration, and hypothesis properties.

Coverage property, stated exactly: every non-whitespace character of the text
lies either in exactly one segment (turn content) or in exactly one label span
(indentation excluded: optional timestamp, speaker label, optional timestamp,
colon, optional markdown emphasis, optional bracketed timestamp). Label spans
contain nothing else: re-matching the label syntax on a label span consumes it
entirely.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualquant.corpus import SpeakerPatternError, SpeakerPatterns, split_turns
from qualquant.corpus.speakers import _compile


def _turns(text, speakers=None):
    return [(t.speaker, t.role, text[t.start : t.end], t.timestamp) for t in split_turns(text, speakers).turns]


@pytest.mark.parametrize(
    "label, role",
    [
        ("Интервьюер", "interviewer"),
        ("И", "interviewer"),
        ("Респондент", "participant"),
        ("Р", "participant"),
        ("Interviewer", "interviewer"),
        ("I", "interviewer"),
        ("Q", "interviewer"),
        ("A", "participant"),
        ("R", "participant"),
        ("P1", "participant"),
        ("Респондент 2", "participant"),
        ("Модератор", "interviewer"),
    ],
)
def test_default_labels(label, role):
    text = f"{label}: первая реплика\nВторая строка той же реплики.\n"
    assert _turns(text) == [(label, role, "первая реплика\nВторая строка той же реплики.", None)]


@pytest.mark.parametrize(
    "line, timestamp",
    [
        ("[00:12:31] Интервьюер: Вопрос?", "00:12:31"),
        ("00:12:31 Интервьюер: Вопрос?", "00:12:31"),
        ("Интервьюер [00:12:31]: Вопрос?", "00:12:31"),
        ("Интервьюер 00:12:31: Вопрос?", "00:12:31"),
        ("Интервьюер: [00:12:31] Вопрос?", "00:12:31"),
        ("Интервьюер: (12:31) Вопрос?", "12:31"),
        ("**Интервьюер:** Вопрос?", None),
    ],
)
def test_timestamps_and_markdown_are_outside_the_span(line, timestamp):
    assert _turns(line) == [("Интервьюер", "interviewer", "Вопрос?", timestamp)]


def test_unbracketed_time_after_colon_is_content():
    assert _turns("Р: 12:30 встретились у метро.")[0][2] == "12:30 встретились у метро."


def test_header_and_name_labels_need_two_turns():
    text = (
        "Интервью 11. Шымкент.\n\nИнтервьюер: Как вас зовут?\nВадим: Вадим.\n"
        "Москва: это не метка, это слово в реплике.\nИнтервьюер: Спасибо.\nВадим: Пожалуйста.\n"
    )
    turns = _turns(text)
    assert turns[0] == ("", "other", "Интервью 11. Шымкент.", None)
    assert [t[:2] for t in turns[1:]] == [
        ("Интервьюер", "interviewer"),
        ("Вадим", "participant"),
        ("Интервьюер", "interviewer"),
        ("Вадим", "participant"),
    ]
    assert turns[2][2] == "Вадим.\nМосква: это не метка, это слово в реплике."


def test_interviewer_is_configurable():
    text = "Анна: Как дела?\nТимур: Хорошо.\nАнна: А работа?\nТимур: Есть.\n"
    assert {t[1] for t in _turns(text)} == {"participant"}
    patterns = SpeakerPatterns.coerce({"add_interviewer": ["Анна"]})
    assert [t[1] for t in _turns(text, patterns)] == ["interviewer", "participant"] * 2
    assert _turns("Анна (интервьюер): Вопрос?\nАнна (интервьюер): Ещё?\n")[0][1] == "interviewer"


def test_custom_patterns_and_bad_configuration():
    text = "Гость-1: вопрос\nInformant_A: ответ\n"
    assert [t[:2] for t in _turns(text)] == [("", "participant")]  # no default label matches
    patterns = SpeakerPatterns(patterns=(r"Гость-\d", r"Informant_[A-Z]"), interviewer=("Гость-1",))
    assert [t[:2] for t in _turns(text, patterns)] == [("Гость-1", "interviewer"), ("Informant_A", "participant")]
    with pytest.raises(SpeakerPatternError, match="not a valid regular expression"):
        SpeakerPatterns(patterns=("(unclosed",))
    with pytest.raises(SpeakerPatternError, match="Unknown speaker setting 'interviewers'"):
        SpeakerPatterns.coerce({"interviewers": ["Анна"]})


def test_empty_turn_keeps_its_label_out_of_segments():
    split = split_turns("И:\nР: ответ\n")
    assert [(t.speaker, t.start == t.end) for t in split.turns] == [("И", True), ("Р", False)]


# ------------------------------------------------------------ properties
def _check_properties(text: str, patterns: SpeakerPatterns) -> None:
    split = split_turns(text, patterns)
    owner = [None] * len(text)
    previous_end = 0
    rx = _compile(patterns)
    for turn in split.turns:
        assert 0 <= turn.label_start <= turn.label_end <= turn.start <= turn.end <= len(text)
        assert turn.label_start >= previous_end  # no overlap, text order
        previous_end = turn.end
        content = text[turn.start : turn.end]
        assert content == content.strip()
        if turn.label_end > turn.label_start:
            label = text[turn.label_start : turn.label_end]
            m = rx.match(label)
            assert m is not None and m.end() == len(label)
        for i in range(turn.label_start, turn.label_end):
            assert owner[i] is None
            owner[i] = "label"
        for i in range(turn.start, turn.end):
            assert owner[i] is None
            owner[i] = "segment"
        # only whitespace between the label and the content
        assert text[turn.label_end : turn.start].strip() == ""
    for i, ch in enumerate(text):
        if not ch.isspace():
            assert owner[i] is not None, (i, ch, text)


_LABELS = st.sampled_from(["Интервьюер", "И", "Р", "P1", "Q", "A", "Тимур", "Анна Петровна", "[00:01:02] И", "**Р**"])
_LINE = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.builds(
        lambda label, sep, rest: f"{label}{sep}{rest}",
        _LABELS,
        st.sampled_from([":", ": ", " :", ":\t", ":  "]),
        st.text(alphabet="абв гд:[]()0123456789.Ё\t \u00a0xyz", max_size=20),
    ),
)
_TEXTS = st.lists(_LINE, max_size=12).map(lambda lines: "\n".join(lines))
_PATTERNS = st.builds(
    SpeakerPatterns,
    labels=st.lists(st.sampled_from(["Интервьюер", "И", "Р", "Q", "A", "Гость", "x"]), max_size=5).map(tuple),
    numbered=st.lists(st.sampled_from(["P", "Р", "Speaker"]), max_size=3).map(tuple),
    names=st.booleans(),
    min_name_turns=st.integers(min_value=1, max_value=3),
    interviewer=st.lists(st.sampled_from(["И", "Интервьюер", "Тимур", "Q"]), max_size=3).map(tuple),
    timestamps=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(text=_TEXTS, patterns=_PATTERNS)
def test_segments_cover_text_exactly(text, patterns):
    _check_properties(text, patterns)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_text_with_default_patterns(text):
    _check_properties(text, SpeakerPatterns())


@settings(max_examples=200, deadline=None)
@given(
    turns=st.lists(
        st.tuples(
            st.sampled_from(["Интервьюер", "Респондент", "И", "Р"]),
            st.text(alphabet="абвгдеёжз ,.!?-0123456789\n", min_size=1, max_size=40).filter(
                lambda s: s.strip() and not re.search(r"(^|\n)\s*[ИР]\s*:", s)
            ),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_constructed_turns_are_recovered(turns):
    text = "\n".join(f"{speaker}: {content}" for speaker, content in turns)
    found = split_turns(text).turns
    assert [(t.speaker, text[t.start : t.end]) for t in found] == [
        (speaker, content.strip()) for speaker, content in turns
    ]
