"""What tests of the chunked readers compare: the pieces `iter_manifest` gives, field by field
as normalising sees them, and how many records Arrow parsed."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.manifests import arrow_json
from auditor.manifests.normalise import text_column
from auditor.manifests.raw import RawManifest


def piece_texts(pieces: list[RawManifest], name: str) -> list[Any]:
    """A field's values as normalising sees them (`text_column`), whatever their raw type."""
    out: list[Any] = []
    for piece in pieces:
        out.extend(text_column(piece.columns[name]).to_pylist())
    return out


def piece_rows(pieces: list[RawManifest]) -> list[int]:
    """Every piece's source rows, in order."""
    return [int(row) for piece in pieces for row in piece.columns["source_row"]]


def count_arrow_json_records(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that gets, for each block of a JSON document Arrow parses, its record count."""
    parsed: list[int] = []
    arrow_parsed = arrow_json._parsed

    def counted(*args: Any) -> Any:
        columns, count = arrow_parsed(*args)
        parsed.append(count)
        return columns, count

    monkeypatch.setattr(arrow_json, "_parsed", counted)
    return parsed
