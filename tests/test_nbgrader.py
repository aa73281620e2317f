"""nbgrader itself, on the real course: its release equals `make student`, and its autograde of a blank and of a
solved submission gives the same marks as `make grade`.

nbgrader is a test requirement, so under CI these tests always run. They are slow (autograde executes the whole
notebook, twice): `make test` runs them beside the other tests (marker `nbgrader`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course import cells, editions, grading
from course.notebooks import KERNEL_ENV, committed, read_source, sources

pytestmark = [pytest.mark.nbgrader, pytest.mark.timeout(1200)]
GRADED = "02_word2vec_vs_bert"  # the quickest notebook to execute, with five exercises


def _nbgrader(folder: Path, *args: str) -> None:
    env = {**os.environ, **KERNEL_ENV,
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """An nbgrader course folder written by `make nbgrader`, with every assignment generated."""
    folder = tmp_path_factory.mktemp("nbgrader")
    editions.write_nbgrader_course(folder)
    for source in sources():
        _nbgrader(folder, "generate_assignment", source.stem, "--force")
    return folder


@pytest.mark.parametrize("notebook", committed(), ids=lambda p: p.stem)
def test_generate_assignment_releases_what_make_student_writes(course, notebook):
    released = nbformat.read(course / "release" / notebook.stem / notebook.name, as_version=4)
    ours = editions.student_edition(nbformat.read(notebook, as_version=4))
    assert [c.source for c in released.cells] == [c.source for c in ours.cells]
    for theirs, mine in zip(released.cells, ours.cells):
        assert cells.grader(theirs).get("grade_id") == cells.grader(mine).get("grade_id")
        for key in ("editable", "deletable"):
            assert theirs.metadata.get(key, True) == mine.metadata.get(key, True)


def _solved(release: nbformat.NotebookNode, teacher: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The release with every answer cell replaced by the teacher's worked solution."""
    solutions = {cells.grader(c)["grade_id"]: cells.worked_solution(c.source) for c in teacher.cells
                 if cells.is_answer(c)}
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        if cells.is_answer(cell):
            cell.source = solutions[cells.grader(cell)["grade_id"]]
    return nb


def test_autograde_gives_the_marks_make_grade_gives(course, tmp_path):
    release = nbformat.read(course / "release" / GRADED / f"{GRADED}.ipynb", as_version=4)
    teacher = read_source(next(s for s in sources() if s.stem == GRADED))
    ours = tmp_path / "ours"
    for student, nb in {"blank": release, "solved": _solved(release, teacher)}.items():
        target = course / "submitted" / student / GRADED / f"{GRADED}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        (ours / student).mkdir(parents=True)
        shutil.copy(target, ours / student / f"{GRADED}.ipynb")
    _nbgrader(course, "autograde", GRADED, "--force")

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        theirs = {(student, grade.name): grade.score
                  for student in ("blank", "solved")
                  for grade in gradebook.find_submission_notebook(GRADED, GRADED, student).grades
                  if grade.cell_type == "code"}
    rows = grading.grade(ours, {GRADED: committed([GRADED[:2]])[0]})
    mine = {(r.student, r.exercise): r for r in rows}
    exercises = [e.grade_id for e in cells.exercises(release)]
    assert sorted(theirs) == sorted(mine) == sorted((s, e) for s in ("blank", "solved") for e in exercises)
    for key, row in mine.items():
        assert theirs[key] == row.points, f"{key}: nbgrader gives {theirs[key]}, make grade {row.points} ({row.detail})"
    assert {r.status for r in rows if r.student == "blank"} == {"not answered"}
    assert {r.status for r in rows if r.student == "solved"} == {"pass"}
