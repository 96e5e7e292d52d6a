"""One pseudonymous label per coder (issue 13): the study's ``coders.csv``.

A copy of the demo study whose Label Studio users are named by e-mail: the
codings stage writes ``coders.csv`` (source id -> ``coder_<n>``), every output
uses the labels, no e-mail reaches ``out/``, the researcher's edits are kept,
and two source ids given one label are one coder for agreement.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from qualquant import pipelines
from qualquant.pipelines.errors import PipelineError
from qualquant.pipelines.stages._run import run_study
from qualquant.pipelines.study import read_study

DEMO = Path(pipelines.__file__).parent / "demo_data"
STAGES = ["corpus", "codings", "agreement", "frequencies", "exports", "report"]
ANNA = "anna.petrova@example.org"
BORIS = "boris.k@example.org"


def _study(root: Path, *, emails: bool = True) -> Path:
    """A fast demo copy (no bootstrap, no topics); with ``emails`` its Label Studio users are named by e-mail
    and the demo's coders.csv is left out."""
    shutil.copytree(DEMO, root)
    toml = root / "study.toml"
    text = toml.read_text(encoding="utf-8").replace("n_boot = 500", "n_boot = 0")
    toml.write_text(text.replace("[topics]\nenabled = true", "[topics]\nenabled = false"), encoding="utf-8")
    if emails:
        (root / "coders.csv").unlink()
        users = root / "labelstudio" / "demo_export.users.json"
        names = json.loads(users.read_text(encoding="utf-8"))
        names.update({"2": ANNA, "3": BORIS})
        users.write_text(json.dumps(names), encoding="utf-8")
    return toml


def _run(toml: Path) -> dict[str, str]:
    result = run_study(read_study(toml), only=STAGES, show_progress=False)
    return {o.name: o.status for o in result.outcomes}


def _coders(root: Path) -> pd.DataFrame:
    return pd.read_csv(root / "coders.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("coders") / "study"
    toml = _study(root)
    _run(toml)
    return root


def test_labels_are_created_in_a_fixed_order(study):
    assert _coders(study).to_dict("records") == [
        {"source_id": ANNA, "label": "coder_1"},
        {"source_id": BORIS, "label": "coder_2"},
    ]
    codings = pd.read_csv(study / "out" / "codings.csv", dtype=str)
    assert set(codings["coder"]) == {"coder_1", "coder_2"}
    agreement = pd.read_csv(study / "out" / "agreement.csv", dtype=str)
    assert set(agreement["coders"]) == {"coder_1; coder_2"}


def test_no_email_address_reaches_any_output_file(study):
    files = [p for p in (study / "out").rglob("*") if p.is_file()]
    assert any(p.name == "report.html" for p in files)
    leaking = [p.name for p in files if b"example.org" in p.read_bytes()]
    assert leaking == []


def test_a_rerun_keeps_the_file_and_skips_the_codings_stage(study):
    before = (study / "coders.csv").read_bytes()
    assert _run(study / "study.toml")["codings"] == "skipped"
    assert (study / "coders.csv").read_bytes() == before


def test_a_new_coder_gets_the_next_label_and_the_others_keep_theirs(tmp_path):
    toml = _study(tmp_path / "study")
    root = toml.parent
    _run(toml)
    codings = pd.read_csv(root / "out" / "codings.csv", dtype=str)
    third = codings[(codings["coder"] == "coder_2") & (codings["transcript_id"] == "INT01")]
    third = third.assign(coder="0007")[["coder", "transcript_id", "code", "start", "end", "text"]]
    third.to_csv(root / "third.csv", index=False)
    with toml.open("a", encoding="utf-8") as fh:
        fh.write('\n[[coding.sources]]\nformat = "table"\npath = "third.csv"\n')
    assert _run(toml)["codings"] == "ran"
    assert _coders(root).to_dict("records") == [
        {"source_id": ANNA, "label": "coder_1"},
        {"source_id": BORIS, "label": "coder_2"},
        {"source_id": "0007", "label": "coder_3"},
    ]
    assert set(pd.read_csv(root / "out" / "codings.csv", dtype=str)["coder"]) == {"coder_1", "coder_2", "coder_3"}


def test_the_researchers_labels_are_kept_and_used_everywhere(tmp_path):
    toml = _study(tmp_path / "study")
    root = toml.parent
    _run(toml)
    (root / "coders.csv").write_text(f"source_id,label\n{ANNA},Anna_P\n{BORIS},coder_2\n", encoding="utf-8")
    assert _run(toml)["codings"] == "ran"  # the coder file is part of the codings stage's key
    assert (root / "coders.csv").read_text(encoding="utf-8") == f"source_id,label\n{ANNA},Anna_P\n{BORIS},coder_2\n"
    out = root / "out"
    assert set(pd.read_csv(out / "codings.csv", dtype=str)["coder"]) == {"Anna_P", "coder_2"}
    assert set(pd.read_csv(out / "agreement.csv", dtype=str)["coders"]) == {"Anna_P; coder_2"}
    dis = pd.read_csv(out / "disagreements.csv", dtype=str, keep_default_na=False)
    assert "Anna_P" in set(dis["coders_applied"]) | set(dis["coders_not_applied"])
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Anna_P" in report and "coder_1" not in report


def test_one_person_in_two_sources_is_one_coder(tmp_path):
    """Boris coded half the interviews in Label Studio and the rest in a spreadsheet as "Boris K."."""
    plain = _study(tmp_path / "plain", emails=False)
    _run(plain)
    expected = pd.read_csv(plain.parent / "out" / "agreement.csv")

    toml = _study(tmp_path / "study")
    root = toml.parent
    export = root / "labelstudio" / "demo_export.json"
    tasks = json.loads(export.read_text(encoding="utf-8"))
    late = {f"INT{n:02d}" for n in range(11, 21)}
    for task in tasks:
        if task["data"]["transcript_id"] in late:
            task["annotations"] = [a for a in task["annotations"] if a.get("completed_by") != 3]
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    codings = pd.read_csv(plain.parent / "out" / "codings.csv", dtype=str)
    rest = codings[(codings["coder"] == "coder_b") & codings["transcript_id"].isin(late)]
    rest.assign(coder="Boris K.")[["coder", "transcript_id", "code", "start", "end", "text"]].to_csv(
        root / "boris.csv", index=False
    )
    with toml.open("a", encoding="utf-8") as fh:
        fh.write('\n[[coding.sources]]\nformat = "table"\npath = "boris.csv"\n')
    (root / "coders.csv").write_text(
        f"source_id,label\n{ANNA},coder_a\n{BORIS},coder_b\nBoris K.,coder_b\n", encoding="utf-8"
    )
    _run(toml)
    assert len(_coders(root)) == 3  # nobody new
    got = pd.read_csv(root / "out" / "agreement.csv")
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("source_id,label\na,coder_1\na,coder_2\n", "coders.csv line 3: the source_id 'a' is listed twice"),
        ("source_id,label\na,\n", "coders.csv line 2: the label is empty"),
        ("source_id,label\na,coder_1,extra\n", "coders.csv line 2: expected two cells"),
        ("source_id,label\na,someone@example.org\n", "coders.csv line 2: the label 'someone@example.org' looks like"),
        ("id,name\na,b\n", "coders.csv line 1: the header must be 'source_id,label'"),
    ],
)
def test_a_bad_coder_file_is_one_clear_error(tmp_path, content, message):
    toml = _study(tmp_path / "study", emails=False)
    (toml.parent / "coders.csv").write_text(content, encoding="utf-8")
    with pytest.raises(PipelineError) as exc:
        run_study(read_study(toml), only=["corpus", "codings"], show_progress=False)
    assert message in str(exc.value)


def test_run_check_lists_a_bad_coder_file(tmp_path):
    from qualquant.pipelines.study import check_study

    toml = _study(tmp_path / "study", emails=False)
    (toml.parent / "coders.csv").write_text("source_id,label\na,x\na,y\n", encoding="utf-8")
    problems = [p.message for p in check_study(read_study(toml))]
    assert any("coders.csv line 3: the source_id 'a' is listed twice" in p for p in problems)


# ------------------------------------------------------------------ commands that only read the study


def _cli(*args: str):
    from typer.testing import CliRunner

    from qualquant.pipelines.cli import app

    return CliRunner().invoke(app, list(args))


def test_coding_agreement_with_study_shows_the_labels_and_leaves_the_coder_file_alone(tmp_path):
    toml = _study(tmp_path / "study", emails=False)
    coders = toml.parent / "coders.csv"
    coders.write_text("source_id,label\ncoder_a,Anna_P\ncoder_b,coder_b\n", encoding="utf-8")
    before = coders.read_bytes()
    out = tmp_path / "agreement.csv"
    result = _cli("coding", "agreement", "--study", str(toml), "--n-boot", "0", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Anna_P" in result.output and "coder_a" not in result.output
    assert "unlabelled" not in result.output
    assert set(pd.read_csv(out, dtype=str)["coders"]) == {"Anna_P; coder_b"}
    assert coders.read_bytes() == before
    assert not (toml.parent / "out").exists()


def test_a_coder_missing_from_the_coder_file_is_never_shown_by_name(tmp_path):
    toml = _study(tmp_path / "study")  # users named by e-mail
    root = toml.parent
    coders = root / "coders.csv"
    coders.write_text(f"source_id,label\n{ANNA},Anna_P\n", encoding="utf-8")
    before = coders.read_bytes()
    out, dis = tmp_path / "agreement.csv", tmp_path / "disagreements.csv"
    result = _cli(
        "coding", "agreement", "--study", str(toml), "--n-boot", "0", "--out", str(out), "--disagreements-out", str(dis)
    )
    assert result.exit_code == 0, result.output
    assert "example.org" not in result.output
    assert "Anna_P" in result.output and "unlabelled_1" in result.output
    warning = [line for line in result.output.splitlines() if "does not list 1 coder(s)" in line]
    assert len(warning) == 1 and "run `qualquant run` to add them" in warning[0]
    assert set(pd.read_csv(out, dtype=str)["coders"]) == {"Anna_P; unlabelled_1"}
    for path in (out, dis):
        assert b"example.org" not in path.read_bytes()
    for command in ("frequencies", "cooccurrence"):
        result = _cli("coding", command, "--study", str(toml), "--coder", "unlabelled_1")
        assert result.exit_code == 0, result.output
        assert "example.org" not in result.output and "qualquant run" in result.output
    qdpx = tmp_path / "study.qdpx"
    result = _cli("refi", "export", "--study", str(toml), "--out", str(qdpx))
    assert result.exit_code == 0, result.output
    import zipfile

    with zipfile.ZipFile(qdpx) as z:
        project = b"".join(z.read(n) for n in z.namelist())
    assert b"example.org" not in project and b"Anna_P" in project
    assert coders.read_bytes() == before
    assert not (root / "out").exists()


def test_without_a_coder_file_every_coder_gets_a_temporary_label_and_no_file_is_created(tmp_path):
    toml = _study(tmp_path / "study")
    result = _cli("coding", "agreement", "--study", str(toml), "--n-boot", "0")
    assert result.exit_code == 0, result.output
    assert "example.org" not in result.output
    assert "unlabelled_1" in result.output and "unlabelled_2" in result.output
    assert not (toml.parent / "coders.csv").exists()


def test_reading_labels_adds_temporary_labels_only_in_memory():
    from qualquant.pipelines.study._coders import reading_labels

    mapping, missing = reading_labels({"a@x.org": "unlabelled_1", "b": "coder_b"}, ["b", "coder_b", "z@x.org", "c"])
    assert missing == ["c", "z@x.org"]
    assert mapping == {"a@x.org": "unlabelled_1", "b": "coder_b", "c": "unlabelled_2", "z@x.org": "unlabelled_3"}
