"""tools/course/editions.py: the learner edition (committed), the student edition, and nbgrader's agreement."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from support import FIXTURE

from course import cells, editions
from course.notebooks import read_source, sources


@pytest.fixture
def teacher():
    return read_source(FIXTURE)


@pytest.fixture
def learner(teacher):
    return editions.learner_edition(teacher, FIXTURE.name)


def test_learner_edition_stubs_each_answer_and_folds_its_solution_after_the_check(teacher, learner):
    square, plus_one = [c for c in learner.cells if cells.is_answer(c)]
    assert square.source == 'def square(x):\n    """Return x squared."""\n    # YOUR CODE HERE'
    assert plus_one.source == "answer = None  # one more than base\n# YOUR CODE HERE"
    for exercise, _ in cells.worked_solutions(learner):
        check = learner.cells[exercise.check]
        assert "raises-exception" in cells.tags(check)  # unanswered, the check raises NotAnswered
        assert "nbval-ignore-output" in cells.tags(check)  # committed as a plain line (tidy_outputs)
        assert check.metadata["editable"] is False and check.metadata["deletable"] is False
    (first, code_1), (second, code_2) = cells.worked_solutions(learner)
    assert "squared_value = x * x" in code_1 and "BEGIN SOLUTION" not in code_1
    assert code_2 == "answer = base + 1"
    assert "squared_value" not in "\n".join(c.source for c in learner.cells if c.cell_type == "code")
    assert len(learner.cells) == len(teacher.cells) + 2
    assert all("source_hidden" not in c.metadata.get("jupyter", {}) for c in learner.cells)
    nbformat.validate(learner)


def test_a_stub_that_would_not_compile_is_refused(teacher):
    answer = next(c for c in teacher.cells if cells.is_answer(c))
    answer.source = answer.source.replace('    """Return x squared."""\n', "")
    with pytest.raises(cells.FormatError, match="does not compile.*needs its docstring"):
        editions.learner_edition(teacher, FIXTURE.name)


def test_student_edition_drops_the_solutions_and_outputs_and_keeps_the_rest(teacher, learner):
    learner.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="the end\n")]
    student = editions.student_edition(learner)
    assert [c.source for c in student.cells] == [c.source for c in learner.cells if not cells.is_worked_solution(c)]
    assert all(c.outputs == [] for c in student.cells if c.cell_type == "code")
    assert editions.leaked_lines(teacher, student) == []
    nbformat.validate(student)


def test_leak_check_finds_surviving_solution_lines_only(teacher, learner):
    student = editions.student_edition(learner)
    student.cells[-1].source += "\nanswer = base + 1\n\ndef square(x):"  # a solution line, and a starter line
    assert editions.leaked_lines(teacher, student) == ["answer = base + 1"]
    assert editions.leaked_lines(teacher, learner) != []  # the learner edition keeps its folded solutions


def test_colab_links_can_point_at_the_class_copy():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        f"[![Open In Colab](badge.svg)]({editions.COLAB_BASE}notebooks/04_rnn_gradients.ipynb)")])
    editions.point_colab_badges(nb, "my-school/nlp-class@spring")
    assert "github/my-school/nlp-class/blob/spring/notebooks/04_rnn_gradients.ipynb" in nb.cells[0].source
    with pytest.raises(ValueError, match="owner/name"):
        editions.point_colab_badges(nb, "not a repo")


@pytest.mark.parametrize("source", sources(), ids=lambda p: p.stem)
def test_every_course_notebook_makes_a_learner_and_a_student_edition_without_solution_text(source):
    teacher = read_source(source)
    learner = editions.learner_edition(teacher, source.name)
    assert cells.worked_solutions(learner), f"{source.name} has no exercise"
    assert editions.leaked_lines(teacher, editions.student_edition(learner)) == []


def _nbgrader(folder: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=timeout, check=True)


def test_nbgrader_releases_the_learner_edition_of_the_fixture(teacher, learner, tmp_path):
    """nbgrader (a test requirement, never skipped) with the course's config: its release has our cells."""
    (tmp_path / "source" / "99").mkdir(parents=True)
    nbformat.write(teacher, tmp_path / "source" / "99" / "99_fixture.ipynb")
    (tmp_path / "nbgrader_config.py").write_text(editions.NBGRADER_CONFIG)
    _nbgrader(tmp_path, "generate_assignment", "99", "--force")
    released = nbformat.read(tmp_path / "release" / "99" / "99_fixture.ipynb", as_version=4)
    ours = editions.student_edition(learner)
    assert [c.source for c in released.cells] == [c.source for c in ours.cells]
    for theirs, mine in zip(released.cells, ours.cells):
        for key in ("editable", "deletable"):
            assert theirs.metadata.get(key, True) == mine.metadata.get(key, True)


def test_nbgrader_course_folder_holds_the_teacher_editions_and_the_config(tmp_path):
    (written,) = editions.write_nbgrader_course(tmp_path, ["02"])
    assert written == tmp_path / "source" / "02_word2vec_vs_bert" / "02_word2vec_vs_bert.ipynb"
    nb = nbformat.read(written, as_version=4)
    assert any(cells.BEGIN_SOLUTION in c.source for c in nb.cells if cells.is_answer(c))
    assert (tmp_path / "nbgrader_config.py").read_text() == editions.NBGRADER_CONFIG
