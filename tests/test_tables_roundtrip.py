"""Codings written by `run` and read back from CSV/XLSX give the same consensus and downstream tables.

Before the codings table was read with a schema, ``ground_truth`` came back
from ``codings.csv`` as the text ``"False"``, which is true in Python, so every
consensus rule treated every task as decided by ground truth and gave the
union: on the demo study, "bridging" was in 18 cases / 81 segments under the
majority rule instead of 16 / 40. Here the demo study's codings are computed in
memory, written by the run (``codings.csv``) and as XLSX by the same writer
(:func:`qualquant.io.write_table`), read back through the reader of the
``qualquant coding ...`` commands, and every consensus rule and every table
built on it (theme frequencies, co-occurrence, case x code matrix, joint
display) is compared.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from qualquant import pipelines
from qualquant.coding import CONSENSUS_RULES, consensus, read_codebook, read_export
from qualquant.coding.cooccurrence import cooccurrence
from qualquant.coding.labelstudio._export import read_users
from qualquant.coding.matrices import theme_frequencies
from qualquant.io import write_table
from qualquant.pipelines import integrate
from qualquant.pipelines.cli import app
from qualquant.pipelines.cli._inputs import read_codings
from qualquant.pipelines.stages._run import run_study
from qualquant.pipelines.study import read_study
from qualquant.quant.survey import read_survey

DEMO = Path(pipelines.__file__).parent / "demo_data"
SOURCES = ("csv", "xlsx")
runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo study's corpus and codings stages run into a temporary folder, plus what the tables need."""
    root = tmp_path_factory.mktemp("roundtrip")
    shutil.copytree(DEMO, root / "demo")
    study = read_study(root / "demo" / "study.toml", out=root / "out")
    result = run_study(study, only=["corpus", "codings"], show_progress=False)
    assert {o.name: o.status for o in result.outcomes}["codings"] == "ran"
    corp, _ = study.read_corpus()
    codebook = read_codebook(study.resolve(study.config.codebook.path))
    frames = []
    for path in study.export_paths():  # the codings in memory, read as the codings stage reads them
        users_file = study.users_path(path)
        users = read_users(users_file) if users_file.exists() else None
        frames.append(read_export(path, codebook=codebook, corpus=corp, users=users).codings)
    memory = pd.concat(frames, ignore_index=True)
    xlsx = root / "codings.xlsx"
    write_table(memory, xlsx)
    tables = {"memory": memory}
    for source, path in (("csv", study.out / "codings.csv"), ("xlsx", xlsx)):
        tables[source] = read_codings(path, corp, codebook).codings
    return dict(
        study=study,
        corpus=corp,
        codebook=codebook,
        tables=tables,
        root=root,
        survey=read_survey(study.resolve(study.config.survey.path)),
    )


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    key = ["transcript_id", "segment_id", "start", "end", "code", "coder", "result_id"]
    return frame.sort_values(key, kind="mergesort").reset_index(drop=True)


def _downstream(demo: dict, codings: pd.DataFrame, rule: str) -> dict[str, pd.DataFrame]:
    """Consensus by ``rule`` and the tables built on it, with the arguments of the pipeline's stages."""
    study, corp, codebook = demo["study"], demo["corpus"], demo["codebook"]
    cfg = study.config
    roles = tuple(cfg.corpus.roles)
    human = codings[codings["source"] == "human"]
    cons = consensus(human, rule=rule)
    out = {
        "consensus": cons,
        "theme_frequencies": theme_frequencies(cons, corp, codebook, roles=roles),
        "cooccurrence": cooccurrence(cons, corp, codebook=codebook, roles=roles),
    }
    for attr in cfg.coding.group_by:
        out[f"theme_frequencies_by_{attr}"] = theme_frequencies(cons, corp, codebook, by=attr, roles=roles)
    segments = corp.segments_frame()
    cases = corp.cases.reset_index()
    case_ids = [str(c) for c in cases["case_id"]]
    transcripts = corp.transcripts_frame()
    case_of = {
        str(t): str(c) for t, c in zip(transcripts["transcript_id"], transcripts["case_id"]) if c is not None and c == c
    }
    codes = list(codebook.code_ids)
    out["case_code_matrix"] = integrate.case_code_table(
        cons, segments, case_ids, codes, case_of=case_of, roles=roles
    ).reset_index()
    display, evidence = integrate.joint_display(
        cfg.constructs,
        codings=cons,
        case_ids=case_ids,
        survey=demo["survey"],
        default_outcome=cfg.survey.outcome,
        alpha=cfg.study.alpha,
        min_cases=cfg.integration.min_cases,
        min_share=cfg.integration.min_share,
        n_quotes=cfg.integration.quotes,
        quote_chars=cfg.integration.quote_chars,
        segment_roles=dict(zip(segments["segment_id"], segments["role"])),
        human_codings=human,
        weights=cfg.survey.weights or None,
        case_of=case_of,
    )
    out["joint_display"], out["joint_evidence"] = display, evidence
    return out


@pytest.fixture(scope="module")
def downstream(demo):
    return {
        (source, rule): _downstream(demo, demo["tables"][source], rule)
        for source in ("memory",) + SOURCES
        for rule in CONSENSUS_RULES
    }


@pytest.mark.parametrize("source", SOURCES)
def test_codings_read_back_equal_the_codings_in_memory(demo, source):
    memory, back = demo["tables"]["memory"], demo["tables"][source]
    assert list(back.columns) == list(memory.columns)
    assert back["ground_truth"].dtype == bool and not back["ground_truth"].any()
    assert back["start"].dtype == "int64" and back["task_id"].dtype == "Int64"
    pd.testing.assert_frame_equal(_sorted(back), _sorted(memory))


@pytest.mark.parametrize("rule", CONSENSUS_RULES)
@pytest.mark.parametrize("source", SOURCES)
def test_consensus_and_downstream_tables_are_the_same_from_the_file(downstream, source, rule):
    mine, reference = downstream[(source, rule)], downstream[("memory", rule)]
    assert set(mine) == set(reference)
    for name in reference:
        pd.testing.assert_frame_equal(mine[name], reference[name], obj=f"{name} ({rule}, from {source})")


def test_bridging_under_the_consensus_rules(downstream):
    # The demo's two coders (see pipelines/demo_data/README.md): "bridging" in 16 cases / 40 segments when
    # both coders applied it (majority of two = intersection) and in 18 / 81 when either did (union).
    # Read from codings.csv without a schema, every rule gave 18 / 81.
    expected = {"majority": (16, 40), "intersection": (16, 40), "union": (18, 81)}
    for source in ("memory",) + SOURCES:
        for rule, counts in expected.items():
            cons = downstream[(source, rule)]["consensus"]
            bridging = cons[cons["code"] == "bridging"]
            assert (bridging["transcript_id"].nunique(), bridging["segment_id"].nunique()) == counts, (source, rule)


def test_frequencies_command_on_the_written_csv_equals_memory(demo, downstream, tmp_path):
    out = tmp_path / "freq.csv"
    result = runner.invoke(
        app,
        [
            "coding",
            "frequencies",
            str(demo["study"].out / "codings.csv"),
            "--study",
            str(demo["root"] / "demo" / "study.toml"),
            "--coder",
            "consensus",
            "--rule",
            "majority",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, encoding="utf-8-sig")
    reference = downstream[("memory", "majority")]["theme_frequencies"]
    assert written["code"].tolist() == reference["code"].tolist()
    assert written["n_segments"].tolist() == reference["n_segments"].tolist()
    assert written["n_cases"].tolist() == reference["n_cases"].tolist()


def test_a_bad_ground_truth_cell_is_one_error_line_naming_file_row_and_column(demo, tmp_path):
    codings = demo["tables"]["memory"].astype({"ground_truth": object})
    codings.loc[6, "ground_truth"] = "maybe"
    path = tmp_path / "codings.csv"
    write_table(codings, path)
    result = runner.invoke(
        app,
        [
            "coding",
            "frequencies",
            str(path),
            "--study",
            str(demo["root"] / "demo" / "study.toml"),
            "--coder",
            "consensus",
        ],
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: {path}: row 8, column 'ground_truth' (N): 'maybe' is not True or False; write True or False "
        "(or 1/0), or write the table again with qualquant."
    )
