"""Benchmark for sizing a classroom hub: the peak memory of each notebook's kernel, and of the grader.

Usage:  python benchmarks/bench_memory.py [01 02 ...] [--grade 05] [--quick]

1. Each chosen notebook is executed top to bottom in a fresh python3 kernel, as a student runs it; the kernel's
   peak resident memory (VmHWM in /proc, Linux only) is read when the last cell has run, and the peak of its
   largest child process (notebook 05 trains in worker processes, one per CPU core the kernel may use, at most 4).
2. With --grade NN, `make grade` of three submissions of that notebook (blank, solved, half): the grader's worker
   after the notebook's cells before the exercises, and the largest forked child (one per submission).
A hub needs, per student, the largest kernel peak and its worker processes (plus the Jupyter server's own memory);
the grader needs its worker plus one child at a time (a child shares the worker's pages until it writes to them).
--quick runs the classroom tests' fixture notebook only.
Not a test: memory depends on the library versions; run it where the class will run.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import nbformat  # noqa: E402
from bench_grading import planted  # noqa: E402

from course import editions, grading  # noqa: E402
from course.notebooks import NOTEBOOKS, client, committed, kernel_env, read_source  # noqa: E402


def peak_mb(pid: int) -> float:
    """Peak resident memory of a process, in MB (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


# Run in the kernel after the notebook: the peak of its largest finished child process (Linux reports KB), such as
# the worker processes classify.tune_rnns starts.
CHILDREN_PEAK = "import resource\nprint(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"


def kernel_peak(nb: nbformat.NotebookNode) -> tuple[float, float]:
    """Execute the notebook in a fresh kernel; the kernel's peak memory and its largest child process's, in MB."""
    nb = copy.deepcopy(nb)
    nb.cells.append(nbformat.v4.new_code_cell(CHILDREN_PEAK))
    run = client(nb, NOTEBOOKS, 900)
    run.reset_execution_trackers()
    with run.setup_kernel(env=kernel_env()):
        for index, cell in enumerate(nb.cells):
            run.execute_cell(cell, index)
        kernel = peak_mb(run.km.provisioner.pid)
    return kernel, int(nb.cells[-1].outputs[0]["text"]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="name prefixes (default: all five)")
    parser.add_argument("--grade", help="also measure make grade on this notebook (a name prefix)")
    parser.add_argument("--quick", action="store_true", help="the fixture notebook only")
    args = parser.parse_args()
    if not Path("/proc/self/status").exists():
        sys.exit("this benchmark reads /proc (Linux)")
    if args.quick:
        fixture = editions.learner_edition(read_source(ROOT / "tests/fixtures/classroom/src/99_fixture.py"))
        print(f"fixture notebook: kernel peak {kernel_peak(fixture)[0]:.0f} MB")
        return
    for path in committed(args.notebooks):
        kernel, child = kernel_peak(nbformat.read(path, as_version=4))
        workers = f"; largest child process {child:.0f} MB" if child else ""
        print(f"{path.stem}: kernel peak {kernel:.0f} MB{workers}", flush=True)
    if args.grade:
        path = committed([args.grade])[0]
        learner = nbformat.read(path, as_version=4)
        with tempfile.TemporaryDirectory() as work:
            folder = Path(work)
            for kind in ("blank", "solved", "half"):
                nbformat.write(planted(learner, kind), folder / f"{kind}.ipynb")
            worker = grading.Worker(path)
            try:
                _, steps = grading.split(learner)
                worker_mb = peak_mb(worker.process.pid)
                children = []
                for submission in sorted(folder.glob("*.ipynb")):
                    steps_of = grading.submitted_steps(steps, nbformat.read(submission, as_version=4))
                    children.append(worker.grade(steps_of, 120).get("peak_mb", float("nan")))
            finally:
                worker.close()
        print(f"{path.stem} graded: worker {worker_mb:.0f} MB after the cells before the exercises; "
              f"largest submission (forked child) {max(children):.0f} MB")


if __name__ == "__main__":
    main()
