"""README and --help stay true to the code: every format, command and option is documented."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from auditor.cli import cli
from auditor.manifests.read import FORMATS
from auditor.photo_table import PHOTO_COLUMNS

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands(readme: str) -> None:
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.DOTALL)
    assert blocks[0].strip() == "pip install . && flickr-audit audit"
    assert blocks[1].strip() == "pip install -e '.[test]' && pytest"
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install --quiet -e '.[test]'" in ci and "\npytest\n" in ci


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_is_in_the_readme(readme: str, fmt: str) -> None:
    assert f"`{fmt}`" in readme


@pytest.mark.parametrize("column", PHOTO_COLUMNS)
def test_every_photo_table_column_is_in_the_readme(readme: str, column: str) -> None:
    assert f"`{column}`" in readme


def test_every_command_and_option_is_in_the_readme(readme: str) -> None:
    assert isinstance(cli, click.Group)
    for name, command in cli.commands.items():
        assert f"flickr-audit {name}" in readme or name == "formats"
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                long_flags = [flag for flag in param.opts if flag.startswith("--")]
                assert any(flag in readme for flag in long_flags), (name, param.opts)
