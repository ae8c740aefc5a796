"""The whole offline audit (read, normalise, evaluate, write reports) on a YFCC100M manifest.

Writes an N-row YFCC100M-format manifest (owners drawn from a pool, as in the real dataset where
100M photos come from about 580k accounts; Creative Commons licences in realistic proportions),
then, each in a fresh process:
- `pandas.read_csv(engine="pyarrow")` alone on the file (the yardstick),
- `flickr-audit audit FILE --policy commercial-training --offline`,
and prints wall time, rows/s, peak RSS and the ratio of the two times. Last, the reports' size
and the time it takes just to write that many bytes (copied and flushed, nothing encoded): most
of a YFCC100M manifest is NonCommercial, so `commercial-training` finds about one finding per
row, and audit.json and findings.csv, which list each with its message, outweigh the manifest.

    python benchmarks/offline_audit.py [--rows 1000000] [--owners 50000]
        [--format yfcc100m|csv|tsv|parquet|jsonl|json]
        [--policy commercial-training] [--keep PATH | --manifest PATH] [--repeat N]

`--format` other than yfcc100m writes an ordinary manifest (static image URL, owner NSID,
Flickr licence id, title) in that format and compares the audit with the matching pandas
reader (read_csv, read_parquet, read_json).

The times are noisy on a shared machine (read_csv's above all: 0.5 s with the file cached and
the machine quiet, 1.7 s under load); `--repeat 5` shows the fastest of five runs of each, and
the ratio of each audit to the read_csv run just before it, with their median.

The audit reads the manifest in chunks (`auditor.pipeline`), so its peak RSS stays bounded as
the manifest grows (`--rows 20000000` writes a 6.7 GB file): the chunks, the findings and
audit.json's rows kept for the reports up to their memory budgets (`report.spool`,
`report.write`), plus about 20 bytes per distinct photo id for duplicate detection.

Each step also reports its CPU time (user + system): on a busy machine wall times mostly
measure the other work, CPU times much less so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

LICENCES = [  # (name, URL, weight): roughly YFCC100M's mix of CC licences
    ("Attribution-NonCommercial-ShareAlike License", "by-nc-sa", 0.32),
    ("Attribution-NonCommercial License", "by-nc", 0.17),
    ("Attribution-NonCommercial-NoDerivs License", "by-nc-nd", 0.20),
    ("Attribution License", "by", 0.17),
    ("Attribution-ShareAlike License", "by-sa", 0.09),
    ("Attribution-NoDerivs License", "by-nd", 0.05),
]


def write_yfcc(path: Path, rows: int, owners: int = 50_000) -> None:
    rng = random.Random(1)
    pool = [f"{rng.randrange(10**7, 2 * 10**8)}@N0{rng.randrange(1, 9)}" for _ in range(owners)]
    names = [name for name, _, _ in LICENCES]
    codes = [code for _, code, _ in LICENCES]
    weights = [weight for _, _, weight in LICENCES]
    with path.open("w", encoding="utf-8") as fh:
        for i in range(rows):
            photo_id = 10**9 + i * 37
            nsid = pool[rng.randrange(owners)]
            k = rng.choices(range(len(LICENCES)), weights)[0]
            fields = [
                str(photo_id), nsid, "nick", "2005-03-01 12:39:28.0",
                str(1_100_000_000 + i * 97), "Canon", "Title+here", "A+description",
                "tag1,tag2", "", "-122.28", "47.62", "15",
                f"http://www.flickr.com/photos/{nsid}/{photo_id}/",
                f"http://farm1.staticflickr.com/8/{photo_id}_65c9d45e09.jpg",
                names[k], f"http://creativecommons.org/licenses/{codes[k]}/2.0/",
                "8", "1", "65c9d45e09", "65c9d45e09", "jpg", "0",
            ]  # fmt: skip
            fh.write("\t".join(fields) + "\n")
        # On disk before timing starts: writeback of a file just written slows reading it.
        fh.flush()
        os.fsync(fh.fileno())


# An ordinary manifest (issue 18): the static image URL, the owner's NSID, a Flickr licence id
# and a title, in each generic format.
FORMATS = ("yfcc100m", "csv", "tsv", "parquet", "jsonl", "json")
SUFFIXES = {"yfcc100m": "tsv", "csv": "csv", "tsv": "tsv", "parquet": "parquet"}
SUFFIXES |= {"jsonl": "jsonl", "json": "json"}


def _ordinary_rows(rows: int, owners: int, start: int = 0) -> list[tuple[str, str, int, str]]:
    rng = random.Random(start + 1)
    pool = [f"{10**7 + (n * 7919) % (19 * 10**7)}@N0{1 + n % 8}" for n in range(owners)]
    out = []
    for i in range(start, start + rows):
        photo_id = 10**9 + i * 37
        url = f"https://farm1.staticflickr.com/8/{photo_id}_65c9d45e09.jpg"
        out.append((url, pool[rng.randrange(owners)], rng.choice((1, 2, 3, 4, 5, 6)), "Title"))
    return out


def write_ordinary(path: Path, fmt: str, rows: int, owners: int) -> None:
    """`rows` ordinary manifest rows as `fmt` (csv, tsv, parquet, jsonl or json)."""
    names = ("url", "owner", "license", "title")
    step = 200_000
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([(n, pa.int64() if n == "license" else pa.string()) for n in names])
        with pq.ParquetWriter(path, schema) as writer:
            for start in range(0, rows, step):
                block = _ordinary_rows(min(step, rows - start), owners, start)
                writer.write_table(pa.table(list(zip(*block, strict=True)), schema=schema))
        return
    with path.open("w", encoding="utf-8") as fh:
        if fmt in ("csv", "tsv"):
            sep = "," if fmt == "csv" else "\t"
            fh.write(sep.join(names) + "\n")
        if fmt == "json":
            fh.write("[")
        for start in range(0, rows, step):
            block = _ordinary_rows(min(step, rows - start), owners, start)
            if fmt in ("csv", "tsv"):
                fh.write("".join(f"{u}{sep}{o}{sep}{lic}{sep}{t}\n" for u, o, lic, t in block))
                continue
            records = (json.dumps(dict(zip(names, row, strict=True))) for row in block)
            if fmt == "jsonl":
                fh.write("".join(f"{record}\n" for record in records))
            else:
                fh.write(("," if start else "") + ",".join(records))
        if fmt == "json":
            fh.write("]\n")
        fh.flush()
        os.fsync(fh.fileno())


YARDSTICK = """
import resource, sys, time, json
import pandas as pd
start = time.perf_counter()
path, fmt = sys.argv[1], sys.argv[2]
if fmt == "yfcc100m":
    frame = pd.read_csv(path, sep="\\t", header=None, engine="pyarrow", dtype=str)
elif fmt in ("csv", "tsv"):
    frame = pd.read_csv(path, sep="," if fmt == "csv" else "\\t", engine="pyarrow", dtype=str)
elif fmt == "parquet":
    frame = pd.read_parquet(path)
else:
    frame = pd.read_json(path, lines=fmt == "jsonl", dtype=False)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - start, "rows": len(frame),
                  "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}))
"""


AUDIT = """
import resource, sys, time, json
from auditor.cli import main
start = time.perf_counter()
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - start, "exit": code,
                  "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}))
"""


# The cost of the reports' volume alone: their bytes copied (from the page cache) into new
# files and flushed to disk, as the audit must write them. No encoding, no judging.
WRITE_FLOOR = """
import os, shutil, sys, time, json
from pathlib import Path
source, target = Path(sys.argv[1]), Path(sys.argv[2])
target.mkdir()
start = time.perf_counter()
total, synced = 0, 0.0
for path in sorted(source.iterdir()):
    with path.open("rb") as src, (target / path.name).open("wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        before = time.perf_counter()
        os.fsync(dst.fileno())
        synced += time.perf_counter() - before
    total += path.stat().st_size
print(json.dumps({"seconds": time.perf_counter() - start, "fsync": synced, "mib": total / 2**20}))
"""


READERS = {
    "yfcc100m": "read_csv(engine='pyarrow')",
    "csv": "read_csv(engine='pyarrow')",
    "tsv": "read_csv(engine='pyarrow')",
    "parquet": "read_parquet",
    "jsonl": "read_json(lines=True)",
    "json": "read_json",
}


def run_child(code: str, args: list[str]) -> dict[str, float]:
    """Run `code` in a fresh interpreter; it prints its figures as JSON on stdout."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"benchmark step failed:\n{result.stderr}")
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--owners",
        type=int,
        default=50_000,
        help="photographers the rows are drawn from (YFCC100M has about 580,000)",
    )
    parser.add_argument("--policy", default="commercial-training")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="yfcc100m",
        help="the manifest's format: YFCC100M's 23 columns, or an ordinary manifest (URL, "
        "owner, licence id, title) as csv, tsv, parquet, jsonl or json",
    )
    parser.add_argument("--keep", type=Path, help="write the manifest here and keep it")
    parser.add_argument(
        "--manifest", type=Path, help="time this manifest (written by --keep before) instead"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="run each N times and show the fastest run"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        name = f"manifest.{SUFFIXES[args.format]}"
        manifest = args.manifest or args.keep or Path(tmp) / name
        if args.manifest is None and args.format == "yfcc100m":
            write_yfcc(manifest, args.rows, args.owners)
        elif args.manifest is None:
            write_ordinary(manifest, args.format, args.rows, args.owners)
        elif args.format == "yfcc100m":  # rows as the file has them
            with manifest.open("rb") as handle:
                args.rows = sum(1 for _ in handle)
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, date {date.today().isoformat()}, rows {args.rows:,}, "
            f"format {args.format}"
        )
        size = manifest.stat().st_size / 2**20
        reads, audits = [], []
        command = ["audit", str(manifest), "--policy", args.policy, "--offline"]
        command += ["--output-dir", str(Path(tmp) / "reports")]
        for _ in range(max(args.repeat, 1)):
            reads.append(run_child(YARDSTICK, [str(manifest), args.format]))
            audits.append(run_child(AUDIT, command))
        read = min(reads, key=lambda figures: figures["seconds"])
        audit = min(audits, key=lambda figures: figures["seconds"])
        floors = [
            run_child(WRITE_FLOOR, [str(Path(tmp) / "reports"), str(Path(tmp) / f"copy{i}")])
            for i in range(max(args.repeat, 1))
        ]
        floor = min(floors, key=lambda figures: figures["seconds"])
    rate = args.rows / audit["seconds"]
    print(f"manifest: {size:,.0f} MiB")
    print(
        f"pandas reader ({READERS[args.format]}): {read['seconds']:.2f} s "
        f"(process CPU {read['cpu']:.2f} s), peak RSS {read['peak_mib']:,.0f} MiB"
    )
    print(
        f"offline audit ({args.policy}): {audit['seconds']:.2f} s, {rate:,.0f} rows/s "
        f"(process CPU {audit['cpu']:.2f} s), peak RSS {audit['peak_mib']:,.0f} MiB"
    )
    print(f"ratio audit / pandas reader: {audit['seconds'] / read['seconds']:.1f}")
    if len(reads) > 1:
        # Each audit ran right after its own read_csv: the pairs' ratios show how much of the
        # ratio is the machine's mood (read_csv's time swings most on a shared machine).
        pairs = sorted(a["seconds"] / r["seconds"] for r, a in zip(reads, audits, strict=True))

        def shown(values: list[float]) -> str:
            return ", ".join(f"{value:.2f}" for value in values)

        print(
            f"  per run: {shown(pairs)} (median {statistics.median(pairs):.2f}); "
            f"read_csv {shown([r['seconds'] for r in reads])} s; "
            f"audit {shown([a['seconds'] for a in audits])} s"
        )
    print(
        f"the reports: {floor['mib']:,.0f} MiB; writing that many bytes alone: "
        f"{floor['seconds']:.2f} s (of which fsync {floor['fsync']:.2f} s) = "
        f"{floor['seconds'] / read['seconds']:.1f} x read_csv"
    )


if __name__ == "__main__":
    main()
