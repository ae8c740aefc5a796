"""How much of any input the auditor will read: the limits that turn a resource bomb into a
one-line error (exit 2) instead of eaten memory or a crash. See docs/security.md.

Every limit has a default that no real manifest, policy, waiver list or key file comes near, and
can be changed with `flickr-audit --limit NAME=VALUE` (tests make them small to build bombs
small). `current()` is what the readers obey; `using(limits)` sets it for a block of code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace

from auditor.errors import AuditorError

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30


@dataclass(frozen=True)
class InputLimits:
    """The limits in force. Sizes are bytes; see `DESCRIPTIONS` for what each bounds."""

    line_bytes: int = 8 * MIB
    json_depth: int = 128
    expansion_ratio: int = 100
    expansion_after: int = 64 * MIB
    yaml_alias_nodes: int = 1_000_000
    key_file: int = 4 * KIB
    policy_file: int = 4 * MIB
    waiver_file: int = 64 * MIB
    opt_out_file: int = 256 * MIB
    baseline_file: int = 4 * GIB


DESCRIPTIONS: dict[str, str] = {
    "line_bytes": "longest line of a text manifest (CSV, TSV, JSON Lines, URL list, YFCC100M), "
    "and longest CSV field",
    "json_depth": "deepest nesting of arrays and objects in a JSON manifest, record or audit.json",
    "expansion_ratio": "decompressed bytes per compressed byte read from a gzip/bz2/xz manifest",
    "expansion_after": "decompressed bytes a compressed manifest may give before the ratio is "
    "checked",
    "yaml_alias_nodes": "nodes that YAML aliases (*name) may add to a policy or waiver file",
    "key_file": "size of --api-key-file",
    "policy_file": "size of a --policy file",
    "waiver_file": "size of a --waivers file",
    "opt_out_file": "size of an opt-out list",
    "baseline_file": "size of a --baseline audit.json (read streaming)",
}

_SIZE_RE = re.compile(r"(\d+)\s*([kmg]i?b?|b)?", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": KIB, "m": MIB, "g": GIB}
_DEFAULT = InputLimits()
_current = _DEFAULT


def current() -> InputLimits:
    """The limits readers obey now."""
    return _current


@contextmanager
def using(limits: InputLimits) -> Iterator[InputLimits]:
    """Make `limits` the ones in force inside the block (also for the threads it starts)."""
    global _current
    before = _current
    _current = limits
    try:
        yield limits
    finally:
        _current = before


def option_name(field: str) -> str:
    """`line_bytes` -> `line-bytes`, as `--limit` spells it."""
    return field.replace("_", "-")


def parse_value(text: str) -> int:
    """`4096`, `4KiB`, `8M`, `2GiB` (powers of 1024) as a positive integer."""
    match = _SIZE_RE.fullmatch(text.strip())
    if match is None or int(match[1]) <= 0:
        raise ValueError(text)
    unit = (match[2] or "").lower()[:1]
    return int(match[1]) * _UNITS[unit]


def with_settings(limits: InputLimits, settings: list[str]) -> InputLimits:
    """`limits` changed by `NAME=VALUE` settings (`line-bytes=1MiB`); `AuditorError` for a
    setting that names no limit or gives no positive number."""
    names = {option_name(field.name): field.name for field in fields(InputLimits)}
    changes: dict[str, int] = {}
    for setting in settings:
        name, _, value = setting.partition("=")
        field = names.get(name.strip().lower())
        if field is None:
            raise AuditorError(
                f"--limit {setting}: no such limit; use one of {', '.join(names)} "
                "(see docs/security.md)"
            )
        try:
            changes[field] = parse_value(value)
        except ValueError:
            raise AuditorError(
                f"--limit {setting}: not a positive number; write e.g. {name}=4096 or {name}=16MiB"
            ) from None
    return replace(limits, **changes)


def shown(size: int) -> str:
    """`8 MiB`, `4 KiB`, `100`: a limit as messages show it."""
    for unit, scale in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size:,}"


def shown_bytes(size: int) -> str:
    """`8 MiB`, `1,000 bytes`."""
    text = shown(size)
    return text if text.endswith("iB") else f"{text} bytes"


def raise_hint(field: str) -> str:
    """What to tell a user whose real input is over `field`'s limit."""
    return f"if the input is genuine, raise the limit with --limit {option_name(field)}=VALUE"


class InputTooLarge(AuditorError):
    """A file or stream is over one of the limits. `problem` is the message without the path."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


def read_small_file(path: object, field: str, what: str) -> bytes:
    """The bytes of a small file (a key, a policy, a waiver list), read in pieces and never
    past the limit `field` (an `InputLimits` field): `/dev/zero`, a FIFO fed forever or a
    huge file named by mistake is `InputTooLarge` after at most that many bytes.

    OSError (no such file, a folder, no permission) is left to the caller, who words it.
    """
    limit = getattr(current(), field)
    pieces: list[bytes] = []
    size = 0
    with open(str(path), "rb") as handle:  # noqa: PTH123 (str or Path)
        while size <= limit:
            piece = handle.read(min(limit + 1 - size, 1 << 20))
            if not piece:
                return b"".join(pieces)
            pieces.append(piece)
            size += len(piece)
    raise InputTooLarge(
        path,
        f"the {what} is larger than {shown_bytes(limit)}; name the right file "
        f"({raise_hint(field)})",
    )
