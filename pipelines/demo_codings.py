"""The demo study's codings: two coders' annotations through a real Label Studio round trip.

``python -m pipelines.demo_codings [--out FILE] [--transcripts INT01,INT02] [--seed N]``

What the script does
--------------------
1. Reads the demo corpus (``demo_data/transcripts``, cases from ``cases.csv``)
   and pseudonymises it with ``demo_data/names.txt`` (:func:`corpus.anonymize`);
   Label Studio only ever sees the pseudonymised text.
2. Reads coder A's coding plans, ``demo_data/coding_plan/INT01.toml`` ...
   ``INT20.toml``: a careful coding of every interview with the demo codebook,
   one ``[[span]]`` per coded passage (``quote`` = an exact substring of one
   participant turn that holds no personal data, ``codes`` = code ids, several
   facets at once where they apply). Each quote must occur exactly once within
   the participant turns of the pseudonymised transcript; otherwise a
   :class:`CodingPlanError` names the plan file, the span and the quote.
3. Derives coder B's second reading from A's plan with a fixed seed (below).
4. Starts a real local server (:class:`coding.ls_server.LabelStudioServer`) with
   an administrator and two real users, ``coder_a@example.org`` and
   ``coder_b@example.org``, each created by ``label-studio init`` with its own
   API token; creates the project from the codebook's labeling config; pushes
   the pseudonymised corpus (one task per interview); each coder creates their
   annotations with their own token (``completed_by`` = their user id, each code
   under the ``<Labels>`` control of its facet, as the labeling config says);
   exports the project as full JSON through the SDK; validates the export with
   :func:`coding.labelstudio.read_export` against the codebook and the
   pseudonymised corpus (no issue is expected: any issue is an error); and
   writes it, tasks sorted by id and otherwise as the server sent it, to
   ``demo_data/labelstudio/demo_export.json`` (atomically), with the coder
   names by user id in ``demo_export.users.json`` (the export itself names
   coders only by id). :func:`read_demo_export` reads it back.

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
- **Extra codes** (about 5% of A's code applications): every passage listed
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

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pipelines
from quant.errors import QualquantError

__all__ = [
    "CodingPlan",
    "CodingPlanError",
    "DemoSpan",
    "PlannedSpan",
    "RoundTripResult",
    "coder_a_spans",
    "coder_b_spans",
    "demo_corpus",
    "label_controls",
    "main",
    "read_demo_export",
    "read_plan",
    "read_plans",
    "round_trip",
    "run",
    "to_results",
    "users_path",
    "write_export",
]

DEMO = Path(pipelines.__file__).parent / "demo_data"
PLAN_DIR = DEMO / "coding_plan"
EXPORT_PATH = DEMO / "labelstudio" / "demo_export.json"
SEED = 20230601
PROJECT_TITLE = "Demo study: social capital (demo codings)"  # at most 50 characters
ADMIN_EMAIL = "admin@example.org"
CODER_EMAILS = {"coder_a": "coder_a@example.org", "coder_b": "coder_b@example.org"}

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
_PLACEHOLDER = re.compile(r"\[(NAME|PHONE|EMAIL|URL|TELEGRAM|IIN)_\d+\]")


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


@dataclass(frozen=True)
class RoundTripResult:
    """What :func:`round_trip` returns.

    Attributes
    ----------
    raw : bytes
        The full JSON export as the server sent it.
    export : coding.ls_export.ExportReadResult
        The export parsed and validated against the codebook and corpus.
    sent : dict of str to list of DemoSpan
        The spans each coder sent, by coder name.
    project_id : int
    users : dict of str to int
        Coder name -> Label Studio user id.
    server_users : dict of int to str
        Every user on the server: id -> e-mail (``LabelStudioClient.users()``).
    timings : dict of str to float
        Seconds per phase.
    """

    raw: bytes
    export: object
    sent: dict[str, list[DemoSpan]]
    project_id: int
    users: dict[str, int]
    server_users: dict[int, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


# ------------------------------------------------------------------ the plans
def _where(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def read_plan(path: str | os.PathLike[str], codebook) -> CodingPlan:
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


def read_plans(codebook, *, directory: str | os.PathLike[str] = PLAN_DIR,
               transcript_ids: Sequence[str] | None = None) -> dict[str, CodingPlan]:
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


def _locate(planned: PlannedSpan, transcript) -> DemoSpan:
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
    return DemoSpan(transcript.id, segment.segment_id, start, start + len(planned.quote), planned.codes,
                    planned.where)


def coder_a_spans(plan: CodingPlan, transcript) -> list[DemoSpan]:
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
    return bool(VERTICAL_CONTEXT.search(text[sentences[first][0]:sentences[last][1]]))


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
        after = [w for w in words if w[0] >= end]
        if after:
            return start, after[min(len(after), rng.randint(1, 3)) - 1][1]
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


def coder_b_spans(plan: CodingPlan, transcript, *, seed: int = SEED) -> list[DemoSpan]:
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
        if "bridging" in span.codes and not {"local", "transnational"} & set(span.codes):
            if rng.random() < P_EXTRA_LOCAL:
                codes.append("local")
        codes = list(dict.fromkeys(codes))
        s, e = _new_bounds(rng, seg.text, span.start - seg.start, span.end - seg.start)
        if codes:
            out.append(DemoSpan(span.transcript_id, span.segment_id, seg.start + s, seg.start + e,
                                tuple(codes), span.where))
    out.extend(_locate(p, transcript) for p in plan.extras)
    return out


# ------------------------------------------------------- Label Studio results
def label_controls(codebook) -> dict[str, tuple[str, str]]:
    """Code id -> (``from_name``, ``to_name``) as the codebook's labeling config declares them."""
    root = ET.fromstring(codebook.to_labelstudio_config())
    controls: dict[str, tuple[str, str]] = {}
    for labels in root.iter("Labels"):
        for label in labels.iter("Label"):
            controls[label.get("value")] = (labels.get("name"), labels.get("toName"))
    missing = [c for c in codebook.code_ids if c not in controls]
    if missing:
        raise CodingPlanError(f"The codebook's labeling config has no <Label> for {', '.join(missing)}.")
    return controls


def to_results(spans: Sequence[DemoSpan], text: str, controls: Mapping[str, tuple[str, str]],
               *, prefix: str) -> list[dict]:
    """Label Studio ``labels`` results: one per span and labeling control (facet)."""
    results = []
    for n, span in enumerate(spans, start=1):
        by_control: dict[tuple[str, str], list[str]] = {}
        for code in span.codes:
            by_control.setdefault(controls[code], []).append(code)
        for (from_name, to_name), labels in by_control.items():
            results.append({
                "id": f"{prefix}{n:03d}_{from_name}",
                "from_name": from_name,
                "to_name": to_name,
                "type": "labels",
                "origin": "manual",
                "value": {"start": span.start, "end": span.end, "text": text[span.start:span.end],
                          "labels": labels},
            })
    return results


# ------------------------------------------------------------------ the corpus
def demo_corpus(transcript_ids: Sequence[str] | None = None):
    """The pseudonymised demo corpus (all transcripts, or those listed).

    The whole corpus is pseudonymised first, so a transcript reads the same
    (same placeholders) whether it is selected alone or with all the others.
    """
    from corpus import anonymize, read_corpus

    paths = sorted(str(p) for p in (DEMO / "transcripts").iterdir() if not p.name.startswith("."))
    corpus = read_corpus(paths, cases=DEMO / "cases.csv")
    pseudonymised, _mapping = anonymize(corpus, DEMO / "names.txt")  # the mapping stays in memory
    if transcript_ids is None:
        return pseudonymised
    missing = [t for t in transcript_ids if t not in pseudonymised]
    if missing:
        raise CodingPlanError(f"No demo transcript for {', '.join(missing)}.")
    return pseudonymised.with_transcripts([pseudonymised[t] for t in transcript_ids])


# ------------------------------------------------------------------ round trip
def round_trip(client, *, corpus, codebook, plans: Mapping[str, CodingPlan], users: Mapping[str, int],
               coder_clients: Mapping[str, object] | None = None, project_title: str = PROJECT_TITLE,
               seed: int = SEED) -> RoundTripResult:
    """Push the corpus, annotate as coder A and coder B, export and validate.

    Parameters
    ----------
    client : coding.labelstudio.LabelStudioClient
        A client with the administrator's token (creates the project, pushes, exports).
    corpus : corpus.Corpus
        The pseudonymised corpus; every transcript needs a plan.
    codebook : coding.Codebook
    plans : mapping of str to CodingPlan
    users : mapping
        ``{"coder_a": user_id, "coder_b": user_id}``.
    coder_clients : mapping, optional
        Clients with each coder's own token; annotations are then created by
        the coder (default: by ``client`` on the coder's behalf).
    project_title : str
    seed : int

    Returns
    -------
    RoundTripResult

    Raises
    ------
    CodingPlanError
        A transcript has no plan, or a quote cannot be placed.
    coding.errors.LabelStudioError
        The server refused a call, or the export does not validate (every
        issue is listed).
    """
    from coding.errors import LabelStudioError
    from coding.ls_export import parse_export

    timings: dict[str, float] = {}
    missing = [t.id for t in corpus if t.id not in plans]
    if missing:
        raise CodingPlanError(f"No coding plan for {', '.join(missing)}.")
    controls = label_controls(codebook)
    sent = {"coder_a": [], "coder_b": []}
    per_task: dict[str, dict[str, list[DemoSpan]]] = {}
    for transcript in corpus:
        plan = plans[transcript.id]
        a = coder_a_spans(plan, transcript)
        b = coder_b_spans(plan, transcript, seed=seed)
        per_task[transcript.id] = {"coder_a": a, "coder_b": b}

    t0 = time.monotonic()
    project_id = client.ensure_project(project_title, codebook)
    pushed = client.push(corpus, unit="transcript", project=project_id)
    task_of = {str(t.data["transcript_id"]): int(t.id) for t in client.tasks(project_id)}
    timings["project_and_push"] = time.monotonic() - t0

    t1 = time.monotonic()
    texts = {t.id: t.text for t in corpus}
    for coder, prefix in (("coder_a", "a"), ("coder_b", "b")):
        annotator = (coder_clients or {}).get(coder, client)
        for transcript_id, spans in per_task.items():
            task_id = task_of[transcript_id]
            if task_id not in pushed.created:
                raise LabelStudioError(
                    f"Task {task_id} ({transcript_id}) was already in project {project_id}: the demo codings "
                    "need a fresh project. Use a new server or another project title."
                )
            result = to_results(spans[coder], texts[transcript_id], controls, prefix=prefix)
            annotator.annotate(task_id, result, completed_by=users[coder])
            sent[coder].extend(spans[coder])
    timings["annotate"] = time.monotonic() - t1

    t2 = time.monotonic()
    raw = client.export_bytes(project_id, export_type="JSON")
    names = {uid: coder for coder, uid in users.items()}
    export = parse_export(raw, name=f"project {project_id} export", codebook=codebook, corpus=corpus,
                          users=names)
    timings["export_and_validate"] = time.monotonic() - t2
    if not export.issues.empty:
        rows = "; ".join(
            f"task {r.task_id} annotation {r.annotation_id} result {r.result_id}: {r.reason} ({r.detail})"
            for r in export.issues.itertuples()
        )
        raise LabelStudioError(f"The demo export has {len(export.issues)} issue(s): {rows}")
    return RoundTripResult(raw, export, sent, project_id, dict(users), client.users(), timings)


def _write_json_atomic(data, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
            handle.write("\n")
        os.chmod(tmp, 0o644)  # package data: readable like the other demo files
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def users_path(export_path: str | os.PathLike[str]) -> Path:
    """The coder-name file written next to an export: ``demo_export.json`` -> ``demo_export.users.json``."""
    export_path = Path(export_path)
    return export_path.with_name(f"{export_path.stem}.users.json")


def write_export(raw: bytes, path: str | os.PathLike[str], *, users: Mapping[int, str] | None = None) -> Path:
    """Write a full JSON export with tasks sorted by id, atomically (temp file + rename).

    The export names coders only by user id (``completed_by``). With
    ``users`` (user id -> e-mail, from the server), the coder names (the
    e-mails' local parts: ``coder_a``, ``coder_b``) are written next to it as
    ``<stem>.users.json`` (user id as text -> name), ready for
    ``read_export(..., users=...)``.
    """
    tasks = json.loads(raw)
    if not isinstance(tasks, list):
        raise CodingPlanError("The export is not a list of tasks.")
    tasks.sort(key=lambda t: int(t["id"]))
    path = _write_json_atomic(tasks, Path(path))
    if users is not None:
        names = {str(uid): email.split("@", 1)[0] for uid, email in sorted(users.items())}
        _write_json_atomic(names, users_path(path))
    return path


def read_demo_export(path: str | os.PathLike[str] = EXPORT_PATH, *, corpus=None, codebook=None):
    """Read the shipped demo export with coders named ``coder_a`` and ``coder_b``.

    Parameters
    ----------
    path : path-like
        The export (default: the shipped ``demo_data/labelstudio/demo_export.json``).
    corpus : corpus.Corpus, optional
        Default: the pseudonymised demo corpus (:func:`demo_corpus`).
    codebook : coding.Codebook, optional
        Default: the demo codebook.

    Returns
    -------
    coding.ls_export.ExportReadResult
    """
    from coding import read_codebook
    from coding.labelstudio import read_export

    path = Path(path)
    names_file = users_path(path)
    users = json.loads(names_file.read_text(encoding="utf-8")) if names_file.is_file() else None
    return read_export(path, codebook=codebook or read_codebook(DEMO / "codebook.toml"),
                       corpus=corpus if corpus is not None else demo_corpus(), users=users)


def run(out: str | os.PathLike[str] | None = EXPORT_PATH, *, transcript_ids: Sequence[str] | None = None,
        seed: int = SEED) -> RoundTripResult:
    """Start a local Label Studio server, do the round trip, stop the server, write the export.

    Parameters
    ----------
    out : path-like or None
        Where to write the export (default: the shipped demo export); None
        writes nothing.
    transcript_ids : sequence of str, optional
        Only these transcripts (default: all twenty).
    seed : int
        Seed of coder B.

    Returns
    -------
    RoundTripResult
        Its ``timings`` also hold the server's ``init`` and ``start`` times.
    """
    from coding import read_codebook
    from coding.ls_server import LabelStudioServer

    codebook = read_codebook(DEMO / "codebook.toml")
    corpus = demo_corpus(transcript_ids)
    plans = read_plans(codebook, transcript_ids=[t.id for t in corpus])
    t0 = time.monotonic()
    with LabelStudioServer((ADMIN_EMAIL, *CODER_EMAILS.values())) as server:
        admin = server.client()
        ids = {email: uid for uid, email in admin.users().items()}
        users = {coder: ids[email] for coder, email in CODER_EMAILS.items()}
        coder_clients = {coder: server.client(email) for coder, email in CODER_EMAILS.items()}
        result = round_trip(admin, corpus=corpus, codebook=codebook, plans=plans, users=users,
                            coder_clients=coder_clients, seed=seed)
        result.timings.update({f"server_{k}": v for k, v in server.timings.items()})
    result.timings["total"] = time.monotonic() - t0
    if out is not None:
        write_export(result.raw, out, users=result.server_users)
    return result


# ---------------------------------------------------------------- command line
def _summary(result: RoundTripResult) -> list[str]:
    codings = result.export.codings
    lines = []
    for coder, spans in result.sent.items():
        n_apps = sum(len(s.codes) for s in spans)
        n_rows = int((codings["coder"] == coder).sum())
        lines.append(f"{coder}: {len(spans)} spans, {n_apps} code applications, {n_rows} coding rows")
    lines.append(f"issues: {len(result.export.issues)}")
    lines.append("timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in result.timings.items()))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m pipelines.demo_codings [--out FILE] [--transcripts IDS] [--seed N]``."""
    from pipelines.cli_common import console, err_console

    parser = argparse.ArgumentParser(
        prog="python -m pipelines.demo_codings",
        description="Code the demo transcripts as two coders through a real Label Studio server and "
                    "write the full JSON export.",
    )
    parser.add_argument("--out", type=Path, default=EXPORT_PATH,
                        help="export file to write (default: the shipped demo export)")
    parser.add_argument("--transcripts", default=None,
                        help="comma-separated transcript ids (default: all)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"seed of coder B (default {SEED})")
    args = parser.parse_args(argv)
    ids = [t.strip() for t in args.transcripts.split(",") if t.strip()] if args.transcripts else None
    try:
        result = run(args.out, transcript_ids=ids, seed=args.seed)
    except QualquantError as exc:
        err_console.print(f"Error: {' '.join(str(exc).split())}", markup=False, highlight=False, soft_wrap=True)
        return 1
    for line in _summary(result):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(f"wrote {args.out}", markup=False, highlight=False, soft_wrap=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
