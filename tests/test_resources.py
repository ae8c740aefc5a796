"""The data that ships with the package is found from a checkout (and, in CI, from a wheel)."""

from __future__ import annotations

from auditor.resources import example_manifest, examples_dir, rules_dir


def test_rules_and_examples_are_found() -> None:
    assert (rules_dir() / "licences.yaml").is_file()
    assert examples_dir().is_dir()
    assert example_manifest().is_file()
    assert example_manifest().read_text(encoding="utf-8").startswith("photo_url,author,")
