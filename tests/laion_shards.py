"""LAION-style metadata shards for tests and benchmarks: Parquet files of image URLs from every
host, a share of them Flickr static URLs, as LAION-5B and DataComp publish them.

Columns as in LAION-5B's metadata: `URL`, `TEXT`, `WIDTH`, `HEIGHT`, `LICENSE` (a Creative
Commons URL where the crawl found one, else "?"), `NSFW`, `similarity`. Flickr rows name their
photo by a static URL; some photo ids come back in later shards (the `duplicate` rule must see
across shards) and a few Flickr rows carry a URL that is not a photo (`no-photo-id`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

OTHER_HOSTS = (
    "i.pinimg.com",
    "upload.wikimedia.org",
    "cdn.shopify.com",
    "images.example.org",
    "i.ebayimg.com",
)
LICENCES = (
    "?",
    "https://creativecommons.org/licenses/by-nc/2.0/",
    "https://creativecommons.org/licenses/by/2.0/",
    "https://creativecommons.org/licenses/by-nc-nd/2.0/",
    "https://creativecommons.org/licenses/by-sa/2.0/",
)


def _text(prefix: str, values: np.ndarray, suffix: str = "") -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(values), pa.string()), suffix, "")


def shard_table(
    index: int, rows: int, *, flickr_share: float = 1 / 3, photos: int | None = None
) -> pa.Table:
    """Shard number `index` of `rows` rows; Flickr photo ids drawn from a pool of `photos`
    (default: about as many as Flickr rows in 20 shards), so some repeat across shards."""
    rng = np.random.default_rng(index)
    flickr = rng.random(rows) < flickr_share
    pool = photos or max(1, int(rows * flickr_share * 20))
    ids = 10_000_000 + rng.integers(0, pool, rows)
    farms = rng.integers(1, 9, rows)
    servers = rng.integers(1000, 9999, rows)
    statics = pc.binary_join_element_wise(
        _text("https://farm", farms, ".staticflickr.com/"),
        _text("", servers, "/"),
        _text("", ids, "_a1b2c3d4e5.jpg"),
        "",
    )
    # One Flickr row in 500 is an album link: it looks like Flickr but names no photo.
    album = flickr & (rng.random(rows) < 0.002)
    albums = _text("https://www.flickr.com/photos/someone/albums/", ids)
    hosts = pa.array(np.array(OTHER_HOSTS, dtype=object)[rng.integers(0, len(OTHER_HOSTS), rows)])
    others = pc.binary_join_element_wise(
        "https://", hosts, _text("/img/", rng.integers(0, 10**9, rows), ".jpg"), ""
    )
    url = pc.if_else(pa.array(album), albums, pc.if_else(pa.array(flickr), statics, others))
    licence_codes = rng.choice(len(LICENCES), rows, p=[0.5, 0.2, 0.15, 0.1, 0.05])
    return pa.table(
        {
            "URL": url,
            "TEXT": _text("a photo number ", np.arange(rows) + index * rows),
            "WIDTH": pa.array(rng.integers(200, 2000, rows)),
            "HEIGHT": pa.array(rng.integers(200, 2000, rows)),
            "LICENSE": pa.array(np.array(LICENCES, dtype=object)[licence_codes]),
            "NSFW": pa.array(np.where(rng.random(rows) < 0.01, "NSFW", "UNLIKELY")),
            "similarity": pa.array(rng.random(rows) * 0.2 + 0.28),
        }
    )


def write_shards(
    folder: Path,
    shards: int,
    rows: int,
    *,
    flickr_share: float = 1 / 3,
    photos: int | None = None,
) -> list[Path]:
    """`shards` Parquet shards of `rows` rows each in `folder` (00000.parquet, ...), with an
    img2dataset-style stats file beside each, which is not a shard."""
    folder.mkdir(parents=True, exist_ok=True)
    pool = photos or max(1, int(rows * shards * flickr_share * 0.9))
    paths = []
    for index in range(shards):
        path = folder / f"{index:05d}.parquet"
        table = shard_table(index, rows, flickr_share=flickr_share, photos=pool)
        pq.write_table(table, path, row_group_size=65536)
        (folder / f"{index:05d}_stats.json").write_text(f'{{"count": {rows}}}\n')
        paths.append(path)
    return paths
