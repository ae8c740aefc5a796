"""The offline audit of LAION-style shards: the local engine against Dask's LocalCluster.

Writes N rows in S LAION-style Parquet shards (`tests/laion_shards.py`: URL, TEXT, WIDTH,
HEIGHT, LICENSE, NSFW, similarity; a third of the rows Flickr static URLs, the rest other image
hosts; photo ids repeat across shards), then audits them, each in a fresh process:
- `--engine local`: `flickr-audit audit SHARDS --offline` (the streaming pipeline);
- `--engine dask`: the same on a `distributed.LocalCluster` of `--workers` processes;
and prints wall time, rows/s, CPU time and peak RSS (the driver's, and each Dask worker's),
the ratio of the two wall times, and whether the two audits agree (summary and owners).

    python benchmarks/sharded_audit.py [--rows 20000000] [--shards 40] [--workers 2]
        [--policy commercial-training] [--keep DIR | --data DIR]

On a 2-core machine the two engines use the same two cores: the local engine reads the next
chunk in a thread while it judges this one, the Dask engine runs one partition per worker. The
Dask engine pays for the cluster start, a shuffle of the photo-id keys and writing each
partition's photo table to disk between its two passes; what it buys is that the work spreads
over as many machines as the cluster has, each worker holding one partition's chunk at a time
(its peak RSS is bounded by the partition size, not the dataset's).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from laion_shards import write_shards

_LOCAL = r"""
import json, resource, sys, time
from auditor.cli import main
start = time.perf_counter()
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - start, "exit": code,
                  "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}))
"""

_DASK = r"""
import json, resource, sys, time
from datetime import UTC, datetime
from pathlib import Path
from auditor.dask_audit import dask_audit
from auditor.engine import load_policy
from auditor.manifests.shards import expand_shards
if __name__ == "__main__":
    shards, out, policy, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    start = time.perf_counter()
    done = dask_audit(expand_shards([shards]), load_policy(policy), Path(out),
                      started_at=datetime.now(UTC), tool_version="bench", workers=workers)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"seconds": seconds, "partitions": done.partitions,
                      "cpu": usage.ru_utime + usage.ru_stime + children.ru_utime
                      + children.ru_stime, "peak_mib": usage.ru_maxrss / 1024,
                      "workers_peak_mib": done.worker_peak_mib}))
"""


def _child(code: str, args: list[str]) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0 or not result.stdout.strip():
        raise SystemExit(f"benchmark child failed:\n{result.stderr[-3000:]}")
    parsed: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


def _agree(local: Path, dasked: Path) -> bool:
    a = json.loads((local / "audit.json").read_text("utf-8"))
    b = json.loads((dasked / "audit.json").read_text("utf-8"))
    return a["summary"] == b["summary"] and a["owners"] == b["owners"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--shards", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--policy", default="commercial-training")
    parser.add_argument("--keep", type=Path, help="write the shards here and keep them")
    parser.add_argument("--data", type=Path, help="audit these shards (from --keep) instead")
    args = parser.parse_args()
    print(
        f"{date.today()} {platform.node()} {platform.machine()}, {os.cpu_count()} CPU(s), "
        f"Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory(prefix="sharded-audit-") as temp:
        folder = args.data or args.keep or Path(temp) / "shards"
        if args.data is None:
            start = time.perf_counter()
            write_shards(folder, args.shards, args.rows // args.shards)
            print(
                f"wrote {args.rows:,} rows in {args.shards} shards in {folder} "
                f"({time.perf_counter() - start:.0f} s)"
            )
        rows = args.rows
        local_out, dask_out = Path(temp) / "local", Path(temp) / "dask"
        local = _child(
            _LOCAL,
            [
                "audit",
                str(folder),
                "--offline",
                "--policy",
                args.policy,
                "--output-dir",
                str(local_out),
            ],
        )
        dask = _child(_DASK, [str(folder), str(dask_out), args.policy, str(args.workers)])
        for name, run in (("local", local), (f"dask ({args.workers} workers)", dask)):
            seconds = float(run["seconds"])  # type: ignore[arg-type]
            print(
                f"{name:>18}: {seconds:7.1f} s wall, {rows / seconds:10,.0f} rows/s, "
                f"{float(run['cpu']):7.1f} s CPU, driver peak RSS {float(run['peak_mib']):6.0f} MiB"  # type: ignore[arg-type]
            )
        workers = dask["workers_peak_mib"]
        assert isinstance(workers, dict)
        for worker, peak in sorted(workers.items()):
            print(f"{'':>18}  worker {worker}: peak RSS {peak:.0f} MiB")
        ratio = float(dask["seconds"]) / float(local["seconds"])  # type: ignore[arg-type]
        print(f"dask / local wall time: {ratio:.2f}x (target: within 1.3x on 2 cores)")
        print(f"same summary and owners: {_agree(local_out, dask_out)}")


if __name__ == "__main__":
    main()
