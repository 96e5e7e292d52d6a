"""Pseudonymisation of transcripts: names, e-mails, phones, URLs, Telegram, IINs, street addresses.

Identifiers no pattern finds safely (an address said in words, an employer's
name) are listed in the names file as tagged terms (``[ADDRESS] ...``,
``[OTHER] ...``) and replaced literally.

Every finding is replaced by a placeholder such as ``[NAME_1]`` or ``[PHONE_2]``.
The same person (or the same e-mail, phone, ...) gets the same placeholder across
the whole corpus; numbers follow the order of first appearance in corpus order,
so reruns give identical output. Segments are *remapped* onto the new text (not
re-parsed), so a speaker label that is itself a name keeps its turn and role and
the offset invariant holds on the new text.
"""

from __future__ import annotations

import bisect
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import overload

import pandas as pd

from qualquant.corpus.collection import Corpus
from qualquant.corpus.errors import AnonymizationError
from qualquant.corpus.model import Segment, Transcript
from qualquant.corpus.names import NameIndex, inflected_forms, possessive_forms
from qualquant.corpus.names_file import TAG_KINDS, coerce_names, fold, read_names, split_people
from qualquant.io import atomic_write

__all__ = [
    "KINDS",
    "MAPPING_COLUMNS",
    "PLACEHOLDER_RE",
    "anonymize",
    "find_identifiers",
    "inflected_forms",
    "possessive_forms",
    "read_names",
    "write_mapping",
]

#: Placeholder kinds, in the order they are reported.
KINDS = ("NAME", *TAG_KINDS)  # NAME, PHONE, EMAIL, URL, TELEGRAM, IIN, ADDRESS, OTHER
PLACEHOLDER_RE = re.compile(rf"\[({'|'.join(KINDS)})_(\d+)\]")
MAPPING_COLUMNS = ("original", "pseudonym", "kind", "transcript_id", "count")

_TLDS = "kz|ru|com|org|net|info|io|me|su|uz|kg|by|ua|рф|қаз"

# Numbers in house and flat numbers: digits (``17``, ``17Б``, ``17/2``) or cardinal numerals
# written out in words, up to three (``двести сорок семь``), with an optional letter (``семнадцать Б``).
_UNITS = "один|одна|два|две|три|четыре|пять|шесть|семь|восемь|девять"
_TEENS = (
    "десять|одиннадцать|двенадцать|тринадцать|четырнадцать|пятнадцать|шестнадцать|семнадцать|восемнадцать|девятнадцать"
)
_TENS = "двадцать|тридцать|сорок|пятьдесят|шестьдесят|семьдесят|восемьдесят|девяносто"
_HUNDREDS = "сто|двести|триста|четыреста|пятьсот|шестьсот|семьсот|восемьсот|девятьсот"
_NUMWORD = rf"(?:{_HUNDREDS}|{_TENS}|{_TEENS}|{_UNITS})(?!\w)"
_ORDINAL_FLOOR = (
    r"(?:перв|втор|трет|четв[её]рт|пят|шест|седьм|восьм|девят|десят|одиннадцат|двенадцат)"
    r"[а-я]{0,3}\s+этаж"
)
_DIGITS = r"\d{1,4}(?:(?:[а-яА-Я]|\s[А-Я])(?!\w))?(?:/\d+)?(?!\d|[.,]\d)"
# (atomic, so that "двести восемьдесят тысяч" is not read as house "двести" before "восемьдесят")
_NUMWORDS = rf"(?>{_NUMWORD}(?:\s+{_NUMWORD}){{0,2}})(?!\s+{_NUMWORD})"
_NUMBER = rf"(?:{_DIGITS}|{_NUMWORDS}(?:\s+[А-Я](?!\w))?)"
_FLAT = rf"(?:,?\s*(?:кв\.?|квартира)\s*{_NUMBER})"
# A street or microdistrict named by one or two capitalised words, or with a number (Самал-2).
_STREET = r"(?P<street>[А-ЯЁ][а-яё]+(?:[ -][А-ЯЁ][а-яё]+)?(?:-\d{1,2})?)"
_UNITS_AFTER = (
    r"(?!\s*(?:тыс|тенге|тг|лет|год|рубл|доллар|минут|мин\b|час|сек|дн|ден|недел|сут|человек|раз"
    r"|процент|%|градус|км|кило|метр|штук|мес|сот))"
)

# (kind, priority, pattern); lower priority number wins an overlap of equal start
_PATTERNS = (
    ("EMAIL", 0, re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("TELEGRAM", 1, re.compile(r"(?:https?://)?(?:www\.)?(?:t|telegram)\.me/[A-Za-z0-9_+]+(?:/[A-Za-z0-9_]+)*")),
    ("URL", 2, re.compile(r"(?:https?://|www\.)[^\s<>\"'«»\[\]]+")),
    ("URL", 2, re.compile(rf"(?<![\w@.-])(?:[\w-]+\.)+(?:{_TLDS})(?:/[^\s<>\"'«»\[\]]*)?(?![\w-])", re.I)),
    ("TELEGRAM", 1, re.compile(r"(?<![\w@.])@[A-Za-z][A-Za-z0-9_]{3,31}(?![\w@])")),
    # +7 or 8, then a 3- to 5-digit operator or city code (in brackets or not) and the rest, ten
    # digits in all: checked by _phone_end, which also trims a trailing group of another number.
    (
        "PHONE",
        3,
        re.compile(r"(?<![\w+])(?:\+7|8)[ \t-]?(?:\([3-9]\d{2,4}\)|\(?[3-9]\d{2,4}\)?)(?:[ \t-]?\d{1,4}){1,5}(?!\d)"),
    ),
    ("IIN", 4, re.compile(r"(?<!\d)\d{12}(?!\d)")),
    # Street addresses. A street keyword with a capitalised name and optional house and flat
    # numbers ("ул. Жандосова, 58", "микрорайон Аксай-4"); "на/по Name, 34" (a street named in
    # passing, not followed by a unit such as "тысяч" or "лет"); "Name, 65, квартира 112" and
    # "Name, дом 12" with digits or numerals in words ("Кенесары, пятьдесят два, квартира
    # семнадцать", "Батыс-2, дом семнадцать Б"); "Name, 37, девятый этаж"; "12 Baker Street".
    (
        "ADDRESS",
        4,
        re.compile(
            r"(?<![\w-])(?:ул\.|улиц[аеуыи]|проспект[аеу]?|пр-т|просп\.|мкр\.?|микрорайон[аеу]?|переул(?:ок|ка|ке)"
            r"|бульвар[аеу]?|шоссе)\s*[«\"]?(?P<street>[А-ЯЁ][\w-]*(?:\s+[А-ЯЁ][\w-]*)?)[»\"]?"
            rf"(?:,?\s*(?:(?:д\.|дом)\s*(?P<house>{_NUMBER})|(?P<house2>\d{{1,4}}[а-яА-Я]?(?:/\d+)?(?!\d|[.,]\d))))?"
            rf"{_FLAT}?"
        ),
    ),
    (
        "ADDRESS",
        4,
        re.compile(
            r"(?:(?<=\bна\s)|(?<=\bпо\s))(?P<street>[А-ЯЁ][а-яё]+(?:[ -][А-ЯЁ][а-яё]+)?),\s*"
            rf"(?P<house>\d{{1,3}}[а-яА-Я]?(?:/\d+)?(?!\d|[.,]\d)|{_NUMWORDS})"
            rf"{_FLAT}?" + _UNITS_AFTER
        ),
    ),
    ("ADDRESS", 4, re.compile(rf"(?<![\w-]){_STREET}(?:\s+же)?,\s*(?:дом|д\.)\s*(?P<house>{_NUMBER}){_FLAT}?")),
    (
        "ADDRESS",
        4,
        re.compile(
            rf"(?<![\w-]){_STREET},\s*(?P<house>{_NUMBER})(?:,\s*(?:кв\.?|квартира)\s*{_NUMBER}|(?=,\s*{_ORDINAL_FLOOR}))"
        ),
    ),
    # a street named after someone, in the genitive (Бажова, Розыбакиева, Пушкина), and a number
    (
        "ADDRESS",
        4,
        re.compile(
            r"(?<![\w-])(?P<street>[А-ЯЁ][а-яё]+(?:ова|ева|ёва|ина|ына|ского|цкого))(?:\s+же)?,\s*"
            rf"(?P<house>{_NUMBER}){_FLAT}?" + _UNITS_AFTER
        ),
    ),
    (
        "ADDRESS",
        4,
        re.compile(
            r"(?<![\w-])\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St\.|Avenue|Ave\.|Road|Rd\.|Boulevard|Blvd\.|Lane)"
        ),
    ),
)
_MAX_PASSES = 10
_TRAILING_PUNCT = ".,;:!?)»\"'"
_PHONE_DIGITS = 11


@dataclass(frozen=True, slots=True)
class _Finding:
    start: int
    end: int
    kind: str
    key: object  # identity of the person / value
    original: str


# ------------------------------------------------------------------- patterns
def _identity(kind: str, value: str) -> str:
    if kind == "PHONE":
        digits = re.sub(r"\D", "", value)
        return "7" + digits[1:] if len(digits) == 11 and digits[0] in "78" else digits
    if kind == "URL":
        return re.sub(r"^(?:https?://)?(?:www\.)?", "", value.casefold()).rstrip("/")
    if kind == "TELEGRAM":
        return re.sub(r"^(?:https?://)?(?:www\.)?(?:t|telegram)\.me/|^@", "", value.casefold())
    return value.casefold()


def _phone_end(text: str, start: int, end: int) -> int | None:
    """End of the phone number in ``text[start:end]``: where its eleventh digit ends a group."""
    digits = 0
    for i in range(start, end):
        if text[i].isdigit():
            digits += 1
            if digits == _PHONE_DIGITS:
                return i + 1 if i + 1 >= len(text) or not text[i + 1].isdigit() else None
    return None


def _pattern_findings(
    text: str,
    known_addresses: re.Pattern[str] | None = None,
    address_keys: Mapping[tuple[str, str], object] | None = None,
) -> list[tuple[int, _Finding]]:
    found = []
    for kind, priority, rx in _PATTERNS:
        for m in rx.finditer(text):
            start, end = m.start(), m.end()
            if kind in ("URL", "TELEGRAM", "EMAIL"):
                while end > start and text[end - 1] in _TRAILING_PUNCT:
                    end -= 1
            elif kind == "PHONE":
                phone_end = _phone_end(text, start, end)
                if phone_end is None:
                    continue
                end = phone_end
            value = text[start:end]
            if end > start:
                found.append((priority, _Finding(start, end, kind, _identity(kind, value), value)))
    if known_addresses is not None:
        if address_keys is None:
            raise TypeError("known_addresses needs its address_keys (both come from _known_addresses).")
        for m in known_addresses.finditer(text):
            key = address_keys.get(_address_core(m.group("street"), m.group("house")))
            if key is not None:  # the street of one known address with the house of another is not one
                found.append((4, _Finding(m.start(), m.end(), "ADDRESS", key, m.group(0))))
    return found


def _address_core(street: str, house: str) -> tuple[str, str]:
    return (fold(street), re.sub(r"\s+", "", house.casefold()))


def _known_addresses(
    transcripts: Sequence[Transcript],
) -> tuple[re.Pattern[str] | None, dict[tuple[str, str], object]]:
    """A pattern for streets with house numbers (in digits) already found in full addresses.

    ``Кенесары, 65, квартира 112`` makes ``Кенесары 65`` (a building chat's name, say)
    an address too, with the same pseudonym.
    """
    keys: dict[tuple[str, str], object] = {}  # (street, house) -> the key of the full address's finding
    address_patterns = [rx for kind, _, rx in _PATTERNS if kind == "ADDRESS" and "house" in rx.groupindex]
    for t in transcripts:
        for finding in find_identifiers(t.text):
            if finding.kind != "ADDRESS":
                continue
            for rx in address_patterns:
                m = rx.fullmatch(t.text, finding.start, finding.end)
                if m is None:
                    continue
                house = m.group("house") or m.groupdict().get("house2")
                if house and re.fullmatch(r"\d{1,4}[а-яА-Я]?", house.strip()):
                    keys.setdefault(_address_core(m.group("street"), house), finding.key)
                break
    if not keys:
        return None, keys
    streets = sorted(
        {"".join("[её]" if ch == "е" else re.escape(ch) for ch in street) for street, _ in keys},
        key=lambda s: (-len(s), s),
    )
    houses = sorted({re.escape(house) for _, house in keys}, key=lambda h: (-len(h), h))
    pattern = re.compile(
        rf"(?<![\w-])(?P<street>{'|'.join(streets)})[,\s]+(?P<house>{'|'.join(houses)})(?![\w/])", re.I
    )
    return pattern, keys


@dataclass(frozen=True, slots=True)
class _Term:
    kind: str
    key: str
    pattern: re.Pattern[str]


def _term_patterns(terms: Sequence[tuple[str, str]], *, case_sensitive: bool = True) -> tuple[_Term, ...]:
    """Literal patterns for tagged names-file terms: a space in a term matches any run of whitespace.

    A term that begins or ends with a letter or digit does not match inside a
    longer word (``Казахтелеком`` is not found in ``Казахтелекома``).
    """
    out = []
    for kind, term in terms:
        words = term.split()
        body = r"\s+".join(re.escape(w) for w in words)
        if words[0][0].isalnum() or words[0][0] == "_":
            body = r"(?<!\w)" + body
        if words[-1][-1].isalnum() or words[-1][-1] == "_":
            body += r"(?!\w)"
        out.append(_Term(kind, _identity(kind, term), re.compile(body, 0 if case_sensitive else re.I)))
    return tuple(out)


def find_identifiers(
    text: str,
    names: NameIndex | None = None,
    *,
    case_sensitive: bool = True,
    known_addresses: re.Pattern[str] | None = None,
    address_keys: Mapping[tuple[str, str], object] | None = None,
    terms: Sequence[_Term] = (),
) -> list[_Finding]:
    """Return non-overlapping findings in ``text`` (placeholders are never touched).

    Tagged names-file terms (``terms``) come first: a pattern match or name that
    overlaps one is dropped. Among the rest, on overlap the earlier start wins, then
    the longer match, then the kind with the lower priority number (e-mail, Telegram,
    URL, phone, IIN and address, name).
    """
    blocked = [(m.start(), m.end()) for m in PLACEHOLDER_RE.finditer(text)]
    listed = [
        (-1, _Finding(m.start(), m.end(), term.kind, term.key, m.group(0)))
        for term in terms
        for m in term.pattern.finditer(text)
    ]
    chosen_terms = _non_overlapping(listed, blocked)
    candidates = _pattern_findings(text, known_addresses, address_keys)
    if names is not None:
        candidates += [
            (5, _Finding(f.start, f.end, "NAME", f.person, text[f.start : f.end]))
            for f in names.find(text, case_sensitive=case_sensitive)
        ]
    chosen = _non_overlapping(candidates, blocked + [(f.start, f.end) for f in chosen_terms])
    return sorted(chosen_terms + chosen, key=lambda f: f.start)


def _non_overlapping(candidates: list[tuple[int, _Finding]], blocked: list[tuple[int, int]]) -> list[_Finding]:
    """Earlier start first, then the longer, then the lower priority; none overlapping ``blocked``."""
    candidates = sorted(candidates, key=lambda pf: (pf[1].start, -(pf[1].end - pf[1].start), pf[0]))
    chosen: list[_Finding] = []
    last_end = 0
    for _, finding in candidates:
        if finding.start < last_end:
            continue
        if any(finding.start < b_end and b_start < finding.end for b_start, b_end in blocked):
            continue
        chosen.append(finding)
        last_end = finding.end
    return chosen


# ------------------------------------------------------------------ anonymize
class _Numbering:
    def __init__(self, start: Mapping[str, int]) -> None:
        self.next = dict(start)
        self.assigned: dict[tuple[str, object], str] = {}

    def pseudonym(self, kind: str, key: object) -> str:
        label = self.assigned.get((kind, key))
        if label is None:
            label = f"[{kind}_{self.next[kind]}]"
            self.next[kind] += 1
            self.assigned[(kind, key)] = label
        return label


#: What ``names`` may be: a names file, or per person a string or a sequence of variants.
_Names = str | os.PathLike[str] | Iterable[str | Sequence[str]] | None


# A Corpus is also an iterable of transcripts; the Corpus overload comes first and wins,
# as the isinstance order in the body does, which mypy's overlap check does not see.
@overload
def anonymize(  # type: ignore[overload-overlap]
    corpus_or_transcripts: Corpus,
    names: _Names = ...,
    *,
    start_counter: Mapping[str, int] | None = ...,
    case_sensitive: bool = ...,
) -> tuple[Corpus, pd.DataFrame]: ...
@overload
def anonymize(
    corpus_or_transcripts: Transcript,
    names: _Names = ...,
    *,
    start_counter: Mapping[str, int] | None = ...,
    case_sensitive: bool = ...,
) -> tuple[Transcript, pd.DataFrame]: ...
@overload
def anonymize(
    corpus_or_transcripts: Iterable[Transcript],
    names: _Names = ...,
    *,
    start_counter: Mapping[str, int] | None = ...,
    case_sensitive: bool = ...,
) -> tuple[tuple[Transcript, ...], pd.DataFrame]: ...


def anonymize(
    corpus_or_transcripts: Corpus | Transcript | Iterable[Transcript],
    names: _Names = None,
    *,
    start_counter: Mapping[str, int] | None = None,
    case_sensitive: bool = True,
) -> tuple[Corpus | Transcript | tuple[Transcript, ...], pd.DataFrame]:
    """Replace personal identifiers by stable placeholders.

    Parameters
    ----------
    corpus_or_transcripts : Corpus, Transcript or iterable of Transcript
        What to pseudonymise; the result has the same type.
    names : path, or iterable of str or of sequences of str, optional
        People to replace: a names file (see :func:`read_names`) or, per person,
        ``"Алексей, Лёша"`` / ``("Алексей", "Лёша")``; and tagged terms, other
        identifiers to replace literally: ``"[ADDRESS] Курмангазы, сто
        двенадцать"`` (kinds ``PHONE``, ``EMAIL``, ``URL``, ``TELEGRAM``, ``IIN``,
        ``ADDRESS`` and ``OTHER`` for anything else, such as an employer's name).
        A term is matched as written (case-sensitive unless ``case_sensitive`` is
        false), a space in it matching any run of spaces or line breaks, not
        inside a longer word; it gets that kind's pseudonym (the same one as a
        pattern finding of the same phone, e-mail ...) and wins over any pattern
        match or name it overlaps. Every name word of every
        variant is recognised in its Russian case forms (pymorphy3, or
        declension endings for names it does not know), ``ё``/``е`` alike, and
        first names also in their possessives (``Катин``); adjacent words of one
        person (``Анна Петровна``) become one placeholder. Multi-word variants
        (``дядя Коля``) count only as a whole phrase; their kinship terms and
        honorifics stay in the text.
    start_counter : mapping kind -> int, optional
        First number per kind (``{"NAME": 10}``). By default numbering continues
        after the highest placeholder of each kind already in the texts, so a
        second pass never reuses a number.
    case_sensitive : bool
        Only capitalised words count as names (``Вера`` is a name, ``вера`` is not),
        and tagged terms match only in their own letter case.

    Returns
    -------
    (same type as the input, pandas.DataFrame)
        The pseudonymised transcripts, and the mapping with columns
        ``original`` (text as found), ``pseudonym``, ``kind`` (``NAME``, ``PHONE``,
        ``EMAIL``, ``URL``, ``TELEGRAM``, ``IIN``, ``ADDRESS``, ``OTHER``), ``transcript_id`` and
        ``count``.
        Keep the mapping private (:func:`write_mapping`).

    Raises
    ------
    AnonymizationError
        If ``start_counter`` names an unknown kind or a number below 1.
    NamesFileError
        If the names are malformed.

    Notes
    -----
    Names: see :mod:`qualquant.corpus.names` (case forms, possessives such as ``Катины`` for
    ``Катя``, multi-word variants matched only as whole phrases, kinship terms and
    honorifics such as ``дядя`` or ``ага`` kept, and the known ambiguity of names
    that are also common nouns, ``Вера``, ``Надежда``, ``Любовь``, ``Роза``).

    Phones: ``+7`` or ``8`` then ten digits, in groups with spaces, dashes or
    brackets, with a 3-digit mobile or a 4- or 5-digit city code
    (``8 (7252) 40-17-93``, ``+7 7172 55 12 34``). E-mails, URLs (with scheme,
    ``www.`` or a common top-level domain), Telegram handles (``@name``,
    ``t.me/...``), 12-digit IINs and street addresses are matched with regular
    expressions; on overlap the longer match wins. An address is a street or
    microdistrict with a house number, in digits or in words: a street keyword
    such as ``ул.``/``проспект``/``мкр`` with a name and numbers; ``на Манаса, 34``;
    ``Кенесары, 65, квартира 112``; ``Нурсат, дом сто двенадцать``; ``Батыс-2, дом
    семнадцать Б, квартира сорок восемь``; ``Туран, тридцать семь, девятый этаж``;
    a street named after someone in the genitive with a number (``Бажова, сорок
    три``); ``12 Baker Street``. A number followed by a unit (``тысяч``, ``лет``,
    ``минут`` ...) is not a house number. A street and house number found in such
    an address is also found elsewhere in the corpus written differently
    (``«Кенесары 65»``), with the same pseudonym. Not found: a street named without
    a house number (``на Абая``), a bare microdistrict (``в Батысе``, ``Батыс-2``),
    and other street names with a number in words but without ``дом``,
    ``квартира`` or a floor, unless after ``на``/``по`` (``Абая, пять``): review
    the mapping, and list what is left as tagged terms in the names file.
    Existing placeholders are never matched, so anonymising twice changes nothing.

    Examples
    --------
    >>> from qualquant.corpus.model import Transcript
    >>> t = Transcript("T1", "Я позвонил Алексею: +7 701 123-45-67.", "ru")
    >>> new, mapping = anonymize(t, names=["Алексей, Лёша"])
    >>> new.text
    'Я позвонил [NAME_1]: [PHONE_1].'
    """
    if isinstance(corpus_or_transcripts, Corpus):
        transcripts = corpus_or_transcripts.transcripts
    elif isinstance(corpus_or_transcripts, Transcript):
        transcripts = (corpus_or_transcripts,)
    else:
        transcripts = tuple(corpus_or_transcripts)
    people, tagged = split_people(coerce_names(names))
    index = NameIndex(people)
    terms = _term_patterns(tagged, case_sensitive=case_sensitive)
    numbering = _Numbering(_start_numbers(transcripts, start_counter))
    known_addresses, address_keys = _known_addresses(transcripts)
    new_transcripts = []
    counts: Counter = Counter()
    for t in transcripts:
        # Repeat until nothing is found: a replacement changes the context of its
        # neighbours (``Алексей+7 701...`` -> ``[NAME_1]+7 701...``), and the
        # result must be a fixed point so that a second call changes nothing.
        for _ in range(_MAX_PASSES):
            findings = find_identifiers(
                t.text,
                index,
                case_sensitive=case_sensitive,
                known_addresses=known_addresses,
                address_keys=address_keys,
                terms=terms,
            )
            if not findings:
                break
            edits = []
            for f in findings:
                pseudonym = numbering.pseudonym(f.kind, f.key)
                edits.append((f.start, f.end, pseudonym))
                counts[(t.id, f.kind, pseudonym, f.original)] += 1
            t = _apply(t, edits, index, numbering, case_sensitive, terms)
        else:
            raise AnonymizationError(
                f"Transcript {t.id}: pseudonymisation did not settle after {_MAX_PASSES} passes; "
                "please report this text."
            )
        new_transcripts.append(t)
    mapping = _mapping_frame(counts, [t.id for t in transcripts])
    if isinstance(corpus_or_transcripts, Corpus):
        return corpus_or_transcripts.with_transcripts(new_transcripts), mapping
    if isinstance(corpus_or_transcripts, Transcript):
        return new_transcripts[0], mapping
    return tuple(new_transcripts), mapping


def _start_numbers(transcripts: Sequence[Transcript], start_counter: Mapping[str, int] | None) -> dict[str, int]:
    highest = dict.fromkeys(KINDS, 0)
    for t in transcripts:
        for m in PLACEHOLDER_RE.finditer(t.text):
            highest[m.group(1)] = max(highest[m.group(1)], int(m.group(2)))
    start = {kind: highest[kind] + 1 for kind in KINDS}
    for kind, value in (start_counter or {}).items():
        if kind not in KINDS:
            raise AnonymizationError(f"start_counter: unknown kind {kind!r}; use one of {', '.join(KINDS)}.")
        if int(value) < 1:
            raise AnonymizationError(f"start_counter[{kind!r}] must be at least 1, not {value}.")
        start[kind] = int(value)
    return start


def _apply(
    t: Transcript,
    edits: Sequence[tuple[int, int, str]],
    index: NameIndex,
    numbering: _Numbering,
    case_sensitive: bool,
    terms: Sequence[_Term] = (),
) -> Transcript:
    if not edits:
        return t
    pieces, starts, new_starts, new_ends = [], [], [], []
    cursor = shift = 0
    for start, end, replacement in edits:
        pieces.append(t.text[cursor:start])
        pieces.append(replacement)
        starts.append(start)
        new_starts.append(start + shift)
        shift += len(replacement) - (end - start)
        new_ends.append(end + shift)
        cursor = end
    pieces.append(t.text[cursor:])
    text = "".join(pieces)
    ends = [e for _, e, _ in edits]

    def remap(offset: int, *, is_end: bool) -> int:
        i = bisect.bisect_right(starts, offset) - 1  # last edit starting at or before offset
        if i < 0:
            return offset
        if offset >= ends[i]:
            return new_ends[i] + (offset - ends[i])
        if offset == starts[i]:
            return new_starts[i]
        return new_ends[i] if is_end else new_starts[i]  # inside an edit: widen to it

    segments = []
    for seg in t.segments:
        start = remap(seg.start, is_end=False)
        end = remap(seg.end, is_end=True)
        segments.append(
            Segment(
                transcript_id=seg.transcript_id,
                segment_id=seg.segment_id,
                index=seg.index,
                speaker=_anonymize_label(seg.speaker, index, numbering, case_sensitive, terms),
                role=seg.role,
                start=start,
                end=end,
                text=text[start:end],
                timestamp=seg.timestamp,
            )
        )
    return replace(t, text=text, segments=tuple(segments), metadata={**t.metadata, "pseudonymized": True})


def _anonymize_label(
    label: str, index: NameIndex, numbering: _Numbering, case_sensitive: bool, terms: Sequence[_Term] = ()
) -> str:
    if not label:
        return label
    findings = find_identifiers(label, index, case_sensitive=case_sensitive, terms=terms)
    for f in reversed(findings):
        label = label[: f.start] + numbering.pseudonym(f.kind, f.key) + label[f.end :]
    return label


def _mapping_frame(counts: Counter, order: list[str]) -> pd.DataFrame:
    position = {tid: i for i, tid in enumerate(order)}
    rows = [
        {"original": original, "pseudonym": pseudonym, "kind": kind, "transcript_id": tid, "count": n}
        for (tid, kind, pseudonym, original), n in counts.items()
    ]
    rows.sort(
        key=lambda r: (
            KINDS.index(r["kind"]),
            int(r["pseudonym"].rsplit("_", 1)[1][:-1]),
            position[r["transcript_id"]],
            r["original"],
        )
    )
    frame = pd.DataFrame(rows, columns=list(MAPPING_COLUMNS))
    frame["count"] = frame["count"].astype("int64")
    return frame


def write_mapping(mapping: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write the pseudonym mapping (the private key) atomically, readable by the owner only.

    Parameters
    ----------
    mapping : pandas.DataFrame
        As returned by :func:`anonymize`.
    path : str or path-like
        ``.csv`` (UTF-8 with BOM), ``.xlsx`` or ``.parquet``.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    AnonymizationError
        For another extension or a frame without the mapping columns.
    """
    path = Path(path)
    missing = [c for c in MAPPING_COLUMNS if c not in mapping.columns]
    if missing:
        raise AnonymizationError(f"The mapping lacks columns {', '.join(missing)}; pass what anonymize returned.")
    suffix = path.suffix.lower()
    writers = {
        ".csv": lambda tmp: mapping.to_csv(tmp, index=False, encoding="utf-8-sig"),
        ".xlsx": lambda tmp: mapping.to_excel(tmp, index=False),
        ".parquet": lambda tmp: mapping.to_parquet(tmp, index=False),
    }
    if suffix not in writers:
        raise AnonymizationError(f"{path}: write the mapping as .csv, .xlsx or .parquet.")
    return atomic_write(path, writers[suffix], mode=0o600)
