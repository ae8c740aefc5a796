"""Reading a user's YAML file (a policy, a waiver list) as a node tree with positions.

Composing, not constructing: every node keeps its line and column for error messages, and YAML
tags are never run. Problems reading the file become the caller's one-line error via `fail`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from auditor.errors import AuditorError
from auditor.limits import InputTooLarge, current, raise_hint, read_small_file, shown

# fail(line, column, problem, fix) builds the caller's error (policy or waiver file).
Fail = Callable[[int, int, str, str], AuditorError]


def compose_file(path: Path, what: str, fail: Fail, limit: str) -> Node | None:
    """The single YAML document in `path` as nodes; None when it is empty or only comments.

    `limit` is the `InputLimits` field bounding the file's size. Aliases are checked too: a
    document whose aliases would make its tree far larger than its text ("billion laughs") or
    that contains itself is refused before anyone walks it.
    """
    try:
        data = read_small_file(path, limit, what)
    except InputTooLarge as error:
        raise fail(1, 1, error.problem.partition(";")[0], raise_hint(limit)) from None
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
    except RecursionError:
        raise fail(1, 1, "YAML nested too deeply", "flatten the file") from None
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
    if node is not None:
        _check_aliases(node, fail)
    return node


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_aliases(root: Node, fail: Fail) -> None:
    """Refuse a node graph whose tree (aliases expanded) has more than `yaml_alias_nodes` nodes
    beyond its distinct ones, or a cycle. Sizes are summed bottom-up once per distinct node,
    without recursion, so the check itself costs only the distinct nodes."""
    budget = current().yaml_alias_nodes
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in _children(node))
            continue
        if key in size:
            continue
        if key in on_path:
            mark = node.start_mark
            raise fail(
                mark.line + 1,
                mark.column + 1,
                "a YAML alias refers to a node containing it",
                "remove the alias loop",
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)
    expanded = size[id(root)]
    if expanded - len(size) > budget:
        raise fail(
            1,
            1,
            f"YAML aliases expand the file to {expanded:,} nodes (more than {shown(budget)} beyond "
            "the ones written)",
            "write the entries out instead of nesting aliases",
        )
