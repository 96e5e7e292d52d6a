"""Character offsets of REFI-QDA text selections, mapped onto qualquant's canonical text.

A REFI-QDA ``PlainTextSelection`` gives ``startPosition``/``endPosition``
counted in the plain-text file *as the exporting tool stores it*. qualquant
counts code points of the canonical text (:func:`qualquant.corpus.normalize_text`:
byte-order mark removed, ``\\r\\n`` and ``\\r`` turned into ``\\n``, Unicode
NFC). The two differ in three ways, and tools differ in how they count:

- newlines: ``\\r\\n`` counts 2 in the stored file and 1 in the canonical text;
- composed characters: ``е`` + U+0308 counts 2 stored and 1 after NFC;
- characters outside the Basic Multilingual Plane (emoji): 1 code point, but
  2 UTF-16 code units. NVivo (a .NET program) counts UTF-16 code units;
  ATLAS.ti, MAXQDA and qualquant count code points (units ``"codepoints"``).
  The byte-order mark is never counted (checked on an NVivo 12.6 export: with
  the BOM counted, 1 of 303 selections starts at a word boundary; without it,
  in UTF-16 units, 295 do).

:class:`OffsetMap` maps every boundary between stored units onto the canonical
text; a boundary that falls inside one canonical character (between ``\\r``
and ``\\n``, between the halves of a surrogate pair, inside a sequence that
NFC composes) has no exact image and is snapped outwards by :meth:`OffsetMap.span`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from qualquant.corpus.encoding import normalize_text

__all__ = ["OFFSET_UNITS", "OffsetMap", "choose_units", "has_astral", "name_matches", "utf16_offset"]

OFFSET_UNITS = ("codepoints", "utf16")

_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")


def has_astral(text: str) -> bool:
    """True when ``text`` holds characters that take two UTF-16 code units."""
    return _ASTRAL_RE.search(text) is not None


def _is_continuation(ch: str) -> bool:
    """A character NFC may compose with the character before it."""
    if unicodedata.combining(ch):
        return True
    code = ord(ch)
    # Hangul medial vowels and final consonants (conjoining jamo) compose with a preceding syllable.
    return 0x1160 <= code <= 0x11FF or 0xD7B0 <= code <= 0xD7FF


def _chunks_by_cluster(raw: str) -> list[str]:
    chunks: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if ch == "\r":
            j = i + 2 if raw[i + 1 : i + 2] == "\n" else i + 1
        else:
            j = i + 1
            if ch != "\n":
                while j < n and raw[j] not in "\r\n" and _is_continuation(raw[j]):
                    j += 1
        chunks.append(raw[i:j])
        i = j
    return chunks


def _chunks_by_space(raw: str) -> list[str]:
    # NFC never composes a character with a following white-space character.
    return [m.group(0) for m in re.finditer(r"\r\n|\r|\n|\s|\S+", raw)]


def _canonical_chunk(chunk: str) -> str:
    if chunk in ("\r\n", "\r"):
        return "\n"
    return unicodedata.normalize("NFC", chunk.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass(frozen=True, slots=True)
class OffsetMap:
    """Boundary map from stored-text units to canonical code points.

    Attributes
    ----------
    units : str
        ``"codepoints"`` or ``"utf16"``.
    text : str
        The canonical text (what corpus readers produce for the same file).
    boundaries : tuple of int
        ``boundaries[u]`` is the canonical offset of stored unit boundary
        ``u`` (``0 <= u <= n_units``), or -1 when ``u`` lies inside one
        canonical character.
    """

    units: str
    text: str
    boundaries: tuple[int, ...]

    @property
    def n_units(self) -> int:
        """Length of the stored text in :attr:`units`."""
        return len(self.boundaries) - 1

    @classmethod
    def build(cls, stored: str, units: str = "codepoints") -> OffsetMap:
        """Build the map for ``stored`` (the decoded file text, byte-order mark removed).

        Parameters
        ----------
        stored : str
            Text as the tool stores it (``\\r\\n`` newlines allowed).
        units : {"codepoints", "utf16"}

        Returns
        -------
        OffsetMap
        """
        if units not in OFFSET_UNITS:
            raise ValueError(f"units must be one of {OFFSET_UNITS}, not {units!r}")
        if stored.startswith("\ufeff"):
            stored = stored[1:]
        canonical = normalize_text(stored)
        utf16 = units == "utf16"
        for chunker in (_chunks_by_cluster, _chunks_by_space, lambda s: [s] if s else []):
            chunks = chunker(stored)
            canon = [_canonical_chunk(c) for c in chunks]
            if "".join(canon) == canonical:
                break
        bounds: list[int] = []
        pos = 0
        for chunk, canon_chunk in zip(chunks, canon):
            bounds.append(pos)
            if canon_chunk == chunk:
                for k, ch in enumerate(chunk):
                    if k:
                        bounds.append(pos + k)
                    if utf16 and ord(ch) > 0xFFFF:
                        bounds.append(-1)
            else:
                n_units = sum(2 if utf16 and ord(ch) > 0xFFFF else 1 for ch in chunk)
                bounds.extend([-1] * (n_units - 1))
            pos += len(canon_chunk)
        bounds.append(pos)
        return cls(units=units, text=canonical, boundaries=tuple(bounds))

    def span(self, start: int, end: int) -> tuple[int, int, bool] | None:
        """Map a stored ``[start, end)`` selection onto the canonical text.

        Returns
        -------
        (int, int, bool) or None
            Canonical start and end, and whether a boundary had to be snapped
            outwards (it fell inside one canonical character); None when the
            selection is outside the text.
        """
        n = self.n_units
        if not (0 <= start <= n and 0 <= end <= n):
            return None
        b = self.boundaries
        s, e, snapped = start, end, False
        while b[s] < 0:
            s -= 1
            snapped = True
        while b[e] < 0:
            e += 1
            snapped = True
        return b[s], b[e], snapped


def _norm_words(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def name_matches(name: str, selected: str) -> bool:
    """True when a selection's ``name`` is its text (ATLAS.ti names quotations by their opening words)."""
    name, selected = _norm_words(name), _norm_words(selected)
    if not name or not selected:
        return False
    for ellipsis in ("…", "..."):
        if name.endswith(ellipsis):
            stem = name[: -len(ellipsis)].rstrip()
            return bool(stem) and selected.startswith(stem)
    return name == selected


def choose_units(stored: str, selections: list[tuple[int, int, str]], origin: str) -> tuple[str, str]:
    """Decide how a tool counted the offsets of one source.

    Parameters
    ----------
    stored : str
        The stored text (byte-order mark removed).
    selections : list of (start, end, name)
        The source's text selections.
    origin : str
        The ``origin`` attribute of the project (the exporting program).

    Returns
    -------
    (str, str)
        The units (``"codepoints"`` or ``"utf16"``) and the reason, in words.

    Notes
    -----
    Evidence, in order: (1) the text has no character outside the Basic
    Multilingual Plane, so both counts agree; (2) selection names that repeat
    the selected text (ATLAS.ti) match under one convention more often than
    under the other; (3) the exporting program: NVivo counts UTF-16 code
    units, everything else is taken to count code points (the REFI-QDA
    "characters").
    """
    if not has_astral(stored):
        return "codepoints", "no characters outside the Basic Multilingual Plane: both counts agree"
    named = [s for s in selections if s[2] and s[2].strip()]
    if named:
        maps = {u: OffsetMap.build(stored, u) for u in OFFSET_UNITS}
        score = {}
        for units, omap in maps.items():
            hits = 0
            for start, end, name in named:
                mapped = omap.span(start, end)
                if mapped and name_matches(name, omap.text[mapped[0] : mapped[1]]):
                    hits += 1
            score[units] = hits
        if score["utf16"] != score["codepoints"]:
            best = max(score, key=score.__getitem__)
            return best, (
                f"selection names match the text under {best} for {score[best]} of {len(named)} "
                f"named selections (other count: {min(score.values())})"
            )
    if "nvivo" in (origin or "").lower():
        return "utf16", "exported by NVivo, which counts UTF-16 code units"
    return "codepoints", "REFI-QDA positions are counted in characters (code points)"


def utf16_offset(text: str, offset: int) -> int:
    """The UTF-16 code-unit offset of code-point ``offset`` in ``text``."""
    return offset + len(_ASTRAL_RE.findall(text, 0, offset))
