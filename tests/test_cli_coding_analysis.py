"""Tests of `qualquant coding agreement|frequencies|cooccurrence` (pipelines.cli_coding_analysis)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from qualquant import pipelines
from qualquant.coding import CodedSpan, codings_frame, read_codebook
from qualquant.coding.agreement import agreement_table
from qualquant.corpus import read_corpus
from qualquant.io import write_table
from qualquant.pipelines.cli._common import make_app
from qualquant.pipelines.cli.coding_analysis import register

DEMO = Path(pipelines.__file__).parent / "demo_data"
TRANSCRIPTS = DEMO / "transcripts"
runner = CliRunner()


@pytest.fixture(scope="module")
def app():
    coding_app = make_app("Codings.")
    register(coding_app)
    return coding_app


@pytest.fixture(scope="module")
def demo():
    return read_corpus(TRANSCRIPTS, cases=DEMO / "cases.csv"), read_codebook(DEMO / "codebook.toml")


def _spans(corpus, ids):
    """Two coders on the first participant turns of some transcripts, with a few disagreements."""
    rows, n = [], 0
    for tid in ids:
        t = corpus[tid]
        for k, seg in enumerate(t.segments_by_role("participant")[:6]):
            for coder, ann in (("coder_a", 1), ("coder_b", 2)):
                code = "bonding" if k % 2 == 0 else "plans_stay"
                if coder == "coder_b" and k == 3:
                    code = "linking"
                if coder == "coder_b" and k == 5:
                    continue
                n += 1
                end = seg.start + min(40, seg.end - seg.start)
                rows.append(
                    CodedSpan(
                        coder,
                        "human",
                        tid,
                        seg.segment_id,
                        code,
                        seg.start,
                        end,
                        t.text[seg.start : end],
                        1,
                        ann,
                        f"r{n}",
                    )
                )
    return rows


def corpus_args(corpus, ids):
    args = []
    for tid in ids:
        args += ["--corpus", corpus[tid].source_path]
    return args + ["--cases", str(DEMO / "cases.csv"), "--codebook", str(DEMO / "codebook.toml")]


def test_every_command_has_help(app):
    for name in ("agreement", "frequencies", "cooccurrence"):
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert "Label Studio export" in result.output and "--corpus" in result.output


def test_agreement_from_codings_table(app, demo, tmp_path):
    corpus, codebook = demo
    ids = list(corpus.ids[:3])
    codings = codings_frame(_spans(corpus, ids))
    table_path = tmp_path / "codings.csv"
    write_table(codings, table_path)
    out = tmp_path / "agreement.csv"
    dis = tmp_path / "dis.xlsx"
    spans_out = tmp_path / "span.md"
    result = runner.invoke(
        app,
        [
            "agreement",
            str(table_path),
            *corpus_args(corpus, ids),
            "--n-boot",
            "100",
            "--out",
            str(out),
            "--disagreements-out",
            str(dis),
            "--span-out",
            str(spans_out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "alpha" in result.output and "overall" in result.output
    written = pd.read_csv(out, encoding="utf-8-sig")
    sub = read_corpus([corpus[t].source_path for t in ids], cases=DEMO / "cases.csv")
    direct = agreement_table(codings, sub, codebook=codebook, n_boot=100)
    assert list(written["code"]) == list(direct["code"])
    assert written["krippendorff_alpha"].to_numpy() == pytest.approx(
        direct["krippendorff_alpha"].to_numpy(), nan_ok=True
    )
    assert written["ci_low"].to_numpy() == pytest.approx(direct["ci_low"].to_numpy(), nan_ok=True)
    assert list(written["n_boot_valid"]) == list(direct["n_boot_valid"])
    assert (direct["note"] != "").any()  # 3 transcripts: rare codes lose resamples
    for code, note in zip(direct["code"], direct["note"]):  # set-aside resamples are said on screen
        if note:
            assert f"Note ({code}): " in result.output
    assert len(pd.read_excel(dis)) == 2 * len(ids) + len(ids)  # k=3 swapped (2 codes) and k=5 missing
    assert spans_out.read_text(encoding="utf-8").startswith("|")


def test_frequencies_and_cooccurrence_from_export(app, demo, tmp_path):
    corpus, _ = demo
    ids = list(corpus.ids[:2])
    tasks = []
    for i, tid in enumerate(ids):
        t = corpus[tid]
        annotations = []
        for ann_id, user in ((10 * i + 1, 1), (10 * i + 2, 2)):
            results = []
            for k, seg in enumerate(t.segments_by_role("participant")[:4]):
                end = seg.start + min(30, seg.end - seg.start)
                value = {
                    "start": seg.start,
                    "end": end,
                    "text": t.text[seg.start : end],
                    "labels": ["bonding" if k % 2 == 0 else "housing"],
                }
                results.append(
                    {
                        "id": f"{ann_id}-{k}",
                        "from_name": "capital_type" if k % 2 == 0 else "resources_barriers",
                        "to_name": "text",
                        "type": "labels",
                        "value": value,
                    }
                )
                if k == 0:
                    results.append(
                        {
                            "id": f"{ann_id}-{k}-b",
                            "from_name": "form",
                            "to_name": "text",
                            "type": "labels",
                            "value": {**value, "labels": ["offline"]},
                        }
                    )
            annotations.append(
                {
                    "id": ann_id,
                    "completed_by": user,
                    "result": results,
                    "was_cancelled": False,
                    "ground_truth": False,
                    "created_at": "2025-01-01T00:00:00Z",
                    "updated_at": "2025-01-01T00:00:00Z",
                }
            )
        tasks.append(
            {
                "id": 100 + i,
                "data": {"text": t.text, "transcript_id": tid, "unit": "transcript"},
                "annotations": annotations,
                "predictions": [],
                "drafts": [],
            }
        )
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    args = corpus_args(corpus, ids)
    several = runner.invoke(app, ["frequencies", str(export), *args])
    assert several.exit_code == 1
    assert several.output.strip().startswith("Error: The codings table holds 2 coders")
    out = tmp_path / "freq.csv"
    matrix = tmp_path / "matrix.csv"
    result = runner.invoke(
        app,
        [
            "frequencies",
            str(export),
            *args,
            "--coder",
            "consensus",
            "--by",
            "legal_status",
            "--out",
            str(out),
            "--matrix-out",
            str(matrix),
            "--value",
            "count",
        ],
    )
    assert result.exit_code == 0, result.output
    freq = pd.read_csv(out, encoding="utf-8-sig")
    assert list(freq.columns)[:2] == ["legal_status", "code"]
    totals = freq.groupby("code")["n_cases"].sum()
    assert totals["bonding"] == 2 and totals["housing"] == 2 and totals["linking"] == 0
    mat = pd.read_csv(matrix, encoding="utf-8-sig").set_index("case_id")
    assert mat.loc[ids[0], "bonding"] == 2
    co_out = tmp_path / "co.parquet"
    result = runner.invoke(app, ["cooccurrence", str(export), *args, "--coder", "consensus", "--out", str(co_out)])
    assert result.exit_code == 0, result.output
    co = pd.read_parquet(co_out).set_index(["code_a", "code_b"])
    # offline was applied with bonding on the first participant turn of each transcript (2 of 4 bonding turns)
    pair = co.loc[("bonding", "offline")]
    assert (pair["n_both"], pair["n_a"], pair["n_b"], pair["n_overlapping_spans"]) == (2, 4, 2, 2)
    assert pair["jaccard"] == 0.5


def test_errors_are_one_line(app, tmp_path):
    missing = runner.invoke(app, ["agreement", str(tmp_path / "nope.csv"), "--corpus", str(TRANSCRIPTS)])
    assert missing.exit_code == 1
    assert (
        missing.output.strip()
        == f"Error: {tmp_path / 'nope.csv'}: no such file. Give a Label Studio export or a codings table."
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("coder,segment_id,code,start,end,transcript_id\nA,INT01:0001,bonding,x,5,INT01\n", encoding="utf-8")
    result = runner.invoke(app, ["frequencies", str(bad), "--corpus", str(TRANSCRIPTS)])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {bad}: row 2, column 'start' (D): 'x' is not a whole number; write a "
        "whole number such as 12, or write the table again with qualquant."
    )
    no_corpus = runner.invoke(app, ["cooccurrence", str(bad)])
    assert no_corpus.output.strip().startswith("Error: Give the transcripts the codings refer to with --corpus")


# --------------------------------------------------------------- study and the shipped demo export


def _direct_demo_agreement():
    """Agreement computed directly from the library on the study's pseudonymised corpus."""
    from qualquant.coding.labelstudio import read_export
    from qualquant.coding.labelstudio._export import read_users
    from qualquant.pipelines.study import read_study

    study = read_study(DEMO / "study.toml")
    corpus, _ = study.read_corpus()
    export = study.export_paths()[0]
    result = read_export(
        export,
        codebook=read_codebook(DEMO / "codebook.toml"),
        corpus=corpus,
        users=read_users(study.users_path(export)),
    )
    return agreement_table(result.codings, corpus, annotations=result.annotations, n_boot=50, seed=0)


def test_agreement_from_a_study_file_matches_the_library(app, tmp_path):
    out = tmp_path / "agreement.csv"
    result = runner.invoke(app, ["agreement", "--study", str(DEMO / "study.toml"), "--n-boot", "50", "--out", str(out)])
    assert result.exit_code == 0, result.output
    # the shipped export names its coders through demo_export.users.json next to it
    assert "coder_a" in result.output and "coder_b" in result.output
    written = pd.read_csv(out, encoding="utf-8-sig").set_index("code")
    direct = _direct_demo_agreement().set_index("code")
    assert written.loc["overall", "cohen_kappa"] == pytest.approx(direct.loc["overall", "cohen_kappa"], abs=1e-12)
    assert written.loc["bridging", "krippendorff_alpha"] == pytest.approx(
        direct.loc["bridging", "krippendorff_alpha"], abs=1e-12
    )


def test_raw_transcripts_do_not_match_a_pseudonymised_export_but_anonymize_does(app, tmp_path):
    export = DEMO / "labelstudio" / "demo_export.json"
    common = [str(export), "--corpus", str(TRANSCRIPTS), "--codebook", str(DEMO / "codebook.toml"), "--n-boot", "20"]
    raw = runner.invoke(app, ["agreement", *common])
    assert "set aside" in raw.output  # task text is pseudonymised; the raw transcripts differ
    fixed = runner.invoke(app, ["agreement", *common, "--anonymize", str(DEMO / "names.txt")])
    assert fixed.exit_code == 0, fixed.output
    assert "set aside" not in fixed.output


def test_a_bad_users_file_is_one_clear_error(app, tmp_path):
    bad = tmp_path / "users.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    result = runner.invoke(app, ["agreement", "--study", str(DEMO / "study.toml"), "--users", str(bad)])
    assert result.exit_code == 1
    assert "expected a JSON object of Label Studio user id -> coder name" in result.output


def test_agreement_include_predictions_adds_the_model_as_a_coder(app, demo, tmp_path):
    import krippendorff
    import numpy as np

    corpus, _ = demo
    ids = list(corpus.ids[:3])
    spans = _spans(corpus, ids)
    model = "qualquant-lda-k6-seed0-segment"
    for tid in ids:  # the model suggests "bonding" on the first four participant turns
        t = corpus[tid]
        for k, seg in enumerate(t.segments_by_role("participant")[:4]):
            spans.append(
                CodedSpan(
                    model,
                    "prediction",
                    tid,
                    seg.segment_id,
                    "bonding",
                    seg.start,
                    seg.end,
                    seg.text,
                    1,
                    9,
                    f"p{tid}{k}",
                )
            )
    table_path = tmp_path / "codings.csv"
    write_table(codings_frame(spans), table_path)
    human_out, all_out = tmp_path / "human.csv", tmp_path / "all.csv"
    args = ["agreement", str(table_path), *corpus_args(corpus, ids), "--n-boot", "0"]
    result = runner.invoke(app, [*args, "--out", str(human_out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, [*args, "--include-predictions", "--out", str(all_out)])
    assert result.exit_code == 0, result.output
    assert "Fleiss" in result.output and model in result.output
    human = pd.read_csv(human_out, encoding="utf-8-sig").set_index("code")
    both = pd.read_csv(all_out, encoding="utf-8-sig").set_index("code")
    assert set(human["coders"]) == {"coder_a; coder_b"}
    assert set(both["coders"]) == {f"coder_a; coder_b; {model}"} and set(both["n_coders"]) == {3}
    # independent value for "bonding": coders x participant segments, built by hand from the plan above
    rows = {"coder_a": [], "coder_b": [], model: []}
    for tid in ids:
        for k, _seg in enumerate(corpus[tid].segments_by_role("participant")):
            human_code = int(k < 6 and k % 2 == 0)
            rows["coder_a"].append(human_code)
            rows["coder_b"].append(human_code)
            rows[model].append(int(k < 4))
    direct = krippendorff.alpha(
        reliability_data=np.array(list(rows.values()), dtype=float), level_of_measurement="nominal"
    )
    assert both.loc["bonding", "krippendorff_alpha"] == pytest.approx(direct, abs=1e-9)
    assert human.loc["bonding", "krippendorff_alpha"] == pytest.approx(1.0)


def test_include_predictions_without_predictions_is_one_error_line(app, demo, tmp_path):
    corpus, _ = demo
    ids = list(corpus.ids[:2])
    table_path = tmp_path / "codings.csv"
    write_table(codings_frame(_spans(corpus, ids)), table_path)
    result = runner.invoke(
        app, ["agreement", str(table_path), *corpus_args(corpus, ids), "--n-boot", "0", "--include-predictions"]
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[-1].startswith("Error: include_predictions=True, but the codings hold no predictions")


def test_code_option_limits_the_tables_and_an_unknown_id_is_one_error_line(app, demo, tmp_path):
    corpus, _ = demo
    ids = list(corpus.ids[:3])
    table_path = tmp_path / "codings.csv"
    write_table(codings_frame(_spans(corpus, ids)), table_path)
    out = tmp_path / "freq.csv"
    ok = runner.invoke(
        app,
        [
            "frequencies",
            str(table_path),
            *corpus_args(corpus, ids),
            "--coder",
            "coder_a",
            "--code",
            "bonding",
            "--out",
            str(out),
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert pd.read_csv(out, encoding="utf-8-sig")["code"].tolist() == ["bonding"]
    for command in ("agreement", "frequencies", "cooccurrence"):
        bad = runner.invoke(app, [command, str(table_path), *corpus_args(corpus, ids), "--code", "bondng"])
        assert bad.exit_code == 1, bad.output
        lines = [ln for ln in bad.output.splitlines() if ln.strip()]
        assert lines == [
            "Error: --code names 'bondng', which is not a code of the codebook codebook.toml; did you "
            "mean 'bonding', 'belonging'? Fix the id or add the code to the codebook."
        ], bad.output
