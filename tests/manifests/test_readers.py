"""Each manifest reader on small inline files: which photo, owner, licence, date and source row
every row of the photo table gets.

Fixtures are written to tmp_path under neutral names (`data.bin`), so nothing here depends on a
file name. source_row is the 1-based line for line-oriented files (a CSV header counts; a quoted
field spanning lines gives the row's first line), the record number for JSON and Parquet, and
the line number for JSON Lines.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from auditor.errors import ManifestError
from auditor.manifests.columns import ColumnOptions
from auditor.manifests.read import ManifestTable, detect_format, read_manifests

Write = Callable[[str, str | bytes], Path]


def _plain(value: object) -> object:
    """NaN → None and numpy scalars → Python ones, so rows compare with literals."""
    if isinstance(value, float) and math.isnan(value):
        return None
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def rows(table: ManifestTable, *columns: str) -> list[tuple[object, ...]]:
    frame = table.photos[list(columns)]
    return [tuple(_plain(v) for v in record) for record in frame.itertuples(index=False)]


def column(table: ManifestTable, name: str) -> list[object]:
    return [_plain(v) for v in table.photos[name]]


def read(path: Path, fmt: str | None = None, columns: ColumnOptions | None = None) -> ManifestTable:
    return read_manifests([path], fmt, columns)


NO_ID = "no Flickr photo id: no id or URL in this row"

# -- MS COCO -------------------------------------------------------------------------------------

COCO_LICENSES = [
    {
        "url": "http://creativecommons.org/licenses/by-nc-sa/2.0/",
        "id": 1,
        "name": "Attribution-NonCommercial-ShareAlike License",
    },
    {"url": "http://creativecommons.org/licenses/by/2.0/", "id": 4, "name": "Attribution License"},
]


def coco_image(
    image_id: int, licence: object, flickr_url: str | None = None, **extra: object
) -> dict[str, object]:
    image: dict[str, object] = {
        "license": licence,
        "file_name": f"{image_id:012d}.jpg",
        "coco_url": f"http://images.cocodataset.org/val2017/{image_id:012d}.jpg",
        "height": 480,
        "width": 640,
        "date_captured": "2013-11-14 17:02:52",
        "id": image_id,
    }
    if flickr_url is not None:
        image["flickr_url"] = flickr_url
    image.update(extra)
    return image


def coco(images: list[dict[str, object]], licenses: object = COCO_LICENSES) -> str:
    document: dict[str, object] = {"info": {"year": 2017}, "images": images, "annotations": []}
    if licenses is not None:
        document["licenses"] = licenses
    return json.dumps(document, indent=1)


def test_coco_with_licences_table(write: Write) -> None:
    path = write(
        "data.bin",
        coco(
            [
                coco_image(1, 1, "http://farm4.staticflickr.com/3/6255196340_da26cf2c9e_z.jpg"),
                coco_image(2, 4, "http://farm9.static.flickr.com/8035/8024364858_9c41dc1666_z.jpg"),
            ]
        ),
    )
    table = read(path)
    assert rows(table, "photo_id", "owner", "owner_kind", "recorded_licence", "source_row") == [
        ("6255196340", None, None, "cc-by-nc-sa-2.0", 1),
        ("8024364858", None, None, "cc-by-2.0", 2),
    ]
    assert column(table, "recorded_licence_raw") == [
        (
            "1: Attribution-NonCommercial-ShareAlike License "
            "<http://creativecommons.org/licenses/by-nc-sa/2.0/>"
        ),
        "4: Attribution License <http://creativecommons.org/licenses/by/2.0/>",
    ]
    # date_captured is when the photo was taken, not when it was collected.
    assert column(table, "collected_at") == [None, None]
    assert column(table, "url") == [
        "http://farm4.staticflickr.com/3/6255196340_da26cf2c9e_z.jpg",
        "http://farm9.static.flickr.com/8035/8024364858_9c41dc1666_z.jpg",
    ]
    assert column(table, "notes") == [None, None]
    assert column(table, "source_format") == ["coco", "coco"]
    assert table.files[0].format == "coco"
    assert table.files[0].notes == ()


def test_coco_without_licences_table_reads_ids_as_flickrs(write: Write) -> None:
    path = write(
        "data.bin",
        coco(
            [
                coco_image(
                    285, 4, "http://farm8.staticflickr.com/7434/9138147604_c6225224b8_z.jpg"
                ),
                coco_image(
                    139, 2, "http://farm9.staticflickr.com/8035/8024364858_9c41dc1666_z.jpg"
                ),
            ],
            licenses=None,
        ),
    )
    table = read(path)
    assert rows(table, "photo_id", "recorded_licence", "recorded_licence_raw", "notes") == [
        ("9138147604", "cc-by-2.0", "4", None),
        ("8024364858", "cc-by-nc-2.0", "2", None),
    ]
    assert table.files[0].notes == (
        "no `licenses` table: licence ids read as Flickr's (COCO's 1-8 match)",
    )


def test_coco_licence_id_missing_from_table_is_unknown_with_a_note(write: Write) -> None:
    path = write(
        "data.bin",
        coco(
            [
                coco_image(1, 9, "http://farm4.staticflickr.com/3/6255196340_da26cf2c9e_z.jpg"),
                coco_image(2, None, "http://farm4.staticflickr.com/3/6255196341_da26cf2c9e_z.jpg"),
            ]
        ),
    )
    table = read(path)
    assert rows(table, "photo_id", "recorded_licence", "recorded_licence_raw", "notes") == [
        ("6255196340", "unknown", "9", "licence id 9 is not in the file's `licenses` table"),
        ("6255196341", "unknown", None, None),
    ]
    summary = table.summary()
    assert (summary.unknown_licence, summary.no_licence) == (1, 1)


def test_coco_image_without_flickr_url_is_kept_without_photo_id(write: Write) -> None:
    path = write(
        "data.bin",
        coco(
            [
                coco_image(1, 4, "http://farm4.staticflickr.com/3/6255196340_da26cf2c9e_z.jpg"),
                coco_image(2, 1),
                coco_image(3, 4, ""),
            ]
        ),
    )
    table = read(path)
    no_url = "no flickr_url (coco_url is COCO's copy, not the Flickr photo)"
    assert rows(table, "photo_id", "recorded_licence", "url", "source_row", "notes") == [
        (
            "6255196340",
            "cc-by-2.0",
            "http://farm4.staticflickr.com/3/6255196340_da26cf2c9e_z.jpg",
            1,
            None,
        ),
        (None, "cc-by-nc-sa-2.0", None, 2, f"{no_url}; {NO_ID}"),
        (None, "cc-by-2.0", None, 3, f"{no_url}; {NO_ID}"),
    ]
    summary = table.summary()
    assert (summary.rows, summary.photos, summary.no_photo_id) == (3, 1, 2)


def test_coco_image_without_flickr_url_and_dangling_licence_keeps_both_notes(
    write: Write,
) -> None:
    first = coco_image(1, 4, "http://farm4.staticflickr.com/3/6255196340_da26cf2c9e_z.jpg")
    path = write("data.bin", coco([first, coco_image(2, 9)]))
    notes = column(read(path), "notes")[1]
    assert isinstance(notes, str)
    assert "no flickr_url" in notes
    assert "licence id 9 is not in the file's `licenses` table" in notes


def test_coco_non_object_image_is_kept_with_a_note(write: Write) -> None:
    images: list[Any] = [
        coco_image(1, 4, "http://farm4.staticflickr.com/3/6255196340_da26cf2c9e_z.jpg"),
        "junk",
    ]
    table = read(write("data.bin", coco(images)))
    assert rows(table, "photo_id", "source_row", "notes") == [
        ("6255196340", 1, None),
        (None, 2, f"image record is not an object; {NO_ID}"),
    ]


# -- FFHQ-style metadata -------------------------------------------------------------------------

FFHQ_RECORDS: list[dict[str, object]] = [
    {
        "image_name": "1001.jpg",
        "photo_url": "https://www.flickr.com/photos/12345678@N01/1001",
        "photo_title": "A title",
        "author": "Ann",
        "country": "",
        "license": "Attribution License",
        "license_url": "https://creativecommons.org/licenses/by/2.0/",
        "date_uploaded": "2015-03-01",
        "date_crawled": "2019-01-02",
    },
    {
        "image_name": "1002.jpg",
        "photo_url": "https://www.flickr.com/photos/jdoe/1002/",
        "author": "J. Doe",
        "license": "Public Domain Mark",
        "license_url": "https://creativecommons.org/publicdomain/mark/1.0/",
        "date_crawled": "2019-01-02",
    },
]


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(FFHQ_RECORDS, id="list"),
        pytest.param({"0": FFHQ_RECORDS[0], "1": FFHQ_RECORDS[1]}, id="dict-of-records"),
        pytest.param(
            {
                str(i): {"category": "training", "metadata": r, "image": {"file_path": "x.png"}}
                for i, r in enumerate(FFHQ_RECORDS)
            },
            id="per-record-metadata",
        ),
        pytest.param([{"metadata": r} for r in FFHQ_RECORDS], id="list-per-record-metadata"),
        pytest.param({"metadata": FFHQ_RECORDS}, id="top-level-metadata-list"),
        pytest.param(
            {"metadata": {"a": FFHQ_RECORDS[0], "b": FFHQ_RECORDS[1]}}, id="top-level-dict"
        ),
    ],
)
def test_ffhq_shapes(write: Write, document: object) -> None:
    path = write("data.bin", json.dumps(document))
    assert detect_format(path) == "ffhq"
    table = read(path)
    columns = (
        "photo_id",
        "owner",
        "owner_kind",
        "owner_name",
        "recorded_licence",
        "collected_at",
        "uploaded_at",
        "title",
        "source_row",
        "notes",
    )
    assert rows(table, *columns) == [
        (
            "1001",
            "12345678@N01",
            "nsid",
            "Ann",
            "cc-by-2.0",
            "2019-01-02",
            "2015-03-01",
            "A title",
            1,
            None,
        ),
        ("1002", "jdoe", "alias", "J. Doe", "pdm-1.0", "2019-01-02", None, None, 2, None),
    ]
    assert column(table, "recorded_licence_raw") == [
        "Attribution License | https://creativecommons.org/licenses/by/2.0/",
        "Public Domain Mark | https://creativecommons.org/publicdomain/mark/1.0/",
    ]


def test_ffhq_record_that_is_not_an_object_is_kept(write: Write) -> None:
    path = write("data.bin", json.dumps([FFHQ_RECORDS[0], None, "junk"]))
    table = read(path)
    assert rows(table, "photo_id", "source_row", "notes") == [
        ("1001", 1, None),
        (None, 2, f"record is not an object; {NO_ID}"),
        (None, 3, f"record is not an object; {NO_ID}"),
    ]


# -- Open Images ---------------------------------------------------------------------------------

OPENIMAGES = (
    "ImageID,Subset,OriginalURL,OriginalLandingURL,License,AuthorProfileURL,Author,Title,"
    "OriginalSize,OriginalMD5,Thumbnail300KURL,Rotation\n"
    "4fa8054781a4c382,train,https://farm3.staticflickr.com/5310/5898076654_51085e157c_o.jpg,"
    "https://www.flickr.com/photos/michael-beat/5898076654,"
    "https://creativecommons.org/licenses/by/2.0/,https://www.flickr.com/people/michael-beat/,"
    "Michael Beat,...die FNF-Kerze,4405052,KFukvivpCM5QXl5SqKe41g==,"
    "https://c1.staticflickr.com/6/5310/5898076654_00643a940c_z.jpg,0.0\n"
    "000060e3121c7305,train,https://c1.staticflickr.com/5/4129/5215831864_46f356962f_o.jpg,,"
    "https://creativecommons.org/licenses/by-nc/2.0/,https://www.flickr.com/people/12345678@N01/,"
    'David,"28 Nov 2010, our new house.",211079,0Sad+xMj2ttXM1U8meEJ0A==,,\n'
)


def test_openimages(write: Write) -> None:
    path = write("data.bin", OPENIMAGES)
    assert detect_format(path) == "openimages"
    table = read(path)
    columns = ("photo_id", "owner", "owner_kind", "owner_name", "recorded_licence", "title")
    assert rows(table, *columns) == [
        ("5898076654", "michael-beat", "alias", "Michael Beat", "cc-by-2.0", "...die FNF-Kerze"),
        (
            "5215831864",
            "12345678@N01",
            "nsid",
            "David",
            "cc-by-nc-2.0",
            "28 Nov 2010, our new house.",
        ),
    ]
    # ImageID is Open Images' own id; the landing page is the URL kept, else the original image.
    assert column(table, "url") == [
        "https://www.flickr.com/photos/michael-beat/5898076654",
        "https://c1.staticflickr.com/5/4129/5215831864_46f356962f_o.jpg",
    ]
    assert column(table, "source_row") == [2, 3]
    assert column(table, "collected_at") == [None, None]
    assert column(table, "notes") == [None, None]


# -- YFCC100M ------------------------------------------------------------------------------------


def yfcc_line(
    photo_id: str,
    nsid: str,
    nickname: str,
    uploaded: str,
    title: str,
    licence_name: str,
    licence_url: str,
    taken: str = "2005-03-01 12:39:28.0",
) -> list[str]:
    """The 23 columns of Yahoo's original layout."""
    cells = [
        photo_id,
        nsid,
        nickname,
        taken,
        uploaded,
        "SONY+CLIE",
        title,
        "a+description",
        "tag1,tag2",
        "",
        "-122.288368",
        "47.622562",
        "15",
        f"http://www.flickr.com/photos/{nsid}/{photo_id}/",
        f"http://farm1.staticflickr.com/8/{photo_id}_65c9d45e09.jpg",
        licence_name,
        licence_url,
        "8",
        "1",
        "65c9d45e09",
        "65c9d45e09",
        "jpg",
        "0",
    ]
    assert len(cells) == 23
    return cells


YFCC_A = yfcc_line(
    "7088065",
    "30302697@N00",
    "Indigo+Skies+Photography%21",
    "1111467388",
    "Sunlight+%26+fog",
    "Attribution-NonCommercial License",
    "http://creativecommons.org/licenses/by-nc/2.0/",
)
YFCC_B = yfcc_line(
    "10642543105",
    "93003266@N04",
    "GSofV",
    "1383473251",
    "",
    "Attribution License",
    "http://creativecommons.org/licenses/by/2.0/",
    taken="4501-01-01 00:00:00.0",
)
YFCC_COLUMNS = (
    "photo_id",
    "owner",
    "owner_kind",
    "owner_name",
    "recorded_licence",
    "uploaded_at",
    "collected_at",
    "title",
    "url",
)
YFCC_EXPECTED = [
    (
        "7088065",
        "30302697@N00",
        "nsid",
        "Indigo Skies Photography!",
        "cc-by-nc-2.0",
        "2005-03-22T04:56:28Z",
        None,
        "Sunlight & fog",
        "http://www.flickr.com/photos/30302697@N00/7088065/",
    ),
    (
        "10642543105",
        "93003266@N04",
        "nsid",
        "GSofV",
        "cc-by-2.0",
        "2013-11-03T10:07:31Z",
        None,
        None,
        "http://www.flickr.com/photos/93003266@N04/10642543105/",
    ),
]


def test_yfcc100m_23_columns(write: Write) -> None:
    text = "\t".join(YFCC_A) + "\n\n" + "\t".join(YFCC_B) + "\n" + "1\t2\t3\n"
    path = write("data.bin", text)
    assert detect_format(path) == "yfcc100m"
    table = read(path)
    assert rows(table, *YFCC_COLUMNS) == [
        *YFCC_EXPECTED,
        (None, None, None, None, "unknown", None, None, None, None),
    ]
    # Line 2 is blank; the wrong-width line is kept with a note.
    assert column(table, "source_row") == [1, 3, 4]
    assert column(table, "notes") == [
        None,
        None,  # the garbage "date taken" 4501-01-01 is not read, so it raises no note
        f"has 3 tab-separated fields, expected 23 or 25; {NO_ID}",
    ]
    assert column(table, "recorded_licence_raw") == [
        "Attribution-NonCommercial License <http://creativecommons.org/licenses/by-nc/2.0/>",
        "Attribution License <http://creativecommons.org/licenses/by/2.0/>",
        None,
    ]
    summary = table.summary()
    assert (summary.rows, summary.photos, summary.no_photo_id) == (3, 2, 1)


def test_yfcc100m_25_columns_line_number_and_hash(write: Write) -> None:
    # Multimedia Commons layout: line number, photo id, photo hash, then the other 22 fields.
    a = ["17", YFCC_A[0], "5a1b9c0d2e3f4a5b6c7d8e9f0a1b2c3d", *YFCC_A[1:]]
    b = ["18", YFCC_B[0], "0f1e2d3c4b5a69788796a5b4c3d2e1f0", *YFCC_B[1:]]
    assert len(a) == len(b) == 25
    path = write("data.bin", "\t".join(a) + "\n" + "\t".join(b) + "\n")
    assert detect_format(path) == "yfcc100m"
    table = read(path)
    assert rows(table, *YFCC_COLUMNS) == YFCC_EXPECTED
    assert column(table, "source_row") == [1, 2]
    assert column(table, "notes") == [None, None]


# -- Openverse -----------------------------------------------------------------------------------

OPENVERSE_HEADER = [
    "identifier",
    "created_on",
    "updated_on",
    "provider",
    "source",
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
BROKEN_JP = "https://creativecommons.org/licenses/by-nd-nc/2.0/jp/"


def openverse_csv() -> str:
    def row(**values: str) -> list[str]:
        return [values.get(name, "") for name in OPENVERSE_HEADER]

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(OPENVERSE_HEADER)
    writer.writerows(
        [
            row(  # lines 2-3: a multi-line title
                identifier="9c1f0e2a",
                created_on="2018-11-09 10:31:06.910129+00",
                provider="flickr",
                source="flickr",
                foreign_identifier="42848471642",
                foreign_landing_url="www.flickr.com/photos/150386686@N03/42848471642",
                url="https://live.staticflickr.com/1/42848471642_abc_b.jpg",
                license="by-nc-nd",
                license_version="2",
                creator="Ann",
                creator_url="www.flickr.com/photos/150386686@N03",
                title="Two\nlines",
                meta_data=json.dumps({"pub_date": "1525000000", "license_url": BROKEN_JP}),
                last_synced_with_source="2019-08-05 17:04:33.955919+00",
            ),
            row(provider="wikimedia", foreign_identifier="999"),  # line 4
            row(provider="geographorguk", foreign_identifier="998"),  # line 5
            row(provider="wikimedia", foreign_identifier="997"),  # line 6
            row(  # line 7
                provider="Flickr",
                foreign_identifier="3000000001",
                foreign_landing_url="https://www.flickr.com/photos/jdoe/3000000001",
                license="by",
                license_version="2",
                creator_url="https://www.flickr.com/photos/jdoe",
                meta_data=json.dumps(
                    {"license_url": "https://creativecommons.org/licenses/by-sa/2.0/"}
                ),
                updated_on="2020-01-01 00:00:00+00",
            ),
            row(  # line 8
                provider="flickr",
                foreign_identifier="3000000002",
                foreign_landing_url="https://www.flickr.com/photos/jdoe/3000000002",
                license="cc0",
                license_version="1",
                meta_data="{not json",
                created_on="2021-02-03 04:05:06+00",
            ),
            row(provider="", foreign_identifier="5"),  # line 9
            row(  # line 10
                provider="flickr",
                foreign_identifier="3000000003",
                foreign_landing_url="flickr.com/photos/jdoe/3000000003/",
                license="by-nc-sa",
                license_version="2",
                meta_data=json.dumps(
                    {"license_url": "https://creativecommons.org/licenses/by-nc-sa/2.0/"}
                ),
            ),
        ]
    )
    return out.getvalue()


@pytest.fixture
def openverse_table(write: Write) -> ManifestTable:
    path = write("data.bin", openverse_csv())
    assert detect_format(path) == "openverse"
    return read(path)


def test_openverse_csv_keeps_only_flickr_rows(openverse_table: ManifestTable) -> None:
    table = openverse_table
    assert rows(table, "photo_id", "owner", "owner_kind", "owner_name", "source_row") == [
        ("42848471642", "150386686@N03", "nsid", "Ann", 2),
        ("3000000001", "jdoe", "alias", None, 7),
        ("3000000002", "jdoe", "alias", None, 8),
        ("3000000003", "jdoe", "alias", None, 10),
    ]
    assert table.files[0].skipped == {
        "provider wikimedia": 2,
        "provider geographorguk": 1,
        "provider (empty)": 1,
    }
    assert table.summary().skipped == table.files[0].skipped
    assert table.files[0].rows == 4


def test_openverse_csv_licence_code_and_version(openverse_table: ManifestTable) -> None:
    assert rows(openverse_table, "recorded_licence", "recorded_licence_raw", "notes") == [
        (
            "cc-by-nc-nd-2.0",
            f"by-nc-nd 2 | {BROKEN_JP}",
            f"licence {BROKEN_JP!r} not recognised; used 'by-nc-nd 2'",
        ),
        (
            "unknown",
            "by 2 | https://creativecommons.org/licenses/by-sa/2.0/",
            (
                "recorded licences disagree: 'by 2' is cc-by-2.0, "
                "'https://creativecommons.org/licenses/by-sa/2.0/' is cc-by-sa-2.0"
            ),
        ),
        ("cc0-1.0", "cc0 1", "meta_data is not valid JSON"),
        (
            "cc-by-nc-sa-2.0",
            "by-nc-sa 2 | https://creativecommons.org/licenses/by-nc-sa/2.0/",
            None,
        ),
    ]


def test_openverse_csv_dates_and_scheme_less_urls(openverse_table: ManifestTable) -> None:
    # collected_at: last_synced_with_source, else updated_on, else created_on.
    assert rows(openverse_table, "collected_at", "uploaded_at", "url") == [
        (
            "2019-08-05T17:04:33.955919+00:00",
            "2018-04-29T11:06:40Z",
            "www.flickr.com/photos/150386686@N03/42848471642",
        ),
        ("2020-01-01T00:00:00+00:00", None, "https://www.flickr.com/photos/jdoe/3000000001"),
        ("2021-02-03T04:05:06+00:00", None, "https://www.flickr.com/photos/jdoe/3000000002"),
        (None, None, "flickr.com/photos/jdoe/3000000003/"),
    ]
    assert column(openverse_table, "title")[0] == "Two\nlines"


def tsv_line(*cells: str) -> str:
    return "\t".join(cells) + "\n"


def test_openverse_provider_tsv(write: Write) -> None:
    meta = json.dumps({"pub_date": "1557512425", "date_taken": "2019-04-21 09:03:58"})
    first = tsv_line(
        "47030104294",
        "www.flickr.com/photos/24917258@N05/47030104294",
        "https://live.staticflickr.com/65535/47030104294_f9110a178e_b.jpg",
        "\\N",
        "1024",
        "768",
        "\\N",
        "by-nc-nd",
        "2.0",
        "Andy E. Nystrom",
        "www.flickr.com/photos/24917258@N05",
        "IMG_8449",
        meta,
        "\\N",
        "f",
        "flickr",
        "flickr",
    )
    pdm = tsv_line(
        "32875841857",
        "www.flickr.com/photos/141143347@N08/32875841857",
        *["\\N"] * 5,
        "PDM",
        "1.0",
        *["\\N"] * 5,
        "f",
        "flickr",
        "flickr",
    )
    path = write("data.bin", first + first + pdm + "\n" + tsv_line("1", "2"))
    assert detect_format(path) == "openverse"
    table = read(path)
    columns = (
        "photo_id",
        "owner",
        "owner_kind",
        "owner_name",
        "recorded_licence",
        "recorded_licence_raw",
        "uploaded_at",
        "title",
        "source_row",
    )
    duplicate = (
        "47030104294",
        "24917258@N05",
        "nsid",
        "Andy E. Nystrom",
        "cc-by-nc-nd-2.0",
        "by-nc-nd 2.0",
        "2019-05-10T18:20:25Z",
        "IMG_8449",
    )
    assert rows(table, *columns) == [
        (*duplicate, 1),
        (*duplicate, 2),
        ("32875841857", "141143347@N08", "nsid", None, "pdm-1.0", "PDM 1.0", None, None, 3),
        (None, None, None, None, "unknown", None, None, None, 5),
    ]
    assert column(table, "notes") == [
        None,
        None,
        None,
        f"has 2 tab-separated fields, expected 17; {NO_ID}",
    ]
    assert column(table, "collected_at") == [None, None, None, None]
    summary = table.summary()
    assert (summary.rows, summary.photos, summary.duplicates, summary.no_photo_id) == (4, 2, 1, 1)
    assert summary.skipped == {}


def test_openverse_tsv_other_provider_is_skipped(write: Write) -> None:
    line = tsv_line(
        "3000000009",
        "https://www.flickr.com/photos/jdoe/3000000009",
        *["\\N"] * 5,
        "by",
        "2.0",
        *["\\N"] * 5,
        "f",
        "flickr",
        "flickr",
    )
    other = tsv_line(
        "File:X.jpg",
        "https://commons.wikimedia.org/wiki/File:X.jpg",
        *["\\N"] * 5,
        "by-sa",
        "3.0",
        *["\\N"] * 5,
        "f",
        "wikimedia",
        "wikimedia",
    )
    table = read(write("data.bin", line + other), fmt="openverse")
    assert rows(table, "photo_id", "recorded_licence", "source_row") == [
        ("3000000009", "cc-by-2.0", 1)
    ]
    assert table.files[0].skipped == {"provider wikimedia": 1}


# -- Flickr API ----------------------------------------------------------------------------------


def test_flickr_api_raw_listing(write: Write) -> None:
    listing = {
        "photos": {
            "page": 1,
            "pages": 1,
            "perpage": 3,
            "total": "3",
            "photo": [
                {
                    "id": "49514337848",
                    "owner": "7478087@N06",
                    "ownername": "markustrois",
                    "pathalias": "markus",
                    "license": "1",
                    "dateupload": "1581319011",
                    "title": "Warsy",
                },
                {"id": "49514337849", "owner": "", "pathalias": "jdoe", "license": 4, "title": ""},
                {
                    "id": 49514337850,
                    "owner": "7478087@N06",
                    "license": 0,
                    "url_o": "https://live.staticflickr.com/65535/49514337850_abc_o.jpg",
                },
            ],
        },
        "stat": "ok",
    }
    path = write("data.bin", json.dumps(listing, indent=2))
    assert detect_format(path) == "flickr-api"
    table = read(path)
    columns = (
        "photo_id",
        "owner",
        "owner_kind",
        "owner_name",
        "recorded_licence",
        "recorded_licence_raw",
        "uploaded_at",
        "title",
        "url",
        "source_row",
    )
    assert rows(table, *columns) == [
        (
            "49514337848",
            "7478087@N06",
            "nsid",
            "markustrois",
            "cc-by-nc-sa-2.0",
            "1",
            "2020-02-10T07:16:51Z",
            "Warsy",
            None,
            1,
        ),
        ("49514337849", "jdoe", "alias", None, "cc-by-2.0", "4", None, None, None, 2),
        (
            "49514337850",
            "7478087@N06",
            "nsid",
            None,
            "all-rights-reserved",
            "0",
            None,
            None,
            "https://live.staticflickr.com/65535/49514337850_abc_o.jpg",
            3,
        ),
    ]
    assert column(table, "notes") == [None, None, None]


def test_flickr_api_get_info_answer(write: Write) -> None:
    answer = {
        "photo": {
            "id": "54450311696",
            "secret": "abc",
            "license": "7",
            "owner": {
                "nsid": "12345678@N01",
                "username": "someone",
                "realname": "Some One",
                "path_alias": "some1",
            },
            "title": {"_content": "A title"},
            "dates": {"posted": "1744598000", "taken": "2020-01-01 00:00:00"},
            "urls": {
                "url": [
                    {
                        "type": "photopage",
                        "_content": "https://www.flickr.com/photos/some1/54450311696/",
                    }
                ]
            },
        },
        "stat": "ok",
    }
    path = write("data.bin", json.dumps(answer))
    assert detect_format(path) == "flickr-api"
    table = read(path)
    columns = (
        "photo_id",
        "owner",
        "owner_kind",
        "owner_name",
        "recorded_licence",
        "uploaded_at",
        "title",
        "url",
        "source_row",
        "notes",
    )
    assert rows(table, *columns) == [
        (
            "54450311696",
            "12345678@N01",  # the NSID beats the alias in the page URL
            "nsid",
            "someone",
            "nkcr",
            "2025-04-14T02:33:20Z",
            "A title",
            "https://www.flickr.com/photos/some1/54450311696/",
            1,
            None,
        )
    ]


FLICKR_PHOTOS_API_PHOTO: dict[str, object] = {
    "id": "32812033543",
    "owner": {
        "id": "30884892@N08",
        "username": "U.S. Coast Guard",
        "realname": None,
        "path_alias": "uscoastguard",
        "photos_url": "https://www.flickr.com/photos/uscoastguard/",
        "profile_url": "https://www.flickr.com/people/uscoastguard/",
    },
    "license": {
        "id": "usgov",
        "label": "United States Government Work",
        "url": "http://www.usa.gov/copyright.shtml",
    },
    "date_posted": {"type": "datetime.datetime", "value": "2017-03-24T17:27:52+00:00"},
    "title": "Chief Bert",
    "url": "https://www.flickr.com/photos/uscoastguard/32812033543/",
}
FLICKR_PHOTOS_API_ROW = (
    "32812033543",
    "30884892@N08",
    "nsid",
    "U.S. Coast Guard",
    "usgov",
    "United States Government Work",
    "2017-03-24T17:27:52+00:00",
    "Chief Bert",
    "https://www.flickr.com/photos/uscoastguard/32812033543/",
)
FLICKR_PHOTOS_API_COLUMNS = (
    "photo_id",
    "owner",
    "owner_kind",
    "owner_name",
    "recorded_licence",
    "recorded_licence_raw",
    "uploaded_at",
    "title",
    "url",
)


def test_flickr_photos_api_listing(write: Write) -> None:
    document = {
        "count_pages": 1,
        "count_photos": 3,
        "photos": [
            FLICKR_PHOTOS_API_PHOTO,
            {
                "id": "18250964001",
                "owner": {"id": "132051449@N06", "username": "spike", "path_alias": None},
                "license": {
                    "id": "all-rights-reserved",
                    "label": "All Rights Reserved",
                    "url": None,
                },
                "date_posted": {"type": "datetime.datetime", "value": "2015-06-01T10:00:00+00:00"},
                "title": None,
                "url": "https://www.flickr.com/photos/132051449@N06/18250964001/",
            },
            {
                "id": "18250964002",
                "owner": {"id": "132051449@N06"},
                "license": {
                    "id": "pdm",
                    "label": "Public Domain Mark",
                    "url": "https://creativecommons.org/publicdomain/mark/1.0/",
                },
            },
        ],
    }
    path = write("data.bin", json.dumps(document))
    assert detect_format(path) == "flickr-api"
    table = read(path)
    assert rows(table, *FLICKR_PHOTOS_API_COLUMNS, "source_row") == [
        (*FLICKR_PHOTOS_API_ROW, 1),
        (
            "18250964001",
            "132051449@N06",
            "nsid",
            "spike",
            "all-rights-reserved",
            "All Rights Reserved",
            "2015-06-01T10:00:00+00:00",
            None,
            "https://www.flickr.com/photos/132051449@N06/18250964001/",
            2,
        ),
        (
            "18250964002",
            "132051449@N06",
            "nsid",
            None,
            "pdm-1.0",
            "Public Domain Mark",
            None,
            None,
            None,
            3,
        ),
    ]
    assert column(table, "notes") == [None, None, None]


def test_flickr_photos_api_single_photo_object(write: Write) -> None:
    path = write("data.bin", json.dumps(FLICKR_PHOTOS_API_PHOTO))
    assert detect_format(path) == "flickr-api"
    assert rows(read(path), *FLICKR_PHOTOS_API_COLUMNS) == [FLICKR_PHOTOS_API_ROW]


def test_flickr_api_failed_answer_is_an_error(write: Write) -> None:
    path = write(
        "data.bin", json.dumps({"stat": "fail", "code": 100, "message": "Invalid API Key"})
    )
    with pytest.raises(ManifestError, match=r"failed Flickr API answer \(Invalid API Key\)"):
        read(path, fmt="flickr-api")


# -- generic CSV / TSV / JSON Lines / JSON / Parquet ---------------------------------------------


def test_csv_columns_found_by_common_names_case_insensitively(write: Write) -> None:
    text = (
        "Photo_ID,OWNER,Author,License,Date_Crawled,Title,Upload_Date,Ignored\n"
        '123,12345678@N01,Ann,cc-by-2.0,2020-01-02,"Two\nlines",2015-06-07,x\n'
        "\n"
        "456,jdoe,Bob,4,2021/3/4,Plain,,y\n"
    )
    path = write("data.bin", text)
    assert detect_format(path) == "csv"
    table = read(path)
    columns = (
        "photo_id",
        "owner",
        "owner_kind",
        "owner_name",
        "recorded_licence",
        "recorded_licence_raw",
        "collected_at",
        "uploaded_at",
        "title",
        "source_row",
        "notes",
    )
    # Line 1 is the header; the first record spans lines 2-3; line 4 is blank.
    assert rows(table, *columns) == [
        (
            "123",
            "12345678@N01",
            "nsid",
            "Ann",
            "cc-by-2.0",
            "cc-by-2.0",
            "2020-01-02",
            "2015-06-07",
            "Two\nlines",
            2,
            None,
        ),
        ("456", "jdoe", "alias", "Bob", "cc-by-2.0", "4", "2021-03-04", None, "Plain", 5, None),
    ]
    assert column(table, "source_format") == ["csv", "csv"]


def test_csv_second_licence_column_must_agree_and_id_beats_url(write: Write) -> None:
    text = (
        "url,license,license_url\n"
        "https://www.flickr.com/photos/jdoe/123/,4,https://creativecommons.org/licenses/by/2.0/\n"
        "https://www.flickr.com/photos/jdoe/124/,4,https://creativecommons.org/licenses/by-sa/2.0/\n"
    )
    table = read(write("data.bin", text))
    assert rows(table, "photo_id", "owner", "recorded_licence", "recorded_licence_raw") == [
        ("123", "jdoe", "cc-by-2.0", "4 | https://creativecommons.org/licenses/by/2.0/"),
        ("124", "jdoe", "unknown", "4 | https://creativecommons.org/licenses/by-sa/2.0/"),
    ]
    assert column(table, "notes") == [
        None,
        (
            "recorded licences disagree: '4' is cc-by-2.0, "
            "'https://creativecommons.org/licenses/by-sa/2.0/' is cc-by-sa-2.0"
        ),
    ]


def test_csv_licence_code_with_version_column(write: Write) -> None:
    text = "url,license,license_version\nhttps://www.flickr.com/photos/jdoe/123,by-nc,2\n"
    table = read(write("data.bin", text))
    assert rows(table, "photo_id", "recorded_licence", "recorded_licence_raw") == [
        ("123", "cc-by-nc-2.0", "by-nc 2")
    ]


def test_tsv_with_header(write: Write) -> None:
    text = (
        "flickr_url\tlicense_url\tcrawled_at\n"
        "https://www.flickr.com/photos/12345678@N01/123/\t"
        "https://creativecommons.org/licenses/by-nc/2.0/\t1557512401\n"
    )
    path = write("data.bin", text)
    assert detect_format(path) == "tsv"
    table = read(path)
    assert rows(
        table, "photo_id", "owner", "owner_kind", "recorded_licence", "collected_at", "source_row"
    ) == [("123", "12345678@N01", "nsid", "cc-by-nc-2.0", "2019-05-10T18:20:01Z", 2)]
    assert column(table, "source_format") == ["tsv"]


def test_jsonl_line_numbers_count_blank_lines_and_bad_lines_are_kept(write: Write) -> None:
    text = (
        '{"photo_id": "123", "license": "4", "date_crawled": "2020-01-02"}\n'
        "\n"
        '{"photo_id": 456, "owner": "jdoe"}\n'
        "not json\n"
        "[1]\n"
    )
    path = write("data.bin", text)
    assert detect_format(path) == "jsonl"
    table = read(path)
    assert rows(table, "photo_id", "owner", "recorded_licence", "collected_at", "source_row") == [
        ("123", None, "cc-by-2.0", "2020-01-02", 1),
        ("456", "jdoe", "unknown", None, 3),
        (None, None, "unknown", None, 4),
        (None, None, "unknown", None, 5),
    ]
    assert column(table, "notes") == [
        None,
        None,
        f"not a JSON object (invalid JSON: Expecting value); {NO_ID}",
        f"not a JSON object (list); {NO_ID}",
    ]


def test_json_array_of_records_uses_record_numbers(write: Write) -> None:
    records = [
        {
            "Flickr_URL": "https://flic.kr/p/9ZcbGN",
            "LICENSE_NAME": "pdm",
            "Owner_NSID": "12345678@N01",
        },
        {"Flickr_URL": "https://www.flickr.com/photos/jdoe/124", "LICENSE_NAME": None},
        {"Flickr_URL": "https://example.com/a.jpg", "LICENSE_NAME": "CC BY-SA 2.0"},
    ]
    path = write("data.bin", json.dumps(records, indent=2))
    assert detect_format(path) == "json"
    table = read(path)
    assert rows(
        table, "photo_id", "owner", "owner_kind", "recorded_licence", "source_row", "notes"
    ) == [
        ("5898076654", "12345678@N01", "nsid", "pdm-1.0", 1, None),
        ("124", "jdoe", "alias", "unknown", 2, None),
        (None, None, None, "cc-by-sa-2.0", 3, "no Flickr photo id: not a Flickr URL"),
    ]


def test_json_object_of_records(write: Write) -> None:
    document = {
        "a": {"url": "https://www.flickr.com/photos/jdoe/123", "license": "5"},
        "b": {"url": "https://www.flickr.com/photos/jdoe/124"},
    }
    path = write("data.bin", json.dumps(document))
    assert detect_format(path) == "json"
    assert rows(read(path), "photo_id", "recorded_licence", "source_row") == [
        ("123", "cc-by-sa-2.0", 1),
        ("124", "unknown", 2),
    ]


def test_parquet_uses_record_numbers(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    pd.DataFrame(
        {
            "Photo_URL": [
                "https://www.flickr.com/photos/jdoe/123",
                None,
                "https://flic.kr/p/9ZcbGN",
            ],
            "LICENSE": ["CC BY 2.0", None, "pdm"],
            "owner_nsid": ["12345678@N01", None, None],
            "crawl_date": ["2020-01-01", "2020-01-02", None],
            "unused": [1.5, 2.5, 3.5],
        }
    ).to_parquet(path, index=False)
    assert detect_format(path) == "parquet"
    table = read(path)
    assert rows(
        table,
        "photo_id",
        "owner",
        "owner_kind",
        "recorded_licence",
        "collected_at",
        "source_row",
        "notes",
    ) == [
        ("123", "12345678@N01", "nsid", "cc-by-2.0", "2020-01-01", 1, None),
        (None, None, None, "unknown", "2020-01-02", 2, NO_ID),
        ("5898076654", None, None, "pdm-1.0", None, 3, None),
    ]
    assert column(table, "source_format") == ["parquet"] * 3


def test_parquet_integer_ids_and_column_option_by_name(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    pd.DataFrame({"pid": [7088065, 343224206], "lic": [2, 4]}).to_parquet(path, index=False)
    table = read(path, columns=ColumnOptions(id="PID", licence="lic"))
    assert rows(table, "photo_id", "recorded_licence", "source_row") == [
        ("7088065", "cc-by-nc-2.0", 1),
        ("343224206", "cc-by-2.0", 2),
    ]


def test_column_options_by_name_are_case_insensitive(write: Write) -> None:
    text = "a\tb\tc\td\n123\t12345678@N01\tCC BY-NC 2.0\t2019-05-10\n"
    table = read(
        write("data.bin", text), columns=ColumnOptions(id="A", owner="B", licence="c", date="D")
    )
    assert rows(table, "photo_id", "owner", "recorded_licence", "collected_at", "source_row") == [
        ("123", "12345678@N01", "cc-by-nc-2.0", "2019-05-10", 2)
    ]


def test_column_option_overrides_the_common_name(write: Write) -> None:
    text = "url,page\nhttps://example.com/thumb.jpg,https://www.flickr.com/photos/jdoe/123\n"
    with pytest.raises(ManifestError, match="no Flickr photo found: read as csv, 1 row"):
        read(write("data.bin", text))
    table = read(write("data2.bin", text), columns=ColumnOptions(url="page"))
    assert rows(table, "photo_id", "owner", "url") == [
        ("123", "jdoe", "https://www.flickr.com/photos/jdoe/123")
    ]


def test_header_less_csv_with_positions(write: Write) -> None:
    text = "123,12345678@N01,4,2020-01-01\n456,jdoe,5,2020-01-02\n"
    options = ColumnOptions(id="1", owner="2", licence="3", date="4")
    path = write("data.bin", text)
    assert detect_format(path, options) == "csv"
    table = read(path, columns=options)
    assert rows(table, "photo_id", "owner", "recorded_licence", "collected_at", "source_row") == [
        ("123", "12345678@N01", "cc-by-2.0", "2020-01-01", 1),
        ("456", "jdoe", "cc-by-sa-2.0", "2020-01-02", 2),
    ]
    assert table.files[0].notes == ()


def test_header_less_tsv_with_url_position(write: Write) -> None:
    text = "x\thttps://www.flickr.com/photos/jdoe/456\ny\thttps://www.flickr.com/photos/jdoe/457\n"
    path = write("data.bin", text)
    options = ColumnOptions(url="2")
    assert detect_format(path, options) == "tsv"
    assert rows(read(path, columns=options), "photo_id", "source_row") == [("456", 1), ("457", 2)]


def test_positions_given_but_line_1_is_a_header(write: Write) -> None:
    text = "pid,who,lic\n123,12345678@N01,4\n456,jdoe,5\n"
    table = read(write("data.bin", text), columns=ColumnOptions(id="1", owner="2", licence="3"))
    assert rows(table, "photo_id", "owner", "recorded_licence", "source_row") == [
        ("123", "12345678@N01", "cc-by-2.0", 2),
        ("456", "jdoe", "cc-by-sa-2.0", 3),
    ]
    assert table.files[0].notes == ("line 1 read as a header",)


def test_positions_header_heuristic_keeps_a_first_row_with_a_non_flickr_url(write: Write) -> None:
    text = (
        "https://example.com/a.jpg,2020-01-01\nhttps://www.flickr.com/photos/jdoe/456,2020-01-02\n"
    )
    table = read(write("data.bin", text), columns=ColumnOptions(url="1", date="2"))
    assert column(table, "source_row") == [1, 2]


def test_gzip_compressed_csv_is_read_transparently(write: Write) -> None:
    path = write("data.bin", gzip.compress(b"photo_id,license\n123,4\n456,5\n"))
    assert detect_format(path) == "csv"
    table = read(path)
    assert rows(table, "photo_id", "recorded_licence", "source_row") == [
        ("123", "cc-by-2.0", 2),
        ("456", "cc-by-sa-2.0", 3),
    ]


def test_bz2_compressed_yfcc_is_read_transparently(write: Write) -> None:
    path = write("data.bin", bz2.compress(("\t".join(YFCC_A) + "\n").encode()))
    assert detect_format(path) == "yfcc100m"
    assert rows(read(path), *YFCC_COLUMNS) == YFCC_EXPECTED[:1]


def test_byte_order_mark_and_crlf(write: Write) -> None:
    path = write("data.bin", "\ufeffphoto_id,license\r\n123,4\r\n456,5\r\n")
    assert rows(read(path), "photo_id", "recorded_licence", "source_row") == [
        ("123", "cc-by-2.0", 2),
        ("456", "cc-by-sa-2.0", 3),
    ]


# -- URL lists -----------------------------------------------------------------------------------


def test_url_list(write: Write) -> None:
    text = (
        "# photos for the 2020 crawl\n"
        "url\n"
        "\n"
        "https://www.flickr.com/photos/jdoe/123/  # the first one\n"
        "https://flic.kr/p/9ZcbGN\n"
        "7088065\n"
        "https://example.com/a.jpg\n"
        "http://farm1.staticflickr.com/8/7088066_65c9d45e09.jpg\n"
        "www.flickr.com/photos/12345678@N01/125\n"
    )
    path = write("data.bin", text)
    assert detect_format(path) == "urls"
    table = read(path)
    assert rows(table, "photo_id", "owner", "owner_kind", "url", "source_row", "notes") == [
        ("123", "jdoe", "alias", "https://www.flickr.com/photos/jdoe/123/", 4, None),
        ("5898076654", None, None, "https://flic.kr/p/9ZcbGN", 5, None),
        ("7088065", None, None, None, 6, None),
        (None, None, None, "https://example.com/a.jpg", 7, "no Flickr photo id: not a Flickr URL"),
        ("7088066", None, None, "http://farm1.staticflickr.com/8/7088066_65c9d45e09.jpg", 8, None),
        ("125", "12345678@N01", "nsid", "www.flickr.com/photos/12345678@N01/125", 9, None),
    ]
    assert set(column(table, "recorded_licence")) == {"unknown"}
    assert column(table, "recorded_licence_raw") == [None] * 6
    summary = table.summary()
    assert (summary.rows, summary.photos, summary.no_photo_id, summary.no_licence) == (6, 5, 1, 6)


def test_url_list_header_word_only_on_the_first_line(write: Write) -> None:
    path = write("data.bin", "https://www.flickr.com/photos/jdoe/123/\nphoto_id\n")
    assert rows(read(path), "photo_id", "source_row", "notes") == [
        ("123", 1, None),
        (None, 2, "no Flickr photo id: not a Flickr photo id or URL"),
    ]


@pytest.mark.parametrize(("group_rows", "chunk_rows"), [(7, 5), (7, 20), (50, 16), (1, 3)])
def test_parquet_in_pieces_across_row_groups_keeps_every_record_number(
    tmp_path: Path, group_rows: int, chunk_rows: int
) -> None:
    # Row groups are read in spans of at least `chunk_rows` rows, each by its own reader.
    import pyarrow as pa
    import pyarrow.parquet as pq

    from auditor.manifests.read import iter_manifest
    from auditor.manifests.tabular import _row_group_spans

    path = tmp_path / "groups.parquet"
    ids = [str(10_000 + i) for i in range(50)]
    pq.write_table(
        pa.table({"photo_id": ids, "license": [4] * 50}), path, row_group_size=group_rows
    )
    pieces = list(iter_manifest(path, chunk_rows=chunk_rows))
    rows = [int(row) for piece in pieces for row in piece.columns["source_row"]]
    photo_ids = [str(value) for piece in pieces for value in piece.columns["photo_ref"]]
    assert rows == list(range(1, 51))
    assert photo_ids == ids
    assert all(piece.rows <= chunk_rows for piece in pieces)
    spans = _row_group_spans(pq.ParquetFile(path).metadata, chunk_rows)
    assert [group for span in spans for group in span] == list(range(math.ceil(50 / group_rows)))
    assert all(len(span) * group_rows >= chunk_rows for span in spans[:-1])
