"""Where the data files that ship with the package are: `rules/` and `examples/`.

In an installed wheel they are copied into the package (`auditor/rules`, `auditor/examples`); in a
source checkout (including editable installs) they sit at the top of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the auditor's {name}/ folder is missing from this installation")


def rules_dir() -> Path:
    """The folder holding `licences.yaml`, the shipped policies and the rule documentation."""
    return _data_dir("rules")


def examples_dir() -> Path:
    """The folder holding the example manifests that ship with the project."""
    return _data_dir("examples")


def example_manifest() -> Path:
    """The example manifest used when a command is given no file."""
    return examples_dir() / "example-manifest.csv"
