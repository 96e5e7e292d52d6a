"""The full demo: every required output exists and is non-trivial, and two runs give identical CSVs.

This test needs every building block (corpus, coding with the shipped Label
Studio export, agreement, matrices, topics, quant); a missing piece makes it
fail, never skip.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from qualquant.pipelines.cli.study import run_demo
from qualquant.pipelines.study import CONVERGENCE_LABELS

REQUIRED = (
    "report.html",
    "segments.csv",
    "codings.csv",
    "agreement.csv",
    "theme_frequencies.csv",
    "topics.csv",
    "joint_display.csv",
    "tables.xlsx",
    "corpus_summary.md",
    "coding_issues.csv",
    "theme_frequencies_by_legal_status.csv",
    "topic_code_alignment.csv",
    "topic_effects.csv",
    "survey_table1.csv",
    "survey_table2.csv",
    "survey_table3.csv",
    "quant_check.csv",
    "linked_cases.csv",
    "quantitized_codes.sav",
    "quantitized_codes.csv",
    "representativeness.csv",
    "private/pseudonym_key.csv",
)


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    a = tmp_path_factory.mktemp("demo_a")
    b = tmp_path_factory.mktemp("demo_b")
    result_a = run_demo(a, show_progress=False)
    result_b = run_demo(b, show_progress=False)
    return a, b, result_a, result_b


def test_every_stage_ran(demo_runs):
    _, _, result, _ = demo_runs
    status = {o.name: o.status for o in result.outcomes}
    assert all(s == "ran" for s in status.values()), status
    assert not any("no codings export shipped" in w for _, w in result.warnings)


def test_required_outputs_exist_and_are_non_trivial(demo_runs):
    out, _, _, _ = demo_runs
    for name in REQUIRED:
        p = out / name
        assert p.is_file(), name
        if name != "coding_issues.csv":  # header only when the export has no issue
            assert p.stat().st_size > 100, name
    for name in ("codings.csv", "agreement.csv", "theme_frequencies.csv", "topics.csv", "joint_display.csv"):
        assert len(pd.read_csv(out / name, encoding="utf-8-sig")) >= 3, name
    codings = pd.read_csv(out / "codings.csv", encoding="utf-8-sig")
    assert codings["coder"].nunique() >= 2 and codings["transcript_id"].nunique() == 20
    xlsx = pd.read_excel(out / "tables.xlsx", sheet_name=None)
    assert {"joint_display", "theme_frequencies", "agreement", "survey_table1"} <= set(xlsx)


def test_joint_display_has_valid_convergence_labels(demo_runs):
    out, _, _, _ = demo_runs
    jd = pd.read_csv(out / "joint_display.csv", encoding="utf-8-sig", keep_default_na=False)
    assert "convergence" in jd.columns
    assert set(jd["convergence"]) <= set(CONVERGENCE_LABELS)
    d = jd.set_index("construct")
    assert d.loc["transnational_support", "convergence"] == "silence"  # the survey has no item for it
    assert d.loc["local_ties", "n_cases"] >= 2 and d.loc["local_ties", "quotes"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="joint-display-table"' in html and "<script" not in html.lower()


def test_two_runs_give_identical_csvs(demo_runs):
    a, b, _, _ = demo_runs
    names = sorted(p.relative_to(a).as_posix() for p in a.rglob("*.csv") if ".cache" not in p.parts)
    assert names == sorted(p.relative_to(b).as_posix() for p in b.rglob("*.csv") if ".cache" not in p.parts)
    different = [n for n in names if (a / n).read_bytes() != (b / n).read_bytes()]
    assert not different, different
    assert (a / "tables.xlsx").read_bytes() == (b / "tables.xlsx").read_bytes()
    assert (a / "report.html").read_text(encoding="utf-8") == (b / "report.html").read_text(encoding="utf-8")


def test_linked_case_outputs(demo_runs):
    out, _, result, _ = demo_runs
    tests = pd.read_csv(out / "linked_tests.csv", encoding="utf-8-sig")
    tested = tests["p_value"].notna()
    assert tested.any() and tests.loc[tested, "p_adjusted"].notna().all()
    assert (tests.loc[tested, "p_adjusted"] >= tests.loc[tested, "p_value"] - 1e-12).all()
    mw = tests[tests["test"] == "mann_whitney_u"]
    assert set(mw["method"]) <= {"exact", "asymptotic"}
    aside = pd.read_csv(out / "linked_cases_set_aside.csv", encoding="utf-8-sig")
    assert list(aside.columns) == ["case_id", "reason"]
    # every demo interviewee is in cases.csv (the linked questionnaire): nobody is set aside for that
    assert not aside["reason"].str.contains("not in the linked questionnaire").any()
    assert not any(w.startswith("linked cases:") for _, w in result.warnings)


def test_codings_on_interviewer_turns_are_reported(tmp_path):
    import json
    import shutil

    from qualquant import pipelines
    from qualquant.pipelines.stages._run import run_study
    from qualquant.pipelines.study import read_study

    root = tmp_path / "demo"
    shutil.copytree(Path(pipelines.__file__).parent / "demo_data", root)
    study = read_study(root / "study.toml", out=tmp_path / "out")
    corp, _ = study.read_corpus()
    export = root / "labelstudio" / "demo_export.json"
    tasks = json.loads(export.read_text(encoding="utf-8"))
    task = next(t for t in tasks if t["data"].get("unit", "transcript") == "transcript" and t["annotations"])
    transcript = corp[task["data"]["transcript_id"]]
    turn = next(s for s in transcript.segments if s.role == "interviewer")
    span = next(r for r in task["annotations"][0]["result"] if r.get("type") == "labels")
    span["value"].update(start=turn.start, end=turn.end, text=transcript.text[turn.start : turn.end])
    n_labels = len(span["value"]["labels"])
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")

    result = run_study(study, only=["corpus", "codings", "exports"], show_progress=False)
    issues = pd.read_csv(tmp_path / "out" / "coding_issues.csv", encoding="utf-8-sig")
    reason = "coded segment is not a participant turn: not used for matrices"
    excluded = issues[issues["reason"] == reason]
    assert len(excluded) == n_labels
    assert set(excluded["result_id"]) == {span["id"]} and set(excluded["action"]) == {"not_used"}
    assert turn.segment_id in excluded["detail"].iloc[0]
    expected = f"{n_labels} coding(s) on segments that are not participant turns are not used for matrices"
    assert any(w.startswith(expected) for _, w in result.warnings)
    warnings = pd.read_csv(tmp_path / "out" / "warnings.csv", encoding="utf-8-sig")
    assert warnings["warning"].str.startswith(expected).any()  # counted in the report's warnings


@pytest.mark.labelstudio
def test_demo_pulls_codings_from_a_live_label_studio(labelstudio_server, tmp_path, monkeypatch):
    """`qualquant demo --labelstudio URL --project ID --token-env VAR` against a real server.

    Two demo transcripts are pushed and annotated by two real coders (the demo codings'
    own round trip); the demo then pulls the project instead of reading the shipped export.
    """
    import json
    import re
    import stat

    from typer.testing import CliRunner

    from qualquant.coding import read_codebook
    from qualquant.coding.agreement import agreement_table
    from qualquant.pipelines.cli import app
    from qualquant.pipelines.demo import codings as dc
    from qualquant.pipelines.study import read_study

    ids = ["INT01", "INT02"]
    client = labelstudio_server.client()
    codebook = read_codebook(dc.DEMO / "codebook.toml")
    corpus = dc.demo_corpus(ids)
    emails = {"coder_a": "coder.a@example.com", "coder_b": "coder.b@example.com"}
    user_ids = {email: uid for uid, email in client.users().items()}
    sent = dc.round_trip(
        client,
        corpus=corpus,
        codebook=codebook,
        plans=dc.read_plans(codebook, transcript_ids=ids),
        users={c: user_ids[e] for c, e in emails.items()},
        coder_clients={c: labelstudio_server.client(e) for c, e in emails.items()},
        project_title="qualquant demo (live test)",
    )

    token = labelstudio_server.admin.token
    out = tmp_path / "demo"
    args = [
        "demo",
        "--out",
        str(out),
        "--quiet",
        "--labelstudio",
        labelstudio_server.url,
        "--project",
        str(sent.project_id),
        "--token-env",
        "QQ_DEMO_TOKEN",
    ]
    runner = CliRunner()
    monkeypatch.delenv("QQ_DEMO_TOKEN", raising=False)
    missing = runner.invoke(app, args)
    assert missing.exit_code == 1
    assert "Error:" in missing.output and "QQ_DEMO_TOKEN" in missing.output and "Traceback" not in missing.output
    monkeypatch.setenv("QQ_DEMO_TOKEN", token)
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert token not in result.output

    # codings.csv: both coders' codings of the two transcripts, exactly what they sent, under the labels
    # the run gave the two e-mail addresses (kept in out/private/coders.csv, never in the bundled demo)
    labels = {"coder.a@example.com": "coder_1", "coder.b@example.com": "coder_2"}
    coders = pd.read_csv(out / "private" / "coders.csv", dtype=str)
    assert dict(zip(coders["source_id"], coders["label"])) == {"coder_a": "coder_a", "coder_b": "coder_b", **labels}
    assert (dc.DEMO / "coders.csv").read_text(encoding="utf-8") == "source_id,label\ncoder_a,coder_a\ncoder_b,coder_b\n"
    codings = pd.read_csv(out / "codings.csv", encoding="utf-8-sig")
    assert set(codings["coder"]) == set(labels.values()) and set(codings["transcript_id"]) == set(ids)
    assert set(codings["source"]) == {"human"}
    expected = sent.export.codings.assign(coder=sent.export.codings["coder"].map(emails).map(labels))
    key = ["coder", "transcript_id", "code", "start", "end"]
    assert sorted(codings[key].itertuples(index=False, name=None)) == sorted(
        expected[key].itertuples(index=False, name=None)
    )
    # the raw export was snapshotted under the output folder, read-only, as the server sent it
    snapshots = sorted((out / "snapshots").iterdir())
    assert len(snapshots) == 1
    snap = snapshots[0]
    assert re.fullmatch(rf"project{sent.project_id}_\d{{8}}T\d{{12}}Z_[0-9a-f]{{12}}\.json", snap.name)
    assert not (snap.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    assert sorted(t["id"] for t in json.loads(snap.read_bytes())) == sorted(t["id"] for t in json.loads(sent.raw))
    # the agreement table was computed from the live codings
    agreement = pd.read_csv(out / "agreement.csv", encoding="utf-8-sig").set_index("code")
    assert set(agreement["coders"]) == {"coder_1; coder_2"}
    study = read_study(dc.DEMO / "study.toml")
    direct = agreement_table(
        expected, corpus, codebook=codebook, roles=tuple(study.config.corpus.roles), n_boot=0
    ).set_index("code")
    assert agreement.loc["overall", "krippendorff_alpha"] == pytest.approx(direct.loc["overall", "krippendorff_alpha"])
    assert 0 < agreement.loc["overall", "krippendorff_alpha"] < 1
    # the token is in no file the run wrote
    for path in out.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_demo_project_options_need_a_server(tmp_path):
    from typer.testing import CliRunner

    from qualquant.pipelines.cli import app

    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "x"), "--project", "7"])
    assert result.exit_code == 1
    assert (
        "Error: --project and --token-env choose the live Label Studio project; give its server with "
        "--labelstudio URL too." in " ".join(result.output.split())
    )
