"""The demo study's codings: two coders' annotations through a real Label Studio round trip.

``python -m qualquant.pipelines.demo.codings [--out FILE] [--transcripts INT01,INT02] [--seed N]``

What the script does
--------------------
1. Reads the demo corpus (``demo_data/transcripts``, cases from ``cases.csv``)
   and pseudonymises it with ``demo_data/names.txt`` (:func:`qualquant.corpus.anonymize`);
   Label Studio only ever sees the pseudonymised text.
2. Reads coder A's coding plans, ``demo_data/coding_plan/INT01.toml`` ...
   ``INT20.toml``: a careful coding of every interview with the demo codebook,
   one ``[[span]]`` per coded passage (``quote`` = an exact substring of one
   participant turn that holds no personal data, ``codes`` = code ids, several
   facets at once where they apply). Each quote must occur exactly once within
   the participant turns of the pseudonymised transcript; otherwise a
   :class:`CodingPlanError` names the plan file, the span and the quote.
3. Derives coder B's second reading from A's plan with a fixed seed
   (:func:`qualquant.pipelines.demo.coders.coder_b_spans`).
4. Starts a real local server (:class:`qualquant.coding.labelstudio._server.LabelStudioServer`) with
   an administrator and two real users, ``coder_a@example.org`` and
   ``coder_b@example.org``, each created by ``label-studio init`` with its own
   API token; creates the project from the codebook's labeling config; pushes
   the pseudonymised corpus (one task per interview); each coder creates their
   annotations with their own token (``completed_by`` = their user id, each code
   under the ``<Labels>`` control of its facet, as the labeling config says);
   exports the project as full JSON through the SDK; validates the export with
   :func:`qualquant.coding.labelstudio.read_export` against the codebook and the
   pseudonymised corpus (no issue is expected: any issue is an error); and
   writes it, tasks sorted by id and otherwise as the server sent it, to
   ``demo_data/labelstudio/demo_export.json`` (atomically), with the coder
   names by user id in ``demo_export.users.json`` (the export itself names
   coders only by id). :func:`read_demo_export` reads it back.

Coder B, and the plan format, are described in :mod:`qualquant.pipelines.demo.coders`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualquant import pipelines
from qualquant.errors import QualquantError
from qualquant.io import atomic_write_text
from qualquant.pipelines.demo.coders import (
    PLAN_DIR,
    SEED,
    CodingPlan,
    CodingPlanError,
    DemoSpan,
    PlannedSpan,
    coder_a_spans,
    coder_b_spans,
    label_controls,
    read_plan,
    read_plans,
    to_results,
)

if TYPE_CHECKING:
    from qualquant.coding.codebook import Codebook
    from qualquant.coding.labelstudio import ExportReadResult, LabelStudioClient
    from qualquant.corpus import Corpus

__all__ = [
    "CodingPlan",
    "CodingPlanError",
    "DemoSpan",
    "PLAN_DIR",
    "PlannedSpan",
    "RoundTripResult",
    "SEED",
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

DEMO = pipelines.DEMO_DIR
EXPORT_PATH = DEMO / "labelstudio" / "demo_export.json"
PROJECT_TITLE = "Demo study: social capital (demo codings)"  # at most 50 characters
ADMIN_EMAIL = "admin@example.org"
CODER_EMAILS = {"coder_a": "coder_a@example.org", "coder_b": "coder_b@example.org"}


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
    export: ExportReadResult
    sent: dict[str, list[DemoSpan]]
    project_id: int
    users: dict[str, int]
    server_users: dict[int, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


# ------------------------------------------------------------------ the corpus
def demo_corpus(transcript_ids: Sequence[str] | None = None) -> Corpus:
    """The pseudonymised demo corpus (all transcripts, or those listed).

    The whole corpus is pseudonymised first, so a transcript reads the same
    (same placeholders) whether it is selected alone or with all the others.
    """
    from qualquant.corpus import anonymize, read_corpus

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
def round_trip(
    client: LabelStudioClient,
    *,
    corpus: Corpus,
    codebook: Codebook,
    plans: Mapping[str, CodingPlan],
    users: Mapping[str, int],
    coder_clients: Mapping[str, LabelStudioClient] | None = None,
    project_title: str = PROJECT_TITLE,
    seed: int = SEED,
) -> RoundTripResult:
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
    from qualquant.coding.errors import LabelStudioError
    from qualquant.coding.labelstudio._export import parse_export

    timings: dict[str, float] = {}
    missing = [t.id for t in corpus if t.id not in plans]
    if missing:
        raise CodingPlanError(f"No coding plan for {', '.join(missing)}.")
    controls = label_controls(codebook)
    sent: dict[str, list[DemoSpan]] = {"coder_a": [], "coder_b": []}
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
    export = parse_export(raw, name=f"project {project_id} export", codebook=codebook, corpus=corpus, users=names)
    timings["export_and_validate"] = time.monotonic() - t2
    if not export.issues.empty:
        rows = "; ".join(
            f"task {r.task_id} annotation {r.annotation_id} result {r.result_id}: {r.reason} ({r.detail})"
            for r in export.issues.itertuples()
        )
        raise LabelStudioError(f"The demo export has {len(export.issues)} issue(s): {rows}")
    return RoundTripResult(raw, export, sent, project_id, dict(users), client.users(), timings)


def _write_json_atomic(data: Any, path: Path) -> Path:
    return atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


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


def read_demo_export(
    path: str | os.PathLike[str] = EXPORT_PATH, *, corpus: Corpus | None = None, codebook: Codebook | None = None
) -> ExportReadResult:
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
    from qualquant.coding import read_codebook
    from qualquant.coding.labelstudio import read_export

    path = Path(path)
    names_file = users_path(path)
    users = json.loads(names_file.read_text(encoding="utf-8")) if names_file.is_file() else None
    return read_export(
        path,
        codebook=codebook or read_codebook(DEMO / "codebook.toml"),
        corpus=corpus if corpus is not None else demo_corpus(),
        users=users,
    )


def run(
    out: str | os.PathLike[str] | None = EXPORT_PATH, *, transcript_ids: Sequence[str] | None = None, seed: int = SEED
) -> RoundTripResult:
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
    from qualquant.coding import read_codebook
    from qualquant.coding.labelstudio._server import LabelStudioServer

    codebook = read_codebook(DEMO / "codebook.toml")
    corpus = demo_corpus(transcript_ids)
    plans = read_plans(codebook, transcript_ids=[t.id for t in corpus])
    t0 = time.monotonic()
    with LabelStudioServer((ADMIN_EMAIL, *CODER_EMAILS.values())) as server:
        admin = server.client()
        ids = {email: uid for uid, email in admin.users().items()}
        users = {coder: ids[email] for coder, email in CODER_EMAILS.items()}
        coder_clients = {coder: server.client(email) for coder, email in CODER_EMAILS.items()}
        result = round_trip(
            admin, corpus=corpus, codebook=codebook, plans=plans, users=users, coder_clients=coder_clients, seed=seed
        )
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
    """Command line: ``python -m qualquant.pipelines.demo.codings [--out FILE] [--transcripts IDS] [--seed N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m qualquant.pipelines.demo.codings",
        description="Code the demo transcripts as two coders through a real Label Studio server and "
        "write the full JSON export.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="export file to write (default: the shipped demo export; required with --transcripts)",
    )
    parser.add_argument("--transcripts", default=None, help="comma-separated transcript ids (default: all)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"seed of coder B (default {SEED})")
    args = parser.parse_args(argv)
    ids = [t.strip() for t in args.transcripts.split(",") if t.strip()] if args.transcripts else None
    if ids is not None and args.out is None:
        print(
            "Error: a partial run (--transcripts) needs --out FILE; the shipped demo export "
            "holds all twenty interviews.",
            file=sys.stderr,
        )
        return 1
    out = args.out or EXPORT_PATH
    try:
        result = run(out, transcript_ids=ids, seed=args.seed)
    except QualquantError as exc:
        print(f"Error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    for line in _summary(result):
        print(line)
    print(f"wrote {out} and {users_path(out).name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
