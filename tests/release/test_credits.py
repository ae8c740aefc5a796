"""credits_table and write_credits: one credit per kept photo whose licence needs attribution."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from auditor.engine import evaluate, load_policy
from auditor.engine.evaluate import annotate
from auditor.errors import AuditorError
from auditor.manifests.read import read_manifests
from auditor.release import CREDIT_COLUMNS, credits_table, write_credits
from auditor.release.credits import credits_markdown

Write = Callable[[str, str | bytes], Path]

MANIFEST = (
    "photo_id,owner,owner_name,license,title\n"
    '1,12345678@N01,<script>alert(1)</script>,cc-by-2.0,"=HYPERLINK(""http://evil"",""x"")"\n'
    "2,bob,Bob,cc-by-nc-2.0,non-commercial: removed for commercial training\n"
    "3,carol,,cc-by-sa-2.0,<img src=x onerror=alert(1)>\n"
    "4,dave,Dave,cc0-1.0,no credit needed\n"
    "1,12345678@N01,Alice again,cc-by-2.0,listed twice\n"
    "5,erin,Erin,all-rights-reserved,removed\n"
    ",frank,Frank,cc-by-2.0,no photo id\n"
)


def tables(path: Path, policy: str = "commercial-training") -> tuple[pd.DataFrame, pd.DataFrame]:
    photos = read_manifests([path]).photos
    return photos, evaluate(photos, load_policy(policy))


def test_kept_photos_that_need_attribution_once_each(write: Write) -> None:
    photos, findings = tables(write("photos.csv", MANIFEST))
    table = credits_table(photos, findings)
    assert list(table.columns) == list(CREDIT_COLUMNS)
    assert table["photo_id"].tolist() == ["1", "3"]
    first = table.iloc[0]
    assert first["title"] == '=HYPERLINK("http://evil","x")'
    assert first["author"] == "<script>alert(1)</script>"
    assert first["page_url"] == "https://www.flickr.com/photos/12345678@N01/1/"
    assert first["licence"] == "CC BY 2.0"
    assert first["licence_url"] == "https://creativecommons.org/licenses/by/2.0/"
    assert first["source_row"] == 2
    # No display name: the owner is the author.
    assert table.iloc[1]["author"] == "carol"


def test_an_annotated_table_gives_the_same_credits(write: Write) -> None:
    photos, findings = tables(write("photos.csv", MANIFEST))
    assert credits_table(annotate(photos), findings).equals(credits_table(photos, findings))


def test_a_waived_error_keeps_the_photo(write: Write) -> None:
    photos, findings = tables(write("photos.csv", MANIFEST))
    findings.loc[findings["photo_id"] == "2", "waived"] = True
    assert credits_table(photos, findings)["photo_id"].tolist() == ["1", "2", "3"]


def test_live_title_and_owner_name_are_preferred(write: Write) -> None:
    photos, findings = tables(write("photos.csv", MANIFEST))
    photos = photos.assign(
        current_title=pd.Series(["Now titled", None, None, None, None, None, None], dtype="str"),
        current_owner_name=pd.Series([None, None, "Carol C", None, None, None, None], dtype="str"),
    )
    table = credits_table(photos, findings)
    assert table["title"].tolist() == ["Now titled", "<img src=x onerror=alert(1)>"]
    assert table["author"].tolist() == ["<script>alert(1)</script>", "Carol C"]


def test_no_photo_needing_credit_gives_an_empty_table(write: Write, tmp_path: Path) -> None:
    photos, findings = tables(write("photos.csv", "photo_id,license\n1,cc0-1.0\n"))
    table = credits_table(photos, findings)
    assert table.empty and list(table.columns) == list(CREDIT_COLUMNS)
    write_credits(table, tmp_path / "credits.csv")
    header = (tmp_path / "credits.csv").read_text().splitlines()
    assert next(csv.reader(header)) == list(CREDIT_COLUMNS)
    assert "0 photos" in credits_markdown(table)


def test_csv_defuses_formulas(write: Write, tmp_path: Path) -> None:
    photos, findings = tables(write("photos.csv", MANIFEST))
    path = write_credits(credits_table(photos, findings), tmp_path / "credits.csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0]["title"] == '\'=HYPERLINK("http://evil","x")'
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@"))


def test_markdown_escapes_manifest_text(write: Write, tmp_path: Path) -> None:
    photos, findings = tables(write("photos.csv", MANIFEST))
    path = write_credits(credits_table(photos, findings), tmp_path / "sub" / "credits.md")
    text = path.read_text(encoding="utf-8")
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in text
    assert "[CC BY 2.0](https://creativecommons.org/licenses/by/2.0/)" in text
    assert "(https://www.flickr.com/photos/12345678@N01/1/)" in text
    items = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(items) == 2


def test_unknown_suffix_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(AuditorError, match=r"credits\.txt: unknown suffix"):
        write_credits(pd.DataFrame(columns=list(CREDIT_COLUMNS)), tmp_path / "credits.txt")
