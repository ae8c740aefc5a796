"""The layouts of widely used Flickr-sourced datasets, read with no options: photo ids from image
file names, header-less and pipe/whitespace tables, records nested in objects. Each fixture is a
few lines written here in the dataset's real layout (lines cut short, values kept in form).

Also: bare numbers never become photo ids where the layout is not known to be Flickr's, a forced
format that does not fit is refused saying what the file looks like, and a read that finds no
photo is an error, never an empty pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from auditor.errors import ManifestError
from auditor.manifests import source
from auditor.manifests.columns import ColumnOptions
from auditor.manifests.read import ManifestTable, detect_format, read_manifest, read_manifests

Write = Callable[[str, str | bytes], Path]


def ids(table: ManifestTable) -> list[object]:
    return [None if pd.isna(v) else v for v in table.photos["photo_id"]]


def photo_rows(table: ManifestTable, *columns: str) -> list[tuple[object, ...]]:
    frame = table.photos[list(columns)]
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)]


def notes(table: ManifestTable) -> str:
    return " | ".join(table.files[0].notes)


# -- Flickr8k ------------------------------------------------------------------------------------

FLICKR8K_TOKEN = (
    "1000268201_693b08cb0e.jpg#0\tA child in a pink dress is climbing up a set of stairs .\n"
    "1000268201_693b08cb0e.jpg#1\tA girl going into a wooden building .\n"
    "1001773457_577c3a7d70.jpg#0\tA black dog and a spotted dog are fighting\n"
)


def test_flickr8k_token_file(write: Write) -> None:
    path = write("data.bin", FLICKR8K_TOKEN)
    assert detect_format(path) == "tsv"
    table = read_manifests([path])
    assert photo_rows(table, "photo_id", "source_row", "owner") == [
        ("1000268201", 1, None),
        ("1000268201", 2, None),
        ("1001773457", 3, None),
    ]
    assert "no header line" in notes(table)
    assert "image file names in column 1 ({id}_{secret}.jpg)" in notes(table)


def test_flickr8k_split_list(write: Write) -> None:
    path = write("data.bin", "2513260012_03d33305cf.jpg\n2903617548_d3e38d7f88.jpg\n")
    assert detect_format(path) == "urls"
    assert ids(read_manifests([path])) == ["2513260012", "2903617548"]


def test_kaggle_flickr8k_captions_csv(write: Write) -> None:
    text = (
        "image,caption\n"
        "1000268201_693b08cb0e.jpg,A child in a pink dress is climbing up a set of stairs .\n"
        '1000268201_693b08cb0e.jpg,"A little girl climbing into a wooden playhouse, smiling ."\n'
        "1001773457_577c3a7d70.jpg,A black dog and a spotted dog are fighting\n"
    )
    path = write("data.bin", text)
    assert detect_format(path) == "csv"
    table = read_manifests([path])
    assert photo_rows(table, "photo_id", "source_row") == [
        ("1000268201", 2),
        ("1000268201", 3),
        ("1001773457", 4),
    ]


# -- Flickr30k -----------------------------------------------------------------------------------

FLICKR30K_RESULTS = (
    "image_name| comment_number| comment\n"
    "1000092795.jpg| 0| Two young guys with shaggy hair look at their hands .\n"
    "1000092795.jpg| 1| Two young , White males are outside near many bushes .\n"
    # The real file has a line that lost a pipe; it still gives its photo.
    "2199200615.jpg| 4 A dog runs across the grass .\n"
    "10002456.jpg| 0| Several men in hard hats are operating a giant pulley system .\n"
)


def test_flickr30k_results_csv_pipe_delimited(write: Write) -> None:
    path = write("data.bin", FLICKR30K_RESULTS)
    assert detect_format(path) == "table"
    table = read_manifests([path])
    assert photo_rows(table, "photo_id", "source_row") == [
        ("1000092795", 2),
        ("1000092795", 3),
        ("2199200615", 4),
        ("10002456", 5),
    ]
    assert "Flickr30k's results.csv header" in notes(table)


def test_flickr30k_token_file(write: Write) -> None:
    text = "1000092795.jpg#0\tTwo young guys .\n10002456.jpg#0\tSeveral men .\n"
    table = read_manifests([write("data.bin", text)])
    assert ids(table) == ["1000092795", "10002456"]
    assert "caption-token names" in notes(table)


def test_karpathy_splits(write: Write) -> None:
    def karpathy(dataset: str, *names: str) -> str:
        images = [
            {
                "sentids": [i],
                "imgid": i,
                "sentences": [{"tokens": ["a"], "raw": "A.", "imgid": i, "sentid": i}],
                "split": "train",
                "filename": name,
            }
            for i, name in enumerate(names)
        ]
        return json.dumps({"images": images, "dataset": dataset})

    flickr30k = write("a.bin", karpathy("flickr30k", "1000092795.jpg", "10002456.jpg"))
    flickr8k = write("b.bin", karpathy("flickr8k", "2513260012_03d33305cf.jpg"))
    assert detect_format(flickr30k) == "json"
    table = read_manifests([flickr30k, flickr8k])
    assert photo_rows(table, "photo_id", "source_row") == [
        ("1000092795", 1),
        ("10002456", 2),
        ("2513260012", 1),
    ]
    assert "'images' list" in notes(table)
    # Karpathy's COCO split names COCO's own images: no Flickr id, and the error says where to go.
    coco = write("c.bin", karpathy("coco", "COCO_val2014_000000391895.jpg"))
    with pytest.raises(ManifestError, match=r"COCO's own ids; audit COCO's annotation file"):
        read_manifests([coco])


def test_karpathy_split_streamed_past_its_start(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real dataset_flickr30k.json is streamed (tens of MiB); its `"dataset"` comes after the
    # images, past the start the reader sees, so the records' own shape is the evidence.
    monkeypatch.setattr(source, "WHOLE_JSON_BYTES", 2000)
    monkeypatch.setattr(source, "SKELETON_BYTES", 1000)
    images = [
        {
            "sentids": [i],
            "imgid": i,
            "sentences": [{"tokens": ["a"], "raw": "A dog runs .", "imgid": i, "sentid": i}],
            "split": "train",
            "filename": f"{1000092795 + i}.jpg",
        }
        for i in range(300)
    ]
    path = write("data.bin", json.dumps({"images": images, "dataset": "flickr30k"}))
    table = read_manifests([path])
    assert len(table.photos) == 300
    assert table.photos["photo_id"].tolist()[:2] == ["1000092795", "1000092796"]
    assert "Karpathy's Flickr caption-split records" in notes(table)
    # Karpathy's COCO split has `cocoid` and `filepath`: its names are never taken.
    coco = [{**image, "cocoid": 1, "filepath": "val2014"} for image in images]
    with pytest.raises(ManifestError, match="no Flickr photo found"):
        read_manifests([write("coco.bin", json.dumps({"images": coco, "dataset": "coco"}))])


def test_blip_lavis_annotations(write: Write) -> None:
    train = [
        {"image": "flickr30k-images/1000092795.jpg", "caption": "Two young guys.", "image_id": 0},
        {"image": "flickr30k-images/10002456.jpg", "caption": "Several men.", "image_id": 1},
    ]
    test = [{"image": "flickr30k-images/1007129816.jpg", "caption": ["A man.", "A hat."]}]
    table = read_manifests(
        [write("train.bin", json.dumps(train)), write("t.bin", json.dumps(test))]
    )
    # `image_id` is BLIP's counter: never a photo id.
    assert ids(table) == ["1000092795", "10002456", "1007129816"]


# -- Im2GPS / MP-16, NUS-WIDE, ImageNet --------------------------------------------------------


def test_im2gps_names_give_id_and_owner(write: Write) -> None:
    text = (
        "IMG_ID,AUTHOR,LAT,LON,S3_Label\n"
        "1000186891_4ffbb9a4f6_1206_94006718@N00.jpg,94006718@N00,40.7128,-74.006,2\n"
        "100263779_a7ab3d8d8b_36_43523366@N00.jpg,43523366@N00,48.85,2.35,1\n"
    )
    table = read_manifests([write("data.bin", text)])
    assert photo_rows(table, "photo_id", "owner", "owner_kind") == [
        ("1000186891", "94006718@N00", "nsid"),
        ("100263779", "43523366@N00", "nsid"),
    ]


def test_mp16_paths_are_not_ids_without_evidence(write: Write) -> None:
    text = "IMG_ID,LAT,LON\n10/14/2127436843.jpg,51.5,-0.12\n33/79/2154545003.jpg,40.1,2.3\n"
    path = write("data.bin", text)
    with pytest.raises(ManifestError, match="pass --ids-from-filenames"):
        read_manifests([path])
    table = read_manifests([path], columns=ColumnOptions(ids_from_filenames=True))
    assert ids(table) == ["2127436843", "2154545003"]
    assert "Flickr ids by --ids-from-filenames" in notes(table)


def test_nus_wide_image_list_with_windows_paths(write: Write) -> None:
    text = (
        "C:\\ImageData\\actor\\0001_2124494179.jpg\r\n"
        "C:\\ImageData\\actor\\0002_174174086.jpg\r\n"
        "C:\\ImageData\\airport\\0001_2150424178.jpg\r\n"
    )
    table = read_manifests([write("data.bin", text)])
    assert ids(table) == ["2124494179", "174174086", "2150424178"]
    assert "{n}_{id}.jpg" in notes(table)


NUS_WIDE_URLS = (
    "%%%     Photo_file                                    Photo_id    url_Large   url_Middle"
    "   url_Small   url_Original\n"
    "     C:\\ImageData\\Flickr\\actor\\0001_2124494179.jpg    2124494179  "
    "http://farm3.static.flickr.com/2034/2124494179_e5d6d8b1ba_b.jpg  "
    "http://farm3.static.flickr.com/2034/2124494179_e5d6d8b1ba.jpg  null  null\n"
    "     C:\\ImageData\\Flickr\\actor\\0002_174174086.jpg     174174086   null  "
    "http://farm1.static.flickr.com/70/174174086_ba71f3c2f9.jpg  null  null\n"
)


def test_nus_wide_urls_whitespace_aligned(write: Write) -> None:
    path = write("data.bin", NUS_WIDE_URLS)
    assert detect_format(path) == "table"
    table = read_manifests([path])
    assert photo_rows(table, "photo_id", "source_row", "notes") == [
        ("2124494179", 2, None),
        ("174174086", 3, None),
    ]


def test_imagenet_fall11_urls_header_less(write: Write) -> None:
    text = (
        "n00004475_6590\thttp://farm4.static.flickr.com/3175/2737866473_7958dc8760.jpg\n"
        "n00004475_15899\thttp://farm4.static.flickr.com/3276/2875184020_9944005d0d.jpg\n"
        "n00004475_32312\thttp://www.porschemania.it/discus/messages/815/2.jpg\n"
    )
    table = read_manifests([write("data.bin", text)])
    assert photo_rows(table, "photo_id", "source_row") == [
        ("2737866473", 1),
        ("2875184020", 2),
        (None, 3),
    ]
    assert "not a Flickr URL" in str(table.photos["notes"].iloc[2])


def test_url_then_labels_header_less(write: Write) -> None:
    text = (
        "https://www.flickr.com/photos/jdoe/5898076654/\tdog,grass\n"
        "https://flic.kr/p/2\tcat\n"
        "https://live.staticflickr.com/65535/52551849781_526ea6e748_c.jpg\tsky\n"
    )
    table = read_manifests([write("data.bin", text)])
    assert photo_rows(table, "photo_id", "owner") == [
        ("5898076654", "jdoe"),
        ("1", None),
        ("52551849781", None),
    ]


# -- JSON shapes ---------------------------------------------------------------------------------


def test_records_nested_one_level(write: Write) -> None:
    records = [
        {"key": "a", "photo": {"url": "https://www.flickr.com/photos/12345678@N01/11/"}},
        {"key": "b", "photo": {"url": "https://www.flickr.com/photos/jdoe/12/", "license": "4"}},
    ]
    table = read_manifests([write("data.bin", json.dumps(records))])
    assert photo_rows(table, "photo_id", "owner", "recorded_licence") == [
        ("11", "12345678@N01", "unknown"),
        ("12", "jdoe", "cc-by-2.0"),
    ]


def test_images_document_that_is_not_coco(write: Write) -> None:
    document = {
        "info": {"name": "x"},
        "images": [
            {"file": "a", "url": "https://www.flickr.com/photos/jdoe/21/"},
            {"file": "b", "url": "https://www.flickr.com/photos/jdoe/22/"},
        ],
    }
    path = write("data.bin", json.dumps(document))
    assert detect_format(path) == "json"
    assert ids(read_manifests([path])) == ["21", "22"]
    # Forced as COCO, the error says what the file is (never "no `images` list").
    with pytest.raises(ManifestError) as caught:
        read_manifest(path, "coco")
    assert caught.value.problem == (
        "does not fit --manifest-format coco: it looks like JSON records (json); "
        "drop the option to read it as that"
    )


# -- bare numbers --------------------------------------------------------------------------------


def test_a_dataset_row_id_beside_urls_is_not_a_photo_id(write: Write) -> None:
    text = (
        "id,url,caption\n"
        "1,https://www.flickr.com/photos/jdoe/5898076654/,a\n"
        "2,https://live.staticflickr.com/65535/52551849781_526ea6e748_c.jpg,b\n"
    )
    table = read_manifests([write("data.bin", text)])
    assert photo_rows(table, "photo_id", "notes") == [("5898076654", None), ("52551849781", None)]
    assert "column 'id' is the dataset's own row id" in notes(table)


def test_local_file_names_beside_ids_add_no_noise(write: Write) -> None:
    text = "photo_id,filename\n5898076654,img_0001.jpg\n52551849781,img_0002.jpg\n"
    table = read_manifests([write("data.bin", text)])
    assert photo_rows(table, "photo_id", "notes") == [("5898076654", None), ("52551849781", None)]
    assert not table.files[0].notes


def test_an_id_column_that_agrees_with_the_urls_is_kept(write: Write) -> None:
    text = "id,url\n5898076654,https://www.flickr.com/photos/jdoe/5898076654/\n"
    table = read_manifests([write("data.bin", text)])
    assert ids(table) == ["5898076654"]
    assert not table.files[0].notes


def test_face_box_list_counts_are_not_photo_ids(write: Write) -> None:
    # WIDER FACE / FDDB style: a file name, a face count, then one box per line.
    text = (
        "0--Parade/0_Parade_marchingband_1_849.jpg\n1\n449 330 122 149 0 0 0 0 0 0\n"
        "0--Parade/0_Parade_Parade_0_904.jpg\n1\n361 98 263 339 0 0 0 0 0 0\n"
    )
    path = write("data.bin", text)
    with pytest.raises(ManifestError, match="no Flickr photo found"):
        read_manifests([path])
    raw = read_manifest(path)
    assert "the list holds numbers among values that name no photo" in " ".join(raw.notes)
    assert "image file names hold no Flickr photo id in a known layout" in " ".join(raw.notes)


def test_id_column_of_face_box_file_is_not_read_as_ids(write: Write) -> None:
    # The case: `--id-column 1` on a face-box file, split on white space.
    text = (
        "0--Parade/0_Parade_marchingband_1_849.jpg\n1\n449 330 122 149 0 0 0 0 0 0\n"
        "0--Parade/0_Parade_Parade_0_904.jpg\n2\n361 98 263 339 0 0 0 0 0 0\n"
        "80 30 26 39 0 0 0 0 0 0\n"
    )
    path = write("data.bin", text)
    options = ColumnOptions(id="1", delimiter=" ")
    with pytest.raises(ManifestError, match="no Flickr photo found"):
        read_manifests([path], columns=options)
    raw = read_manifest(path, columns=options)
    assert "column 1 holds numbers among values that name no photo" in " ".join(raw.notes)


def test_a_counter_in_the_id_column_is_not_photo_ids(write: Write) -> None:
    text = "id,caption\n1,a\n2,b\n3,c\n4,d\n"
    with pytest.raises(ManifestError) as caught:
        read_manifests([write("data.bin", text)])
    assert "a bare number in a counter (1, 2, 3, …), not photo ids" in caught.value.problem
    # So is a counter in the column the user named by position; a `photo_id` column is taken
    # at its word.
    headerless = write("c.bin", "1,a\n2,b\n3,c\n")
    with pytest.raises(ManifestError, match="a counter"):
        read_manifests([headerless], columns=ColumnOptions(id="1"))
    named = write("d.bin", "photo_id,caption\n1,a\n2,b\n3,c\n")
    assert ids(read_manifests([named])) == ["1", "2", "3"]
    # Real ids, even with a few junk cells among them, stay ids.
    text = "photo_id\n5898076654\nunknown\n52551849781\n7088065\n"
    assert ids(read_manifests([write("b.bin", text)])) == [
        "5898076654",
        None,
        "52551849781",
        "7088065",
    ]


def test_bare_number_names_without_evidence_say_what_to_pass(write: Write) -> None:
    path = write("data.bin", "image,caption\n1000092795.jpg,a\n10002456.jpg,b\n")
    with pytest.raises(ManifestError) as caught:
        read_manifests([path])
    assert "pass --ids-from-filenames" in caught.value.problem
    raw = read_manifest(path)
    assert raw.notes == [
        (
            "image file names in column 'image' are bare numbers ({id}.jpg) with nothing to "
            "show they are Flickr ids; pass --ids-from-filenames if they are"
        )
    ]


def test_a_list_of_bare_ids_is_still_a_list_of_ids(write: Write) -> None:
    assert ids(read_manifests([write("data.bin", "7088065\n343224206\n")])) == [
        "7088065",
        "343224206",
    ]


def test_zero_padded_names_are_never_ids(write: Write) -> None:
    path = write("data.bin", "file_name,caption\n000000397133.jpg,a\n000000037777.jpg,b\n")
    with pytest.raises(ManifestError, match="no Flickr photo found"):
        read_manifests([path], columns=ColumnOptions(ids_from_filenames=True))


def test_user_id_column_of_names_reads_bare_numbers(write: Write) -> None:
    text = "name\tlabel\nimgs/1000092795.jpg\tx\nimgs/10002456.jpg\ty\n"
    table = read_manifests([write("data.bin", text)], columns=ColumnOptions(id="name"))
    assert ids(table) == ["1000092795", "10002456"]


# -- delimiter -----------------------------------------------------------------------------------


def test_delimiter_option_settles_what_detection_cannot(write: Write) -> None:
    # `:` is no delimiter detection tries: one value per line, none of them a photo.
    path = write("data.bin", "5898076654:cat\n52551849781:dog\n")
    assert detect_format(path) == "urls"
    with pytest.raises(ManifestError, match="or --delimiter if it was split wrongly"):
        read_manifests([path])
    options = ColumnOptions(delimiter=":", id="1")
    assert detect_format(path, options) == "table"
    assert ids(read_manifests([path], columns=options)) == ["5898076654", "52551849781"]
    # A pipe file read with the user's delimiter finds its columns by content, no header.
    text = "https://www.flickr.com/photos/jdoe/5898076654/|dog\n"
    table = read_manifests([write("b.bin", text)], columns=ColumnOptions(delimiter="|"))
    assert ids(table) == ["5898076654"]


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("a|b|c\n1|2|3\n4|5|6\n", "table"),
        ("a;b;c\n1;2;3\n", "csv"),
        ("a b  c\n1 2  3\n4 5 6\n", "table"),
        ("a\tb\n1\t2\n", "tsv"),
        ('a,b\n1,"x, y"\n', "csv"),
    ],
)
def test_delimiter_detection(write: Write, text: str, fmt: str) -> None:
    assert detect_format(write("data.bin", text)) == fmt


# -- refused guesses and empty reads -------------------------------------------------------------


def test_forced_text_format_on_parquet_says_it_is_parquet(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    pd.DataFrame({"photo_id": ["1"]}).to_parquet(path)
    with pytest.raises(ManifestError) as caught:
        read_manifest(path, "csv")
    assert caught.value.problem == (
        "does not fit --manifest-format csv: it looks like a Parquet file (parquet); "
        "drop the option to read it as that"
    )


@pytest.mark.parametrize(
    ("fmt", "looks"),
    [
        ("yfcc100m", "a text table separated by tab (tsv)"),
        ("urls", "a text table separated by tab (tsv)"),
        ("openimages", "a text table separated by tab (tsv)"),
        ("csv", "a text table separated by tab (tsv)"),
        ("jsonl", "a text table separated by tab (tsv)"),
    ],
)
def test_forced_format_that_does_not_fit(write: Write, fmt: str, looks: str) -> None:
    path = write("data.bin", FLICKR8K_TOKEN)
    with pytest.raises(ManifestError) as caught:
        read_manifest(path, fmt)
    assert caught.value.problem == (
        f"does not fit --manifest-format {fmt}: it looks like {looks}; "
        "drop the option to read it as that"
    )


def test_forced_format_that_fits_still_reads(write: Write) -> None:
    assert ids(read_manifests([write("data.bin", FLICKR8K_TOKEN)], fmt="tsv"))[0] == "1000268201"
    path = write("one.bin", "2513260012_03d33305cf.jpg\n")
    assert ids(read_manifests([path], fmt="csv")) == ["2513260012"]


def test_no_photo_found_names_file_format_and_what_to_try(write: Write, tmp_path: Path) -> None:
    good = write("good.bin", "photo_id\n5898076654\n")
    bad = write("bad.bin", "image,caption\nIMG_1.jpg,a\nIMG_2.jpg,b\n")
    with pytest.raises(ManifestError) as caught:
        read_manifests([good, bad])
    error = caught.value
    assert error.path == str(bad)
    assert error.problem.startswith(
        "no Flickr photo found: read as csv, 2 row(s) (the first says: no Flickr photo id: "
        "image name holds no Flickr photo id); name the column"
    )
    header_only = write("empty.bin", "photo_id,license\n")
    with pytest.raises(ManifestError, match="read as csv, no rows"):
        read_manifests([header_only])


def test_parquet_image_names_skip_an_image_bytes_column(tmp_path: Path) -> None:
    # Hugging Face's Flickr30k: `image` holds the picture ({bytes, path}), `filename` its name.
    import pyarrow as pa
    import pyarrow.parquet as pq

    image = pa.array(
        [{"bytes": b"\xff\xd8", "path": None}, {"bytes": b"\xff\xd8", "path": None}],
        pa.struct([("bytes", pa.binary()), ("path", pa.string())]),
    )
    table = pa.table(
        {"image": image, "caption": ["a", "b"], "filename": ["1000092795.jpg", "10002456.jpg"]}
    )
    path = tmp_path / "x.parquet"
    pq.write_table(table, path)
    with pytest.raises(ManifestError, match="pass --ids-from-filenames"):
        read_manifests([path])
    options = ColumnOptions(ids_from_filenames=True)
    assert ids(read_manifests([path], columns=options)) == ["1000092795", "10002456"]
