"""`report.html` (`flickr-audit audit --format html`): one self-contained page that loads nothing
and runs no manifest text. Unit tests read the HTML; the browser tests open a report written by
the real CLI in headless Debian Chromium (Playwright; skipped without it, except under CI)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from cli_run import run_cli
from flickr_standin import VALID_KEY, FlickrStandIn, Owner, Photo, World

import auditor.audit
from auditor.engine import evaluate, load_policy
from auditor.engine.evaluate import annotate
from auditor.licences import load_catalogue
from auditor.manifests.flickr_ids import photo_page_url
from auditor.manifests.read import read_manifests
from auditor.photo_table import empty_photo_table
from auditor.report import RunInfo, build_audit_document
from auditor.report import html as report
from auditor.report.formats import AuditTables
from auditor.report.html import report_html, write_html

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CC = "https://creativecommons.org/licenses"
PWN_SCRIPT = "<script>window.__pwned=1</script>"
PWN_IMG = '<img src=x onerror="window.__pwned=2;alert(2)">'
PWN_SVG = "<svg onload=window.__pwned=3>"
FORMULA = '=HYPERLINK("http://evil.example/","click")'
HOSTILE_NAME = f"{PWN_SCRIPT}Eve\"'<b>"
MANIFEST_ROWS: list[dict[str, str]] = [
    {"photo_id": "1001", "owner": "55555555@N05", "owner_name": HOSTILE_NAME,
     "title": PWN_IMG, "license": f"{CC}/by-nc/2.0/"},
    {"photo_id": "1002", "owner": "55555555@N05", "owner_name": HOSTILE_NAME,
     "title": FORMULA, "license": f"{CC}/by-nd/2.0/"},
    {"photo_id": "1003", "owner": "55555555@N05", "owner_name": HOSTILE_NAME,
     "title": "Harbour", "license": f"{CC}/by/2.0/"},
    {"photo_id": "2001", "owner": "66666666@N06", "owner_name": PWN_IMG,
     "title": PWN_SVG, "license": f"{CC}/by-nc-nd/2.0/"},
    {"photo_id": "2002", "owner": "66666666@N06", "owner_name": PWN_IMG,
     "title": "</script><script>window.__pwned=4</script>", "license": f"{CC}/by-nc/2.0/"},
    {"photo_id": "3001", "owner": "zoe-alias", "owner_name": "Zoë", "title": "Fjord",
     "license": f"{CC}/by/2.0/"},
    {"photo_id": "4001", "owner": "", "owner_name": FORMULA, "title": "Named only",
     "license": ""},
]  # fmt: skip
TIMEOUT_MS = 10_000


def manifest_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, ["photo_id", "owner", "owner_name", "title", "license"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.csv"
    path.write_text(manifest_csv(MANIFEST_ROWS), encoding="utf-8")
    return path


def audit_result(
    manifest: Path, policy_name: str = "commercial-training", photos: pd.DataFrame | None = None
) -> AuditTables:
    """An offline audit's result, built as the CLI builds it (`photos`: this photo table instead
    of the manifest's)."""
    photos = read_manifests([manifest]).photos if photos is None else photos
    policy = load_policy(policy_name)
    catalogue = load_catalogue()
    findings = evaluate(photos, policy, live=False, catalogue=catalogue)
    moment = datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC)
    run = RunInfo(policy.id, "offline", moment, moment, (str(manifest),))
    document = build_audit_document(
        photos, findings, run, tool_version="0.0.test", include_findings=False
    )
    annotated = annotate(
        photos, catalogue, licence_basis=policy.licence_basis, opt_out_tags=policy.opt_out_tags
    )
    return AuditTables(document, findings, annotated, policy, catalogue, (manifest,))


# -- reading the HTML ---------------------------------------------------------------------------


class Parsed(HTMLParser):
    """Every start tag with its attributes, and the text of each script and style."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in = tag
            (self.scripts if tag == "script" else self.styles).append("")

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.scripts[-1] += data
        elif self._in == "style":
            self.styles[-1] += data


def parse(text: str) -> Parsed:
    parsed = Parsed()
    parsed.feed(text)
    parsed.close()
    return parsed


FLICKR_LINK = re.compile(
    r"https://www\.flickr\.com/photos/[A-Za-z0-9@_-]+/\d+/|https://www\.flickr\.com/photo\.gne\?id=\d+"
)
ALLOWED_TAGS = {
    "html", "head", "meta", "link", "title", "style", "body", "header", "main", "footer", "h1",
    "h2", "p", "strong", "em", "code", "ul", "ol", "li", "dl", "dt", "dd", "section", "table",
    "thead", "tbody", "tr", "th", "td", "button", "label", "input", "span", "details",
    "summary", "a", "svg", "rect", "text", "i", "script",
}  # fmt: skip


def assert_inert(text: str) -> Parsed:
    """Only our own tags, no event handler, one script (ours), and no URL but links to photos on
    flickr.com: nothing the page could load or run came from the manifest."""
    parsed = parse(text)
    assert {tag for tag, _ in parsed.tags} <= ALLOWED_TAGS
    assert [tag for tag, _ in parsed.tags].count("script") == 1
    assert parsed.scripts[0] == report._SCRIPT
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in ("src", "srcset", "action", "formaction", "xlink:href"), tag
            if tag == "a" and name == "href":
                assert value is not None
                assert FLICKR_LINK.fullmatch(value), value
            elif tag == "link" and name == "href":
                assert value == "data:,"
            else:
                assert "http" not in (value or "").lower() or name == "content", (tag, name)
    for code in [*parsed.scripts, *parsed.styles]:
        assert "http" not in code
        assert "url(" not in code
        assert "@import" not in code
    return parsed


# -- unit tests ---------------------------------------------------------------------------------


def test_write_html_writes_report_html(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert write_html(audit_result(hostile), out) == [out / "report.html"]
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in out.iterdir()] == ["report.html"]  # no temporary file left


def test_hostile_titles_and_names_are_escaped(hostile: Path) -> None:
    text = report_html(audit_result(hostile))
    assert_inert(text)
    for raw in (PWN_SCRIPT, PWN_IMG, PWN_SVG, "<b>", "window.__pwned=4</script>"):
        assert raw not in text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;Eve&quot;&#x27;&lt;b&gt;" in text
    assert "&lt;img src=x onerror=&quot;window.__pwned=2;alert(2)&quot;&gt;" in text
    # The formula is shown as text: no link to where it points, and spreadsheets never see it.
    assert "=HYPERLINK(&quot;http://evil.example/&quot;,&quot;click&quot;)" in text
    assert 'href="http://evil.example' not in text


def test_content_security_policy_forbids_network_and_pins_the_script(hostile: Path) -> None:
    parsed = assert_inert(report_html(audit_result(hostile)))
    metas = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv")]
    assert len(metas) == 1
    assert metas[0]["http-equiv"] == "Content-Security-Policy"
    policy = str(metas[0]["content"])
    directives = dict(
        [*part.split(" ", 1), ""][:2] for part in (p.strip() for p in policy.split(";"))
    )
    assert directives["default-src"] == "'none'"
    assert directives["style-src"] == "'unsafe-inline'"
    assert directives["img-src"] == "data:"
    digest = hashlib.sha256(parsed.scripts[0].encode("utf-8")).digest()
    assert directives["script-src"] == f"'sha256-{base64.b64encode(digest).decode()}'"
    assert "connect-src" not in directives and "font-src" not in directives
    # The policy comes before anything it governs.
    assert [t for t, _ in parsed.tags].index("meta") < [t for t, _ in parsed.tags].index("style")


def test_summary_cards_policy_and_links(hostile: Path) -> None:
    result = audit_result(hostile)
    text = report_html(result)
    summary = result.document["summary"]
    cards = dict(re.findall(r'data-card="([a-z-]+)"><span class="value">([^<]*)</span>', text))
    assert cards == {
        "usable": str(summary["usable_photos"]),
        "photos": str(summary["photos"]),
        "photos-with-errors": str(summary["photos_with_errors"]),
        "owners": str(summary["owners"]),
        "error": str(summary["findings"]["error"]),
        "warning": str(summary["findings"]["warning"]),
        "note": str(summary["findings"]["note"]),
        "waived": "0",
        "mode": "offline",
    }
    assert "<code>commercial-training</code>" in text
    # Offline, the licence judged is the recorded one, whatever the policy's basis says.
    assert "<dt>Licence judged</dt><dd>recorded (offline;" in text
    assert "<dd>current</dd>" not in text
    # The answer heads the page, in the words of stderr and summary.md.
    assert re.search(r'<h1 id="answer">\d+ of \d+ photos usable for commercial-training', text)
    assert "commercial: yes" in text
    assert "adapts: yes" in text
    assert "redistributes: no" in text
    assert result.policy.description in text
    hrefs = re.findall(r'<a href="([^"]+)"', text)
    assert "https://www.flickr.com/photos/55555555@N05/1001/" in hrefs
    assert "https://www.flickr.com/photos/zoe-alias/3001/" in hrefs
    assert "https://www.flickr.com/photo.gne?id=4001" in hrefs  # no owner known
    assert len(hrefs) == len({r["photo_id"] for r in MANIFEST_ROWS})
    # Owners worst first, as in audit.json.
    owners = re.findall(r'<tr data-rank="(\d+)"', text)
    assert owners == [str(i) for i in range(len(result.document["owners"]))]
    # Findings by rule: a chart and a table with every rule that fired.
    for rule in summary["by_rule"]:
        assert f"<td><code>{rule}</code></td>" in text
    assert "<svg" in text and 'aria-label="Findings by rule"' in text


def test_photo_urls() -> None:
    assert (
        photo_page_url("123", "12345678@N01") == "https://www.flickr.com/photos/12345678@N01/123/"
    )
    assert photo_page_url("123", "some-alias") == "https://www.flickr.com/photos/some-alias/123/"
    assert photo_page_url("123", None) == "https://www.flickr.com/photo.gne?id=123"
    assert photo_page_url("1 2", "a/b?c") == "https://www.flickr.com/photos/a%2Fb%3Fc/1%202/"


def test_offline_wording(hostile: Path) -> None:
    text = report_html(audit_result(hostile))
    assert "Offline audit." in text
    assert "recorded licences only (offline)" in text
    assert "Current licences are known only in a live audit" in text
    assert '<th class="n">current</th>' not in text
    assert "Live audit." not in text


def test_live_wording(hostile: Path) -> None:
    result = audit_result(hostile)
    document = dict(result.document)
    document["run"] = {
        **document["run"],
        "mode": "live",
        "status_as_of": "2025-04-30T08:00:00Z",
        "photos_fetched": 6,
        "api_calls": {"flickr.photos.getInfo": 7},
    }
    photos = result.photos.copy()
    photos["current_licence"] = photos["recorded_licence"]
    photos["current_licence_name"] = photos["recorded_licence_name"]
    text = report_html(replace(result, document=document, photos=photos))
    assert "Live audit." in text
    assert "Status as of: <strong>2025-04-30T08:00:00Z</strong>" in text
    assert "6 photos fetched in this run with 7 API calls" in text
    assert '<th class="n">current</th>' in text
    assert "recorded licences only" not in text
    assert "known only in a live audit" not in text


def test_caps_bound_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        {"photo_id": str(1000 * o + p), "owner": f"{o}0000000@N0{o}", "owner_name": f"owner {o}",
         "title": f"t{p}", "license": f"{CC}/by-nc/2.0/" if p % 2 else f"{CC}/by/2.0/"}
        for o in range(1, 6)
        for p in range(1, 7)
    ]  # fmt: skip
    manifest = tmp_path / "many.csv"
    manifest.write_text(manifest_csv(rows), encoding="utf-8")
    result = audit_result(manifest)
    monkeypatch.setattr(report, "OWNER_ROWS", 3)
    monkeypatch.setattr(report, "PHOTOS_PER_OWNER", 4)
    monkeypatch.setattr(report, "PHOTO_LINKS", 10)
    text = report_html(result)
    assert_inert(text)
    assert len(re.findall(r"<tr data-rank=", text)) == 3
    assert "The 3 worst owners are listed; 2 more owners left out; all are in owners.csv." in text
    assert len(re.findall(r'<a href="https://www\.flickr\.com/photos/', text)) == 10
    assert text.count("and 2 more photos; their findings are in findings.csv.") == 2
    assert "<summary>2 of 6 photos</summary>" in text
    assert "4 more photos" in text  # the third owner: only 2 listed before the budget ran out
    # Each owner's photos with findings (the NC ones) come first.
    first = re.search(r"<ol>(.*?)</ol>", text)
    assert first is not None
    assert first.group(1).count("non-commercial (error)") == 3


def test_no_photo_links_beyond_the_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        {"photo_id": str(10 * o + p), "owner": f"{o}0000000@N0{o}", "owner_name": "",
         "title": "", "license": f"{CC}/by-nc/2.0/"}
        for o in range(1, 4)
        for p in range(1, 3)
    ]  # fmt: skip
    manifest = tmp_path / "few.csv"
    manifest.write_text(manifest_csv(rows), encoding="utf-8")
    monkeypatch.setattr(report, "PHOTO_LINKS", 2)
    text = report_html(audit_result(manifest))
    assert "2 photos not listed (this report lists at most 2 photos)" in text


def test_control_characters_and_long_text(tmp_path: Path) -> None:
    rows = [
        {"photo_id": "1", "owner": "alias", "owner_name": "a\x1b[31mred\u2028x",
         "title": "long " + "y" * 1000, "license": f"{CC}/by/2.0/"},
    ]  # fmt: skip
    manifest = tmp_path / "odd.csv"
    manifest.write_text(manifest_csv(rows), encoding="utf-8")
    text = report_html(audit_result(manifest))
    assert "\x1b" not in text and "\u2028" not in text
    assert "a [31mred x" in text
    assert "y" * 1000 not in text
    assert re.search(r"long y{294}…<", text)  # cut to CELL_CHARS with an ellipsis


def test_empty_audit(tmp_path: Path) -> None:
    # Reading a manifest that names no photo is an error; the report of an empty table is
    # still drawn right (a library caller may build one).
    manifest = tmp_path / "empty.csv"
    text = report_html(audit_result(manifest, photos=empty_photo_table()))
    assert_inert(text)
    assert "No findings." in text
    assert "No owners." in text


def test_cli_writes_report_html(
    hostile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = ["audit", str(hostile), "--offline", "--format", "html", "--output-dir", str(out)]
    code, _, err = run_cli(args, capsys)
    assert code == 1  # NC and ND photos under commercial-training
    assert "report.html" in err
    text = (out / "report.html").read_text(encoding="utf-8")
    assert_inert(text)
    assert "recorded licences only (offline)" in text


def test_cli_live_report(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    flickr_standin: Callable[..., FlickrStandIn],
) -> None:
    world = World()
    eve = world.add_owner(Owner("55555555@N05", "eve"))
    world.add_photo(Photo("1001", eve.nsid, licence_id=2, uploaded_at=1_200_000_000))  # BY-NC now
    world.add_photo(Photo("1002", eve.nsid, licence_id=4, uploaded_at=1_200_000_001))
    standin = flickr_standin(world)
    manifest = tmp_path / "live.csv"
    rows = [
        {"photo_id": p, "owner": eve.nsid, "owner_name": HOSTILE_NAME, "title": PWN_IMG,
         "license": f"{CC}/by/2.0/"}
        for p in ("1001", "1002", "1003")  # 1003 is gone from Flickr: no current licence
    ]  # fmt: skip
    manifest.write_text(manifest_csv(rows), encoding="utf-8")
    monkeypatch.setenv("FLICKR_API_KEY", VALID_KEY)
    monkeypatch.setattr(auditor.audit, "RETRY_BACKOFF", (0.01, 0.05))
    out = tmp_path / "out"
    args = [
        "audit", str(manifest), "--api-url", standin.url, "--state", str(tmp_path / "s.sqlite"),
        "--rate-limit", "3600000", "--format", "html", "--output-dir", str(out),
    ]  # fmt: skip
    code, _, err = run_cli(args, capsys)
    assert code == 1, err
    text = (out / "report.html").read_text(encoding="utf-8")
    assert_inert(text)
    assert "Live audit." in text
    assert "recorded licences only" not in text
    assert '<th class="n">current</th>' in text
    assert '<tr><td>CC BY 2.0</td><td class="n">3</td><td class="n">1</td></tr>' in text
    assert '<tr><td>CC BY-NC 2.0</td><td class="n">0</td><td class="n">1</td></tr>' in text
    # The photo with no current licence is counted under a label, never a blank one.
    assert '<tr><td>(none)</td><td class="n">0</td><td class="n">1</td></tr>' in text
    assert "<tr><td></td>" not in text and "<td></td><td class" not in text
    assert "<dt>Licence judged</dt><dd>current</dd>" in text


# -- in a real browser --------------------------------------------------------------------------


@dataclass
class Visit:
    page: Page
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def rows(self) -> list[list[str]]:
        """The visible owner rows: owner id, name, then the counts."""
        result: list[list[str]] = self.page.evaluate(
            """() => Array.from(document.querySelectorAll('#owners tbody tr'))
                .filter((tr) => !tr.hidden)
                .map((tr) => [
                    (tr.cells[0].querySelector('.owner-id') || tr.cells[0].querySelector('em'))
                        .textContent,
                    ...Array.from(tr.cells).slice(1, 7).map((td) => td.textContent),
                ])"""
        )
        return result


@pytest.fixture
def report_dir(hostile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "out"
    args = ["audit", str(hostile), "--offline", "--format", "html", "--output-dir", str(out)]
    code, _, err = run_cli(args, capsys)
    assert code == 1, err
    return out


@pytest.fixture(params=["http", "file"])
def visit(
    request: pytest.FixtureRequest, browser: Browser, report_dir: Path, serve: Any
) -> Iterator[Visit]:
    if request.param == "http":
        served = serve(report_dir)
        url = served.url + "report.html"
    else:
        url = (report_dir / "report.html").as_uri()
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    seen = Visit(page=page)
    page.on("request", lambda r: seen.requests.append(r.url))
    page.on(
        "console",
        lambda m: (
            seen.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
        ),
    )
    page.on("pageerror", lambda error: seen.page_errors.append(str(error)))

    def on_dialog(dialog: Any) -> None:
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(url)
    page.wait_for_selector("#owner-filter:not([disabled])")
    yield seen
    # Nothing injected ran, nothing failed, and the page asked for nothing but itself.
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    context.close()
    assert seen.dialogs == []
    assert seen.page_errors == []
    assert seen.console == []
    assert seen.requests == [url]


def test_report_renders(visit: Visit) -> None:
    page = visit.page
    assert page.locator("#cards .card").count() == 9
    assert page.inner_text("[data-card=mode] .value") == "offline"
    assert page.locator("#by-rule svg rect").count() >= 3
    assert "recorded licences only (offline)" in page.inner_text("#policy")
    rows = visit.rows()
    # Worst first: three errors, then two (on more photos), then one.
    assert [row[0] for row in rows] == [
        "66666666@N06",
        "55555555@N05",
        "(owner unknown)",
        "zoe-alias",
    ]
    # Hostile names show as the text they are.
    assert rows[0][1] == PWN_IMG
    assert rows[1][1] == HOSTILE_NAME
    assert [row[4] for row in rows] == ["3", "2", "1", "0"]  # errors
    assert [row[3] for row in rows] == ["0", "1", "0", "1"]  # usable photos
    assert page.locator("#owners img, #owners script, #owners b, #owners svg").count() == 0
    assert page.inner_text("#owners-shown") == "Showing all 4 owners listed."


def test_sorting_by_clicking_headers(visit: Visit) -> None:
    page = visit.page
    page.click("#owners th:nth-child(1) button")  # owner, A to Z
    assert [row[0] for row in visit.rows()] == [
        "(owner unknown)",
        "55555555@N05",
        "66666666@N06",
        "zoe-alias",
    ]
    assert page.get_attribute("#owners th:nth-child(1)", "aria-sort") == "ascending"
    page.click("#owners th:nth-child(1) button")  # again: Z to A
    assert visit.rows()[0][0] == "zoe-alias"
    page.click("#owners th:nth-child(3) button")  # photos, most first; ties keep worst first
    assert [row[2] for row in visit.rows()] == ["3", "2", "1", "1"]
    assert page.get_attribute("#owners th:nth-child(3)", "aria-sort") == "descending"
    assert page.get_attribute("#owners th:nth-child(1)", "aria-sort") == "none"
    page.click("#owners th:nth-child(3) button")  # fewest first
    assert [row[2] for row in visit.rows()] == ["1", "1", "2", "3"]
    page.click("#owners th:nth-child(2) button")  # by name, A to Z; the unnamed first
    names = [row[1] for row in visit.rows()]
    assert names == sorted(names, key=str.lower)


def test_filtering(visit: Visit) -> None:
    page = visit.page
    page.fill("#owner-filter", "ZOË")
    assert [row[0] for row in visit.rows()] == ["zoe-alias"]
    assert page.inner_text("#owners-shown") == "Showing 1 of the 4 owners listed."
    page.fill("#owner-filter", "onerror")  # in a name: matched as text, run never
    assert [row[0] for row in visit.rows()] == ["66666666@N06"]
    page.fill("#owner-filter", "@n0")
    assert len(visit.rows()) == 2
    page.fill("#owner-filter", "nobody at all")
    assert visit.rows() == []
    page.fill("#owner-filter", "")
    assert len(visit.rows()) == 4


def test_details_expand_to_photo_links(visit: Visit) -> None:
    page = visit.page
    row = page.locator("#owners tbody tr", has=page.locator(".owner-id", has_text="55555555"))
    details = row.locator("details")
    links = details.locator("a")
    assert not links.first.is_visible()
    details.locator("summary").click()
    assert links.first.is_visible()
    assert links.evaluate_all("(as) => as.map((a) => a.href)") == [
        "https://www.flickr.com/photos/55555555@N05/1001/",
        "https://www.flickr.com/photos/55555555@N05/1002/",
        "https://www.flickr.com/photos/55555555@N05/1003/",
    ]
    items = details.locator("li").all_inner_texts()
    assert PWN_IMG in items[0]
    assert FORMULA in items[1]
    assert details.locator("img").count() == 0
    unknown = page.locator("#owners tbody tr").nth(2).locator("details")
    unknown.locator("summary").click()
    assert unknown.locator("a").get_attribute("href") == "https://www.flickr.com/photo.gne?id=4001"
