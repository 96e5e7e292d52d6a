"""The shared atomic-write helpers (qualquant.io) and the writers that use them."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from qualquant.io import atomic_write, atomic_write_bytes, atomic_write_dir, atomic_write_text


@pytest.fixture()
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_default_mode_is_0644_minus_umask_and_mode_is_kept(tmp_path, umask_027):
    assert _mode(atomic_write_text(tmp_path / "a" / "x.txt", "x")) == 0o640  # parent created, mkstemp's 0o600 undone
    assert _mode(atomic_write_bytes(tmp_path / "private.csv", b"k", mode=0o600)) == 0o600
    assert _mode(atomic_write(tmp_path / "snap.json", lambda tmp: tmp.write_bytes(b"{}"), mode=0o444)) == 0o444


def test_text_is_utf8_with_newlines_as_given(tmp_path):
    path = atomic_write_text(tmp_path / "t.md", "Алексей\r\nline\n")
    assert path.read_bytes() == "Алексей\r\nline\n".encode()
    assert atomic_write_text(tmp_path / "w.txt", "ё", encoding="cp1251").read_bytes() == b"\xb8"


def test_writer_gets_a_temporary_file_with_the_same_suffix_in_the_target_folder(tmp_path):
    seen = []

    def write(tmp):
        seen.append(tmp)
        pd.DataFrame({"a": [1]}).to_parquet(tmp)  # engines that pick the format by suffix still work

    path = atomic_write(tmp_path / "t.parquet", write)
    assert seen[0].parent == tmp_path and seen[0].suffix == ".parquet" and seen[0] != path
    assert pd.read_parquet(path)["a"].tolist() == [1]
    assert _leftovers(tmp_path) == []


def test_failure_keeps_the_old_file_and_removes_the_temporary_one(tmp_path):
    target = atomic_write_text(tmp_path / "x.csv", "old")

    def broken(tmp):
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(target, broken)
    assert target.read_text(encoding="utf-8") == "old"
    assert _leftovers(tmp_path) == []


def test_no_overwrite_refuses_an_existing_file(tmp_path):
    target = atomic_write_bytes(tmp_path / "snapshot.json", b"first", overwrite=False)
    with pytest.raises(FileExistsError):
        atomic_write_bytes(target, b"second", overwrite=False, mode=0o444)
    assert target.read_bytes() == b"first"
    assert _leftovers(tmp_path) == []


def test_directory_is_swapped_whole(tmp_path):
    target = tmp_path / "model"

    def write(content):
        def fill(tmp):
            (tmp / "a.txt").write_text(content, encoding="utf-8")

        return fill

    atomic_write_dir(target, write("one"))
    (target / "stale.txt").write_text("from the old model", encoding="utf-8")
    atomic_write_dir(target, write("two"))
    assert sorted(p.name for p in target.iterdir()) == ["a.txt"]
    assert (target / "a.txt").read_text(encoding="utf-8") == "two"

    def broken(tmp):
        (tmp / "a.txt").write_text("three", encoding="utf-8")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        atomic_write_dir(target, broken)
    assert (target / "a.txt").read_text(encoding="utf-8") == "two"
    assert _leftovers(tmp_path) == []


def test_run_cache_and_state_do_not_share_a_fixed_temporary_name(tmp_path):
    """Two runs on the same out/ must not write through one ``name.tmp`` file."""
    from qualquant.pipelines.stages._base import CACHE_DIR, STATE_FILE, Context, write_state
    from qualquant.pipelines.study import read_study

    (tmp_path / "study.toml").write_text('[study]\ntitle = "Atomic"\n', encoding="utf-8")
    out = tmp_path / "out"
    ctx = Context(read_study(tmp_path / "study.toml", out=out))
    ctx._stage = "corpus"
    cache = out / CACHE_DIR / "corpus"
    cache.mkdir(parents=True)
    other = cache / "summary.parquet.tmp"  # what another run may be writing at the same time
    other.write_bytes(b"another run")
    (out / (STATE_FILE + ".tmp")).write_bytes(b"another run")
    ctx.put("summary", pd.DataFrame({"measure": ["n"], "value": [1]}))
    write_state(out, {"corpus": {"status": "ran"}})
    assert other.read_bytes() == b"another run"
    assert (out / (STATE_FILE + ".tmp")).read_bytes() == b"another run"
    assert pd.read_parquet(cache / "summary.parquet")["value"].tolist() == [1]
    assert (out / STATE_FILE).exists()


def test_a_folder_write_that_cannot_happen_is_one_project_error(tmp_path):
    from qualquant.quant.errors import OutputWriteError

    (tmp_path / "model").write_text("a file, not a folder", encoding="utf-8")
    with pytest.raises(OutputWriteError, match=r"model: cannot write the folder \(it is a file, not a folder\)"):
        atomic_write_dir(tmp_path / "model", lambda tmp: (tmp / "a.txt").write_text("x", encoding="utf-8"))
    with pytest.raises(OutputWriteError, match=r"cannot write the folder \(.*model is a file, not a folder\)"):
        atomic_write_dir(tmp_path / "model" / "sub", lambda tmp: None)
    assert (tmp_path / "model").read_text(encoding="utf-8") == "a file, not a folder"
    assert _leftovers(tmp_path) == []
