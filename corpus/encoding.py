"""Decoding transcript bytes and producing the canonical text.

Detected encodings, reported exactly as named here: ``"utf-8"``, ``"utf-8-sig"``
(UTF-8 with byte-order mark), ``"utf-16"`` (with byte-order mark) and ``"cp1251"``
(Windows-1251, common for Russian files). Any other encoding (KOI8-R, Windows-1252,
Latin-1, ...) is read when it is declared (``encoding=``), and checked: a declared
encoding that cannot be right is an error naming the file and line. Characters are
never silently replaced.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from qualquant.corpus.errors import TranscriptReadError

__all__ = [
    "ENCODINGS",
    "DECLARE_HINT",
    "canonical_encoding",
    "normalize_text",
    "decode_bytes",
    "read_text_file",
]

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1251")

#: How a user declares a transcript's encoding (ends the messages of undecodable files).
DECLARE_HINT = (
    "Re-save it as UTF-8, or declare its encoding (--encoding on `qualquant corpus ingest`, "
    "encoding in the [corpus] section of study.toml)."
)

# Characters that a Windows-1251 text file may hold outside ASCII: Cyrillic
# letters of the code page plus its typographic punctuation and symbols.
_CP1251_PLAUSIBLE = set(bytes(range(0xC0, 0x100)).decode("cp1251")) | set(
    "ЁёЂђЃѓЄєІіЇїЈјЉљЊњЋћЌќЎўЏџҐґ«»—–…№“”„‘’‚•·°±§©®™€\u00a0"
)
_MAGIC = (
    (b"PK\x03\x04", "a zip archive (a .docx, .xlsx or .zip file?)"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office (.doc/.xls) file"),
    (b"{\\rtf", "an RTF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)


def normalize_text(text: str) -> str:
    """Return the canonical form of ``text``: ``\\n`` newlines and Unicode NFC.

    Parameters
    ----------
    text : str
        Decoded text.

    Returns
    -------
    str
        Text with ``\\r\\n`` and ``\\r`` replaced by ``\\n``, composed to NFC, and
        a leading byte-order mark character removed.

    Examples
    --------
    >>> normalize_text("е\\u0308\\r\\nx\\r")
    'ё\\nx\\n'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    return unicodedata.normalize("NFC", text)


def decode_bytes(data: bytes, *, source: str, encoding: str | None = None, hint: str = DECLARE_HINT) -> tuple[str, str]:
    """Decode transcript bytes in the declared encoding, or detect it.

    Parameters
    ----------
    data : bytes
        Raw file content.
    source : str
        File name used in error messages.
    encoding : str, optional
        The declared encoding (any Python codec name: ``"koi8-r"``, ``"cp1252"``,
        ``"latin-1"``, ...). Omitted: detected (see Notes).
    hint : str
        What to do, at the end of the message when the encoding cannot be detected.

    Returns
    -------
    (str, str)
        The decoded (not yet normalised) text and the encoding name: when
        detected one of ``"utf-8"``, ``"utf-8-sig"``, ``"utf-16"``, ``"cp1251"``;
        when declared its canonical name (:func:`canonical_encoding`, e.g.
        ``"koi8-r"``, ``"cp1252"``, ``"iso8859-1"`` for Latin-1).

    Raises
    ------
    TranscriptReadError
        Detected: if the data is binary, UTF-32, or neither UTF-8, UTF-16 with a
        byte-order mark, nor plausible Windows-1251 text. Declared: if the name
        is not a text encoding, a byte is not valid in it, or the text it gives
        holds replacement characters (U+FFFD), C1 control characters
        (U+0080-U+009F) or the marks of a wrong code page (below); the message
        names the file and line and, when detection finds one, the likely encoding.

    Notes
    -----
    Order of detection: byte-order marks (UTF-8, UTF-16; UTF-32 is rejected),
    then strict UTF-8, then Windows-1251. Windows-1251 is accepted only when the
    decoded non-ASCII characters are Cyrillic letters or the code page's
    punctuation, letters are not mixed Latin/Cyrillic inside words, and lower
    case dominates (KOI8-R read as Windows-1251 comes out mostly upper case).
    Other single-byte code pages (KOI8-R, Windows-1252, Latin-1) cannot be told
    apart from each other by their bytes, so they are read only when declared.

    A declared encoding is decoded strictly and then checked the same way:
    Cyrillic text must pass the Windows-1251 checks above, and Latin text must
    not be made mostly of accented letters (À-ÿ), which is what Cyrillic bytes
    look like in a Western code page ("Ïðèâåò" is "Привет" in Windows-1251).

    Examples
    --------
    >>> decode_bytes("Привет, мир".encode("koi8-r"), source="a.txt", encoding="KOI8-R")
    ('Привет, мир', 'koi8-r')
    """
    if encoding is not None:
        return _declared(data, source, encoding)
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise TranscriptReadError(f"{source}: the file is UTF-32 text, which is not supported. Re-save it as UTF-8.")
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data, "utf-8-sig", source), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", source), "utf-16"
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise TranscriptReadError(
                f"{source}: the file is {what}, not a plain-text transcript. Save the transcript "
                "as .txt (UTF-8) or give the file its proper extension (.docx)."
            )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise TranscriptReadError(
            f"{source}: the file looks binary (NUL byte at offset {nul}); it is not a text "
            "transcript (UTF-16 files need a byte-order mark). Re-save it as UTF-8 text."
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        utf8_problem = f"invalid UTF-8 byte 0x{data[utf8_error.start]:02x} at offset {utf8_error.start}"
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError as exc:
        raise TranscriptReadError(
            f"{source}: cannot decode the file: {utf8_problem}, and byte 0x{data[exc.start]:02x} "
            f"at offset {exc.start} is not Windows-1251 either.{_likely(data, None)} {hint}"
        ) from None
    problem = _cp1251_implausible(text)
    if problem:
        raise TranscriptReadError(
            f"{source}: cannot decode the file: {utf8_problem}, and as Windows-1251 {problem}."
            f"{_likely(data, None)} {hint}"
        )
    return text, "cp1251"


def canonical_encoding(name: str) -> str:
    """Return the canonical name of a text encoding (``"KOI8_R"`` -> ``"koi8-r"``).

    Raises
    ------
    TranscriptReadError
        If ``name`` is not a text encoding Python knows.

    Examples
    --------
    >>> canonical_encoding("Latin-1"), canonical_encoding("windows-1251")
    ('iso8859-1', 'cp1251')
    """
    try:
        info = codecs.lookup(name)
    except (LookupError, TypeError):
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise TranscriptReadError(
            f"Unknown text encoding {name!r}; use a name such as utf-8, cp1251, koi8-r, cp1252 or latin-1."
        )
    return info.name


def read_text_file(path: Path, *, encoding: str | None = None) -> tuple[str, str]:
    """Read and decode a text file, returning (canonical text, encoding).

    ``encoding`` is the declared encoding (see :func:`decode_bytes`); omitted, it
    is detected.

    Raises
    ------
    TranscriptReadError
        If the file is missing, unreadable, binary or undecodable.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TranscriptReadError(f"{path}: no such file. Check the path.") from None
    except OSError as exc:
        raise TranscriptReadError(f"{path}: cannot read the file ({exc.strerror}).") from None
    text, used = decode_bytes(data, source=str(path), encoding=encoding)
    return normalize_text(text), used


def _strict(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise TranscriptReadError(
            f"{source}: the file starts with a {encoding.upper()} byte-order mark but byte "
            f"offset {exc.start} is not valid {encoding.upper()}. Re-save it as UTF-8."
        ) from None


def _declared(data: bytes, source: str, encoding: str) -> tuple[str, str]:
    """Decode ``data`` strictly in the declared ``encoding`` and check that it can be right."""
    name = canonical_encoding(encoding)
    shown = encoding if encoding.lower() == name else f"{encoding} ({name})"
    try:
        text = data.decode(name)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TranscriptReadError(
            f"{source} line {line}: byte 0x{data[exc.start]:02x} (offset {exc.start}) is not valid in the "
            f"declared encoding {shown}.{_likely(data, name)} Declare the file's real encoding or re-save it as UTF-8."
        ) from None
    bad = _REPLACEMENT_OR_C1.search(text)
    if bad:
        what = (
            "a replacement character (U+FFFD)"
            if bad.group() == "\ufffd"
            else f"control character U+{ord(bad.group()):04X}"
        )
        raise TranscriptReadError(
            f"{source} line {_line_of(text, bad.start())}: read as {shown} the file holds {what}, a sign of "
            f"the wrong encoding.{_likely(data, name)} Declare the file's real encoding or re-save it as UTF-8."
        )
    found = None if name.startswith("utf") else _implausible(text)  # multi-byte: strict decoding suffices
    if found:
        problem, at = found
        raise TranscriptReadError(
            f"{source} line {_line_of(text, at)}: read as {shown} {problem}, a sign of the wrong encoding."
            f"{_likely(data, name)} Declare the file's real encoding or re-save it as UTF-8."
        )
    return text, name


_REPLACEMENT_OR_C1 = re.compile("[\ufffd\u0080-\u009f]")
_LATIN1_LETTER = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff]")
#: Encodings tried, in order, to name the likely one in an error message.
_CANDIDATES = ("utf-8", "cp1251", "koi8-r", "cp1252")


def _line_of(text: str, index: int) -> int:
    """1-based line number of ``text[index]`` (``\r\n``, ``\r`` and ``\n`` end lines)."""
    head = text[:index]
    return head.count("\n") + head.count("\r") - head.count("\r\n") + 1


def _first_non_ascii(text: str) -> int:
    return next((i for i, ch in enumerate(text) if ord(ch) > 127), 0)


def _implausible(text: str) -> tuple[str, int] | None:
    """Why ``text`` (decoded in a declared encoding) looks like a wrong code page, and where; or None."""
    cyrillic = sum(1 for ch in text if "А" <= ch <= "я" or ch in "Ёё")
    if cyrillic:
        problem = _cp1251_implausible(text)
        if problem:
            mixed = _MIXED_WORD.search(text) if "mixed" in problem else None
            odd = next((i for i, ch in enumerate(text) if ord(ch) > 127 and ch not in _CP1251_PLAUSIBLE), None)
            if mixed is not None:
                return problem, mixed.start()
            return problem, odd if "unlikely" in problem and odd is not None else _first_non_ascii(text)
    accented = _LATIN1_LETTER.findall(text)
    letters = sum(1 for ch in text if ch.isalpha())
    if len(accented) >= 10 and len(accented) > 0.3 * letters:
        first = _LATIN1_LETTER.search(text)
        return (
            "most letters are accented Latin letters such as "
            f"{''.join(dict.fromkeys(accented))[:6]!r} (Cyrillic text in another code page?)",
            first.start() if first else 0,
        )
    return None


def _likely(data: bytes, declared: str | None) -> str:
    """ " It looks like <encoding>." when another encoding gives plausible text, else ""."""
    if max(data, default=0) < 0x80:
        return ""
    for candidate in _CANDIDATES:
        if candidate == declared:
            continue
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        if _REPLACEMENT_OR_C1.search(text) or _implausible(text):
            continue
        if candidate == "cp1251" and _cp1251_implausible(text):
            continue
        return f" It looks like {candidate}."
    return ""


_CONTROL_OK = set("\t\n\r\f\v")
_MIXED_WORD = re.compile(r"(?:[A-Za-z][А-Яа-яЁё]|[А-Яа-яЁё][A-Za-z])")


def _cp1251_implausible(text: str) -> str | None:
    """Return why ``text`` is not plausible Windows-1251 text, or None."""
    controls = [ch for ch in text if ord(ch) < 32 and ch not in _CONTROL_OK]
    if controls:
        return f"it holds control character U+{ord(controls[0]):04X} (binary data?)"
    non_ascii = [ch for ch in text if ord(ch) > 127]
    odd = [ch for ch in non_ascii if ch not in _CP1251_PLAUSIBLE]
    if non_ascii and len(odd) > 0.02 * len(non_ascii):
        return f"it holds unlikely characters such as {odd[0]!r}"
    mixed = len(_MIXED_WORD.findall(text))
    cyrillic = [ch for ch in text if "А" <= ch <= "я" or ch in "Ёё"]
    if mixed and mixed > 0.01 * max(len(cyrillic), 1):
        return "Latin and Cyrillic letters are mixed inside words"
    if len(cyrillic) >= 20:
        upper = sum(1 for ch in cyrillic if ch.isupper())
        if upper > 0.6 * len(cyrillic):
            return "the Cyrillic letters are mostly upper case (KOI8-R or another code page?)"
    return None
