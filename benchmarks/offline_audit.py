"""The whole offline audit (read, normalise, evaluate, write reports) on a YFCC100M manifest.

Writes an N-row YFCC100M-format manifest (owners drawn from a pool, as in the real dataset where
100M photos come from about 580k accounts; Creative Commons licences in realistic proportions),
then, each in a fresh process:
- `pandas.read_csv(engine="pyarrow")` alone on the file (the yardstick),
- `flickr-audit audit FILE --policy commercial-training --offline`,
- the readers alone: the manifest read in the audit's chunks into photo tables (URL -> photo
  id, owner, licence), nothing judged or written,
and prints wall time, rows/s, peak RSS and the ratios to the pandas reader. Both are timed whole,
imports included (the audit imports pandas as the reader does; the reader's share of that is
printed beside it; the auditor is byte-compiled first, as an installed package is), with the
load average before each run. Last, the reports' size
and the time it takes just to write that many bytes (copied and flushed, nothing encoded): most
of a YFCC100M manifest is NonCommercial, so `commercial-training` finds about one finding per
row, and audit.json and findings.csv, which list each with its message, outweigh the manifest.

    python benchmarks/offline_audit.py [--rows 1000000] [--owners 50000]
        [--format yfcc100m|csv|tsv|parquet|jsonl|json]
        [--policy commercial-training] [--keep PATH | --manifest PATH] [--repeat N]
        [--reader-memory-gib 12] [--no-floor]

`--format` other than yfcc100m writes an ordinary manifest (static image URL, owner NSID,
Flickr licence id, title) in that format and compares the audit with the matching pandas
reader (read_csv, read_parquet, read_json).

The times are noisy on a shared machine (read_csv's above all: 0.5 s with the file cached and
the machine quiet, 1.7 s under load); `--repeat 5` shows the fastest of five runs of each, and
the ratio of each audit to the read_csv run just before it, with their median.

The audit reads the manifest in chunks (`auditor.pipeline`), so its peak RSS stays bounded as
the manifest grows (`--rows 20000000` writes a 6.7 GB file): the chunks, the findings kept
for the reports up to their memory budget (`report.spool`), and the duplicate index's
(`engine.listings`: 2M photo ids in memory, the rest on disk).
`benchmarks/first_listings.py` times that index alone.

Each step also reports its CPU time (user + system): on a busy machine wall times mostly
measure the other work, CPU times much less so.
"""

from __future__ import annotations

import argparse
import compileall
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

import auditor
from auditor.pipeline import CHUNK_ROWS

LICENCES = [  # (name, URL, weight): roughly YFCC100M's mix of CC licences
    ("Attribution-NonCommercial-ShareAlike License", "by-nc-sa", 0.32),
    ("Attribution-NonCommercial License", "by-nc", 0.17),
    ("Attribution-NonCommercial-NoDerivs License", "by-nc-nd", 0.20),
    ("Attribution License", "by", 0.17),
    ("Attribution-ShareAlike License", "by-sa", 0.09),
    ("Attribution-NoDerivs License", "by-nd", 0.05),
]


# Upload times (epoch seconds) spread over YFCC100M's years, 2004-2014, however many rows: past
# about 7M rows, `1_100_000_000 + i * 97` ran into the future, and an implausible date is a row
# with a note, which the real dataset does not have.
UPLOADED, UPLOAD_SPAN = 1_080_000_000, 330_000_000


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
                str(UPLOADED + i * 97 % UPLOAD_SPAN), "Canon", "Title+here", "A+description",
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
limit = int(sys.argv[3])
if limit:  # an address-space cap: a reader that needs more fails instead of starving the machine
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
start = time.perf_counter()  # whole process: the audit imports pandas too
import pandas as pd
imported = time.perf_counter() - start
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
print(json.dumps({"seconds": time.perf_counter() - start, "rows": len(frame), "import": imported,
                  "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}))
"""


AUDIT = """
import resource, sys, time, json
start = time.perf_counter()
from auditor.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - start, "exit": code,
                  "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}))
"""


# The readers alone: the manifest read in the audit's chunks and normalised into photo tables
# (URL -> id, owner, licence), as the offline audit does before judging; nothing judged or
# written. Against the pandas reader this is the readers' own ratio, without the reports.
READ_PHOTOS = """
import resource, sys, time, json
start = time.perf_counter()
from auditor.cli import _prefer_jemalloc
import os
_prefer_jemalloc(os.environ)
from auditor.licences import load_catalogue
from auditor.manifests.normalise import LicenceJudge
from auditor.manifests.read import iter_manifest
from auditor.photo_table import build_photo_table
judge = LicenceJudge(load_catalogue())
rows = 0
for piece in iter_manifest(sys.argv[1], chunk_rows=int(sys.argv[2])):
    rows += len(build_photo_table([piece], judge=judge))
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows,
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


def try_child(code: str, args: list[str]) -> dict[str, float] | None:
    """Run `code` in a fresh interpreter; it prints its figures as JSON on stdout. None (and
    why, printed) when it fails: the yardstick over its memory cap."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["killed"])[-1]
        print(f"  (failed: {last[:200]}; exit {result.returncode})", flush=True)
        return None
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def run_child(code: str, args: list[str]) -> dict[str, float]:
    """`try_child`, which must succeed."""
    figures = try_child(code, args)
    if figures is None:
        sys.exit("benchmark step failed")
    return figures


def load() -> str:
    """The machine's load averages (1, 5, 15 min): other work on a shared machine."""
    return "load " + " ".join(f"{value:.2f}" for value in os.getloadavg())


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
    parser.add_argument(
        "--reader-memory-gib",
        type=float,
        default=12.0,
        help="address-space cap of the pandas reader's process (0: none): read_json of a "
        "20M-record file needs more than a shared machine has; it then fails and says so",
    )
    parser.add_argument(
        "--no-floor",
        action="store_true",
        help="skip timing a plain copy of the reports (it needs their size again on disk)",
    )
    args = parser.parse_args()
    # Byte-compiled first, as `pip install` leaves an installed package: with
    # PYTHONDONTWRITEBYTECODE set (as on this machine) every audit process would otherwise
    # compile the auditor's sources again (~0.06 s), which pandas, installed, never does.
    compileall.compile_dir(Path(auditor.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        name = f"manifest.{SUFFIXES[args.format]}"
        manifest = args.manifest or args.keep or Path(tmp) / name
        if args.manifest is None and args.format == "yfcc100m":
            write_yfcc(manifest, args.rows, args.owners)
        elif args.manifest is None:
            write_ordinary(manifest, args.format, args.rows, args.owners)
        given = args.manifest is not None  # its rows are counted by the readers alone
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, date {date.today().isoformat()}, "
            f"rows {'as the file has them' if given else format(args.rows, ',')}, "
            f"format {args.format}"
        )
        size = manifest.stat().st_size / 2**20
        reads, audits, readers = [], [], []
        command = ["audit", str(manifest), "--policy", args.policy, "--offline"]
        command += ["--output-dir", str(Path(tmp) / "reports")]
        cap = str(int(args.reader_memory_gib * 2**30))
        for _ in range(max(args.repeat, 1)):
            print(f"pandas reader: {load()}", flush=True)
            reads.append(try_child(YARDSTICK, [str(manifest), args.format, cap]))
            print(f"audit: {load()}", flush=True)
            audits.append(run_child(AUDIT, command))
            print(f"readers alone: {load()}", flush=True)
            readers.append(run_child(READ_PHOTOS, [str(manifest), str(CHUNK_ROWS)]))
        done = [figures for figures in reads if figures is not None]
        read = min(done, key=lambda figures: figures["seconds"]) if done else None
        audit = min(audits, key=lambda figures: figures["seconds"])
        alone = min(readers, key=lambda figures: figures["seconds"])
        floors = [
            run_child(WRITE_FLOOR, [str(Path(tmp) / "reports"), str(Path(tmp) / f"copy{i}")])
            for i in range(0 if args.no_floor else max(args.repeat, 1))
        ]
        floor = min(floors, key=lambda figures: figures["seconds"]) if floors else None
    rows = int(alone["rows"]) if given else args.rows
    rate = rows / audit["seconds"]
    print(f"manifest: {size:,.0f} MiB, {rows:,} rows; {load()}")
    if read is None:
        print(
            f"pandas reader ({READERS[args.format]}): could not run within "
            f"{args.reader_memory_gib:g} GiB of address space"
        )
    else:
        print(
            f"pandas reader ({READERS[args.format]}): {read['seconds']:.2f} s, of which "
            f"import pandas {read['import']:.2f} s (process CPU {read['cpu']:.2f} s), "
            f"peak RSS {read['peak_mib']:,.0f} MiB"
        )
    print(
        f"offline audit ({args.policy}): {audit['seconds']:.2f} s, {rate:,.0f} rows/s "
        f"(process CPU {audit['cpu']:.2f} s), peak RSS {audit['peak_mib']:,.0f} MiB"
    )
    if read is not None:
        print(f"ratio audit / pandas reader: {audit['seconds'] / read['seconds']:.1f}")
    print(
        f"readers alone (read in the audit's chunks into photo tables, nothing judged or "
        f"written): {alone['seconds']:.2f} s (process CPU {alone['cpu']:.2f} s), peak RSS "
        f"{alone['peak_mib']:,.0f} MiB"
        + (f"; ratio to the pandas reader {alone['seconds'] / read['seconds']:.1f}" if read else "")
    )
    if len(done) > 1 and len(done) == len(audits):
        # Each audit ran right after its own read_csv: the pairs' ratios show how much of the
        # ratio is the machine's mood (read_csv's time swings most on a shared machine).
        pairs = sorted(a["seconds"] / r["seconds"] for r, a in zip(done, audits, strict=True))

        def shown(values: list[float]) -> str:
            return ", ".join(f"{value:.2f}" for value in values)

        print(
            f"  per run: {shown(pairs)} (median {statistics.median(pairs):.2f}); "
            f"reader {shown([r['seconds'] for r in done])} s; "
            f"audit {shown([a['seconds'] for a in audits])} s; "
            f"audit CPU {shown([a['cpu'] for a in audits])} s"
        )
    if floor is not None and read is not None:
        print(
            f"the reports: {floor['mib']:,.0f} MiB; writing that many bytes alone: "
            f"{floor['seconds']:.2f} s (of which fsync {floor['fsync']:.2f} s) = "
            f"{floor['seconds'] / read['seconds']:.1f} x the pandas reader"
        )


if __name__ == "__main__":
    main()
