"""Tests of ``qualquant init``, ``qualquant run`` (on a small study made here) and the command list.

The small study: three Russian transcripts, a cases table, a survey CSV with a
codebook-free numeric coding, the demo codebook, no Label Studio export (the
codings stage reports that clearly and the rest runs), topics off (speed).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
from typer.main import get_command
from typer.testing import CliRunner

from qualquant.pipelines.cli import app

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()

TRANSCRIPT = """Интервьюер: Расскажите, как вы устроились в {city}?
Респондент: Первые недели жили у знакомых, потом соседи-казахи помогли найти квартиру. {extra}
Интервьюер: А с работой?
Респондент: Работаю удалённо на российскую компанию, с банком были сложности.
"""


def _make_study(tmp_path: Path) -> Path:
    result = runner.invoke(app, ["init", str(tmp_path / "study"), "--title", "Small study"])
    assert result.exit_code == 0, result.output
    root = tmp_path / "study"
    for i, (city, extra) in enumerate([("Алматы", ""), ("Астане", "Зовут меня Тимур."), ("Караганде", "")], start=1):
        (root / "transcripts" / f"P0{i}.txt").write_text(TRANSCRIPT.format(city=city, extra=extra), encoding="utf-8")
    pd.DataFrame(
        {"case_id": ["P01", "P02", "P03"], "age": [24, 31, 46], "status": ["a", "b", "a"], "belonging": [4, 2, 3]}
    ).to_csv(root / "cases.csv", index=False)
    (root / "names.txt").write_text("Тимур\n", encoding="utf-8")
    rng = np.random.default_rng(0)
    n = 120
    friends = rng.integers(1, 5, n)
    pd.DataFrame(
        {
            "friends": friends,
            "belonging": np.clip(friends + rng.integers(-1, 2, n), 1, 5),
            "age_group": rng.choice(["18–29", "30–44", "45+"], n),
        }
    ).to_csv(root / "survey" / "s.csv", index=False)
    text = (root / "study.toml").read_text(encoding="utf-8")
    text = text.replace("[topics]\nenabled = true", "[topics]\nenabled = false")
    text = text.replace('path = ""                      # .sav', 'path = "survey/s.csv"         # .sav')
    text = text.replace('outcome = ""\n', 'outcome = "belonging"\n', 1)
    text = text.replace("correlations = []", 'correlations = ["friends", "belonging"]')
    text = text.replace(
        "attributes = []                # case attributes crossed",
        'attributes = ["status", "age"]  # case attributes crossed',
    )
    text += (
        '\n[[constructs]]\nid = "local_ties"\nlabel = "Local ties"\ncodes = ["bridging"]\n'
        'survey_variables = ["friends"]\noutcome = "belonging"\n'
        '\n[[representativeness]]\ncase_column = "age"\nsurvey_variable = "age_group"\n'
        'bins = [18, 30, 45, 120]\nlabels = ["18–29", "30–44", "45+"]\n'
    )
    (root / "study.toml").write_text(text, encoding="utf-8")
    return root / "study.toml"


def test_init_scaffolds_and_refuses_to_overwrite(tmp_path):
    result = runner.invoke(app, ["init", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    for name in ("study.toml", "README.md", "cases.csv", "names.txt", "codebook.toml"):
        assert (tmp_path / "s" / name).is_file()
    for folder in ("transcripts", "survey", "labelstudio"):
        assert (tmp_path / "s" / folder).is_dir()
    assert "# " in (tmp_path / "s" / "study.toml").read_text(encoding="utf-8")  # commented
    again = runner.invoke(app, ["init", str(tmp_path / "s")])
    assert again.exit_code == 1
    assert again.output.strip().splitlines()[-1].startswith("Error: ")
    assert "already exists; init never overwrites a study" in again.output


def test_run_small_study_then_skip_unchanged_then_rerun_changed(tmp_path):
    toml = _make_study(tmp_path)
    out = toml.parent / "out"
    first = runner.invoke(app, ["run", str(toml), "--quiet"])
    assert first.exit_code == 0, first.output
    for name in (
        "segments.csv",
        "corpus_summary.md",
        "codings.csv",
        "survey_table3.csv",
        "joint_display.csv",
        "representativeness.csv",
        "tables.xlsx",
        "tables.md",
        "report.html",
        "warnings.csv",
        "private/pseudonym_key.csv",
        "joint_display_overrides.csv",
        "linked_cases.csv",
    ):
        assert (out / name).is_file(), name
    assert "no codings export shipped" in first.output
    assert "PRIVATE" in first.output
    segments = pd.read_csv(out / "segments.csv", encoding="utf-8-sig")
    assert "Тимур" not in " ".join(segments["text"]) and "[NAME_1]" in " ".join(segments["text"])
    jd = pd.read_csv(out / "joint_display.csv", encoding="utf-8-sig")
    assert jd.loc[0, "convergence"] == "silence"  # no codings: the interviews are silent
    state = json.loads((out / ".state.json").read_text(encoding="utf-8"))
    assert state["corpus"]["status"] == "ran"
    before = {p: p.read_bytes() for p in out.glob("*.csv")}

    second = runner.invoke(app, ["run", str(toml), "--quiet"])
    assert second.exit_code == 0, second.output
    assert re.search(r"corpus\s*│\s*skipped", second.output), second.output
    assert re.search(r"survey\s*│\s*skipped", second.output)
    assert {p: p.read_bytes() for p in out.glob("*.csv")} == before

    s = pd.read_csv(toml.parent / "survey" / "s.csv")
    s.loc[0, "friends"] = 5 if s.loc[0, "friends"] != 5 else 1
    s.to_csv(toml.parent / "survey" / "s.csv", index=False)
    third = runner.invoke(app, ["run", str(toml), "--quiet"])
    assert third.exit_code == 0, third.output
    assert re.search(r"corpus\s*│\s*skipped", third.output)
    assert re.search(r"survey\s*│\s*ran", third.output)
    assert re.search(r"integration\s*│\s*ran", third.output)


def test_run_reports_config_error_as_one_line(tmp_path):
    toml = _make_study(tmp_path)
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[extra]\nx = 1\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(toml)])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: study.toml, line ")
    assert "unknown key 'extra'" in lines[0]
    bad_stage = runner.invoke(app, ["run", str(_make_study(tmp_path / "b")), "--stage", "corpsu"])
    assert bad_stage.exit_code == 1 and "Unknown stage 'corpsu'" in bad_stage.output


def test_run_checks_survey_variables_before_any_stage(tmp_path):
    toml = _make_study(tmp_path)
    text = toml.read_text(encoding="utf-8").replace('weights = ""', 'weights = "wieght"', 1)
    text = text.replace('survey_variables = ["friends"]', 'survey_variables = ["frends"]')
    toml.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["run", str(toml), "--quiet"])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: 2 survey variables named in study.toml are not in s.csv")
    assert "[survey] weights names 'wieght'" in lines[0]
    assert "[[constructs]] #1 (local_ties) survey_variables names 'frends'" in lines[0]
    assert "did you mean 'friends'?" in lines[0]
    assert not (toml.parent / "out" / "segments.csv").exists()  # failed before the corpus stage


def test_run_stops_at_a_misspelt_construct_code_with_one_error_line(tmp_path):
    toml = _make_study(tmp_path)
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('codes = ["bridging"]', 'codes = ["bridgng"]'), encoding="utf-8"
    )
    result = runner.invoke(app, ["run", str(toml), "--quiet"])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    assert re.match(
        r"Error: study\.toml, line \d+: \[\[constructs\]\] #1 \(local_ties\) codes names 'bridgng', "
        r"which is not a code of the codebook codebook\.toml; did you mean 'bridging'",
        lines[0],
    ), lines[0]
    assert not (toml.parent / "out" / "joint_display.csv").exists()  # no false "silence" written


def test_rerun_refreshes_the_proposed_label_keeps_the_override_and_flags_the_change(tmp_path):
    toml = _make_study(tmp_path)
    out = toml.parent / "out"
    assert runner.invoke(app, ["run", str(toml), "--quiet"]).exit_code == 0
    path = out / "joint_display_overrides.csv"
    ov = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert ov.loc[0, "proposed"] == "silence"  # no codings: the interviews are silent
    # the researcher overrode an earlier proposal ('agreement', e.g. before a codings export was fixed)
    ov.loc[0, ["proposed", "override", "meta_inference"]] = ["agreement", "dissonance", "Ties matter; see P02."]
    ov.to_csv(path, index=False, encoding="utf-8-sig")
    second = runner.invoke(app, ["run", str(toml), "--quiet"])
    assert second.exit_code == 0, second.output
    assert "proposal changed since your override (was 'agreement', now 'silence')" in " ".join(second.output.split())
    ov = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert ov.loc[0, "proposed"] == "silence"  # the proposal computed now, not the stale one
    assert ov.loc[0, "override"] == "dissonance" and ov.loc[0, "meta_inference"] == "Ties matter; see P02."
    assert ov.loc[0, "proposed_when_overridden"] == "agreement"
    jd = pd.read_csv(out / "joint_display.csv", encoding="utf-8-sig", keep_default_na=False)
    assert jd.loc[0, "convergence"] == "dissonance" and jd.loc[0, "proposed"] == "silence"
    assert str(jd.loc[0, "proposal_changed"]) == "True" and jd.loc[0, "proposed_when_overridden"] == "agreement"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "proposal changed since your override (was agreement, now silence)" in html
    before = path.read_bytes()
    third = runner.invoke(app, ["run", str(toml), "--quiet"])
    assert third.exit_code == 0 and path.read_bytes() == before  # stable: the record is kept, the file unchanged
    assert re.search(r"integration\s*│\s*skipped", third.output), third.output


def _commands(group, prefix: tuple[str, ...] = ()):
    """Every command and group below ``group`` (duck-typed: groups have ``commands``)."""
    for name, cmd in sorted(group.commands.items()):
        path = prefix + (name,)
        yield path, cmd
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, path)


def test_every_command_has_help_and_is_in_the_readme():
    root = get_command(app)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing_help, missing_readme = [], []
    for path, cmd in _commands(root):
        text = (cmd.help or cmd.short_help or "").strip()
        if not text:
            missing_help.append(" ".join(path))
        if f"qualquant {' '.join(path)}" not in readme:
            missing_readme.append(" ".join(path))
    assert not missing_help, f"commands without help text: {missing_help}"
    assert not missing_readme, f"commands not mentioned in README.md as `qualquant ...`: {missing_readme}"


def test_run_reconciliation_warnings_show_a_missing_case_id_as_empty(tmp_path):
    from qualquant.pipelines.stages._run import run_study
    from qualquant.pipelines.study import read_study

    toml = _make_study(tmp_path)
    extra = toml.parent / "transcripts" / "C1.txt"
    extra.write_text(TRANSCRIPT.format(city="Алматы", extra=""), encoding="utf-8")
    result = run_study(read_study(toml), only=["corpus"], show_progress=False)
    recon = [w for stage, w in result.warnings if "transcript_without_case" in w]
    assert len(recon) == 1
    # the file is named relative to the study folder, so outputs and stage keys do not change when it moves
    assert recon[0].startswith(
        "corpus reconciliation: transcript_without_case transcripts/C1.txt: Transcript C1 has no row"
    )
    cli = runner.invoke(app, ["run", str(toml), "--stage", "corpus", "--force", "--quiet"])
    assert cli.exit_code == 0, cli.output
    assert "transcript_without_case" in cli.output and "nan" not in cli.output


def test_demo_out_that_cannot_be_created_is_one_error_line(tmp_path):
    (tmp_path / "file.txt").write_text("", encoding="utf-8")
    target = tmp_path / "file.txt" / "demo"
    result = runner.invoke(app, ["demo", "--out", str(target), "--quiet"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: {target}: cannot write the folder ({tmp_path / 'file.txt'} is a file, "
        "not a folder). Choose another --out path, or a folder you can write to."
    )


def test_run_without_argument_uses_study_toml_here(tmp_path, monkeypatch):
    toml = _make_study(tmp_path)
    monkeypatch.chdir(toml.parent)
    result = runner.invoke(app, ["run", "--stage", "corpus", "--quiet"])
    assert result.exit_code == 0, result.output
    assert (toml.parent / "out" / "segments.csv").is_file()


def test_run_study_option_names_another_study(tmp_path, monkeypatch):
    toml = _make_study(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", "--study", str(toml), "--stage", "corpus", "--quiet"])
    assert result.exit_code == 0, result.output
    assert (toml.parent / "out" / "segments.csv").is_file()
    both = runner.invoke(app, ["run", str(toml), "--study", str(tmp_path / "other.toml")])
    assert both.exit_code == 1
    assert both.output.strip().splitlines()[-1].startswith("Error: Two study files given")


def test_run_without_study_here_is_one_error_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: No study file given")
    assert str(tmp_path / "study.toml") in lines[0] or "study.toml" in lines[0]
    assert "qualquant init" in lines[0] and "--study" in lines[0]


def test_run_check_passes_a_good_study_without_running_it(tmp_path):
    toml = _make_study(tmp_path)
    result = runner.invoke(app, ["run", "--check", "--study", str(toml)])
    assert result.exit_code == 0, result.output
    assert "ready to run" in result.output
    assert not (toml.parent / "out").exists()


def test_run_check_lists_every_problem_at_once(tmp_path):
    toml = _make_study(tmp_path)
    root = toml.parent
    text = toml.read_text(encoding="utf-8")
    text = text.replace('codes = ["bridging"]', 'codes = ["bridgin"]')
    text = text.replace('survey_variables = ["friends"]', 'survey_variables = ["frends"]')
    text = text.replace('names = "names.txt"', 'names = "missing_names.txt"')
    toml.write_text(text, encoding="utf-8")
    (root / "transcripts" / "P09.txt").write_text(TRANSCRIPT.format(city="Омске", extra=""), encoding="utf-8")
    cases = pd.read_csv(root / "cases.csv")
    cases.loc[len(cases)] = {"case_id": "P07", "age": 50, "status": "a", "belonging": 2}
    cases.to_csv(root / "cases.csv", index=False)
    result = runner.invoke(app, ["run", "--check", str(toml)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    warnings = [line for line in lines if line.startswith("warning: ")]
    assert any("missing_names.txt" in line for line in errors)
    assert any("'bridgin'" in line for line in errors)
    assert any("'frends'" in line for line in errors)
    assert any("P09" in line for line in warnings)  # a transcript without a cases row
    assert any("P07" in line for line in warnings)  # a case without a transcript
    assert not (root / "out").exists()
    # the missing names file fixed: what is left does not block (unknown codes and variables still do)
    toml.write_text(
        text.replace('codes = ["bridgin"]', 'codes = ["bridging"]')
        .replace('survey_variables = ["frends"]', 'survey_variables = ["friends"]')
        .replace('names = "missing_names.txt"', 'names = "names.txt"'),
        encoding="utf-8",
    )
    fixed = runner.invoke(app, ["run", "--check", str(toml)])
    assert fixed.exit_code == 0, fixed.output
    assert any("P09" in line for line in fixed.output.splitlines() if line.startswith("warning: "))
