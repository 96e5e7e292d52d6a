"""The suite is self-contained: no test, bench or script reads beside the repository.

A fresh clone has nothing next to it, so every file a test needs is in tests/data
(real third-party files, with licence and origin) or tests/reference (reference
values). Two checks: the runtime guard in conftest.py (an audit hook that fails a
test opening or listing a path beside the repository), and a scan of the code that
configures data paths.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import DATA, REPO, configured_paths_outside, outside_repository

# A folder beside the repository that no checkout has: the guard tests only build
# paths into it (and try to open one, which must fail); nothing outside is read.
NOWHERE = "no-such-sibling-of-qualquant"


def _beside(*parts: str) -> Path:
    return REPO.parent.joinpath(NOWHERE, *parts)


def test_guard_flags_paths_beside_the_repository(tmp_path):
    assert outside_repository(_beside("survey", "sample.sav"))
    assert outside_repository(REPO.parent / "another-checkout" / "tests" / "data.csv")
    assert not outside_repository(DATA / "survey" / "sample.sav")
    assert not outside_repository(REPO / "pipelines" / "demo_data" / "codebook.toml")
    assert not outside_repository(tmp_path / "out.csv")
    assert not outside_repository(pytest.__file__)


def test_guard_fails_a_test_that_opens_a_sibling_path(_only_repository_files):
    """Opening (even a missing) file beside the repository is recorded by the audit hook."""
    seen = _only_repository_files
    missing = _beside("answers.csv")
    with pytest.raises(OSError):
        missing.open("rb")
    recorded = list(seen)
    seen.clear()  # this test checks the guard itself; the records made it fail otherwise
    assert recorded == [f"open {missing}"]


def test_guard_flags_module_data_paths_beside_the_repository():
    import types

    module = types.ModuleType("old_style_test")
    module.REAL = _beside("survey")
    module.HERE = REPO / "tests"
    assert configured_paths_outside(module) == [f"REAL = {module.REAL}"]


def test_guard_ignores_repository_and_temporary_files(_only_repository_files, tmp_path):
    (tmp_path / "x.txt").write_text("x", encoding="utf-8")
    (tmp_path / "x.txt").read_text(encoding="utf-8")
    (DATA / "README.md").read_text(encoding="utf-8")
    assert _only_repository_files == []


# Path constructions that reach beside the repository from tests/, bench/ or scripts.
_REACHES_OUT = re.compile(r"""parents\[\s*[2-9]\s*\]|\.\./|["']shared["']|realdata""")


@pytest.mark.parametrize("folder", ["tests", "bench", ".ci"])
def test_no_configured_data_path_points_outside(folder):
    offenders = []
    for path in sorted((REPO / folder).rglob("*")):
        if not path.is_file() or path.suffix not in {".py", "", ".sh", ".toml", ".cfg"}:
            continue
        if path.name == "test_self_contained.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            code = line.split("#", 1)[0]
            if _REACHES_OUT.search(code):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == [], "data paths outside the repository:\n" + "\n".join(offenders)


def test_every_data_folder_has_its_licence_and_origin():
    folders = [p for p in DATA.iterdir() if p.is_dir()]
    assert {p.name for p in folders} >= {"label_studio", "refi_qda", "survey", "open_ended"}
    for folder in folders:
        assert (folder / "SOURCES.md").is_file(), folder
        assert list(folder.glob("LICENSE*")), f"{folder} has no licence text"
        listed = (folder / "SOURCES.md").read_text(encoding="utf-8")
        for data_file in folder.iterdir():
            if data_file.name.startswith(("LICENSE", "SOURCES")):
                continue
            assert data_file.name in listed or data_file.stem.split("_")[0] in listed, (
                f"{data_file.name} is not described in {folder.name}/SOURCES.md"
            )
