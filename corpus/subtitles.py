"""WebVTT and SubRip (.srt) transcripts.

Cues are grouped into speaker turns: consecutive cues of the same speaker form
one turn whose timestamp is the first cue's start time (``HH:MM:SS.mmm``). The
speaker comes from a WebVTT voice tag ``<v Name>`` or a ``Name:`` prefix of the
cue text; a cue without a speaker continues the previous turn. The canonical
text has one line per turn, ``"Speaker: cue text"`` (cue lines joined by
``\\n``), so offsets refer to text that reads like a plain transcript.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from qualquant.corpus.errors import TranscriptReadError
from qualquant.corpus.speakers import SpeakerPatterns, Turn, _compile, _label_key

__all__ = [
    "Cue",
    "parse_vtt",
    "parse_srt",
    "format_ms",
]

_TIMING = re.compile(r"^\s*(?P<start>\S+)\s+-->\s+(?P<end>\S+)(?:\s+.*)?$")
_VTT_TIME = re.compile(r"^(?:(?P<h>\d{2,}):)?(?P<m>[0-5]\d):(?P<s>[0-5]\d)\.(?P<ms>\d{3})$")
_SRT_TIME = re.compile(r"^(?P<h>\d{1,}):(?P<m>[0-5]\d):(?P<s>[0-5]\d)[,.](?P<ms>\d{3})$")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>")
_TAG = re.compile(r"</?[^>\n]*>")


@dataclass(frozen=True, slots=True)
class Cue:
    """One subtitle cue: start time in milliseconds, text lines, and its speaker."""

    start_ms: int
    line: int
    speaker: str
    text: str


def parse_vtt(raw: str, *, source: str, speakers: SpeakerPatterns) -> tuple[str, tuple[Turn, ...]]:
    """Parse WebVTT text into canonical text and turns.

    Parameters
    ----------
    raw : str
        Decoded, normalised file content.
    source : str
        File name for error messages.
    speakers : SpeakerPatterns
        Used for ``Name:`` prefixes and roles.

    Returns
    -------
    (str, tuple of Turn)
        Canonical text and its turns.

    Raises
    ------
    TranscriptReadError
        If the ``WEBVTT`` header is missing, a cue has no timing line, or a cue
        time is malformed or ends before it starts (the message gives the line).
    """
    lines = raw.split("\n")
    if not lines[0].startswith("WEBVTT"):
        raise TranscriptReadError(
            f"{source} line 1: missing the 'WEBVTT' header, so this is not a WebVTT file. "
            "Export the subtitles again as WebVTT or rename the file to .srt if it is SubRip."
        )
    cues = []
    for first_line, block in _blocks(lines, skip_first=True):
        head = block[0].strip()
        if head.startswith(("NOTE", "STYLE", "REGION")) and "-->" not in head:
            continue
        cue = _block_cue(block, first_line, source, _VTT_TIME, "HH:MM:SS.mmm", "cue")
        if cue is not None:
            cues.append(cue)
    return _build(cues, speakers)


def parse_srt(raw: str, *, source: str, speakers: SpeakerPatterns) -> tuple[str, tuple[Turn, ...]]:
    """Parse SubRip text into canonical text and turns (see :func:`parse_vtt`).

    Raises
    ------
    TranscriptReadError
        If a block has no timing line or a cue time is malformed.
    """
    cues = []
    for first_line, block in _blocks(raw.split("\n"), skip_first=False):
        cue = _block_cue(block, first_line, source, _SRT_TIME, "HH:MM:SS,mmm", "subtitle block")
        if cue is not None:
            cues.append(cue)
    return _build(cues, speakers)


def format_ms(ms: int) -> str:
    """Format milliseconds as ``HH:MM:SS.mmm``.

    Examples
    --------
    >>> format_ms(3_723_004)
    '01:02:03.004'
    """
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _blocks(lines: list[str], *, skip_first: bool) -> Iterator[tuple[int, list[str]]]:
    """Yield (1-based first line number, lines) of blank-line separated blocks."""
    block: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if skip_first and number == 1:
            continue
        if line.strip():
            if not block:
                start = number
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def _block_cue(
    block: list[str], first_line: int, source: str, time_re: re.Pattern[str], fmt: str, what: str
) -> Cue | None:
    """The cue of one subtitle block: a timing line (first or second line), then the text lines.

    ``what`` names the block in the error ("cue" in WebVTT, "subtitle block" in SubRip).
    """
    timing_at = next((i for i, text in enumerate(block[:2]) if "-->" in text), None)
    if timing_at is None:
        noun = what.split()[-1]
        raise TranscriptReadError(
            f"{source} line {first_line}: {what} without a timing line ('{fmt} --> {fmt}'). Fix or remove the {noun}."
        )
    line_no = first_line + timing_at
    start_ms = _timing(block[timing_at], time_re, source, line_no, fmt)
    return _cue(block[timing_at + 1 :], start_ms, line_no)


def _timing(line: str, time_re: re.Pattern[str], source: str, line_no: int, fmt: str) -> int:
    m = _TIMING.match(line)
    times = []
    if m is not None:
        for part in (m.group("start"), m.group("end")):
            t = time_re.match(part)
            if t is None:
                break
            times.append(
                ((int(t.group("h") or 0) * 60 + int(t.group("m"))) * 60 + int(t.group("s"))) * 1000 + int(t.group("ms"))
            )
    if m is None or len(times) != 2:
        raise TranscriptReadError(
            f"{source} line {line_no}: broken cue time {line.strip()!r}; expected "
            f"'{fmt} --> {fmt}'. Fix the cue timing in the file."
        )
    if times[1] < times[0]:
        raise TranscriptReadError(
            f"{source} line {line_no}: cue ends ({m.group('end')}) before it starts "
            f"({m.group('start')}). Fix the cue timing in the file."
        )
    return times[0]


def _cue(text_lines: list[str], start_ms: int, line_no: int) -> Cue | None:
    raw = "\n".join(text_lines)
    voice = _VOICE.search(raw)
    speaker = " ".join(voice.group(1).split()) if voice else ""
    text = html.unescape(_TAG.sub("", raw))
    text = "\n".join(" ".join(part.split()) for part in text.split("\n")).strip()
    if not text:
        return None
    return Cue(start_ms, line_no, speaker, text)


def _build(cues: list[Cue], speakers: SpeakerPatterns) -> tuple[str, tuple[Turn, ...]]:
    rx = _compile(speakers)
    prefixed: list[tuple[Cue, str, str, bool]] = []
    for cue in cues:
        speaker, text, is_name = cue.speaker, cue.text, False
        m = rx.match(text, 0, len(text.split("\n", 1)[0]))
        if m is not None and (m.group("after") is not None or m.groupdict().get("name") is None):
            if not speaker:
                speaker = " ".join(m.group("speaker").split())
                is_name = m.groupdict().get("name") is not None
            text = text[m.end() :].strip()
        prefixed.append((cue, speaker, text, is_name))
    name_counts = Counter(_label_key(s) for _, s, _, is_name in prefixed if is_name)
    merged: list[tuple[str, str, list[str]]] = []  # speaker, timestamp, texts
    for cue, speaker, text, is_name in prefixed:
        if is_name and name_counts[_label_key(speaker)] < speakers.min_name_turns:
            speaker, text = "", cue.text
        if not text:
            continue
        if merged and (not speaker or speaker == merged[-1][0]):
            merged[-1][2].append(text)
        else:
            merged.append((speaker, format_ms(cue.start_ms), [text]))
    any_speaker = any(speaker for speaker, _, _ in merged)
    parts: list[str] = []
    turns: list[Turn] = []
    offset = 0
    for speaker, timestamp, texts in merged:
        content = "\n".join(texts)
        label = f"{speaker}: " if speaker else ""
        line = label + content
        if speaker:
            role = speakers.role_of(speaker)
        else:  # text before the first speaker is a header, like in plain text
            role = "other" if any_speaker else "participant"
        start = offset + len(label)
        label_end = offset + len(label.rstrip())
        turns.append(Turn(speaker, role, offset, label_end, start, start + len(content), timestamp))
        parts.append(line)
        offset += len(line) + 1
    return "\n".join(parts), tuple(turns)
