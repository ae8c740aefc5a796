"""`flickr-audit owner` when Flickr cannot say who WHO is: one line naming the call and its
last cause, exit 2, no files, and the run recorded as failed in the state (never "internal
error", never a traceback)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_run import run_cli
from flickr_standin import VALID_KEY, Faults, FlickrStandIn
from test_owner import coco, world

from auditor.errors import EXIT_USAGE
from auditor.state import StateStore

Standin = Callable[..., FlickrStandIn]


@pytest.mark.parametrize(
    ("kind", "method", "said"),
    [
        ("http503", "flickr.urls.lookupUser", "HTTP 503"),
        ("code105", "flickr.urls.lookupUser", "Flickr error 105"),
        ("http503", "flickr.people.getInfo", "HTTP 503"),
    ],
)
def test_flickr_trouble_while_resolving_who_is_one_line_exit_2(
    tmp_path: Path,
    flickr_standin: Standin,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    method: str,
    said: str,
) -> None:
    faults = Faults(rate=1.0, kinds=(kind,), retry_after=0, methods=frozenset({method}))
    standin = flickr_standin(world(), faults=faults)
    monkeypatch.setenv("FLICKR_API_KEY", VALID_KEY)
    state, out = tmp_path / "s.sqlite", tmp_path / "o"
    code, _, err = run_cli(
        ["owner", "anna-shoots", str(coco(tmp_path)), "--api-url", standin.url,
         "--state", str(state), "--output-dir", str(out)],
        capsys,
    )  # fmt: skip
    assert code == EXIT_USAGE
    assert "internal error" not in err and "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("flickr-audit: error:")]
    assert len(lines) == 1
    assert "could not be looked up on Flickr" in lines[0]
    assert method in lines[0] and said in lines[0] and VALID_KEY not in err
    assert not out.exists()
    with StateStore(state) as store:
        runs = store.runs()
    assert [run["outcome"] for run in runs] == ["flickr error"]
