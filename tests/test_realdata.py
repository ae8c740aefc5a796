"""Every real manifest sample in ../shared/realdata, read end to end with exact counts.

Every expected number is a literal taken from the sample's PROVENANCE.txt or from an independent
count of the file with Python's json/csv modules, never from the auditor itself. The samples are
not part of the project: these tests are skipped where ../shared/realdata is absent.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from auditor.errors import ManifestError
from auditor.manifests.read import ManifestTable, detect_format, read_manifests

pytestmark = pytest.mark.realdata

FLICKR_FOUNDATION_FILES = (
    "32812033543.json",
    "album-72157640898611483-page2.json",
    "album-72157640898611483.json",
    "album-72157677773252346.json",
    "gallery-72157677773252346.json",
    "gallery-72157716953066942.json",
    "group-geologists.json",
    "group-slovenia.json",
    "tag-botany.json",
    "tag-sunset.json",
    "user-george.json",
    "user-spike_yun.json",
)
FLICKR_FOUNDATION = tuple(
    f"flickr_foundation_photos_api/api_responses/{name}" for name in FLICKR_FOUNDATION_FILES
)
LICENCE_HISTORY = tuple(
    f"flickr_foundation_photos_api/license_history/{name}"
    for name in (
        "flickr.photos.getInfo.54049228596.xml",
        "flickr.photos.getInfo.54450311696.xml",
        "flickr.photos.licenses.getInfo.xml",
        "flickr.photos.licenses.getLicenseHistory.3948976954.xml",
        "flickr.photos.licenses.getLicenseHistory.54049228596.xml",
        "flickr.photos.licenses.getLicenseHistory.54450311696.xml",
    )
)
OPENIMAGES_EXCERPT = "openimages_readme_rows/openimages_READMEV1_images_csv_example.txt"
BROKEN_JP = "https://creativecommons.org/licenses/by-nd-nc/2.0/jp/"


@dataclass(frozen=True)
class Expected:
    files: tuple[str, ...]
    format: str
    rows: int
    photos: int
    duplicates: int
    no_photo_id: int
    owners: int
    licences: dict[str, int]
    first: tuple[str, str | None, int]  # photo_id, owner, source_row
    last: tuple[str, str | None, int]
    skipped: dict[str, int] = field(default_factory=dict)


EXPECTED: dict[str, Expected] = {
    # PROVENANCE: licence ids val 3:25 1:19 4:17 5:8 2:7 6:3; the file's table maps 1 BY-NC-SA,
    # 2 BY-NC, 3 BY-NC-ND, 4 BY, 5 BY-SA, 6 BY-ND (all 2.0). No owners in static URLs.
    "coco-val": Expected(
        files=("coco_mini_2017/captions_val2017.json",),
        format="coco",
        rows=79,
        photos=79,
        duplicates=0,
        no_photo_id=0,
        owners=0,
        licences={
            "cc-by-nc-nd-2.0": 25,
            "cc-by-nc-sa-2.0": 19,
            "cc-by-2.0": 17,
            "cc-by-sa-2.0": 8,
            "cc-by-nc-2.0": 7,
            "cc-by-nd-2.0": 3,
        },
        first=("6255196340", None, 1),
        last=("3106037881", None, 79),
    ),
    # PROVENANCE: train 3:27 1:15 5:14 4:12 2:9 6:3.
    "coco-train": Expected(
        files=("coco_mini_2017/captions_train2017.json",),
        format="coco",
        rows=80,
        photos=80,
        duplicates=0,
        no_photo_id=0,
        owners=0,
        licences={
            "cc-by-nc-nd-2.0": 27,
            "cc-by-nc-sa-2.0": 15,
            "cc-by-sa-2.0": 14,
            "cc-by-2.0": 12,
            "cc-by-nc-2.0": 9,
            "cc-by-nd-2.0": 3,
        },
        first=("3176652494", None, 1),
        last=("4801592343", None, 80),
    ),
    # PROVENANCE: 2 images, licence ids 2 (BY-NC), 1 (BY-NC-SA).
    "coco-panoptic": Expected(
        files=("coco_panopticapi_sample/images_info_examples.json",),
        format="coco",
        rows=2,
        photos=2,
        duplicates=0,
        no_photo_id=0,
        owners=0,
        licences={"cc-by-nc-2.0": 1, "cc-by-nc-sa-2.0": 1},
        first=("5079131149", None, 1),
        last=("9275116980", None, 2),
    ),
    # PROVENANCE: licence ids 4 and 2, no `licenses` table (read as Flickr's ids: 4 BY, 2 BY-NC).
    "coco-detectron2": Expected(
        files=("coco_detectron2_test_fixture/gt_annotations.json",),
        format="coco",
        rows=2,
        photos=2,
        duplicates=0,
        no_photo_id=0,
        owners=0,
        licences={"cc-by-2.0": 1, "cc-by-nc-2.0": 1},
        first=("9138147604", None, 1),
        last=("8024364858", None, 2),
    ),
    # PROVENANCE: 1,208 records, 301 NSIDs; PDM 805, US Gov 219, CC0 145, No known copyright 39.
    "ffhq-style": Expected(
        files=("fsxl_ffhq_style/fsxl-metadata.released-subset.json",),
        format="ffhq",
        rows=1208,
        photos=1208,
        duplicates=0,
        no_photo_id=0,
        owners=301,
        licences={"pdm-1.0": 805, "usgov": 219, "cc0-1.0": 145, "nkcr": 39},
        first=("43002483801", "155350915@N05", 1),
        last=("6945596888", "59076512@N05", 1208),
    ),
    # PROVENANCE: header + 2 rows, both CC BY 2.0, path aliases michael-beat and drstarbuck.
    "openimages-head": Expected(
        files=("openimages_readme_rows/train-images-boxable-with-rotation.head.csv",),
        format="openimages",
        rows=2,
        photos=2,
        duplicates=0,
        no_photo_id=0,
        owners=2,
        licences={"cc-by-2.0": 2},
        first=("5898076654", "michael-beat", 2),
        last=("197493648", "drstarbuck", 3),
    ),
    # PROVENANCE: 1,899 records, 1,001 Flickr (all distinct) and the other providers' counts;
    # licence mix of the Flickr rows. Owners, first/last rows and their lines: csv module count.
    "openverse-csv": Expected(
        files=("openverse_api_sample_images/sample_images_to_clean.csv",),
        format="openverse",
        rows=1001,
        photos=1001,
        duplicates=0,
        no_photo_id=0,
        owners=537,
        licences={
            "cc-by-nc-nd-2.0": 324,
            "cc-by-2.0": 211,
            "cc-by-nc-sa-2.0": 179,
            "cc-by-sa-2.0": 113,
            "cc-by-nc-2.0": 111,
            "cc-by-nd-2.0": 56,
            "cc0-1.0": 4,
            "pdm-1.0": 3,
        },
        first=("42848471642", "150386686@N03", 2),
        last=("8372593024", "70892249@N00", 1800),
        skipped={
            "provider geographorguk": 300,
            "provider wikimedia": 233,
            "provider eol": 174,
            "provider rijksmuseum": 70,
            "provider behance": 63,
            "provider deviantart": 32,
            "provider 500px": 14,
            "provider digitaltmuseum": 8,
            "provider mccordmuseum": 2,
            "provider phylopic": 1,
            "provider europeana": 1,
        },
    ),
    # PROVENANCE: 637 lines, 73 distinct, 4 owners; by-nc-nd/2.0 x530, by/2.0 x102, PDM/1.0 x5.
    "openverse-tsv": Expected(
        files=("openverse_catalog_flickr/flickr_1557512401.tsv",),
        format="openverse",
        rows=637,
        photos=73,
        duplicates=564,
        no_photo_id=0,
        owners=4,
        licences={"cc-by-nc-nd-2.0": 530, "cc-by-2.0": 102, "pdm-1.0": 5},
        first=("47030104294", "24917258@N05", 1),
        last=("32875841857", "141143347@N08", 637),
    ),
    # PROVENANCE: a flickr.photos.search page of 30 photos, all licence "1" (CC BY-NC-SA 2.0).
    "flickr-search-page": Expected(
        files=("openverse_catalog_flickr/flickr_example_pretty.json",),
        format="flickr-api",
        rows=30,
        photos=30,
        duplicates=0,
        no_photo_id=0,
        owners=6,
        licences={"cc-by-nc-sa-2.0": 30},
        first=("49514337848", "7478087@N06", 1),
        last=("49514799266", "129621946@N07", 30),
    ),
    # PROVENANCE: 12 files read in one call: 650 records, 649 distinct ids, 167 owners.
    "flickr-foundation": Expected(
        files=FLICKR_FOUNDATION,
        format="flickr-api",
        rows=650,
        photos=649,
        duplicates=1,
        no_photo_id=0,
        owners=167,
        licences={
            "all-rights-reserved": 429,
            "pdm-1.0": 201,
            "cc-by-sa-2.0": 6,
            "cc-by-2.0": 5,
            "cc-by-nc-nd-2.0": 3,
            "cc-by-nc-sa-2.0": 3,
            "cc-by-nc-2.0": 2,
            "usgov": 1,
        },
        first=("32812033543", "30884892@N08", 1),
        last=("24742680143", "132051449@N06", 100),
    ),
    # PROVENANCE: 4 lines; by-nc/2.0, by/2.0, by-nc-nd/2.0, by/2.0.
    "yfcc100m": Expected(
        files=("yfcc100m_flickr_photo_test/yfcc100m_lines.tsv",),
        format="yfcc100m",
        rows=4,
        photos=4,
        duplicates=0,
        no_photo_id=0,
        owners=4,
        licences={"cc-by-2.0": 2, "cc-by-nc-2.0": 1, "cc-by-nc-nd-2.0": 1},
        first=("7088065", "30302697@N00", 1),
        last=("10642543105", "93003266@N04", 4),
    ),
}


@functools.cache
def _read(root: Path, files: tuple[str, ...]) -> ManifestTable:
    return read_manifests([root / name for name in files])


def _plain(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def sample(realdata: Path, key: str) -> ManifestTable:
    return _read(realdata, EXPECTED[key].files)


def test_every_sample_file_is_covered(realdata: Path) -> None:
    present = {
        str(path.relative_to(realdata))
        for path in realdata.rglob("*")
        if path.is_file() and path.name not in ("PROVENANCE.txt", "README.txt")
    }
    covered = {name for expected in EXPECTED.values() for name in expected.files}
    covered |= {OPENIMAGES_EXCERPT, *LICENCE_HISTORY}
    assert present == covered


@pytest.mark.parametrize("key", EXPECTED)
def test_sample_counts(realdata: Path, key: str) -> None:
    expected = EXPECTED[key]
    for name in expected.files:
        assert detect_format(realdata / name) == expected.format
    table = sample(realdata, key)
    photos = table.photos
    summary = table.summary()
    assert summary.files == len(expected.files)
    assert summary.rows == expected.rows
    assert summary.photos == expected.photos
    assert summary.duplicates == expected.duplicates
    assert summary.no_photo_id == expected.no_photo_id
    assert summary.unknown_licence == 0
    assert summary.no_licence == 0
    assert summary.skipped == expected.skipped
    assert photos["owner"].nunique() == expected.owners
    assert photos["recorded_licence"].value_counts().to_dict() == expected.licences
    assert sum(report.rows for report in table.files) == expected.rows
    assert [report.format for report in table.files] == [expected.format] * len(expected.files)


@pytest.mark.parametrize("key", EXPECTED)
def test_sample_first_and_last_rows(realdata: Path, key: str) -> None:
    expected = EXPECTED[key]
    photos = sample(realdata, key).photos
    columns = ["photo_id", "owner", "source_row"]
    first = tuple(_plain(v) for v in photos[columns].iloc[0])
    last = tuple(_plain(v) for v in photos[columns].iloc[-1])
    assert (first, last) == (expected.first, expected.last)
    assert photos["source_file"].iloc[0] == str(realdata / expected.files[0])
    assert photos["source_file"].iloc[-1] == str(realdata / expected.files[-1])


# -- per-sample details --------------------------------------------------------------------------


def test_coco_samples_record_no_collection_date(realdata: Path) -> None:
    for key in ("coco-val", "coco-train", "coco-panoptic", "coco-detectron2"):
        photos = sample(realdata, key).photos
        assert photos["collected_at"].isna().all()  # date_captured is not a collection date
        assert photos["owner_kind"].isna().all()
        assert photos["notes"].isna().all()


def test_coco_without_licences_table_is_noted(realdata: Path) -> None:
    table = sample(realdata, "coco-detectron2")
    assert table.files[0].notes == (
        "no `licenses` table: licence ids read as Flickr's (COCO's 1-8 match)",
    )
    assert table.photos["recorded_licence_raw"].tolist() == ["4", "2"]
    assert sample(realdata, "coco-val").files[0].notes == ()


def test_ffhq_style_dates_and_owners(realdata: Path) -> None:
    photos = sample(realdata, "ffhq-style").photos
    # PROVENANCE: all photo_url are /photos/<NSID>/<id>; date_crawled 2024-07-19;
    # date_uploaded 2008-11-04..2020-11-25.
    assert photos["owner_kind"].value_counts().to_dict() == {"nsid": 1208}
    assert photos["collected_at"].value_counts().to_dict() == {"2024-07-19": 1208}
    assert (photos["uploaded_at"].min(), photos["uploaded_at"].max()) == (
        "2008-11-04",
        "2020-11-25",
    )
    assert photos["notes"].isna().all()


def test_openimages_head_rows(realdata: Path) -> None:
    photos = sample(realdata, "openimages-head").photos
    assert photos[["owner_kind", "owner_name", "title", "url"]].values.tolist() == [
        [
            "alias",
            "Michael Beat",
            "...die FNF-Kerze",
            "https://www.flickr.com/photos/michael-beat/5898076654",
        ],
        [
            "alias",
            "Karen",
            "Three boys on a hill",
            "https://www.flickr.com/photos/drstarbuck/197493648",
        ],
    ]


def test_openverse_export_details(realdata: Path) -> None:
    photos = sample(realdata, "openverse-csv").photos
    # PROVENANCE: 981 landing URLs hold an NSID (the rest path aliases); 193 lack a scheme.
    assert photos["owner_kind"].value_counts().to_dict() == {"nsid": 981, "alias": 20}
    assert int((~photos["url"].str.startswith("http")).sum()) == 193
    # PROVENANCE: 194 rows carry the non-existent by-nd-nc/2.0/jp URL on by-nc-nd rows: resolved
    # through the licence column and noted. No other row has a note.
    noted = photos[photos["notes"].notna()]
    assert len(noted) == 194
    assert set(noted["notes"]) == {f"licence {BROKEN_JP!r} not recognised; used 'by-nc-nd 2'"}
    assert set(noted["recorded_licence"]) == {"cc-by-nc-nd-2.0"}
    assert set(noted["recorded_licence_raw"]) == {f"by-nc-nd 2 | {BROKEN_JP}"}
    # Every Flickr row has last_synced_with_source (csv module count).
    assert int(photos["collected_at"].notna().sum()) == 1001
    assert photos["collected_at"].iloc[0] == "2019-08-05T17:04:33.955919+00:00"
    assert sum(EXPECTED["openverse-csv"].skipped.values()) == 898


def test_openverse_provider_tsv_owners(realdata: Path) -> None:
    photos = sample(realdata, "openverse-tsv").photos
    # Independent count of the creator_url column.
    assert photos["owner"].value_counts().to_dict() == {
        "23240330@N03": 481,
        "54639760@N08": 102,
        "24917258@N05": 49,
        "141143347@N08": 5,
    }
    assert photos["owner_kind"].value_counts().to_dict() == {"nsid": 637}
    assert photos["url"].iloc[0] == "www.flickr.com/photos/24917258@N05/47030104294"
    assert photos["uploaded_at"].iloc[0] == "2019-05-10T18:20:25Z"
    assert photos["notes"].isna().all()


def test_flickr_search_page_details(realdata: Path) -> None:
    photos = sample(realdata, "flickr-search-page").photos
    assert set(photos["recorded_licence_raw"]) == {"1"}
    first = photos.iloc[0]
    assert (first["owner_name"], first["uploaded_at"], first["title"]) == (
        "markustrois",
        "2020-02-10T07:16:51Z",
        "Warsy (église) • 7433",
    )


def test_flickr_foundation_files(realdata: Path) -> None:
    table = sample(realdata, "flickr-foundation")
    # Independent count per file (json module).
    assert [(Path(r.path).name, r.rows) for r in table.files] == list(
        zip(
            FLICKR_FOUNDATION_FILES,
            (1, 100, 100, 10, 10, 99, 100, 10, 100, 10, 10, 100),
            strict=True,
        )
    )
    photos = table.photos
    repeated = photos[photos["photo_id"] == "18250964001"]
    assert [Path(f).name for f in repeated["source_file"]] == [
        "album-72157677773252346.json",
        "user-spike_yun.json",
    ]
    # PROVENANCE: all-rights-reserved photos have no licence URL; their label is recorded.
    arr = photos[photos["recorded_licence"] == "all-rights-reserved"]
    assert set(arr["recorded_licence_raw"]) == {"All Rights Reserved"}
    assert photos["owner_kind"].value_counts().to_dict() == {"nsid": 650}
    assert photos["notes"].isna().all()


def test_yfcc100m_lines(realdata: Path) -> None:
    photos = sample(realdata, "yfcc100m").photos
    # PROVENANCE rows; text fields URL-decoded; uploaded_at from the "date uploaded" epoch.
    assert photos[["owner_name", "title", "uploaded_at"]].values.tolist() == [
        ["jhf", "Gnome", "2005-03-22T04:56:28Z"],
        ["MDG26", "Team Muppet Show", "2007-01-03T00:14:07Z"],
        ["Indigo Skies Photography", "Sunlight through the morning fog", "2011-11-08T11:31:26Z"],
        ["GSofV", "0601 Young man", "2013-11-03T10:07:31Z"],
    ]
    # The garbage "date taken" 4501-01-01 is not a field the photo table reads.
    assert photos["notes"].isna().all()
    assert photos["collected_at"].isna().all()


def test_all_samples_in_one_call(realdata: Path) -> None:
    names = sorted({name for expected in EXPECTED.values() for name in expected.files})
    summary = read_manifests([realdata / name for name in names]).summary()
    # Independent count over all files: 3,695 rows, 3,129 distinct ids. Besides the Openverse
    # TSV's 564 and the Flickr Foundation's 1, COCO val2017 image 139 (8024364858) is both in
    # the detectron2 fixture and in COCO-MINI val.
    assert (summary.files, summary.rows, summary.photos, summary.duplicates) == (
        22,
        3695,
        3129,
        566,
    )


# -- files that are not manifests ----------------------------------------------------------------


def test_openimages_readme_excerpt_is_read_as_a_url_list(realdata: Path) -> None:
    """The README excerpt is not a CSV (a display excerpt with `\\` continuations and a missing
    comma, inside ``` fences). Today its first line, ```, makes it a URL list: each of its 10
    non-blank lines (line 5 is blank) is a row. The one photo it shows (5215831864) is found once,
    on line 10, whose value ends in the thumbnail's Flickr file name; its landing URL on line 7
    ends in `,\\` and gives no id."""
    path = realdata / OPENIMAGES_EXCERPT
    assert detect_format(path) == "urls"
    table = read_manifests([path])
    photos = table.photos
    summary = table.summary()
    assert (summary.rows, summary.photos, summary.no_photo_id, summary.no_licence) == (
        10,
        1,
        9,
        10,
    )
    assert photos["source_row"].tolist() == [1, 2, 3, 4, 6, 7, 8, 9, 10, 11]
    found = photos[photos["photo_id"].notna()]
    assert found[["source_row", "photo_id"]].values.tolist() == [[10, "5215831864"]]
    aliased = photos[photos["owner"].notna()]
    assert aliased[["source_row", "owner", "owner_kind"]].values.tolist() == [
        [7, "brokentaco", "alias"],
        [9, "brokentaco", "alias"],
    ]
    assert photos["notes"].iloc[5] == "no Flickr photo id: photo id in the URL is not a number"
    # Read as what its name says, it is refused, saying what it looks like.
    with pytest.raises(ManifestError) as caught:
        read_manifests([path], fmt="openimages")
    assert caught.value.problem == (
        "does not fit --manifest-format openimages: it looks like a list of one value per line "
        "(urls); drop the option to read it as that"
    )


@pytest.mark.parametrize("name", LICENCE_HISTORY)
def test_flickr_xml_answers_are_refused(realdata: Path, name: str) -> None:
    with pytest.raises(ManifestError) as caught:
        read_manifests([realdata / name])
    assert caught.value.line == 1
    assert "no column of Flickr photo ids, URLs or image file names found" in caught.value.problem
