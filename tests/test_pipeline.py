"""The chunked offline audit writes the same reports as the whole-table path, chunks or not."""

from __future__ import annotations

import json
import re
import time
import weakref
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from raw_pieces import count_arrow_json_records

from auditor.engine import annotate, disk_runs, evaluate, load_policy
from auditor.engine import listings as listings_module
from auditor.engine.listings import FirstListings
from auditor.errors import ManifestError
from auditor.licences import load_catalogue
from auditor.manifests import arrow_json, arrow_jsonl, source, yfcc100m
from auditor.manifests.hosts import split_other_hosts
from auditor.manifests.raw import RawManifest
from auditor.manifests.read import read_manifests
from auditor.pipeline import _read_ahead, offline_audit
from auditor.report import RunInfo, build_audit_document, write_reports
from auditor.report.formats import AuditTables, write_files
from auditor.report.spool import FindingSpool
from auditor.waivers import apply_waivers, load_waivers

STARTED = datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC)
TODAY = date(2025, 5, 1)
LICENCES = [
    ("Attribution-NonCommercial License", "by-nc"),
    ("Attribution License", "by"),
    ("Attribution-NoDerivs License", "by-nd"),
    ("", ""),
]


def _yfcc(path: Path, ids: list[int]) -> Path:
    lines = []
    for i, photo in enumerate(ids):
        owner = f"{1000 + i % 7}@N0{1 + i % 2}"
        name, code = LICENCES[i % len(LICENCES)]
        url = f"http://creativecommons.org/licenses/{code}/2.0/" if code else ""
        # Every 9th page URL names another photo: a row with a note.
        page_id = photo + 1 if i % 9 == 4 else photo
        fields = [
            str(photo), owner, ["nick", "=evil", "a%22b"][i % 3], "2005-03-01 12:39:28.0",
            str(1_100_000_000 + i * 97), "Canon", ["T", "back%5Cslash"][i % 2], "d", "t",
            "", "", "", "", f"http://www.flickr.com/photos/{owner}/{page_id}/",
            f"http://farm1.staticflickr.com/8/{photo}_65c9d45e09.jpg", name, url,
            "8", "1", "65c9", "65c9", "jpg", "0",
        ]  # fmt: skip
        lines.append("\t".join(fields))
        if i == 5:
            lines.append("bad\tline")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


NC = "http://creativecommons.org/licenses/by-nc/2.0/"
BY = "http://creativecommons.org/licenses/by/2.0/"
FARM = "http://farm1.staticflickr.com/1/{}_abc.jpg"


@pytest.fixture
def manifests(tmp_path: Path) -> list[Path]:
    b = _yfcc(tmp_path / "b.tsv", [5000 + i % 40 for i in range(60)])  # repeats within
    a = _yfcc(tmp_path / "a.tsv", [5030 + i for i in range(30)])  # repeats b's photos
    urls = tmp_path / "urls.txt"
    urls.write_text("https://www.flickr.com/photos/someone/5001/\nhttp://example.com/x.jpg\n")
    # Formats read row by row come in pieces too (`read._in_pieces`).
    csv = tmp_path / "c.csv"
    csv.write_text(
        "photo_id,owner,license\n"
        + "".join(f"{5020 + i},{1000 + i % 3}@N02,{i % 9}\n" for i in range(40))
    )
    # JSON Lines are parsed by Arrow block by block (`arrow_jsonl`); blocks Arrow cannot settle
    # (an id that is a number where the first records have text, a bad line) row by row.
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text(
        "".join(
            f'{{"photo_id": "{6000 + i}", "license": {4 if i % 3 else 1}, "meta": {{"x": {i}}}}}\n'
            if i < 12
            else f'{{"photo_id": {6000 + i}, "license": "4", "owner": "10{i}@N01"}}\n'
            for i in range(19)
        )
        + "\n{bad\n"
    )
    tsv = tmp_path / "g.tsv"
    tsv.write_text(
        "photo_id\towner\tlicense\n"
        + "".join(f"{7000 + i}\t{1000 + i % 3}@N02\t{i % 9}\n" for i in range(10))
    )
    records = tmp_path / "h.json"
    records.write_text(
        json.dumps(
            [
                {"photo_id": 7005 + i, "owner": f"{1000 + i % 2}@N02", "license": i}
                for i in range(10)
            ]
        )
    )
    coco = tmp_path / "e.json"
    coco.write_text(
        json.dumps(
            {
                "licenses": [{"id": 2, "name": "Attribution-NonCommercial License", "url": NC}],
                "images": [
                    {"id": i, "license": 2, "flickr_url": FARM.format(5010 + i)} for i in range(30)
                ],
            }
        )
    )
    # Parquet is read column-wise in record batches; integers and nulls stay Arrow values.
    parquet = tmp_path / "f.parquet"
    pq.write_table(
        pa.table(
            {
                "photo_id": [str(5025 + i) for i in range(35)],
                "license": pa.array([i % 9 if i % 5 else None for i in range(35)], pa.int64()),
                "owner": pa.array([f"{1000 + i % 4}@N02" for i in range(35)]).dictionary_encode(),
            }
        ),
        parquet,
        row_group_size=10,
    )
    # Large JSON documents (`WHOLE_JSON_BYTES` made small) are cut into blocks Arrow parses
    # (`arrow_json`); from a record Arrow cannot settle (here a null), the record reader reads.
    array = tmp_path / "i.json"
    entries: list[object] = [
        {"photo_id": 8000 + i, "owner": f"{1000 + i % 3}@N02", "license": i % 9} for i in range(200)
    ]
    entries[170] = None
    array.write_text(json.dumps(entries))
    wrapped = tmp_path / "j.json"
    wrapped.write_text(
        json.dumps({"dataset": "x", "items": [{"photo_id": str(8100 + i)} for i in range(400)]})
    )
    big_coco = tmp_path / "k.json"
    big_coco.write_text(
        json.dumps(
            {
                "licenses": [{"id": 4, "name": "Attribution License", "url": BY}],
                "images": [
                    {"id": i, "license": [4, 4, 9][i % 3], "flickr_url": FARM.format(8500 + i)}
                    for i in range(300)
                ],
            }
        )
    )
    # b twice: its rows interleave with themselves in the reports
    return [b, a, urls, csv, jsonl, coco, parquet, tsv, records, array, wrapped, big_coco, b]


@pytest.fixture
def waivers(tmp_path: Path) -> Path:
    path = tmp_path / "waivers.yaml"
    entries = [
        ("non-commercial", "owner: 1003@N02", "never"),
        ("duplicate", "photo_id: 5001", "2020-01-01"),
        ("no-derivatives", "photo_id: 99999", "never"),
    ]
    path.write_text(
        "".join(
            f"- rule: {rule}\n  {target}\n  reason: r\n  approved_by: me\n  expires: {until}\n"
            for rule, target, until in entries
        ),
        encoding="utf-8",
    )
    return path


def _whole_table(
    manifests: list[Path], waivers: Path, out: Path, formats: tuple[str, ...] = ()
) -> list[Path]:
    """The four reports of the whole-table path, then the `formats` beyond them its writers
    write (photos.csv, findings.parquet, photos.parquet)."""
    policy = load_policy("commercial-release")
    loaded, problems = load_waivers(waivers, [rule.id for rule in policy.rules])
    photos, other_hosts = split_other_hosts(read_manifests(manifests).photos)
    findings, applied = apply_waivers(evaluate(photos, policy), loaded, TODAY)
    run = RunInfo(policy.id, "offline", STARTED, STARTED, tuple(str(m) for m in manifests))
    document = build_audit_document(
        photos,
        findings,
        run,
        waiver_problems=[*problems, *applied],
        tool_version="0.1.0",
        include_findings=False,
        other_hosts=other_hosts,
    )
    paths = write_reports(out, photos, findings, document)
    if formats:
        catalogue = load_catalogue()
        annotated = annotate(photos, catalogue, licence_basis=policy.licence_basis)
        tables = AuditTables(document, findings, annotated, policy, catalogue, tuple(manifests))
        paths += [path for written in write_files(tables, formats, out) for path in written.paths]
    return paths


def _same_parquet(got: Path, want: Path) -> None:
    """The same rows, columns and types (the chunked file has a row group per chunk)."""
    got_table, want_table = pq.read_table(got), pq.read_table(want)
    assert got_table.schema == want_table.schema, got.name
    assert got_table.to_pandas().equals(want_table.to_pandas()), got.name


def _same_run_times(text: str) -> str:
    text = re.sub(r'"finished_at": "[^"]*"', '"finished_at": T', text)
    return re.sub(r"(?m)^- Run: .*$", "- Run: T", text)


@pytest.mark.parametrize(
    ("chunk_rows", "memory_bytes", "in_order", "memory_keys"),
    [
        (None, None, False, None),
        (7, 0, False, None),
        (25, 4000, False, None),
        (7, 0, True, None),
        (25, None, True, None),
        # Photo ids past the first 5 or 20 go to disk (`engine.disk_runs`).
        (7, 0, False, 5),
        (25, None, True, 20),
    ],
)
def test_chunks_give_the_same_reports(
    tmp_path: Path,
    manifests: list[Path],
    waivers: Path,
    monkeypatch: pytest.MonkeyPatch,
    chunk_rows: int | None,
    memory_bytes: int | None,
    in_order: bool,
    memory_keys: int | None,
) -> None:
    if in_order:  # named in sorted order, once each: findings.csv is written as chunks come
        manifests = sorted(set(manifests))
    monkeypatch.setattr(source, "WHOLE_JSON_BYTES", 8000)
    formats = ("csv", "parquet")  # written in pieces as chunks come (`report.streamed`)
    expected = _whole_table(manifests, waivers, tmp_path / "whole", formats)
    # Small Arrow blocks, so a YFCC100M file comes in several chunks.
    monkeypatch.setattr(yfcc100m, "BLOCK_SIZE", 600)
    monkeypatch.setattr(arrow_jsonl, "BLOCK_SIZE", 150)
    monkeypatch.setattr(arrow_json, "BLOCK_SIZE", 150)
    parsed = count_arrow_json_records(monkeypatch)
    policy = load_policy("commercial-release")
    loaded, problems = load_waivers(waivers, [rule.id for rule in policy.rules])
    done = offline_audit(
        manifests,
        policy,
        tmp_path / "chunked",
        started_at=STARTED,
        tool_version="0.1.0",
        waivers=loaded,
        waiver_problems=problems,
        today=TODAY,
        chunk_rows=chunk_rows,
        spool=FindingSpool(memory_bytes=memory_bytes, directory=tmp_path),
        listings=None if memory_keys is None else FirstListings(memory_keys, tmp_path),
        formats=formats,
    )
    got_paths = sorted([*done.paths, *done.extra], key=lambda path: path.name)
    want_paths = sorted(expected, key=lambda path: path.name)
    assert [path.name for path in got_paths] == [path.name for path in want_paths]
    for want, got in zip(want_paths, got_paths, strict=True):
        if got.suffix == ".parquet":
            _same_parquet(got, want)
            continue
        assert _same_run_times(got.read_text("utf-8")) == _same_run_times(
            want.read_text("utf-8")
        ), got.name
    audit = json.loads(done.paths[0].read_text("utf-8"))
    assert audit["summary"]["by_rule"]["duplicate"] > 0
    # The line with two fields is a row with a note.
    rows = {
        "b.tsv": 61,
        "a.tsv": 31,
        "urls.txt": 2,
        "c.csv": 40,
        "d.jsonl": 20,
        "e.json": 30,
        "f.parquet": 35,
        "g.tsv": 10,
        "h.json": 10,
        "i.json": 200,
        "j.json": 400,
        "k.json": 300,
    }
    assert [f.rows for f in done.files] == [rows[m.name] for m in manifests]
    # urls.txt's example.com row is another host's: counted by host, not audited.
    assert done.document["summary"]["rows"] == sum(rows[m.name] for m in manifests) - 1
    assert done.document["summary"]["other_hosts"] == {"example.com": 1}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("flickr-audit-")]
    assert 700 < sum(parsed) < 900  # j.json's and k.json's records, i.json's up to its null


def test_a_bad_manifest_stops_the_audit_before_any_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = _yfcc(tmp_path / "good.tsv", list(range(1, 12)))
    written: list[Path] = []  # the duplicate index's directories on disk

    class Recorded(disk_runs.DiskRuns):
        def __init__(self, directory: Path | None = None) -> None:
            super().__init__(directory)
            written.append(self.directory)

    monkeypatch.setattr(listings_module, "DiskRuns", Recorded)
    monkeypatch.setattr(yfcc100m, "BLOCK_SIZE", 600)  # the file in several chunks
    with pytest.raises(ManifestError):
        offline_audit(
            [good, tmp_path / "missing.tsv"],
            load_policy("commercial-training"),
            tmp_path / "out",
            started_at=STARTED,
            tool_version="0.1.0",
            chunk_rows=2,
            listings=FirstListings(memory_keys=3, directory=tmp_path),
        )
    assert not (tmp_path / "out").exists()
    assert written and not [path for path in written if path.exists()]


class _Item:
    """Something a weak reference can watch."""


def test_the_read_ahead_makes_the_next_item_once_this_one_is_taken() -> None:
    made: list[weakref.ref[_Item]] = []
    alive: list[int] = []  # when each item is started, how many earlier items are alive

    def items() -> Iterator[_Item]:
        for _ in range(6):
            alive.append(sum(ref() is not None for ref in made))
            item = _Item()
            made.append(weakref.ref(item))
            yield item
            del item

    for item in _read_ahead(items()):
        del item
        time.sleep(0.05)  # a slow consumer: the thread would run ahead if it could
    assert len(alive) == 6
    # The one the consumer holds, not also one waiting in the queue.
    assert max(alive) == 1


def test_no_chunk_is_held_while_the_next_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk's raw columns are let go once its photo table is built: the readers' frames do
    not hold them while the next chunk is parsed."""
    manifest = _yfcc(tmp_path / "a.tsv", list(range(1, 60)))
    emitted: list[weakref.ref[RawManifest]] = []
    held: list[int] = []  # at each chunk parsed, the earlier chunks still alive
    emit = yfcc100m._emit

    def watched(*args: Any, **kwargs: Any) -> tuple[RawManifest, int]:
        held.append(sum(ref() is not None for ref in emitted))
        chunk, end = emit(*args, **kwargs)
        emitted.append(weakref.ref(chunk))
        return chunk, end

    monkeypatch.setattr(yfcc100m, "_emit", watched)
    monkeypatch.setattr(yfcc100m, "BLOCK_SIZE", 600)
    offline_audit(
        [manifest],
        load_policy("commercial-training"),
        tmp_path / "out",
        started_at=STARTED,
        tool_version="0.1.0",
        chunk_rows=7,
    )
    assert len(held) > 3
    assert max(held) == 0
