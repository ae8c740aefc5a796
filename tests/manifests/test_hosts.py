"""Rows of other image hosts: counted per host, not judged."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pyarrow as pa

from auditor.manifests.hosts import ranked_hosts, split_other_hosts, url_hosts


def test_url_hosts() -> None:
    urls = pa.array(
        [
            "https://upload.wikimedia.org/a.jpg",
            " HTTP://User:pw@I.PINIMG.com:443/x.png ",
            "https://example.com./x",
            "//no-scheme.example.com/x",
            "photo 123.jpg",
            "http://localhost/x.jpg",
            None,
        ]
    )
    assert url_hosts(urls).to_pylist() == [
        "upload.wikimedia.org",
        "i.pinimg.com",
        "example.com",
        None,
        None,
        None,
        None,
    ]


def test_other_hosts_rows_leave_the_table_and_flickr_looking_rows_stay() -> None:
    photos = pd.DataFrame(
        {
            "photo_id": ["1", None, None, None, None, None, None, None, None],
            "owner": [None, None, None, "12345678@N01", None, None, None, None, None],
            "url": [
                "https://cdn.example.com/1.jpg",  # has a photo id: kept whatever the host
                "https://upload.wikimedia.org/a.jpg",
                "https://i.pinimg.com/b.jpg",
                "https://i.pinimg.com/c.jpg",  # a Flickr owner: looks like Flickr
                "https://www.flickr.com/photos/someone/albums/72157",  # Flickr, no photo
                "https://farm1.staticflickr.com/broken.jpg",
                "https://flic.kr/s/aHsk",
                None,  # nothing to tell: stays a no-photo-id
                "https://upload.wikimedia.org/b.jpg",
            ],
            "source_row": range(1, 10),
        }
    )
    kept, hosts = split_other_hosts(photos)
    assert hosts == Counter({"upload.wikimedia.org": 2, "i.pinimg.com": 1})
    assert kept["source_row"].tolist() == [1, 4, 5, 6, 7, 8]
    assert list(kept.index) == list(range(6))
    assert ranked_hosts(hosts) == {"upload.wikimedia.org": 2, "i.pinimg.com": 1}


def test_a_table_of_flickr_rows_is_returned_as_it_is() -> None:
    photos = pd.DataFrame({"photo_id": ["1"], "owner": [None], "url": [None], "source_row": [1]})
    kept, hosts = split_other_hosts(photos)
    assert kept is photos and not hosts
