"""Policies on the real manifest samples in ../shared/realdata (skipped where it is absent).

COCO val 2017's sample holds 79 photos; its `licenses` table gives 51 NonCommercial photos
(25 BY-NC-ND, 19 BY-NC-SA, 7 BY-NC) and 28 NoDerivs ones (25 BY-NC-ND, 3 BY-ND). The FFHQ-style
sample (fsxl) has only public-domain kinds (PDM, CC0, US Government, no known restrictions).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from auditor.engine import SEVERITIES, evaluate, load_policy
from auditor.manifests.read import read_manifests

pytestmark = pytest.mark.realdata

COCO_VAL = "coco_mini_2017/captions_val2017.json"
FSXL = "fsxl_ffhq_style/fsxl-metadata.released-subset.json"


def _coco_licence_counts(path: Path) -> Counter[str]:
    """Licence names per image, counted with the json module alone."""
    data = json.loads(path.read_text(encoding="utf-8"))
    names = {licence["id"]: licence["name"] for licence in data["licenses"]}
    return Counter(names[image["license"]] for image in data["images"])


def test_coco_val_under_commercial_training(realdata: Path) -> None:
    path = realdata / COCO_VAL
    names = _coco_licence_counts(path)
    assert sum(n for name, n in names.items() if "NonCommercial" in name) == 51
    assert sum(n for name, n in names.items() if "NoDerivs" in name) == 28

    findings = evaluate(read_manifests([path]).photos, load_policy("commercial-training"))
    counts = Counter(findings["rule"])
    assert counts["non-commercial"] == 51
    assert counts["no-derivatives"] == 28
    assert set(findings.loc[findings["rule"] == "non-commercial", "severity"]) == {"error"}
    assert set(findings.loc[findings["rule"] == "no-derivatives", "severity"]) == {"error"}
    # Every NC finding is a distinct photo: exactly the 51 photos, once each.
    assert findings.loc[findings["rule"] == "non-commercial", "photo_id"].nunique() == 51


def test_coco_val_under_research_training(realdata: Path) -> None:
    photos = read_manifests([realdata / COCO_VAL]).photos
    findings = evaluate(photos, load_policy("research-training"))
    assert "non-commercial" not in set(findings["rule"])
    assert (findings["rule"] == "no-derivatives").sum() == 28


def test_ffhq_style_file_has_no_error_under_commercial_training(realdata: Path) -> None:
    photos = read_manifests([realdata / FSXL]).photos
    assert len(photos) == 1208
    findings = evaluate(photos, load_policy("commercial-training"))
    assert not (findings["severity"] == "error").any()
    assert set(findings["severity"]) <= set(SEVERITIES)
