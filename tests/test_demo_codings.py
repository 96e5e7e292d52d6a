"""The demo codings: coder A's plans, coder B's derivation, the shipped export, a live round trip.

The shipped export (``pipelines/demo_data/labelstudio/demo_export.json``) was made by
``python -m qualquant.pipelines.demo.codings`` against a real Label Studio 1.23.2 server. These
tests check it against the demo corpus and codebook independently of the script
(every span re-checked against the pseudonymised text) and check that it is what the
plan files and the seed produce. The live test (marked ``labelstudio``) repeats the
round trip on two transcripts against the shared test server.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from qualquant.coding import read_codebook
from qualquant.pipelines.demo import codings as dc

EXPORT = dc.EXPORT_PATH


@pytest.fixture(scope="module")
def codebook():
    return read_codebook(dc.DEMO / "codebook.toml")


@pytest.fixture(scope="module")
def corpus():
    return dc.demo_corpus()


@pytest.fixture(scope="module")
def plans(codebook):
    return dc.read_plans(codebook)


@pytest.fixture(scope="module")
def shipped(corpus, codebook):
    return dc.read_demo_export(corpus=corpus, codebook=codebook)


def _keys(spans, coder):
    return {(coder, s.transcript_id, s.start, s.end, code) for s in spans for code in s.codes}


# ------------------------------------------------------------------- plans
def test_every_transcript_has_a_plan_and_every_quote_is_placed_once(corpus, plans, codebook):
    assert sorted(plans) == sorted(corpus.ids) and len(plans) == 20
    for transcript in corpus:
        spans = dc.coder_a_spans(plans[transcript.id], transcript)
        assert len(spans) >= 12, transcript.id
        segments = {s.segment_id: s for s in transcript.segments}
        for span in spans:
            seg = segments[span.segment_id]
            assert seg.role == "participant"
            assert seg.start <= span.start < span.end <= seg.end
            assert set(span.codes) <= set(codebook.code_ids)


def test_quotes_hold_no_personal_data_and_read_the_same_before_pseudonymisation(plans):
    from qualquant.corpus import read_corpus

    raw = read_corpus(sorted(str(p) for p in (dc.DEMO / "transcripts").iterdir()), cases=dc.DEMO / "cases.csv")
    placeholder = re.compile(r"\[(NAME|PHONE|EMAIL|URL|TELEGRAM|IIN)_\d+\]")
    for tid, plan in plans.items():
        for span in plan.spans + plan.extras:
            assert not placeholder.search(span.quote), span.where
            assert span.quote in raw[tid].text, span.where  # same text before pseudonymisation


def test_several_facets_are_applied_to_one_span(plans, codebook):
    multi = [s for p in plans.values() for s in p.spans if len({codebook.facet_of(c) for c in s.codes}) >= 3]
    assert len(multi) >= 200
    used = Counter(c for p in plans.values() for s in p.spans for c in s.codes)
    assert set(used) == set(codebook.code_ids)  # every code of the codebook is used


def test_a_misplaced_quote_is_an_error_naming_file_and_quote(tmp_path, codebook, corpus):
    path = tmp_path / "INT02.toml"
    path.write_text(
        'transcript = "INT02"\n[[span]]\nquote = "этой фразы нет в интервью"\ncodes = ["bonding"]\n', encoding="utf-8"
    )
    plan = dc.read_plan(path, codebook)
    with pytest.raises(
        dc.CodingPlanError, match=r"INT02\.toml span 1: the quote 'этой фразы нет в интервью' is not found"
    ):
        dc.coder_a_spans(plan, corpus["INT02"])
    path.write_text('transcript = "INT02"\n[[span]]\nquote = "[смеётся]"\ncodes = ["bonding"]\n', encoding="utf-8")
    with pytest.raises(dc.CodingPlanError, match=r"INT02\.toml span 1: the quote '\[смеётся\]' occurs \d+ times"):
        dc.coder_a_spans(dc.read_plan(path, codebook), corpus["INT02"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[span]]\nquote = "x"\ncodes = ["bonding", "weak_ties"]\n', r"span 1: unknown code\(s\) weak_ties"),
        ('[[span]]\nquote = "я и [NAME_3]"\ncodes = ["bonding"]\n', r"span 1: the quote .* placeholder"),
        ('[[span]]\nquote = ""\ncodes = ["bonding"]\n', r"span 1: 'quote' must be a non-empty string"),
        ('[[span]]\nquote = "x"\ncodes = []\n', r"span 1: 'codes' must be a non-empty list"),
        ('transcript = "INT01"\n', r"has no \[\[span\]\] entries"),
        ("[[span]\n", r"cannot read the coding plan"),
    ],
)
def test_malformed_plans_are_clear_errors(tmp_path, codebook, body, message):
    path = tmp_path / "INT01.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(dc.CodingPlanError, match=rf"INT01\.toml.*{message}"):
        dc.read_plan(path, codebook)


# ------------------------------------------------------------------ coder B
@pytest.fixture(scope="module")
def coders(corpus, plans):
    a = {t.id: dc.coder_a_spans(plans[t.id], t) for t in corpus}
    b = {t.id: dc.coder_b_spans(plans[t.id], t) for t in corpus}
    return a, b


def test_coder_b_is_deterministic_and_depends_on_the_seed(corpus, plans, coders):
    t = corpus["INT05"]
    assert dc.coder_b_spans(plans["INT05"], t) == coders[1]["INT05"]
    assert dc.coder_b_spans(plans["INT05"], t, seed=7) != coders[1]["INT05"]


def test_coder_b_disagrees_realistically(corpus, coders):
    a, b = coders
    n_a = sum(len(s.codes) for spans in a.values() for s in spans)
    kept = missed = changed = bridging = confused = 0
    for tid, spans in a.items():
        b_by_where = {s.where: s for s in b[tid]}
        for span in spans:
            other = b_by_where.get(span.where)
            other_codes = set(other.codes) if other else set()
            for code in span.codes:
                if code == "bridging":
                    bridging += 1
                    confused += "bridging" not in other_codes and "linking" in other_codes
                elif code in other_codes:
                    kept += 1
                else:
                    missed += 1
            if other is not None:
                changed += (other.start, other.end) != (span.start, span.end)
                seg = next(s for s in corpus[tid].segments if s.segment_id == span.segment_id)
                assert seg.start <= other.start < other.end <= seg.end  # B stays inside the turn
    assert 0.40 <= confused / bridging <= 0.65  # about half of bridging -> linking
    assert 0.06 <= missed / (kept + missed) <= 0.14  # about 10% missed
    assert 0.25 <= changed / sum(len(s) for s in a.values()) <= 0.50  # boundary differences
    a_keys = {(tid, s.start, s.end, c) for tid, spans in a.items() for s in spans for c in s.codes}
    b_over = [(tid, s, c) for tid, spans in b.items() for s in spans for c in s.codes]
    extra = sum(
        1
        for tid, s, c in b_over
        if c != "linking" and not any(k[0] == tid and k[3] == c and k[1] < s.end and s.start < k[2] for k in a_keys)
    )
    assert 0.03 <= extra / n_a <= 0.07  # about 5% extra codes


def test_b_boundaries_fall_on_word_boundaries(corpus, coders):
    _, b = coders
    for tid, spans in b.items():
        text = corpus[tid].text
        for s in spans:
            assert not text[s.start].isspace() and not text[s.end - 1].isspace()
            assert s.start == 0 or not text[s.start - 1].isalnum() or not text[s.start].isalnum()
            assert s.end == len(text) or not text[s.end].isalnum() or not text[s.end - 1].isalnum()


# ------------------------------------------------------------ LS results
def test_each_code_goes_to_its_facets_control(codebook):
    controls = dc.label_controls(codebook)
    assert set(controls) == set(codebook.code_ids)
    for code, (from_name, to_name) in controls.items():
        assert (from_name, to_name) == (codebook.facet_of(code), "text")


def test_results_group_codes_by_facet(codebook):
    span = dc.DemoSpan("T", "T:0001", 4, 9, ("bonding", "online", "local", "housing", "financial"), "x")
    results = dc.to_results([span], "abc ещё раз", dc.label_controls(codebook), prefix="a")
    assert [r["from_name"] for r in results] == ["capital_type", "form", "scope", "resources_barriers"]
    assert results[3]["value"] == {"start": 4, "end": 9, "text": "ещё р", "labels": ["housing", "financial"]}
    assert len({r["id"] for r in results}) == 4


# ---------------------------------------------------------- shipped export
def test_shipped_export_validates_against_corpus_and_codebook(shipped, corpus, codebook):
    assert shipped.format == "json" and shipped.issues.empty, shipped.issues
    assert shipped.counts["n_tasks"] == 20 and shipped.counts["n_annotations"] == 40
    assert shipped.counts["n_spans"] == shipped.counts["n_spans_valid"] > 2000  # 2,361 results (span x facet)
    codings = shipped.codings
    assert set(codings["coder"]) == {"coder_a", "coder_b"}
    assert set(codings["code"]) <= set(codebook.code_ids)
    for row in codings.itertuples():  # every span re-checked against the pseudonymised text
        assert corpus[row.transcript_id].text[row.start : row.end] == row.text
    per = shipped.annotations.groupby("transcript_id")["coder"].apply(set)
    assert len(per) == 20 and all(c == {"coder_a", "coder_b"} for c in per)


def test_shipped_export_is_plain_label_studio_json(corpus):
    tasks = json.loads(EXPORT.read_text(encoding="utf-8"))
    assert [t["id"] for t in tasks] == sorted(t["id"] for t in tasks)
    users = json.loads(dc.users_path(EXPORT).read_text(encoding="utf-8"))
    assert sorted(users.values()) == ["admin", "coder_a", "coder_b"]
    for task in tasks:
        assert task["data"]["text"] == corpus[task["data"]["transcript_id"]].text  # pseudonymised text
        assert not re.search(r"\+7 ?\d{3}|@[A-Za-z]\w{3,}", task["data"]["text"])
        by = {users[str(a["completed_by"])] for a in task["annotations"]}
        assert by == {"coder_a", "coder_b"}
        for ann in task["annotations"]:
            assert not ann["was_cancelled"] and ann["result"]
            for r in ann["result"]:
                assert r["type"] == "labels" and r["to_name"] == "text"
    raw = EXPORT.read_text(encoding="utf-8")
    assert not re.search(r'"(/[\w.-]+){2,}/?"', raw)  # no file paths of the machine it was made on
    assert not re.search(r"[\w.+-]+@(?!example\.org)[\w-]+\.\w+", raw)  # no real e-mail addresses


def test_shipped_export_is_what_the_plans_and_seed_produce(shipped, coders):
    a, b = coders
    got = {(r.coder, r.transcript_id, r.start, r.end, r.code) for r in shipped.codings.itertuples()}
    want = set()
    for tid in a:
        want |= _keys(a[tid], "coder_a") | _keys(b[tid], "coder_b")
    assert got == want


# ---------------------------------------------------------- live round trip
@pytest.mark.labelstudio
def test_round_trip_on_two_transcripts(labelstudio_server, codebook):
    emails = labelstudio_server.user_emails
    admin = labelstudio_server.client()
    ids = {email: uid for uid, email in admin.users().items()}
    users = {"coder_a": ids[emails[1]], "coder_b": ids[emails[2]]}
    coder_clients = {"coder_a": labelstudio_server.client(emails[1]), "coder_b": labelstudio_server.client(emails[2])}
    corpus = dc.demo_corpus(["INT03", "INT08"])  # INT08 comes from subtitles: turns hold line breaks
    plans = dc.read_plans(codebook, transcript_ids=["INT03", "INT08"])
    result = dc.round_trip(
        admin,
        corpus=corpus,
        codebook=codebook,
        plans=plans,
        users=users,
        coder_clients=coder_clients,
        project_title="Demo codings (test)",
    )
    export = result.export
    assert export.issues.empty and export.counts["n_tasks"] == 2
    got = {(r.coder, r.transcript_id, r.start, r.end, r.code) for r in export.codings.itertuples()}
    want = _keys(result.sent["coder_a"], "coder_a") | _keys(result.sent["coder_b"], "coder_b")
    assert got == want and len(want) > 200  # 242 (coder, span, code) keys for INT03 + INT08
    tasks = json.loads(result.raw)
    by_user = Counter(a["completed_by"] for t in tasks for a in t["annotations"])
    assert by_user == {users["coder_a"]: 2, users["coder_b"]: 2}
    # the same plans give the same spans as the shipped export (same pseudonymised text)
    shipped = json.loads(EXPORT.read_text(encoding="utf-8"))
    old = {
        t["data"]["transcript_id"]: sorted(
            (r["value"]["start"], r["value"]["end"], tuple(r["value"]["labels"]))
            for a in t["annotations"]
            for r in a["result"]
        )
        for t in shipped
    }
    new = {
        t["data"]["transcript_id"]: sorted(
            (r["value"]["start"], r["value"]["end"], tuple(r["value"]["labels"]))
            for a in t["annotations"]
            for r in a["result"]
        )
        for t in tasks
    }
    assert new == {k: old[k] for k in new}
    # a second push into the same project is refused instead of duplicating annotations
    with pytest.raises(Exception, match="fresh project"):
        dc.round_trip(
            admin, corpus=corpus, codebook=codebook, plans=plans, users=users, project_title="Demo codings (test)"
        )
    assert set(result.timings) == {"project_and_push", "annotate", "export_and_validate"}


def test_a_partial_run_never_overwrites_the_shipped_export(capsys):
    before = EXPORT.stat().st_mtime_ns
    assert dc.main(["--transcripts", "INT01"]) == 1
    assert "needs --out FILE" in capsys.readouterr().err
    assert EXPORT.stat().st_mtime_ns == before
