"""nbval settings for re-executing the committed notebooks, and their worked solutions.

Each notebook runs in one kernel, cell by cell, its outputs compared with the committed ones (the sanitizer in
nbval_sanitize.cfg keeps the claims' statements and drops their measured digits). After its last cell, one more
test per exercise runs the worked solution (folded in the notebook) and then its check in the same kernel: it
fails if the check does not pass.
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from pathlib import Path

import nbformat
from nbval.plugin import IPyNbCell

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from course import cells  # noqa: E402
from course.notebooks import KERNEL_ENV  # noqa: E402

# The kernels nbval starts inherit this environment, as when the notebooks were built.
os.environ.update(KERNEL_ENV)


def _solution_items(parent, after: int) -> list[IPyNbCell]:
    items = []
    for number, (exercise, code) in enumerate(cells.worked_solutions(parent.nb), start=1):
        source = f"{code}\n\n{parent.nb.cells[exercise.check].source}"
        cell = nbformat.v4.new_code_cell(source)  # not run when committed: nbval checks errors, not outputs
        options = defaultdict(bool, check=False)
        items.append(IPyNbCell.from_parent(parent, name=f"{exercise.grade_id} worked solution",
                                           cell_num=after + number, cell=cell, options=options))
    return items


def pytest_collection_modifyitems(items):
    """Wait up to 60 s (nbval's default is 5 s) for a cell's last outputs, so a busy machine is not a failure;
    after each notebook's last cell, its worked solutions."""
    last: dict = {}
    for index, item in enumerate(items):
        if isinstance(item, IPyNbCell):
            item.output_timeout = 60
            last[item.parent] = index
    for parent, index in sorted(last.items(), key=lambda pair: -pair[1]):
        items[index + 1:index + 1] = _solution_items(parent, items[index].cell_num)
