"""The names file: people to pseudonymise and kind-tagged identifiers.

One person a line, variants comma-separated (``Алексей, Лёша, Лёха``); a line
tagged with a kind (``[ADDRESS] Курмангазы, сто двенадцать``, ``[OTHER] ...``)
holds one identifier that no pattern finds safely. :func:`read_names` reads
both and validates them; :func:`split_people` separates them. The word forms
and the matching live in :mod:`qualquant.corpus.names`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from qualquant.corpus.errors import NamesFileError

__all__ = [
    "COMMON_WORDS",
    "TAG_KINDS",
    "WORD_RE",
    "coerce_names",
    "fold",
    "read_names",
    "split_people",
    "tagged_term",
    "validate_people",
]

#: Kinship terms and honorifics that accompany names (folded: ``ё`` -> ``е``).
#: They belong to a phrase (``дядя Коля``) and are never a name on their own.
COMMON_WORDS = frozenset(
    {
        "дядя",
        "тетя",
        "отец",
        "брат",
        "сестра",
        "мать",
        "мама",
        "папа",
        "сын",
        "дочь",
        "бабушка",
        "дедушка",
        "баба",
        "дед",
        "батюшка",
        "матушка",
        "господин",
        "госпожа",
        "товарищ",
        "ага",
        "аға",
        "агай",
        "ағай",
        "апай",
        "апа",
        "әпке",
        "апке",
        "эже",
        "әже",
        "тате",
        "апашка",
        "байке",
        "мырза",
        "ханым",
    }
)

#: Kinds a names-file line can be tagged with (``[ADDRESS] Курмангазы, сто двенадцать``);
#: ``OTHER`` is for identifiers of no other kind, such as an employer's name.
TAG_KINDS = ("PHONE", "EMAIL", "URL", "TELEGRAM", "IIN", "ADDRESS", "OTHER")
_TAG_RE = re.compile(r"\[\s*([^\]]*?)\s*\]\s*(.*)\Z", re.S)

WORD_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")  # a word, hyphenated parts joined
_PART_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")  # one part of a hyphenated word


# ---------------------------------------------------------------- names file
def read_names(path: str | os.PathLike[str]) -> tuple[tuple[str, ...], ...]:
    """Read a names file for :func:`qualquant.corpus.anonymize.anonymize`.

    Parameters
    ----------
    path : str or path-like
        UTF-8 text. A plain line is one person: the canonical form first, then
        variants, comma-separated (``Алексей, Лёша, Лёха, дядя Лёша``). A line
        that starts with a kind tag is one identifier no pattern finds safely,
        taken literally, commas included: ``[ADDRESS] Курмангазы, сто
        двенадцать``; the tags are ``[PHONE]``, ``[EMAIL]``, ``[URL]``,
        ``[TELEGRAM]``, ``[IIN]``, ``[ADDRESS]`` and ``[OTHER]`` (anything else,
        such as an employer's name; replaced by ``[OTHER_n]``). ``#`` starts a
        comment on any line; blank lines are ignored.

    Returns
    -------
    tuple of tuple of str
        One tuple per line: a person's variants, canonical form first, or for a
        tagged line a 1-tuple with the line as normalised (tag in capitals, one
        space after it, runs of whitespace as one space:
        ``("[ADDRESS] Курмангазы, сто двенадцать",)``). :func:`tagged_term` splits
        such an entry into its kind and term.

    Raises
    ------
    NamesFileError
        If the file is missing or not UTF-8, a name has no letters or holds
        digits, a variant is only a kinship term or honorific (``дядя``), the
        same name is listed for two people, a tag is unknown or has no term, or
        the same term is tagged with two kinds (line numbers given).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise NamesFileError(f"{path}: cannot read the names file ({exc.strerror}).") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NamesFileError(
            f"{path}: the names file is not UTF-8 (byte offset {exc.start}). Save it as UTF-8."
        ) from None
    people = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if content:
            people.append((number, _line_variants(content)))
    return validate_people(people, source=str(path))


def _line_variants(content: str) -> tuple[str, ...]:
    """A person line's comma-separated variants, or a tagged line whole (its commas are literal)."""
    if content.startswith("["):
        return (" ".join(content.split()),)
    variants = (" ".join(v.split()) for v in content.split(","))
    return tuple(v for v in variants if v)


def tagged_term(variant: str) -> tuple[str, str] | None:
    """The kind and term of a tagged names entry (``"[OTHER] Казахтелеком"``), else None.

    Parameters
    ----------
    variant : str
        An entry as :func:`read_names` returns it.

    Returns
    -------
    (str, str) or None
        ``("OTHER", "Казахтелеком")`` for a valid tag (case-insensitive, written
        back in capitals), None if ``variant`` does not start with ``[`` or its
        tag is not one of :data:`TAG_KINDS` (:func:`validate_people` reports that).
    """
    m = _TAG_RE.match(variant)
    if m is None or m.group(1).upper() not in TAG_KINDS:
        return None
    return m.group(1).upper(), " ".join(m.group(2).split())


def split_people(
    people: tuple[tuple[str, ...], ...],
) -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, str], ...]]:
    """Split validated names entries into people and tagged ``(kind, term)`` pairs, in order."""
    persons, terms = [], []
    for variants in people:
        term = tagged_term(variants[0]) if len(variants) == 1 else None
        if term is None:
            persons.append(variants)
        elif term not in terms:
            terms.append(term)
    return tuple(persons), tuple(terms)


def _validate_tagged(number: int, variants: tuple[str, ...], source: str) -> tuple[str, str]:
    """Check a tagged entry and return its kind and term, normalised (the entry is ``[KIND] term``)."""
    tags = ", ".join(f"[{k}]" for k in TAG_KINDS)
    if len(variants) != 1:
        raise NamesFileError(
            f"{source} line {number}: a tagged entry holds one term (commas in it are part of "
            "it); give it on its own line, not among a person's variants."
        )
    m = _TAG_RE.match(variants[0])
    if m is None:
        raise NamesFileError(
            f"{source} line {number}: {variants[0]!r} starts with '[' but has no tag; write a tag "
            f"such as [ADDRESS] and then the term (tags: {tags})."
        )
    kind, term = m.group(1).upper(), " ".join(m.group(2).split())
    if kind not in TAG_KINDS:
        hint = " (a person's line takes no tag)" if kind == "NAME" else ""
        raise NamesFileError(f"{source} line {number}: unknown tag [{m.group(1)}]{hint}; use one of {tags}.")
    if not any(ch.isalnum() for ch in term):
        raise NamesFileError(
            f"{source} line {number}: the tag [{kind}] has no term after it; write the text to "
            f"replace on the same line ('[{kind}] ...')."
        )
    if re.search(r"\[[A-Z]+_\d+\]", term):
        raise NamesFileError(f"{source} line {number}: the term {term!r} holds a placeholder; list the original text.")
    return kind, term


def validate_people(people: list[tuple[int, tuple[str, ...]]], *, source: str) -> tuple[tuple[str, ...], ...]:
    """Check (line number, variants) pairs and return the variants per line (tagged ones normalised)."""
    seen: dict[str, int] = {}
    terms: dict[str, tuple[str, int]] = {}
    checked: list[tuple[str, ...]] = []
    for number, variants in people:
        if any(v.startswith("[") for v in variants):
            kind, term = _validate_tagged(number, variants, source)
            entry = f"[{kind}] {term}"
            if term in terms and terms[term][0] != kind:
                raise NamesFileError(
                    f"{source} lines {terms[term][1]} and {number}: {term!r} is tagged both "
                    f"[{terms[term][0]}] and [{kind}]. Keep one line."
                )
            terms.setdefault(term, (kind, number))
            checked.append((entry,))
            continue
        for variant in variants:
            if not WORD_RE.search(variant) or any(ch.isdigit() for ch in variant):
                raise NamesFileError(
                    f"{source} line {number}: {variant!r} is not a name (names hold letters, no "
                    "digits). Fix or remove it."
                )
            if not any(is_name for _, is_name in _variant_words(variant)):
                raise NamesFileError(
                    f"{source} line {number}: {variant!r} is a kinship term or honorific, not a "
                    "name; list it with the name it goes with ('дядя Коля', 'Серик ага')."
                )
            key = fold(variant)
            if key in seen and seen[key] != number:
                raise NamesFileError(
                    f"{source} lines {seen[key]} and {number}: {variant!r} is listed for two "
                    "people. Keep it on one line so it gets one pseudonym."
                )
            seen[key] = number
        if variants:
            checked.append(variants)
    return tuple(checked)


def coerce_names(
    names: str | os.PathLike[str] | Iterable[str | Iterable[object]] | None,
) -> tuple[tuple[str, ...], ...]:
    """A names file path, or an iterable of ``"A, B"`` / ``"[KIND] term"`` strings or sequences."""
    if names is None:
        return ()
    if isinstance(names, (str, os.PathLike)):
        return read_names(names)
    people: list[tuple[int, tuple[str, ...]]] = []
    for number, item in enumerate(names, start=1):
        if isinstance(item, str):
            variants = _line_variants(item.strip())
        else:
            variants = tuple(v for v in (" ".join(str(v).split()) for v in item) if v)
        people.append((number, variants))
    return validate_people(people, source="names")


def fold(word: str) -> str:
    """Case-fold and write ``ё`` as ``е``."""
    return word.casefold().replace("ё", "е")


def _variant_words(variant: str) -> list[tuple[str, bool]]:
    """The words of a variant (hyphenated parts split) and whether each is a name word.

    A word is not a name word if it is a kinship term or honorific
    (:data:`COMMON_WORDS`), or if it is written in lower case next to a
    capitalised word (``Сауле апа``, ``Ержан-ага``).
    """
    parts = _PART_RE.findall(variant)
    any_capital = any(p[0].isupper() for p in parts)
    return [(p, fold(p) not in COMMON_WORDS and not (any_capital and p[0].islower() and len(parts) > 1)) for p in parts]
