"""Rows of other image hosts: counted per host, not judged.

Web-scale datasets (LAION-5B, DataComp, COYO) list images from every host, Flickr's among them.
A row that names no Flickr photo and whose URL is another host's (`upload.wikimedia.org`,
`i.pinimg.com`, ...) is not a Flickr photo that lost its id: it is out of scope, so it is
counted under its host in audit.json's `summary.other_hosts` instead of becoming a
`no-photo-id` finding. A row that looks like Flickr but carries no id (a Flickr URL that is not a
photo, a Flickr owner, no URL at all, text that is no URL) stays in the photo table, where
`no-photo-id` finds it.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# scheme://[user@]host[:port]/...: the host, as `flickr_ids` reads URLs (a scheme-less text is
# not taken as a URL here: "photo 123.jpg" names no host).
_HOST_RE = r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@\s]*@)?(?P<host>[^/?#:\s]+)"
# Hosts that belong to Flickr (flickr_ids' page, static and short hosts and their subdomains).
_FLICKR_HOST_RE = r"(^|\.)(flickr\.com|flickr\.net|staticflickr\.com|flic\.kr)$"


def url_hosts(urls: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each URL's host, lower case without a trailing dot; null where the text is no
    `scheme://host` URL."""
    if isinstance(urls, pa.ChunkedArray):
        urls = urls.combine_chunks()
    if not pa.types.is_string(urls.type) and not pa.types.is_large_string(urls.type):
        urls = urls.cast(pa.string())
    host = pc.struct_field(pc.extract_regex(pc.utf8_trim_whitespace(urls), _HOST_RE), "host")
    host = pc.utf8_rtrim(pc.utf8_lower(host), ".")
    # A dotless "host" (http://localhost/, http://x/) is no public image host.
    return pc.if_else(pc.match_substring(host, "."), host, pa.nulls(len(host), pa.string()))


def other_host_rows(photos: pd.DataFrame) -> tuple[np.ndarray, pa.Array]:
    """(rows of the photo table that belong to another host, each such row's host)."""
    if photos.empty:
        return np.zeros(0, dtype=bool), pa.array([], pa.string())
    # Only a row with neither photo id nor owner can be another host's: the URL's host is
    # parsed for those rows alone (most rows of a Flickr manifest have an id).
    other = photos["photo_id"].isna().to_numpy() & photos["owner"].isna().to_numpy()
    rows = np.flatnonzero(other)
    if not len(rows):
        return other, pa.array([], pa.string())
    urls = photos["url"].iloc[rows].astype("str")
    hosts = url_hosts(pa.array(urls, pa.string(), from_pandas=True))
    flickr = pc.fill_null(pc.match_substring_regex(hosts, _FLICKR_HOST_RE), True)
    foreign = ~flickr.to_numpy(zero_copy_only=False)
    other[rows] = foreign
    return other, hosts.filter(pa.array(foreign))


def split_other_hosts(photos: pd.DataFrame) -> tuple[pd.DataFrame, Counter[str]]:
    """The photo table without other hosts' rows (its index reset when some are dropped),
    and how many rows each other host had."""
    other, hosts = other_host_rows(photos)
    if not other.any():
        return photos, Counter()
    counts = pc.value_counts(hosts)
    tally = Counter(
        dict(
            zip(
                counts.field("values").to_pylist(),
                counts.field("counts").to_pylist(),
                strict=True,
            )
        )
    )
    return photos.loc[~other].reset_index(drop=True), tally


def ranked_hosts(counts: Counter[str]) -> dict[str, int]:
    """Host → rows, most rows first, ties by host: audit.json's `summary.other_hosts`."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
