"""Reading a user's YAML file (a policy, a waiver list) as a node tree with positions.

Composing, not constructing: every node keeps its line and column for error messages, and YAML
tags are never run. Problems reading the file become the caller's one-line error via `fail`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from yaml.nodes import Node

from auditor.errors import AuditorError

# fail(line, column, problem, fix) builds the caller's error (policy or waiver file).
Fail = Callable[[int, int, str, str], AuditorError]


def compose_file(path: Path, what: str, fail: Fail) -> Node | None:
    """The single YAML document in `path` as nodes; None when it is empty or only comments."""
    try:
        data = path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise fail(1, 1, f"cannot read the {what} ({reason})", "check the path") from error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise fail(line, column, "not UTF-8 text", "save the file as UTF-8") from error
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node: Node | None = loader.get_single_node()
        return node
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = error.problem or error.context or "unreadable"
        raise fail(
            line,
            column,
            f"YAML syntax error: {problem}",
            "fix the YAML there (check indentation, colons and quoting)",
        ) from error
    except yaml.YAMLError as error:
        raise fail(1, 1, f"YAML syntax error: {error}", "fix the YAML") from error
    finally:
        loader.dispose()
