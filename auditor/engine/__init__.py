"""The rule engine: intended-use policies in YAML, compiled to vectorised masks over photo tables.

- `policy.py` — `Policy`, `Rule`, `UseFacts`; loading and validating policy files
  (`load_policy`, `shipped_policies`), with `file:line:col` errors.
- `predicates.py` — the rule language: a closed vocabulary of predicates and their masks.
- `template.py` — message templates with `{column}` fields, rendered column-wise.
- `columns.py` — the columns rules may name.
- `basis.py` — the policy's `licence_basis` (which licence is judged) and how a licence changed
  (narrowed, widened or changed), compared by restrictions.
- `tags.py` — Flickr's normalised tag form, the default opt-out tags, tag matching.
- `evaluate.py` — `annotate` (effective licence, display names, status columns, licence change,
  opt-out tag) and `evaluate` (a policy over a photo table → the findings table).
- `yamlnodes.py` — YAML nodes with positions, and `PolicyError`.

The engine neither reads files other than policies nor touches the network: live status arrives
as columns of the photo table.
"""

from __future__ import annotations

from auditor.engine.evaluate import (
    annotate,
    empty_findings,
    evaluate,
)
from auditor.engine.policy import (
    RULE_IDS,
    SEVERITIES,
    Policy,
    Rule,
    UseFacts,
    load_policy,
    policies_table,
    rules_table,
    shipped_policies,
)
from auditor.engine.yamlnodes import PolicyError
from auditor.findings import (
    FINDING_COLUMNS,
)

__all__ = [
    "FINDING_COLUMNS",
    "RULE_IDS",
    "SEVERITIES",
    "Policy",
    "PolicyError",
    "Rule",
    "UseFacts",
    "annotate",
    "empty_findings",
    "evaluate",
    "load_policy",
    "policies_table",
    "rules_table",
    "shipped_policies",
]
