"""Licence histories as Flickr answers them (names and URLs, old and new naming), resolved to
slugs, and the licence in force at a time."""

from __future__ import annotations

from auditor.fetch import history as hist
from auditor.fetch.history import Change
from auditor.flickr.parse import LicenceChange
from auditor.licences import load_catalogue

BY = "https://creativecommons.org/licenses/by/2.0/"


def test_never_changed_entry_gives_the_upload_licence() -> None:
    entries = [
        LicenceChange(
            1253741816,
            "No known copyright restrictions",
            "https://www.flickr.com/commons/usage/",
            "",
            "",
        )
    ]
    changes = hist.to_changes(entries, load_catalogue())
    assert changes == [Change(1253741816, "nkcr", None)]
    assert hist.licence_at(changes, 0) == "nkcr"
    assert hist.licence_at(changes, 2_000_000_000) == "nkcr"
    assert hist.last_change_at(changes) is None


def test_changes_are_sorted_and_resolved_by_url_then_name() -> None:
    entries = [
        # Flickr does not guarantee order; ARR's URL is "" in its own example.
        LicenceChange(1598990519, "Attribution License", BY, "All Rights Reserved", ""),
        LicenceChange(1295918034, "All Rights Reserved", "", "Attribution License", BY),
    ]
    changes = hist.to_changes(entries, load_catalogue())
    assert changes == [
        Change(1295918034, "all-rights-reserved", "cc-by-2.0"),
        Change(1598990519, "cc-by-2.0", "all-rights-reserved"),
    ]
    assert hist.licence_at(changes, 1295918033) == "all-rights-reserved"
    assert hist.licence_at(changes, 1295918034) == "cc-by-2.0"
    assert hist.licence_at(changes, 1500000000) == "cc-by-2.0"
    assert hist.licence_at(changes, 1598990519) == "all-rights-reserved"
    assert hist.last_change_at(changes) == 1598990519
    assert hist.loads(hist.dumps(changes)) == changes


def test_new_style_names_and_unknown_values() -> None:
    entries = [LicenceChange(10, "CC BY 4.0", "", "Something Else", "https://example.org/x")]
    changes = hist.to_changes(entries, load_catalogue())
    assert changes == [Change(10, "cc-by-4.0", "unknown")]
    assert hist.loads(None) is None
    assert hist.licence_at([], 5) is None
