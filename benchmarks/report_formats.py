"""Time each report format of `flickr-audit audit --format` on a large synthetic audit.

Writes an N-row CSV manifest (photos from a pool of owners, mostly NonCommercial and NoDerivs
licences, so most rows get findings), judges it against `commercial-training` once, then times
every writer on that one result and prints the seconds and the size of each file:

    python benchmarks/report_formats.py [--rows 1000000] [--owners 200000]

Not a test: the figures go in closing notes. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import random
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from auditor.audit import AuditOptions, run_audit
from auditor.report import write_reports
from auditor.report.formats import write_files
from auditor.report.github import github_annotations, step_summary
from auditor.report.pause import gc_paused

LICENCES = [("cc-by-nc-2.0", 0.45), ("cc-by-nc-nd-2.0", 0.2), ("cc-by-2.0", 0.2),
            ("cc-by-nd-2.0", 0.05), ("cc-by-sa-2.0", 0.1)]  # fmt: skip


def write_manifest(path: Path, rows: int, owners: int) -> None:
    rng = random.Random(1)
    pool = [f"{rng.randrange(10**7, 2 * 10**8)}@N0{rng.randrange(1, 9)}" for _ in range(owners)]
    slugs = [slug for slug, _ in LICENCES]
    weights = [weight for _, weight in LICENCES]
    with path.open("w", encoding="utf-8") as handle:
        handle.write("photo_id,owner,owner_name,title,license\n")
        for i in range(rows):
            owner = pool[rng.randrange(owners)]
            slug = rng.choices(slugs, weights)[0]
            handle.write(f"{10**9 + 37 * i},{owner},Name {owner[:4]},Photo {i},{slug}\n")


def timed(label: str, step: Callable[[], object]) -> None:
    start = time.perf_counter()
    step()
    print(f"  {label:<34} {time.perf_counter() - start:7.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--owners", type=int, default=200_000)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, date {date.today().isoformat()}, rows {args.rows:,}, "
        f"owners {args.owners:,}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        manifest, out = Path(tmp) / "manifest.csv", Path(tmp) / "reports"
        write_manifest(manifest, args.rows, args.owners)
        start = time.perf_counter()
        # One audit over the whole tables (as any format beyond the record asks for).
        audited = run_audit(
            [manifest],
            "commercial-training",
            AuditOptions(out_dir=Path(tmp) / "audited", formats=("csv",)),
        )
        assert audited.tables is not None
        result = audited.tables
        photos, findings, document = result.photos, result.findings, result.document
        print(
            f"audit: {len(findings):,} findings over {len(photos):,} rows, judged in "
            f"{time.perf_counter() - start:.1f} s; writers:"
        )
        timed(
            "record (audit.json, findings.csv…)",
            lambda: write_reports(out, photos, findings, document),
        )
        for name in ("csv", "html", "sarif", "junit", "parquet"):
            timed(f"--format {name}", functools.partial(write_files, result, [name], out))

        def github() -> None:
            with gc_paused():
                github_annotations(result)
                step_summary(result)

        timed("--format github (with step summary)", github)
        for path in sorted(out.iterdir()):
            print(f"  {path.name:<34} {path.stat().st_size / 2**20:9.1f} MiB")


if __name__ == "__main__":
    main()
