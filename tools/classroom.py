"""The classroom edition: student notebooks, grading without nbgrader, and slide decks, all from the same sources.

    python tools/classroom.py student                 # build/student/: the course with every worked solution removed
    python tools/classroom.py grade SUBMISSIONS       # build/grades.csv and a table: each exercise's check, per student
    python tools/classroom.py slides [--offline]      # build/slides/NN_name.slides.html (reveal.js)
    python tools/classroom.py check                   # CI: the student edition holds no solution and still runs

Exercises follow nbgrader's conventions (see helpers/exercises.py): an answer cell has nbgrader.solution = true
and the tag "solution", its worked solution between "### BEGIN SOLUTION" and "### END SOLUTION"; the check cell
after it has nbgrader.grade = true, locked, the tag "check" and a grade_id "exNN-K". nbgrader itself is optional.
Teacher tooling only: no notebook imports this module. The teacher's guide is notebooks/TEACHERS.md.
"""

from __future__ import annotations

import argparse
import collections
import copy
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOURCES = NOTEBOOKS / "src"
BUILD = ROOT / "build"

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]  # nbgrader's stubs, so both tools agree
TEXT_STUB = ["YOUR ANSWER HERE"]
CHECK_ID = re.compile(r"ex(\d\d)-(\d+)$")
NBGRADER_ID = re.compile(r"[A-Za-z0-9_-]+$")
OLD_SOLUTION = re.compile(r"<summary>[^<]*solution", re.IGNORECASE)
# Files that make build/student/ a complete copy of the course a class can clone (nbgitpuller, Binder, pip).
STUDENT_COPY = ["helpers", "data", "requirements.txt", "environment.yml", "pyproject.toml"]
COLAB_BASE = "https://colab.research.google.com/github/nlp-basics-course/nlp-basics-pytorch/blob/main/"


class ClassroomError(ValueError):
    """A notebook that breaks the exercise format; the message says which notebook, which cell and what."""


# ---------------------------------------------------------------------------------------------- sources and cells

def sources(src_dir: Path = SOURCES, prefixes: list[str] | None = None) -> list[Path]:
    """The notebook sources NN_name.py in `src_dir`, or only those whose name starts with one of `prefixes`."""
    found = sorted(Path(src_dir).glob("[0-9][0-9]_*.py"))
    chosen = [s for s in found if not prefixes or any(s.name.startswith(p) for p in prefixes)]
    if not chosen:
        raise SystemExit(f"no notebook source in {src_dir} matches {prefixes or 'NN_*.py'}; "
                         f"found: {[s.name for s in found]}")
    return chosen


def teacher_notebook(source: Path) -> NotebookNode:
    """The full edition of one source, unexecuted, with the set-up cell inserted as notebooks/build.py does."""
    try:
        import jupytext
    except ImportError:
        raise SystemExit("reading the notebook sources needs jupytext: `python -m pip install jupytext` "
                         "(it is in requirements-test.txt)") from None

    nb = jupytext.read(source)
    setup = Path(source).parent / "setup_cell.py"
    if setup.exists():
        first_code = next((i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"), len(nb.cells))
        nb.cells.insert(first_code, nbformat.v4.new_code_cell(setup.read_text().strip()))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.pop("jupytext", None)
    return nb


def grader(cell: NotebookNode) -> dict:
    """The cell's nbgrader metadata ({} when it has none)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def tags(cell: NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_answer(cell: NotebookNode) -> bool:
    """An answer cell: nbgrader solution cell, or tagged "solution"."""
    return bool(grader(cell).get("solution")) or "solution" in tags(cell)


def is_check(cell: NotebookNode) -> bool:
    """A check cell: an autograded nbgrader test cell, or tagged "check"."""
    meta = grader(cell)
    return (bool(meta.get("grade")) and not meta.get("solution")) or "check" in tags(cell)


def check_cells(nb: NotebookNode) -> list[NotebookNode]:
    return [cell for cell in nb.cells if cell.cell_type == "code" and is_check(cell)]


# ------------------------------------------------------------------------------------------- solution regions

def _regions(lines: list[str], begin: str, end: str, where: str) -> list[tuple[int, int]]:
    """(begin line, end line) of every region between the markers; unbalanced markers raise ClassroomError."""
    regions, start = [], None
    for i, line in enumerate(lines):
        if begin in line:
            if start is not None:
                raise ClassroomError(f"{where}: '{begin}' on line {i + 1} before the '{end}' of line {start + 1}")
            start = i
        elif end in line:
            if start is None:
                raise ClassroomError(f"{where}: '{end}' on line {i + 1} without a '{begin}' before it")
            regions.append((start, i))
            start = None
    if start is not None:
        raise ClassroomError(f"{where}: '{begin}' on line {start + 1} has no '{end}'")
    return regions


def _replace_regions(source: str, begin: str, end: str, stub: list[str], where: str) -> str:
    lines = source.splitlines()
    kept, last = [], 0
    for start, stop in _regions(lines, begin, end, where):
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        kept += lines[last:start] + [indent + s for s in stub]
        last = stop + 1
    return "\n".join(kept + lines[last:])


def strip_solution(cell: NotebookNode, where: str = "cell") -> str:
    """The answer cell's source as a student gets it: each marked region (or, unmarked, the whole cell) -> stub."""
    stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
    if BEGIN_SOLUTION not in cell.source and END_SOLUTION not in cell.source:
        return "\n".join(stub)  # nbgrader's rule for an answer cell without markers
    return _replace_regions(cell.source, BEGIN_SOLUTION, END_SOLUTION, stub, where)


def solution_lines(cell: NotebookNode, where: str = "cell") -> list[str]:
    """The lines of the worked solution in an answer cell (markers excluded)."""
    lines = cell.source.splitlines()
    if BEGIN_SOLUTION not in cell.source and END_SOLUTION not in cell.source:
        return lines
    return [line for start, stop in _regions(lines, BEGIN_SOLUTION, END_SOLUTION, where)
            for line in lines[start + 1:stop]]


# ------------------------------------------------------------------------------------------------- validation

def problems(nb: NotebookNode, name: str) -> list[str]:
    """What breaks the exercise format (nbgrader's metadata rules and the course's), one message per problem."""
    found, seen = [], {}
    number = re.match(r"(\d\d)_", name)
    answers_since_check = 0
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        meta, cell_tags = grader(cell), tags(cell)
        if cell.cell_type == "markdown" and OLD_SOLUTION.search(cell.source):
            found.append(f"{where}: a worked solution in a markdown <details> block; put it in an answer cell "
                         f"between '{BEGIN_SOLUTION}' and '{END_SOLUTION}' (see helpers/exercises.py)")
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
        if ("solution" in cell_tags) != bool(meta.get("solution")):
            found.append(f"{where}: the tag 'solution' and nbgrader.solution = true go together")
        checked = bool(meta.get("grade")) and not meta.get("solution")
        if ("check" in cell_tags) != checked:
            found.append(f"{where}: the tag 'check' and nbgrader.grade = true (not a solution) go together")
        if is_answer(cell):
            answers_since_check += 1
            try:
                solution_lines(cell, where)
            except ClassroomError as error:
                found.append(str(error))
        if is_check(cell):
            grade_id = str(meta.get("grade_id", ""))
            match = CHECK_ID.match(grade_id)
            if cell.cell_type != "code":
                found.append(f"{where}: a check cell must be a code cell")
            if not meta.get("locked"):
                found.append(f"{where}: a check cell must be locked (nbgrader.locked = true)")
            if not match:
                found.append(f"{where}: check grade_id {grade_id!r} does not read 'exNN-K'")
            elif number and match.group(1) != number.group(1):
                found.append(f"{where}: check grade_id {grade_id!r} names notebook {match.group(1)}, not "
                             f"{number.group(1)}")
            if answers_since_check == 0:
                found.append(f"{where}: check {grade_id!r} has no answer cell before it")
            try:
                _regions(cell.source.splitlines(), BEGIN_HIDDEN, END_HIDDEN, where)
            except ClassroomError as error:
                found.append(str(error))
            answers_since_check = 0
    return found


def require_valid(nb: NotebookNode, name: str) -> None:
    """Raise ClassroomError listing every problem of the notebook's exercise format."""
    found = problems(nb, name)
    if found:
        raise ClassroomError(f"{name}: {len(found)} problem(s) in the exercise format:\n  " + "\n  ".join(found))


# -------------------------------------------------------------------------------------------- student edition

def student_notebook(teacher: NotebookNode, name: str = "notebook") -> NotebookNode:
    """The student edition: worked solutions -> nbgrader's stub, starter code, text and checks kept, no outputs."""
    nb = copy.deepcopy(teacher)
    nb.metadata.pop("widgets", None)
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("lines_to_next_cell", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if grader(cell):  # as nbgrader's release: graded and answer cells cannot be deleted, locked ones edited
            cell.metadata["deletable"] = False
            if grader(cell).get("locked"):
                cell.metadata["editable"] = False
        if is_answer(cell):
            cell.source = strip_solution(cell, f"{name}, cell {index}")
            jupyter = cell.metadata.get("jupyter", {})
            jupyter.pop("source_hidden", None)
            jupyter.pop("outputs_hidden", None)
            if not jupyter:
                cell.metadata.pop("jupyter", None)
        elif is_check(cell):
            cell.source = _replace_regions(cell.source, BEGIN_HIDDEN, END_HIDDEN, [], f"{name}, cell {index}")
    return nb


def leaked_lines(teacher: NotebookNode, student: NotebookNode) -> list[str]:
    """Lines of a worked solution that survive in the student edition (lines also found outside the solutions,
    such as starter code or prose, are not solution text)."""
    solution, elsewhere = set(), set()
    for cell in teacher.cells:
        if is_answer(cell):
            answer = [line.strip() for line in solution_lines(cell)]
            solution.update(answer)
            rest = collections.Counter(line.strip() for line in cell.source.splitlines())
            rest.subtract(answer)
            elsewhere.update(line for line, n in rest.items() if n > 0)
        else:
            elsewhere.update(line.strip() for line in cell.source.splitlines())
    secret = solution - elsewhere - {line.strip() for line in CODE_STUB + TEXT_STUB} - {""}
    found = [line.strip() for cell in student.cells for line in cell.source.splitlines()]
    found += [line.strip() for cell in student.cells for out in cell.get("outputs", [])
              for line in json.dumps(out).split("\\n")]
    return sorted({line for line in found if line in secret or BEGIN_SOLUTION in line or END_SOLUTION in line})


def point_colab_badges(nb: NotebookNode, repo: str) -> None:
    """Make the notebook's "Open in Colab" links open `repo` ("owner/name" or "owner/name@branch") instead."""
    name, _, branch = repo.partition("@")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", name):
        raise ValueError(f"repo {repo!r}: expected owner/name or owner/name@branch, e.g. my-school/nlp-class")
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = cell.source.replace(COLAB_BASE, f"https://colab.research.google.com/github/{name}/blob/"
                                                          f"{branch or 'main'}/")


def write_student(src_dir: Path = SOURCES, out_dir: Path = BUILD / "student",
                  prefixes: list[str] | None = None, repo: str | None = None) -> list[Path]:
    """Write the student edition of every source to out_dir/notebooks, beside a copy of helpers/ and data/
    (repo: where the class's copy will live, for the Colab links)."""
    out_dir = Path(out_dir)
    written = []
    for source in sources(src_dir, prefixes):
        teacher = teacher_notebook(source)
        require_valid(teacher, source.name)
        student = student_notebook(teacher, source.name)
        if repo:
            point_colab_badges(student, repo)
        leaks = leaked_lines(teacher, student)
        if leaks:
            raise ClassroomError(f"{source.name}: solution text survives in the student edition: {leaks[:5]}")
        target = out_dir / "notebooks" / f"{source.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student, target)
        written.append(target)
    if Path(src_dir).resolve() == SOURCES.resolve():
        _copy_course(out_dir)
    return written


def _copy_course(out_dir: Path) -> None:
    """Make out_dir a complete student copy of the course: helpers, data, requirement files and a README."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "cache", ".ipynb_checkpoints")
    for name in STUDENT_COPY:
        source, target = ROOT / name, out_dir / name
        if source.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, target)
    (out_dir / "README.md").write_text(
        "# NLP basics with PyTorch: student edition\n\n"
        "Open the notebooks in `notebooks/` (JupyterLab: `pip install -r requirements.txt`, then\n"
        "`jupyter lab notebooks/`). Each exercise has an answer cell with `raise NotImplementedError()`:\n"
        "replace it with your answer, then run the check cell below it, which prints ✔ or says what is wrong.\n\n"
        "Generated by `make student` from the course's sources; edit the sources, not this copy.\n")


# ------------------------------------------------------------------------------------------------- execution

@dataclass
class Run:
    """What executing a notebook did: the first error of each executed code cell (None: ran cleanly)."""

    errors: dict[int, str | None] = field(default_factory=dict)
    stopped: str | None = None  # why execution stopped early (time limit, dead kernel), None if it did not


def kernel_env(**extra: str) -> dict[str, str]:
    """The kernel's environment: the course importable from anywhere, plain-text progress bars."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT), env.get("PYTHONPATH", "")] if p)
    env["COURSE_PLAIN_PROGRESS"] = "1"
    env.update(extra)
    return env


def first_error(cell: NotebookNode) -> str | None:
    """'Name: message' of the first error the cell raised, or None."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip()
    return None


def execute(nb: NotebookNode, cwd: Path, time_limit: float, env: dict[str, str] | None = None,
            stop_after=None) -> Run:
    """Execute the notebook's code cells in a fresh kernel, within `time_limit` seconds in all, errors allowed.

    stop_after(index, cell, error) -> True ends the run early (e.g. at the first error that matters).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    run = Run()
    client = NotebookClient(nb, timeout=max(1, int(time_limit)), kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=False, shutdown_kernel="immediate",
                            store_widget_state=True,  # False makes nbclient fail on an Output widget's clear_output
                            resources={"metadata": {"path": str(cwd)}})
    try:
        with client.setup_kernel(env=env or kernel_env()):
            deadline = time.monotonic() + time_limit
            client.timeout_func = lambda cell: max(1, round(deadline - time.monotonic()))
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                if time.monotonic() >= deadline:
                    run.stopped = f"time limit of {time_limit:g} s reached"
                    break
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:  # the kernel is killed as the `with` block ends
                    run.stopped = f"time limit of {time_limit:g} s reached"
                    break
                except DeadKernelError:
                    raise
                except Exception as error:  # noqa: BLE001 - whatever the cell did, report it and stop here
                    run.stopped = f"cell {index} could not be run: {type(error).__name__}: {error}"[:300]
                    break
                run.errors[index] = first_error(cell)
                if run.errors[index] and time.monotonic() >= deadline:  # interrupted at the limit, not failed
                    del run.errors[index]
                    run.stopped = f"time limit of {time_limit:g} s reached"
                    break
                if stop_after and stop_after(index, cell, run.errors[index]):
                    break
    except DeadKernelError as error:
        run.stopped = f"the kernel died ({str(error).strip()[:100]})"
    except RuntimeError as error:  # the kernel did not start
        run.stopped = f"the kernel failed: {str(error).strip()[:200]}"
    return run


def check_student(teacher: NotebookNode, name: str, time_limit: float = 900) -> list[str]:
    """Problems of one notebook's student edition: format, leaked solution, a cell outside the exercises that
    fails, or a check that passes without an answer."""
    found = problems(teacher, name)
    if found:
        return found
    student = student_notebook(teacher, name)
    found += [f"{name}: solution text in the student edition: {line!r}" for line in leaked_lines(teacher, student)]

    def outside_exercises(cell: NotebookNode) -> bool:
        return not (is_answer(cell) or is_check(cell))

    run = execute(student, NOTEBOOKS, time_limit, kernel_env(COURSE_STRICT_CLAIMS="1"),
                  stop_after=lambda index, cell, error: error is not None and outside_exercises(cell))
    if run.stopped:
        found.append(f"{name}: the student edition stopped early: {run.stopped}")
    for index, error in run.errors.items():
        cell = student.cells[index]
        if error and outside_exercises(cell):
            found.append(f"{name}, cell {index} (not an exercise) fails in the student edition: {error[:300]}\n"
                         f"    {cell.source[:200]!r}")
        if error is None and is_check(cell):
            found.append(f"{name}, cell {index}: check {grader(cell).get('grade_id')!r} passes without an answer")
    return found


# -------------------------------------------------------------------------------------------------- grading

STATUS_MARK = {"pass": "✔", "fail": "✘", "error": "!", "timeout": "⏱", "not run": "·", "missing": "?",
               "malformed": "✗"}


def reference_checks(src_dir: Path = SOURCES) -> dict[str, dict]:
    """grade_id -> the check's notebook, source and points, from the sources (the teacher's truth)."""
    reference = {}
    for source in sorted(Path(src_dir).glob("[0-9][0-9]_*.py")):
        for cell in check_cells(teacher_notebook(source)):
            meta = grader(cell)
            reference[meta["grade_id"]] = {"notebook": source.stem, "source": cell.source,
                                           "points": float(meta.get("points", 1))}
    return reference


def _status(error: str | None) -> str:
    if error is None:
        return "pass"
    return "fail" if error.split(":", 1)[0] in {"ExerciseError", "AssertionError"} else "error"


def _student_of(path: Path, submissions: Path) -> str:
    """alice/04_rnn_gradients.ipynb -> alice; alice.ipynb or alice_04_rnn_gradients.ipynb -> their stem."""
    parts = path.relative_to(submissions).parts
    return parts[0] if len(parts) > 1 else path.stem


def _notebook_of(nb: NotebookNode | None, path: Path, reference: dict[str, dict], unknown: str = "") -> str:
    """The course notebook a submission answers: by its checks' grade_ids, else by its file name."""
    ids = [grader(cell).get("grade_id") for cell in check_cells(nb)] if nb is not None else []
    names = collections.Counter(reference[i]["notebook"] for i in ids if i in reference)
    if names:
        return names.most_common(1)[0][0]
    for name in sorted({r["notebook"] for r in reference.values()}):
        if name in path.name or path.name.startswith(name[:3]):
            return name
    return unknown or path.stem


def run_submission(path: Path, time_limit: float) -> Run:
    """Execute one prepared submission in a separate grader process (and a fresh kernel), never longer than the
    time limit plus a margin: whatever the submission does, the grading of the others goes on."""
    result = path.with_suffix(".result.json")
    command = [sys.executable, str(Path(__file__).resolve()), "_execute", str(path), str(result),
               "--time-limit", str(time_limit)]
    try:
        done = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=time_limit + 120,
                              start_new_session=True)
    except subprocess.TimeoutExpired:
        return Run(stopped=f"the grader had to stop it after {time_limit + 120:g} s")
    if done.returncode != 0 or not result.exists():
        return Run(stopped=f"the grader process failed: {(done.stderr or '').strip()[-300:]}")
    data = json.loads(result.read_text())
    return Run({int(k): v for k, v in data["errors"].items()}, data["stopped"])


def grade_file(path: Path, submissions: Path, reference: dict[str, dict], time_limit: float,
               workdir: Path) -> list[dict]:
    """One row per exercise of one submitted notebook: its check's status and what it said (workdir: an empty
    folder of its own, where the submission runs)."""
    row = {"student": _student_of(path, submissions), "file": path.relative_to(submissions).as_posix()}
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # noqa: BLE001 - any unreadable file is reported, never fatal
        detail = f"{type(error).__name__}: {str(error).strip().splitlines()[0][:200] if str(error).strip() else ''}"
        return [{**row, "notebook": _notebook_of(None, path, reference, "(unreadable)"), "exercise": "", "points": 0.0,
                 "max_points": 0.0, "status": "malformed", "detail": f"not a readable notebook ({detail})"}]
    notebook = _notebook_of(nb, path, reference)
    expected = [gid for gid, ref in reference.items() if ref["notebook"] == notebook]
    present, answers, pending = {}, {}, []  # check -> its cell; check -> the answer cells before it
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        if is_check(cell):
            gid = grader(cell).get("grade_id")
            present[gid], answers[gid], pending = index, pending, []
            if gid in reference:  # the teacher's check, whatever the student did to the locked cell
                cell.source = reference[gid]["source"]
        elif is_answer(cell):
            pending.append(index)
    expected += [gid for gid in present if gid not in expected]
    prepared = workdir / "submission.ipynb"
    nbformat.write(nb, prepared)
    run = run_submission(prepared, time_limit)
    rows = []
    for gid in expected:
        if gid in reference:
            points = reference[gid]["points"]
        else:
            points = float(grader(nb.cells[present[gid]]).get("points", 1))
        if gid not in present:
            status, detail = "missing", "the check cell is not in the notebook"
        elif present[gid] in run.errors:
            error = run.errors[present[gid]]
            status, detail = _status(error), error or ""
            raised = [run.errors[i] for i in answers[gid] if run.errors.get(i)]
            if status != "pass" and any(e.startswith("NotImplementedError") for e in [detail, *raised]):
                detail = f"not answered: {detail}"  # the stub of the student edition is still there
            elif status != "pass" and raised:
                detail = f"{detail} (the answer cell raised {raised[0]})"
        else:
            status = "timeout" if run.stopped and "time limit" in run.stopped else "not run"
            detail = run.stopped or "not reached"
        rows.append({**row, "notebook": notebook, "exercise": gid, "points": points if status == "pass" else 0.0,
                     "max_points": points, "status": status, "detail": _clean(detail)})
    return rows


def _clean(text: str) -> str:
    """One line without terminal colour codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text).replace("\n", " ").strip()[:300]


def grade(submissions: Path, out_csv: Path = BUILD / "grades.csv", src_dir: Path = SOURCES,
          time_limit: float = 600, jobs: int = 1) -> list[dict]:
    """Grade every notebook under `submissions` (a fresh kernel each, `jobs` at a time); one CSV row per exercise."""
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise SystemExit(f"no folder {submissions}: give the folder of submitted notebooks "
                         "(alice.ipynb, or alice/04_rnn_gradients.ipynb, ...)")
    files = sorted(p for p in submissions.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not files:
        raise SystemExit(f"no .ipynb file under {submissions}")
    reference = reference_checks(src_dir)
    with tempfile.TemporaryDirectory(prefix="grading-") as work:

        def one(numbered: tuple[int, Path]) -> list[dict]:
            number, path = numbered
            started, workdir = time.monotonic(), Path(work) / f"{number:04d}"
            workdir.mkdir()
            graded = grade_file(path, submissions, reference, time_limit, workdir)
            marks = " ".join(STATUS_MARK[r["status"]] for r in graded)
            print(f"graded {path.relative_to(submissions)} in {time.monotonic() - started:.0f} s: {marks}",
                  file=sys.stderr)
            return graded

        with ThreadPoolExecutor(max(1, jobs)) as pool:
            rows = [row for graded in pool.map(one, enumerate(files)) for row in graded]
    out_csv = Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with out_csv.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["student", "notebook", "file", "exercise", "status", "points",
                                         "max_points", "detail"])
        writer.writeheader()
        writer.writerows(rows)
    return rows


def table(rows: list[dict]) -> str:
    """A short table per notebook: one line per submission, one column per exercise, and the points."""
    lines = []
    for notebook in sorted({r["notebook"] for r in rows}):
        mine = [r for r in rows if r["notebook"] == notebook]
        exercises = sorted({r["exercise"] for r in mine if r["exercise"]},
                           key=lambda g: [int(n) if n.isdigit() else n for n in re.split(r"(\d+)", g)])
        width = max(len("student"), *(len(r["student"]) for r in mine))
        lines += [f"{notebook}", "  " + "student".ljust(width) + "".join(f"  {e:>7}" for e in exercises) + "  points"]
        for file in sorted({r["file"] for r in mine}):
            of_file = {r["exercise"]: r for r in mine if r["file"] == file}
            student = next(iter(of_file.values()))["student"]
            if "" in of_file:
                marks = "  " + f"{STATUS_MARK['malformed']} not a readable notebook".ljust(9 * len(exercises))
                got = total = "-"
            else:
                marks = "".join(f"  {STATUS_MARK[of_file[e]['status']] if e in of_file else '':>7}"
                                for e in exercises)
                got = f"{sum(r['points'] for r in of_file.values()):g}"
                total = f"{sum(r['max_points'] for r in of_file.values()):g}"
            lines.append(f"  {student.ljust(width)}{marks}  {got}/{total}")
    legend = ", ".join(f"{mark} {status}" for status, mark in STATUS_MARK.items())
    return "\n".join(lines + [f"({legend})"])


# --------------------------------------------------------------------------------------------------- slides

MAX_OUTPUT_LINES = 15
HEADING = re.compile(r"^(#{1,3}) \S")
SLIDE_TYPE = {1: "slide", 2: "slide", 3: "subslide"}
# Offline slides: the files nbconvert's template loads from CDNs by default, from the npm registry (package spec,
# and the parts of the package the decks need; None: all of it).
VENDOR = {"reveal.js": ("reveal.js@4", None), "requirejs": ("requirejs@2", None), "jquery": ("jquery@3", None),
          "mathjax": ("mathjax@2", ("MathJax.js", "LICENSE", "config/TeX-AMS_CHTML-full.js", "config/Safe.js",
                                    "extensions/", "jax/input/TeX/", "jax/element/", "jax/output/CommonHTML/",
                                    "fonts/HTML-CSS/TeX/woff/", "localization/en/"))}


def _split_at_headings(source: str) -> list[str]:
    """Markdown split before every #, ## or ### heading (outside code fences), so each heading starts a cell."""
    chunks, current, fenced = [], [], False
    for line in source.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and HEADING.match(line) and any(s.strip() for s in current):
            chunks.append("\n".join(current).strip("\n"))
            current = []
        current.append(line)
    chunks.append("\n".join(current).strip("\n"))
    return [c for c in chunks if c.strip()]


def _short_outputs(outputs: list) -> list:
    """Outputs fit for a slide: long text cut to its first lines, widgets and long HTML tables left out."""
    kept = []
    for output in copy.deepcopy(outputs):
        kind = output.get("output_type")
        if kind == "stream":
            output["text"] = _cut(output.get("text", ""))
        elif kind in {"execute_result", "display_data"}:
            data = output.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data:
                continue  # a live control: nothing to show on a static slide
            if "text/html" in data and len(re.findall(r"<tr\b", str(data["text/html"]))) > MAX_OUTPUT_LINES:
                data.pop("text/html")
            if "text/plain" in data:
                data["text/plain"] = _cut(data["text/plain"])
            if not data:
                continue
        kept.append(output)
    return kept


def _cut(text) -> str:
    text = "".join(text) if isinstance(text, list) else text
    lines = text.splitlines()
    if len(lines) <= MAX_OUTPUT_LINES:
        return text
    kept = MAX_OUTPUT_LINES - 1
    return "\n".join([*lines[:kept], f"⋯ {len(lines) - kept} more lines in the notebook"]) + "\n"


def slide_deck(nb: NotebookNode, setup_cell: str | None = None) -> NotebookNode:
    """The notebook with slide metadata: # and ## headings start slides, ### sub-slides; answer cells and the
    set-up cell skipped; long outputs shortened. A cell's own `slideshow` metadata wins."""
    deck = copy.deepcopy(nb)
    deck.metadata.pop("widgets", None)
    cells = []
    for cell in deck.cells:
        explicit = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        if cell.cell_type == "code":
            cell.outputs = [] if is_check(cell) else _short_outputs(cell.get("outputs", []))
        if explicit:
            cells.append(cell)
            continue
        if is_answer(cell) or (setup_cell and cell.cell_type == "code" and cell.source.strip() == setup_cell.strip()):
            cell.metadata["slideshow"] = {"slide_type": "skip"}
            cells.append(cell)
        elif cell.cell_type == "markdown":
            for i, chunk in enumerate(_split_at_headings(cell.source)):
                part = cell if i == 0 else nbformat.v4.new_markdown_cell(chunk)
                part.source = chunk
                heading = HEADING.match(chunk)
                part.metadata["slideshow"] = {"slide_type": SLIDE_TYPE[len(heading.group(1))] if heading else "-"}
                cells.append(part)
        else:
            cell.metadata["slideshow"] = {"slide_type": "-"}
            cells.append(cell)
    deck.cells = cells
    return deck


def vendor_reveal(out_dir: Path, cache: Path = BUILD / "cache") -> dict[str, str]:
    """Put reveal.js, require.js, jQuery and MathJax beside the decks (npm pack, cached in build/cache) and return
    the nbconvert settings that point at them, so the decks work without a network."""
    npm = shutil.which("npm")
    cache.mkdir(parents=True, exist_ok=True)
    for name, (spec, needed) in VENDOR.items():
        target = out_dir / "vendor" / name
        if target.exists():
            continue
        packed = sorted(cache.glob(f"{name}-[0-9]*.tgz"))
        if not packed:
            if not npm:
                raise SystemExit(f"offline slides need npm (to fetch {spec} from the npm registry) or {name}-*.tgz "
                                 f"in {cache}; without --offline the decks load reveal.js from a CDN")
            subprocess.run([npm, "pack", spec, "--silent"], cwd=cache, check=True, capture_output=True, timeout=600)
            packed = sorted(cache.glob(f"{name}-[0-9]*.tgz"))
        with tarfile.open(packed[-1]) as archive, tempfile.TemporaryDirectory(dir=out_dir) as tmp:
            members = [m for m in archive.getmembers()
                       if needed is None or any(m.name.startswith(f"package/{part}") for part in needed)]
            if hasattr(tarfile, "data_filter"):
                archive.extractall(tmp, members=members, filter="data")
            else:  # a Python without tarfile filters; the archive comes from the npm registry
                archive.extractall(tmp, members=members)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(Path(tmp) / "package"), target)
    return {"reveal_url_prefix": "vendor/reveal.js", "require_js_url": "vendor/requirejs/require.js",
            "jquery_url": "vendor/jquery/dist/jquery.min.js",
            "mathjax_url": "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"}


def write_slides(notebooks: list[Path], out_dir: Path = BUILD / "slides", offline: bool = False) -> list[Path]:
    """Write one reveal.js deck per notebook (its committed outputs) as out_dir/NN_name.slides.html."""
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = {"reveal_scroll": True, "reveal_theme": "white", "reveal_number": "c/t",
                "exclude_input_prompt": True, "exclude_output_prompt": True}
    if offline:
        settings.update(vendor_reveal(out_dir))
    exporter = SlidesExporter(config=Config({"SlidesExporter": settings}))
    setup = SOURCES / "setup_cell.py"
    setup_cell = setup.read_text() if setup.exists() else None
    written = []
    for path in notebooks:
        deck = slide_deck(nbformat.read(path, as_version=4), setup_cell)
        body, _ = exporter.from_notebook_node(deck, resources={"metadata": {"name": Path(path).stem}})
        target = out_dir / f"{Path(path).stem}.slides.html"
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written


# ------------------------------------------------------------------------------------------------------ CLI

def _check(args) -> int:
    """CI: every student edition is valid, leaks nothing and runs; every deck builds."""
    failures = []
    for source in sources(args.src, args.notebooks):
        started = time.monotonic()
        found = check_student(teacher_notebook(source), source.name, args.time_limit)
        print(f"{source.name}: {'ok' if not found else f'{len(found)} problem(s)'} "
              f"({time.monotonic() - started:.0f} s)")
        failures += found
    decks = [p for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
             if not args.notebooks or any(p.name.startswith(n) for n in args.notebooks)]
    for deck in write_slides(decks, args.slides_out):
        sections = deck.read_text(encoding="utf-8").count("<section")
        print(f"{deck.relative_to(ROOT) if deck.is_relative_to(ROOT) else deck}: {sections} slide sections")
        if sections < 3:
            failures.append(f"{deck.name}: only {sections} slide sections")
    for failure in failures:
        print("✘", failure)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/classroom.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    student = commands.add_parser("student", help="write the student edition (solutions removed)")
    student.add_argument("notebooks", nargs="*", help="only these notebooks (name prefixes such as 03)")
    student.add_argument("--src", type=Path, default=SOURCES, help="folder of the jupytext sources")
    student.add_argument("--out", type=Path, default=BUILD / "student")
    student.add_argument("--repo", help="owner/name[@branch] of the class's copy on GitHub: the notebooks' "
                                        "Colab links open it instead of the full edition")
    grading = commands.add_parser("grade", help="run each submitted notebook's checks; CSV + table")
    grading.add_argument("submissions", type=Path, help="folder of submitted notebooks (searched recursively)")
    grading.add_argument("--out", type=Path, default=BUILD / "grades.csv")
    grading.add_argument("--src", type=Path, default=SOURCES, help="the sources whose checks are the reference")
    grading.add_argument("--time-limit", type=float, default=600, help="seconds per notebook (default 600)")
    grading.add_argument("--jobs", type=int, default=1, help="notebooks graded at the same time (default 1)")
    slides = commands.add_parser("slides", help="build a reveal.js deck of each committed notebook")
    slides.add_argument("notebooks", nargs="*", help="only these notebooks (name prefixes such as 03)")
    slides.add_argument("--out", type=Path, default=BUILD / "slides")
    slides.add_argument("--offline", action="store_true", help="copy reveal.js beside the decks (npm registry)")
    check = commands.add_parser("check", help="CI: the student edition leaks no solution and runs; decks build")
    check.add_argument("notebooks", nargs="*", help="only these notebooks (name prefixes such as 03)")
    check.add_argument("--src", type=Path, default=SOURCES)
    check.add_argument("--slides-out", type=Path, default=BUILD / "slides")
    check.add_argument("--time-limit", type=float, default=900, help="seconds per notebook (default 900)")
    execute_one = commands.add_parser("_execute", help=argparse.SUPPRESS)  # the grader's worker process
    execute_one.add_argument("notebook", type=Path)
    execute_one.add_argument("result", type=Path)
    execute_one.add_argument("--time-limit", type=float, default=600)
    args = parser.parse_args(argv)

    if args.command == "student":
        for path in write_student(args.src, args.out, args.notebooks, args.repo):
            print(f"wrote {path}")
        return 0
    if args.command == "grade":
        rows = grade(args.submissions, args.out, args.src, args.time_limit, args.jobs)
        print(table(rows))
        print(f"one row per student and exercise: {args.out}")
        return 0
    if args.command == "slides":
        names = [p for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
                 if not args.notebooks or any(p.name.startswith(n) for n in args.notebooks)]
        for path in write_slides(names, args.out, args.offline):
            print(f"wrote {path}")
        return 0
    if args.command == "check":
        return _check(args)
    nb = nbformat.read(args.notebook, as_version=4)
    run = execute(nb, args.notebook.parent, args.time_limit)
    args.result.write_text(json.dumps({"errors": run.errors, "stopped": run.stopped}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ClassroomError as error:
        sys.exit(f"✘ {error}")
