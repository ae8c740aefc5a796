"""What a format reader hands on: the fields it found, row by row, before normalisation.

Readers know where a format keeps things; they do not parse URLs, resolve licences or fix dates.
`auditor.photo_table.build_photo_table` does that once for every format, so every format gets
the same rules.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Each raw row may fill any of these; values are kept as the manifest wrote them.
RAW_FIELDS: tuple[str, ...] = (
    "source_row",  # 1-based line (line-oriented files) or record number (JSON, Parquet)
    "photo_ref",  # an explicit photo id, or a URL given as the id
    "url",  # the photo's URL as the manifest has it (page URL preferred)
    "alt_url",  # a second URL to fall back on (e.g. the static image URL)
    "image_name",  # an image file name or path that holds the photo id (`{id}_{secret}.jpg`)
    "owner_ref",  # NSID, path alias, or a profile/photos URL
    "owner_name",  # display name / author
    "owner_realname",  # the owner's real name, where a format records it beside the username
    "licence",  # a recorded licence: Flickr id, name, URL, slug or SPDX id
    "licence_alt",  # a second recorded licence value that must agree with the first
    "licence_code",  # Openverse-style short code (`by-nc-nd`), read with `licence_version`
    "licence_version",
    "licence_raw",  # what to show as the raw licence, when not simply the values above
    "collected_at",
    "uploaded_at",
    "title",
    "notes",  # problems the reader found in this row, `; `-separated
)


# Set by `hand_on_pieces` in the thread running a reader: rows are handed on in pieces.
_PIECES = threading.local()


@dataclass
class RawManifest:
    """Rows read from one manifest file, column by column, plus what the reader skipped."""

    path: Path
    format: str
    # Each field is a list (readers that go row by row) or an Arrow array (columnar readers).
    columns: dict[str, Any] = field(default_factory=lambda: {name: [] for name in RAW_FIELDS})
    skipped: Counter[str] = field(default_factory=Counter)  # reason → rows not taken
    notes: list[str] = field(default_factory=list)  # file-level remarks for the summary
    # Whether a bare-number image name (`{id}.jpg`) is a Flickr photo id: only when the reader
    # knows the layout is Flickr's (from the content, or the user's --ids-from-filenames).
    numeric_names: bool = False
    # Why the bare numbers of the id column are not photo ids (a counter, face counts between
    # file names), when the reader found they are not: they are then refused with this note.
    counts_not_ids: str | None = None

    def add(self, source_row: int, **values: object) -> None:
        """Append one row; fields not given are empty. In a thread that reads in pieces
        (`hand_on_pieces`), every `rows` rows are handed on as a piece of their own."""
        for name, column in self.columns.items():
            column.append(source_row if name == "source_row" else values.get(name))
        self._hand_on()

    def add_columns(self, source_rows: list[int], values: dict[str, list[Any]]) -> None:
        """Append rows given column by column (`values`: field -> one value per row; fields
        not given are empty). Faster than `add` row by row for readers that batch rows."""
        count = len(source_rows)
        if not count:
            return
        self.columns["source_row"].extend(source_rows)
        for name in RAW_FIELDS[1:]:
            given = values.get(name)
            self.columns[name].extend([None] * count if given is None else given)
        self._hand_on()

    def _hand_on(self) -> None:
        hand_on: tuple[Callable[[RawManifest], None], int] | None = getattr(
            _PIECES, "hand_on", None
        )
        if hand_on is not None and len(self.columns["source_row"]) >= hand_on[1]:
            piece = RawManifest(self.path, self.format, self.columns)
            piece.numeric_names = self.numeric_names
            piece.counts_not_ids = self.counts_not_ids
            self.columns = {name: [] for name in RAW_FIELDS}
            hand_on[0](piece)

    @property
    def rows(self) -> int:
        return len(self.columns["source_row"])


def hand_on_pieces(hand_on: Callable[[RawManifest], None] | None, rows: int = 0) -> None:
    """In this thread, make `RawManifest.add` call `hand_on(piece)` with every `rows` rows
    (None: stop). The reader's own RawManifest keeps what is left, its notes and skips."""
    _PIECES.hand_on = None if hand_on is None else (hand_on, rows)


def piece_rows() -> int | None:
    """The rows of a piece in this thread (`hand_on_pieces`), None when not reading in pieces."""
    hand_on = getattr(_PIECES, "hand_on", None)
    return None if hand_on is None else int(hand_on[1])
