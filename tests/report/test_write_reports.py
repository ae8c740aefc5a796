"""write_reports: the four files, written atomically, with CSV formulas defused."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.errors import AuditorError
from auditor.report import (
    FINDING_COLUMNS,
    OWNER_COLUMNS,
    RunInfo,
    build_audit_document,
    write_reports,
)
from auditor.report import write as write_module
from auditor.report.document import finding_records
from auditor.report.write import finding_json_lines

Factory = Callable[[list[dict[str, Any]]], pd.DataFrame]


def _document(photos: pd.DataFrame, findings: pd.DataFrame, run: RunInfo) -> dict[str, Any]:
    return build_audit_document(photos, findings, run, tool_version="0.1.0")


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_writes_the_four_files(
    tmp_path: Path, photos: pd.DataFrame, findings: pd.DataFrame, run: RunInfo
) -> None:
    document = _document(photos, findings, run)
    out = tmp_path / "reports" / "captions"  # created, parents too
    paths = write_reports(out, photos, findings, document)
    assert paths == [out / n for n in ("audit.json", "findings.csv", "owners.csv", "summary.md")]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)  # no temp left

    assert json.loads(paths[0].read_text(encoding="utf-8")) == document
    rows = _csv(paths[1])
    assert list(rows[0]) == list(FINDING_COLUMNS) and len(rows) == len(findings)
    assert [r["waived"] for r in rows] == ["false", "false", "false", "true", "false", "false"]
    assert rows[5]["photo_id"] == "" and rows[5]["source_row"] == "8"
    owners = _csv(paths[2])
    assert list(owners[0]) == list(OWNER_COLUMNS)
    assert owners[0]["owner"] == "12345678@N01"
    assert owners[0]["rules"] == "non-commercial:2; duplicate:1"
    assert owners[1]["owner"] == ""  # the unknown owner
    assert [o["owner"] for o in owners] == [o["owner"] or "" for o in document["owners"]]
    assert paths[3].read_text(encoding="utf-8").startswith("# 4 of 6 photos usable")


def test_audit_json_is_indented_with_one_finding_per_line(
    tmp_path: Path, photos: pd.DataFrame, findings: pd.DataFrame, run: RunInfo
) -> None:
    document = _document(photos, findings, run)
    text = write_reports(tmp_path, photos, findings, document)[0].read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "{" and lines[1] == '  "schema_version": 1,' and lines[-1] == "}"
    finding_lines = [line for line in lines if line.startswith('    {"photo_id"')]
    assert len(finding_lines) == len(findings)
    assert '"waiver_problems": []' in text


def test_csv_cells_cannot_run_formulas(
    tmp_path: Path, make_photos: Factory, make_findings: Factory, run: RunInfo
) -> None:
    photos = make_photos([{"photo_id": "1", "owner": "ann", "owner_name": "=HYPERLINK(1)"}])
    findings = make_findings(
        [
            {
                "photo_id": "1",
                "owner": "ann",
                "owner_name": "=HYPERLINK(1)",
                "message": "+cmd|' /C calc'!A0",
                "source_file": "@evil.csv",
            }
        ]
    )
    paths = write_reports(tmp_path, photos, findings, _document(photos, findings, run))
    row = _csv(paths[1])[0]
    assert row["owner_name"] == "'=HYPERLINK(1)"
    assert row["message"] == "'+cmd|' /C calc'!A0"
    assert row["source_file"] == "'@evil.csv"
    assert _csv(paths[2])[0]["owner_name"] == "'=HYPERLINK(1)"
    # audit.json keeps the text as it is: JSON is not opened by spreadsheets.
    audit = json.loads(paths[0].read_text(encoding="utf-8"))
    assert audit["findings"][0]["owner_name"] == "=HYPERLINK(1)"


def test_summary_md_escapes_hostile_text(
    tmp_path: Path, make_photos: Factory, make_findings: Factory, run: RunInfo
) -> None:
    name = "Eve | <script>alert(1)</script> *bold* `code`\n# heading"
    photos = make_photos([{"photo_id": "1", "owner": "eve", "owner_name": name}])
    findings = make_findings(
        [{"photo_id": "1", "owner": "eve", "owner_name": name, "message": "![x](http://e/)"}]
    )
    summary = write_reports(tmp_path, photos, findings, _document(photos, findings, run))[3]
    text = summary.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "\n# heading" not in text
    assert (
        "Eve \\| &lt;script&gt;alert\\(1\\)&lt;/script&gt; \\*bold\\* \\`code\\` \\# heading"
        in text
    )
    assert "\\!\\[x\\]\\(http://e/\\)" in text
    owner_rows = [line for line in text.splitlines() if line.startswith("| eve |")]
    assert len(owner_rows) == 1 and owner_rows[0].count(" | ") == 8  # 9 cells, none split


def test_rewriting_replaces_the_old_reports(
    tmp_path: Path, photos: pd.DataFrame, findings: pd.DataFrame, run: RunInfo
) -> None:
    write_reports(tmp_path, photos, findings, _document(photos, findings, run))
    fewer = findings.iloc[:1]
    paths = write_reports(tmp_path, photos, fewer, _document(photos, fewer, run))
    assert len(_csv(paths[1])) == 1
    assert len(json.loads(paths[0].read_text(encoding="utf-8"))["findings"]) == 1


def test_a_crash_while_writing_leaves_the_previous_report(
    tmp_path: Path,
    photos: pd.DataFrame,
    findings: pd.DataFrame,
    run: RunInfo,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = _document(photos, findings, run)
    write_reports(tmp_path, photos, findings, document)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def crash(table: pa.Table, target: Any) -> None:
        target.write(b"owner,own")  # half a file, then the crash
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(write_module, "write_owners_csv", crash)
    fewer = findings.iloc[:1]
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_reports(tmp_path, photos, fewer, _document(photos, fewer, run))
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert set(after) == set(before)  # no temporary file left behind
    assert after["findings.csv"] == before["findings.csv"]


def test_files_get_the_usual_permissions(
    tmp_path: Path, photos: pd.DataFrame, findings: pd.DataFrame, run: RunInfo
) -> None:
    old = os.umask(0o022)
    try:
        paths = write_reports(tmp_path, photos, findings, _document(photos, findings, run))
    finally:
        os.umask(old)
    assert all(p.stat().st_mode & 0o777 == 0o644 for p in paths)


def test_an_unwritable_folder_is_a_user_error(
    tmp_path: Path, photos: pd.DataFrame, findings: pd.DataFrame, run: RunInfo
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(AuditorError, match="cannot write the report") as caught:
        write_reports(blocker / "out", photos, findings, _document(photos, findings, run))
    assert "\n" not in str(caught.value)


def test_a_document_from_other_findings_is_a_bug(
    tmp_path: Path, photos: pd.DataFrame, findings: pd.DataFrame, run: RunInfo
) -> None:
    document = _document(photos, findings.iloc[:2], run)
    with pytest.raises(ValueError, match="same tables"):
        write_reports(tmp_path, photos, findings, document)
    assert not any(tmp_path.iterdir())


def test_audit_json_is_the_same_without_findings_in_the_document(
    tmp_path: Path,
    photos: pd.DataFrame,
    findings: pd.DataFrame,
    run: RunInfo,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    full = _document(photos, findings, run)
    light = build_audit_document(
        photos, findings, run, tool_version="0.1.0", include_findings=False
    )
    assert "findings" not in light
    monkeypatch.setattr(write_module, "CHUNK_ROWS", 4)  # 6 findings: two chunks
    a = write_reports(tmp_path / "a", photos, findings, full)
    b = write_reports(tmp_path / "b", photos, findings, light)
    for left, right in zip(a, b, strict=True):
        assert left.read_bytes() == right.read_bytes()
    assert json.loads(a[0].read_text(encoding="utf-8")) == full


_HOSTILE = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30
) | st.sampled_from(['"', "\\", "\x00", "\x1f\x7f", "\u2028", 'a"b\\c\n', "=1+1", "é山"])


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.none() | _HOSTILE, min_size=1, max_size=5), row=st.integers(0, 2**40))
def test_finding_json_lines_match_json_dumps(texts: list[str | None], row: int) -> None:
    rows = [
        {name: text for name in FINDING_COLUMNS if name not in ("source_row", "waived")}
        | {"source_row": row + i, "waived": i % 2 == 0, "severity": "note", "rule": "r"}
        for i, text in enumerate(texts)
    ]
    frame = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    for name in FINDING_COLUMNS:
        if name not in ("source_row", "waived"):
            frame[name] = frame[name].astype("str")
    lines = finding_json_lines(frame)
    assert lines == [json.dumps(record, ensure_ascii=False) for record in finding_records(frame)]
    assert [json.loads(line)["photo_id"] for line in lines] == texts


def test_findings_csv_is_the_same_for_object_dtypes(
    tmp_path: Path, photos: pd.DataFrame, findings: pd.DataFrame, run: RunInfo
) -> None:
    as_objects = findings.astype(object)
    document = _document(photos, findings, run)
    a = write_reports(tmp_path / "a", photos, findings, document)[1].read_bytes()
    b = write_reports(tmp_path / "b", photos, as_objects, document)[1].read_bytes()
    assert a == b and b"true" in b


def test_findings_csv_and_json_carry_fetched_at(
    tmp_path: Path, photos: pd.DataFrame, make_findings: Factory, run: RunInfo
) -> None:
    findings = make_findings(
        [
            {"photo_id": "1", "rule": "opt-out", "fetched_at": "2025-06-20T08:00:00Z"},
            {"photo_id": "2", "rule": "duplicate", "severity": "warning"},
        ]
    )
    document = _document(photos, findings, run)
    paths = write_reports(tmp_path, photos, findings, document)
    rows = _csv(paths[1])
    assert [r["fetched_at"] for r in rows] == ["2025-06-20T08:00:00Z", ""]
    written = json.loads(paths[0].read_text(encoding="utf-8"))["findings"]
    assert [f["fetched_at"] for f in written] == ["2025-06-20T08:00:00Z", None]


def test_owner_lines_are_encoded_as_the_json_encoder_does() -> None:
    from auditor.report.write import _item_encoder

    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
    values: list[Any] = [
        {"owner": "1@N01", "owner_name": 'q"\\\n\x01é\u2028', "photos": 3, "rules": {"a": 1}},
        {"owner": None, "owner_name": None, "photos": 0, "rules": {}},
        {"a": [1, 2.5, True, None, {"b": "x"}]},
        "text",
        7,
        None,
    ]
    encode_item = _item_encoder()
    assert [encode_item(value) for value in values] == [encode(value) for value in values]
    with pytest.raises(ValueError):
        encode_item({"x": float("nan")})


@pytest.mark.parametrize("piece_rows", [1, 2, 25_000])
def test_audit_json_rows_encoded_in_pieces_are_those_of_the_document(
    tmp_path: Path,
    photos: pd.DataFrame,
    findings: pd.DataFrame,
    run: RunInfo,
    monkeypatch: pytest.MonkeyPatch,
    piece_rows: int,
) -> None:
    # `finish` encodes audit.json's rows in pieces on several threads and writes them in
    # order: in several batches, one of them empty, in pieces of one row (more pieces than
    # threads, so later pieces finish while earlier ones are written), they make the same
    # audit.json as one batch does.
    document = _document(photos, findings, run)
    whole = write_reports(tmp_path / "whole", photos, findings, document)[0].read_bytes()
    monkeypatch.setattr(write_module, "CHUNK_ROWS", piece_rows)
    table = write_module.findings_arrow(findings)
    batches = [table.slice(0, 2), table.slice(2, 0), table.slice(2, 3), table.slice(5)]
    out = tmp_path / "batches"
    paths = write_module.write_report_files(out, document, batches, lambda: "")
    assert paths[0].read_bytes() == whole
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)


def test_audit_json_without_findings_rows(
    tmp_path: Path, photos: pd.DataFrame, findings: pd.DataFrame, run: RunInfo
) -> None:
    document = _document(photos, findings.iloc[0:0], run)
    whole = write_reports(tmp_path / "whole", photos, findings.iloc[0:0], document)[0]
    empty = write_module.findings_arrow(findings).slice(0, 0)
    paths = write_module.write_report_files(tmp_path / "none", document, [empty], lambda: "")
    assert paths[0].read_bytes() == whole.read_bytes()
    assert json.loads(whole.read_text(encoding="utf-8"))["findings"] == []


def test_an_error_encoding_rows_leaves_no_report(
    tmp_path: Path,
    photos: pd.DataFrame,
    findings: pd.DataFrame,
    run: RunInfo,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A piece that cannot be encoded stops the writing: nothing is put in place, and the
    # temporary files are removed.
    document = _document(photos, findings, run)
    monkeypatch.setattr(write_module, "CHUNK_ROWS", 1)
    calls = 0
    real = write_module.json_lines

    def failing(table: pa.Table, before: str = "") -> pa.Array:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise ValueError("cannot encode")
        return real(table, before)

    monkeypatch.setattr(write_module, "json_lines", failing)
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="cannot encode"):
        write_module.write_report_files(
            out, document, [write_module.findings_arrow(findings)], lambda: ""
        )
    assert not out.exists() or list(out.iterdir()) == []
