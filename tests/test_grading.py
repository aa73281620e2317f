"""tools/course/grading.py: verdicts per check, the fast path equal to a full re-execution, CSV and table."""

from __future__ import annotations

import copy
import csv
import re

import nbformat
import pytest
from support import FIXTURE

from course import cells, editions, grading
from course.notebooks import read_source


@pytest.fixture(scope="module")
def learner():
    return editions.learner_edition(read_source(FIXTURE), FIXTURE.name)


def _answer(learner, square: str | None, plus_one: str | None):
    """The student edition with these answers written into the two answer cells (None: left as the stub)."""
    student = editions.student_edition(learner)
    first, second = [c for c in student.cells if cells.is_answer(c)]
    if square is not None:
        first.source = first.source.replace("# YOUR CODE HERE", square)
    if plus_one is not None:
        second.source = plus_one
    return student


PLANTED = {  # student: (answer to ex99-1, answer to ex99-2), and the verdicts they must get
    "alice": (("return x ** 2", "answer = base + 1"), {"ex99-1": "pass", "ex99-2": "pass"}),
    "carol": (('raise ValueError("not today")', "answer = base + 1"), {"ex99-1": "error", "ex99-2": "pass"}),
    "frank": ((None, None), {"ex99-1": "not answered", "ex99-2": "not answered"}),
    "gina": (("return x * 2", "answer = base"), {"ex99-1": "fail", "ex99-2": "fail"}),
    "hugo": (("return x ** 2", "answer = undefined_name"), {"ex99-1": "pass", "ex99-2": "error"}),
}


@pytest.fixture(scope="module")
def graded(learner, tmp_path_factory):
    """The planted submissions and four odd ones, graded once with a 5 s limit per submission."""
    folder = tmp_path_factory.mktemp("submissions")
    reference = tmp_path_factory.mktemp("reference") / "99_fixture.ipynb"
    nbformat.write(learner, reference)
    for student, ((square, plus_one), _) in PLANTED.items():
        nbformat.write(_answer(learner, square, plus_one), folder / f"{student}.ipynb")
    wrong = _answer(learner, "return 2 * x", "answer = base")
    checks = [c for c in wrong.cells if cells.is_check(c)]
    checks[0].source = 'passed("ex99-1", "I changed the check")'  # the course's check is run, not this one
    wrong.cells.remove(checks[1])
    nbformat.write(wrong, folder / "bob.ipynb")
    (folder / "dan").mkdir()
    endless = _answer(learner, "while True:\n        pass", "answer = base + 1")
    nbformat.write(endless, folder / "dan" / "99_fixture.ipynb")  # a folder per student, as nbgrader collects
    (folder / "erin.ipynb").write_text('{"cells": [')
    rows = grading.grade(folder, {"99_fixture": reference}, time_limit=5)
    out = tmp_path_factory.mktemp("grades") / "grades.csv"
    grading.write_csv(rows, out)
    return rows, out


def _status(rows, student):
    return {row.exercise: row.status for row in rows if row.student == student}


@pytest.mark.parametrize("student", PLANTED)
def test_planted_submissions_get_their_verdicts(graded, student):
    rows, _ = graded
    assert _status(rows, student) == PLANTED[student][1]


def test_points_count_only_passed_checks(graded):
    rows, _ = graded
    assert sum(r.points for r in rows if r.student == "alice") == 3
    assert sum(r.points for r in rows if r.student == "carol") == 2


def test_details_say_what_happened(graded):
    rows, _ = graded
    detail = {(r.student, r.exercise): r.detail for r in rows}
    assert "ValueError: not today" in detail["carol", "ex99-1"]
    assert detail["frank", "ex99-1"].startswith("NotAnswered: ○ ex99-1 is not answered yet")
    assert "square(3) should be 9" in detail["gina", "ex99-1"]


def test_an_edited_check_is_replaced_and_a_deleted_one_is_missing(graded):
    rows, _ = graded
    assert _status(rows, "bob") == {"ex99-1": "fail", "ex99-2": "missing"}


def test_an_endless_submission_is_stopped_at_the_time_limit(graded):
    rows, _ = graded
    assert _status(rows, "dan") == {"ex99-1": "timeout", "ex99-2": "timeout"}


def test_a_malformed_file_is_reported_not_fatal(graded):
    rows, _ = graded
    (erin,) = [r for r in rows if r.student == "erin"]
    assert erin.status == "malformed" and "not a readable notebook" in erin.detail


def test_the_csv_and_the_table_have_one_entry_per_student_and_exercise(graded):
    rows, out = graded
    with out.open() as handle:
        written = list(csv.DictReader(handle))
    assert [(r["student"], r["exercise"], r["status"]) for r in written] == \
           [(r.student, r.exercise, r.status) for r in rows]
    text = grading.table(rows)
    assert re.search(r"alice\s+✔\s+✔\s+3/3", text), text
    assert re.search(r"frank\s+○\s+○\s+0/3", text), text
    assert re.search(r"dan\s+⏱\s+⏱\s+0/3", text), text
    assert "erin" in text and "not a readable notebook" in text


def test_the_fast_verdicts_equal_a_full_re_execution(learner, graded):
    """The proof on the planted set: the whole notebook run again per submission gives the same verdicts."""
    for student, ((square, plus_one), expected) in PLANTED.items():
        full = grading.grade_full(learner, _answer(learner, square, plus_one), time_limit=120)
        assert {k: v["status"] for k, v in full.items()} == expected, student


def test_status_of_tells_not_answered_from_wrong_from_an_error():
    assert grading.status_of(None) == "pass"
    assert grading.status_of("NotAnswered") == "not answered"
    assert grading.status_of("ExerciseError") == grading.status_of("AssertionError") == "fail"
    assert grading.status_of("NotImplementedError") == grading.status_of("TypeError") == "error"


def test_a_submission_answers_the_notebook_its_checks_name(learner):
    refs = {"99_fixture": learner, "98_other": copy.deepcopy(learner)}
    for cell in refs["98_other"].cells:
        if cells.grader(cell):
            cell.metadata.nbgrader["grade_id"] = cell.metadata.nbgrader["grade_id"].replace("99", "98")
    from pathlib import Path

    assert grading._notebook_of(learner, Path("x.ipynb"), refs) == "99_fixture"
    assert grading._notebook_of(None, Path("98_other.ipynb"), refs) == "98_other"


def test_grade_says_what_is_wrong_with_the_folder(tmp_path):
    with pytest.raises(SystemExit, match="no folder"):
        grading.grade(tmp_path / "nowhere", {})
    with pytest.raises(SystemExit, match=r"no \.ipynb file"):
        grading.grade(tmp_path, {})
