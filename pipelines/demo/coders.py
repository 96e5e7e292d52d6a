"""Coding plans for the demo codings: coder A's passages and coder B's derived second reading.

Coder A's plans are ``demo_data/coding_plan/INT01.toml`` ... ``INT20.toml``: one
``[[span]]`` per coded passage (``quote`` = an exact substring of one participant
turn without personal data, ``codes`` = code ids), and ``[[coder_b_extra]]``
passages a second coder might plausibly code. :func:`coder_a_spans` places the
quotes in the pseudonymised transcript, :func:`coder_b_spans` derives coder B,
:func:`to_results` turns spans into Label Studio results.
:mod:`qualquant.pipelines.demo.codings` sends them through a real Label Studio server.

Coder B (deterministic: ``random.Random(f"{seed}:{transcript_id}")`` per transcript)
------------------------------------------------------------------------------------
A second coder who read the same codebook, with realistic disagreement:

- **Systematic bridging/linking confusion.** B reads a tie with locals as
  vertical when, in the passage or the sentence before or after it, the local
  meets the speaker in a formal role (colleagues, bosses, landlords, teachers,
  organisers) or gives access to a resource (practical help, work, housing,
  documents, money; see :data:`VERTICAL_CONTEXT`): where A coded ``bridging``
  on such a passage, B codes ``linking``. This turns about half of A's
  ``bridging`` into ``linking``.
- **Missed codes.** Each other code A applied is left out by B with
  probability :data:`P_MISS` (about 10% of A's code applications); a passage
  whose codes are all missed is not coded by B at all.
- **Extra codes** (about 4-5% of A's code applications): every passage listed
  under ``[[coder_b_extra]]`` in the plan files (written while reading: passages
  a second coder might plausibly code and A did not), and ``local`` added with
  probability :data:`P_EXTRA_LOCAL` where A coded ``bridging`` without a scope.
- **Boundary differences.** With probability :data:`P_BOUNDARY` B's span differs
  from A's at word or sentence boundaries inside the same turn: extended to whole
  sentences (or by the next sentence), extended by a few words, shortened by a
  word or two at one end, or cut to its first sentence.

Changing the seed gives another, equally plausible coder B; the same seed gives
an identical coder B (the export differs only in server ids and timestamps).
"""

from __future__ import annotations

import os
import random
import re
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qualquant import pipelines
from qualquant.corpus.anonymize import PLACEHOLDER_RE
from qualquant.errors import QualquantError

if TYPE_CHECKING:
    from qualquant.coding.codebook import Codebook
    from qualquant.corpus import Transcript

__all__ = [
    "CodingPlan",
    "CodingPlanError",
    "DemoSpan",
    "PlannedSpan",
    "coder_a_spans",
    "coder_b_spans",
    "label_controls",
    "read_plan",
    "read_plans",
    "to_results",
]

PLAN_DIR = pipelines.DEMO_DIR / "coding_plan"
SEED = 20230601
P_MISS = 0.10
P_EXTRA_LOCAL = 0.5
P_BOUNDARY = 0.45
#: Context in which B reads a tie with locals as vertical: the local meets the speaker
#: in a formal role (work, school, a club's organiser) or gives access to a resource
#: (practical help, work, housing, documents, money). B's systematic confusion: A codes
#: such ties bridging unless the person acts for an institution.
VERTICAL_CONTEXT = re.compile(
    r"работ|коллег|начальник|менеджер|бригад|смен[аеуы]|офис|хозя[ией]|кадр|директор|управляющ|"
    r"клиент|заказ|школ|учител|преподава|организатор|инструктор|мастер|сервис|компани|контор|"
    r"продакт|тимлид|стартап|бизнес|приют|коворкинг|"
    r"помог|помога|показ[ао]л|подсказ|научил|объясн|возил|в[её]з |отв[её]з|повёз|нашёл|дал[аи]? |"
    r"да[её]т|устро|пристро|оформ|позвонил|перекрыл|зарплат|деньг|тенге|кредит|квартир|дом ",
    re.IGNORECASE,
)
_PLACEHOLDER = PLACEHOLDER_RE  # a quote must not contain a pseudonym placeholder of any kind


class CodingPlanError(QualquantError, ValueError):
    """A coding plan file is invalid or one of its quotes cannot be placed (names file and quote)."""


# ------------------------------------------------------------------- records
@dataclass(frozen=True, slots=True)
class PlannedSpan:
    """One passage of a coding plan: a quote and the codes applied to it."""

    transcript_id: str
    quote: str
    codes: tuple[str, ...]
    where: str  # "coding_plan/INT01.toml span 3"


@dataclass(frozen=True, slots=True)
class CodingPlan:
    """Coder A's plan for one transcript, plus coder B's hand-written extra passages."""

    transcript_id: str
    path: Path
    spans: tuple[PlannedSpan, ...]
    extras: tuple[PlannedSpan, ...]


@dataclass(frozen=True, slots=True)
class DemoSpan:
    """A located span in the (pseudonymised) transcript text, with its codes."""

    transcript_id: str
    segment_id: str
    start: int
    end: int
    codes: tuple[str, ...]
    where: str


# ------------------------------------------------------------------ the plans
def _where(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def read_plan(path: str | os.PathLike[str], codebook: Codebook) -> CodingPlan:
    """Read one coding plan file.

    Parameters
    ----------
    path : path-like
        A TOML file with ``transcript = "INT01"``, ``[[span]]`` tables
        (``quote``, ``codes``) and optional ``[[coder_b_extra]]`` tables.
    codebook : coding.Codebook
        Every code must be one of its ids.

    Returns
    -------
    CodingPlan

    Raises
    ------
    CodingPlanError
        Unreadable TOML, a missing or empty quote, a quote holding a
        pseudonymisation placeholder, or an unknown code (file and span named).
    """
    path = Path(path)
    where = _where(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CodingPlanError(f"{where}: cannot read the coding plan ({exc}).") from None
    transcript_id = data.get("transcript", path.stem)
    if not isinstance(transcript_id, str) or not transcript_id:
        raise CodingPlanError(f"{where}: 'transcript' must be a transcript id such as \"INT01\".")
    known = set(codebook.code_ids)

    def items(key: str) -> tuple[PlannedSpan, ...]:
        entries = data.get(key, [])
        if not isinstance(entries, list):
            raise CodingPlanError(f"{where}: [[{key}]] must be an array of tables.")
        out = []
        for n, entry in enumerate(entries, start=1):
            label = f"{where} {key} {n}"
            quote = entry.get("quote") if isinstance(entry, dict) else None
            codes = entry.get("codes") if isinstance(entry, dict) else None
            if not isinstance(quote, str) or not quote.strip():
                raise CodingPlanError(f"{label}: 'quote' must be a non-empty string.")
            if _PLACEHOLDER.search(quote):
                raise CodingPlanError(
                    f"{label}: the quote {quote!r} holds a pseudonymisation placeholder; quote a passage "
                    "without personal data."
                )
            if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
                raise CodingPlanError(f"{label}: 'codes' must be a non-empty list of code ids.")
            unknown = [c for c in codes if c not in known]
            if unknown:
                raise CodingPlanError(
                    f"{label}: unknown code(s) {', '.join(unknown)}; use ids from the codebook "
                    f"({', '.join(codebook.code_ids)})."
                )
            out.append(PlannedSpan(transcript_id, quote, tuple(dict.fromkeys(codes)), label))
        return tuple(out)

    spans = items("span")
    if not spans:
        raise CodingPlanError(f"{where}: the plan has no [[span]] entries.")
    return CodingPlan(transcript_id, path, spans, items("coder_b_extra"))


def read_plans(
    codebook: Codebook, *, directory: str | os.PathLike[str] = PLAN_DIR, transcript_ids: Sequence[str] | None = None
) -> dict[str, CodingPlan]:
    """Read the coding plans of a directory (``*.toml``), by transcript id."""
    directory = Path(directory)
    plans: dict[str, CodingPlan] = {}
    for path in sorted(directory.glob("*.toml")):
        plan = read_plan(path, codebook)
        if plan.transcript_id in plans:
            raise CodingPlanError(
                f"{_where(path)} and {_where(plans[plan.transcript_id].path)} both plan transcript "
                f"{plan.transcript_id}; keep one plan per transcript."
            )
        plans[plan.transcript_id] = plan
    if transcript_ids is not None:
        missing = [t for t in transcript_ids if t not in plans]
        if missing:
            raise CodingPlanError(f"No coding plan in {directory.name}/ for {', '.join(missing)}.")
        plans = {t: plans[t] for t in transcript_ids}
    return plans


def _locate(planned: PlannedSpan, transcript: Transcript) -> DemoSpan:
    hits = []
    for segment in transcript.segments:
        if segment.role != "participant":
            continue
        found = segment.text.find(planned.quote)
        while found != -1:
            hits.append((segment, found))
            found = segment.text.find(planned.quote, found + 1)
    if len(hits) != 1:
        what = "is not found in" if not hits else f"occurs {len(hits)} times in"
        raise CodingPlanError(
            f"{planned.where}: the quote {planned.quote!r} {what} the participant turns of the "
            f"pseudonymised transcript {transcript.id}; it must occur exactly once. Quote a longer or "
            "exact passage."
        )
    segment, offset = hits[0]
    start = segment.start + offset
    return DemoSpan(transcript.id, segment.segment_id, start, start + len(planned.quote), planned.codes, planned.where)


def coder_a_spans(plan: CodingPlan, transcript: Transcript) -> list[DemoSpan]:
    """Coder A's spans: the plan's quotes located in the (pseudonymised) transcript."""
    if plan.transcript_id != transcript.id:
        raise CodingPlanError(f"{_where(plan.path)} plans {plan.transcript_id}, not {transcript.id}.")
    return [_locate(p, transcript) for p in plan.spans]


# ------------------------------------------------------------------- coder B
_SENTENCE_END = re.compile(r"[.!?…]+[»\"')\]]*(?=\s|$)|\n")
_WORD = re.compile(r"\S+")


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a turn (whitespace trimmed)."""
    out, begin = [], 0
    for m in _SENTENCE_END.finditer(text):
        out.append((begin, m.end()))
        begin = m.end()
    out.append((begin, len(text)))
    trimmed = []
    for s, e in out:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            trimmed.append((s, e))
    return trimmed


def _reads_vertical(text: str, start: int, end: int) -> bool:
    """Whether B reads the passage ``text[start:end]`` of a turn as a vertical tie.

    B judges the passage with one sentence of context on each side.
    """
    sentences = _sentences(text)
    touched = [i for i, (a, b) in enumerate(sentences) if b > start and a < end]
    if not touched:
        return bool(VERTICAL_CONTEXT.search(text[start:end]))
    first, last = max(0, touched[0] - 1), min(len(sentences) - 1, touched[-1] + 1)
    return bool(VERTICAL_CONTEXT.search(text[sentences[first][0] : sentences[last][1]]))


def _new_bounds(rng: random.Random, text: str, start: int, end: int) -> tuple[int, int]:
    """B's boundaries for A's span ``text[start:end]`` (offsets within one turn)."""
    if rng.random() >= P_BOUNDARY:
        return start, end
    sentences = _sentences(text)
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    inside = [w for w in words if w[0] >= start and w[1] <= end]
    move = rng.choice(("sentences", "sentences", "more_words", "fewer_words", "first_sentence"))
    if move == "sentences":
        s = next((a for a, b in sentences if a <= start < b), start)
        e = next((b for a, b in sentences if a < end <= b), end)
        if (s, e) == (start, end):  # already whole sentences: B adds the next one (or the previous)
            after = [b for a, b in sentences if a >= end]
            before = [a for a, b in sentences if b <= start]
            if after:
                e = after[0]
            elif before:
                s = before[-1]
        return s, e
    if move == "more_words":
        later = [w for w in words if w[0] >= end]
        if later:
            return start, later[min(len(later), rng.randint(1, 3)) - 1][1]
        return start, end
    if move == "first_sentence":
        first = next(((a, b) for a, b in sentences if a <= start < b), None)
        if first is not None and first[1] < end:
            return start, first[1]
    if len(inside) >= 6:  # fewer words, at one end
        k = rng.randint(1, 2)
        if rng.random() < 0.5:
            return inside[k][0], end
        return start, inside[-1 - k][1]
    return start, end


def coder_b_spans(plan: CodingPlan, transcript: Transcript, *, seed: int = SEED) -> list[DemoSpan]:
    """Coder B's second reading of a transcript, derived from A's plan (see the module docstring).

    Parameters
    ----------
    plan : CodingPlan
    transcript : corpus.Transcript
        The pseudonymised transcript (the text Label Studio shows).
    seed : int

    Returns
    -------
    list of DemoSpan
        In plan order: A's passages as B coded them (skipped when B missed
        all their codes), then the extra passages.
    """
    rng = random.Random(f"{seed}:{transcript.id}")
    segments = {s.segment_id: s for s in transcript.segments}
    out: list[DemoSpan] = []
    for span in coder_a_spans(plan, transcript):
        seg = segments[span.segment_id]
        vertical = _reads_vertical(seg.text, span.start - seg.start, span.end - seg.start)
        codes: list[str] = []
        for code in span.codes:
            if code == "bridging" and vertical:
                codes.append("linking")  # the systematic confusion: never missed, always confused
            elif rng.random() >= P_MISS:
                codes.append(code)
        if (
            "bridging" in span.codes
            and not {"local", "transnational"} & set(span.codes)
            and rng.random() < P_EXTRA_LOCAL
        ):
            codes.append("local")
        codes = list(dict.fromkeys(codes))
        s, e = _new_bounds(rng, seg.text, span.start - seg.start, span.end - seg.start)
        if codes:
            out.append(
                DemoSpan(span.transcript_id, span.segment_id, seg.start + s, seg.start + e, tuple(codes), span.where)
            )
    out.extend(_locate(p, transcript) for p in plan.extras)
    return out


# ------------------------------------------------------- Label Studio results
def label_controls(codebook: Codebook) -> dict[str, tuple[str, str]]:
    """Code id -> (``from_name``, ``to_name``) as the codebook's labeling config declares them."""
    root = ET.fromstring(codebook.to_labelstudio_config())
    controls: dict[str, tuple[str, str]] = {}
    for labels in root.iter("Labels"):
        for label in labels.iter("Label"):
            value, from_name, to_name = label.get("value"), labels.get("name"), labels.get("toName")
            if value is not None and from_name is not None and to_name is not None:  # always, in our config
                controls[value] = (from_name, to_name)
    missing = [c for c in codebook.code_ids if c not in controls]
    if missing:
        raise CodingPlanError(f"The codebook's labeling config has no <Label> for {', '.join(missing)}.")
    return controls


def to_results(
    spans: Sequence[DemoSpan], text: str, controls: Mapping[str, tuple[str, str]], *, prefix: str
) -> list[dict]:
    """Label Studio ``labels`` results: one per span and labeling control (facet)."""
    results = []
    for n, span in enumerate(spans, start=1):
        by_control: dict[tuple[str, str], list[str]] = {}
        for code in span.codes:
            by_control.setdefault(controls[code], []).append(code)
        for (from_name, to_name), labels in by_control.items():
            results.append(
                {
                    "id": f"{prefix}{n:03d}_{from_name}",
                    "from_name": from_name,
                    "to_name": to_name,
                    "type": "labels",
                    "origin": "manual",
                    "value": {
                        "start": span.start,
                        "end": span.end,
                        "text": text[span.start : span.end],
                        "labels": labels,
                    },
                }
            )
    return results
