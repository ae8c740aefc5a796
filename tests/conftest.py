"""Shared fixtures: the real manifest samples beside the checkout, and small files in tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

# ../shared/realdata, beside the checkout (not part of the project; never copied into it).
REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The folder of real manifest samples; tests using it are skipped where it is absent."""
    if not REALDATA.is_dir():
        pytest.skip(
            "../shared/realdata is not beside this checkout (only the project's developers have it)"
        )
    return REALDATA


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """`write(name, content)`: write text (UTF-8, newlines kept exactly as given) or bytes into
    tmp_path and return the file's path. `name` may contain folders."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path

    return _write
