"""Input limits and the bounded reader of small files (`auditor.limits`)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from auditor.errors import AuditorError
from auditor.limits import (
    KIB,
    MIB,
    InputLimits,
    InputTooLarge,
    current,
    parse_value,
    read_small_file,
    shown_bytes,
    using,
    with_settings,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [("4096", 4096), ("4KiB", 4 * KIB), ("4k", 4 * KIB), ("8 MiB", 8 * MIB), ("2G", 2 << 30)],
)
def test_parse_value(text: str, value: int) -> None:
    assert parse_value(text) == value


@pytest.mark.parametrize("text", ["", "0", "-1", "4 TB", "lots"])
def test_parse_value_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_value(text)


def test_with_settings_changes_only_what_is_named() -> None:
    limits = with_settings(InputLimits(), ["line-bytes=1KiB", "JSON-DEPTH=7"])
    assert limits.line_bytes == KIB and limits.json_depth == 7
    assert limits.key_file == InputLimits().key_file
    with pytest.raises(AuditorError, match="no such limit; use one of line-bytes"):
        with_settings(InputLimits(), ["lines=1"])


def test_using_sets_and_restores() -> None:
    before = current()
    with using(InputLimits(json_depth=3)):
        assert current().json_depth == 3
    assert current() is before


def test_shown_bytes() -> None:
    assert shown_bytes(8 * MIB) == "8 MiB" and shown_bytes(1000) == "1,000 bytes"


def test_small_file_within_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_bytes(b"k" * 4096)
    assert read_small_file(path, "key_file", "API key file") == b"k" * 4096


def test_small_file_over_the_limit_reads_one_byte_past_it(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_bytes(b"k" * 4097)
    with pytest.raises(InputTooLarge, match=r"the API key file is larger than 4 KiB"):
        read_small_file(path, "key_file", "API key file")


def test_endless_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    stop = threading.Event()

    def feed() -> None:
        with fifo.open("wb") as handle:
            try:
                while not stop.is_set():
                    handle.write(b"x" * 65536)
            except BrokenPipeError:
                pass

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    try:
        with using(InputLimits(waiver_file=256 * KIB)), pytest.raises(InputTooLarge):
            read_small_file(fifo, "waiver_file", "waiver file")
    finally:
        stop.set()
        thread.join(timeout=10)
