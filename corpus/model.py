"""Records of the transcript model: :class:`Segment` and :class:`Transcript`.

Every character offset in qualquant (Label Studio spans, coded segments, topic
documents) refers to ``Transcript.text``, the canonical text produced once at
read time (Unicode NFC, ``\\n`` newlines). A segment is one speaker turn and
always satisfies ``segment.text == transcript.text[segment.start:segment.end]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qualquant.corpus.errors import CorpusError

__all__ = [
    "ROLES",
    "count_words",
    "segment_id",
    "Segment",
    "Transcript",
]

ROLES = ("interviewer", "participant", "other")

_WORD_RE = re.compile(r"\w+(?:[-'’]\w+)*")


def count_words(text: str) -> int:
    """Return the number of words in ``text``.

    A word is a run of letters, digits or underscores, optionally joined by
    hyphens or apostrophes (``как-то`` and ``don't`` are one word each).

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    int
        Number of words.

    Examples
    --------
    >>> count_words("Ну, как-то так: 3 года.")
    5
    """
    return sum(1 for _ in _WORD_RE.finditer(text))


def segment_id(transcript_id: str, index: int) -> str:
    """Return the stable id of segment ``index`` of a transcript (``"INT07:0012"``)."""
    return f"{transcript_id}:{index:04d}"


@dataclass(frozen=True, slots=True)
class Segment:
    """One speaker turn of a transcript.

    Attributes
    ----------
    transcript_id : str
        Id of the transcript (its file stem).
    segment_id : str
        ``f"{transcript_id}:{index:04d}"``, stable across reruns.
    index : int
        Position of the turn in the transcript, from 0.
    speaker : str
        The speaker label as written (``"Интервьюер"``, ``"P1"``, ``"Тимур"``);
        ``""`` for a header or an unlabelled transcript.
    role : str
        ``"interviewer"``, ``"participant"`` or ``"other"``.
    start, end : int
        Character offsets of the turn's content in ``Transcript.text``: after the
        speaker label, its colon and any timestamp, with surrounding whitespace
        trimmed.
    text : str
        ``transcript.text[start:end]``.
    timestamp : str or None
        Timestamp written with the label or the subtitle cue start, if any.
    """

    transcript_id: str
    segment_id: str
    index: int
    speaker: str
    role: str
    start: int
    end: int
    text: str
    timestamp: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise CorpusError(f"Segment {self.segment_id}: role {self.role!r} is not one of {', '.join(ROLES)}.")
        if not 0 <= self.start <= self.end:
            raise CorpusError(
                f"Segment {self.segment_id}: offsets start={self.start}, end={self.end} are not 0 <= start <= end."
            )
        if len(self.text) != self.end - self.start:
            raise CorpusError(
                f"Segment {self.segment_id}: text has {len(self.text)} characters but the span "
                f"{self.start}:{self.end} has {self.end - self.start}."
            )

    @property
    def n_words(self) -> int:
        """Number of words in the segment text (see :func:`count_words`)."""
        return count_words(self.text)


@dataclass(frozen=True, slots=True)
class Transcript:
    """A transcript: canonical text plus its speaker turns.

    Attributes
    ----------
    id : str
        Transcript id, the file stem (``"INT07"``).
    text : str
        Canonical text (NFC, ``\\n`` newlines); every offset refers to it.
    language : str
        Language code (``"ru"``, ``"en"``, ``"kk"``, ...).
    metadata : dict
        Reader details (``format``, ``speaker_labels``) and, inside a corpus,
        ``case_id``.
    source_path : str or None
        File the transcript was read from.
    encoding : str
        ``"utf-8"``, ``"utf-8-sig"``, ``"utf-16"``, ``"cp1251"``, or ``"docx"``.
    segments : tuple of Segment
        Speaker turns in text order; they never overlap.

    Raises
    ------
    CorpusError
        If a segment does not belong to the transcript, breaks the offset
        invariant, or overlaps the previous one.
    """

    id: str
    text: str
    language: str
    metadata: dict = field(default_factory=dict)
    source_path: str | None = None
    encoding: str = "utf-8"
    segments: tuple[Segment, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.segments, tuple):
            object.__setattr__(self, "segments", tuple(self.segments))
        previous_end = 0
        for position, seg in enumerate(self.segments):
            if seg.transcript_id != self.id or seg.index != position:
                raise CorpusError(
                    f"Transcript {self.id}: segment {seg.segment_id} is out of place "
                    f"(expected transcript {self.id}, index {position})."
                )
            if seg.segment_id != segment_id(self.id, position):
                raise CorpusError(
                    f"Transcript {self.id}: segment id {seg.segment_id!r} should be {segment_id(self.id, position)!r}."
                )
            if seg.start < previous_end:
                raise CorpusError(
                    f"Transcript {self.id}: segment {seg.segment_id} starts at {seg.start}, "
                    f"before the previous segment ends ({previous_end})."
                )
            if self.text[seg.start : seg.end] != seg.text:
                raise CorpusError(
                    f"Transcript {self.id}: segment {seg.segment_id} text differs from text[{seg.start}:{seg.end}]."
                )
            previous_end = seg.end

    @property
    def n_words(self) -> int:
        """Number of words over all segments."""
        return sum(seg.n_words for seg in self.segments)

    def segments_by_role(self, role: str) -> tuple[Segment, ...]:
        """Return the segments whose role is ``role``."""
        return tuple(seg for seg in self.segments if seg.role == role)
