"""The real samples in ../shared/realdata against issue 12's guards: every one of them still
names photos (the empty-read error never fires on a good manifest), and forcing any other format
on it is refused with what the file looks like. Skipped where ../shared/realdata is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import ManifestError
from auditor.manifests.read import FORMATS, detect_format, read_manifest, read_manifests

pytestmark = pytest.mark.realdata

SAMPLES = (
    "coco_mini_2017/captions_train2017.json",
    "coco_mini_2017/captions_val2017.json",
    "coco_panopticapi_sample/images_info_examples.json",
    "coco_detectron2_test_fixture/gt_annotations.json",
    "fsxl_ffhq_style/fsxl-metadata.released-subset.json",
    "openverse_catalog_flickr/flickr_1557512401.tsv",
    "openverse_catalog_flickr/flickr_example_pretty.json",
    "openverse_api_sample_images/sample_images_to_clean.csv",
    "yfcc100m_flickr_photo_test/yfcc100m_lines.tsv",
    "openimages_readme_rows/train-images-boxable-with-rotation.head.csv",
)
# Formats that may read another's file: the generic reader of the same container.
SAME_CONTAINER = {
    "coco": {"json"},
    "ffhq": {"json"},
    "flickr-api": {"json"},
    "openverse": {"csv", "tsv"},
    "openimages": {"csv"},
    "yfcc100m": {"tsv"},
}


@pytest.mark.parametrize("name", SAMPLES)
def test_real_manifest_names_photos(realdata: Path, name: str) -> None:
    table = read_manifests([realdata / name])
    assert table.photos["photo_id"].notna().sum() > 0


@pytest.mark.parametrize("name", SAMPLES)
def test_forcing_another_format_on_a_real_manifest_is_refused(realdata: Path, name: str) -> None:
    path = realdata / name
    detected = detect_format(path)
    for fmt in FORMATS:
        if fmt == detected or fmt in SAME_CONTAINER.get(detected, set()):
            continue
        with pytest.raises(ManifestError) as caught:
            read_manifest(path, fmt)
        problem = caught.value.problem
        assert problem.startswith(f"does not fit --manifest-format {fmt}: it looks like "), (
            fmt,
            problem,
        )
        assert f"({detected})" in problem, (fmt, problem)
