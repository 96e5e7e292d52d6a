"""Codings from anywhere feed a run (issue 13): ``[[coding.sources]]`` with Label Studio, REFI-QDA and table sources.

The demo codings are exported to a REFI-QDA project, a span-level codings table
and a segment-level table; a run fed by each gives the same consensus, theme
frequencies and agreement as the run on the demo's Label Studio export.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from qualquant import pipelines
from qualquant.coding import read_codebook
from qualquant.coding.codings import read_codings_table
from qualquant.coding.refi import write_qdpx
from qualquant.pipelines.errors import StudyConfigError
from qualquant.pipelines.stages._run import run_study
from qualquant.pipelines.study import read_study

DEMO = Path(pipelines.__file__).parent / "demo_data"
STAGES = ["corpus", "codings", "agreement", "frequencies"]
CONSENSUS_COLUMNS = ["coder", "transcript_id", "segment_id", "code", "start", "end", "text"]
LS_SHORTHAND = 'export = "labelstudio/*.json"'


def _set_sources(toml: Path, original: str, sources: str, *, shorthand: bool = False) -> None:
    text = original if shorthand else original.replace(LS_SHORTHAND, 'export = ""')
    toml.write_text(text + "\n" + sources, encoding="utf-8")


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    cons = read_codings_table(out / "consensus_codings.csv")
    cons = cons[CONSENSUS_COLUMNS].sort_values(CONSENSUS_COLUMNS, ignore_index=True)
    return {
        "consensus": cons,
        "frequencies": pd.read_csv(out / "theme_frequencies.csv"),
        "agreement": pd.read_csv(out / "agreement.csv"),
        "issues": pd.read_csv(out / "coding_issues.csv", dtype=str, keep_default_na=False),
        "codings": read_codings_table(out / "codings.csv"),
    }


def _source(fmt: str, path: str, extra: str = "") -> str:
    return f'[[coding.sources]]\nformat = "{fmt}"\npath = "{path}"\n{extra}\n'


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One demo copy, run once per codings source (the corpus stage is reused from the cache)."""
    root = tmp_path_factory.mktemp("sources") / "study"
    shutil.copytree(DEMO, root)
    toml = root / "study.toml"
    original = toml.read_text(encoding="utf-8")
    out = root / "out"
    study = read_study(toml, out=out)
    results: dict[str, dict[str, pd.DataFrame]] = {}
    run_study(study, only=STAGES, show_progress=False)
    results["labelstudio"] = _tables(out)

    codings = results["labelstudio"]["codings"]
    human = codings[codings["source"] == "human"]
    corpus, _ = study.read_corpus()
    codebook = read_codebook(root / "codebook.toml")
    imports = root / "imports"
    imports.mkdir()
    write_qdpx(imports / "demo.qdpx", corpus=corpus, codebook=codebook, codings=human)
    human[["coder", "transcript_id", "code", "start", "end", "text"]].to_csv(imports / "spans.csv", index=False)
    segs = human[["coder", "segment_id", "code"]].drop_duplicates()
    segs.to_csv(imports / "segments.csv", index=False)

    for name, sources in (
        ("refi", _source("refi", "imports/demo.qdpx")),
        ("table", _source("table", "imports/spans.csv")),
        ("segments", _source("table", "imports/segments.csv")),
    ):
        _set_sources(toml, original, sources)
        run_study(read_study(toml, out=out), only=STAGES, show_progress=False)
        results[name] = _tables(out)

    # two sources: coder_b's annotations taken out of the export and given as a table instead
    tasks = json.loads((root / "labelstudio" / "demo_export.json").read_text(encoding="utf-8"))
    users = json.loads((root / "labelstudio" / "demo_export.users.json").read_text(encoding="utf-8"))
    b_id = int(next(k for k, v in users.items() if v == "coder_b"))
    for task in tasks:
        task["annotations"] = [a for a in task["annotations"] if a.get("completed_by") != b_id]
    split = root / "split"
    split.mkdir()
    (split / "coder_a.json").write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    shutil.copy(root / "labelstudio" / "demo_export.users.json", split / "coder_a.users.json")
    b = human[human["coder"] == "coder_b"]
    b[["coder", "transcript_id", "code", "start", "end", "text"]].to_csv(split / "coder_b.csv", index=False)
    _set_sources(toml, original, _source("labelstudio", "split/coder_a.json") + _source("table", "split/coder_b.csv"))
    run_study(read_study(toml, out=out), only=STAGES, show_progress=False)
    results["combined"] = _tables(out)

    # a table with one good row and one row for each reason a record is set aside
    good = human.iloc[0]
    seg = human.iloc[1]
    bad = pd.DataFrame(
        [
            dict(coder="coder_c", transcript_id=good.transcript_id, code=good.code, start=good.start, end=good.end),
            dict(coder="coder_c", transcript_id=good.transcript_id, code="no_such_code", start=0, end=5),
            dict(coder="coder_c", transcript_id="INT99", code=good.code, start=0, end=5),
            dict(coder="coder_c", transcript_id=good.transcript_id, code=good.code, start=10, end=10**7),
            dict(
                coder="coder_c",
                transcript_id=seg.transcript_id,
                code=seg.code,
                start=seg.start,
                end=seg.end,
                text="not the text",
            ),
        ]
    )
    bad.to_csv(imports / "bad.csv", index=False)
    _set_sources(toml, original, _source("table", "imports/bad.csv"), shorthand=True)
    run_study(read_study(toml, out=out), only=["corpus", "codings"], show_progress=False)
    results["bad"] = _tables(out)
    results["toml"] = toml  # type: ignore[assignment] - the study file, left with the last sources
    return results


@pytest.mark.parametrize("fmt", ["refi", "table", "combined"])
def test_each_source_gives_the_label_studio_tables(runs, fmt):
    base, got = runs["labelstudio"], runs[fmt]
    assert len(base["consensus"]) > 0
    pd.testing.assert_frame_equal(got["consensus"], base["consensus"])
    pd.testing.assert_frame_equal(got["frequencies"], base["frequencies"])
    pd.testing.assert_frame_equal(got["agreement"], base["agreement"])
    assert list(got["codings"].columns) == list(base["codings"].columns)


def test_segment_table_gives_the_same_segment_level_tables(runs):
    """A segment-level table codes whole turns: the same segments and codes, agreement, cases and segments per
    code as the span-level export (spans and coverage are those of whole turns)."""
    base, got = runs["labelstudio"], runs["segments"]

    def units(cons: pd.DataFrame) -> pd.DataFrame:
        return cons[["transcript_id", "segment_id", "code"]].drop_duplicates().reset_index(drop=True)

    pd.testing.assert_frame_equal(units(got["consensus"]), units(base["consensus"]))
    pd.testing.assert_frame_equal(got["agreement"], base["agreement"])
    cols = ["code", "facet", "n_cases", "n_cases_total", "pct_cases", "n_segments"]
    pd.testing.assert_frame_equal(got["frequencies"][cols], base["frequencies"][cols])
    assert list(got["codings"].columns) == list(base["codings"].columns)


def test_sources_read_back_without_issues(runs):
    for fmt in ("refi", "table", "segments"):
        aside = runs[fmt]["issues"]
        aside = aside[aside["action"] == "set_aside"] if len(aside) else aside
        assert aside.empty, aside.to_dict("records")


def test_bad_table_rows_are_set_aside_with_reason_and_source(runs):
    issues = runs["bad"]["issues"]
    mine = issues[issues["file"] == "imports/bad.csv"]
    assert sorted(mine["reason"]) == ["offset_out_of_range", "text_mismatch", "unknown_code", "unknown_transcript"]
    assert set(mine["action"]) == {"set_aside"}
    assert mine["detail"].str.contains("bad.csv row").all()
    codings = runs["bad"]["codings"]
    # the good row is kept, next to the Label Studio codings; the table's new coder "coder_c" is added to the
    # study's coders.csv with the next free label (the demo's file labels only coder_a and coder_b)
    coders = pd.read_csv(runs["toml"].parent / "coders.csv", dtype=str)
    assert coders.to_dict("records")[-1] == {"source_id": "coder_c", "label": "coder_1"}
    assert (codings["coder"] == "coder_1").sum() >= 1
    assert {"coder_a", "coder_b"} <= set(codings["coder"])


def _write(tmp_path: Path, extra: str) -> Path:
    toml = tmp_path / "study.toml"
    toml.write_text('[study]\ntitle = "t"\n\n' + extra, encoding="utf-8")
    return toml


def test_unknown_format_names_the_key_and_the_formats(tmp_path):
    with pytest.raises(StudyConfigError) as err:
        read_study(_write(tmp_path, _source("nvivo", "x.qdpx")))
    msg = str(err.value)
    assert "format" in msg and "nvivo" in msg
    assert "labelstudio, refi, table" in msg


@pytest.mark.parametrize("where", ["parent", "absolute"])
def test_path_outside_the_study_is_an_error(tmp_path, where):
    up = "..", "elsewhere", "codings.csv"
    path = "/".join(up) if where == "parent" else (tmp_path.parent / "codings.csv").as_posix()
    with pytest.raises(StudyConfigError, match="outside the study folder"):
        read_study(_write(tmp_path, _source("table", path)))


def test_a_source_that_matches_no_file_is_an_error(tmp_path):
    study = read_study(_write(tmp_path, _source("table", "missing.csv")))
    with pytest.raises(StudyConfigError, match="matches no file"):
        study.read_codings(None, None)


def test_stage_key_follows_every_source_file(tmp_path):
    from qualquant.pipelines.stages import STAGES as ALL

    (tmp_path / "a.csv").write_text("coder,segment_id,code\n", encoding="utf-8")
    study = read_study(_write(tmp_path, _source("table", "*.csv", 'codes = "map/codes.csv"')))
    stage = next(s for s in ALL if s.name == "codings")
    files = {p.name for p in stage.inputs(study)}
    assert {"a.csv", "codes.csv", "codebook.toml"} <= files


def test_coding_commands_read_the_study_sources(runs):
    """`qualquant coding frequencies --study` reads every [[coding.sources]] as `run` does (the last study of
    the fixture: the Label Studio export plus the table with bad rows), with the coders' labels from the study's
    coders.csv: the table's coder_c is coder_1 there."""
    from typer.testing import CliRunner

    from qualquant.pipelines.cli import app

    result = CliRunner().invoke(app, ["coding", "frequencies", "--study", str(runs["toml"]), "--coder", "coder_1"])
    assert result.exit_code == 0, result.output
    assert "4 record(s) of the study's codings sources were set aside" in " ".join(result.output.split())


def test_a_live_pull_reads_the_sources_but_not_the_export_shorthand(runs):
    study = read_study(runs["toml"])
    both = [(f.format, f.path.name) for f in study.coding_files()]
    assert both == [("labelstudio", "demo_export.json"), ("table", "bad.csv")]
    from qualquant.pipelines.study._sources import source_files

    assert [(f.format, f.path.name) for f in source_files(study, shorthand=False)] == [("table", "bad.csv")]


def test_check_lists_missing_sources_and_codings_that_would_be_set_aside(runs, tmp_path):
    from qualquant.pipelines.study import check_study

    study = read_study(runs["toml"])  # the export plus the table with four bad rows
    notes = [p.message for p in check_study(study) if not p.blocking]
    bad = [m for m in notes if m.startswith("imports/bad.csv:")]
    assert len(bad) == 4 and any("unknown code" in m for m in bad), notes
    broken = read_study(_write(tmp_path, _source("table", "nothing/*.csv", 'codes = "map.csv"')))
    blocking = [p.message for p in check_study(broken) if p.blocking]
    assert any("matches no file" in m for m in blocking)
    assert any("codes = 'map.csv': no such file" in m for m in blocking)


@pytest.fixture(scope="module")
def demo():
    study = read_study(DEMO / "study.toml")
    corpus, _ = study.read_corpus()
    return corpus, read_codebook(DEMO / "codebook.toml")


def test_xlsx_table_reads_as_the_csv(demo, tmp_path):
    from qualquant.coding.sources import read_table_codings

    corpus, codebook = demo
    t = corpus.transcripts[0]
    seg = t.segments[1]
    rows = pd.DataFrame([dict(coder="c1", transcript_id=t.id, code=codebook.code_ids[0], start=seg.start, end=seg.end)])
    rows.to_csv(tmp_path / "c.csv", index=False)
    rows.to_excel(tmp_path / "c.xlsx", index=False)
    a = read_table_codings(tmp_path / "c.csv", corpus=corpus, codebook=codebook)
    b = read_table_codings(tmp_path / "c.xlsx", corpus=corpus, codebook=codebook)
    assert len(a.codings) == 1 and a.issues.empty
    pd.testing.assert_frame_equal(a.codings.drop(columns="result_id"), b.codings.drop(columns="result_id"))
    assert a.codings.loc[0, "text"] == t.text[seg.start : seg.end]


def test_codes_match_by_name_or_mapping_and_sources_by_mapping(demo):
    from qualquant.coding.sources import check_codings, map_codes

    corpus, codebook = demo
    t = corpus.transcripts[0]
    seg = t.segments[1]
    first, second = codebook.codes[0], codebook.codes[1]
    raw = pd.DataFrame(
        [
            dict(coder="n", transcript_id="Interview one", code="by_name", start=seg.start, end=seg.end),
            dict(coder="n", transcript_id="Interview one", code="by_map", start=seg.start, end=seg.end),
            dict(coder="n", transcript_id="Interview one", code="unmapped", start=seg.start, end=seg.end),
        ]
    )
    project_names = {"by_name": next(iter(first.names.values())), "by_map": "Something else", "unmapped": "Nope"}
    mapped = map_codes(raw, project_names, codebook, {"Something else": second.id})
    got = check_codings(mapped, corpus=corpus, codebook=codebook, transcripts={"Interview one": t.id}, where="p.qdpx")
    assert sorted(got.codings["code"]) == sorted([first.id, second.id])
    assert list(got.issues["reason"]) == ["unknown_code"] and "'Nope'" in got.issues.loc[0, "detail"]
