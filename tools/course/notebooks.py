"""The one place that knows the notebooks: their sources, the kernel's environment, how they are executed.

Used by the build (notebooks/build.py), the Colab-pinned run (tools/run_notebooks.py), nbval's conftest and the
classroom tools. It needs only nbformat and nbclient at import time (the Colab-pinned environment has no more);
jupytext and nbconvert are imported where a source is read or outputs are tidied.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from . import cells

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
SOURCES = NOTEBOOKS / "src"
PATTERN = "[0-9][0-9]_*"

# Every kernel that runs a notebook: a failed claim raises (helpers.claims), progress bars are plain text (the
# committed notebook keeps each bar's final state), no debugger warning about frozen modules.
KERNEL_ENV = {"COURSE_STRICT_CLAIMS": "1", "COURSE_PLAIN_PROGRESS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
# CPU kernels other than this machine's best, and one thread: claims shown to hold on another instruction set.
PORTABLE_CPU = {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
                "OMP_NUM_THREADS": "1"}
# What a static view (GitHub, nbviewer, Colab before running) shows in place of a control panel.
WIDGET_TEXT = "[Interactive control panel: run this notebook in Jupyter or Colab to use it.]"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def select(folder: Path, suffix: str, prefixes: Iterable[str] = ()) -> list[Path]:
    """The course's NN_name files in `folder`, or those whose name starts with one of `prefixes`."""
    prefixes = list(prefixes)
    found = sorted(Path(folder).glob(PATTERN + suffix))
    chosen = [p for p in found if not prefixes or p.name.startswith(tuple(prefixes))]
    if not chosen:
        raise SystemExit(f"no notebook in {folder} matches {prefixes or PATTERN + suffix}; "
                         f"found: {[p.name for p in found]}")
    return chosen


def sources(prefixes: Iterable[str] = (), folder: Path = SOURCES) -> list[Path]:
    """The jupytext sources NN_name.py."""
    return select(folder, ".py", prefixes)


def committed(prefixes: Iterable[str] = (), folder: Path = NOTEBOOKS) -> list[Path]:
    """The committed, executed notebooks NN_name.ipynb."""
    return select(folder, ".ipynb", prefixes)


def kernel_env(portable: bool = False, **extra: str) -> dict[str, str]:
    """The environment of a notebook's kernel: this process's, plus KERNEL_ENV (and PORTABLE_CPU)."""
    return {**os.environ, **KERNEL_ENV, **(PORTABLE_CPU if portable else {}), **extra}


# ---------------------------------------------------------------------------------------------- reading a source

def stable_ids(nb: NotebookNode) -> None:
    """Give every cell an id derived from its type and source, so that rebuilding an unchanged notebook gives
    the same file (jupytext draws random ids); a repeated cell gets a numbered suffix."""
    seen: dict[str, int] = {}
    for cell in nb.cells:
        digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
        seen[digest] = seen.get(digest, 0) + 1
        cell.id = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def read_source(source: Path) -> NotebookNode:
    """The teacher's edition of one source, unexecuted: worked solutions in place, the set-up cell (setup_cell.py
    beside the source) before the first code cell, a python3 kernel, stable ids."""
    import jupytext

    nb = jupytext.read(source)
    setup = Path(source).parent / "setup_cell.py"
    if setup.exists():
        first_code = next((i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"), len(nb.cells))
        nb.cells.insert(first_code, nbformat.v4.new_code_cell(setup.read_text().strip()))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.pop("jupytext", None)
    for cell in nb.cells:
        cell.metadata.pop("lines_to_next_cell", None)
    stable_ids(nb)
    return nb


# ------------------------------------------------------------------------------------------------------ running

def client(nb: NotebookNode, cwd: Path = NOTEBOOKS, timeout: int = 900, **settings):
    """The course's one NotebookClient: python3 kernel, started in `cwd`, no timing metadata, and widget state kept
    while running (nbclient 0.10, Colab's, fails on an Output widget's clear_output without it)."""
    from nbclient import NotebookClient

    options = {"timeout": timeout, "kernel_name": "python3", "record_timing": False, "store_widget_state": True,
               "resources": {"metadata": {"path": str(cwd)}}, **settings}
    return NotebookClient(nb, **options)


def solution_cells(nb: NotebookNode) -> list[tuple[str, NotebookNode, NotebookNode]]:
    """(grade_id, solution cell, check cell) for every worked solution of a learner edition, to be run after the
    notebook in the same kernel: each check must pass with its worked solution."""
    return [(exercise.grade_id, nbformat.v4.new_code_cell(code),
             nbformat.v4.new_code_cell(nb.cells[exercise.check].source))
            for exercise, code in cells.worked_solutions(nb)]


def execute(nb: NotebookNode, cwd: Path = NOTEBOOKS, env: dict[str, str] | None = None, timeout: int = 900,
            solutions: bool = True) -> dict[str, float]:
    """Run every code cell in one fresh kernel (an error stops the run, except in a cell tagged raises-exception),
    then, with `solutions`, each worked solution and its check in the same kernel. Returns seconds per stage."""
    run = client(nb, cwd, timeout)
    run.reset_execution_trackers()
    times = {}
    with run.setup_kernel(env=env or kernel_env()):
        started = time.perf_counter()
        info = run.wait_for_reply(run.kc.kernel_info())
        nb.metadata["language_info"] = info["content"]["language_info"]
        for index, cell in enumerate(nb.cells):
            run.execute_cell(cell, index, execution_count=run.code_cells_executed + 1)
        run.set_widgets_metadata()
        times["notebook"] = time.perf_counter() - started
        if solutions:  # appended while they run (nbclient writes each cell back into the notebook), then removed
            started, length = time.perf_counter(), len(nb.cells)
            try:
                for _, solution, check in solution_cells(nb):
                    for cell in (solution, check):
                        nb.cells.append(cell)
                        run.execute_cell(cell, len(nb.cells) - 1, store_history=False)
            finally:
                del nb.cells[length:]
            times["worked solutions"] = time.perf_counter() - started
    return times


# ------------------------------------------------------------------------------------------------------ tidying

def tidy_outputs(nb: NotebookNode) -> None:
    """What the committed notebook keeps: each progress bar's final state (nbconvert's CoalesceStreams), no empty
    stream left by a cleared bar, a sentence where a static view would print a control panel's repr, and no
    saved widget state."""
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    CoalesceStreamsPreprocessor().preprocess(nb, {})
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cells.is_check(cell):  # an unanswered check: its message as a line, not a red error block
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output.evalue + "\n")
                            if output.output_type == "error" and output.ename == "NotAnswered" else output
                            for output in cell.outputs]
        for output in cell.outputs:
            if WIDGET_VIEW in output.get("data", {}):
                output["data"]["text/plain"] = WIDGET_TEXT
            if output.output_type == "stream" and "\r" in output.text:  # a bar redrawn in place, then cleared
                output.text = re.sub(r"[^\S\n]*\r[^\S\n]*", "", output.text)
                output.text = re.sub(r"\n{2,}", "\n", output.text).lstrip("\n")
        cell.outputs = [o for o in cell.outputs if o.output_type != "stream" or o.text.strip()]
