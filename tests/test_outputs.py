"""No output path may be an input, and a path the user got wrong is one line and exit 2, checked
before any work: the guard itself, then every command that writes."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cli_run import run_cli

import auditor.manifests.read
import auditor.photo_table
from auditor.errors import EXIT_USAGE, AuditorError
from auditor.outputs import (
    STAGING_PREFIX,
    OutputSet,
    atomic_file,
    atomic_path,
    atomic_text,
    check_outputs,
    describe_os_error,
    same_file,
    signals_held,
)
from auditor.resources import example_manifest

ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "manifest.csv"
    path.parent.mkdir()
    shutil.copyfile(example_manifest(), path)
    return path


# -- the guard ----------------------------------------------------------------------------------


def test_same_file_by_any_name(tmp_path: Path) -> None:
    real = tmp_path / "a.csv"
    real.write_text("x")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    hard = tmp_path / "hard.csv"
    os.link(real, hard)
    assert same_file(real, link) and same_file(real, hard)
    assert same_file(tmp_path / "new.csv", tmp_path / "." / "new.csv")  # neither exists yet
    assert not same_file(real, tmp_path / "b.csv")


def test_an_output_that_is_an_input_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "m.csv"
    source.write_text("x")
    link = tmp_path / "alias.csv"
    link.symlink_to(source)
    with pytest.raises(AuditorError, match="would overwrite the input"):
        check_outputs([(link, "--credits")], [source])
    check_outputs([(tmp_path / "other.csv", "--credits")], [source, "-"])


def test_two_outputs_that_are_one_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(AuditorError, match="--credits and --output-dir would be the same file"):
        check_outputs(
            [(tmp_path / "findings.csv", "--output-dir"), (tmp_path / "findings.csv", "--credits")],
            [],
        )


def test_an_output_under_a_file_or_a_folder_as_a_file(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(AuditorError, match=r"afile is a file, not a folder; give -o"):
        check_outputs([(afile / "deeper" / "x.csv", "-o")], [])
    with pytest.raises(AuditorError, match="is a folder; give -o a file name"):
        check_outputs([(tmp_path, "-o")], [])


@pytest.mark.skipif(ROOT, reason="root may write in any folder: permissions cannot be tested")
def test_a_read_only_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(AuditorError, match="permission denied"):
            check_outputs([(locked / "credits.csv", "--credits")], [])
    finally:
        locked.chmod(0o700)


def test_os_errors_read_as_one_line() -> None:
    full = OSError(errno.ENOSPC, "No space left on device", "/data/x.csv")
    assert describe_os_error(full) == (
        "/data/x.csv: No space left on device; free some space or write somewhere else"
    )
    assert describe_os_error(OSError("no path")) is None


# -- every command that writes ------------------------------------------------------------------


def one_line_exit_2(args: list[str], capsys: pytest.CaptureFixture[str], fragment: str) -> None:
    code, _, err = run_cli(args, capsys)
    assert code == EXIT_USAGE, err
    errors = [line for line in err.splitlines() if line.startswith("flickr-audit: error:")]
    assert len(errors) == 1 and fragment in errors[0], err
    assert "Traceback" not in err and "internal error" not in err


def test_manifest_output_under_a_file(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "afile").write_text("x")
    target = tmp_path / "afile" / "x.csv"
    one_line_exit_2(["manifest", str(manifest), "-o", str(target)], capsys, "is a file")


def test_manifest_output_on_a_full_disk(
    manifest: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def full(table: object, path: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    # The command imports its writer when it runs (the CLI loads pandas only when needed).
    monkeypatch.setattr(auditor.photo_table, "write_photo_table", full)
    target = tmp_path / "out" / "x.parquet"
    one_line_exit_2(["manifest", str(manifest), "-o", str(target)], capsys, "No space left")
    assert not target.exists() and list(target.parent.iterdir()) == []  # no temporary left


def test_manifest_output_is_the_input(manifest: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = manifest.read_bytes()
    one_line_exit_2(
        ["manifest", str(manifest), "-o", str(manifest)], capsys, "would overwrite the input"
    )
    assert manifest.read_bytes() == before


def audit_args(manifest: Path, out: Path, *extra: str) -> list[str]:
    return ["audit", str(manifest), "--offline", "--output-dir", str(out), *extra]


def test_credits_naming_the_input_manifest(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = manifest.read_bytes()
    args = audit_args(manifest, tmp_path / "out", "--credits", str(manifest))
    one_line_exit_2(args, capsys, "would overwrite the input")
    assert manifest.read_bytes() == before


def test_credits_under_a_file(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "afile").write_text("x")
    args = audit_args(manifest, tmp_path / "out", "--credits", str(tmp_path / "afile/c.csv"))
    one_line_exit_2(args, capsys, "is a file, not a folder")


def test_an_output_folder_holding_the_input_under_a_report_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    source = out / "findings.csv"
    shutil.copyfile(example_manifest(), source)
    before = source.read_bytes()
    one_line_exit_2(audit_args(source, out), capsys, "would overwrite the input")
    assert source.read_bytes() == before


def test_a_manifest_named_removals_csv_in_the_clean_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    first, second = data / "removals.csv", tmp_path / "other.csv"
    shutil.copyfile(example_manifest(), first)
    shutil.copyfile(example_manifest(), second)
    args = [
        "audit",
        str(first),
        str(second),
        "--offline",
        "--output-dir",
        str(tmp_path / "out"),
        "--clean-manifest",
        str(tmp_path / "clean"),
    ]
    one_line_exit_2(args, capsys, "rename that manifest")
    # With one manifest, removals.csv beside the cleaned file would be the manifest itself.
    args = audit_args(first, tmp_path / "out", "--clean-manifest", str(data / "clean.csv"))
    one_line_exit_2(args, capsys, "would overwrite the input")


def test_step_summary_naming_a_folder(
    manifest: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path))
    args = audit_args(manifest, tmp_path / "out", "--format", "github")
    one_line_exit_2(args, capsys, "$GITHUB_STEP_SUMMARY")


def test_owner_output_dir_under_a_file(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "afile").write_text("x")
    args = ["owner", "24681357@N02", str(manifest), "--offline"]
    args += ["--output-dir", str(tmp_path / "afile" / "me")]
    one_line_exit_2(args, capsys, "is a file, not a folder")


def test_publish_lookup_out_under_a_file(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "afile").write_text("x")
    args = ["publish-lookup", str(manifest), "--out", str(tmp_path / "afile" / "site")]
    one_line_exit_2(args, capsys, "is a file, not a folder")


@pytest.mark.parametrize("name", ["-", "/dev/stdin"])
def test_standard_input_that_is_a_file_is_not_overwritten(
    manifest: Path, tmp_path: Path, name: str
) -> None:
    before = manifest.read_bytes()
    with manifest.open("rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "auditor", "manifest", name, "-o", str(manifest)],
            stdin=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
    assert done.returncode == EXIT_USAGE, done.stderr
    assert "would overwrite the input" in done.stderr
    assert manifest.read_bytes() == before


def test_the_state_file_is_kept_apart(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("")
    out = tmp_path / "out"
    args = audit_args(manifest, out, "--waivers", str(waivers), "--state", str(waivers))
    option_error(args, capsys, "is also --waivers")
    assert waivers.read_text() == ""
    option_error(audit_args(manifest, out, "--state", str(manifest)), capsys, "a manifest")
    out.mkdir()
    args = audit_args(manifest, out, "--state", str(out / "state.sqlite"))
    option_error(args, capsys, "in the report folder")


def test_publish_lookup_never_replaces_a_folder_holding_an_input(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    code, _, err = run_cli(["publish-lookup", str(manifest), "--out", str(site)], capsys)
    assert code == 0, err
    kept = site / "photos" / "keep" / "manifest.csv"  # an input kept inside the built site
    kept.parent.mkdir(parents=True)
    shutil.copyfile(manifest, kept)
    args = ["publish-lookup", str(kept), "--out", str(site)]
    one_line_exit_2(args, capsys, "would replace the folder holding the input")
    assert kept.read_bytes() == manifest.read_bytes()


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("--rate-limit", "nan", "at least 1"),
        ("--rate-limit", "inf", "at least 1"),
        ("--rate-limit", "1e-300", "at least 1"),
        ("--max-age", "99999999999d", "longer than any age"),
        ("--api-url", "ftp://example.org/", "http(s) URL"),
        ("--api-url", "http://[::1", "is not a URL"),
        ("--api-url", "http://127.0.0.1:99999/x", "is not a URL"),
    ],
)
def test_live_options_that_cannot_work_are_usage_errors(
    manifest: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: str,
    fragment: str,
) -> None:
    option_error(audit_args(manifest, tmp_path / "out", option, value), capsys, fragment)


def option_error(args: list[str], capsys: pytest.CaptureFixture[str], fragment: str) -> None:
    """click's usage error: exit 2, "Error: Invalid value for --option: ...", no traceback."""
    code, _, err = run_cli(args, capsys)
    assert code == EXIT_USAGE and fragment in err, err
    assert "Traceback" not in err and "internal error" not in err


def test_a_full_disk_without_a_path_is_one_line(
    manifest: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def full(table: object, target: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")  # writing to stdout: no path

    monkeypatch.setattr(auditor.photo_table, "write_photo_table", full)
    one_line_exit_2(["manifest", str(manifest)], capsys, "No space left on device while writing")


def test_debug_shows_the_traceback_and_still_exits_3(
    manifest: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(auditor.manifests.read, "read_manifests", bug)
    code, _, err = run_cli(["--debug", "manifest", str(manifest)], capsys)
    assert code == 3 and "Traceback" in err and "KeyError" in err


# -- writing: whole files, one report set per folder ---------------------------------------------


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
    assert not (tmp_path / "new").exists()  # its missing parents too
    # A parent that holds something else stays.
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "other").write_text("x", encoding="utf-8")
    with pytest.raises(RuntimeError), OutputSet(tmp_path / "kept" / "a" / "b", {"a"}):
        raise RuntimeError
    assert [p.name for p in (tmp_path / "kept").iterdir()] == ["other"]
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
