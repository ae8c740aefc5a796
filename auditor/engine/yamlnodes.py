"""Reading policy YAML as nodes that keep their line and column, and the errors that quote them.

Policies are parsed with `yaml.compose` (a safe loader, nothing is constructed from tags), so
every value can be traced to `file:line:col`. The helpers here check one node's shape (mapping,
list, text, boolean) and raise `PolicyError` with one line: where, what is wrong, and what to
write instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from auditor.errors import AuditorError
from auditor.yamlfile import compose_file

STR_TAG = "tag:yaml.org,2002:str"
BOOL_TAG = "tag:yaml.org,2002:bool"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
NULL_TAG = "tag:yaml.org,2002:null"

# Turns a scalar node into its value by YAML 1.1's rules (`yes` is a boolean, `0x1f` an integer).
_CONSTRUCTOR = SafeConstructor()

# Shown in "expected ..." messages.
_KIND_OF_TAG = {
    STR_TAG: "text",
    BOOL_TAG: "a boolean",
    INT_TAG: "an integer",
    FLOAT_TAG: "a number",
    NULL_TAG: "nothing (null)",
}


class PolicyError(AuditorError):
    """A policy file cannot be used. `str()` is `path:line:col: problem; what to write instead`."""

    def __init__(self, path: str, line: int, column: int, problem: str, fix: str) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.problem = problem
        self.fix = fix
        # One line whatever the YAML parser or the user's text put in it.
        text = f"{path}:{line}:{column}: {problem}; {fix}"
        super().__init__(" ".join(text.split()))


def describe(node: Node) -> str:
    """What a node is, in the words an error message uses ("a list", "text", ...)."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return _KIND_OF_TAG.get(node.tag, f"a value tagged {node.tag}")


def one_of(names: Iterable[str]) -> str:
    return ", ".join(names)


def suggest(name: str, names: Iterable[str]) -> str:
    """ " (did you mean 'x'?)" when a close spelling exists, else ""."""
    close = difflib.get_close_matches(name, list(names), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Source:
    """One policy file: its path as shown to the user, and error helpers bound to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.shown = str(path)

    def error(self, node: Node | None, problem: str, fix: str) -> PolicyError:
        if node is None:
            return PolicyError(self.shown, 1, 1, problem, fix)
        mark = node.start_mark
        return PolicyError(self.shown, mark.line + 1, mark.column + 1, problem, fix)

    def compose(self) -> Node:
        """The file's single YAML document as a node tree."""

        def fail(line: int, column: int, problem: str, fix: str) -> PolicyError:
            return PolicyError(self.shown, line, column, problem, fix)

        node = compose_file(self.path, "policy file", fail, "policy_file")
        if node is None:
            raise PolicyError(
                self.shown,
                1,
                1,
                "the policy file is empty",
                "write a mapping with id, description, use and rules (see docs/rules.md)",
            )
        return node

    # -- shape checks --------------------------------------------------------------------------

    def mapping(self, node: Node, what: str) -> dict[str, tuple[Node, Node]]:
        """A mapping's entries by key: `{key: (key_node, value_node)}`, keys unique text."""
        if not isinstance(node, MappingNode):
            raise self.error(node, f"{what} is {describe(node)}", f"write {what} as a mapping")
        entries: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag != STR_TAG:
                raise self.error(
                    key_node, f"a key in {what} is {describe(key_node)}", "write keys as text"
                )
            key = str(key_node.value)
            if key in entries:
                first = entries[key][0].start_mark.line + 1
                raise self.error(
                    key_node,
                    f"key {key!r} is given twice in {what} (first on line {first})",
                    "keep one of them",
                )
            entries[key] = (key_node, value_node)
        return entries

    def keys(
        self,
        node: Node,
        entries: dict[str, tuple[Node, Node]],
        what: str,
        allowed: tuple[str, ...],
        required: tuple[str, ...] = (),
    ) -> None:
        """Unknown keys and missing required keys are errors naming the allowed ones."""
        for key, (key_node, _) in entries.items():
            if key not in allowed:
                raise self.error(
                    key_node,
                    f"unknown key {key!r} in {what}{suggest(key, allowed)}",
                    f"use only {one_of(allowed)}",
                )
        for key in required:
            if key not in entries:
                raise self.error(
                    node, f"{what} has no {key!r}", f"add `{key}:` (it needs {one_of(required)})"
                )

    def sequence(self, node: Node, what: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            raise self.error(node, f"{what} is {describe(node)}", f"write {what} as a list")
        return list(node.value)

    def text(self, node: Node, what: str) -> str:
        if not isinstance(node, ScalarNode) or node.tag != STR_TAG:
            raise self.error(node, f"{what} is {describe(node)}", f"write {what} as text")
        return str(node.value)

    def boolean(self, node: Node, what: str) -> bool:
        if not isinstance(node, ScalarNode) or node.tag != BOOL_TAG:
            raise self.error(node, f"{what} is {describe(node)}", f"write {what}: true or false")
        return bool(_CONSTRUCTOR.construct_yaml_bool(node))

    def integer(self, node: Node, what: str) -> int:
        if not isinstance(node, ScalarNode) or node.tag != INT_TAG:
            raise self.error(node, f"{what} is {describe(node)}", f"write {what} as an integer")
        return int(_CONSTRUCTOR.construct_yaml_int(node))
