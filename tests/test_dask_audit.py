"""`flickr-audit audit --engine dask`: the same findings and counts as the local engine, on a
scheduler with two workers started here on 127.0.0.1 and on the embedded local cluster."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from cli_run import run_cli
from laion_shards import write_shards

from auditor import cli, dask_audit
from auditor.engine import load_policy
from auditor.errors import EXIT_FINDINGS, EXIT_USAGE
from auditor.pipeline import offline_audit
from auditor.report.findings_parquet import read_findings

pytest.importorskip("distributed", reason="the Dask engine needs pip install '.[dask]'")

ROOT = Path(__file__).resolve().parents[1]
STARTED = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
KEY = ["photo_id", "rule", "source_file", "source_row"]


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """LAION-style Parquet shards, plus CSV and JSON Lines shards of Flickr pages with owners
    (names, repeats across shards under another owner) in one folder."""
    folder = tmp_path_factory.mktemp("shards")
    write_shards(folder, 3, 300, photos=200)
    rows = [
        (f"https://www.flickr.com/photos/{owner}/{10_000_000 + i % 50}/", name, licence)
        for i, (owner, name, licence) in enumerate(
            [("1001@N01", "Ann", "Attribution-NonCommercial License"), ("bob", None, "?")] * 60
        )
    ]
    pd.DataFrame(rows[:70], columns=["photo_url", "author", "license"]).to_csv(
        folder / "00003.csv", index=False
    )
    pd.DataFrame(rows[70:], columns=["photo_url", "author", "license"]).to_json(
        folder / "00004.jsonl", orient="records", lines=True
    )
    return folder


@pytest.fixture(scope="module")
def local_reports(shards: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local") / "out"
    code, _, err = _cli(["audit", str(shards), "--offline", "--output-dir", str(out)])
    assert code == EXIT_FINDINGS, err
    return out


def _cli(args: list[str]) -> tuple[int, str, str]:
    """Run the CLI in-process where capsys is not at hand (module-scoped fixtures)."""
    with pytest.raises(SystemExit) as exited:
        cli.main(args)
    code = exited.value.code
    return (code if isinstance(code, int) else 0), "", ""


def _dask_args(shards: Path, *more: str) -> list[str]:
    return ["audit", str(shards), "--engine", "dask", *more]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `dask scheduler` and two `dask worker`s on 127.0.0.1, stopped at the end."""
    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    if dask is None:
        pytest.skip("the dask command is not installed (pip install '.[dask]')")
    folder = tmp_path_factory.mktemp("cluster")
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = {**os.environ, "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED": "error"}
    common = ["--no-dashboard"]
    logs = [(folder / f"{name}.log").open("wb") for name in ("scheduler", "worker0", "worker1")]
    started = [
        subprocess.Popen(
            [
                dask,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                address.rsplit(":", 1)[1],
                *common,
            ],
            stdout=subprocess.DEVNULL,
            stderr=logs[0],
            env=env,
        )
    ]
    try:
        for number in range(2):
            started.append(
                subprocess.Popen(
                    [
                        dask,
                        "worker",
                        address,
                        "--host",
                        "127.0.0.1",
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--name",
                        f"w{number}",
                        *common,
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=logs[1 + number],
                    env=env,
                    cwd=folder,
                )
            )
        _wait_for_workers(address, 2)
        yield address
    finally:
        for process in reversed(started):
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


def _wait_for_workers(address: str, count: int) -> None:
    from distributed import Client

    deadline = time.monotonic() + 120
    with Client(address, timeout=60, set_as_default=False) as client:
        while len(client.scheduler_info(n_workers=-1)["workers"]) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} Dask workers did not start within 120 s")
            time.sleep(0.5)


def _findings_csv(folder: Path) -> pd.DataFrame:
    frame = pd.read_csv(folder / "findings.csv", dtype=str, keep_default_na=False)
    return frame.drop(columns=[c for c in frame.columns if c == "baseline"])


def _findings_parquet(folder: Path) -> pd.DataFrame:
    table = read_findings(folder / "findings.parquet").to_pandas()
    table["source_row"] = table["source_row"].astype("Int64").astype("str").replace("<NA>", "")
    table["waived"] = table["waived"].map({True: "true", False: "false"})
    return table.astype("object").where(table.notna(), "").astype("str")


def _same_answers(local: Path, dasked: Path) -> None:
    want, got = _findings_csv(local), _findings_parquet(dasked)
    assert len(got) == len(want)
    assert got[KEY].values.tolist() == want[KEY].values.tolist()
    # Every column (messages name the first listing of duplicates in other shards).
    text = ["rule", "severity", "message", "owner", "owner_name", "recorded_licence"]
    assert got[text].values.tolist() == want[text].values.tolist()
    a = json.loads((local / "audit.json").read_text("utf-8"))
    b = json.loads((dasked / "audit.json").read_text("utf-8"))
    assert b["summary"] == a["summary"]
    assert b["owners"] == a["owners"]
    assert b["waiver_problems"] == a["waiver_problems"]
    assert "findings" not in b
    assert b["findings_dataset"]["path"] == "findings.parquet"
    assert b["findings_dataset"]["rows"] == len(want)
    assert (dasked / "owners.csv").read_bytes() == (local / "owners.csv").read_bytes()
    run_line = re.compile(r"(?m)^- Run: .*$")
    assert run_line.sub("", (dasked / "summary.md").read_text("utf-8")) == run_line.sub(
        "", (local / "summary.md").read_text("utf-8")
    )
    assert not (dasked / "findings.csv").exists()


def test_a_scheduler_with_two_workers_gives_the_local_answers(
    shards: Path,
    local_reports: Path,
    scheduler: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "dask"
    code, _, err = run_cli(
        _dask_args(shards, "--scheduler", scheduler, "--offline", "--output-dir", str(out)),
        capsys,
    )
    assert code == EXIT_FINDINGS, err
    _same_answers(local_reports, out)
    document = json.loads((out / "audit.json").read_text("utf-8"))
    schema = json.loads((ROOT / "docs" / "audit.schema.json").read_text("utf-8"))
    jsonschema.validate(document, schema)
    assert document["summary"]["other_hosts"]
    assert document["summary"]["by_rule"]["duplicate"] > 0
    assert "reports:" in err and "findings.parquet" in err
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_a_bad_shard_is_one_line_or_skipped(
    shards: Path, scheduler: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "bad"
    shutil.copytree(shards, folder)
    (folder / "00002.parquet").write_bytes(b"PAR1 this is not Parquet at all")
    out = tmp_path / "out"
    args = _dask_args(folder, "--scheduler", scheduler, "--offline", "--output-dir", str(out))
    code, _, err = run_cli(args, capsys)
    assert code == EXIT_USAGE
    assert len(err.strip().splitlines()) == 2, err  # the engine's first line, then the error
    assert "00002.parquet" in err.splitlines()[-1] and "--skip-bad-shards" in err
    assert not out.exists() or not any(out.iterdir())
    code, _, err = run_cli([*args, "--skip-bad-shards"], capsys)
    assert code == EXIT_FINDINGS, err
    assert "skipped shard:" in err and "00002.parquet" in err
    document = json.loads((out / "audit.json").read_text("utf-8"))
    assert [s for s in document["findings_dataset"]["skipped_shards"] if "00002" in s]
    files = set(read_findings(out / "findings.parquet").column("source_file").to_pylist())
    assert str(folder / "00002.parquet") not in files and str(folder / "00001.parquet") in files


def test_an_unreachable_scheduler_is_one_line(
    shards: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dask_audit, "DEFAULT_CONNECT_TIMEOUT", 2.0)
    address = f"tcp://127.0.0.1:{_free_port()}"
    code, _, err = run_cli(
        _dask_args(
            shards, "--scheduler", address, "--offline", "--output-dir", str(tmp_path / "out")
        ),
        capsys,
    )
    assert code == EXIT_USAGE
    assert (
        err.strip()
        .splitlines()[-1]
        .startswith(f"flickr-audit: error: cannot reach the Dask scheduler at {address}")
    ), err


def test_the_local_cluster_gives_the_local_answers(
    shards: Path, local_reports: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dask"
    code, _, err = run_cli(
        _dask_args(shards, "--workers", "2", "--offline", "--output-dir", str(out)),
        capsys,
    )
    assert code == EXIT_FINDINGS, err
    _same_answers(local_reports, out)


def test_opt_outs_give_the_local_answers(
    shards: Path, scheduler: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--opt-outs` on Dask: every partition joins the lists, and what they matched adds up
    across partitions (an entry matched in one shard only is not reported unmatched)."""
    listed = tmp_path / "opt-outs.txt"
    listed.write_text("10000003\nbob\n99999999999\n")
    local, dasked = tmp_path / "local", tmp_path / "dask"
    common = ["--offline", "--opt-outs", str(listed)]
    code, _, err = run_cli(["audit", str(shards), *common, "--output-dir", str(local)], capsys)
    assert code == EXIT_FINDINGS, err
    code, _, err = run_cli(
        _dask_args(shards, "--scheduler", scheduler, *common, "--output-dir", str(dasked)), capsys
    )
    assert code == EXIT_FINDINGS, err
    _same_answers(local, dasked)
    found = _findings_parquet(dasked)
    opted = found[found["rule"] == "opt-out"]
    assert set(opted["photo_id"]) >= {"10000003"} and (opted["owner"] == "bob").any()
    summary = json.loads((dasked / "audit.json").read_text("utf-8"))["summary"]["opt_outs"]
    assert summary["unmatched_entries"] == 1
    assert "1 of 3 entries matched no manifest row: line 3 (photo 99999999999)" in err


def test_options_the_dask_engine_does_not_take(
    shards: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for extra in (["--format", "html"], ["--credits", str(tmp_path / "c.csv")]):
        code, _, err = run_cli(
            ["audit", str(shards), "--engine", "dask", "--offline", *extra], capsys
        )
        assert code == EXIT_USAGE and "--engine dask" in err
    code, _, err = run_cli(["audit", str(shards), "--offline", "--workers", "2"], capsys)
    assert code == EXIT_USAGE and "--workers applies to --engine dask" in err


def test_a_yfcc100m_file_in_byte_ranges_gives_the_local_answers(
    scheduler: str, tmp_path: Path
) -> None:
    """A YFCC100M file is cut into byte ranges read by different workers; each cites the
    lines of the whole file, and duplicates are found across ranges."""
    lines = []
    for i in range(300):
        photo = 7_000_000 + (i * 7919) % 180  # repeats, far apart in the file
        fields = [str(photo), f"{1000 + i % 13}@N01", f"nick{i % 13}", "2005-03-01 12:39:28.0",
                  "1100000000", "Canon", "T", "d", "t", "", "", "", "",
                  f"http://www.flickr.com/photos/x/{photo}/", "",
                  ["Attribution-NonCommercial License", "Attribution License"][i % 2],
                  "", "8", "1", "65c9", "65c9", "jpg", "0"]  # fmt: skip
        lines.append("\t".join(fields))
        if i % 97 == 5:
            lines.append("bad\tline")
    path = tmp_path / "yfcc100m_dataset"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    policy = load_policy("commercial-training")
    local = offline_audit([path], policy, tmp_path / "local", started_at=STARTED, tool_version="t")
    dasked = dask_audit.dask_audit(
        [path],
        policy,
        tmp_path / "dask",
        started_at=STARTED,
        tool_version="t",
        scheduler=scheduler,
        range_bytes=path.stat().st_size // 5,
    )
    assert dasked.partitions >= 5
    assert dasked.document["summary"] == local.document["summary"]
    assert dasked.document["owners"] == local.document["owners"]
    assert dasked.files == local.files
    _same_answers(tmp_path / "local", tmp_path / "dask")
