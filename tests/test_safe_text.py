"""Manifest text made harmless for terminals and reports (`auditor.safe_text`)."""

from __future__ import annotations

import io

import pytest

from auditor.safe_text import TerminalStream, for_terminal, one_line, single_line


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain title", "plain title"),
        ("a\x1b[2Jb", "a [2Jb"),
        ("two\nlines\r\n", "two lines"),
        ("photo\u202egpj.exe", "photo\\u202egpj.exe"),
        ("\u2066isolated\u2069", "\\u2066isolated\\u2069"),
        ("عربي مع \u200f علامة", "عربي مع \u200f علامة"),  # a right-to-left mark is not an override
    ],
)
def test_one_line(text: str, shown: str) -> None:
    assert one_line(text) == shown


def test_one_line_cuts_after_escaping() -> None:
    assert one_line("abcdef", 4) == "abc…"


def test_for_terminal_keeps_layout_and_shows_the_rest() -> None:
    text = "line 1\n\tline 2\r\x1b]0;title\x07 \u202eend"
    assert for_terminal(text) == "line 1\n\tline 2\r\\x1b]0;title\\x07 \\u202eend"


def test_single_line_joins_lines_only() -> None:
    assert single_line("a\n b\r\n\u2028c\x1b") == "a b c\x1b"


def test_terminal_stream_escapes_what_it_writes() -> None:
    inner = io.StringIO()
    stream = TerminalStream(inner)
    assert stream.write("x\x1b[31m\u202ey\n") == len("x\x1b[31m\u202ey\n")
    assert inner.getvalue() == "x\\x1b[31m\\u202ey\n"
