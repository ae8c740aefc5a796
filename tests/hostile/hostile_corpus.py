"""A corpus of hostile inputs: resource bombs, deep nesting, alias bombs, hostile text.

Each `Bomb` writes its input into a folder at a `scale`: the tests build them small and make
the limits small with `flickr-audit --limit` (`Bomb.limits`), so the suite runs them in
seconds; `benchmarks/hostile_inputs.py` builds them at full size against the default limits
and measures time and peak memory. Either way a bomb is shaped the same (a gzip of spaces is a
gzip of spaces), and must end in exit 2 with one line on stderr naming the file.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

KIB = 1 << 10
MIB = 1 << 20

# A YFCC100M line (23 tab-separated fields) whose title can be made as long as wanted.
YFCC_FIELDS = [
    "6985418911",
    "24511045@N04",
    "mikeyp2000",
    "2012-04-21 14:31:08.0",
    "1335161493",
    "Canon+EOS+7D",
    "TITLE",
    "",
    "",
    "",
    "",
    "",
    "",
    "http://www.flickr.com/photos/24511045@N04/6985418911/",
    "http://farm8.staticflickr.com/7200/6985418911_2a8c3f0b49.jpg",
    "Attribution License",
    "http://creativecommons.org/licenses/by/2.0/",
    "7200",
    "8",
    "2a8c3f0b49",
    "2a8c3f0b49",
    "jpg",
    "0",
]


def yfcc_line(title: str = "title") -> str:
    return "\t".join(title if cell == "TITLE" else cell for cell in YFCC_FIELDS) + "\n"


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9)


def _bz2(data: bytes) -> bytes:
    return bz2.compress(data, compresslevel=9)


def _xz(data: bytes) -> bytes:
    return lzma.compress(data, preset=9)


_COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {"gz": _gzip, "bz2": _bz2, "xz": _xz}


@dataclass(frozen=True)
class Bomb:
    """One hostile input: `build(folder, scale)` writes it and returns the path the command
    names; `args(path)` is the command line after `flickr-audit`; `limits` the `--limit`
    settings a small build needs (none at full size); `says` a fragment of the one-line error."""

    name: str
    build: Callable[[Path, int], Path]
    args: Callable[[Path], list[str]]
    says: str
    limits: tuple[str, ...] = ()
    line: int | None = None
    full_scale: int = 1
    tags: tuple[str, ...] = field(default=())


def _manifest(path: Path) -> list[str]:
    return ["manifest", str(path)]


def _audit(path: Path) -> list[str]:
    return ["audit", "--offline", str(path)]


def spaces_bomb(kind: str) -> Callable[[Path, int], Path]:
    """`[` then `scale` MiB of spaces, compressed: a JSON document that never ends."""

    def build(folder: Path, scale: int) -> Path:
        path = folder / f"spaces.json.{kind}"
        start = _COMPRESSORS[kind](b"[" + b" " * (MIB - 1))
        rest = _COMPRESSORS[kind](b" " * MIB)
        with path.open("wb") as handle:
            handle.write(start)
            for _ in range(scale - 1):
                handle.write(rest)
        return path

    return build


def long_line(
    name: str, head: bytes, filler: bytes, tail: bytes = b""
) -> Callable[[Path, int], Path]:
    """`head` (complete lines), then one line of `scale` MiB of `filler`, then `tail`."""

    def build(folder: Path, scale: int) -> Path:
        path = folder / name
        block = filler * (MIB // len(filler))
        with path.open("wb") as handle:
            handle.write(head)
            for _ in range(scale):
                handle.write(block)
            handle.write(tail)
        return path

    return build


def deep_json(name: str, head: bytes = b"") -> Callable[[Path, int], Path]:
    """`scale` x 100,000 levels of `[`: Python's json raises RecursionError, yajl eats memory."""

    def build(folder: Path, scale: int) -> Path:
        path = folder / name
        depth = 100_000 * scale
        path.write_bytes(head + b"[" * depth + b"]" * depth + b"\n")
        return path

    return build


def deep_jsonl(folder: Path, scale: int) -> Path:
    return deep_json("deep.jsonl", b'{"photo_id": "6985418911"}\n')(folder, scale)


def yaml_laughs(kind: str) -> Callable[[Path, int], Path]:
    """Nine levels of nine aliases each: 9**9 (387 million) nodes from a ~1 KB file."""

    def build(folder: Path, scale: int) -> Path:
        del scale
        values = ['&a0 ["lol"]'] + [
            f"&a{level} [{', '.join([f'*a{level - 1}'] * 9)}]" for level in range(1, 10)
        ]
        if kind == "policy":
            lines = ["id: laughs", "description: alias bomb"]
            lines += [f"x{level}: {value}" for level, value in enumerate(values)]
            lines.append("rules: *a9")
        else:
            entry = "rule: x, photo_id: 1, reason: r, approved_by: a, expires: never"
            lines = [f"- {{{entry}, x: {value}}}" for value in values]
        path = folder / f"laughs.{kind}.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return build


def dev_zero(folder: Path, scale: int) -> Path:
    del folder, scale
    return Path("/dev/zero")


BOMBS: list[Bomb] = [
    *(
        Bomb(
            f"{kind}-json-of-spaces",
            spaces_bomb(kind),
            _audit,
            "decompression bomb",
            limits=("expansion-after=256KiB",),
            full_scale=10 * 1024,  # 10 GiB of spaces
            tags=("compression",),
        )
        for kind in ("gz", "bz2", "xz")
    ),
    Bomb(
        "csv-one-long-line",
        long_line("long.csv", b"photo_id,title\n6985418911,a\n", b"x"),
        _audit,
        "line longer than",
        limits=("line-bytes=64KiB",),
        line=3,
        full_scale=3 * 1024,  # a 3 GiB line
    ),
    Bomb(
        "csv-one-long-quoted-field",
        long_line("field.csv", b'photo_id,title\n6985418911,"', b"x\n"),
        _audit,
        "a field longer than",
        limits=("line-bytes=64KiB",),
        line=2,
        full_scale=1024,
    ),
    Bomb(
        "tsv-one-long-line",
        long_line("long.tsv", b"photo_id\ttitle\n", b"x"),
        _manifest,
        "line longer than",
        limits=("line-bytes=64KiB",),
        line=2,
        full_scale=1024,
    ),
    Bomb(
        "jsonl-one-long-line",
        long_line("long.jsonl", b'{"photo_id": "6985418911"}\n{"photo_id": "', b"1", b'"}\n'),
        _audit,
        "line longer than",
        limits=("line-bytes=64KiB",),
        line=2,
        full_scale=3 * 1024,
    ),
    Bomb(
        "url-list-one-long-line",
        long_line("urls.txt", b"https://www.flickr.com/photos/24511045@N04/6985418911/\n", b"x"),
        _manifest,
        "line longer than",
        limits=("line-bytes=64KiB",),
        line=2,
        full_scale=1024,
    ),
    Bomb(
        "yfcc100m-one-long-line",
        long_line("yfcc.tsv", yfcc_line().encode() * 3, b"x"),
        _audit,
        "line longer than",
        limits=("line-bytes=64KiB",),
        line=4,
        full_scale=1024,
    ),
    Bomb(
        "json-100k-deep",
        deep_json("deep.json"),
        _audit,
        "nested more than",
        line=1,
    ),
    Bomb("jsonl-100k-deep-line", deep_jsonl, _audit, "nested more than", line=2),
    Bomb(
        "policy-of-yaml-alias-laughs",
        yaml_laughs("policy"),
        lambda path: ["audit", "--offline", "--policy", str(path)],
        "YAML aliases expand",
    ),
    Bomb(
        "waivers-of-yaml-alias-laughs",
        yaml_laughs("waivers"),
        lambda path: ["audit", "--offline", "--waivers", str(path)],
        "YAML aliases expand",
    ),
    Bomb("manifest-dev-zero", dev_zero, _audit, "binary file"),
    Bomb(
        "waivers-dev-zero",
        dev_zero,
        lambda path: ["audit", "--offline", "--waivers", str(path)],
        "larger than",
        limits=("waiver-file=64KiB",),
    ),
    Bomb(
        "baseline-dev-zero",
        dev_zero,
        lambda path: ["audit", "--offline", "--baseline", str(path)],
        "is not JSON",
    ),
    Bomb(
        "policy-dev-zero",
        dev_zero,
        lambda path: ["audit", "--offline", "--policy", str(path)],
        "larger than",
        limits=("policy-file=64KiB",),
    ),
    Bomb(
        "api-key-file-dev-zero",
        dev_zero,
        lambda path: ["audit", "--api-key-file", str(path)],
        "larger than",
    ),
]


def coco_document(images: int, duplicate_licence: bool = False) -> dict[str, object]:
    """A COCO instances file of `images` images (ids from 6985418911 up), licences 1-8."""
    licences = [
        {"id": i, "name": f"Licence {i}", "url": f"http://creativecommons.org/licenses/by/2.0/#{i}"}
        for i in range(1, 9)
    ]
    if duplicate_licence:
        licences.append({"id": 4, "name": "Other", "url": "http://example.org/other"})
    return {
        "info": {"description": "hostile"},
        "licenses": licences,
        "images": [
            {
                "id": n,
                "license": 1 + n % 8,
                "file_name": f"{n:012d}.jpg",
                "flickr_url": f"http://farm{n % 9}.staticflickr.com/1/{6985418911 + n}_abc.jpg",
            }
            for n in range(images)
        ],
        "annotations": [],
    }


def records_document(records: int) -> list[dict[str, str]]:
    return [
        {"photo_id": str(6985418911 + n), "license": "4", "title": f"photo {n}"}
        for n in range(records)
    ]


def write_json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path
