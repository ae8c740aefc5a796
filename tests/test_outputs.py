"""auditor.outputs: files written whole, one report set per folder, outputs that are inputs."""

from __future__ import annotations

import os
import signal
import stat
from pathlib import Path

import pytest

from auditor.errors import AuditorError
from auditor.outputs import (
    STAGING_PREFIX,
    OutputSet,
    atomic_file,
    atomic_path,
    atomic_text,
    check_outputs,
    signals_held,
)


def test_atomic_file_replaces_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_text(target) as handle:
        handle.write("half of the new")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old"
    with atomic_file(target) as raw:
        raw.write(b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]  # no temporary left


def test_files_get_the_umask_permissions_not_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with atomic_text(tmp_path / "a.txt") as handle:
            handle.write("x")
        with atomic_path(tmp_path / "b.csv") as temp:
            assert temp.suffix == ".csv"  # writers that choose by suffix still can
            temp.write_text("x", encoding="utf-8")
    finally:
        os.umask(old)
    for name in ("a.txt", "b.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name


def test_output_set_moves_in_together_and_removes_an_earlier_runs_files(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    for name in ("audit.json", "report.html", "junit.xml"):
        (out / name).write_text("earlier", encoding="utf-8")
    (out / "notes.txt").write_text("mine", encoding="utf-8")  # not a report: left alone
    names = {"audit.json", "report.html", "junit.xml", "summary.md"}
    with OutputSet(out, names) as staged:
        staged.path("audit.json").write_text("new", encoding="utf-8")
        staged.path("summary.md").write_text("new", encoding="utf-8")
        # Until the commit the folder holds the earlier set, whole.
        assert (out / "report.html").read_text(encoding="utf-8") == "earlier"
        assert sorted(p.name for p in staged.commit()) == ["audit.json", "summary.md"]
    assert sorted(p.name for p in out.iterdir()) == ["audit.json", "notes.txt", "summary.md"]
    assert (out / "audit.json").read_text(encoding="utf-8") == "new"


def test_an_output_set_left_unfinished_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    (out / "audit.json").write_text("earlier", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt), OutputSet(out, {"audit.json"}) as staged:
        staged.path("audit.json").write_text("half", encoding="utf-8")
        raise KeyboardInterrupt
    assert [p.name for p in out.iterdir()] == ["audit.json"]
    assert (out / "audit.json").read_text(encoding="utf-8") == "earlier"
    # A folder the set created for nothing is removed again.
    with pytest.raises(RuntimeError), OutputSet(tmp_path / "new" / "deep", {"a"}):
        raise RuntimeError
    assert not (tmp_path / "new" / "deep").exists()
    assert not any(p.name.startswith(STAGING_PREFIX) for p in tmp_path.rglob("*"))


def test_an_unwritable_folder_is_one_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(AuditorError, match="cannot write the report"):
        OutputSet(blocker / "out", {"a"})


def test_signals_are_held_while_the_set_moves_in(tmp_path: Path) -> None:
    delivered: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: delivered.append(signum))
    try:
        with signals_held():
            os.kill(os.getpid(), signal.SIGTERM)
            assert delivered == []  # held
        assert delivered == [signal.SIGTERM]  # delivered when the block ends
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_an_output_that_is_an_input_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "data" / "findings.csv"
    manifest.parent.mkdir()
    manifest.write_text("photo_id\n1\n", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(manifest)
    check_outputs([tmp_path / "out" / "findings.csv"], [manifest])  # another file: fine
    with pytest.raises(AuditorError, match="overwrite an input"):
        check_outputs([tmp_path / "data" / "." / "findings.csv"], [manifest])
    with pytest.raises(AuditorError, match="overwrite an input"):
        check_outputs([manifest], [link])
