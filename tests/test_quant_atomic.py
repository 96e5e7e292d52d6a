"""Atomic writes (qualquant/io/_atomic.py) and their use by write_survey and write_demo_survey."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from qualquant import quant
from qualquant.io import _atomic, atomic_write, atomic_write_bytes, default_file_mode
from qualquant.quant.synthetic import write_demo_survey


@pytest.fixture()
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def test_mode_is_0644_minus_umask(tmp_path, umask_027):
    assert default_file_mode() == 0o640
    path = atomic_write_bytes(tmp_path / "sub" / "x.bin", b"abc")  # parent folders created
    assert path.read_bytes() == b"abc"
    assert path.stat().st_mode & 0o777 == 0o640


def test_content_is_fsynced_before_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(_atomic.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(_atomic.os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    atomic_write_bytes(tmp_path / "x.txt", b"hello")
    assert events[:2] == ["fsync", "replace"]  # file fsync, rename, then the folder entry
    assert (tmp_path / "x.txt").read_bytes() == b"hello"


def test_temp_file_is_in_the_target_folder_with_the_suffix(tmp_path):
    seen = []

    def write(tmp):
        seen.append(tmp)
        tmp.write_text("data", encoding="utf-8")

    atomic_write(tmp_path / "table.csv", write)
    assert seen[0].parent == tmp_path and seen[0].suffix == ".csv" and seen[0].name != "table.csv"
    assert not seen[0].exists()


def test_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_bytes(b"old")

    def broken(tmp):
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(target, broken)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_write_survey_failure_keeps_the_old_file(tmp_path):
    target = tmp_path / "s.sav"
    quant.write_survey(quant.Survey(pd.DataFrame({"a": [1.0]})), target)
    before = target.read_bytes()
    bad = quant.Survey(
        pd.DataFrame({"a": [1.0]}), quant.SurveyMeta(missing_values={"a": [(1, 1), (2, 2), (3, 3), (4, 4)]})
    )
    with pytest.raises(quant.errors.SurveyFormatError, match=r"s\.sav: cannot write the survey"):
        quant.write_survey(bad, target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.sav"]


def test_demo_survey_files_use_the_umask(tmp_path, umask_027):
    paths = write_demo_survey(tmp_path)
    for path in paths.values():
        assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repatriates_survey.csv", "repatriates_survey.sav"]


# ------------------------------------------------------------------ failed writes become one project error
def test_a_folder_in_the_way_is_an_output_write_error(tmp_path):
    from qualquant.quant.errors import OutputWriteError, QualquantError

    (tmp_path / "table.csv").mkdir()
    with pytest.raises(OutputWriteError) as info:
        atomic_write_bytes(tmp_path / "table.csv", b"x")
    err = info.value
    assert isinstance(err, QualquantError) and isinstance(err, OSError)
    assert str(err) == (
        f"{tmp_path / 'table.csv'}: cannot write the file (it is a folder). "
        "Choose another --out path, or a folder you can write to."
    )
    assert (tmp_path / "table.csv").is_dir() and sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


def test_a_file_where_a_folder_should_be_is_an_output_write_error(tmp_path):
    from qualquant.quant.errors import OutputWriteError

    (tmp_path / "file.txt").write_text("keep", encoding="utf-8")
    target = tmp_path / "file.txt" / "sub" / "out.csv"
    with pytest.raises(
        OutputWriteError,
        match=r"out\.csv: cannot write the file \(.*file\.txt is a file, not a "
        r"folder\)\. Choose another --out path",
    ) as info:
        atomic_write_bytes(target, b"x")
    assert info.value.filename == str(target) and info.value.errno is not None
    assert (tmp_path / "file.txt").read_text(encoding="utf-8") == "keep"


def test_an_os_error_inside_the_writer_names_the_path_and_reason(tmp_path):
    from qualquant.quant.errors import OutputWriteError

    def full(tmp):
        tmp.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputWriteError, match=r"x\.csv: cannot write the file \(No space left on device\)"):
        atomic_write(tmp_path / "x.csv", full)
    assert list(tmp_path.iterdir()) == []


def test_make_dirs_reports_a_file_in_the_way(tmp_path):
    from qualquant.io import make_dirs
    from qualquant.quant.errors import OutputWriteError

    (tmp_path / "f").write_text("", encoding="utf-8")
    assert make_dirs(tmp_path / "a" / "b").is_dir()
    with pytest.raises(OutputWriteError, match=r"cannot write the folder \(.*f is a file, not a folder\)"):
        make_dirs(tmp_path / "f" / "out")
