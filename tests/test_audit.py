"""run_audit: the one entry point, the usable photos first, and one report set per run."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import auditor.report.html
from auditor.audit import AuditOptions, AuditProgress, run_audit, streams
from auditor.errors import AuditorError
from auditor.outputs import STAGING_PREFIX
from auditor.report.formats import RECORD_FILES
from auditor.resources import example_manifest

ALL_FORMATS = ("json", "csv", "md", "html", "sarif", "junit", "parquet")


@pytest.mark.realdata
def test_coco_val_under_commercial_training(realdata: Path, tmp_path: Path) -> None:
    """The issue's acceptance: 25 of 79 photos usable, the same figure in every report."""
    manifest = realdata / "coco_mini_2017" / "captions_val2017.json"
    result = run_audit(
        [manifest], "commercial-training", AuditOptions(out_dir=tmp_path, formats=("html",))
    )
    sentence = "25 of 79 photos usable for commercial-training"
    assert result.headline.startswith(sentence)
    assert (result.usable_photos, result.photos) == (25, 79)
    document = json.loads((tmp_path / "audit.json").read_text(encoding="utf-8"))
    assert document["summary"]["usable_photos"] == 25
    assert document["summary"]["photos_with_errors"] == 54
    assert (tmp_path / "summary.md").read_text(encoding="utf-8").startswith(f"# {sentence}")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert re.search(rf'<h1 id="answer">{sentence} by the licences the manifests record</h1>', html)
    # Findings count rows: 79 error findings, but 25 usable photos.
    assert document["summary"]["findings"]["error"] == 79


def test_usable_photos_count_photos_not_rows(write, tmp_path: Path) -> None:
    """A photo listed twice with errors is one unusable photo; a waived error leaves it usable;
    a warning does not make a photo unusable."""
    manifest = write(
        "m.csv",
        "photo_id,owner,license\n"
        "1,ann,cc-by-nc-2.0\n"  # error
        "1,ann,cc-by-nc-2.0\n"  # the same photo again (and a duplicate finding)
        "2,ann,cc-by-2.0\n"  # usable
        "3,bob,cc-by-nc-2.0\n"  # error, waived below
        "4,bob,cc-by-nd-2.0\n",  # error
    )
    waivers = write(
        "w.yaml",
        "- rule: non-commercial\n  photo_id: 3\n  reason: r\n  approved_by: me\n  expires: never\n",
    )
    for formats in (("json",), ("json", "csv")):  # streamed, and over whole tables
        out = tmp_path / "-".join(formats)
        result = run_audit(
            [manifest],
            "commercial-training",
            AuditOptions(out_dir=out, formats=formats, waivers=waivers),
        )
        summary = result.document["summary"]
        assert (summary["photos"], summary["usable_photos"], summary["photos_with_errors"]) == (
            4,
            2,
            2,
        )
        owners = {o["owner"]: o for o in result.document["owners"]}
        assert (owners["ann"]["usable_photos"], owners["ann"]["photos_with_errors"]) == (1, 1)
        assert (owners["bob"]["usable_photos"], owners["bob"]["photos_with_errors"]) == (1, 1)
        table = pd.read_csv(out / "owners.csv", dtype=str)
        assert table.loc[table["owner"] == "ann", "usable_photos"].tolist() == ["1"]


def test_the_path_is_chosen_by_what_is_asked() -> None:
    assert streams(AuditOptions())
    assert streams(AuditOptions(formats=("json", "md")))
    assert not streams(AuditOptions(formats=("html",)))
    assert not streams(AuditOptions(formats=("csv", "sarif")))
    assert not streams(AuditOptions(baseline=Path("audit.json")))
    assert not streams(AuditOptions(credits=Path("credits.md")))
    # One row per photo row or per finding: written in pieces as the chunks come.
    assert streams(AuditOptions(formats=("json", "csv", "parquet")))


def test_csv_and_parquet_streamed_are_the_files_of_the_whole_tables(tmp_path: Path) -> None:
    streamed_dir, whole_dir = tmp_path / "s", tmp_path / "w"
    formats = ("csv", "parquet")
    streamed = run_audit(
        [], "commercial-training", AuditOptions(out_dir=streamed_dir, formats=formats)
    )
    assert streamed.tables is None  # the chunked path
    # html needs the whole tables; csv and parquet then come from their whole-table writers.
    options = AuditOptions(out_dir=whole_dir, formats=(*formats, "html"))
    whole = run_audit([], "commercial-training", options)
    assert whole.tables is not None
    extra = {"photos.csv", "findings.parquet", "photos.parquet"}
    assert {p.name for p in streamed.written} == {*RECORD_FILES, *extra}
    assert {p.name for p in streamed_dir.iterdir()} == {*RECORD_FILES, *extra}
    photos_csv = (streamed_dir / "photos.csv").read_bytes()
    assert photos_csv == (whole_dir / "photos.csv").read_bytes()
    for name in ("findings.parquet", "photos.parquet"):
        got, want = pq.read_table(streamed_dir / name), pq.read_table(whole_dir / name)
        assert got.schema == want.schema
        assert got.num_rows > 0
        assert got.to_pandas().equals(want.to_pandas())


def _digests(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.iterdir())
    }


def test_a_run_after_a_run_with_more_formats_leaves_no_file_of_the_first(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    first = run_audit([], "commercial-training", AuditOptions(out_dir=out, formats=ALL_FORMATS))
    assert {p.name for p in first.written} == {p.name for p in out.iterdir()}
    assert {"report.html", "junit.xml", "findings.parquet"} <= {p.name for p in out.iterdir()}
    (out / "my-notes.txt").write_text("not a report", encoding="utf-8")
    second = run_audit([], "research-training", AuditOptions(out_dir=out))
    assert sorted(p.name for p in out.iterdir()) == [
        "audit.json",
        "findings.csv",
        "my-notes.txt",
        "owners.csv",
        "summary.md",
    ]
    assert [p.name for p in second.written] == [
        "audit.json",
        "findings.csv",
        "owners.csv",
        "summary.md",
    ]
    assert json.loads((out / "audit.json").read_text())["run"]["policy"] == "research-training"


def test_a_failing_run_leaves_the_earlier_set_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "reports"
    run_audit([], "commercial-training", AuditOptions(out_dir=out, formats=("html", "junit")))
    before = _digests(out)

    def broken(*args: object) -> list[Path]:
        raise RuntimeError("the writer broke")

    monkeypatch.setattr(auditor.report.html, "write_html", broken)
    with pytest.raises(RuntimeError):
        run_audit([], "research-training", AuditOptions(out_dir=out, formats=("html",)))
    assert _digests(out) == before  # the earlier set, whole; nothing of the failed run


def test_an_output_that_is_an_input_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    manifest = out / "findings.csv"
    manifest.write_bytes(example_manifest().read_bytes())
    with pytest.raises(AuditorError, match="would overwrite the input"):
        run_audit([manifest], "commercial-training", AuditOptions(out_dir=out))
    assert manifest.read_bytes() == example_manifest().read_bytes()


def test_a_refused_manifest_leaves_no_empty_report_folder(tmp_path: Path) -> None:
    manifest = tmp_path / "bad.csv"
    manifest.write_text("a,b\n1,2\n", encoding="utf-8")
    out = tmp_path / "reports" / "bad"
    # The chunked path, and the whole-table path (which --credits takes).
    for options in (AuditOptions(out_dir=out), AuditOptions(out_dir=out, credits=out / "c.csv")):
        assert streams(options) is (options.credits is None)
        with pytest.raises(AuditorError, match="no column of Flickr photo ids"):
            run_audit([manifest], "commercial-training", options)
        assert [p.name for p in tmp_path.iterdir()] == ["bad.csv"]


def test_progress_reports_rows_and_bytes_of_the_manifests(write, tmp_path: Path) -> None:
    lines = "".join(f"https://flickr.com/photos/x/{1000 + i}\n" for i in range(300))
    manifest = write("urls.txt", lines)
    calls: list[tuple[int, int, int]] = []
    run_audit(
        [manifest, manifest],
        "commercial-training",
        AuditOptions(
            out_dir=tmp_path / "out",
            chunk_rows=100,
            progress=AuditProgress(rows=lambda *call: calls.append(call)),
        ),
    )
    assert calls, "no progress reported"
    rows, _, total = calls[-1]
    assert rows == 600 and total == 2 * manifest.stat().st_size
    assert [call[0] for call in calls] == sorted(call[0] for call in calls)
    assert all(0 <= call[1] <= call[2] for call in calls)


# -- the command line: interruptions and start-up -------------------------------------------------


def _manifest(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("photo_id,owner,license\n")
        for i in range(rows):
            handle.write(f"{10**9 + i},{i % 500}@N01,cc-by-nc-2.0\n")
    return path


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "auditor", *args]


def _handles_signals(pid: int) -> bool:
    """Whether the process has installed its own SIGTERM handler (Linux: /proc's SigCgt), that
    is, whether the command's first statements have run. Before that the interpreter is still
    starting (about 20 ms) and no program can handle a signal its own way."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return True  # gone already
    caught = int(re.search(r"SigCgt:\s*([0-9a-f]+)", status)[1], 16)  # type: ignore[index]
    return bool(caught >> (signal.SIGTERM - 1) & 1)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_audit_leaves_the_earlier_set_whole(tmp_path: Path, signum: int) -> None:
    """Ctrl-C or SIGTERM at any moment from the command's first statement (while the heavy
    libraries load, while reading, judging, writing): exit 130 and one line, never a traceback,
    the earlier set whole and nothing half-written."""
    manifest = _manifest(tmp_path / "big.csv", 150_000)
    out = tmp_path / "reports"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        _cli("audit", str(manifest), "--offline", "--output-dir", str(out), "--format", "html"),
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    before = _digests(out)
    assert "report.html" in before
    interrupted = 0
    for delay in (0.0, 0.05, 0.2, 0.5, 1.0, 2.0, 3.0):
        process = subprocess.Popen(
            _cli("audit", str(manifest), "--offline", "--output-dir", str(out)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        while not _handles_signals(process.pid):
            time.sleep(0.001)
        time.sleep(delay)
        process.send_signal(signum)
        _, err = process.communicate(timeout=120)
        assert "Traceback" not in err, (delay, err)
        if process.returncode in (1, -signum):
            # Finished before the signal came (or it came while the interpreter shut down,
            # after the run had ended, and killed it there): a new whole set.
            assert set(_digests(out)) == {"audit.json", "findings.csv", "owners.csv", "summary.md"}
            before = _digests(out)
            continue
        assert process.returncode == 130, (delay, process.returncode, err)
        interrupted += 1
        assert len(err.strip().splitlines()) == 1, err
        assert "interrupted" in err
        now = _digests(out)
        if now != before:
            # The signal came while this run's set was being moved in (signals are held then):
            # its set, whole, replaced the earlier one.
            assert set(now) == {"audit.json", "findings.csv", "owners.csv", "summary.md"}, delay
            json.loads((out / "audit.json").read_text(encoding="utf-8"))
            before = now
        assert not [p for p in out.iterdir() if p.name.startswith((STAGING_PREFIX, "."))]
    assert interrupted >= 3


def test_version_and_help_load_no_heavy_library() -> None:
    """`--version` and `--help` import neither pandas nor pyarrow nor requests (they take
    about a second to load; the answer should take a fraction of that)."""
    probe = (
        "import sys\n"
        "from auditor import cli\n"
        "for args in (['--version'], ['--help'], ['audit', '--help']):\n"
        "    try:\n"
        "        cli.main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted({'pandas', 'pyarrow', 'requests', 'numpy'} & set(sys.modules))\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "HEAVY []" in done.stdout, done.stdout
    assert "--format" in done.stdout and "parquet" in done.stdout


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal (POSIX)")
def test_an_offline_audit_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    import fcntl
    import termios

    manifest = _manifest(tmp_path / "m.csv", 250_000)  # two chunks
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = _cli("audit", str(manifest), "--offline", "--output-dir", str(tmp_path / "out"))
    terminal, secondary = os.openpty()
    # A terminal 120 columns wide (a new pseudo-terminal has none, and the bar would be cut).
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=secondary, env=env)
    os.close(secondary)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(terminal, 65536)
        except OSError:  # EIO: the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(terminal)
    assert process.wait(timeout=120) == 1
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert "reading" in shown and "rows/s" in shown, shown
    assert "0 of 250000 photos usable" in shown  # all NonCommercial: none usable
    # Not a terminal: no bar, only the summary.
    quiet = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert "reading" not in quiet.stderr and "rows/s" not in quiet.stderr
    assert quiet.stderr.startswith("0 of 250000 photos usable")
