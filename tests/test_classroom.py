"""tools/classroom.py: the command line over tools/course (student edition, grading, slides, nbgrader, check)."""

from __future__ import annotations

import classroom
import nbformat
import pytest
import support  # noqa: F401 - puts tools/ on sys.path

from course import cells


def test_student_command_writes_every_notebook_without_solutions_beside_a_copy_of_the_course(tmp_path):
    assert classroom.main(["student", "02", "--out", str(tmp_path), "--repo", "my-school/nlp"]) == 0
    (written,) = (tmp_path / "notebooks").glob("*.ipynb")
    nb = nbformat.read(written, as_version=4)
    nbformat.validate(nb)
    assert not any(cells.is_worked_solution(c) for c in nb.cells) and cells.exercises(nb)
    assert "github/my-school/nlp/blob/main/" in nb.cells[0].source
    assert (tmp_path / "helpers" / "exercises.py").exists() and (tmp_path / "README.md").exists()


def test_check_passes_on_the_course_and_builds_the_decks(tmp_path, capsys):
    assert classroom.main(["check", "02", "--slides-out", str(tmp_path)]) == 0
    assert "02_word2vec_vs_bert.ipynb: ok" in capsys.readouterr().out
    assert (tmp_path / "02_word2vec_vs_bert.slides.html").exists()


def test_nbgrader_command_writes_a_course_folder(tmp_path):
    assert classroom.main(["nbgrader", "03", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "source" / "03_rnn_sequence_models" / "03_rnn_sequence_models.ipynb").exists()
    assert (tmp_path / "nbgrader_config.py").exists()


def test_grade_says_what_is_wrong_with_the_folder(tmp_path):
    with pytest.raises(SystemExit, match="no folder"):
        classroom.main(["grade", str(tmp_path / "nowhere")])


def test_an_unknown_notebook_is_refused_with_the_choices():
    with pytest.raises(SystemExit, match="no notebook in .* matches"):
        classroom.main(["student", "99"])
