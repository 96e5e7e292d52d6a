"""Reading one transcript file: ``.txt``/``.md``, ``.docx``, ``.vtt`` and ``.srt``.

All readers produce the canonical text once (NFC, ``\\n`` newlines) and the
speaker turns as :class:`~qualquant.corpus.model.Segment` records whose offsets refer to it.
Input files are never modified.
"""

from __future__ import annotations

import os
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qualquant.corpus.encoding import normalize_text, read_text_file
from qualquant.corpus.errors import NoSpeakerLabelsWarning, TranscriptReadError
from qualquant.corpus.language import detect_language
from qualquant.corpus.model import Segment, Transcript, segment_id
from qualquant.corpus.speakers import SpeakerPatterns, Turn, split_turns
from qualquant.corpus.subtitles import parse_srt, parse_vtt

__all__ = [
    "SUPPORTED_SUFFIXES",
    "read_transcript",
]

#: File extensions :func:`read_transcript` understands.
SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".vtt", ".srt")


def read_transcript(
    path: str | os.PathLike[str],
    *,
    language: str | None = None,
    speakers: SpeakerPatterns | Mapping[str, Any] | None = None,
    encoding: str | None = None,
) -> Transcript:
    """Read one transcript file.

    Parameters
    ----------
    path : str or path-like
        A ``.txt``, ``.md``, ``.docx``, ``.vtt`` or ``.srt`` file. The transcript
        id is the file stem.
    language : str, optional
        Language code; detected from the text when omitted
        (:func:`qualquant.corpus.language.detect_language`).
    speakers : SpeakerPatterns or dict, optional
        Speaker-label configuration (see :class:`qualquant.corpus.speakers.SpeakerPatterns`).
    encoding : str, optional
        The declared encoding of a ``.txt``, ``.md``, ``.vtt`` or ``.srt`` file
        (``"koi8-r"``, ``"cp1252"``, ``"latin-1"``, ...), decoded strictly and
        checked (:func:`qualquant.corpus.encoding.decode_bytes`); ignored for
        ``.docx``. Omitted: detected (UTF-8, UTF-16 with a byte-order mark,
        Windows-1251).

    Returns
    -------
    Transcript
        With ``encoding`` one of ``"utf-8"``, ``"utf-8-sig"``, ``"utf-16"``,
        ``"cp1251"`` or the declared encoding's canonical name
        (:func:`qualquant.corpus.encoding.canonical_encoding`) (text, vtt, srt)
        or ``"docx"``, and ``metadata`` holding
        ``format`` and ``speaker_labels`` (``"found"`` or ``"none"``).

    Raises
    ------
    TranscriptReadError
        For a missing, unsupported, binary, undecodable or empty file, a
        declared encoding that is wrong for the file (with the line), a
        ``.docx`` that is not a Word document, or a subtitle file with broken
        cue times; the message names the file (and line) and what to do.

    Warns
    -----
    NoSpeakerLabelsWarning
        When a text file has no recognisable speaker label; it is then read as
        one participant turn.

    Examples
    --------
    >>> from qualquant import pipelines
    >>> import pathlib
    >>> demo = pathlib.Path(pipelines.__file__).parent / "demo_data" / "transcripts"
    >>> t = read_transcript(demo / "INT01.txt")
    >>> t.id, t.encoding, {s.role for s in t.segments} >= {"interviewer", "participant"}
    ('INT01', 'utf-8', True)
    """
    path = Path(path)
    patterns = SpeakerPatterns.coerce(speakers)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise TranscriptReadError(
            f"{path}: unsupported file type {suffix or '(no extension)'!r}; transcripts must be "
            f"{', '.join(SUPPORTED_SUFFIXES)}. Convert the file or leave it out."
        )
    if not path.is_file():
        raise TranscriptReadError(f"{path}: no such file. Check the path.")
    transcript_id = path.stem
    if suffix == ".docx":
        text, used = _read_docx(path), "docx"
        turns, found = _turns_from_text(text, patterns)
    elif suffix in (".vtt", ".srt"):
        raw, used = read_text_file(path, encoding=encoding)
        _require_text(raw, path)
        parser = parse_vtt if suffix == ".vtt" else parse_srt
        text, turns = parser(raw, source=str(path), speakers=patterns)
        found = any(t.speaker for t in turns)
    else:
        text, used = read_text_file(path, encoding=encoding)
        turns, found = _turns_from_text(text, patterns)
    _require_text(text, path)
    if not found:
        warnings.warn(
            NoSpeakerLabelsWarning(
                f"{path}: no speaker labels recognised; the whole text is read as one "
                "participant turn. Add labels such as 'Интервьюер:'/'Респондент:' or pass "
                "speaker patterns that match this file."
            ),
            stacklevel=2,
        )
    segments = _segments(transcript_id, text, turns)
    metadata = {"format": suffix.lstrip("."), "speaker_labels": "found" if found else "none"}
    return Transcript(
        id=transcript_id,
        text=text,
        language=language or detect_language(text),
        metadata=metadata,
        source_path=str(path),
        encoding=used,
        segments=segments,
    )


def _require_text(text: str, path: Path) -> None:
    if not text.strip():
        raise TranscriptReadError(
            f"{path}: the file is empty (no text). Put the transcript in it or leave the file out."
        )


def _turns_from_text(text: str, patterns: SpeakerPatterns) -> tuple[tuple[Turn, ...], bool]:
    split = split_turns(text, patterns)
    return split.turns, split.labels_found


def _segments(transcript_id: str, text: str, turns: tuple[Turn, ...]) -> tuple[Segment, ...]:
    segments: list[Segment] = []
    for turn in turns:
        if turn.start >= turn.end:  # a label with nothing said carries no text
            continue
        index = len(segments)
        segments.append(
            Segment(
                transcript_id=transcript_id,
                segment_id=segment_id(transcript_id, index),
                index=index,
                speaker=turn.speaker,
                role=turn.role,
                start=turn.start,
                end=turn.end,
                text=text[turn.start : turn.end],
                timestamp=turn.timestamp,
            )
        )
    return tuple(segments)


def _read_docx(path: Path) -> str:
    """Return the canonical text of a .docx: body paragraphs and table rows in order."""
    if not zipfile.is_zipfile(path):
        raise TranscriptReadError(
            f"{path}: not a valid .docx file (it is not a zip archive). Open it in Word or "
            "LibreOffice and save it again as .docx, or save it as .txt."
        )
    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise TranscriptReadError(
            f"{path}: the zip archive is not a Word document ({exc}). Save it again as .docx."
        ) from None
    lines: list[str] = []
    body = document.element.body
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells: list[str] = []
                for cell in row.cells:
                    value = cell.text.strip()
                    if not cells or value != cells[-1]:  # merged cells repeat
                        cells.append(value)
                lines.append("\t".join(cells))
    return normalize_text("\n".join(lines))
