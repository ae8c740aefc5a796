"""The notebooks in notebooks/ run from top to bottom on the shipped example data, offline.

Each notebook is executed once per module in a Jupyter kernel (ipykernel, from this Python), with
its working folder and temporary folder in pytest's tmp_path. The kernel talks to this process
over ZMQ on 127.0.0.1 (libzmq sockets, which pytest-socket's `--allow-hosts` permits anyway).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = ("researchers", "photographers")
CELL_TIMEOUT = 300  # seconds; a cold kernel start and the first matplotlib import take a while


@pytest.fixture(scope="module")
def jupyter_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Keep Jupyter's files (connection file, IPython profile) out of the home folder, and use
    the platformdirs paths (without JUPYTER_PLATFORM_DIRS jupyter_core warns about them)."""
    home = tmp_path_factory.mktemp("jupyter")
    env = {
        "JUPYTER_PLATFORM_DIRS": "1",
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "IPYTHONDIR": str(home / "ipython"),
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(home / "matplotlib"),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        yield env


def run_notebook(name: str, workdir: Path) -> nbformat.NotebookNode:
    """Execute notebooks/NAME.ipynb with `workdir` as its working and temporary folder."""
    from nbclient import NotebookClient  # imported once JUPYTER_PLATFORM_DIRS is set

    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        startup_timeout=120,
        kernel_name="python3",  # jupyter_client runs it with sys.executable: this venv's ipykernel
        resources={"metadata": {"path": str(workdir)}},
    )
    # The kernel's environment: everything the notebook writes lands in workdir.
    client.execute(env={**os.environ, "TMPDIR": str(workdir)})
    return notebook


@pytest.fixture(scope="module")
def executed(
    jupyter_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[nbformat.NotebookNode, Path]]:
    runs = {}
    for name in NAMES:
        workdir = tmp_path_factory.mktemp(name)
        runs[name] = (run_notebook(name, workdir), workdir)
    return runs


def outputs(notebook: nbformat.NotebookNode) -> list[dict[str, Any]]:
    return [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]


def text_of(notebook: nbformat.NotebookNode) -> str:
    """Everything the notebook printed or returned as plain text."""
    parts = []
    for out in outputs(notebook):
        if out["output_type"] == "stream":
            parts.append(out["text"])
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
    return "\n".join(parts)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_stored_clean_and_valid(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "a notebook without code"
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    markdown = [cell for cell in notebook.cells if cell.cell_type == "markdown"]
    assert len(markdown) >= len(code) / 2, "explain the steps in markdown cells"
    for cell in code:
        # The library, not the CLI: no shell escapes or subprocesses.
        assert not any(line.lstrip().startswith("!") for line in cell.source.splitlines())
        assert "subprocess" not in cell.source and "%%bash" not in cell.source


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_without_errors(
    executed: dict[str, tuple[nbformat.NotebookNode, Path]], name: str
) -> None:
    notebook, _ = executed[name]
    assert not [out for out in outputs(notebook) if out["output_type"] == "error"]
    # nbclient stops at the first failing cell; every code cell ran.
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    assert "Traceback" not in text_of(notebook)


def test_researchers_notebook_audits_and_plots(
    executed: dict[str, tuple[nbformat.NotebookNode, Path]],
) -> None:
    notebook, workdir = executed["researchers"]
    figures = [out for out in outputs(notebook) if "image/png" in out.get("data", {})]
    assert figures, "the plot cell produced no figure"
    text = text_of(notebook)
    assert "distinct photo(s)" in text  # the photo table summary
    assert "'waived': 1" in text  # the example waiver applied
    (reports,) = workdir.glob("flickr-audit-researchers-*/reports")
    for name in ("audit.json", "findings.csv", "owners.csv", "summary.md"):
        assert (reports / name).stat().st_size > 0
    assert next(workdir.glob("flickr-audit-researchers-*/audit.png")).stat().st_size > 0
    # The release: the cleaned manifest, what was removed, and the credits.
    (release,) = workdir.glob("flickr-audit-researchers-*/release")
    cleaned = (release / "example-manifest.csv").read_text("utf-8").splitlines()
    assert cleaned[0].startswith("photo_url,") and 1 < len(cleaned) < 23  # the example: 22 rows
    assert "48311506821" not in "\n".join(cleaned)  # CC BY-NC-ND: no adapted copies
    assert "48311506821" in (release / "removals.csv").read_text("utf-8")
    credits = (release / "CREDITS.md").read_text("utf-8")
    assert "https://www.flickr.com/photos/24681357@N02/48309877113/" in credits  # CC BY


def test_photographers_notebook_drafts_the_removal_request(
    executed: dict[str, tuple[nbformat.NotebookNode, Path]],
) -> None:
    notebook, workdir = executed["photographers"]
    text = text_of(notebook)
    assert "Request to remove my photos from your dataset" in text
    # A photo from the example manifest and one only in the second (FFHQ-style) manifest.
    assert "https://www.flickr.com/photos/24681357@N02/48311502246/" in text
    assert "https://www.flickr.com/photos/24681357@N02/48311510007/" in text
    assert "faces-dataset.json" in text
    (letter,) = workdir.glob("flickr-audit-photographers-*/owner-report/removal-request.txt")
    assert "https://www.flickr.com/photos/24681357@N02/48311510007/" in letter.read_text("utf-8")
