"""tools/course/cells.py: the exercise format and its validation, on the fixture notebook."""

from __future__ import annotations

import copy

import nbformat
import pytest
from support import FIXTURE

from course import cells
from course.notebooks import read_source


@pytest.fixture
def teacher():
    return read_source(FIXTURE)


def answers(nb):
    return [cell for cell in nb.cells if cells.is_answer(cell)]


def test_fixture_follows_the_exercise_format(teacher):
    assert cells.problems(teacher, FIXTURE.name) == []
    found = cells.exercises(teacher)
    assert [(e.grade_id, e.points) for e in found] == [("ex99-1", 1.0), ("ex99-2", 2.0)]
    assert [len(e.answers) for e in found] == [1, 1] and all(e.answers[0] == e.check - 1 for e in found)


def test_worked_solution_drops_the_markers_and_a_placeholder_the_solution_replaces():
    source = "answer = None  # your number\nother = None\n### BEGIN SOLUTION\nanswer = 4\n### END SOLUTION"
    assert cells.worked_solution(source) == "other = None\nanswer = 4"
    function = 'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    y = None\n    return x\n    ### END SOLUTION'
    assert cells.worked_solution(function) == 'def f(x):\n    """Doc."""\n    y = None\n    return x'


def test_folded_solution_round_trips_through_its_markdown():
    code = 'def f(x):\n    """Doc."""\n    return x ** 2'
    cell = nbformat.v4.new_markdown_cell(cells.folded(code), metadata={"tags": [cells.WORKED]})
    assert cells.is_worked_solution(cell) and cells.unfolded(cell) == code
    assert cell.source.startswith("<details>") and cell.source.endswith("</details>")


def _mutated(teacher, change):
    nb = copy.deepcopy(teacher)
    change(nb, answers(nb), [nb.cells[e.check] for e in cells.exercises(nb)])
    return cells.problems(nb, FIXTURE.name)


@pytest.mark.parametrize("change, expected", [
    (lambda nb, a, c: setattr(a[0], "source", a[0].source.replace("    ### END SOLUTION", "")), "has no"),
    (lambda nb, a, c: setattr(a[1], "source", "answer = 1\n### END SOLUTION"), "without a"),
    (lambda nb, a, c: setattr(a[1], "source", "answer = 1"), "needs its worked solution between"),
    (lambda nb, a, c: c[1].metadata.nbgrader.update(grade_id="ex99-1"), "used by cell"),
    (lambda nb, a, c: c[0].metadata.nbgrader.update(locked=False), "must be locked"),
    (lambda nb, a, c: c[0].metadata.nbgrader.update(grade_id="exercise one"), "letters, digits"),
    (lambda nb, a, c: c[0].metadata.nbgrader.update(grade_id="ex98-1"), "names notebook 98"),
    (lambda nb, a, c: c[0].metadata.nbgrader.update(grade_id="check-1"), "does not read 'exNN-K'"),
    (lambda nb, a, c: c[0].metadata.nbgrader.pop("points"), "number of points"),
    (lambda nb, a, c: c[0].metadata.nbgrader.update(schema_version=1), "schema_version"),
    (lambda nb, a, c: a[0].metadata.pop("tags"), "tag 'solution'"),
    (lambda nb, a, c: c[0].metadata.pop("nbgrader"), "tag 'check'"),
    (lambda nb, a, c: nb.cells.remove(a[1]), "no answer cell before it"),
    (lambda nb, a, c: nb.cells.append(nbformat.v4.new_markdown_cell(
        "<details><summary>Solution</summary>\n\n```python\nx = 1\n```\n</details>")), "written out in markdown"),
])
def test_problems_say_what_breaks_the_format(teacher, change, expected):
    found = _mutated(teacher, change)
    assert any(expected in problem for problem in found), found


def test_require_valid_lists_every_problem(teacher):
    answers(teacher)[0].metadata.nbgrader["locked"] = True
    teacher.cells[-1].metadata["nbgrader"] = {"grade": True, "grade_id": "ex99-1", "schema_version": 3}
    with pytest.raises(cells.FormatError, match=r"problem\(s\) in the exercise format") as raised:
        cells.require_valid(teacher, FIXTURE.name)
    assert "cannot be locked" in str(raised.value) and "used by cell" in str(raised.value)


def test_a_learner_edition_without_its_folded_solutions_is_refused(teacher):
    with pytest.raises(cells.FormatError, match="has no 'worked-solution' cell after it"):
        cells.worked_solutions(teacher)
