"""Shared fixtures: the real manifest samples beside the checkout, and small files in tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flickr_standin import Faults, FlickrStandIn, World

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


@pytest.fixture
def flickr_standin() -> Iterator[Callable[..., FlickrStandIn]]:
    """`flickr_standin(world, faults=None, latency=0.0, licences=None)`: a started Flickr
    stand-in (tests/flickr_standin.py) serving `world`; every one started is stopped at
    teardown."""
    started: list[FlickrStandIn] = []

    def _start(
        world: World,
        faults: Faults | None = None,
        latency: float = 0.0,
        licences: list[tuple[int, str, str]] | None = None,
    ) -> FlickrStandIn:
        standin = FlickrStandIn(world, faults=faults, latency=latency, licences=licences)
        started.append(standin.start())
        return standin

    yield _start
    for standin in reversed(started):
        standin.stop()


@pytest.fixture(autouse=True)
def _no_flickr_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own FLICKR_API_KEY / FLICKR_API_URL must not turn tests live."""
    monkeypatch.delenv("FLICKR_API_KEY", raising=False)
    monkeypatch.delenv("FLICKR_API_URL", raising=False)
