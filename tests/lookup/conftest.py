"""Fixtures of the lookup-site tests: the hostile manifest, a site built from it, a local web
server for it, and headless Debian Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from lookup_case import SALT, manifest_text

from auditor.lookup import build_lookup_site
from auditor.manifests.read import read_manifests

if TYPE_CHECKING:
    from playwright.sync_api import Browser


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


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _missing(reason: str) -> NoReturn:
    """Skip on a developer's machine; fail on CI, where .ci/run installs the browser."""
    if _on_ci():
        pytest.fail(f"CI is set but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        _missing(
            "Chromium is not installed: `apt-get install chromium` (Debian) to run the "
            "lookup page's browser tests"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True)
        yield launched
        launched.close()
