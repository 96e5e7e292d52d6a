"""Round trip against a real Label Studio server (marked `labelstudio`; mandatory in CI).

Creates the demo project from the demo codebook, pushes the demo corpus (twice),
annotates as two real users with spans computed from the text, pulls through the
SDK (full JSON snapshot, JSON_MIN, CSV) and checks every coding against what was sent.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from pathlib import Path

import pandas as pd
import pytest

from qualquant import pipelines
from qualquant.coding import read_codebook
from qualquant.coding.errors import LabelStudioTokenError, PushConflictError
from qualquant.coding.labelstudio import LabelStudioClient
from qualquant.coding.labelstudio._export import parse_export

pytestmark = pytest.mark.labelstudio

DEMO = Path(pipelines.__file__).parent / "demo_data"


@pytest.fixture(scope="module")
def demo_corpus():
    from qualquant.corpus import read_corpus

    corpus = read_corpus(sorted(str(p) for p in (DEMO / "transcripts").iterdir()), cases=DEMO / "cases.csv")
    assert len(corpus) >= 3
    return corpus


@pytest.fixture(scope="module")
def codebook():
    return read_codebook(DEMO / "codebook.toml")


def _planned_spans(transcript, codebook, coder: str) -> list[dict]:
    """Spans computed from the text: the first clause of some participant turns.

    Coder A codes turns 0, 1, 2, 4 of the participant; coder B shifts one
    boundary, misses turn 4, adds turn 3 and codes "linking" where A said "bridging".
    """
    codes = list(codebook.code_ids)
    turns = [s for s in transcript.segments if s.role == "participant" and len(s.text) > 20]
    plan = []
    for k, seg in enumerate(turns[:5]):
        if coder == "A" and k == 3:
            continue
        if coder == "B" and k == 4:
            continue
        m = re.search(r"[.!?,;]", seg.text[10:])
        length = 10 + m.start() if m else min(len(seg.text), 40)
        start = seg.start
        if coder == "B" and k == 1:
            start += seg.text.find(" ") + 1  # boundary difference: skip the first word
        end = seg.start + length
        code = codes[(k + len(transcript.id)) % len(codes)]
        if coder == "B" and code == "bridging":
            code = "linking"
        plan.append({"start": start, "end": end, "code": code})
    return plan


def _result(transcript, codebook, spans):
    out = []
    for n, span in enumerate(spans):
        out.append(
            {
                "id": f"{transcript.id}_{n}",
                "from_name": codebook.facet_of(span["code"]),
                "to_name": "text",
                "type": "labels",
                "value": {
                    "start": span["start"],
                    "end": span["end"],
                    "text": transcript.text[span["start"] : span["end"]],
                    "labels": [span["code"]],
                },
            }
        )
    return out


@pytest.fixture(scope="module")
def project(labelstudio_server, demo_corpus, codebook):
    client = labelstudio_server.client()
    project_id = client.ensure_project("Demo study (transcripts)", codebook)
    first = client.push(demo_corpus, unit="transcript", project=project_id)
    users = {email: uid for uid, email in client.users().items()}
    sent = []
    by_transcript = {t.id: t for t in demo_corpus}
    task_of = {}
    for task in client.tasks(project_id):
        task_of[task.data["transcript_id"]] = int(task.id)
    for coder, email in (("A", "coder.a@example.com"), ("B", "coder.b@example.com")):
        for tid, task_id in sorted(task_of.items()):
            transcript = by_transcript[tid]
            spans = _planned_spans(transcript, codebook, coder)
            client.annotate(task_id, _result(transcript, codebook, spans), completed_by=users[email])
            sent += [(email, tid, s["code"], s["start"], s["end"]) for s in spans]
    return {"client": client, "id": project_id, "first_push": first, "sent": sent, "task_of": task_of}


def test_project_config_and_first_push(project, demo_corpus, codebook):
    client = project["client"]
    assert len(project["first_push"].created) == len(demo_corpus)
    remote = client.sdk.projects.get(id=project["id"])
    assert remote.label_config.strip() == codebook.to_labelstudio_config().strip()
    task = client.sdk.tasks.get(id=str(project["task_of"][demo_corpus.transcripts[0].id]))
    data = task.data
    t0 = demo_corpus.transcripts[0]
    assert data["text"] == t0.text and data["segment_ids"] == [s.segment_id for s in t0.segments]
    assert data["case_id"] and data["unit"] == "transcript"
    # ensure_project again: same project, no duplicate
    assert client.ensure_project("Demo study (transcripts)", codebook) == project["id"]


def test_push_twice_makes_no_duplicates(project, demo_corpus):
    client = project["client"]
    again = client.push(demo_corpus, unit="transcript", project=project["id"])
    assert again.created == () and again.updated == ()
    assert sorted(again.unchanged) == sorted(project["task_of"].values())
    assert len(client.tasks(project["id"])) == len(demo_corpus)


def test_changed_text_is_a_clear_error(project, demo_corpus):
    t0 = demo_corpus.transcripts[0]
    changed = dataclasses.replace(t0, text=t0.text + " ", segments=t0.segments)
    with pytest.raises(PushConflictError, match=rf"transcript '{t0.id}'.*different text"):
        project["client"].push([changed], unit="transcript", project=project["id"])


def test_pull_validates_every_span_and_matches_what_was_sent(project, demo_corpus, codebook, tmp_path):
    client = project["client"]
    pulled = client.pull(project["id"], snapshot_dir=tmp_path, codebook=codebook, corpus=demo_corpus)
    export = pulled.export
    assert export.counts["n_spans"] == len(project["sent"]) == export.counts["n_spans_valid"]
    assert export.issues.empty, export.issues  # nothing set aside, repaired or unused
    got = sorted(pulled.codings[["coder", "transcript_id", "code", "start", "end"]].itertuples(index=False, name=None))
    assert got == sorted(project["sent"])
    for row in pulled.codings.itertuples():
        assert demo_corpus[row.transcript_id].text[row.start : row.end] == row.text
        seg = next(s for s in demo_corpus[row.transcript_id].segments if s.segment_id == row.segment_id)
        assert seg.start <= row.start < row.end <= seg.end
    # the snapshot: raw bytes, read-only, timestamp + hash in the name, never overwritten
    snap = pulled.snapshot
    assert re.fullmatch(rf"project{project['id']}_\d{{8}}T\d{{12}}Z_[0-9a-f]{{12}}\.json", snap.name)
    assert not (snap.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    before = snap.read_bytes()
    second = client.pull(project["id"], snapshot_dir=tmp_path, codebook=codebook, corpus=demo_corpus)
    assert second.snapshot != snap and snap.read_bytes() == before
    pseudo = client.pull(project["id"], snapshot_dir=tmp_path, pseudonymous=True)
    assert set(pseudo.codings.coder) == {"coder_1", "coder_2"}


def test_json_min_and_csv_exports_parse_to_the_same_codings(project, demo_corpus, codebook):
    client = project["client"]
    users = client.users()
    frames = {}
    for export_type in ("JSON", "JSON_MIN", "CSV"):
        raw = client.export_bytes(project["id"], export_type=export_type)
        result = parse_export(raw, name=export_type, codebook=codebook, corpus=demo_corpus, users=users)
        assert result.counts["n_spans_valid"] == len(project["sent"]), export_type
        cols = ["coder", "transcript_id", "segment_id", "code", "start", "end", "text", "task_id", "annotation_id"]
        frames[export_type] = result.codings[cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(frames["JSON"], frames["JSON_MIN"])
    pd.testing.assert_frame_equal(frames["JSON"], frames["CSV"])


def test_status_counts(project, demo_corpus):
    status = project["client"].status(project["id"])
    n = len(demo_corpus)
    assert (status["n_tasks"], status["n_annotated_tasks"], status["n_annotations"]) == (n, n, 2 * n)
    assert status["annotations_by_coder"] == {"coder.a@example.com": n, "coder.b@example.com": n}


def test_segment_unit_round_trip(labelstudio_server, demo_corpus, codebook, tmp_path):
    client = labelstudio_server.client()
    project_id = client.ensure_project("Demo study (segments)", codebook)
    transcript = demo_corpus.transcripts[0]
    pushed = client.push([transcript], unit="segment", project=project_id)
    turns = [s for s in transcript.segments if s.role == "participant"]
    assert len(pushed.created) == len(turns)
    assert client.push([transcript], unit="segment", project=project_id).created == ()
    tasks = {t.data["segment_id"]: t for t in client.tasks(project_id)}
    turn = turns[0]
    task = tasks[turn.segment_id]
    previous = [s for s in transcript.segments if s.index < turn.index and s.role == "interviewer"]
    assert task.data["context"] == (previous[-1].text if previous else "")
    assert task.data["text"] == turn.text
    words = turn.text.split()
    frag = " ".join(words[1:3]) if len(words) > 2 else turn.text
    s = turn.text.index(frag)
    coder_b = {email: uid for uid, email in client.users().items()}["coder.b@example.com"]
    client.annotate(
        int(task.id),
        [
            {
                "from_name": "scope",
                "to_name": "text",
                "type": "labels",
                "value": {"start": s, "end": s + len(frag), "text": frag, "labels": ["local"]},
            }
        ],
        completed_by=coder_b,
    )
    pulled = client.pull(project_id, snapshot_dir=tmp_path, codebook=codebook, corpus=demo_corpus)
    row = pulled.codings.iloc[0]
    assert len(pulled.codings) == 1 and pulled.issues.empty
    assert (row.segment_id, row.start, row.end, row.coder) == (
        turn.segment_id,
        turn.start + s,
        turn.start + s + len(frag),
        "coder.b@example.com",
    )
    assert transcript.text[row.start : row.end] == frag
    assert pulled.export.annotations.segment_id.tolist() == [turn.segment_id]


def test_token_comes_from_the_environment_and_is_never_shown(labelstudio_server, monkeypatch):
    monkeypatch.delenv("QQ_TEST_TOKEN", raising=False)
    with pytest.raises(LabelStudioTokenError, match="set the environment variable QQ_TEST_TOKEN"):
        LabelStudioClient(labelstudio_server.url, token_env="QQ_TEST_TOKEN")
    token = labelstudio_server.admin.token
    monkeypatch.setenv("QQ_TEST_TOKEN", token)
    client = LabelStudioClient(labelstudio_server.url, token_env="QQ_TEST_TOKEN")
    assert client.whoami()["email"] == "admin@example.com"
    assert token not in repr(client) and token not in repr(labelstudio_server.admin)
    monkeypatch.setenv("QQ_TEST_TOKEN", "0" * 40)
    with pytest.raises(LabelStudioTokenError) as info:
        LabelStudioClient(labelstudio_server.url, token_env="QQ_TEST_TOKEN").users()
    assert "QQ_TEST_TOKEN" in str(info.value) and "0" * 40 not in str(info.value)


def test_server_runs_on_loopback_with_its_own_pid(labelstudio_server):
    assert labelstudio_server.url.startswith("http://127.0.0.1:")
    pid = labelstudio_server.pid
    assert pid is not None
    os.kill(pid, 0)  # signal 0: the process exists and is ours to signal


def test_pull_merges_predictions_listed_by_id(labelstudio_server, demo_corpus, codebook, tmp_path):
    """Label Studio 1.23's export lists predictions by id; pull fetches and merges them."""
    import json

    from qualquant.coding.labelstudio._export import read_export
    from qualquant.coding.topics._compare import pull_predictions, push_predictions

    client = labelstudio_server.client()
    small = demo_corpus.with_transcripts(demo_corpus.transcripts[:2])
    project_id = client.ensure_project("Predictions merged on pull", codebook)
    client.push(small, unit="transcript", project=project_id)
    task_of = {t.data["transcript_id"]: int(t.id) for t in client.tasks(project_id)}
    first, second = small.transcripts
    coder_a = {email: uid for uid, email in client.users().items()}["coder.a@example.com"]
    turn = next(s for s in first.segments if s.role == "participant")
    client.annotate(
        task_of[first.id],
        _result(first, codebook, [{"start": turn.start, "end": turn.end, "code": "bonding"}]),
        completed_by=coder_a,
    )
    expected, preds = set(), []
    for model, transcript, codes in (
        ("hand-model-v1", first, ("bridging", "linking")),
        ("hand-model-v1", second, ("bonding",)),
        ("hand-model-v2", second, ("linking",)),
    ):
        turns = [s for s in transcript.segments if s.role == "participant"]
        spans = [{"start": s.start, "end": s.end, "code": c} for s, c in zip(turns[1:], codes)]
        preds.append(
            {
                "unit": "transcript",
                "transcript_id": transcript.id,
                "segment_id": None,
                "model_version": model,
                "score": 0.75,
                "result": _result(transcript, codebook, spans),
            }
        )
        expected |= {(model, transcript.id, sp["code"], sp["start"], sp["end"]) for sp in spans}
    ids = push_predictions(client, project_id, preds)
    assert len(ids) == 3

    pulled = client.pull(project_id, snapshot_dir=tmp_path, codebook=codebook, corpus=small)
    assert pulled.export.issues.empty, pulled.export.issues
    assert pulled.n_predictions == 3
    # the raw snapshot is what the server sent: predictions by id only
    raw = json.loads(pulled.snapshot.read_bytes())
    assert sorted(p for t in raw for p in t["predictions"]) == sorted(ids)
    # the merged snapshot sits next to it, read-only, and is the file parsed
    merged = pulled.merged
    assert merged is not None and pulled.parsed == merged and merged.parent == pulled.snapshot.parent
    assert merged.name == pulled.snapshot.name[: -len(".json")] + ".with-predictions.json"
    assert not (merged.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    codings = pulled.codings
    machine = codings[codings["source"] == "prediction"]
    got = set(machine[["coder", "transcript_id", "code", "start", "end"]].itertuples(index=False, name=None))
    assert got == expected
    human = codings[codings["source"] == "human"]
    assert list(zip(human["coder"], human["code"], human["start"])) == [("coder.a@example.com", "bonding", turn.start)]
    # reading the merged snapshot again gives the same codings (it is self-contained)
    again = read_export(merged, codebook=codebook, corpus=small, users=client.users())
    pd.testing.assert_frame_equal(again.codings, codings)
    # pull_predictions (predictions only, no snapshot) goes through the same client code
    only = pull_predictions(client, project_id, codebook=codebook, corpus=small)
    cols = ["coder", "source", "transcript_id", "segment_id", "code", "start", "end", "text", "annotation_id"]
    pd.testing.assert_frame_equal(only.codings[cols].reset_index(drop=True), machine[cols].reset_index(drop=True))
    # a project without predictions writes no second snapshot
    plain_id = client.ensure_project("No predictions", codebook)
    client.push(small, unit="transcript", project=plain_id)
    plain = client.pull(plain_id, snapshot_dir=tmp_path / "plain", codebook=codebook, corpus=small)
    assert plain.merged is None and plain.n_predictions == 0 and plain.parsed == plain.snapshot


def test_generated_passwords_never_look_like_options(monkeypatch):
    """A password starting with "-" made `label-studio init --password -x` fail with exit code 2."""
    import secrets

    from qualquant.coding.labelstudio import _server as ls_server

    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: "-Dm8xQ")
    assert not ls_server._new_password().startswith("-")


def test_a_failed_init_quotes_the_log_it_is_about_to_remove(tmp_path, monkeypatch):
    """The temp data dir (and its log) is removed on failure, so the error carries the log's tail."""
    import stat

    from qualquant.coding.errors import LabelStudioError
    from qualquant.coding.labelstudio._server import LabelStudioServer

    fake = tmp_path / "label-studio"
    fake.write_text("#!/bin/sh\necho 'usage: label-studio init: error: unrecognized arguments' >&2\nexit 2\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(LabelStudioError, match=r"exit code 2\)\. Last lines of the log: .*unrecognized arguments"):
        LabelStudioServer(users=("admin@example.com",), binary=fake).start()
