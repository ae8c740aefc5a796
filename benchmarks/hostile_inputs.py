"""Every bomb of `tests/hostile/hostile_corpus.py` at full size, and the big JSON manifests,
against the default limits: wall time, peak RSS and the first line of stderr of each run.

The tests build the bombs small with small limits; this builds them as an attacker would (a
10 GiB gzip, bz2 and xz of spaces, lines of several GB, 100,000-deep JSON, YAML alias laughs,
`/dev/zero`) and runs `flickr-audit` on each in a fresh process. Each must end in exit 2, one
line naming the file, well under 2 GB and in seconds (issue 17).

`--json-records N` also writes a JSON array of N small records and audits it offline, and
`--coco` a synthetic COCO instances file of train2017's shape (118,287 images, 860,001
annotations with polygons, ~450 MB): both are read streaming, in memory bounded like a CSV.

    python benchmarks/hostile_inputs.py [--only NAME] [--json-records 10000000] [--coco]
        [--folder PATH]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "hostile"))

from hostile_corpus import BOMBS  # noqa: E402

# Runs the command given and prints its peak RSS (KiB) and CPU seconds, read from the kernel,
# on stderr last.
_MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(f'PEAK {usage.ru_maxrss} {usage.ru_utime + usage.ru_stime} {code}', file=sys.stderr)\n"
)


def measure(args: list[str], cwd: Path) -> tuple[int, str, float, str]:
    """(exit code, "wall s (CPU s)", peak RSS in MB, the error line or first line of stderr)
    of `flickr-audit ARGS` (CPU time: on a busy machine the wall time mostly measures others)."""
    command = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "auditor", *args]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    lines = done.stderr.strip().splitlines()
    _, peak, cpu, code = lines[-1].split()
    said = [line for line in lines[:-1] if line.startswith("flickr-audit: error")] or lines[:1]
    timing = f"{seconds:.1f} ({float(cpu):.1f})"
    return int(code), timing, int(peak) / 1024, said[0] if said else ""


def write_json_records(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for start in range(0, count, 100_000):
            block = (
                f'{{"photo_id": "{6985418911 + n}", "license": "{n % 11}", '
                f'"owner": "{n % 50_000}@N01", "title": "photo {n}"}}'
                for n in range(start, min(start + 100_000, count))
            )
            handle.write(("," if start else "") + ",".join(block))
        handle.write("]\n")


def write_coco(path: Path, images: int = 118_287, annotations: int = 860_001) -> None:
    """A COCO instances file of train2017's shape: licences, images, polygon annotations."""
    rng = random.Random(17)
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{"info": {"description": "COCO 2017 (synthetic)"}, "licenses": ')
        licences = [
            {"url": f"http://creativecommons.org/licenses/by/2.0/#{i}", "id": i, "name": f"L{i}"}
            for i in range(1, 9)
        ]
        handle.write(json.dumps(licences) + ', "images": [')
        for n in range(images):
            image = {
                "license": 1 + n % 8,
                "file_name": f"{n:012d}.jpg",
                "coco_url": f"http://images.cocodataset.org/train2017/{n:012d}.jpg",
                "height": 480,
                "width": 640,
                "date_captured": "2013-11-14 11:18:45",
                "flickr_url": f"http://farm{n % 9}.staticflickr.com/1/{6985418911 + n}_abc.jpg",
                "id": n,
            }
            handle.write(("," if n else "") + json.dumps(image))
        handle.write('], "annotations": [')
        for n in range(annotations):
            polygon = [round(rng.uniform(0, 640), 2) for _ in range(2 * rng.randint(8, 30))]
            annotation = {
                "segmentation": [polygon],
                "area": 1234.5,
                "iscrowd": 0,
                "image_id": n % images,
                "bbox": [1.0, 2.0, 30.0, 40.0],
                "category_id": 1 + n % 80,
                "id": n,
            }
            handle.write(("," if n else "") + json.dumps(annotation))
        handle.write('], "categories": []}\n')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", help="run only these bombs (by name)")
    parser.add_argument("--json-records", type=int, default=0, metavar="N")
    parser.add_argument("--coco", action="store_true")
    parser.add_argument("--folder", type=Path, help="build the inputs here (default: a temp dir)")
    options = parser.parse_args()
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {platform.machine()}, "
        f"Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory(dir=options.folder) as tmp:
        folder = Path(tmp)
        print(f"{'input':34} {'size':>10} {'exit':>4} {'s (CPU s)':>12} {'peak MB':>8}  stderr")
        for bomb in BOMBS:
            if options.only and bomb.name not in options.only:
                continue
            path = bomb.build(folder, bomb.full_scale)
            size = path.stat().st_size if path.is_file() else 0
            code, seconds, peak, said = measure(bomb.args(path), folder)
            shown = said.replace(str(path), path.name)
            figures = f"{size / 2**20:9.1f}M {code:4} {seconds:>12} {peak:8.0f}"
            print(f"{bomb.name:34} {figures}  {shown}")
            if path.is_file():
                path.unlink()
        big: list[tuple[str, Path]] = []
        if options.json_records:
            path = folder / "records.json"
            write_json_records(path, options.json_records)
            big.append((f"JSON of {options.json_records:,} records", path))
        if options.coco:
            path = folder / "instances_train2017.json"
            write_coco(path)
            big.append(("COCO train2017 shape", path))
        for name, path in big:
            size = path.stat().st_size
            out = folder / "reports"
            args = ["audit", "--offline", str(path), "--output-dir", str(out)]
            code, seconds, peak, said = measure(args, folder)
            print(f"{name:34} {size / 2**20:9.1f}M {code:4} {seconds:>12} {peak:8.0f}  {said}")


if __name__ == "__main__":
    main()
