"""The streaming YFCC100M reader: exact line numbers, bad lines kept, chunks equal one read."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from auditor.manifests.read import read_manifests
from auditor.manifests.yfcc100m import iter_yfcc100m
from auditor.photo_table import build_photo_table

Write = Callable[[str, str | bytes], Path]


def line(photo_id: int, nsid: str = "30302697@N00", licence: str = "by-nc") -> str:
    fields = [
        str(photo_id),
        nsid,
        "nick+name",
        "2005-03-01 12:39:28.0",
        "1111467388",
        "SONY",
        "A+title%21",
        "",
        "tag",
        "",
        "-122.28",
        "47.62",
        "15",
        f"http://www.flickr.com/photos/{nsid}/{photo_id}/",
        f"http://farm1.staticflickr.com/8/{photo_id}_65c9d45e09.jpg",
        "Attribution-NonCommercial License",
        f"http://creativecommons.org/licenses/{licence}/2.0/",
        "8",
        "1",
        "65c9d45e09",
        "65c9d45e09",
        "jpg",
        "0",
    ]
    return "\t".join(fields)


def test_lines_blank_lines_and_bad_lines(write: Write) -> None:
    text = "\n".join([line(11), "", line(12), "   ", "only\ttwo", line(13), line(14, licence="by")])
    photos = read_manifests([write("y.tsv", text + "\n")]).photos
    assert photos["source_row"].tolist() == [1, 3, 5, 6, 7]
    assert photos["photo_id"].tolist()[:2] == ["11", "12"]
    assert pd.isna(photos["photo_id"].iloc[2])
    assert photos["notes"].iloc[2].startswith("has 2 tab-separated fields, expected 23 or 25")
    assert photos["recorded_licence"].tolist()[-1] == "unknown"  # name says NC, URL says BY
    first = photos.iloc[0]
    assert (first.owner, first.owner_name, first.title) == ("30302697@N00", "nick name", "A title!")
    assert first.recorded_licence == "cc-by-nc-2.0"
    assert first.recorded_licence_raw == (
        "Attribution-NonCommercial License <http://creativecommons.org/licenses/by-nc/2.0/>"
    )
    assert first.uploaded_at == "2005-03-22T04:56:28Z"


def test_twenty_five_column_variant(write: Write) -> None:
    cells = line(7088065).split("\t")
    wide = "\t".join(["0", cells[0], "5a2f0c0ffee", *cells[1:]])
    photos = read_manifests([write("y25.tsv", wide + "\n")]).photos
    assert photos["photo_id"].tolist() == ["7088065"]
    assert photos["owner"].tolist() == ["30302697@N00"]


def test_chunks_are_the_same_table_as_one_read(write: Write) -> None:
    rows = [line(100 + i) if i % 7 else "x\ty" for i in range(1, 60)]
    path = write("many.tsv", "\n".join(rows) + "\n")
    whole = read_manifests([path]).photos
    chunks = list(iter_yfcc100m(path, chunk_rows=8, block_size=1024))
    assert len(chunks) > 3
    assert sum(chunk.rows for chunk in chunks) == 59
    pd.testing.assert_frame_equal(whole, build_photo_table(chunks))
    assert whole["source_row"].tolist() == list(range(1, 60))


def test_gzip_compressed(write: Write) -> None:
    path = write("y.tsv.gz", gzip.compress((line(5) + "\n").encode()))
    assert read_manifests([path]).photos["photo_id"].tolist() == ["5"]


def test_licence_texts_work_each_pair_out_once_with_the_same_result() -> None:
    import pyarrow as pa

    from auditor.manifests import yfcc100m

    names = pa.array(["a", "", "b", "a", "", "a", "b"], pa.string())
    urls = pa.array(["x", "y", "", "x", "", "", "z"], pa.string())
    name, url, shown = yfcc100m._licence_texts(names, urls)
    assert name.to_pylist() == ["a", None, "b", "a", None, "a", "b"]
    assert url.to_pylist() == ["x", "y", None, "x", None, None, "z"]
    assert shown.to_pylist() == ["a <x>", "<y>", "b", "a <x>", None, "a", "b <z>"]
    # Columns with nulls (never from the reader) take the general path, with the same rule.
    with_null = pa.array(["a", None], pa.string())
    assert yfcc100m._licence_texts(with_null, pa.array(["x", "y"]))[2].to_pylist() == [
        "a <x>",
        "<y>",
    ]
    empty = pa.array([], pa.string())
    assert [len(part) for part in yfcc100m._licence_texts(empty, empty)] == [0, 0, 0]
