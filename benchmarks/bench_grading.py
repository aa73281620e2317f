"""Benchmark for `make grade`: a class of submissions graded by tools/course/grading.py against a full re-execution.

Usage:  python benchmarks/bench_grading.py [--notebook 05] [--class-size 40] [--time-limit 60] [--quick]

It plants six kinds of submission of one notebook, made from its committed learner edition and its worked
solutions: blank (the student edition as handed out), solved, half (every other exercise solved), raising (every
answer raises), broken (every function answer returns 0) and endless (the first answer never returns, so the time
limit stops it). It then
  1. grades the six with `grading.grade` and with `grading.grade_full` (the whole notebook executed again per
     submission, as an autograder does) and prints both verdicts per exercise: they must be equal;
  2. grades a class of `class-size` submissions (the six kinds in turn) with `grading.grade` and prints the time:
     once for the notebook's cells before the exercises, then per submission, and the ratio to a full re-execution.
--quick uses the classroom tests' fixture notebook (tests/fixtures/classroom) and a class of 6: it checks that the
benchmark runs. Not a test: run it on a quiet machine and compare ratios.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import nbformat  # noqa: E402

from course import cells, editions, grading  # noqa: E402
from course.notebooks import committed, read_source  # noqa: E402

KINDS = ("blank", "solved", "half", "raising", "broken", "endless")


def planted(learner: nbformat.NotebookNode, kind: str) -> nbformat.NotebookNode:
    """One submission of the given kind, from the learner edition and its worked solutions."""
    nb = editions.student_edition(learner)
    solutions = {e.grade_id: code for e, code in cells.worked_solutions(learner)}
    exercises = cells.exercises(nb)
    for number, exercise in enumerate(exercises):
        answer = nb.cells[exercise.answers[-1]]
        stub_body = re.search(r"^(\s*)# YOUR CODE HERE", answer.source, re.MULTILINE)
        indent = stub_body.group(1) if stub_body else ""
        if kind == "solved" or (kind == "half" and number % 2 == 0):
            answer.source = solutions[exercise.grade_id]
        elif kind == "raising":
            answer.source = answer.source.replace("# YOUR CODE HERE", 'raise RuntimeError("planted")')
        elif kind == "broken":
            answer.source = answer.source.replace("# YOUR CODE HERE", "return 0" if indent else "pass")
        elif kind == "endless" and number == 0:
            answer.source = answer.source.replace("# YOUR CODE HERE", "while True:\n" + indent + "    pass")
    return nb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", default="05", help="name prefix of the notebook (default 05)")
    parser.add_argument("--class-size", type=int, default=40)
    parser.add_argument("--time-limit", type=float, default=60, help="seconds per submission (default 60)")
    parser.add_argument("--quick", action="store_true", help="the fixture notebook, a class of 6")
    args = parser.parse_args()
    if args.quick:
        learner = editions.learner_edition(read_source(ROOT / "tests/fixtures/classroom/src/99_fixture.py"))
        name, size, limit, endless_limit = "99_fixture", len(KINDS), 5.0, 10.0
    else:
        path = committed([args.notebook])[0]
        learner, name, size, limit = nbformat.read(path, as_version=4), path.stem, args.class_size, args.time_limit
        endless_limit = 120.0
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        reference = work / f"{name}.ipynb"
        nbformat.write(learner, reference)
        (work / "six").mkdir()
        for kind in KINDS:
            nbformat.write(planted(learner, kind), work / "six" / f"{kind}.ipynb")
        fast = {(r.student, r.exercise): r.status
                for r in grading.grade(work / "six", {name: reference}, limit, log=open("/dev/null", "w"))}
        print(f"{name}: verdicts of the six planted submissions, fast (make grade) vs full re-execution")
        equal, full_seconds = True, []
        for kind in KINDS:
            started = time.perf_counter()
            limit_full = 600 if kind != "endless" else endless_limit
            full = grading.grade_full(learner, planted(learner, kind), time_limit=limit_full)
            full_seconds.append(time.perf_counter() - started)
            for exercise in cells.exercises(learner):
                mine = fast[kind, exercise.grade_id]
                theirs = full.get(exercise.grade_id, {}).get("status", "timeout")
                equal &= mine == theirs
                mark = "" if mine == theirs else "≠"
                print(f"  {kind:8} {exercise.grade_id:8} fast {mine:13} full {theirs:13} {mark}")
        print(f"verdicts equal: {equal}")
        (work / "class").mkdir()
        for number in range(size):
            nbformat.write(planted(learner, KINDS[number % len(KINDS)]), work / "class" / f"s{number:02d}.ipynb")
        started = time.perf_counter()
        grading.grade(work / "class", {name: reference}, limit, log=open("/dev/null", "w"))
        fast_total = time.perf_counter() - started
    full_mean = sum(full_seconds[:-1]) / (len(full_seconds) - 1)  # the endless one only measures the time limit
    print(f"class of {size}: make grade {fast_total:.0f} s in all ({fast_total / size:.1f} s per submission, "
          f"including the notebook's cells before the exercises, run once)")
    print(f"full re-execution: {full_mean:.0f} s per submission, about {full_mean * size / 60:.0f} min for the class "
          f"(ratio {full_mean * size / fast_total:.1f}x)")
    if not equal:
        sys.exit("the fast verdicts differ from a full re-execution")


if __name__ == "__main__":
    main()
