"""The duplicate index alone (`engine.listings.FirstListings`): CPU seconds and peak RSS.

Feeds N photo ids in chunks of 200,000 rows, as the offline pipeline does (observe, then flag
the rows with an error finding: about 80 % in a YFCC100M-like manifest), then counts the flagged
photos. `--repeats F`: that fraction of each chunk's rows names a photo of an earlier chunk
(the lookups on disk), under the same owner. Each setting runs in a fresh process:
- `memory`: every key in memory (`memory_keys` above N: the index before runs went to disk),
- `disk`: the default budget (`listings.MEMORY_KEYS`), runs past it on disk.

    python benchmarks/first_listings.py [--rows 20000000] [--repeats 0.0]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = """
import contextlib, json, resource, sys, time
import numpy as np, pandas as pd
from auditor.engine.listings import MEMORY_KEYS, FirstListings
rows, repeats, memory = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "memory"
chunk = 200_000
rng = np.random.default_rng(1)
files = pd.Series(["manifest.csv"] * chunk, dtype="str")
cpu = 0.0
with contextlib.closing(FirstListings(rows + 1 if memory else MEMORY_KEYS)) as listings:
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        ids = 10**9 + (start + np.arange(n, dtype=np.int64)) * 37
        again = rng.random(n) < repeats if start else np.zeros(n, dtype=bool)
        ids[again] = 10**9 + rng.integers(0, start or 1, int(again.sum())) * 37
        photo_ids = pd.Series(ids.astype(str), dtype="str")  # the audit's ids are text
        owners = ids // 37 % 50_000  # a photo keeps its owner when listed again
        before = time.process_time()
        listed = listings.observe(photo_ids, owners, files[:n], np.arange(n) + start + 2)
        listings.flag(listed, np.flatnonzero(rng.random(n) < 0.8))
        cpu += time.process_time() - before
    before = time.process_time()
    listings.flagged(50_000)
    cpu += time.process_time() - before
    photos = listings.photos
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"cpu": cpu, "photos": photos, "peak_mib": usage.ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--repeats", type=float, default=0.0)
    args = parser.parse_args()
    print(f"rows {args.rows:,}, repeats {args.repeats:.0%}")
    for setting in ("memory", "disk"):
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(args.rows), str(args.repeats), setting],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        print(
            f"{setting}: index CPU {figures['cpu']:.2f} s, peak RSS {figures['peak_mib']:,.0f} "
            f"MiB, {figures['photos']:,} photos (load {load})",
            flush=True,
        )


if __name__ == "__main__":
    main()
