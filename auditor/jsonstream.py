"""JSON read incrementally (ijson over yajl), in bounded memory whatever the document's size.

Three pieces, each usable on its own:

- `DepthScanner` follows the nesting of a JSON byte stream chunk by chunk (brackets outside
  strings, vectorised with numpy) and refuses one nested deeper than a limit *before* a parser
  sees it: yajl keeps a path per level, so a 100,000-deep document would take gigabytes there,
  and Python's own `json` raises RecursionError.
- `stream_values` reads a byte stream once and yields the values found at any of several places
  (`images.item`, the `(key, value)` pairs of an object...), each built whole but only one at a
  time. The chunked manifest pipeline and `--baseline` read through it.
- `skeleton` parses the start of a document into the document's shape: arrays and objects keep
  their first `SKELETON_ITEMS` entries, and those the head did not finish (or that were cut)
  become `StreamedList` / `StreamedDict`, which hold those first entries and, when iterated
  past them, stream the rest from the file. Format detection looks at the skeleton as it would
  at the whole document; a reader iterating it reads the file once more, record by record.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import ijson
import numpy as np

from auditor.newlines import count_newlines

# Where a value sits in the document, as ijson names it (`images.item`; "" is the whole document).
Prefix = str
SKELETON_ITEMS = 100  # entries of an array or object kept by a skeleton
FEED_BYTES = 1 << 20
PULL_BYTES = 1 << 16  # what ijson's pull API reads at a time (an error's line is this close)

_DELIMITERS = (b",", b"[", b"{", b":", b" ", b"\n", b"\t", b"\r")
_NONE = np.zeros(0, dtype=np.int64)
# Byte classes for `DepthScanner`: what each class adds to the depth is `_STEPS[class]`.
_QUOTE_CLASS, _BACKSLASH_CLASS, _OPEN_CLASS, _MARK_CLASS, _CLOSE_CLASS = 1, 2, 3, 4, 5
_STEPS = np.array([0, 0, 0, 1, 0, -1], dtype=np.int64)


@functools.cache
def _classes(marks: tuple[int, ...]) -> bytes:
    """The `bytes.translate` table of the byte classes, `marks` (bytes) being marks."""
    table = bytearray(256)
    table[ord('"')] = _QUOTE_CLASS
    table[ord("\\")] = _BACKSLASH_CLASS
    for byte in b"[{":
        table[byte] = _OPEN_CLASS
    for byte in b"]}":
        table[byte] = _CLOSE_CLASS
    for byte in marks:
        table[byte] = _MARK_CLASS
    return bytes(table)


class JsonProblem(Exception):
    """The JSON cannot be read: `problem` in words, at `line` (1-based) when known."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line


class DepthScanner:
    """Tracks how deeply the bytes fed so far are nested; `feed` raises `JsonProblem` naming
    the line where a document goes deeper than `limit`. Invalid JSON is left to the parser."""

    def __init__(self, limit: int, *, count_lines: bool = True) -> None:
        self.limit = limit
        self.depth = 0
        # Newlines fed so far; with `count_lines` False, what the caller sets (or 0).
        self.lines = 0
        self._count_lines = count_lines
        self._in_string = False
        self._escape_next = False  # the chunk before ended in an odd run of backslashes

    def feed(self, chunk: bytes | bytearray) -> None:
        self.structure(chunk)

    def structure(
        self, chunk: bytes | bytearray, marks: tuple[int, ...] = ()
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Feed `chunk`; return the positions in it of its unescaped quotes, and of its brackets
        and `marks` bytes (`,` `:`) outside strings with the depth after each (a mark's is the
        depth it is at)."""
        if not chunk:
            return _NONE, _NONE, _NONE
        # Each byte as its class (`bytes.translate` runs at memory speed), then only the
        # bytes of a class are looked at.
        classes = np.frombuffer(chunk.translate(_classes(marks)), dtype=np.uint8)
        where = np.flatnonzero(classes != 0)
        kinds = classes[where]
        is_quote = kinds == _QUOTE_CLASS
        backslashes = where[kinds == _BACKSLASH_CLASS]
        if len(backslashes) or self._escape_next:
            is_quote[is_quote] = self._unescaped(where[is_quote], backslashes, len(chunk))
        # A bracket is inside a string when an odd number of quotes come before it.
        outside = np.logical_xor.accumulate(is_quote) == self._in_string
        chosen = outside & (kinds >= _OPEN_CLASS)
        positions = where[chosen]
        quotes = where[is_quote]
        depths = _NONE
        if len(positions):
            depths = self.depth + np.cumsum(_STEPS[kinds[chosen]])
            deepest = int(depths.max())
            if deepest > self.limit:
                at = int(positions[int(np.argmax(depths > self.limit))])
                line = self.lines + chunk.count(b"\n", 0, at) + 1
                raise JsonProblem(f"JSON nested more than {self.limit} levels deep", line=line)
            self.depth = max(int(depths[-1]), 0)
        self._in_string ^= bool(len(quotes) % 2)
        if self._count_lines:
            self.lines += count_newlines(chunk)
        return quotes, positions, depths

    def _unescaped(self, quotes: np.ndarray, backslashes: np.ndarray, size: int) -> np.ndarray:
        """Which quotes are not escaped by a backslash; and whether the next chunk starts
        escaped."""
        runs = backslashes
        if self._escape_next:  # as if one more backslash stood just before this chunk
            runs = np.concatenate([np.array([-1], np.int64), backslashes])
        self._escape_next = False
        if not len(runs):
            return np.ones(len(quotes), dtype=bool)
        breaks = np.flatnonzero(np.diff(runs) != 1)
        starts = runs[np.concatenate([[0], breaks + 1])]
        ends = runs[np.concatenate([breaks, [len(runs) - 1]])] + 1  # the byte after each run
        escaped = ends[(ends - starts) % 2 == 1]
        if len(escaped) and escaped[-1] >= size:
            self._escape_next = True
            escaped = escaped[:-1]
        return ~np.isin(quotes, escaped)


def _problem(error: Exception, line: int | None) -> JsonProblem:
    """ijson's error as one line: yajl's first line says what, the rest draws where."""
    if isinstance(error, UnicodeDecodeError):
        # yajl hands a lone escaped surrogate (`\udc00`) on as bytes that are not UTF-8.
        return JsonProblem("invalid JSON (a \\u escape of half a surrogate pair)", line)
    text = error.args[0] if error.args else str(error)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    first = str(text).strip().splitlines()[0] if str(text).strip() else type(error).__name__
    if "premature EOF" in first:
        return JsonProblem("the file looks truncated (the JSON ends early)", line)
    if "UTF8" in first:
        return JsonProblem("invalid UTF-8 in the JSON text; re-save the file as UTF-8", line)
    return JsonProblem(f"invalid JSON ({first.removeprefix('parse error: ')})", line)


@dataclass(frozen=True)
class Target:
    """A place in the document whose values to stream: `items` yields each value at `prefix`,
    `pairs` each `(key, value)` of the object at `prefix`."""

    prefix: Prefix
    pairs: bool = False


def stream_values(
    stream: BinaryIO, targets: Sequence[Target], lines: Callable[[], int] | None = None
) -> Iterator[tuple[int, Any]]:
    """`(index into targets, value)` for every value at any of `targets`, read in one pass over
    `stream`. Values of one target come in document order; between targets, by chunk read.

    Raises `JsonProblem` for invalid JSON; `lines()`, when given, says how many lines have been
    read so far (yajl does not say where it stopped, so the line is where reading had got to).
    """

    def problem(error: Exception) -> JsonProblem:
        found = _problem(error, None)
        if lines is not None:  # where reading had got to: the error is at most a buffer before
            found.problem += f", near line {lines() + 1}"
        return found

    if len(targets) == 1:  # ijson's pull API: items built in C, no per-chunk round trip
        target = targets[0]
        read = ijson.kvitems if target.pairs else ijson.items
        try:
            for value in read(stream, target.prefix, use_float=True, buf_size=PULL_BYTES):
                yield 0, value
        except (ijson.JSONError, UnicodeDecodeError) as error:
            raise problem(error) from None
        return
    found: list[Any] = [ijson.sendable_list() for _ in targets]
    coroutines = [
        (ijson.kvitems_coro if target.pairs else ijson.items_coro)(
            found[i], target.prefix, use_float=True
        )
        for i, target in enumerate(targets)
    ]
    try:
        for chunk in read_chunks(stream):
            for coroutine in coroutines:
                coroutine.send(chunk)
            for index, values in enumerate(found):
                if values:
                    yield from ((index, value) for value in values)
                    del values[:]
        for coroutine in coroutines:
            coroutine.close()
    except (ijson.JSONError, UnicodeDecodeError) as error:
        raise problem(error) from None
    for index, values in enumerate(found):  # (what closing the parsers found)
        yield from ((index, value) for value in values)


def read_chunks(stream: BinaryIO, size: int = FEED_BYTES) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk


# -- skeletons -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reopen:
    """How a skeleton reads its document again: `open` gives a new stream from the first byte,
    `fail` turns a problem met while streaming into the caller's error."""

    open: Callable[[], BinaryIO]
    fail: Callable[[JsonProblem], Exception]
    # What reading the stream may raise (a truncated gzip...), and the caller's error for it.
    read_errors: tuple[type[Exception], ...] = ()
    unreadable: Callable[[Exception], Exception] | None = None


Opener = Reopen


Rest = Callable[[int], Iterator[Any]]  # the entries after the first n, streamed


class StreamedList(list[Any]):
    """An array of which the skeleton holds the first entries (indexing, slicing and `len`
    see only those); iterating it yields every entry, streaming past the first ones."""

    def __init__(self, head: Iterable[Any], rest: Rest, where: str) -> None:
        super().__init__(head)
        self.rest = rest
        self.where = where

    def __iter__(self) -> Iterator[Any]:
        yield from super().__iter__()
        yield from self.rest(super().__len__())

    def __repr__(self) -> str:
        return f"StreamedList({self.where!r}, head={super().__len__()})"


class StreamedDict(dict[str, Any]):
    """An object of which the skeleton holds the first entries: lookups, `keys()`, `len` and
    iterating see only those; `items()` and `values()` yield every entry, streaming past the
    first ones, and `value_list()` is a `StreamedList` of the values."""

    def __init__(
        self, head: dict[str, Any], opener: Opener, prefix: Prefix, unfinished: str | None = None
    ) -> None:
        super().__init__(head)
        self.opener = opener
        self.prefix = prefix
        # The last key, when the head ended inside its value: looked up, that value is itself
        # streamed; iterated, it comes whole from the file.
        self.unfinished = unfinished

    def _finished(self) -> list[tuple[str, Any]]:
        return [(k, v) for k, v in super().items() if k != self.unfinished]

    def items(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        head = self._finished()
        yield from head
        yield from _rest(self.opener, Target(self.prefix, pairs=True), len(head))

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        return (value for _, value in self.items())

    def value_list(self) -> StreamedList:
        def rest(skip: int) -> Iterator[Any]:
            pairs = _rest(self.opener, Target(self.prefix, pairs=True), skip)
            return (value for _, value in pairs)

        return StreamedList([v for _, v in self._finished()], rest, self.prefix)

    def __repr__(self) -> str:
        return f"StreamedDict({self.prefix!r}, head={super().__len__()})"


def value_list(mapping: dict[str, Any]) -> list[Any]:
    """The values of a JSON object as a list: streamed past the head for a `StreamedDict`."""
    if isinstance(mapping, StreamedDict):
        return mapping.value_list()
    return list(mapping.values())


def _rest(opener: Opener, target: Target, skip: int) -> Iterator[Any]:
    """The values at `target` after the first `skip`, from a new pass over the document."""
    with opener.open() as stream:
        try:
            counter = getattr(stream, "raw", stream)  # a guard counts the lines it has read
            lines = (lambda: int(counter.lines)) if hasattr(counter, "lines") else None
            values = stream_values(stream, [target], lines)
            for seen, (_, value) in enumerate(values):
                if seen >= skip:
                    yield value
        except JsonProblem as problem:
            raise opener.fail(problem) from None
        except opener.read_errors as error:
            if opener.unreadable is None:
                raise
            raise opener.unreadable(error) from None


def _streamed_list(head: list[Any], opener: Opener, prefix: Prefix) -> StreamedList:
    items = f"{prefix}.item" if prefix else "item"

    def rest(skip: int) -> Iterator[Any]:
        return _rest(opener, Target(items), skip)

    return StreamedList(head, rest, items)


class _Open:
    """A container being built: its entries so far, and whether some were left out."""

    def __init__(self, prefix: Prefix, is_list: bool) -> None:
        self.prefix = prefix
        self.is_list = is_list
        self.entries: list[Any] | dict[str, Any] = [] if is_list else {}
        self.key: str | None = None
        self.cut = False  # entries past SKELETON_ITEMS were left out
        self.skipping = 0  # depth inside an entry being left out

    def full(self) -> bool:
        return len(self.entries) >= SKELETON_ITEMS


def skeleton(head: bytes, complete: bool, opener: Opener) -> Any:
    """The shape of the document whose first bytes are `head` (all of it when `complete`).

    Containers the head finishes and that have at most `SKELETON_ITEMS` entries are plain
    lists and dicts; the others are `StreamedList`/`StreamedDict` reading the rest through
    `opener`. Raises `JsonProblem` for JSON that is invalid within the head.
    """
    stack: list[_Open] = []
    root: list[Any] = []

    def close(node: _Open, unfinished: str | None = None) -> Any:
        cut = node.cut or not complete_so_far[0]
        entries = node.entries
        if not cut:
            return entries
        if isinstance(entries, list):
            return _streamed_list(entries, opener, node.prefix)
        return StreamedDict(entries, opener, node.prefix, unfinished)

    def put(value: Any) -> None:
        if not stack:
            root.append(value)
            return
        parent = stack[-1]
        if isinstance(parent.entries, list):
            parent.entries.append(value)
        else:
            assert parent.key is not None
            parent.entries[parent.key] = value

    complete_so_far = [True]
    if not complete:
        # End the head on a delimiter, so that no number, true, false or null (nor a UTF-8
        # character) is cut in two: what is cut is then only ever an unfinished string or
        # container, which the parser reports as the end of the input.
        head = head[: max(head.rfind(byte) for byte in _DELIMITERS) + 1]
    events = ijson.parse(head, use_float=True)
    try:
        for prefix, event, value in events:
            top = stack[-1] if stack else None
            if top is not None and top.skipping:
                if event in ("start_map", "start_array"):
                    top.skipping += 1
                elif event in ("end_map", "end_array"):
                    top.skipping -= 1
                if top.skipping or event not in ("end_map", "end_array"):
                    continue
                top.skipping = 0  # the left-out entry ended
                continue
            if event == "map_key":
                assert top is not None
                if top.full():
                    top.cut = True
                    top.key = None
                else:
                    top.key = str(value)
                continue
            if event in ("end_map", "end_array"):
                node = stack.pop()
                put(close(node))
                continue
            starting = event in ("start_map", "start_array")
            if top is not None and (
                (top.is_list and top.full()) or (not top.is_list and top.key is None)
            ):
                # An entry past SKELETON_ITEMS: left out (followed only to its end).
                top.cut = True
                if starting:
                    top.skipping = 1
                continue
            if starting:
                stack.append(_Open(prefix, event == "start_array"))
            else:
                put(value)
    except UnicodeDecodeError as error:
        raise _problem(error, None) from None
    except ijson.IncompleteJSONError as error:
        if complete or "premature EOF" not in str(error):
            line = head.count(b"\n") + 1 if "premature EOF" in str(error) else None
            raise _problem(error, line) from None
        complete_so_far[0] = False
        unfinished: str | None = None  # the key of an unfinished value, in its object
        while stack:  # the head ended inside these: each is streamed from the file
            node = stack.pop()
            value = close(node, unfinished)
            unfinished = None
            if stack and stack[-1].is_list:
                continue  # an unfinished entry of an array: it comes whole when streamed
            if stack:
                unfinished = stack[-1].key
            put(value)
    if not root:
        raise JsonProblem("the file looks truncated (the JSON ends early)", head.count(b"\n") + 1)
    return root[0]


def loads_bounded(text: str, depth: int) -> Any:
    """`json.loads(text)`, but `JsonProblem` for a value nested deeper than `depth` (checked
    only when the text has that many brackets, so ordinary lines cost two counts) or deeper
    than Python can parse."""
    if text.count("[") + text.count("{") > depth:
        DepthScanner(depth).feed(text.encode("utf-8", "surrogatepass"))
    try:
        return json.loads(text)
    except RecursionError:
        raise JsonProblem("JSON nested too deeply") from None
