"""notebooks/build.py: the committed notebooks are their sources, executed and tidied the same way every time."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py"))


@pytest.fixture(scope="module")
def build():
    spec = importlib.util.spec_from_file_location("build", ROOT / "notebooks" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells(nb) -> list[tuple]:
    return [(c.id, c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_committed_notebook_is_its_source_with_the_setup_cell(build, source):
    committed = nbformat.read(ROOT / "notebooks" / f"{source.stem}.ipynb", as_version=4)
    built = build.read_source(source)
    assert _cells(committed) == _cells(built), f"{source.stem}.ipynb is stale: run `python notebooks/build.py " \
                                               f"{source.stem[:2]}`"
    assert built.cells[next(i for i, c in enumerate(built.cells) if c.cell_type == "code")].source \
        == build.SETUP_CELL


def _notebook(*sources: str) -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_markdown_cell(s) if s.startswith("#") else nbformat.v4.new_code_cell(s) for s in sources]
    return nbformat.v4.new_notebook(cells=cells)


def test_cell_ids_depend_only_on_the_cells(build):
    nb, again = _notebook("# Title", "x = 1", "x = 1"), _notebook("y = 2", "# Title", "x = 1", "x = 1")
    build.stable_ids(nb)
    build.stable_ids(again)
    ids = [c.id for c in nb.cells]
    assert len(set(ids)) == 3 and ids[2] == f"{ids[1]}-2"
    assert [c.id for c in again.cells[1:]] == ids  # a cell inserted before them leaves their ids alone
    nbformat.validate(nb)


def test_tidy_outputs_keeps_a_progress_bars_final_state_and_names_the_control_panel(build):
    cell = nbformat.v4.new_code_cell("train()")
    cell.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00Z"}
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="epoch 1:  50%|#    | 1/2\r"),
        nbformat.v4.new_output("stream", name="stderr", text="epoch 1: 100%|#####| 2/2\n\n"),
        nbformat.v4.new_output("stream", name="stdout", text="done\n"),
        nbformat.v4.new_output("display_data", data={build.WIDGET_VIEW: {"model_id": "abc"},
                                                     "text/plain": "VBox(children=(...))"}),
    ]
    nb = nbformat.v4.new_notebook(cells=[cell], metadata={"widgets": {"state": {}}})
    build.tidy_outputs(nb)
    assert "widgets" not in nb.metadata and "execution" not in cell.metadata
    stderr, stdout, panel = cell.outputs
    assert stderr.text == "epoch 1: 100%|#####| 2/2\n" and stdout.text == "done\n"
    assert panel.data["text/plain"] == build.WIDGET_TEXT


def test_finished_text_keeps_what_a_terminal_shows(build):
    assert build.finished_text("a\rab\rabc\nx\ry") == "abc\ny"


def test_unknown_notebook_prefix_is_refused_with_the_choices(build):
    with pytest.raises(SystemExit, match="no notebook source matches.*01_word_embeddings.py"):
        build.main(["99"])
