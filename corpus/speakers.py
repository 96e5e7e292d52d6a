"""Speaker turns: label patterns, roles, and the segmenter.

A *turn line* starts (after optional indentation) with an optional timestamp, a
speaker label, an optional timestamp, a colon, and optionally a bracketed
timestamp; markdown emphasis around the label (``**И:**``) is allowed. That
prefix is the turn's *label span*. The turn's content runs from the end of the
label span to the start of the next turn line, with surrounding whitespace
trimmed; lines without a label continue the previous turn. Text before the first
turn line is a header turn (speaker ``""``, role ``"other"``).

Coverage guarantee (tested with hypothesis): every non-whitespace character of
the text lies in exactly one turn's content span or in exactly one label span.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

from qualquant.corpus.errors import SpeakerPatternError

__all__ = [
    "DEFAULT_LABELS",
    "DEFAULT_NUMBERED",
    "DEFAULT_INTERVIEWER",
    "INTERVIEWER_KEYWORDS",
    "DEFAULT_OTHER",
    "TIMESTAMP_PATTERN",
    "SpeakerPatterns",
    "Turn",
    "TurnSplit",
    "split_turns",
]

#: Labels recognised by default (case-insensitive), Russian then English.
DEFAULT_LABELS = (
    "Интервьюер",
    "Интервьюерка",
    "Интервьюэр",
    "Исследователь",
    "Исследовательница",
    "Модератор",
    "Вопрос",
    "Респондент",
    "Респондентка",
    "Информант",
    "Информантка",
    "Участник",
    "Участница",
    "Ответ",
    "Инт",
    "Рес",
    "И",
    "Р",
    "В",
    "О",
    "Interviewer",
    "Interviewee",
    "Researcher",
    "Moderator",
    "Respondent",
    "Participant",
    "Question",
    "Answer",
    "Int",
    "Resp",
    "I",
    "Q",
    "A",
    "R",
    "P",
)
#: Label stems that take a number (``P1``, ``Респондент 2``).
DEFAULT_NUMBERED = (
    "P",
    "R",
    "Р",
    "Респондент",
    "Респондентка",
    "Информант",
    "Участник",
    "Участница",
    "Participant",
    "Respondent",
    "Speaker",
    "Спикер",
    "Interviewee",
    "Interviewer",
    "Интервьюер",
    "И",
    "I",
)
#: Labels meaning the interviewer (compared case-insensitively, trailing dot ignored).
DEFAULT_INTERVIEWER = (
    "Интервьюер",
    "Интервьюерка",
    "Интервьюэр",
    "Исследователь",
    "Исследовательница",
    "Модератор",
    "Вопрос",
    "Инт",
    "И",
    "В",
    "Interviewer",
    "Researcher",
    "Moderator",
    "Question",
    "Int",
    "I",
    "Q",
)
#: Words that make any label an interviewer label (``Анна (интервьюер)``).
INTERVIEWER_KEYWORDS = (
    "интервьюер",
    "интервьюерка",
    "исследователь",
    "исследовательница",
    "модератор",
    "interviewer",
    "researcher",
    "moderator",
)
#: Labels that are neither interviewer nor participant.
DEFAULT_OTHER = (
    "Переводчик",
    "Переводчица",
    "Примечание",
    "Комментарий",
    "Translator",
    "Note",
    "Comment",
)

_TS = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
#: Timestamp pattern: ``00:12:31``, ``12:31``, ``00:12:31.500``, bare or in [ ] / ( ).
TIMESTAMP_PATTERN = rf"(?:\[{_TS}\]|\({_TS}\)|{_TS})"
_BRACKETED_TS = rf"(?:\[{_TS}\]|\({_TS}\))"
_UPPER = "A-ZА-ЯЁÀ-ÖØ-ÞӘҒҚҢӨҰҮҺІЇЄЎ"
_NAME_WORD = rf"[{_UPPER}][^\W\d_]*(?:[-'’][^\W\d_]+)*\.?"


@dataclass(frozen=True, slots=True)
class SpeakerPatterns:
    """How speaker labels are recognised and which labels are the interviewer.

    Parameters
    ----------
    labels : tuple of str
        Literal labels, matched case-insensitively.
    numbered : tuple of str
        Label stems followed by a number (``P1``, ``Респондент 2``).
    names : bool
        Also recognise a name at line start (one to three capitalised words,
        optionally followed by a remark in parentheses) followed by ``": "``.
    min_name_turns : int
        A name label counts only if it starts at least this many turns in the
        transcript, so a one-off ``Москва: ...`` inside a turn stays text.
    patterns : tuple of str
        Extra regular expressions for labels (no capturing groups needed).
    interviewer : tuple of str
        Labels meaning the interviewer; a label containing one of
        :data:`INTERVIEWER_KEYWORDS` as a word is also the interviewer.
    other : tuple of str
        Labels with role ``"other"``.
    timestamps : bool
        Recognise timestamps around the label.

    Examples
    --------
    >>> p = SpeakerPatterns(interviewer=DEFAULT_INTERVIEWER + ("Анна",))
    >>> p.role_of("Анна"), p.role_of("Тимур"), p.role_of("И")
    ('interviewer', 'participant', 'interviewer')
    """

    labels: tuple[str, ...] = DEFAULT_LABELS
    numbered: tuple[str, ...] = DEFAULT_NUMBERED
    names: bool = True
    min_name_turns: int = 2
    patterns: tuple[str, ...] = ()
    interviewer: tuple[str, ...] = DEFAULT_INTERVIEWER
    other: tuple[str, ...] = DEFAULT_OTHER
    timestamps: bool = True

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type.startswith("tuple"):
                if isinstance(value, str):
                    value = (value,)
                value = tuple(str(v) for v in value)
                object.__setattr__(self, f.name, value)
        for pattern in self.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise SpeakerPatternError(
                    f"Speaker pattern {pattern!r} is not a valid regular expression ({exc})."
                ) from None
        if self.min_name_turns < 1:
            raise SpeakerPatternError("min_name_turns must be at least 1.")

    @classmethod
    def coerce(cls, value: SpeakerPatterns | Mapping[str, Any] | None) -> SpeakerPatterns:
        """Return ``value`` as :class:`SpeakerPatterns` (None gives the defaults).

        A mapping may use the field names; ``add_interviewer``, ``add_labels`` and
        ``add_other`` extend the defaults instead of replacing them.

        Raises
        ------
        SpeakerPatternError
            If a key is unknown.
        """
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if not isinstance(value, Mapping):
            raise SpeakerPatternError(f"speakers must be a SpeakerPatterns or a dict, not {type(value).__name__}.")
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        extend = {"add_interviewer": "interviewer", "add_labels": "labels", "add_other": "other"}
        for key, item in value.items():
            if key in known:
                kwargs[key] = item
            elif key not in extend:
                raise SpeakerPatternError(
                    f"Unknown speaker setting {key!r}; use one of {', '.join(sorted(known | set(extend)))}."
                )
        for key, target in extend.items():
            if key in value:
                extra = value[key]
                extra = (extra,) if isinstance(extra, str) else tuple(extra)
                base = tuple(kwargs.get(target, getattr(cls(), target)))
                kwargs[target] = base + extra
        return cls(**kwargs)

    def role_of(self, speaker: str) -> str:
        """Return the role (``interviewer``/``participant``/``other``) of a label."""
        key = _label_key(speaker)
        if key in _keys(self.interviewer):
            return "interviewer"
        if key in _keys(self.other):
            return "other"
        words = set(re.findall(r"\w+", key))
        if words & set(INTERVIEWER_KEYWORDS):
            return "interviewer"
        return "participant"


def _label_key(label: str) -> str:
    return " ".join(label.casefold().split()).rstrip(".")


@lru_cache(maxsize=64)
def _keys(labels: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_label_key(label) for label in labels)


@dataclass(frozen=True, slots=True)
class Turn:
    """A turn found by :func:`split_turns` (offsets into the text).

    ``label_start:label_end`` is the label span (empty for a header or an
    unlabelled text); ``start:end`` is the trimmed content (may be empty).
    """

    speaker: str
    role: str
    label_start: int
    label_end: int
    start: int
    end: int
    timestamp: str | None


@dataclass(frozen=True, slots=True)
class TurnSplit:
    """Result of :func:`split_turns`: the turns and whether any label was found."""

    turns: tuple[Turn, ...]
    labels_found: bool


@lru_cache(maxsize=32)
def _compile(patterns: SpeakerPatterns) -> re.Pattern[str]:
    alternatives = []
    literal = sorted({re.escape(label) for label in patterns.labels}, key=len, reverse=True)
    if literal:
        alternatives.append(rf"(?P<known>(?i:{'|'.join(literal)}))")
    stems = sorted({re.escape(stem) for stem in patterns.numbered}, key=len, reverse=True)
    if stems:
        alternatives.append(rf"(?P<num>(?i:{'|'.join(stems)})[ \t]?\d{{1,3}})")
    if patterns.patterns:
        alternatives.append(rf"(?P<custom>{'|'.join(f'(?:{p})' for p in patterns.patterns)})")
    if patterns.names:
        alternatives.append(rf"(?P<name>{_NAME_WORD}(?:[ \t]{_NAME_WORD}){{0,2}}(?:[ \t]*\([^()\n:]{{1,40}}\))?)")
    if not alternatives:
        alternatives.append(r"(?!)")
    ts = TIMESTAMP_PATTERN if patterns.timestamps else r"(?!)"
    bts = _BRACKETED_TS if patterns.timestamps else r"(?!)"
    rx = (
        r"[ \t]*"
        rf"(?:(?P<ts1>{ts})[ \t]*)?"
        r"(?:\*\*|__)?"
        rf"(?P<speaker>{'|'.join(alternatives)})"
        rf"(?:[ \t]*(?P<ts2>{ts}))?"
        r"(?:\*\*|__)?[ \t]*:(?:\*\*|__)?"
        rf"(?:[ \t]*(?P<ts3>{bts}))?"
        r"(?P<after>(?=[ \t\n\f\v]|$))?"
    )
    try:
        return re.compile(rx)
    except re.error as exc:  # a user pattern that only fails in context
        raise SpeakerPatternError(f"Speaker patterns cannot be combined: {exc}.") from None


def split_turns(text: str, speakers: SpeakerPatterns | Mapping[str, Any] | None = None) -> TurnSplit:
    """Split ``text`` into speaker turns.

    Parameters
    ----------
    text : str
        Canonical transcript text.
    speakers : SpeakerPatterns or dict, optional
        Label configuration; defaults recognise common Russian and English
        conventions.

    Returns
    -------
    TurnSplit
        ``turns`` in text order (including turns with empty content, whose label
        spans still count for coverage) and ``labels_found``. When no label is
        found, the whole trimmed text is one participant turn.

    Examples
    --------
    >>> split = split_turns("И: Как дела?\\nР: [00:01:02] Хорошо.\\n")
    >>> [(t.speaker, t.role, t.timestamp) for t in split.turns]
    [('И', 'interviewer', None), ('Р', 'participant', '00:01:02')]
    """
    patterns = SpeakerPatterns.coerce(speakers)
    rx = _compile(patterns)
    candidates = []
    line_start = 0
    length = len(text)
    while line_start <= length:
        line_end = text.find("\n", line_start)
        if line_end < 0:
            line_end = length
        m = rx.match(text, line_start, line_end)
        if m is not None and m.group("speaker").strip():
            is_name = m.groupdict().get("name") is not None
            # a generic name (and a known label) needs a space or line end after the colon
            if m.group("after") is not None or not is_name:
                candidates.append(m)
        line_start = line_end + 1
    name_counts = Counter(_label_key(m.group("speaker")) for m in candidates if m.groupdict().get("name") is not None)
    hits = [
        m
        for m in candidates
        if m.groupdict().get("name") is None or name_counts[_label_key(m.group("speaker"))] >= patterns.min_name_turns
    ]
    if not hits:
        start, end = _trim(text, 0, length)
        whole = (Turn("", "participant", 0, 0, start, end, None),) if start < end else ()
        return TurnSplit(whole, False)
    turns: list[Turn] = []
    first = hits[0].start()
    start, end = _trim(text, 0, first)
    if start < end:
        turns.append(Turn("", "other", 0, 0, start, end, None))
    for i, m in enumerate(hits):
        next_start = hits[i + 1].start() if i + 1 < len(hits) else length
        start, end = _trim(text, m.end(), next_start)
        speaker = " ".join(m.group("speaker").split())
        timestamp = m.group("ts1") or m.group("ts2") or m.group("ts3")
        if timestamp:
            timestamp = timestamp.strip("[]()")
        label_start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip(" \t")))
        turns.append(Turn(speaker, patterns.role_of(speaker), label_start, m.end(), start, end, timestamp))
    return TurnSplit(tuple(turns), True)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``start:end`` past whitespace on both sides (``str.isspace``)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
