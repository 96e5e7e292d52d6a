"""Tests of the Label Studio export reader against real exports and hand-made malformed ones."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qualquant import pipelines
from qualquant.coding import CODINGS_COLUMNS, ISSUES_COLUMNS, ExportFormatError, consensus, read_codebook
from qualquant.coding.labelstudio import read_export
from qualquant.coding.labelstudio._export import parse_export
from qualquant.quant.errors import QualquantError

HERE = Path(__file__).resolve().parent
REF = HERE / "reference" / "labelstudio"
REAL = HERE / "data" / "label_studio"
DEMO_CODEBOOK = Path(pipelines.__file__).parent / "demo_data" / "codebook.toml"


def _real(name: str) -> Path:
    return REAL / name


# ------------------------------------------------------------------ real files


def test_leoka_export_every_span_validates():
    """LEOKA team 8 (real Label Studio export): 130 tasks, 2,799 label spans, all valid."""
    result = read_export(_real("leoka_team8_export.json"))
    counts = result.counts
    assert counts["n_tasks"] == 130
    # every `labels` result in the file is checked: counted annotations + cancelled/superseded ones
    assert counts["n_spans"] + counts["n_spans_excluded"] == 2799
    assert counts["n_spans_valid"] == counts["n_spans"] == 2742
    assert counts["n_spans_excluded_valid"] == counts["n_spans_excluded"] == 57
    assert counts["n_spans_repaired"] == counts["n_spans_set_aside"] == 0
    assert len(result.codings) == 2742  # one label per span in this project
    assert sorted(result.coders.values()) == [f"annotator{i}@example.org" for i in (1, 2, 3)]
    reasons = result.issues["reason"].value_counts().to_dict()
    assert reasons == {
        "not_span_result": 309,  # the taxonomy result of each counted annotation, reported once
        "cancelled_annotation": 2,
        "draft_ignored": 2,
        "superseded_annotation": 2,
    }
    raw = json.loads(_real("leoka_team8_export.json").read_text(encoding="utf-8"))
    texts = {t["id"]: t["data"]["text"] for t in raw}
    for row in result.codings.itertuples():
        assert texts[row.task_id][row.start : row.end] == row.text
    assert result.codings["ground_truth"].any()
    annotators_per_task = result.annotations.groupby("task_id")["coder"].nunique()
    assert annotators_per_task.between(1, 3).all() and (annotators_per_task >= 2).sum() > 100


@pytest.mark.parametrize(
    "name", ["ls1.23.2_roundtrip_full.json", "ls1.23.2_roundtrip_min.json", "ls1.23.2_roundtrip.csv"]
)
def test_roundtrip_sample_emoji_offsets_are_code_points(name):
    result = read_export(_real(name))
    assert result.counts["n_spans"] == 13 and result.counts["n_spans_valid"] == 13
    assert result.counts["n_spans_repaired"] == 0
    row = result.codings[result.codings["text"] == "новости из дома 🇺🇦"].iloc[0]
    assert (row.start, row.end) == (71, 89)


def test_roundtrip_formats_give_the_same_codings():
    frames = []
    for name in ("ls1.23.2_roundtrip_full.json", "ls1.23.2_roundtrip_min.json", "ls1.23.2_roundtrip.csv"):
        df = read_export(_real(name)).codings.drop(columns=["result_id"])
        frames.append(df.reset_index(drop=True))
    pd.testing.assert_frame_equal(frames[0], frames[1])
    pd.testing.assert_frame_equal(frames[0], frames[2])
    full = read_export(_real("ls1.23.2_roundtrip_full.json"))
    kinds = full.issues.groupby("reason")["detail"].apply(lambda s: sorted(set(s))).to_dict()
    assert set(kinds) == {"not_span_result"}
    assert any("type relation" in d for d in kinds["not_span_result"])
    assert (full.issues["annotation_id"] == 7).sum() == 1  # choices-only annotation reported once
    assert read_export(_real("ls1.23.2_roundtrip_min.json")).issues["reason"].tolist() == ["format_limitation"]


# --------------------------------------------------------------- malformed file


@pytest.fixture(scope="module")
def malformed():
    return read_export(REF / "malformed_full.json", codebook=read_codebook(DEMO_CODEBOOK))


def _issue(result, reason):
    rows = result.issues[result.issues["reason"] == reason]
    assert len(rows) == 1, (reason, rows)
    return rows.iloc[0]


def test_malformed_each_case_handled(malformed):
    c = malformed.codings
    assert list(c.columns) == list(CODINGS_COLUMNS)
    assert list(malformed.issues.columns) == list(ISSUES_COLUMNS)
    text = json.loads((REF / "malformed_full.json").read_text(encoding="utf-8"))[0]["data"]["text"]
    human = c[(c.source == "human") & (c.task_id == 101)]
    assert sorted(zip(human.result_id, human.code)) == [
        ("ok1", "bonding"),
        ("u16", "online_offline_conversion"),
        ("unk", "housing"),
    ]
    assert (human.annotation_id == 11).all() and (human.coder == "user_1").all()
    repaired = human[human.result_id == "u16"].iloc[0]
    assert text[repaired.start : repaired.end] == "встретились вживую" == repaired.text
    assert (repaired.start, repaired.end) == (61, 79)
    issue = _issue(malformed, "utf16_offsets_repaired")
    assert (issue.result_id, issue.action) == ("u16", "repaired")
    assert "63-81" in issue.detail and "61-79" in issue.detail
    assert _issue(malformed, "offset_out_of_range").result_id == "past"
    assert "past" not in set(c.result_id) and "wrong" not in set(c.result_id)
    assert _issue(malformed, "text_mismatch").result_id == "wrong"
    unknown = _issue(malformed, "unknown_label")
    assert unknown.result_id == "unk" and "'flat_hunting'" in unknown.detail
    cancelled = _issue(malformed, "cancelled_annotation")
    assert (cancelled.annotation_id, cancelled.coder) == (12, "user_2")
    superseded = _issue(malformed, "superseded_annotation")
    assert superseded.annotation_id == 13 and "annotation 11" in superseded.detail
    assert _issue(malformed, "draft_ignored").annotation_id == 5
    choices = malformed.issues[(malformed.issues.reason == "not_span_result") & (malformed.issues.task_id == 101)]
    assert choices.detail.tolist() == ["not a span result (type choices, 1 result(s)): not used for codings"]
    pred = c[c.source == "prediction"]
    assert pred[["coder", "code", "text", "annotation_id"]].values.tolist() == [
        ["seed-model-v1", "online", "Telegram 📱", 7]
    ]
    gt = c[c.task_id == 102]
    assert gt.ground_truth.all() and sorted(gt.code) == ["bridging", "linking"]
    assert set(malformed.issues.action) == {"set_aside", "repaired", "not_used"}


def test_drafts_counted_when_asked():
    result = read_export(REF / "malformed_full.json", include_drafts=True)
    assert "draft_ignored" not in set(result.issues.reason)
    draft = result.codings[result.codings.annotation_id == 5]
    assert draft[["coder", "code", "text"]].values.tolist() == [["user_2", "housing", "квартиру"]]


def test_coder_names_from_users_and_pseudonyms():
    named = read_export(REF / "malformed_full.json", users={1: "anna@example.org", 2: "boris@example.org"})
    assert set(named.codings.query("source == 'human'").coder) == {"anna@example.org", "boris@example.org"}
    pseudo = read_export(REF / "malformed_full.json", pseudonymous=True)
    assert dict(pseudo.coders) == {"1": "coder_1", "2": "coder_2"}


def test_utf16_repair_in_csv(tmp_path):
    text = "Звонил маме 👩 и папе 👨 каждый день"
    frag = "каждый день"
    s = len(text[: text.index(frag)].encode("utf-16-le")) // 2
    span = [{"start": s, "end": s + len(frag), "text": frag, "labels": ["transnational"]}]
    path = tmp_path / "export.csv"
    pd.DataFrame(
        [{"annotation_id": 3, "annotator": 9, "scope": json.dumps(span, ensure_ascii=False), "id": 1, "text": text}]
    ).to_csv(path, index=False)
    result = read_export(path)
    row = result.codings.iloc[0]
    assert (row.start, row.end, row.text, row.code) == (
        text.index(frag),
        text.index(frag) + len(frag),
        frag,
        "transnational",
    )
    assert "utf16_offsets_repaired" in set(result.issues.reason)


# ------------------------------------------------------------ corpus mapping


def _toy_corpus():
    from qualquant import corpus

    text = "Интервьюер: Как вы нашли жильё?\nИнформант: Через чат земляков, потом встретились."
    q0 = text.index("Как")
    a0 = text.index("Через")
    segments = (
        corpus.Segment(
            "T1", "T1:0000", 0, "Интервьюер", "interviewer", q0, q0 + len("Как вы нашли жильё?"), "Как вы нашли жильё?"
        ),
        corpus.Segment("T1", "T1:0001", 1, "Информант", "participant", a0, len(text), text[a0:]),
    )
    transcript = corpus.Transcript(id="T1", text=text, language="ru", segments=segments)
    return corpus.Corpus(transcripts=(transcript,)), text


def _task(task_id, data, result, ann_id=1, user=1):
    return {
        "id": task_id,
        "data": data,
        "drafts": [],
        "predictions": [],
        "annotations": [
            {
                "id": ann_id,
                "completed_by": user,
                "result": result,
                "was_cancelled": False,
                "ground_truth": False,
                "created_at": "x",
                "updated_at": "x",
            }
        ],
    }


def _span(text, frag, label, rid, occurrence_start=0):
    s = text.index(frag, occurrence_start)
    return {
        "id": rid,
        "type": "labels",
        "from_name": "f",
        "to_name": "text",
        "value": {"start": s, "end": s + len(frag), "text": frag, "labels": [label]},
    }


def test_spans_are_split_on_segments_in_canonical_offsets():
    corp, text = _toy_corpus()
    data = {"text": text, "transcript_id": "T1", "unit": "transcript"}
    across = _span(text, "жильё?\nИнформант: Через чат", "housing", "r1")
    label_only = _span(text, "Информант", "housing", "r2")
    raw = json.dumps([_task(1, data, [across, label_only])]).encode()
    result = parse_export(raw, corpus=corp)
    rows = result.codings.sort_values("start")
    assert rows[["segment_id", "text"]].values.tolist() == [["T1:0000", "жильё?"], ["T1:0001", "Через чат"]]
    assert (rows.result_id == "r1").all()
    for r in rows.itertuples():
        assert text[r.start : r.end] == r.text
    assert _issue(result, "span_outside_segments").result_id == "r2"


def test_segment_tasks_and_changed_text():
    corp, text = _toy_corpus()
    turn = corp["T1"].segments[1]
    good = {"text": turn.text, "transcript_id": "T1", "segment_id": turn.segment_id, "unit": "segment"}
    stale = {"text": turn.text + " (edited)", "transcript_id": "T1", "segment_id": turn.segment_id, "unit": "segment"}
    other = {"text": "hello", "transcript_id": "T9", "unit": "transcript"}
    raw = json.dumps(
        [
            _task(1, good, [_span(turn.text, "чат земляков", "bonding", "a")]),
            _task(2, stale, [_span(turn.text, "чат", "online", "b")], ann_id=2),
            _task(3, other, [_span("hello", "hello", "online", "c")], ann_id=3),
        ]
    ).encode()
    result = parse_export(raw, corpus=corp)
    row = result.codings.iloc[0]
    assert len(result.codings) == 1
    assert (row.segment_id, row.text, text[row.start : row.end]) == ("T1:0001", "чат земляков", "чат земляков")
    assert _issue(result, "task_text_mismatch").task_id == 2
    assert _issue(result, "unknown_transcript").task_id == 3


# ------------------------------------------------------------------ consensus


def test_consensus_rules_and_ground_truth():
    corp, text = _toy_corpus()
    data = {"text": text, "transcript_id": "T1", "unit": "transcript"}
    a = _span(text, "чат земляков", "bonding", "a")
    a2 = _span(text, "Как вы", "online", "a2")
    b = _span(text, "Через чат", "bonding", "b")
    c = _span(text, "потом встретились", "offline", "c")
    task = _task(1, data, [a, a2])
    task["annotations"] += [
        {
            "id": 2,
            "completed_by": 2,
            "result": [b],
            "was_cancelled": False,
            "ground_truth": False,
            "created_at": "x",
            "updated_at": "x",
        },
        {
            "id": 3,
            "completed_by": 3,
            "result": [b, c],
            "was_cancelled": False,
            "ground_truth": False,
            "created_at": "x",
            "updated_at": "x",
        },
    ]
    codings = parse_export(json.dumps([task]).encode(), corpus=corp).codings
    # votes per (segment, code): T1:0001 bonding 3/3, T1:0001 offline 1/3, T1:0000 online 1/3
    majority = consensus(codings, rule="majority")
    assert majority[["segment_id", "code", "text"]].values.tolist() == [["T1:0001", "bonding", "Через чат земляков"]]
    union = consensus(codings, rule="union")
    assert sorted(zip(union.segment_id, union.code)) == [
        ("T1:0000", "online"),
        ("T1:0001", "bonding"),
        ("T1:0001", "offline"),
    ]
    assert (union.coder == "consensus").all()
    inter = consensus(codings, rule="intersection")
    assert inter.code.tolist() == ["bonding"]
    # ground truth decides the whole task: coder 3 marked as ground truth
    task["annotations"][2]["ground_truth"] = True
    codings_gt = parse_export(json.dumps([task]).encode(), corpus=corp).codings
    gt = consensus(codings_gt, rule="majority")
    assert sorted(gt.code) == ["bonding", "offline"] and gt.ground_truth.all()
    assert consensus(codings_gt, rule="majority", ground_truth=False).code.tolist() == ["bonding"]


def test_consensus_needs_segments():
    codings = read_export(_real("ls1.23.2_roundtrip_full.json")).codings
    with pytest.raises(QualquantError, match="Read the export with corpus="):
        consensus(codings)


# ------------------------------------------------------------------ bad files


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b'{"id": 1}', "a Label Studio JSON export is a list of tasks, found a dict"),
        (b'[{"id": ', "not valid JSON"),
        (b"\xff\xfe\x00", "not UTF-8 text"),
        (b"a,b\n1,2\n", "no `id` column"),
    ],
)
def test_bad_files_raise_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.json" if content.startswith((b"{", b"[")) else tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ExportFormatError) as info:
        read_export(path)
    assert message in str(info.value) and str(path) in str(info.value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 300) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "data",
                    "text",
                    "annotations",
                    "result",
                    "value",
                    "start",
                    "end",
                    "labels",
                    "type",
                    "completed_by",
                    "was_cancelled",
                    "drafts",
                    "predictions",
                    "annotator",
                    "annotation_id",
                    "from_name",
                    "model_version",
                    "user",
                    "updated_at",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=json_values)
@example(payload=[{"data": None, "id": 1.8446744073709552e19}])  # id beyond 64-bit integers
@example(payload=[{"data": None, "id": 9.223372036854776e18}])
def test_mangled_json_never_raises_anything_but_a_project_error(payload):
    raw = json.dumps(payload).encode()
    try:
        result = parse_export(raw, codebook=read_codebook(DEMO_CODEBOOK))
    except QualquantError:
        return
    assert list(result.codings.columns) == list(CODINGS_COLUMNS)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_mangled_real_export_never_raises(data):
    tasks = json.loads(_real("ls1.23.2_roundtrip_full.json").read_text(encoding="utf-8"))
    task = data.draw(st.sampled_from(tasks))
    ann = data.draw(st.sampled_from(task["annotations"]))
    res = data.draw(st.sampled_from(ann["result"]))
    target = data.draw(st.sampled_from(["value", "start", "end", "text", "labels", "result", "completed_by"]))
    junk = data.draw(json_values)
    if target in ("start", "end", "text", "labels") and isinstance(res.get("value"), dict):
        res["value"][target] = junk
    elif target == "value":
        res["value"] = junk
    elif target == "result":
        ann["result"] = junk
    else:
        ann["completed_by"] = junk
    try:
        result = parse_export(json.dumps(tasks).encode())
    except QualquantError:
        return
    for row in result.codings.itertuples():
        assert row.text  # every kept span is a non-empty exact substring (checked in the reader)


@pytest.mark.parametrize(
    ("flag", "value", "kept"),
    [
        ("was_cancelled", "false", True),
        ("was_cancelled", "true", False),
        ("ground_truth", "False", True),
        ("was_cancelled", 0, True),
    ],
)
def test_true_false_fields_given_as_text_are_parsed_not_truthy(flag, value, kept):
    """``"false"`` is false: before, ``bool("false")`` cancelled the annotation and lost its codings."""
    tasks = json.loads(_real("ls1.23.2_roundtrip_full.json").read_text(encoding="utf-8"))
    before = parse_export(json.dumps(tasks).encode()).codings
    target = tasks[0]["annotations"][0]
    target[flag] = value
    after = parse_export(json.dumps(tasks).encode())
    n_target = int(((before["task_id"] == tasks[0]["id"]) & (before["annotation_id"] == target["id"])).sum())
    assert n_target > 0
    assert len(after.codings) == (len(before) if kept else len(before) - n_target)
    if flag == "ground_truth":
        assert not after.codings["ground_truth"].any()


def test_true_false_field_that_is_neither_is_set_aside_with_its_reason():
    tasks = json.loads(_real("ls1.23.2_roundtrip_full.json").read_text(encoding="utf-8"))
    target = tasks[0]["annotations"][0]
    target["was_cancelled"] = "maybe"
    result = parse_export(json.dumps(tasks).encode())
    row = result.issues[result.issues["reason"] == "malformed_annotation"].iloc[0]
    assert row["annotation_id"] == target["id"] and "`was_cancelled` is 'maybe'" in row["detail"]
    assert target["id"] not in set(result.codings["annotation_id"])
