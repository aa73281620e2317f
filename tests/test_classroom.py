"""tools/classroom.py: the student edition, grading without nbgrader and the slide decks.

Built on a tiny fixture notebook in the course's exercise format (tests/fixtures/classroom/src/99_fixture.py),
so the tests stay fast; `make classroom-check` runs the same checks over the five real notebooks.
"""

from __future__ import annotations

import copy
import csv
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import classroom  # noqa: E402

FIXTURE_SRC = ROOT / "tests" / "fixtures" / "classroom" / "src"
SOURCE = FIXTURE_SRC / "99_fixture.py"
ARTIFACTS = ROOT / "test-artifacts" / "classroom"


@pytest.fixture
def teacher():
    return classroom.teacher_notebook(SOURCE)


def answers(nb):
    return [cell for cell in nb.cells if classroom.is_answer(cell)]


# ------------------------------------------------------------------------------------------- student edition

def test_fixture_follows_the_exercise_format(teacher):
    assert classroom.problems(teacher, SOURCE.name) == []
    assert [classroom.grader(c)["grade_id"] for c in classroom.check_cells(teacher)] == ["ex99-1", "ex99-2"]


def test_set_up_cell_is_inserted_before_the_first_code_cell(teacher):
    first_code = next(cell for cell in teacher.cells if cell.cell_type == "code")
    assert first_code.source == (FIXTURE_SRC / "setup_cell.py").read_text().strip()


def test_student_edition_removes_the_solutions_and_keeps_everything_else(teacher):
    student = classroom.student_notebook(teacher, SOURCE.name)
    assert len(student.cells) == len(teacher.cells)
    square, plus_one = answers(student)
    assert square.source == ('def square(x):\n    """Return x squared."""\n'
                             "    # YOUR CODE HERE\n    raise NotImplementedError()")  # starter kept, stub indented
    assert plus_one.source == "# YOUR CODE HERE\nraise NotImplementedError()"
    for before, after in zip(teacher.cells, student.cells):
        assert after.metadata.get("nbgrader") == before.metadata.get("nbgrader")  # nbgrader can still use it
        assert after.metadata.get("tags") == before.metadata.get("tags")
        assert "source_hidden" not in after.metadata.get("jupyter", {})
        if classroom.is_check(before):  # locked in Jupyter, as in nbgrader's release
            assert after.metadata["editable"] is False and after.metadata["deletable"] is False
        if not classroom.is_answer(before):
            assert after.source == before.source  # text, checks and the rest unchanged
    solution_text = "\n".join(line for cell in answers(teacher) for line in classroom.solution_lines(cell))
    assert "squared_value" in solution_text
    assert "squared_value" not in "\n".join(cell.source for cell in student.cells)
    assert classroom.leaked_lines(teacher, student) == []
    nbformat.validate(student)


def test_leak_check_finds_surviving_solution_lines_only(teacher):
    student = classroom.student_notebook(teacher)
    student.cells[-1].source += "\nanswer = base + 1\n\ndef square(x):"  # a solution line, and a starter line
    assert classroom.leaked_lines(teacher, student) == ["answer = base + 1"]
    student.cells[-1].source += "\n### BEGIN SOLUTION"
    assert "### BEGIN SOLUTION" in classroom.leaked_lines(teacher, student)


def test_hidden_tests_are_removed_and_markdown_answers_get_the_text_stub(teacher):
    check = classroom.check_cells(teacher)[0]
    check.source += "\n### BEGIN HIDDEN TESTS\nassert square(-2) == 4\n### END HIDDEN TESTS"
    answer = nbformat.v4.new_markdown_cell("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
                                           metadata={"nbgrader": {"solution": True}, "tags": ["solution"]})
    teacher.cells.append(answer)
    student = classroom.student_notebook(teacher)
    assert "square(-2)" not in classroom.check_cells(student)[0].source
    assert student.cells[-1].source == "Why?\nYOUR ANSWER HERE"


def _mutated(teacher, change):
    nb = copy.deepcopy(teacher)
    change(nb, answers(nb), classroom.check_cells(nb))
    return classroom.problems(nb, SOURCE.name)


@pytest.mark.parametrize("change, expected", [
    (lambda nb, a, c: setattr(a[0], "source", a[0].source.replace("    ### END SOLUTION", "")), "has no"),
    (lambda nb, a, c: setattr(a[1], "source", "answer = 1\n### END SOLUTION"), "without a"),
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
        "<details><summary>Solution</summary>\n\n```python\nx = 1\n```\n</details>")), "<details>"),
])
def test_problems_say_what_breaks_the_format(teacher, change, expected):
    found = _mutated(teacher, change)
    assert any(expected in problem for problem in found), found


def test_student_command_writes_valid_notebooks_and_refuses_a_broken_source(tmp_path):
    assert classroom.main(["student", "--src", str(FIXTURE_SRC), "--out", str(tmp_path / "out")]) == 0
    written = tmp_path / "out" / "notebooks" / "99_fixture.ipynb"
    nbformat.validate(nbformat.read(written, as_version=4))
    broken = tmp_path / "src"
    shutil.copytree(FIXTURE_SRC, broken)
    text = (broken / SOURCE.name).read_text()
    (broken / SOURCE.name).write_text(text.replace("    ### END SOLUTION\n", "", 1))
    with pytest.raises(classroom.ClassroomError, match="has no '### END SOLUTION'"):
        classroom.main(["student", "--src", str(broken), "--out", str(tmp_path / "out2")])


def test_nbgrader_makes_the_same_student_notebook(teacher, tmp_path):
    """Only where nbgrader is installed (it is optional): its release of the full edition equals ours."""
    pytest.importorskip("nbgrader")
    import subprocess

    (tmp_path / "source" / "99").mkdir(parents=True)
    nbformat.write(teacher, tmp_path / "source" / "99" / "99_fixture.ipynb")
    (tmp_path / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.course_id = "nlp"\n')
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "99", "--force"], cwd=tmp_path,
                   env=env, check=True, capture_output=True, timeout=300)
    released = nbformat.read(tmp_path / "release" / "99" / "99_fixture.ipynb", as_version=4)
    ours = classroom.student_notebook(teacher)
    assert [c.source for c in released.cells] == [c.source for c in ours.cells]
    for theirs, mine in zip(released.cells, ours.cells):
        for key in ("editable", "deletable"):
            assert theirs.metadata.get(key, True) == mine.metadata.get(key, True)


def test_colab_links_can_point_at_the_class_copy():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        f"[![Open In Colab](badge.svg)]({classroom.COLAB_BASE}notebooks/04_rnn_gradients.ipynb)")])
    classroom.point_colab_badges(nb, "my-school/nlp-class@spring")
    assert "github/my-school/nlp-class/blob/spring/notebooks/04_rnn_gradients.ipynb" in nb.cells[0].source
    with pytest.raises(ValueError, match="owner/name"):
        classroom.point_colab_badges(nb, "not a repo")


def test_the_real_sources_make_a_student_edition_without_solution_text():
    """Every notebook in the course's exercise format: valid, and nothing of a solution left (no execution here:
    `make classroom-check` runs them)."""
    for source in classroom.sources():
        teacher = classroom.teacher_notebook(source)
        assert classroom.problems(teacher, source.name) == []
        assert classroom.check_cells(teacher), f"{source.name} has no check cell"
        assert classroom.leaked_lines(teacher, classroom.student_notebook(teacher, source.name)) == []


def test_student_edition_runs_outside_the_exercises_and_no_check_passes_without_an_answer(teacher):
    assert classroom.check_student(teacher, SOURCE.name, time_limit=60) == []


def test_student_check_reports_a_cell_that_needs_a_solution_and_a_check_that_passes_anyway(teacher):
    teacher.cells.append(nbformat.v4.new_code_cell("print(square(2))"))  # not an exercise, needs the answer
    check = classroom.check_cells(teacher)[1]
    check.source = 'passed("ex99-2", "always")'
    found = classroom.check_student(teacher, SOURCE.name, time_limit=60)
    assert any("'ex99-2' passes without an answer" in problem for problem in found), found
    assert any("(not an exercise) fails" in problem and "NotImplementedError" in problem for problem in found), found


# ---------------------------------------------------------------------------------------------------- grading

def _answer(nb, square: str, plus_one: str):
    """The student edition with these answers written into the two answer cells."""
    student = classroom.student_notebook(nb)
    first, second = answers(student)
    first.source = first.source.replace("# YOUR CODE HERE\n    raise NotImplementedError()", square)
    second.source = plus_one
    return student


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Six submissions graded once, two at a time, with a 5 s limit per notebook."""
    teacher = classroom.teacher_notebook(SOURCE)
    folder = tmp_path_factory.mktemp("submissions")
    nbformat.write(_answer(teacher, "return x ** 2", "answer = base + 1"), folder / "alice.ipynb")
    wrong = _answer(teacher, "return 2 * x", "answer = base")
    classroom.check_cells(wrong)[0].source = 'passed("ex99-1", "I changed the check")'  # the teacher's check wins
    wrong.cells.remove(classroom.check_cells(wrong)[1])
    nbformat.write(wrong, folder / "bob.ipynb")
    nbformat.write(_answer(teacher, 'raise ValueError("not today")', "answer = base + 1"), folder / "carol.ipynb")
    (folder / "dan").mkdir()
    endless = _answer(teacher, "while True:\n        pass", "answer = base + 1")
    nbformat.write(endless, folder / "dan" / "99_fixture.ipynb")  # a folder per student, as nbgrader collects
    (folder / "erin.ipynb").write_text('{"cells": [')
    nbformat.write(classroom.student_notebook(teacher), folder / "frank.ipynb")  # handed in untouched
    out = tmp_path_factory.mktemp("grades") / "grades.csv"
    rows = classroom.grade(folder, out, FIXTURE_SRC, time_limit=5, jobs=2)
    return rows, out


def _status(rows, student):
    return {row["exercise"]: row["status"] for row in rows if row["student"] == student}


def test_a_correct_submission_passes_every_check(graded):
    rows, _ = graded
    assert _status(rows, "alice") == {"ex99-1": "pass", "ex99-2": "pass"}
    assert sum(r["points"] for r in rows if r["student"] == "alice") == 3


def test_a_wrong_submission_fails_even_with_an_edited_check_and_a_deleted_one_is_missing(graded):
    rows, _ = graded
    assert _status(rows, "bob") == {"ex99-1": "fail", "ex99-2": "missing"}
    assert "square(3) should be 9" in next(r["detail"] for r in rows if r["student"] == "bob")


def test_a_raising_answer_is_an_error_and_the_rest_of_the_notebook_still_counts(graded):
    rows, _ = graded
    assert _status(rows, "carol") == {"ex99-1": "error", "ex99-2": "pass"}
    assert "ValueError: not today" in next(r["detail"] for r in rows if r["student"] == "carol")


def test_an_untouched_student_edition_is_reported_as_not_answered(graded):
    rows, _ = graded
    assert _status(rows, "frank") == {"ex99-1": "error", "ex99-2": "fail"}
    assert all(r["detail"].startswith("not answered: ") for r in rows if r["student"] == "frank")


def test_an_endless_submission_is_stopped_at_the_time_limit(graded):
    rows, _ = graded
    assert _status(rows, "dan") == {"ex99-1": "timeout", "ex99-2": "timeout"}


def test_a_malformed_file_is_reported_not_fatal(graded):
    rows, _ = graded
    (erin,) = [r for r in rows if r["student"] == "erin"]
    assert erin["status"] == "malformed" and "not a readable notebook" in erin["detail"]


def test_the_csv_and_the_table_have_one_entry_per_student_and_exercise(graded):
    rows, out = graded
    with out.open() as handle:
        written = list(csv.DictReader(handle))
    assert [(r["student"], r["exercise"], r["status"]) for r in written] == \
           [(r["student"], r["exercise"], r["status"]) for r in rows]
    text = classroom.table(rows)
    assert re.search(r"alice\s+✔\s+✔\s+3/3", text), text
    assert re.search(r"dan\s+⏱\s+⏱\s+0/3", text), text
    assert "erin" in text and "not a readable notebook" in text


def test_grade_says_what_is_wrong_with_the_folder(tmp_path):
    with pytest.raises(SystemExit, match="no folder"):
        classroom.main(["grade", str(tmp_path / "nowhere")])
    with pytest.raises(SystemExit, match=r"no \.ipynb file"):
        classroom.main(["grade", str(tmp_path)])


# ----------------------------------------------------------------------------------------------------- slides

def _executed_looking(teacher):
    """The fixture with the outputs a built notebook would have: a 40-line print, a widget, a check's ✔."""
    nb = copy.deepcopy(teacher)
    long_cell = next(c for c in nb.cells if "range(40)" in c.source)
    long_cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                text="".join(f"line {i}\n" for i in range(40)))]
    nb.cells[-1].outputs = [nbformat.v4.new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "x"}, "text/plain": "HBox()"})]
    classroom.check_cells(nb)[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="✔ ex99-1\n")]
    return nb


def test_slide_metadata_from_headings_answers_skipped_explicit_metadata_wins(teacher):
    setup = (FIXTURE_SRC / "setup_cell.py").read_text()
    deck = classroom.slide_deck(_executed_looking(teacher), setup)
    kinds = [(cell.metadata.slideshow.slide_type, cell.source.splitlines()[0]) for cell in deck.cells]
    assert kinds[0] == ("slide", "# 99 · A tiny notebook for the classroom tools")
    assert ("skip", setup.splitlines()[0]) in kinds
    assert ("slide", "## 1. A long output") in kinds
    assert ("-", "Prose that ends section 1.") in kinds  # a markdown cell split at its headings
    assert ("slide", "## 2. Exercises") in kinds
    assert ("subslide", "### Exercise 1 — square a number") in kinds
    assert [k for k, _ in kinds if k == "skip"] == ["skip"] * 3  # the set-up cell and both answer cells
    assert all(cell.metadata.slideshow.slide_type == "skip" for cell in answers(deck))
    assert ("notes", "Speaker notes: explicit slide metadata in the source wins over the derived one.") in kinds
    long_text = next(c for c in deck.cells if "range(40)" in c.source).outputs[0]["text"]
    assert len(long_text.splitlines()) == classroom.MAX_OUTPUT_LINES and "more lines in the notebook" in long_text
    assert deck.cells[-1].outputs == []  # a widget has nothing to show on a slide
    assert all(cell.outputs == [] for cell in classroom.check_cells(deck))


def test_decks_are_reveal_html_without_the_solutions(teacher, tmp_path):
    path = tmp_path / "99_fixture.ipynb"
    nbformat.write(_executed_looking(teacher), path)
    (deck,) = classroom.write_slides([path], tmp_path / "slides")
    html = deck.read_text(encoding="utf-8")
    assert html.count("<section") >= 5
    assert "squared_value" not in html and "ex99-1" in html  # the answer skipped, its check shown
    assert "more lines in the notebook" in html
    assert 'class="notes"' in html
    assert "unpkg.com/reveal.js" in html  # learners' default: reveal.js from its CDN


# ---------------------------------------------------------------------------------------------------- browser

def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: under CI the slide test must run, not skip")
    pytest.skip(f"{reason}; to enable it: `apt-get install chromium`, `pip install playwright`, and npm")


@pytest.mark.browser
@pytest.mark.timeout(600)
def test_an_offline_deck_renders_in_chromium(tmp_path):
    """A real notebook's deck, with reveal.js from the npm registry beside it, opened with every network request
    refused: the first slide shows the title, the arrow key moves on, and the maths is typeset."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        _unavailable("no Chromium found")
    cached = all(list((classroom.BUILD / "cache").glob(f"{name}-[0-9]*.tgz")) for name in classroom.VENDOR)
    if not cached and not shutil.which("npm"):
        _unavailable("npm is needed once to fetch reveal.js")
    notebook = min(classroom.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    (deck,) = classroom.write_slides([notebook], tmp_path, offline=True)
    title = next(c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "markdown")
    title = title.source.splitlines()[0].lstrip("# ").strip()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            refused, failed = [], []
            page.route(re.compile(r"^(?!file:).*"), lambda route: (refused.append(route.request.url), route.abort()))
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.goto(deck.as_uri(), wait_until="domcontentloaded")
            page.wait_for_selector(".reveal.ready", timeout=60_000)
            first = page.locator(".slides section.present").first
            assert title.lower() in first.inner_text().lower()
            assert page.locator(".slides > section").count() >= 3
            page.screenshot(path=str(ARTIFACTS / "slide-1.png"))
            page.keyboard.press("ArrowRight")
            page.wait_for_function("location.hash === '#/1'", timeout=10_000)
            if "$" in notebook.read_text():
                page.wait_for_selector(".MathJax_CHTML", timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "slide-2.png"))
            assert [url for url in failed if url.startswith("file:")] == []
        finally:
            browser.close()
