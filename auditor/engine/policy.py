"""Intended-use policies: what a use is (its facts) and which rules apply, at which severity.

A policy is a YAML file (`rules/policies/<id>.yaml` for the shipped ones, or a user's own file)
with `id`, `description`, `use` (four facts: commercial, adapts, redistributes,
redistributes_adaptations), `rules` and, optionally, `extends` (a shipped policy name or a path
relative to the file), `severities` (rule id → severity, overriding inherited ones),
`licence_basis` (which licence a photo is judged by: `current`, `collection` or
`most-permissive`) and `opt_out_tags` (the tags by which owners opt out). A child's rule with a
parent's id replaces it in place; new rules are appended; the other keys are inherited unless the
child gives them. The shipped policies all
extend `rules/policies/_base.yaml`, which defines the 13 stable rules once; files whose name
starts with `_` are building blocks, not policies.

Loading validates everything and raises `PolicyError` (an `AuditorError`) with one line,
`file:line:col: problem; what to write instead`. `docs/rules.md` documents the format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

import pandas as pd
from yaml.nodes import Node, ScalarNode

from auditor.engine.basis import DEFAULT_LICENCE_BASIS, LICENCE_BASES
from auditor.engine.columns import OPT_OUT_COLUMNS, STATUS_COLUMNS
from auditor.engine.predicates import USE_FACTS, Predicate, parse_predicate
from auditor.engine.tags import DEFAULT_OPT_OUT_TAGS, parse_tags
from auditor.engine.template import TemplateError, parse_template
from auditor.engine.yamlnodes import BOOL_TAG, STR_TAG, Source, describe, one_of, suggest
from auditor.errors import AuditorError
from auditor.resources import rules_dir

SEVERITIES: tuple[str, ...] = ("error", "warning", "note")
# What a policy may give a rule: a severity, or "off" to disable it.
RULE_SEVERITIES: tuple[str, ...] = (*SEVERITIES, "off")

# The stable rule ids, in the order findings list them. Users' CI and the reports depend on them.
RULE_IDS: tuple[str, ...] = (
    "non-commercial",
    "no-derivatives",
    "all-rights-reserved",
    "share-alike",
    "attribution",
    "unknown-licence",
    "no-photo-id",
    "duplicate",
    "not-public",
    "licence-changed",
    "licence-mismatch",
    "unverified",
    "opt-out",
)

POLICY_KEYS: tuple[str, ...] = (
    "id",
    "description",
    "extends",
    "use",
    "rules",
    "severities",
    "licence_basis",
    "opt_out_tags",
)
RULE_KEYS: tuple[str, ...] = (
    "id",
    "severity",
    "summary",
    "when",
    "message",
    "requires_live",
    "doc",
    "reference",
)
RULE_REQUIRED: tuple[str, ...] = ("id", "severity", "summary", "when", "message")

_ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class UseFacts:
    """What an intended use does with the images; rules read these through `use:`."""

    commercial: bool  # use primarily for commercial advantage (NC matters)
    adapts: bool  # crops, aligns, augments or otherwise adapts the images (ND matters)
    redistributes: bool  # ships copies of the images (BY credits must ship)
    redistributes_adaptations: bool  # ships adapted images (SA matters)

    def as_dict(self) -> dict[str, bool]:
        return {name: bool(getattr(self, name)) for name in USE_FACTS}


@dataclass(frozen=True)
class Rule:
    """One rule of a policy: when it fires, how severe it is, and what it says."""

    id: str  # stable id, e.g. "non-commercial"
    severity: str  # error | warning | note | off
    summary: str  # one line, for listings and SARIF
    when: Predicate  # the compiled condition
    message: str  # template with {column} fields and {policy}
    requires_live: bool  # evaluated only when the live status was fetched
    doc: str  # its documentation page, relative to rules/ (e.g. "docs/non-commercial.md")
    reference: str  # a reference URL

    def checked(self, *, live: bool, opt_outs: bool) -> bool:
        """Whether an audit can find anything with this rule: a live audit any rule; an offline
        one the rules that are not live-only and read a column it fills (the live status
        columns are empty offline, and the opt-out lists' column is empty without --opt-outs)."""
        if live:
            return True
        if self.requires_live:
            return False
        empty = set(STATUS_COLUMNS) | (set() if opt_outs else set(OPT_OUT_COLUMNS))
        read = self.when.columns()
        return not read or not read <= empty


@dataclass(frozen=True)
class Policy:
    """An intended use and the rules that judge photos against it."""

    id: str
    description: str
    use: UseFacts
    rules: tuple[Rule, ...]
    source: str  # the file it came from
    licence_basis: str = DEFAULT_LICENCE_BASIS  # one of basis.LICENCE_BASES
    opt_out_tags: tuple[str, ...] = DEFAULT_OPT_OUT_TAGS  # as written in the policy

    @property
    def needs_licence_at_collection(self) -> bool:
        """Whether the effective licence reads `licence_at_collection`, so a live audit must
        fetch the licence history of every photo with a collection date."""
        return self.licence_basis != "current"

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id; KeyError if the policy has none."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


# -- loading -------------------------------------------------------------------------------------


def policies_dir() -> Path:
    """The folder of shipped policies (`rules/policies`)."""
    return rules_dir() / "policies"


def shipped_policy_paths() -> dict[str, Path]:
    """Shipped policy name → file, sorted by name; `_`-prefixed files are not policies."""
    paths = sorted(policies_dir().glob("*.yaml"))
    return {path.stem: path for path in paths if not path.name.startswith("_")}


@dataclass
class _Spec:
    """A policy file merged with its parents, before the final completeness checks."""

    src: Source
    top: Node
    id: str
    description: str
    use: dict[str, bool] = field(default_factory=dict)
    use_node: Node | None = None
    rules: dict[str, Rule] = field(default_factory=dict)
    licence_basis: str = DEFAULT_LICENCE_BASIS
    opt_out_tags: tuple[str, ...] = DEFAULT_OPT_OUT_TAGS


def _one_line(src: Source, node: Node, what: str) -> str:
    text = src.text(node, what).strip()
    if not text or "\n" in text:
        raise src.error(node, f"{what} must be one non-empty line", f"write {what} on one line")
    return text


def _identifier(src: Source, node: Node, what: str) -> str:
    text = src.text(node, what)
    if not _ID_RE.fullmatch(text):
        raise src.error(
            node,
            f"{what} {text!r} is not lower-case words joined by '-'",
            "write it like 'my-rule' (letters, digits and '-')",
        )
    return text


def _severity(src: Source, node: Node, what: str) -> str:
    # YAML 1.1 reads a bare `off` as the boolean false; here it can only mean the severity.
    if isinstance(node, ScalarNode) and node.tag == BOOL_TAG and node.value.lower() == "off":
        return "off"
    if not isinstance(node, ScalarNode) or node.tag != STR_TAG:
        raise src.error(
            node, f"{what} is {describe(node)}", f"use one of {one_of(RULE_SEVERITIES)}"
        )
    value = str(node.value)
    if value not in RULE_SEVERITIES:
        raise src.error(
            node,
            f"bad severity {value!r}{suggest(value, RULE_SEVERITIES)}",
            f"use one of {one_of(RULE_SEVERITIES)}",
        )
    return value


def _licence_basis(src: Source, node: Node) -> str:
    value = src.text(node, "`licence_basis`")
    if value not in LICENCE_BASES:
        raise src.error(
            node,
            f"unknown licence basis {value!r}{suggest(value, LICENCE_BASES)}",
            f"use one of {one_of(LICENCE_BASES)}",
        )
    return value


def _parse_rule(src: Source, node: Node) -> tuple[Rule, Node]:
    entries = src.mapping(node, "a rule")
    src.keys(node, entries, "a rule", allowed=RULE_KEYS, required=RULE_REQUIRED)
    values: dict[str, object] = {"requires_live": False, "doc": "", "reference": ""}
    # In the file's order, so the first error reported is the first one in the file.
    for key, (_, value) in entries.items():
        if key == "id":
            values[key] = _identifier(src, value, "rule id")
        elif key == "severity":
            values[key] = _severity(src, value, "`severity`")
        elif key == "summary":
            values[key] = _one_line(src, value, "`summary`")
        elif key == "when":
            values[key] = parse_predicate(src, value)
        elif key == "message":
            message = src.text(value, "`message`")
            try:
                parse_template(message)
            except TemplateError as error:
                raise src.error(value, error.problem, error.fix) from error
            values[key] = message
        elif key == "requires_live":
            values[key] = src.boolean(value, "`requires_live`")
        else:  # doc, reference
            values[key] = src.text(value, f"`{key}`")
    rule = Rule(
        id=str(values["id"]),
        severity=str(values["severity"]),
        summary=str(values["summary"]),
        when=cast(Predicate, values["when"]),
        message=str(values["message"]),
        requires_live=bool(values["requires_live"]),
        doc=str(values["doc"]),
        reference=str(values["reference"]),
    )
    return rule, entries["id"][1]


def _resolve_extends(src: Source, node: Node) -> Path:
    value = src.text(node, "`extends`")
    shipped = shipped_policy_paths()
    if value in shipped:
        return shipped[value]
    if value.endswith((".yaml", ".yml")) or "/" in value:
        path = src.path.parent / value
        if not path.is_file():
            raise src.error(
                node,
                f"`extends` names {value!r}, but there is no file {path}",
                "write a path relative to this file, or a shipped policy name",
            )
        return path
    raise src.error(
        node,
        f"`extends` names {value!r}, which is no shipped policy{suggest(value, shipped)}",
        f"use one of {one_of(shipped)}, or a path ending in .yaml relative to this file",
    )


def _load_spec(path: Path, chain: tuple[Path, ...]) -> _Spec:
    src = Source(path)
    top = src.compose()
    entries = src.mapping(top, "the policy")
    src.keys(top, entries, "the policy", allowed=POLICY_KEYS, required=("id", "description"))
    spec = _Spec(
        src=src,
        top=top,
        id=_identifier(src, entries["id"][1], "policy id"),
        description=_one_line(src, entries["description"][1], "`description`"),
    )

    if "extends" in entries:
        extends_node = entries["extends"][1]
        parent_path = _resolve_extends(src, extends_node)
        here = path.resolve()
        resolved = parent_path.resolve()
        if resolved in (*chain, here):
            loop = " → ".join(p.name for p in (*chain, here, resolved))
            raise src.error(
                extends_node, f"`extends` makes a loop ({loop})", "remove one of the `extends`"
            )
        parent = _load_spec(parent_path, (*chain, here))
        spec.use = dict(parent.use)
        spec.rules = dict(parent.rules)
        spec.licence_basis = parent.licence_basis
        spec.opt_out_tags = parent.opt_out_tags
    elif "rules" not in entries:
        raise src.error(
            top, "the policy has no `rules` and no `extends`", "add rules, or extend a policy"
        )

    if "licence_basis" in entries:
        spec.licence_basis = _licence_basis(src, entries["licence_basis"][1])
    if "opt_out_tags" in entries:
        # An empty list is allowed: the policy then knows no opt-out tag.
        spec.opt_out_tags = parse_tags(
            src, entries["opt_out_tags"][1], "`opt_out_tags`", allow_empty=True
        )

    if "use" in entries:
        use_node = entries["use"][1]
        use_entries = src.mapping(use_node, "`use`")
        src.keys(use_node, use_entries, "`use`", allowed=USE_FACTS)
        for fact, (_, value_node) in use_entries.items():
            spec.use[fact] = src.boolean(value_node, f"`use.{fact}`")
        spec.use_node = use_node

    if "rules" in entries:
        defined_here: dict[str, Node] = {}
        for rule_node in src.sequence(entries["rules"][1], "`rules`"):
            rule, id_node = _parse_rule(src, rule_node)
            if rule.id in defined_here:
                first = defined_here[rule.id].start_mark.line + 1
                raise src.error(
                    id_node,
                    f"rule id {rule.id!r} is used twice in this file (first on line {first})",
                    "give each rule its own id, or keep one definition",
                )
            defined_here[rule.id] = id_node
            spec.rules[rule.id] = rule  # replaces a parent's rule in place, or appends

    if "severities" in entries:
        severities = src.mapping(entries["severities"][1], "`severities`")
        for rule_id, (key_node, value_node) in severities.items():
            if rule_id not in spec.rules:
                raise src.error(
                    key_node,
                    f"`severities` names rule {rule_id!r}, which this policy does not have"
                    f"{suggest(rule_id, spec.rules)}",
                    f"use one of {one_of(spec.rules)}",
                )
            spec.rules[rule_id] = replace(
                spec.rules[rule_id], severity=_severity(src, value_node, f"severity of {rule_id}")
            )
    return spec


def _load_file(path: Path) -> Policy:
    spec = _load_spec(path, ())
    missing = [fact for fact in USE_FACTS if fact not in spec.use]
    if missing:
        example = ", ".join(f"{fact}: false" for fact in USE_FACTS)
        where = spec.use_node if spec.use_node is not None else spec.top
        what = "`use` lacks " + one_of(missing) if spec.use_node else "missing `use`"
        raise spec.src.error(
            where, what, f"state every use fact, e.g. use: {{{example}}}, or extend a policy"
        )
    use = UseFacts(**{fact: spec.use[fact] for fact in USE_FACTS})
    return Policy(
        id=spec.id,
        description=spec.description,
        use=use,
        rules=tuple(spec.rules.values()),
        source=str(path),
        licence_basis=spec.licence_basis,
        opt_out_tags=spec.opt_out_tags,
    )


def load_policy(name_or_path: str | Path) -> Policy:
    """A shipped policy by name (`commercial-training`), or a policy file by path.

    Raises `AuditorError` when it is neither, listing the shipped names, and `PolicyError`
    (`file:line:col: problem; fix`) when the file is not a valid policy.
    """
    shipped = shipped_policy_paths()
    text = str(name_or_path)
    if isinstance(name_or_path, str) and text in shipped:
        return _load_file(shipped[text])
    path = Path(name_or_path)
    # Not only regular files: a FIFO or /dev/fd/N is read too (within the size limit).
    if not path.exists() or path.is_dir():
        raise AuditorError(
            f"{text}: no shipped policy by that name and no such file; use one of "
            f"{one_of(shipped)}, or the path of a policy YAML file"
        )
    return _load_file(path)


def shipped_policies() -> list[Policy]:
    """Every shipped policy (`rules/policies/*.yaml`), sorted by id."""
    return sorted((_load_file(path) for path in shipped_policy_paths().values()), key=_id)


def _id(policy: Policy) -> str:
    return policy.id


def policies_table(policies: list[Policy] | None = None) -> pd.DataFrame:
    """One row per policy (default: the shipped ones): id, description, its use facts, counts of
    active rules by severity, and its file. What `flickr-audit policies` lists."""
    rows = []
    for policy in shipped_policies() if policies is None else policies:
        severities = [rule.severity for rule in policy.rules]
        rows.append(
            {
                "id": policy.id,
                "description": policy.description,
                **policy.use.as_dict(),
                **{severity: severities.count(severity) for severity in SEVERITIES},
                "source": policy.source,
            }
        )
    columns = ["id", "description", *USE_FACTS, *SEVERITIES, "source"]
    return pd.DataFrame(rows, columns=columns)


def rules_table(policy: Policy) -> pd.DataFrame:
    """One row per rule of a policy: id, severity, requires_live, summary, doc, reference."""
    names = ["id", "severity", "requires_live", "summary", "doc", "reference"]
    rows = [[getattr(rule, name) for name in names] for rule in policy.rules]
    return pd.DataFrame(rows, columns=names)
