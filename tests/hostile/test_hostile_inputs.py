"""Hostile inputs end as one-line errors (exit 2) naming the file, read through pipes whole, and
their text cannot act on the terminal or a CI log (issue 17, items 4, 5 and 7).

The bombs come from `hostile_corpus`, built small, with the limits made small by `--limit` so
each is refused for the same reason it would be at full size.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_run import run_cli
from hostile_corpus import (
    BOMBS,
    Bomb,
    coco_document,
    records_document,
    write_json,
    yfcc_line,
)

import auditor.manifests.source as source
from auditor.errors import ManifestError
from auditor.jsonstream import DepthScanner, JsonProblem, StreamedList, skeleton
from auditor.manifests.read import read_manifest


def one_error_line(err: str) -> str:
    """The error: one line, the last on stderr (progress notes may come before it)."""
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("flickr-audit: error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], err
    return errors[0]


@pytest.mark.parametrize("bomb", BOMBS, ids=[bomb.name for bomb in BOMBS])
def test_bomb_is_a_one_line_error_naming_the_file(
    bomb: Bomb,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLICKR_API_KEY", raising=False)
    path = bomb.build(tmp_path, 1)
    limits = [arg for setting in bomb.limits for arg in ("--limit", setting)]
    code, _, err = run_cli([*limits, *bomb.args(path)], capsys)
    line = one_error_line(err)
    assert code == 2, err
    where = f"{path}:{bomb.line}:" if bomb.line is not None else f"{path}:"
    assert where in line, line
    assert bomb.says in line, line
    reports = tmp_path / "reports"
    assert not reports.exists() or not any(reports.rglob("*"))  # no report of a bad input


def test_decompression_ratio_leaves_ordinary_compressed_manifests_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = "".join(f"{6985418911 + n},4\n" for n in range(20_000))
    path = tmp_path / "photos.csv.gz"
    path.write_bytes(gzip.compress(("photo_id,license\n" + rows).encode()))
    code, _, err = run_cli(["--limit", "expansion-after=64KiB", "manifest", str(path)], capsys)
    assert code == 0, err
    assert "20000 row(s)" in err


def test_limit_option_refuses_unknown_names_and_bad_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_cli(["--limit", "lines=5", "formats"], capsys)
    assert code == 2 and "no such limit" in one_error_line(err) and "line-bytes" in err
    code, _, err = run_cli(["--limit", "line-bytes=-1", "formats"], capsys)
    assert code == 2 and "not a positive number" in one_error_line(err)


# -- nesting -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chunks", "deepest"),
    [
        ([b'{"a": [1, [2, [3]]]}'], 4),
        ([b'{"a": "[[[[[[", "b": [1]}'], 2),  # brackets in strings do not count
        ([b'{"a": "x\\\\", "b": [[1]]}'], 3),  # an escaped backslash ends before the quote
        ([b'{"a": "x\\"[[[[", "b": 1}'], 1),  # an escaped quote does not end the string
        ([b'{"a": "x\\', b'"[[[[", "b": [[1]]}'], 3),  # the escape split across chunks
        ([b'{"a": "[[[', b'[[[", "b": [1]}'], 2),  # a string split across chunks
    ],
)
def test_depth_scanner_counts_brackets_outside_strings(chunks: list[bytes], deepest: int) -> None:
    DepthScanner(deepest).feed(b"".join(chunks))
    split = DepthScanner(deepest)
    for chunk in chunks:
        split.feed(chunk)
    with pytest.raises(JsonProblem, match=f"nested more than {deepest - 1} levels"):
        DepthScanner(deepest - 1).feed(b"".join(chunks))


def test_deep_record_inside_a_large_document_is_refused(tmp_path: Path) -> None:
    records: list[object] = [{"photo_id": str(6985418911 + n)} for n in range(50)]
    nested: object = 1
    for _ in range(200):
        nested = [nested]
    records.append({"photo_id": "1", "title": nested})
    path = write_json(tmp_path / "deep.json", records)
    with pytest.raises(ManifestError, match="nested more than 128 levels") as error:
        read_manifest(path)
    assert error.value.line == 1


# -- JSON documents read streaming ---------------------------------------------------------------


@pytest.fixture
def small_whole_json(monkeypatch: pytest.MonkeyPatch) -> None:
    """Documents over 4 KiB are read streaming, from a skeleton of their first 2 KiB."""
    monkeypatch.setattr(source, "WHOLE_JSON_BYTES", 4 * 1024)
    monkeypatch.setattr(source, "SKELETON_BYTES", 2 * 1024)


def _columns(path: Path) -> dict[str, list[object]]:
    raw = read_manifest(path)
    return {name: list(values) for name, values in raw.columns.items()}


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(coco_document(300), id="coco"),
        pytest.param(records_document(400), id="array-of-records"),
        pytest.param(
            {str(n): record for n, record in enumerate(records_document(300))},
            id="object-of-records",
        ),
        pytest.param(
            {
                "metadata": {
                    str(n): {
                        "photo_url": f"https://www.flickr.com/photos/a{n}/{6985418911 + n}/",
                        "author": f"a{n}",
                        "license": "Attribution License",
                    }
                    for n in range(300)
                }
            },
            id="ffhq-wrapped",
        ),
        pytest.param(
            {"photos": {"page": 1, "photo": [{"id": str(6985418911 + n)} for n in range(300)]}},
            id="flickr-api-listing",
        ),
    ],
)
def test_streamed_document_reads_as_the_whole_document(
    tmp_path: Path, document: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_json(tmp_path / "doc.json", document)
    whole = _columns(path)
    monkeypatch.setattr(source, "WHOLE_JSON_BYTES", 4 * 1024)
    monkeypatch.setattr(source, "SKELETON_BYTES", 2 * 1024)
    assert path.stat().st_size > 4 * 1024
    assert isinstance(source.load_json_document(path), dict | StreamedList)
    assert _columns(path) == whole


def test_skeleton_keeps_the_head_and_streams_the_rest() -> None:
    text = json.dumps({"licenses": [{"id": 1}], "images": list(range(500))}).encode()
    opened: list[int] = []

    def reopen() -> io.BufferedReader:
        opened.append(1)
        return io.BufferedReader(io.BytesIO(text))  # type: ignore[arg-type]

    from auditor.jsonstream import Reopen

    document = skeleton(text[:300], False, Reopen(reopen, lambda problem: problem))
    assert document["licenses"] == [{"id": 1}]
    images = document["images"]
    assert isinstance(images, StreamedList) and images[:3] == [0, 1, 2]
    assert not opened  # looking at the head reads nothing more
    assert list(images) == list(range(500))
    assert len(opened) == 1


def test_invalid_json_past_the_skeleton_names_a_line(
    tmp_path: Path, small_whole_json: None
) -> None:
    lines = [json.dumps(record) for record in records_document(300)]
    lines[250] = lines[250].replace('"license"', "license")
    path = tmp_path / "bad.json"
    path.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="invalid JSON") as error:
        read_manifest(path)
    near = int(error.value.problem.split("near line ")[1].split(";")[0])
    assert 252 <= near <= 303


def test_truncated_large_document_says_so(tmp_path: Path, small_whole_json: None) -> None:
    text = json.dumps(records_document(300))
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) * 2 // 3], encoding="utf-8")
    with pytest.raises(ManifestError, match="truncated"):
        read_manifest(path)


# -- pipes ---------------------------------------------------------------------------------------


def _csv_rows(count: int) -> bytes:
    # ~33 bytes a row: 5,000 rows are well past the 64 KiB that sniffing reads.
    return b"photo_id,license,title\n" + b"".join(
        b"%d,4,a photo title %d\n" % (6985418911 + n, n) for n in range(count)
    )


PIPED: dict[str, tuple[bytes, int]] = {
    "csv": (_csv_rows(5000), 5000),
    "csv-gzip": (gzip.compress(_csv_rows(5000)), 5000),
    "jsonl": (
        b"".join(json.dumps(r).encode() + b"\n" for r in records_document(4000)),
        4000,
    ),
    "json": (json.dumps(records_document(4000)).encode(), 4000),
    "coco": (json.dumps(coco_document(3000)).encode(), 3000),
    "yfcc100m": (yfcc_line().encode() * 2000, 2000),
}


@contextlib.contextmanager
def fd_pipe(data: bytes) -> Iterator[str]:
    """`/dev/fd/N` of a pipe a thread fills with `data`, as `<(zcat ...)` gives."""
    read_end, write_end = os.pipe()

    def feed() -> None:
        with os.fdopen(write_end, "wb") as handle, contextlib.suppress(BrokenPipeError):
            handle.write(data)

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    try:
        yield f"/dev/fd/{read_end}"
    finally:
        os.close(read_end)
        thread.join(timeout=10)


@pytest.mark.parametrize("kind", list(PIPED))
def test_pipe_is_read_whole(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    data, rows = PIPED[kind]
    with fd_pipe(data) as name:
        code, out, err = run_cli(["manifest", name], capsys)
    assert code == 0, err
    assert f"{name}: " in err and f", {rows} row(s)" in err, err
    assert len(out.strip().splitlines()) == rows + 1  # the header and every row


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


@pytest.mark.parametrize("kind", ["csv-gzip", "json", "yfcc100m"])
def test_stdin_dash_is_audited_whole(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data, rows = PIPED[kind]
    monkeypatch.setattr("sys.stdin", _Stdin(data))
    out_dir = tmp_path / "r"
    code, _, err = run_cli(["audit", "--offline", "-", "--output-dir", str(out_dir)], capsys)
    assert code in (0, 1), err
    audit = json.loads((out_dir / "audit.json").read_text(encoding="utf-8"))
    assert audit["summary"]["rows"] == rows, err


def test_empty_pipe_is_called_empty(capsys: pytest.CaptureFixture[str]) -> None:
    with fd_pipe(b"") as name:
        code, _, err = run_cli(["manifest", name], capsys)
    assert code == 2
    assert f"{name}: is empty" in one_error_line(err)


def test_clean_manifest_of_a_pipe_is_refused_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = PIPED["csv"]
    with fd_pipe(data) as name:
        code, _, err = run_cli(
            ["audit", "--offline", name, "--clean-manifest", str(tmp_path / "clean.csv")], capsys
        )
    assert code == 2
    assert "pipe" in one_error_line(err) and name in err


# -- ambiguous tables ----------------------------------------------------------------------------


def test_coco_licence_id_given_twice_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_json(tmp_path / "coco.json", coco_document(5, duplicate_licence=True))
    code, _, err = run_cli(["manifest", str(path)], capsys)
    assert code == 2
    line = one_error_line(err)
    assert f"{path}: COCO `licenses` gives id 4 twice" in line


def test_coco_licence_repeated_identically_is_accepted(tmp_path: Path) -> None:
    document = coco_document(5)
    document["licenses"] = [*document["licenses"], document["licenses"][0]]  # type: ignore[list-item]
    assert read_manifest(write_json(tmp_path / "coco.json", document)).rows == 5


def test_duplicate_csv_header_is_an_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("photo_id,url,Photo_ID\n6985418911,,1\n", encoding="utf-8")
    code, _, err = run_cli(["manifest", str(path)], capsys)
    assert code == 2
    line = one_error_line(err)
    assert f"{path}:1: the header names column 'Photo_ID' twice (columns 1 and 3)" in line


def test_corrupt_parquet_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"photo_id": [str(6985418911 + n) for n in range(1000)]}), good)
    data = bytearray(good.read_bytes())
    data[len(data) // 3 : len(data) // 3 + 64] = b"\xff" * 64  # damage the column chunk
    for name, content in (("corrupt.parquet", bytes(data)), ("cut.parquet", bytes(data[:200]))):
        path = tmp_path / name
        path.write_bytes(content)
        code, _, err = run_cli(["manifest", str(path)], capsys)
        assert code == 2, err
        assert f"{path}: " in one_error_line(err)


def test_manifest_takes_manifest_format_and_keeps_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("photo_id\n6985418911\n", encoding="utf-8")
    for flag in ("--manifest-format", "--format"):
        code, _, err = run_cli(["manifest", flag, "csv", str(path)], capsys)
        assert code == 0, err
        assert f"{path}: csv, 1 row(s)" in err


# -- hostile text --------------------------------------------------------------------------------

HOSTILE = "\x1b]0;owned\x07\x1b[2J\u202eGNP.exe"


def test_terminal_controls_never_reach_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / f"set{HOSTILE}"
    folder.mkdir()
    path = folder / "photos.csv"
    path.write_text(
        "photo_id,owner,license,title\n"
        f"6985418911,{HOSTILE},4,{HOSTILE}\n"
        f"6985418911,{HOSTILE},4,{HOSTILE}\n"
        "x,,,\n",
        encoding="utf-8",
    )
    for args in (
        ["audit", "--offline", str(path), "--output-dir", str(tmp_path / "r")],
        ["manifest", str(path), "-o", str(tmp_path / "table.csv")],
        ["manifest", str(folder / "missing.csv")],
    ):
        _, _, err = run_cli(args, capsys)
        assert "\x1b" not in err and "\u202e" not in err and "\x07" not in err, err
        assert "\\x1b" in err and "\\u202e" in err, err  # shown, escaped


def test_hostile_text_escaped_in_annotations_and_step_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "photos.csv"
    path.write_text(
        f"photo_id,owner,license,title\n6985418911,{HOSTILE}@N01,2,{HOSTILE}\n", encoding="utf-8"
    )
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, err = run_cli(
        [
            "audit",
            "--offline",
            str(path),
            "--output-dir",
            str(tmp_path / "r"),
            "--format",
            "github",
        ],
        capsys,
    )
    assert code in (0, 1), err
    written = out + summary.read_text(encoding="utf-8") if summary.exists() else out
    for text in (written, err):
        assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text


def test_streamed_document_comes_in_pieces(tmp_path: Path, small_whole_json: None) -> None:
    from auditor.manifests.normalise import text_column
    from auditor.manifests.read import iter_manifest

    path = write_json(tmp_path / "coco.json", coco_document(1000))
    pieces = list(iter_manifest(path, chunk_rows=300))
    assert [piece.rows for piece in pieces] == [300, 300, 300, 100]
    whole = read_manifest(path)
    for name, values in whole.columns.items():
        if name == "source_row":
            assert [int(v) for piece in pieces for v in piece.columns[name]] == list(values)
            continue
        # As normalising sees them: the pieces are Arrow's (`arrow_json`), the whole is not.
        got = [v for piece in pieces for v in text_column(piece.columns[name]).to_pylist()]
        assert got == text_column(values).to_pylist(), name


def test_stopping_early_stops_the_reader(tmp_path: Path) -> None:
    from auditor.manifests.read import iter_manifest

    path = tmp_path / "ids.jsonl"
    path.write_bytes(PIPED["jsonl"][0])  # read row by row, in a thread
    pieces = iter_manifest(path, chunk_rows=100)
    assert next(pieces).rows == 100
    pieces.close()  # the reader thread ends, the file is closed (no ResourceWarning)


def test_yfcc100m_line_longer_than_arrows_block_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditor.manifests import yfcc100m

    monkeypatch.setattr(yfcc100m, "BLOCK_SIZE", 4096)  # the line limit stays 8 MiB
    path = tmp_path / "yfcc.tsv"
    path.write_text(yfcc_line() * 3 + yfcc_line("t" * 20_000) + yfcc_line(), encoding="utf-8")
    with pytest.raises(ManifestError, match="line longer than 4 KiB") as error:
        list(yfcc100m.iter_yfcc100m(path))
    assert error.value.line == 4
