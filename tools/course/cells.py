"""The exercise format: nbgrader's cell conventions, the course's rules on top of them, and their validation.

An exercise is
- an answer cell (nbgrader.solution = true, tag "solution") whose worked solution sits between
  "### BEGIN SOLUTION" and "### END SOLUTION"; the learner's and the student's editions get CODE_STUB instead
  (nbgrader's ClearSolutions does the replacing, see editions.py);
- the locked check cell after it (nbgrader.grade = true, tag "check", grade_id "exNN-K"), which calls a check
  from helpers.exercises: it prints ✔, or raises ExerciseError (wrong) or NotAnswered (still the stub);
- in the learner edition only, a markdown cell tagged "worked-solution" after the check: the worked solution,
  folded in a <details> block that a reader opens with one click.
This module needs only nbformat, so the Colab-pinned run and nbval's conftest can use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nbformat import NotebookNode

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# What replaces a worked solution (nbgrader's ClearSolutions.code_stub, set the same way in its config): a
# comment, so an unanswered function returns None and an unanswered cell runs, and only the check says so.
CODE_STUB = "# YOUR CODE HERE"
TEXT_STUB = "YOUR ANSWER HERE"
WORKED = "worked-solution"  # the tag of the folded solution cells
CHECK_ID = re.compile(r"ex(\d\d)-(\d+)$")
NBGRADER_ID = re.compile(r"[A-Za-z0-9_-]+$")
FENCE = re.compile(r"```python\n(.*?)\n```", re.DOTALL)


class FormatError(ValueError):
    """A notebook that breaks the exercise format; the message says which notebook, which cell and what."""


def grader(cell: NotebookNode) -> dict:
    """The cell's nbgrader metadata ({} when it has none)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def tags(cell: NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_answer(cell: NotebookNode) -> bool:
    """An answer cell: an nbgrader solution cell."""
    return bool(grader(cell).get("solution"))


def is_check(cell: NotebookNode) -> bool:
    """A check cell: an autograded nbgrader test cell."""
    meta = grader(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def is_worked_solution(cell: NotebookNode) -> bool:
    return cell.cell_type == "markdown" and WORKED in tags(cell)


@dataclass
class Exercise:
    """One exercise of a notebook: its check's grade_id, the cells' positions and the points."""

    grade_id: str
    answers: list[int]
    check: int
    points: float


def exercises(nb: NotebookNode) -> list[Exercise]:
    """The notebook's exercises in order; an answer cell belongs to the next check cell."""
    found, pending = [], []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and is_answer(cell):
            pending.append(index)
        elif cell.cell_type == "code" and is_check(cell):
            meta = grader(cell)
            found.append(Exercise(str(meta.get("grade_id")), pending, index, float(meta.get("points", 1))))
            pending = []
    return found


# ------------------------------------------------------------------------------------------- solution regions

def regions(lines: list[str], begin: str, end: str, where: str) -> list[tuple[int, int]]:
    """(begin line, end line) of every region between the markers; unbalanced markers raise FormatError."""
    found, start = [], None
    for i, line in enumerate(lines):
        if begin in line:
            if start is not None:
                raise FormatError(f"{where}: '{begin}' on line {i + 1} before the '{end}' of line {start + 1}")
            start = i
        elif end in line:
            if start is None:
                raise FormatError(f"{where}: '{end}' on line {i + 1} without a '{begin}' before it")
            found.append((start, i))
            start = None
    if start is not None:
        raise FormatError(f"{where}: '{begin}' on line {start + 1} has no '{end}'")
    return found


def worked_solution(source: str, where: str = "cell") -> str:
    """The answer cell as its author wrote it, without the marker lines and without a starter `name = None` that
    the solution assigns anyway: what the folded solution shows."""
    lines = source.splitlines()
    found = regions(lines, BEGIN_SOLUTION, END_SOLUTION, where)
    inside = {i for start, stop in found for i in range(start, stop + 1)}
    assigned = {m.group(1) for i in inside if (m := re.match(r"\s*(\w+)\s*=(?!=)", lines[i]))}

    def placeholder(line: str) -> bool:
        match = re.match(r"\s*(\w+)\s*=\s*None\b", line)
        return bool(match) and match.group(1) in assigned

    markers = {i for pair in found for i in pair}
    return "\n".join(line for i, line in enumerate(lines)
                     if i not in markers and (i in inside or not placeholder(line)))


def folded(solution: str) -> str:
    """The markdown of a folded worked solution."""
    return (f"<details><summary><b>Show a worked solution</b> (try the exercise first)</summary>\n\n"
            f"```python\n{solution}\n```\n\n</details>")


def unfolded(cell: NotebookNode) -> str:
    """The code inside a folded worked-solution cell."""
    match = FENCE.search(cell.source)
    if not match:
        raise FormatError(f"a '{WORKED}' cell without a ```python block: {cell.source[:80]!r}")
    return match.group(1)


def worked_solutions(nb: NotebookNode) -> list[tuple[Exercise, str]]:
    """(exercise, its worked solution's code) for every exercise of a learner edition, in order."""
    found = []
    for exercise in exercises(nb):
        after = nb.cells[exercise.check + 1] if exercise.check + 1 < len(nb.cells) else None
        if after is None or not is_worked_solution(after):
            raise FormatError(f"check {exercise.grade_id!r} (cell {exercise.check}) has no '{WORKED}' cell after it")
        found.append((exercise, unfolded(after)))
    return found


# ------------------------------------------------------------------------------------------------- validation

def problems(nb: NotebookNode, name: str) -> list[str]:
    """What breaks the exercise format of a teacher edition (nbgrader's rules and the course's), one per line."""
    found, seen = [], {}
    number = re.match(r"(\d\d)_", name)
    answers_since_check = 0
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        meta, cell_tags = grader(cell), tags(cell)
        if is_worked_solution(cell) or (cell.cell_type == "markdown" and re.search(r"<summary>[^<]*solution",
                                                                                    cell.source, re.I)):
            found.append(f"{where}: a worked solution written out in markdown; put it in the answer cell between "
                         f"'{BEGIN_SOLUTION}' and '{END_SOLUTION}' (the build folds it away)")
        if meta:
            grade_id = meta.get("grade_id")
            if meta.get("schema_version") != 3:
                found.append(f"{where}: nbgrader schema_version is {meta.get('schema_version')!r}, not 3")
            if not grade_id or not NBGRADER_ID.match(str(grade_id)):
                found.append(f"{where}: grade_id {grade_id!r} must be letters, digits, '_' or '-'")
            elif grade_id in seen:
                found.append(f"{where}: grade_id {grade_id!r} is used by cell {seen[grade_id]} too")
            else:
                seen[grade_id] = index
            if meta.get("grade") and not isinstance(meta.get("points"), (int, float)):
                found.append(f"{where}: a graded cell needs a number of points")
            if meta.get("solution") and meta.get("locked"):
                found.append(f"{where}: an answer cell cannot be locked")
        if ("solution" in cell_tags) != is_answer(cell):
            found.append(f"{where}: the tag 'solution' and nbgrader.solution = true go together")
        if ("check" in cell_tags) != is_check(cell):
            found.append(f"{where}: the tag 'check' and nbgrader.grade = true (not a solution) go together")
        if is_answer(cell):
            answers_since_check += 1
            found += _answer_problems(cell, where)
        if is_check(cell):
            found += _check_problems(cell, where, number, answers_since_check)
            answers_since_check = 0
    return found


def _answer_problems(cell: NotebookNode, where: str) -> list[str]:
    if cell.cell_type != "code":
        return [f"{where}: an answer cell must be a code cell"]
    try:
        if not regions(cell.source.splitlines(), BEGIN_SOLUTION, END_SOLUTION, where):
            return [f"{where}: an answer cell needs its worked solution between '{BEGIN_SOLUTION}' and "
                    f"'{END_SOLUTION}'"]
    except FormatError as error:
        return [str(error)]
    return []


def _check_problems(cell: NotebookNode, where: str, number, answers_before: int) -> list[str]:
    found = []
    grade_id = str(grader(cell).get("grade_id", ""))
    match = CHECK_ID.match(grade_id)
    if cell.cell_type != "code":
        found.append(f"{where}: a check cell must be a code cell")
    if not grader(cell).get("locked"):
        found.append(f"{where}: a check cell must be locked (nbgrader.locked = true)")
    if not match:
        found.append(f"{where}: check grade_id {grade_id!r} does not read 'exNN-K'")
    elif number and match.group(1) != number.group(1):
        found.append(f"{where}: check grade_id {grade_id!r} names notebook {match.group(1)}, not {number.group(1)}")
    if answers_before == 0:
        found.append(f"{where}: check {grade_id!r} has no answer cell before it")
    try:
        regions(cell.source.splitlines(), BEGIN_HIDDEN, END_HIDDEN, where)
    except FormatError as error:
        found.append(str(error))
    return found


def require_valid(nb: NotebookNode, name: str) -> None:
    """Raise FormatError listing every problem of the notebook's exercise format."""
    found = problems(nb, name)
    if found:
        raise FormatError(f"{name}: {len(found)} problem(s) in the exercise format:\n  " + "\n  ".join(found))
