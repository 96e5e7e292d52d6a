"""Tests of the command-line reference ``docs/cli.md``: complete and up to date.

The reference is generated from the ``qualquant`` application
(:mod:`qualquant.pipelines.cli.reference`); regenerate it with
``python -m qualquant.pipelines.cli.reference > docs/cli.md``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.main import get_command

from qualquant.pipelines.cli import app
from qualquant.pipelines.cli.reference import cli_reference, walk_commands

REPO = Path(__file__).resolve().parents[1]
CLI_DOC = REPO / "docs" / "cli.md"
REGENERATE = "python -m qualquant.pipelines.cli.reference > docs/cli.md"


def _doc() -> str:
    assert CLI_DOC.is_file(), f"docs/cli.md is missing: run `{REGENERATE}`"
    return CLI_DOC.read_text(encoding="utf-8")


def test_cli_reference_is_up_to_date():
    assert _doc() == cli_reference(), f"docs/cli.md is out of date: run `{REGENERATE}`"


def test_every_command_and_option_is_in_the_reference():
    doc = _doc()
    commands = walk_commands(get_command(app))
    assert len(commands) > 20  # the groups and their commands were found
    missing: list[str] = []
    for words, command in commands:
        heading = f"`{' '.join(words)}`"
        if f"# {heading}\n" not in doc:
            missing.append(heading)
            continue
        # the options of a command are listed in its own section (up to the next heading)
        section = doc.split(f"# {heading}\n", 1)[1].split("\n#", 1)[0]
        for param in command.params:
            if param.name in ("install_completion", "show_completion"):
                continue
            names = [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]
            if param.param_type_name == "argument":
                names = [(param.metavar or param.name).upper()]
            missing += [f"{heading} {n}" for n in names if f"`{n}`" not in section]
    assert not missing, f"docs/cli.md lacks {missing}: run `{REGENERATE}`"


def test_every_option_has_help_text():
    undocumented = [
        f"{' '.join(words)} {param.name}"
        for words, command in walk_commands(get_command(app))
        for param in command.params
        if param.name not in ("install_completion", "show_completion")
        and not (getattr(param, "help", "") or "").strip()
    ]
    assert not undocumented, f"options and arguments without help=: {undocumented}"


def test_reference_entry_point_prints_the_reference():
    result = subprocess.run(
        [sys.executable, "-m", "qualquant.pipelines.cli.reference"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        cwd=REPO,
    )
    assert result.stdout == cli_reference()


def test_readme_and_contributing_link_the_reference():
    for name in ("README.md", "CONTRIBUTING.md"):
        assert "docs/cli.md" in (REPO / name).read_text(encoding="utf-8"), f"{name} does not link docs/cli.md"
