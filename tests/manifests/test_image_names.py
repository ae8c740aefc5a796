"""Photo ids out of image file names (`auditor.manifests.image_names`): each layout, the paths and
suffixes around it, and the numbers that must never become photo ids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.manifests.content import counts_not_ids
from auditor.manifests.image_names import (
    COUNTER,
    NUMERIC,
    P_NO_ID,
    P_NOT_IMAGE,
    P_NUMERIC,
    P_ZERO_PADDED,
    SECRET,
    SECRET_OWNER,
    flickr_path_hint,
    image_stem,
    name_layout,
    parse_image_name,
)


@pytest.mark.parametrize(
    ("value", "photo_id", "owner", "layout"),
    [
        ("1000268201_693b08cb0e.jpg", "1000268201", None, SECRET),
        ("1000268201_693b08cb0e.jpg#4", "1000268201", None, SECRET),  # Flickr8k.token.txt
        ("Flicker8k_Dataset/2513260012_03d33305cf.jpg", "2513260012", None, SECRET),
        ("images/52551849781_526ea6e748_c.jpg", "52551849781", None, SECRET),
        ("52551849781_526ea6e748_o_d.JPG", "52551849781", None, SECRET),
        ("52551849781_526ea6e748_3k.png", "52551849781", None, SECRET),
        ("1000186891_4ffbb9a4f6_1206_94006718@N00.jpg", "1000186891", "94006718@N00", SECRET_OWNER),
        ("a/b/100263779_a7ab3d8d8b_36_43523366@n00.jpg", "100263779", "43523366@N00", SECRET_OWNER),
        ("C:\\ImageData\\actor\\0001_2124494179.jpg", "2124494179", None, COUNTER),
        ("C:\\ImageData\\Flickr\\sky\\12345_174174086.jpg", "174174086", None, COUNTER),
        ("ImageData/airport/0002_2150424178.jpg", "2150424178", None, COUNTER),
    ],
)
def test_flickr_layouts(value: str, photo_id: str, owner: str | None, layout: str) -> None:
    for numeric in (False, True):  # these layouts need no permission
        ref = parse_image_name(value, numeric=numeric)
        assert (ref.photo_id, ref.owner, ref.layout, ref.problem) == (
            photo_id,
            owner,
            layout,
            None,
        )


@pytest.mark.parametrize(
    "value", ["1000092795.jpg", "flickr30k-images/1000092795.jpg", "1000092795.jpg#0"]
)
def test_a_bare_number_is_an_id_only_where_the_layout_is_known(value: str) -> None:
    assert parse_image_name(value, numeric=True).photo_id == "1000092795"
    refused = parse_image_name(value)
    assert (refused.photo_id, refused.layout, refused.problem) == (None, NUMERIC, P_NUMERIC)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("000000397133.jpg", P_ZERO_PADDED),  # a COCO image id
        ("val2014/COCO_val2014_000000391895.jpg", P_NO_ID),
        ("n00004475_6590.JPEG", P_NO_ID),  # ImageNet
        ("0--Parade/0_Parade_marchingband_1_849.jpg", P_NO_ID),  # WIDER FACE
        ("IMG_1234.jpg", P_NO_ID),
        ("0001_0123456789.jpg", P_NO_ID),  # a counter, then a zero-padded number
        ("2002/08/11/big/img_591", P_NOT_IMAGE),  # FDDB: no extension
        ("1000268201_693b08cb0e.txt", P_NOT_IMAGE),
        ("449", P_NOT_IMAGE),
        ("", P_NOT_IMAGE),
    ],
)
def test_names_that_hold_no_flickr_id(value: str, problem: str) -> None:
    ref = parse_image_name(value, numeric=True)
    assert (ref.photo_id, ref.problem) == (None, problem)


def test_non_text_is_not_an_image_name() -> None:
    assert parse_image_name(12345, numeric=True).problem == P_NOT_IMAGE


def test_image_stem_drops_folders_suffixes_and_queries() -> None:
    assert image_stem("C:\\x\\y\\0001_2.jpg") == "0001_2"
    assert image_stem("a/b/c.jpeg#12") == "c"
    assert image_stem("a/b/c.png?raw=1") == "c"
    assert image_stem("c.jpg.txt") is None


def test_name_layout_is_the_majority() -> None:
    assert name_layout(["1_693b08cb0e.jpg", "2_693b08cb0e.jpg", "x.jpg"]) == SECRET
    assert name_layout(["1.jpg", "2.jpg", "000003.jpg"]) == NUMERIC
    assert name_layout(["000001.jpg", "000002.jpg", "3.jpg"]) is None
    assert name_layout(["a", "b"]) is None


def test_flickr_path_hint_looks_at_folders_only() -> None:
    assert flickr_path_hint(["flickr30k-images/1.jpg"])
    assert flickr_path_hint(["C:\\ImageData\\Flickr\\actor\\0001_2.jpg"])
    assert not flickr_path_hint(["images/flickr_1.jpg", "1.jpg"])


@given(
    photo=st.integers(min_value=1, max_value=10**19),
    secret=st.text("0123456789abcdef", min_size=10, max_size=10),
    folder=st.sampled_from(["", "imgs/", "C:\\data\\", "/mnt/x/y/"]),
    suffix=st.sampled_from(["", "#0", "#4"]),
)
def test_any_flickr_static_name_gives_its_id(
    photo: int, secret: str, folder: str, suffix: str
) -> None:
    ref = parse_image_name(f"{folder}{photo}_{secret}.jpg{suffix}")
    if photo < 100_000 and secret.isdigit():
        # `{n}_{id}` with a short first part is NUS-WIDE's counter layout.
        assert ref.photo_id in (str(int(secret)) if secret[0] != "0" else None, None)
    else:
        assert ref.photo_id == str(photo)


@pytest.mark.parametrize(
    ("values", "refused"),
    [
        (["1", "2", "3"], True),  # a counter
        (["0", "1", "2", "3"], True),
        (["5898076654", "52551849781"], False),
        (["2", "3", "4"], False),  # not from 0 or 1
        (["a.jpg", "1", "449 330 122 149", "b.jpg", "1", "3 4 5 6"], True),
        (["5898076654", "n/a", "7088065"], False),  # a junk cell among ids
        (["a.jpg", "1", "449", "b.jpg", "2", "361", "80"], True),  # boxes split on spaces
        (["a.jpg", "15898076", "2449812", "7088065"], False),  # large numbers: ids
        (["https://flic.kr/p/2", "7088065", "https://flic.kr/p/3"], False),  # URLs name photos
        ([], False),
    ],
)
def test_counts_not_ids(values: list[str], refused: bool) -> None:
    assert (counts_not_ids(values) is not None) == refused


def test_a_counter_in_a_column_named_for_flickr_ids_is_taken_at_its_word() -> None:
    assert counts_not_ids(["1", "2", "3"], counter_may_be_ids=True) is None
    mixed = ["a.jpg", "1", "449 330 122 149", "b.jpg", "1", "3 4 5 6"]
    assert counts_not_ids(mixed, counter_may_be_ids=True) is not None
