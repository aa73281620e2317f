"""Build notebooks from their jupytext sources in notebooks/src and execute them top to bottom.

Usage:  python notebooks/build.py            # every notebook
        python notebooks/build.py 03 04      # only those whose name starts with 03 or 04
The .py sources are the diffable truth; the .ipynb files are committed with their outputs. Each is the learner
edition of its source (tools/course/editions.py): answer cells stubbed, worked solutions folded after their
checks. After the notebook, every worked solution runs against its check in the same kernel; a failing check,
a failed claim or any error stops the build and leaves the committed notebook as it was.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import nbformat  # noqa: E402

from course.editions import learner_edition  # noqa: E402
from course.notebooks import NOTEBOOKS, execute, read_source, sources, tidy_outputs  # noqa: E402


def build(source: Path) -> Path:
    """Convert one source to its learner edition, execute it in notebooks/, and write it with its outputs."""
    nb = learner_edition(read_source(source), source.name)
    started = time.perf_counter()
    times = execute(nb)
    tidy_outputs(nb)
    target = NOTEBOOKS / f"{source.stem}.ipynb"
    tmp = target.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(target)
    stages = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in times.items())
    print(f"{target.name}: executed in {time.perf_counter() - started:.0f} s ({stages})", flush=True)
    return target


def main(prefixes: list[str]) -> None:
    for source in sources(prefixes):
        build(source)


if __name__ == "__main__":
    main(sys.argv[1:])
