"""Fixtures of the lookup-site tests: the hostile manifest and a site built from it. The local
web server (`serve`) and headless Debian Chromium (`browser`) are in tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from lookup_case import SALT, manifest_text

from auditor.lookup import build_lookup_site
from auditor.manifests.read import read_manifests


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.csv"
    path.write_text(manifest_text(), encoding="utf-8")
    return path


@pytest.fixture
def site(tmp_path: Path, manifest: Path) -> Path:
    out = tmp_path / "site"
    build_lookup_site(read_manifests([manifest]).photos, out, SALT)
    return out
