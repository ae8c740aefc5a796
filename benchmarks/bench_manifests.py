"""How fast, and in how much memory, manifests are read into the photo table.

Generates realistic manifests of N rows in a temporary folder (generic CSV with page URLs and
licence names, COCO JSON, YFCC100M TSV, Openverse CSV, Parquet, and the file-name manifests of
issue 12: Flickr8k's caption-token TSV and NUS-WIDE's image list), then reads each in a fresh
process and prints rows per second and the process's peak resident memory.

    python benchmarks/bench_manifests.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

LICENCES = [
    ("Attribution-NonCommercial License", "https://creativecommons.org/licenses/by-nc/2.0/"),
    ("Attribution License", "https://creativecommons.org/licenses/by/2.0/"),
    (
        "Attribution-NonCommercial-NoDerivs License",
        "https://creativecommons.org/licenses/by-nc-nd/2.0/",
    ),
    ("Public Domain Mark", "https://creativecommons.org/publicdomain/mark/1.0/"),
]


def _photo(rng: random.Random) -> tuple[int, str, int]:
    return (
        rng.randrange(10**9, 6 * 10**10),
        f"{rng.randrange(10**7, 2 * 10**8)}@N0{rng.randrange(1, 9)}",
        rng.randrange(4),
    )


def make_csv(path: Path, rows: int, rng: random.Random) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["photo_url", "author", "title", "license", "license_url", "date_crawled"])
        for _ in range(rows):
            pid, nsid, lic = _photo(rng)
            name, url = LICENCES[lic]
            out.writerow(
                [
                    f"https://www.flickr.com/photos/{nsid}/{pid}/",
                    "Some Author",
                    "A title",
                    name,
                    url,
                    "2019-03-14",
                ]
            )


def make_coco(path: Path, rows: int, rng: random.Random) -> None:
    images = []
    for i in range(rows):
        pid, _, lic = _photo(rng)
        images.append(
            {
                "license": lic + 1,
                "file_name": f"{i:012d}.jpg",
                "coco_url": f"http://images.cocodataset.org/train2017/{i:012d}.jpg",
                "height": 480,
                "width": 640,
                "date_captured": "2013-11-14 17:02:52",
                "flickr_url": f"http://farm{rng.randrange(1, 10)}.staticflickr.com/"
                f"{rng.randrange(1, 9999)}/{pid}_da26cf2c9e_z.jpg",
                "id": i,
            }
        )
    licenses = [
        {
            "url": "http://creativecommons.org/licenses/by-nc-sa/2.0/",
            "id": 1,
            "name": "Attribution-NonCommercial-ShareAlike License",
        },
        {
            "url": "http://creativecommons.org/licenses/by-nc/2.0/",
            "id": 2,
            "name": "Attribution-NonCommercial License",
        },
        {
            "url": "http://creativecommons.org/licenses/by-nc-nd/2.0/",
            "id": 3,
            "name": "Attribution-NonCommercial-NoDerivs License",
        },
        {
            "url": "http://creativecommons.org/licenses/by/2.0/",
            "id": 4,
            "name": "Attribution License",
        },
    ]
    path.write_text(
        json.dumps({"info": {}, "licenses": licenses, "images": images}), encoding="utf-8"
    )


def make_yfcc(path: Path, rows: int, rng: random.Random) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for _ in range(rows):
            pid, nsid, lic = _photo(rng)
            name, url = LICENCES[lic]
            fields = [
                str(pid),
                nsid,
                "nick",
                "2005-03-01 12:39:28.0",
                "1111467388",
                "SONY",
                "Title+here",
                "Description",
                "tag1,tag2",
                "",
                "-122.28",
                "47.62",
                "15",
                f"http://www.flickr.com/photos/{nsid}/{pid}/",
                f"http://farm1.staticflickr.com/8/{pid}_65c9d45e09.jpg",
                name,
                url,
                "8",
                "1",
                "65c9d45e09",
                "65c9d45e09",
                "jpg",
                "0",
            ]
            fh.write("\t".join(fields) + "\n")


def make_openverse(path: Path, rows: int, rng: random.Random) -> None:
    header = [
        "identifier",
        "created_on",
        "updated_on",
        "provider",
        "foreign_identifier",
        "foreign_landing_url",
        "url",
        "license",
        "license_version",
        "creator",
        "creator_url",
        "title",
        "meta_data",
        "last_synced_with_source",
    ]
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        for i in range(rows):
            pid, nsid, _ = _photo(rng)
            provider = "flickr" if i % 2 else "wikimedia"
            meta = json.dumps(
                {
                    "pub_date": "1529412298",
                    "license_url": "https://creativecommons.org/licenses/by-nc-nd/2.0/",
                }
            )
            out.writerow(
                [
                    f"uuid-{i}",
                    "2018-11-09 10:31:06+00",
                    "2019-08-05 17:04:33+00",
                    provider,
                    pid,
                    f"www.flickr.com/photos/{nsid}/{pid}",
                    f"https://live.staticflickr.com/1740/{pid}_d0625bfcc2_b.jpg",
                    "by-nc-nd",
                    "2",
                    "Creator",
                    f"www.flickr.com/photos/{nsid}",
                    "title",
                    meta,
                    "2019-08-05 17:04:33+00",
                ]
            )


def make_parquet(path: Path, rows: int, rng: random.Random) -> None:
    import pandas as pd

    data = [_photo(rng) for _ in range(rows)]
    pd.DataFrame(
        {
            "photo_id": [pid for pid, _, _ in data],
            "owner": [nsid for _, nsid, _ in data],
            "license": [lic + 1 for _, _, lic in data],
            "date_crawled": [date(2020, 1, 1).isoformat()] * rows,
        }
    ).to_parquet(path, index=False)


def make_flickr8k_token(path: Path, rows: int, rng: random.Random) -> None:
    """Flickr8k.token.txt's layout: `{id}_{secret}.jpg#n<TAB>caption`, five captions a photo."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(rows):
            if i % 5 == 0:
                pid, _, _ = _photo(rng)
                secret = f"{rng.getrandbits(40):010x}"
            fh.write(f"{pid}_{secret}.jpg#{i % 5}\tA dog runs across the grass .\n")


def make_nus_wide_list(path: Path, rows: int, rng: random.Random) -> None:
    """NUS-WIDE's Imagelist.txt: Windows paths ending `{n}_{id}.jpg`, CRLF line ends."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        for i in range(rows):
            pid, _, _ = _photo(rng)
            fh.write(f"C:\\ImageData\\concept{i % 81}\\{i % 10000:04d}_{pid}.jpg\r\n")


MAKERS = {
    "csv": (make_csv, "manifest.csv"),
    "coco": (make_coco, "instances.json"),
    "yfcc100m": (make_yfcc, "yfcc.tsv"),
    "openverse": (make_openverse, "openverse.csv"),
    "parquet": (make_parquet, "photos.parquet"),
    "flickr8k": (make_flickr8k_token, "Flickr8k.token.txt"),
    "nus-wide": (make_nus_wide_list, "Imagelist.txt"),
}


def measure_one(path: str) -> None:
    """Run in a fresh process: read one manifest, print seconds, rows and peak RSS (MiB) as JSON."""
    from auditor.manifests.read import read_manifests

    start = time.perf_counter()
    table = read_manifests([path])
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "rows": len(table.photos), "peak_mib": peak_kib / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows per generated manifest")
    parser.add_argument("--formats", default=",".join(MAKERS), help="comma-separated formats")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        measure_one(args.one)
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, date {date.today().isoformat()}, "
        f"rows per manifest {args.rows:,}"
    )
    print(
        f"{'format':<10} {'rows read':>10} {'file MiB':>9} {'seconds':>8} {'rows/s':>10} "
        f"{'peak RSS MiB':>13}"
    )
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.formats.split(","):
            make, filename = MAKERS[name]
            path = Path(tmp) / filename
            make(path, args.rows, rng)
            result = subprocess.run(
                [sys.executable, __file__, "--one", str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            figures = json.loads(result.stdout)
            size = path.stat().st_size / 2**20
            print(
                f"{name:<10} {figures['rows']:>10,} {size:>9.1f} {figures['seconds']:>8.2f} "
                f"{figures['rows'] / figures['seconds']:>10,.0f} {figures['peak_mib']:>13.0f}"
            )


if __name__ == "__main__":
    main()
