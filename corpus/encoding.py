"""Decoding transcript bytes and producing the canonical text.

Supported encodings, reported exactly as named here: ``"utf-8"``, ``"utf-8-sig"``
(UTF-8 with byte-order mark), ``"utf-16"`` (with byte-order mark) and ``"cp1251"``
(Windows-1251, common for Russian files). Anything else is an error; characters
are never silently replaced.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from qualquant.corpus.errors import TranscriptReadError

__all__ = [
    "ENCODINGS",
    "normalize_text",
    "decode_bytes",
    "read_text_file",
]

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1251")

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


def decode_bytes(data: bytes, *, source: str) -> tuple[str, str]:
    """Decode transcript bytes, detecting the encoding.

    Parameters
    ----------
    data : bytes
        Raw file content.
    source : str
        File name used in error messages.

    Returns
    -------
    (str, str)
        The decoded (not yet normalised) text and the encoding name, one of
        ``"utf-8"``, ``"utf-8-sig"``, ``"utf-16"``, ``"cp1251"``.

    Raises
    ------
    TranscriptReadError
        If the data is binary, UTF-32, or neither UTF-8, UTF-16 with a
        byte-order mark, nor plausible Windows-1251 text.

    Notes
    -----
    Order of detection: byte-order marks (UTF-8, UTF-16; UTF-32 is rejected),
    then strict UTF-8, then Windows-1251. Windows-1251 is accepted only when the
    decoded non-ASCII characters are Cyrillic letters or the code page's
    punctuation, letters are not mixed Latin/Cyrillic inside words, and lower
    case dominates (KOI8-R read as Windows-1251 comes out mostly upper case).
    """
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
            f"at offset {exc.start} is not Windows-1251 either. Re-save it as UTF-8."
        ) from None
    problem = _cp1251_implausible(text)
    if problem:
        raise TranscriptReadError(
            f"{source}: cannot decode the file: {utf8_problem}, and as Windows-1251 {problem}. Re-save it as UTF-8."
        )
    return text, "cp1251"


def read_text_file(path: Path) -> tuple[str, str]:
    """Read and decode a text file, returning (canonical text, encoding).

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
    text, encoding = decode_bytes(data, source=str(path))
    return normalize_text(text), encoding


def _strict(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise TranscriptReadError(
            f"{source}: the file starts with a {encoding.upper()} byte-order mark but byte "
            f"offset {exc.start} is not valid {encoding.upper()}. Re-save it as UTF-8."
        ) from None


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
