"""The README's walkthrough "Your own study", run as written on a small study.

The shell commands of every ``console`` block marked ``<!-- walkthrough -->`` in
README.md are run in order with the installed ``qualquant`` script, in a temporary
folder; the ``toml`` block marked ``<!-- walkthrough: study.toml -->`` is the
study's ``study.toml``. Between ``qualquant init`` and the next block the test does
what the README tells the researcher to do by hand: it puts three demo transcripts,
their rows of the demo cases table and names list, the demo survey and a codings
table (the demo coders' codings of those three transcripts, as a spreadsheet would
hold them) into the study. Label Studio is not used here (its own tests cover
serve, push and pull). The run must end in a report with the study's own title and
its codes.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd

from qualquant import pipelines

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DEMO = Path(pipelines.__file__).parent / "demo_data"
TRANSCRIPTS = ("INT01", "INT02", "INT03")

_BLOCK = re.compile(r"<!-- walkthrough(?P<what>: [\w.]+)? -->\s*\n```(?P<lang>\w+)\n(?P<body>.*?)\n```", re.S)


def walkthrough() -> tuple[list[list[str]], str]:
    """The command lines of each marked console block, and the marked study.toml."""
    text = README.read_text(encoding="utf-8")
    blocks: list[list[str]] = []
    toml = ""
    for m in _BLOCK.finditer(text):
        if m.group("what") == ": study.toml":
            assert m.group("lang") == "toml"
            toml = m.group("body") + "\n"
        else:
            assert m.group("lang") == "console", "a walkthrough block of commands is a console block"
            blocks.append([line[2:] for line in m.group("body").splitlines() if line.startswith("$ ")])
    return blocks, toml


def _qualquant() -> str:
    script = Path(sys.executable).parent / "qualquant"
    return str(script) if script.is_file() else shutil.which("qualquant") or "qualquant"


def _run_commands(commands: list[str], cwd: Path) -> Path:
    """Run ``commands`` as a shell would (``cd`` changes the folder); return the last folder."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    for line in commands:
        words = shlex.split(line, comments=True)
        if words[0] == "cd":
            cwd = cwd / words[1]
            assert cwd.is_dir(), f"README walkthrough: `{line}`: no folder {cwd.name}"
            continue
        assert words[0] == "qualquant", f"README walkthrough: only qualquant commands and cd are run, not `{line}`"
        result = subprocess.run(
            [_qualquant(), *words[1:]], cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8"
        )
        assert result.returncode == 0, f"README walkthrough: `{line}` failed:\n{result.stdout}\n{result.stderr}"
    return cwd


def _codings_table(study: Path) -> pd.DataFrame:
    """The demo coders' codings of the three transcripts, one row per span (coder, transcript_id, code, start, end)."""
    tasks = json.loads((DEMO / "labelstudio" / "demo_export.json").read_text(encoding="utf-8"))
    users = json.loads((DEMO / "labelstudio" / "demo_export.users.json").read_text(encoding="utf-8"))
    rows = []
    for task in tasks:
        if task["data"]["transcript_id"] not in TRANSCRIPTS:
            continue
        for annotation in task["annotations"]:
            for result in annotation["result"]:
                value = result.get("value", {})
                for code in value.get("labels", []):
                    rows.append(
                        {
                            "coder": users[str(annotation["completed_by"])],
                            "transcript_id": task["data"]["transcript_id"],
                            "code": code,
                            "start": value["start"],
                            "end": value["end"],
                            "text": value["text"],
                        }
                    )
    return pd.DataFrame(rows)


def _fill_study(study: Path, toml: str) -> None:
    """What the README asks the researcher to do between `init` and `run --check`."""
    for tid in TRANSCRIPTS:
        shutil.copy(DEMO / "transcripts" / f"{tid}.txt", study / "transcripts" / f"{tid}.txt")
    cases = pd.read_csv(DEMO / "cases.csv", dtype=str, keep_default_na=False)
    cases[cases["case_id"].isin(TRANSCRIPTS)].to_csv(study / "cases.csv", index=False)
    shutil.copy(DEMO / "names.txt", study / "names.txt")
    config = tomllib.loads(toml)
    shutil.copy(DEMO / "survey" / "repatriates_survey.sav", study / config["survey"]["path"])
    (study / "codings").mkdir()
    table = config["coding"]["sources"][0]["path"].replace("*", "demo_coders")
    _codings_table(study).to_csv(study / table, index=False)
    (study / "study.toml").write_text(toml, encoding="utf-8")


def test_the_readme_walkthrough_runs_as_written_to_a_report(tmp_path: Path) -> None:
    blocks, toml = walkthrough()
    assert toml, "README.md has no <!-- walkthrough: study.toml --> block"
    commands = [c for block in blocks for c in block]
    for expected in ("qualquant init", "qualquant run --check", "qualquant run"):
        assert any(c.startswith(expected) for c in commands), f"the walkthrough lacks `{expected}`"
    first = next(i for i, block in enumerate(blocks) if any(c.startswith("qualquant init") for c in block))
    folder = _run_commands([c for block in blocks[: first + 1] for c in block], tmp_path)
    assert (folder / "study.toml").is_file(), "the walkthrough's init and cd end in the study folder"
    _fill_study(folder, toml)
    _run_commands([c for block in blocks[first + 1 :] for c in block], folder)

    config = tomllib.loads(toml)
    out = folder / config["study"].get("out", "out")
    report = (out / "report.html").read_text(encoding="utf-8")
    assert config["study"]["title"] in report
    consensus = pd.read_csv(out / "consensus_codings.csv")
    assert set(consensus["transcript_id"]) == set(TRANSCRIPTS)
    for code in consensus["code"].unique():
        assert code in report, f"code {code} is not in the report"
    for construct in config.get("constructs", []):
        assert construct["label"] in report


def _anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_the_walkthrough_links_to_sections_that_exist() -> None:
    text = README.read_text(encoding="utf-8")
    anchors = {_anchor(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, re.M)}
    section = text.split("### Your own study", 1)[1].split("\n### ", 1)[0]
    links = re.findall(r"\]\(#([\w\-]+)\)", section)
    assert links, "the walkthrough links to the sections it does not repeat"
    missing = [link for link in links if link not in anchors]
    assert not missing, f"the walkthrough links to sections README.md does not have: {missing}"
