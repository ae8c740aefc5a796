"""The lookup page in a real browser: headless Debian Chromium (Playwright, pointed at the system
browser) loads a site built from a hostile manifest from a local `http.server`, and a visitor
types owners into it. Skipped without Chromium, except under CI, where that fails."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from lookup_case import (
    ANNA_ALIAS,
    ANNA_NSID,
    HOSTILE_NAME,
    HOSTILE_TITLE,
    OTHER_NSID,
    SALT,
    VECTORS,
)

from auditor.exposure.letter import GROUNDS, LetterText
from auditor.lookup import identifier_hash, normalise_identifier

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

TIMEOUT_MS = 10_000


@dataclass
class Visit:
    """A page on the served site, with everything it asked for and complained about."""

    page: Page
    origin: str
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)  # errors and warnings
    page_errors: list[str] = field(default_factory=list)

    def look_up(self, typed: str) -> None:
        self.page.fill("#who", typed)
        self.page.click("#go")
        # The status line changes from "Looking up…" to its answer.
        self.page.wait_for_function(
            "() => { const s = document.querySelector('#status').textContent;"
            " return s !== '' && !s.startsWith('Looking up'); }",
            timeout=TIMEOUT_MS,
        )

    def status(self) -> str:
        return self.page.inner_text("#status")

    def sections(self) -> list[dict[str, Any]]:
        """Per owner shown: heading, table cells (text, and link targets), the request."""
        result: list[dict[str, Any]] = self.page.evaluate(
            """() => Array.from(document.querySelectorAll('section.owner'), (s) => ({
                heading: s.querySelector('h2').textContent,
                rows: Array.from(s.querySelectorAll('tbody tr'), (tr) =>
                    Array.from(tr.cells, (td) => td.textContent)),
                links: Array.from(s.querySelectorAll('tbody a'), (a) => a.href),
                request: s.querySelector('textarea').value,
            }))"""
        )
        return result


@pytest.fixture
def visit(browser: Browser, site: Path, serve: Any) -> Iterator[Visit]:
    served = serve(site)
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    seen = Visit(page=page, origin=served.url.rstrip("/"))
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on(
        "console",
        lambda message: (
            seen.console.append(f"{message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
    page.goto(served.url)
    page.wait_for_selector("#go:not([disabled])")
    yield seen
    context.close()
    # Nothing left 127.0.0.1, nothing failed, and the form never submitted the name in a URL.
    assert seen.requests, "the page made no request at all"
    for url in seen.requests:
        assert url.startswith((seen.origin + "/", "data:")), url
    assert seen.page_errors == []
    assert not any("?" in path for path in served.paths), served.paths


def no_console_errors(visit: Visit, expected_404s: int = 0) -> None:
    """No console error or warning but the `expected_404s` the browser itself logs when a lookup
    asks for an owner file that does not exist (how "not found" looks to a static site)."""
    missing = [line for line in visit.console if "status of 404" in line]
    assert len(missing) == expected_404s, visit.console
    assert [line for line in visit.console if line not in missing] == []


def test_the_scripts_normalise_and_hash_agree_with_python(visit: Visit) -> None:
    got = visit.page.evaluate(
        """async (vectors) => ({
            normalise: vectors.normalise.map(([text]) => window.flickrLookup.normalise(text)),
            hash: await Promise.all(vectors.hash.map(([salt, id]) =>
                window.flickrLookup.identifierHash(salt, id))),
        })""",
        VECTORS,
    )
    assert got["normalise"] == [expected for _, expected in VECTORS["normalise"]]
    assert got["hash"] == [expected for _, _, expected in VECTORS["hash"]]
    no_console_errors(visit)


def test_an_alias_shows_the_owners_photos_and_the_request(visit: Visit) -> None:
    visit.look_up(f"  {ANNA_ALIAS.upper()} ")
    assert "Found 4 photo(s) listed" in visit.status()  # Anna's 3 (in 4 rows) and OTHER's 1
    assert "2 accounts match" in visit.status()
    sections = {ANNA_NSID if ANNA_NSID in s["heading"] else OTHER_NSID: s for s in visit.sections()}
    anna = sections[ANNA_NSID]
    assert anna["heading"].endswith(": 3 in 4 manifest rows")
    assert sorted(row[0] for row in anna["rows"]) == ["1001", "1001", "1002", "1003"]
    assert f"https://www.flickr.com/photos/{ANNA_NSID}/1002/" in anna["links"]
    assert f"https://www.flickr.com/photos/{ANNA_ALIAS}/1003/" in anna["links"]
    for photo_id in ("1001", "1002", "1003"):  # each photo once, with its page
        assert anna["request"].count(f"/{photo_id}/ (in manifest.csv, ") == 1
    assert "Request to remove my photos" in anna["request"]
    assert "Grounds" not in anna["request"]  # nothing cited until the visitor ticks it
    assert visit.page.is_visible("section.owner button:has-text('Copy the request')")
    no_console_errors(visit)


def test_ticked_grounds_give_the_template_letter(visit: Visit, site: Path) -> None:
    """The page joins the letter's parts exactly as `LetterText.assemble` does, for every
    choice of grounds, and the boxes rewrite the letter."""
    visit.look_up(ANNA_NSID)
    (owner_file,) = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in (site / "photos").glob("*.json")
        if ANNA_NSID in json.loads(path.read_text(encoding="utf-8"))["nsids"]
    ]
    parts = owner_file["letter"]
    text = LetterText(parts["head"], parts["grounds_heading"], parts["grounds"], parts["tail"])
    choices = [list(c) for n in range(4) for c in itertools.combinations(GROUNDS, n)]
    got = visit.page.evaluate(
        "([letter, choices]) => choices.map((c) => window.flickrLookup.assemble(letter, c))",
        [parts, choices],
    )
    assert got == [text.assemble(choice) for choice in choices]
    visit.page.check("section.owner input[value=gdpr]")
    visit.page.check("section.owner input[value=licence]")
    shown = visit.page.input_value("section.owner textarea")
    assert shown == text.assemble(("gdpr", "licence"))
    assert "Article 17" in shown and "NonCommercial" in shown and "Illinois" not in shown
    visit.page.uncheck("section.owner input[value=gdpr]")
    assert visit.page.input_value("section.owner textarea") == text.assemble(("licence",))
    no_console_errors(visit)


def test_the_nsid_as_a_url_finds_the_same_owner(visit: Visit) -> None:
    visit.look_up(ANNA_ALIAS)
    by_alias = next(s for s in visit.sections() if ANNA_NSID in s["heading"])
    visit.look_up(f"https://www.flickr.com/photos/{ANNA_NSID.replace('@', '%40')}/1001/in/faves/")
    (by_url,) = visit.sections()
    assert by_url == by_alias
    assert "Matched as nsid" in visit.page.inner_text("section.owner")
    no_console_errors(visit)


def test_an_unknown_owner_is_not_found(visit: Visit) -> None:
    visit.look_up("https://www.flickr.com/people/nobody-in-this-dataset/")
    assert visit.status().startswith("Not found")
    assert "nobody-in-this-dataset" in visit.status()
    assert visit.sections() == []
    digest = identifier_hash(SALT, "nobody-in-this-dataset")
    assert f"{visit.origin}/owners/{digest}.json" in visit.requests  # found by hash alone
    no_console_errors(visit, expected_404s=1)


def test_hostile_titles_and_names_are_text(visit: Visit) -> None:
    visit.look_up(ANNA_NSID)
    (anna,) = visit.sections()
    assert [row[1] for row in anna["rows"] if row[0] == "1002"] == [HOSTILE_TITLE]
    visit.look_up(HOSTILE_NAME)
    (named,) = visit.sections()
    assert normalise_identifier(HOSTILE_NAME) is not None
    assert HOSTILE_NAME in named["heading"]
    page = visit.page
    assert page.evaluate("() => window.pwned") is None
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0
    assert page.evaluate("() => document.scripts.length") == 1  # lookup.js only
    no_console_errors(visit)


def test_without_web_crypto_the_page_says_what_to_do(
    browser: Browser, site: Path, serve: Any
) -> None:
    served = serve(site)
    context = browser.new_context()
    # As on plain http from another host, where browsers leave crypto.subtle undefined.
    context.add_init_script(
        "Object.defineProperty(Crypto.prototype, 'subtle', { get: () => undefined });"
    )
    page = context.new_page()
    page.goto(served.url)
    page.wait_for_selector("#insecure:not([hidden])", timeout=TIMEOUT_MS)
    text = page.inner_text("#insecure")
    assert "https" in text and "python3 -m http.server" in text and "127.0.0.1" in text
    assert page.is_disabled("#go")
    context.close()
