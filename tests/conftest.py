"""Shared fixtures: the real manifest samples beside the checkout, small files in tmp_path, the
Flickr stand-in, a local web server on 127.0.0.1 and headless Debian Chromium (Playwright)."""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flickr_standin import Faults, FlickrStandIn, World
from hypothesis import settings
from tool_missing import tool_missing

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# Tests must pass on a slow, busy machine: no per-example time limit for property tests (one
# example taking 250 ms while other work holds both cores is not a failure).
settings.register_profile("busy-machine", deadline=None)
settings.load_profile("busy-machine")

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


# -- serving a site on 127.0.0.1 ----------------------------------------------------------------


@dataclass
class Served:
    url: str  # http://127.0.0.1:PORT/
    paths: list[str] = field(default_factory=list)  # every path requested, in order


class _Handler(SimpleHTTPRequestHandler):
    served: Served

    def log_message(self, format: str, *args: Any) -> None:
        self.served.paths.append(self.path)  # recorded instead of printed


@pytest.fixture
def serve() -> Iterator[Any]:
    """`serve(folder) -> Served`: a threaded static server like `python -m http.server`, on
    127.0.0.1 (a secure context for Web Crypto); stopped at teardown."""
    servers: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    def _serve(folder: Path) -> Served:
        served = Served(url="")
        handler = type("Handler", (_Handler,), {"served": served})
        server = ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(folder))
        )
        served.url = f"http://127.0.0.1:{server.server_address[1]}/"
        # A short poll interval: shutdown() waits for one, and every test stops a server.
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        servers.append((server, thread))
        return served

    yield _serve
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# -- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        tool_missing(
            "Chromium is not installed: `apt-get install chromium` (Debian) to run the "
            "browser tests (the lookup page, report.html)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        tool_missing("Playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True)
        yield launched
        launched.close()
