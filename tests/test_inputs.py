"""Opening inputs: streams read once, and the guards on the bytes (`auditor.inputs`)."""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

import pytest

from auditor.errors import ManifestError
from auditor.inputs import is_stream, open_guarded
from auditor.limits import InputLimits, using


def _read_all(path: Path, size: int = 7, **kwargs: bool) -> bytes:
    with open_guarded(path, **kwargs) as stream:
        pieces = []
        while piece := stream.read(size):
            pieces.append(piece)
    return b"".join(pieces)


@pytest.mark.parametrize("size", [1, 5, 13, 4096])
def test_long_line_named_whatever_the_reads(tmp_path: Path, size: int) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(b"short\nshort\n" + b"x" * 41 + b"\nshort\n")
    with (
        using(InputLimits(line_bytes=40)),
        pytest.raises(ManifestError, match="line longer than 40 bytes") as error,
    ):
        _read_all(path, size, lines=True)
    assert error.value.line == 3
    with using(InputLimits(line_bytes=41)):
        assert _read_all(path, size, lines=True).endswith(b"short\n")


def test_long_last_line_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(b"a\n" + b"x" * 100)
    with using(InputLimits(line_bytes=50)), pytest.raises(ManifestError) as error:
        _read_all(path, 1000, lines=True)
    assert error.value.line == 2


@pytest.mark.parametrize(
    "compress", [gzip.compress, bz2.compress, lzma.compress], ids=["gzip", "bz2", "xz"]
)
def test_decompression_bomb_stops_early(tmp_path: Path, compress: object) -> None:
    path = tmp_path / "bomb"
    path.write_bytes(compress(b" " * (8 << 20)))  # type: ignore[operator]
    with (
        using(InputLimits(expansion_after=1 << 20, expansion_ratio=50)),
        pytest.raises(ManifestError, match="decompression bomb") as error,
    ):
        _read_all(path, 1 << 16)
    assert "--limit expansion-ratio" in str(error.value)


def test_ordinary_compression_passes(tmp_path: Path) -> None:
    data = b"".join(b"%d,4,title %d\n" % (6985418911 + n, n) for n in range(50_000))
    path = tmp_path / "ok.gz"
    path.write_bytes(gzip.compress(data))
    with using(InputLimits(expansion_after=64 << 10, expansion_ratio=20)):
        assert _read_all(path, 1 << 16) == data


def test_json_guard_names_the_line_of_a_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_bytes(b'[\n{"a": "x"},\n{"a": "\xe9"}\n]\n')
    with pytest.raises(ManifestError, match=r"invalid UTF-8 \(byte 0xe9\)") as error:
        _read_all(path, 3, json=True)
    assert error.value.line == 3


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"0" * 1000)
    with (
        pytest.raises(ManifestError, match="larger than 999 bytes"),
        open_guarded(path, max_bytes=999, max_field="baseline_file") as stream,
    ):
        stream.read()


def test_what_is_a_stream(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("x")
    assert is_stream("-") and is_stream("/dev/zero")
    assert not is_stream(path) and not is_stream(tmp_path) and not is_stream(tmp_path / "none")
