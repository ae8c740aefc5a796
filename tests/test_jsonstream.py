"""Incremental JSON (`auditor.jsonstream`)."""

from __future__ import annotations

import io
import json
import random
from typing import Any

import pytest

from auditor.jsonstream import (
    DepthScanner,
    JsonProblem,
    Reopen,
    StreamedDict,
    StreamedList,
    Target,
    loads_bounded,
    skeleton,
    stream_values,
    value_list,
)


def _reopen(text: bytes) -> Reopen:
    return Reopen(lambda: io.BufferedReader(io.BytesIO(text)), lambda problem: problem)  # type: ignore[arg-type]


DOCUMENTS: list[Any] = [
    {"licenses": [{"id": 1}], "images": [{"id": n, "url": f"u{n}"} for n in range(300)]},
    list(range(1000)),
    [{"x": n, "y": [n, n + 1.5, None, True]} for n in range(300)],
    {"metadata": {str(n): {"photo_url": f"p{n}"} for n in range(300)}},
    {str(n): {"a": '[{"quoted\\\\"', "b": n} for n in range(300)},
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_skeleton_cut_anywhere_streams_the_same_document(document: Any) -> None:
    text = json.dumps(document).encode()
    for cut in range(40, min(len(text), 2500), 37):
        shape = skeleton(text[:cut], False, _reopen(text))
        if isinstance(document, list):
            assert isinstance(shape, StreamedList)
            assert list(shape) == document
        else:
            assert isinstance(shape, StreamedDict)
            assert dict(shape.items()) == document
            assert list(value_list(shape)) == list(document.values())


def test_complete_small_document_is_plain() -> None:
    text = json.dumps({"a": [1, 2], "b": {"c": None}}).encode()
    shape = skeleton(text, True, _reopen(text))
    assert type(shape) is dict and shape == {"a": [1, 2], "b": {"c": None}}


def test_long_complete_array_is_cut_to_its_head() -> None:
    text = json.dumps({"images": list(range(500))}).encode()
    shape = skeleton(text, True, _reopen(text))
    assert type(shape) is dict
    images = shape["images"]
    assert isinstance(images, StreamedList) and len(images) == 100
    assert list(images) == list(range(500))


def test_stream_values_of_several_targets_in_one_pass() -> None:
    text = json.dumps({"version": 3, "findings": [{"rule": str(n)} for n in range(5000)]})
    stream = io.BytesIO(text.encode())
    got = list(stream_values(stream, [Target("version"), Target("findings.item")]))  # type: ignore[arg-type]
    assert [v for i, v in got if i == 0] == [3]
    assert [v["rule"] for i, v in got if i == 1] == [str(n) for n in range(5000)]


def test_stream_values_says_what_is_wrong() -> None:
    with pytest.raises(JsonProblem, match="truncated"):
        list(stream_values(io.BytesIO(b'[{"a": 1}, {"a"'), [Target("item")]))  # type: ignore[arg-type]
    with pytest.raises(JsonProblem, match="invalid JSON"):
        list(stream_values(io.BytesIO(b'[{"a": 1},, 2]'), [Target("item")]))  # type: ignore[arg-type]


def test_loads_bounded() -> None:
    assert loads_bounded('{"a": "[[[[[[[["}', 3) == {"a": "[[[[[[[["}
    assert loads_bounded("[[[1]]]", 3) == [[[1]]]
    with pytest.raises(JsonProblem, match="nested more than 3"):
        loads_bounded("[[[[1]]]]", 3)


def _structure_by_hand(text: bytes, marks: bytes) -> tuple[list[int], list[tuple[int, int]]]:
    """Unescaped quotes, and brackets and marks outside strings with the depth after each,
    found byte by byte."""
    quotes: list[int] = []
    found: list[tuple[int, int]] = []
    depth, in_string, escaped = 0, False, False
    for at, byte in enumerate(text):
        if escaped:
            escaped = False
        elif byte == ord("\\"):
            escaped = True
        elif byte == ord('"'):
            quotes.append(at)
            in_string = not in_string
        elif not in_string and byte in b"[{]}" + marks:
            depth += 1 if byte in b"[{" else -1 if byte in b"]}" else 0
            found.append((at, depth))
    return quotes, found


@pytest.mark.parametrize("seed", range(4))
def test_structure_finds_what_a_byte_by_byte_scan_finds(seed: int) -> None:
    rng = random.Random(seed)
    document = [
        {"a": "".join(rng.choice('x"\\{[:,]}') for _ in range(rng.randrange(9))), "b": [n, {}]}
        for n in range(200)
    ]
    text = json.dumps(document, indent=rng.choice([None, 1])).encode()
    quotes, found = _structure_by_hand(text, b",:")
    scanner = DepthScanner(10)
    got_quotes: list[int] = []
    got: list[tuple[int, int]] = []
    offset = 0
    while offset < len(text):  # fed in pieces cut anywhere
        size = rng.randrange(1, 40)
        chunk = text[offset : offset + size]
        at_quotes, positions, depths = scanner.structure(chunk, (ord(","), ord(":")))
        got_quotes += (at_quotes + offset).tolist()
        got += list(zip((positions + offset).tolist(), depths.tolist(), strict=True))
        offset += size
    assert got_quotes == quotes and got == found
